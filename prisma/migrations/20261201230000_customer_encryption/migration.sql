-- Customers' phone, e-mail and birthday encrypted at rest (docs/security.md, "Encryption at rest").
--
-- This migration adds the encrypted columns and their keyed hashes beside the plaintext ones.
-- In the same transaction, right after this SQL, src/db/setup.ts runs its data step
-- (encryptPlaintextCustomers, src/customers/personal.ts): it encrypts every existing row with the
-- data key the process was started with. The next migration then drops the plaintext columns, and
-- refuses to if any row was not encrypted (a database migrated by another tool than `npm run
-- migrate` or `npm start`, which do not know the key).

-- The keys data was written with, by id and fingerprint (never the key itself).
CREATE TABLE "EncryptionKey" (
    "id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "EncryptionKey_pkey" PRIMARY KEY ("id")
);

-- Search terms will come from the name only (pieces of the phone would be the phone again); the
-- next migration builds them. Dropped here, before the data step rewrites every row, so that the
-- rewrite does not also update a GIN index per row.
DROP INDEX "Customer_searchTerms_idx";
ALTER TABLE "Customer" DROP COLUMN "searchTerms";
DROP FUNCTION "customer_search_terms"(TEXT, TEXT);

ALTER TABLE "Customer"
    ADD COLUMN "phoneEnc" TEXT,
    ADD COLUMN "phoneHash" TEXT,
    ADD COLUMN "phoneLast4Hash" TEXT,
    ADD COLUMN "emailEnc" TEXT,
    ADD COLUMN "emailHash" TEXT,
    ADD COLUMN "birthdayEnc" TEXT;
