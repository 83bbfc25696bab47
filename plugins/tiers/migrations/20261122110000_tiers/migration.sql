-- CreateEnum
CREATE TYPE "TierQualifyWhen" AS ENUM ('ANY', 'ALL');

-- CreateEnum
CREATE TYPE "TierChangeReason" AS ENUM ('INITIAL', 'UPGRADE', 'DOWNGRADE');

-- CreateTable
CREATE TABLE "Tier" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "minSpend" DECIMAL(14,2),
    "minVisits" INTEGER,
    "minPointsEarned" INTEGER,
    "qualifyWhen" "TierQualifyWhen" NOT NULL DEFAULT 'ANY',
    "discountPercent" DECIMAL(5,2) NOT NULL DEFAULT 0,
    "pointsMultiplier" DECIMAL(6,2) NOT NULL DEFAULT 1,
    "birthdayBenefit" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Tier_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MemberTier" (
    "customerId" UUID NOT NULL,
    "tierId" UUID NOT NULL,
    "since" TIMESTAMP(3) NOT NULL,
    "reviewAt" TIMESTAMP(3) NOT NULL,
    "graceUntil" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MemberTier_pkey" PRIMARY KEY ("customerId")
);

-- CreateTable
CREATE TABLE "TierChange" (
    "id" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "fromTierId" UUID,
    "toTierId" UUID NOT NULL,
    "reason" "TierChangeReason" NOT NULL,
    "saleId" UUID,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TierChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SaleTierBenefit" (
    "saleId" UUID NOT NULL,
    "tierId" UUID NOT NULL,
    "tierCode" TEXT NOT NULL,
    "tierName" TEXT NOT NULL,
    "discountPercent" DECIMAL(5,2) NOT NULL,
    "discountAmount" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "SaleTierBenefit_pkey" PRIMARY KEY ("saleId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Tier_code_key" ON "Tier"("code");

-- CreateIndex
CREATE UNIQUE INDEX "Tier_rank_key" ON "Tier"("rank");

-- CreateIndex
CREATE INDEX "MemberTier_reviewAt_idx" ON "MemberTier"("reviewAt");

-- CreateIndex
CREATE INDEX "TierChange_customerId_changedAt_idx" ON "TierChange"("customerId", "changedAt");


-- Foreign keys to core tables (kept out of schema.prisma so core's schema never names a plugin).
ALTER TABLE "MemberTier" ADD CONSTRAINT "MemberTier_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MemberTier" ADD CONSTRAINT "MemberTier_tierId_fkey" FOREIGN KEY ("tierId") REFERENCES "Tier"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "TierChange" ADD CONSTRAINT "TierChange_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "TierChange" ADD CONSTRAINT "TierChange_toTierId_fkey" FOREIGN KEY ("toTierId") REFERENCES "Tier"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "TierChange" ADD CONSTRAINT "TierChange_fromTierId_fkey" FOREIGN KEY ("fromTierId") REFERENCES "Tier"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "SaleTierBenefit" ADD CONSTRAINT "SaleTierBenefit_saleId_fkey" FOREIGN KEY ("saleId") REFERENCES "Sale"("id") ON DELETE CASCADE ON UPDATE CASCADE;
