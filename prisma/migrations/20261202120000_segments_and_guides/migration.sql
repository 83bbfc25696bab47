-- Saved customer segments (src/segments/), shopping guides, commissions and targets (src/guides/).
CREATE TYPE "CommissionEntryKind" AS ENUM ('SALE', 'REFUND');

CREATE TABLE "Segment" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "conditions" JSONB NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Segment_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Segment_name_key" ON "Segment"("name");

CREATE TABLE "GuideBinding" (
    "id" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "staffId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),
    "boundById" UUID,
    "endedById" UUID,

    CONSTRAINT "GuideBinding_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "GuideBinding_staffId_storeId_endedAt_idx" ON "GuideBinding"("staffId", "storeId", "endedAt");
CREATE INDEX "GuideBinding_customerId_startedAt_idx" ON "GuideBinding"("customerId", "startedAt");
-- One current guide per customer: two managers binding at once cannot both win.
CREATE UNIQUE INDEX "GuideBinding_current_key" ON "GuideBinding"("customerId") WHERE "endedAt" IS NULL;
ALTER TABLE "GuideBinding" ADD CONSTRAINT "GuideBinding_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "GuideBinding" ADD CONSTRAINT "GuideBinding_staffId_fkey" FOREIGN KEY ("staffId") REFERENCES "Staff"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "GuideBinding" ADD CONSTRAINT "GuideBinding_storeId_fkey" FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "CommissionRule" (
    "id" UUID NOT NULL,
    "productId" UUID,
    "category" TEXT,
    "ratePercent" DECIMAL(5,2) NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),
    "createdById" UUID,

    CONSTRAINT "CommissionRule_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "CommissionRule_target_check" CHECK ("productId" IS NULL OR "category" IS NULL),
    CONSTRAINT "CommissionRule_rate_check" CHECK ("ratePercent" >= 0 AND "ratePercent" <= 100)
);
CREATE INDEX "CommissionRule_endedAt_idx" ON "CommissionRule"("endedAt");
-- One rule in force per target (a product, a category, or everything).
CREATE UNIQUE INDEX "CommissionRule_in_force_key" ON "CommissionRule"(COALESCE("productId"::text, ''), COALESCE("category", '')) WHERE "endedAt" IS NULL;
ALTER TABLE "CommissionRule" ADD CONSTRAINT "CommissionRule_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "CommissionEntry" (
    "id" UUID NOT NULL,
    "staffId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "saleId" UUID NOT NULL,
    "saleLineId" UUID NOT NULL,
    "refundId" UUID,
    "kind" "CommissionEntryKind" NOT NULL,
    "ruleId" UUID NOT NULL,
    "ratePercent" DECIMAL(5,2) NOT NULL,
    "baseAmount" DECIMAL(14,2) NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "businessDate" DATE NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CommissionEntry_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "CommissionEntry_staffId_businessDate_idx" ON "CommissionEntry"("staffId", "businessDate");
CREATE INDEX "CommissionEntry_storeId_businessDate_idx" ON "CommissionEntry"("storeId", "businessDate");
CREATE INDEX "CommissionEntry_saleLineId_idx" ON "CommissionEntry"("saleLineId");
-- Exactly once: one SALE entry per sale line, one REFUND entry per refunded line of a refund.
CREATE UNIQUE INDEX "CommissionEntry_once_key" ON "CommissionEntry"("saleLineId", COALESCE("refundId", '00000000-0000-0000-0000-000000000000'::uuid));
ALTER TABLE "CommissionEntry" ADD CONSTRAINT "CommissionEntry_staffId_fkey" FOREIGN KEY ("staffId") REFERENCES "Staff"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "CommissionEntry" ADD CONSTRAINT "CommissionEntry_saleId_fkey" FOREIGN KEY ("saleId") REFERENCES "Sale"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CommissionEntry" ADD CONSTRAINT "CommissionEntry_saleLineId_fkey" FOREIGN KEY ("saleLineId") REFERENCES "SaleLine"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CommissionEntry" ADD CONSTRAINT "CommissionEntry_refundId_fkey" FOREIGN KEY ("refundId") REFERENCES "Refund"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "SalesTarget" (
    "staffId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "month" DATE NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SalesTarget_pkey" PRIMARY KEY ("staffId", "storeId", "month"),
    CONSTRAINT "SalesTarget_amount_check" CHECK ("amount" >= 0)
);
CREATE INDEX "SalesTarget_storeId_month_idx" ON "SalesTarget"("storeId", "month");
ALTER TABLE "SalesTarget" ADD CONSTRAINT "SalesTarget_staffId_fkey" FOREIGN KEY ("staffId") REFERENCES "Staff"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SalesTarget" ADD CONSTRAINT "SalesTarget_storeId_fkey" FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE CASCADE ON UPDATE CASCADE;
