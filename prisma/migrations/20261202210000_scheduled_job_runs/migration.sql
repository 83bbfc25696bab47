-- One claim per occurrence of a scheduled job (src/jobs/scheduler.ts): pg-boss may forward a
-- caught-up occurrence as a second job for an occurrence already run; the claim turns it away.
CREATE TABLE "ScheduledJobRun" (
    "job" TEXT NOT NULL,
    "occurrence" TIMESTAMP(3) NOT NULL,
    "jobId" TEXT NOT NULL,
    "claimedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScheduledJobRun_pkey" PRIMARY KEY ("job", "occurrence")
);

CREATE INDEX "ScheduledJobRun_claimedAt_idx" ON "ScheduledJobRun"("claimedAt");
