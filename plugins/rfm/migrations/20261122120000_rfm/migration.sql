-- CreateEnum
CREATE TYPE "RfmSegment" AS ENUM ('CHAMPIONS', 'POTENTIAL_LOYALISTS', 'AT_RISK', 'WIN_BACK', 'LOYAL', 'PROMISING', 'NEED_ATTENTION', 'HIBERNATING');

-- CreateTable
CREATE TABLE "RfmScore" (
    "customerId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "recencyScore" INTEGER NOT NULL,
    "frequencyScore" INTEGER NOT NULL,
    "monetaryScore" INTEGER NOT NULL,
    "recencyDays" INTEGER NOT NULL,
    "lastPurchaseAt" TIMESTAMP(3) NOT NULL,
    "frequency" INTEGER NOT NULL,
    "monetary" DECIMAL(14,2) NOT NULL,
    "segment" "RfmSegment" NOT NULL,
    "homeStoreId" UUID,
    "computedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RfmScore_pkey" PRIMARY KEY ("customerId")
);

-- CreateTable
CREATE TABLE "RfmRun" (
    "id" UUID NOT NULL,
    "asOf" TIMESTAMP(3) NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL,
    "customersScored" INTEGER NOT NULL,
    "customersWithoutPurchase" INTEGER NOT NULL,
    "recencyAverage" DECIMAL(5,4) NOT NULL,
    "frequencyAverage" DECIMAL(5,4) NOT NULL,
    "monetaryAverage" DECIMAL(5,4) NOT NULL,

    CONSTRAINT "RfmRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RfmRunSegment" (
    "runId" UUID NOT NULL,
    "segment" "RfmSegment" NOT NULL,
    "customers" INTEGER NOT NULL,
    "spend" DECIMAL(16,2) NOT NULL,
    "purchases" INTEGER NOT NULL,

    CONSTRAINT "RfmRunSegment_pkey" PRIMARY KEY ("runId","segment")
);

-- CreateIndex
CREATE INDEX "RfmScore_segment_monetary_customerId_idx" ON "RfmScore"("segment", "monetary" DESC, "customerId" DESC);

-- CreateIndex
CREATE INDEX "RfmRun_finishedAt_idx" ON "RfmRun"("finishedAt");

-- AddForeignKey
ALTER TABLE "RfmRunSegment" ADD CONSTRAINT "RfmRunSegment_runId_fkey" FOREIGN KEY ("runId") REFERENCES "RfmRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Foreign key to core (kept out of schema.prisma so core's schema never names a plugin), checked
-- at commit: a run inserts a score for every customer scored for the first time, and an immediate
-- check would hold a key-share lock on each of their rows for the whole run (a merge of one of
-- them would wait for the run); checked at commit, the locks last only as long as the check.
-- "homeStoreId" is a copy of Customer."homeStoreId" as of the run, whose own constraint guards it.
ALTER TABLE "RfmScore" ADD CONSTRAINT "RfmScore_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

-- Every run rewrites every score: room in each page lets a row whose indexed columns did not
-- change be updated in place (HOT), without touching the indexes.
ALTER TABLE "RfmScore" SET (fillfactor = 50);
