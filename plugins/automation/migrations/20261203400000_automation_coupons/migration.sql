-- A trigger may bring each customer a coupon of a reward batch (the campaigns plugin); the send
-- keeps the code it issued, for the results (issued, redeemed).
ALTER TABLE "AutomationTrigger" ADD COLUMN "couponBatchId" UUID;
ALTER TABLE "AutomationSend" ADD COLUMN "couponCode" TEXT;
