-- Tenders are declared by core and by plugins (StorePlugin.tenders): a payment's method is the
-- tender's code as text, checked in code (src/sales/tenders.ts, recordSale), so a plugin's tender
-- needs no core migration. Existing values (CASH, WECHAT_PAY, POINTS…) are kept as they are.
ALTER TABLE "Payment" ALTER COLUMN "method" TYPE TEXT USING "method"::text;
DROP TYPE "PaymentMethod";
