-- What the POS sent for a sale (sha256 of its canonical form, see src/sales/fingerprint.ts): a
-- request sent again under the same externalId is a replay only when it is the same request.
-- Sales recorded before this have none and are answered as replays, as they were.
ALTER TABLE "Sale" ADD COLUMN "requestHash" TEXT;
