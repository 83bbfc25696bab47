-- The order in which movements changed their level: taken from a sequence while the level's row is
-- locked, so one product's movements listed by seq read as a ledger (each balance is the previous
-- one plus its quantity). Movements recorded before this keep their id order.
CREATE SEQUENCE "StockMovement_seq_seq" AS BIGINT;
ALTER TABLE "StockMovement" ADD COLUMN "seq" BIGINT;
UPDATE "StockMovement" m SET "seq" = o.n
FROM (SELECT "id", row_number() OVER (ORDER BY "id") AS n FROM "StockMovement") o
WHERE o."id" = m."id";
SELECT setval('"StockMovement_seq_seq"', coalesce((SELECT max("seq") FROM "StockMovement"), 0) + 1, false);
ALTER TABLE "StockMovement" ALTER COLUMN "seq" SET DEFAULT nextval('"StockMovement_seq_seq"'),
ALTER COLUMN "seq" SET NOT NULL;
ALTER SEQUENCE "StockMovement_seq_seq" OWNED BY "StockMovement"."seq";

-- CreateIndex
CREATE UNIQUE INDEX "StockMovement_seq_key" ON "StockMovement"("seq");
CREATE INDEX "StockMovement_storeId_productId_seq_idx" ON "StockMovement"("storeId", "productId", "seq");
