-- CreateEnum
CREATE TYPE "PointsEntryKind" AS ENUM ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REVERSE');

-- CreateEnum
CREATE TYPE "PointsRuleKind" AS ENUM ('BASE_RATE', 'MULTIPLIER');

-- CreateEnum
CREATE TYPE "PointsRuleCombine" AS ENUM ('ADDITIVE', 'HIGHEST_WINS');

-- CreateEnum
CREATE TYPE "PointsRounding" AS ENUM ('FLOOR', 'ROUND', 'CEIL');

-- CreateTable
CREATE TABLE "PointsAccount" (
    "customerId" UUID NOT NULL,
    "balance" INTEGER NOT NULL DEFAULT 0,
    "pending" INTEGER NOT NULL DEFAULT 0,
    "lifetimeEarned" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PointsAccount_pkey" PRIMARY KEY ("customerId")
);

-- CreateTable
CREATE TABLE "PointsLedgerEntry" (
    "id" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "kind" "PointsEntryKind" NOT NULL,
    "points" INTEGER NOT NULL,
    "availableAt" TIMESTAMP(3) NOT NULL,
    "releasedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "remaining" INTEGER NOT NULL DEFAULT 0,
    "saleId" UUID,
    "refundId" UUID,
    "reason" TEXT,
    "staffId" UUID,
    "explanation" JSONB,
    "dedupeKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PointsLedgerEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PointsRule" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "PointsRuleKind" NOT NULL,
    "combine" "PointsRuleCombine" NOT NULL DEFAULT 'ADDITIVE',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "pointsPerYuan" DECIMAL(10,4),
    "multiplier" DECIMAL(6,2),
    "rounding" "PointsRounding" NOT NULL DEFAULT 'FLOOR',
    "categories" TEXT[],
    "skus" TEXT[],
    "excludedCategories" TEXT[],
    "excludedSkus" TEXT[],
    "weekdays" INTEGER[],
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "tierCodes" TEXT[],
    "birthdayMonth" BOOLEAN NOT NULL DEFAULT false,
    "minSpend" DECIMAL(12,2),
    "capPerSale" INTEGER,
    "capPerDay" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PointsRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PointsRuleUsage" (
    "customerId" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "businessDate" DATE NOT NULL,
    "points" INTEGER NOT NULL,

    CONSTRAINT "PointsRuleUsage_pkey" PRIMARY KEY ("customerId","ruleId","businessDate")
);

-- CreateIndex
CREATE UNIQUE INDEX "PointsLedgerEntry_dedupeKey_key" ON "PointsLedgerEntry"("dedupeKey");

-- CreateIndex
CREATE INDEX "PointsLedgerEntry_customerId_createdAt_idx" ON "PointsLedgerEntry"("customerId", "createdAt");

-- CreateIndex
CREATE INDEX "PointsLedgerEntry_customerId_expiresAt_idx" ON "PointsLedgerEntry"("customerId", "expiresAt");

-- CreateIndex
CREATE INDEX "PointsLedgerEntry_saleId_idx" ON "PointsLedgerEntry"("saleId");

-- CreateIndex
CREATE INDEX "PointsLedgerEntry_availableAt_idx" ON "PointsLedgerEntry"("availableAt");


-- Foreign keys to core tables (kept out of schema.prisma so core's schema never names a plugin).
ALTER TABLE "PointsAccount" ADD CONSTRAINT "PointsAccount_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PointsLedgerEntry" ADD CONSTRAINT "PointsLedgerEntry_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PointsLedgerEntry" ADD CONSTRAINT "PointsLedgerEntry_saleId_fkey" FOREIGN KEY ("saleId") REFERENCES "Sale"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "PointsLedgerEntry" ADD CONSTRAINT "PointsLedgerEntry_refundId_fkey" FOREIGN KEY ("refundId") REFERENCES "Refund"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "PointsRuleUsage" ADD CONSTRAINT "PointsRuleUsage_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PointsRuleUsage" ADD CONSTRAINT "PointsRuleUsage_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "PointsRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;
