-- Results with a holdout, and coupons a sale issues (满额返券).

-- A share of the customers (by a hash of campaign and customer) never given the campaign: the
-- group its results compare against. NULL: no holdout.
ALTER TABLE "Campaign" ADD COLUMN "holdoutPercent" INTEGER;
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_holdout_check"
    CHECK ("holdoutPercent" IS NULL OR ("holdoutPercent" >= 1 AND "holdoutPercent" <= 50));

-- A batch that a campaign fills one code at a time (ISSUE_COUPON) keeps its validity in days
-- from each code's issue. Its row is not updated per code (concurrent sales would queue on it):
-- its count is the number of its codes.
ALTER TABLE "CouponBatch" ADD COLUMN "forRewards" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "CouponBatch" ADD COLUMN "validDays" INTEGER;

-- The sale that issued a coupon (ISSUE_COUPON): a refund of the whole sale ends an unused one.
ALTER TABLE "Coupon" ADD COLUMN "issuedSaleId" UUID;
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_issuedSaleId_fkey"
    FOREIGN KEY ("issuedSaleId") REFERENCES "Sale"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "Coupon_issuedSaleId_idx" ON "Coupon"("issuedSaleId");

