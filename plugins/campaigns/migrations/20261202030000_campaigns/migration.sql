-- The campaigns plugin (营销活动). Conditions and the action are JSON checked by the plugin at
-- creation (plugins/campaigns/definition.ts); the budget counters live on the campaign's row so
-- that a sale takes one row lock to stay within them.

CREATE TABLE "Campaign" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "exclusive" BOOLEAN NOT NULL DEFAULT false,
    "combinesWithTier" BOOLEAN NOT NULL DEFAULT true,
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "conditions" JSONB NOT NULL,
    "action" JSONB NOT NULL,
    "budgetAmount" DECIMAL(14,2),
    "budgetRedemptions" INTEGER,
    "perCustomerLimit" INTEGER,
    "perDayLimit" INTEGER,
    "usedAmount" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "usedRedemptions" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Campaign_status_check" CHECK ("status" IN ('ACTIVE', 'PAUSED', 'ENDED')),
    CONSTRAINT "Campaign_budget_check" CHECK (
        ("budgetAmount" IS NULL OR "usedAmount" <= "budgetAmount")
        AND ("budgetRedemptions" IS NULL OR "usedRedemptions" <= "budgetRedemptions"))
);

CREATE INDEX "Campaign_status_idx" ON "Campaign"("status");

-- One row per campaign applied to a sale: per-customer and per-day limits count these.
CREATE TABLE "CampaignRedemption" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "campaignId" UUID NOT NULL,
    "saleId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "customerId" UUID,
    "businessDate" DATE NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "refundedAmount" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "reversed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CampaignRedemption_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "CampaignRedemption_campaignId_saleId_key" ON "CampaignRedemption"("campaignId", "saleId");
CREATE INDEX "CampaignRedemption_campaignId_customerId_idx" ON "CampaignRedemption"("campaignId", "customerId");
CREATE INDEX "CampaignRedemption_campaignId_businessDate_idx" ON "CampaignRedemption"("campaignId", "businessDate");
CREATE INDEX "CampaignRedemption_saleId_idx" ON "CampaignRedemption"("saleId");

ALTER TABLE "CampaignRedemption" ADD CONSTRAINT "CampaignRedemption_campaignId_fkey"
    FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "CampaignRedemption" ADD CONSTRAINT "CampaignRedemption_saleId_fkey"
    FOREIGN KEY ("saleId") REFERENCES "Sale"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "CampaignRedemption" ADD CONSTRAINT "CampaignRedemption_storeId_fkey"
    FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "CampaignRedemption" ADD CONSTRAINT "CampaignRedemption_customerId_fkey"
    FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
