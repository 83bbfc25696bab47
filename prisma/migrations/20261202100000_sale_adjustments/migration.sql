-- Price reductions as adjustments with their source (src/sales/pricing.ts).
CREATE TYPE "AdjustmentScope" AS ENUM ('ORDER', 'LINE');

CREATE TABLE "SaleAdjustment" (
    "id" UUID NOT NULL,
    "saleId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "sourceId" TEXT,
    "labelZh" TEXT NOT NULL,
    "labelEn" TEXT NOT NULL,
    "scope" "AdjustmentScope" NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "lineNos" INTEGER[],
    "shares" DECIMAL(12,2)[],

    CONSTRAINT "SaleAdjustment_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "SaleAdjustment_saleId_position_key" ON "SaleAdjustment"("saleId", "position");

ALTER TABLE "SaleAdjustment" ADD CONSTRAINT "SaleAdjustment_saleId_fkey" FOREIGN KEY ("saleId") REFERENCES "Sale"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Sales recorded before adjustments existed: each line discount becomes one adjustment of source
-- "history" (who gave it was not kept), so every sale's lines add up to its adjustments.
INSERT INTO "SaleAdjustment" ("id", "saleId", "position", "source", "labelZh", "labelEn", "scope", "amount", "lineNos", "shares")
SELECT gen_random_uuid(), l."saleId", row_number() OVER (PARTITION BY l."saleId" ORDER BY l."lineNo"), 'history',
       '历史折扣', 'Discount recorded before itemised adjustments', 'LINE', l.discount, ARRAY[l."lineNo"], ARRAY[l.discount]
FROM "SaleLine" l
WHERE l.discount > 0;
