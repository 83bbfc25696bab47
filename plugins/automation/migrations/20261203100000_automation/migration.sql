-- The automation plugin (plugins/automation/): triggers and the one row per occasion that makes
-- each send happen once.
CREATE TYPE "AutomationTriggerKind" AS ENUM ('BIRTHDAY', 'LAPSED', 'FIRST_PURCHASE_ANNIVERSARY', 'POINTS_EXPIRING', 'TIER_UPGRADED');
CREATE TYPE "AutomationOutcome" AS ENUM ('SENT', 'HELD_OUT');

CREATE TABLE "AutomationTrigger" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "AutomationTriggerKind" NOT NULL,
    "days" INTEGER NOT NULL,
    "templateZh" TEXT NOT NULL,
    "templateEn" TEXT NOT NULL,
    "channels" "ConsentChannel"[],
    "quietFrom" TEXT,
    "quietTo" TEXT,
    "holdoutPercent" INTEGER NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AutomationTrigger_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "AutomationSend" (
    "id" UUID NOT NULL,
    "triggerId" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "occasion" TEXT NOT NULL,
    "outcome" "AutomationOutcome" NOT NULL,
    "channels" "ConsentChannel"[],
    "messageZh" TEXT,
    "messageEn" TEXT,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AutomationSend_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "AutomationSend_triggerId_fkey" FOREIGN KEY ("triggerId") REFERENCES "AutomationTrigger"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "AutomationSend_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "AutomationSend_triggerId_customerId_occasion_key" ON "AutomationSend"("triggerId", "customerId", "occasion");
CREATE INDEX "AutomationSend_triggerId_sentAt_idx" ON "AutomationSend"("triggerId", "sentAt");
CREATE INDEX "AutomationSend_customerId_idx" ON "AutomationSend"("customerId");
