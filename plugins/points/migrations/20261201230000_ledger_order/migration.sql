-- The order entries were written in: a refund's entries or one expiry run share a timestamp, and
-- uuid v7 ids made in the same millisecond do not sort in write order. Existing entries keep the
-- order of their ids.
CREATE SEQUENCE "PointsLedgerEntry_seq_seq" AS BIGINT;
ALTER TABLE "PointsLedgerEntry" ADD COLUMN "seq" BIGINT;
UPDATE "PointsLedgerEntry" e SET "seq" = o.n
FROM (SELECT "id", row_number() OVER (ORDER BY "createdAt", "id") AS n FROM "PointsLedgerEntry") o
WHERE o."id" = e."id";
SELECT setval('"PointsLedgerEntry_seq_seq"', coalesce((SELECT max("seq") FROM "PointsLedgerEntry"), 0) + 1, false);
ALTER TABLE "PointsLedgerEntry" ALTER COLUMN "seq" SET DEFAULT nextval('"PointsLedgerEntry_seq_seq"'),
ALTER COLUMN "seq" SET NOT NULL;
ALTER SEQUENCE "PointsLedgerEntry_seq_seq" OWNED BY "PointsLedgerEntry"."seq";

CREATE UNIQUE INDEX "PointsLedgerEntry_seq_key" ON "PointsLedgerEntry"("seq");
CREATE INDEX "PointsLedgerEntry_customerId_seq_idx" ON "PointsLedgerEntry"("customerId", "seq");
