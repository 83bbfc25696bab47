-- Coupons: a campaign that requires a coupon applies only to a sale that presents one of its
-- codes. Codes are issued in batches; each code has its own uses and validity.

ALTER TABLE "Campaign" ADD COLUMN "requiresCoupon" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "CouponBatch" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "campaignId" UUID NOT NULL,
    "prefix" TEXT NOT NULL DEFAULT '',
    "count" INTEGER NOT NULL,
    "maxUses" INTEGER NOT NULL,
    "validFrom" TIMESTAMP(3),
    "validUntil" TIMESTAMP(3),
    "customerId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CouponBatch_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Coupon" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "code" TEXT NOT NULL,
    "batchId" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "customerId" UUID,
    "maxUses" INTEGER NOT NULL,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "validFrom" TIMESTAMP(3),
    "validUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Coupon_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Coupon_uses_check" CHECK ("uses" >= 0 AND "uses" <= "maxUses")
);

CREATE UNIQUE INDEX "Coupon_code_key" ON "Coupon"("code");
CREATE INDEX "Coupon_batchId_idx" ON "Coupon"("batchId");
CREATE INDEX "Coupon_customerId_idx" ON "Coupon"("customerId");

ALTER TABLE "CampaignRedemption" ADD COLUMN "couponId" UUID;

ALTER TABLE "CouponBatch" ADD CONSTRAINT "CouponBatch_campaignId_fkey"
    FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "CouponBatch" ADD CONSTRAINT "CouponBatch_customerId_fkey"
    FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_batchId_fkey"
    FOREIGN KEY ("batchId") REFERENCES "CouponBatch"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_campaignId_fkey"
    FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_customerId_fkey"
    FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "CampaignRedemption" ADD CONSTRAINT "CampaignRedemption_couponId_fkey"
    FOREIGN KEY ("couponId") REFERENCES "Coupon"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
