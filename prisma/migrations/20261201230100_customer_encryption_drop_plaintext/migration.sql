-- The second half of 20261201230000_customer_encryption: the plaintext columns go, once every row
-- has its encrypted form (the data step after the previous migration wrote it).
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM "Customer"
    WHERE ("phone" IS NOT NULL AND "phoneEnc" IS NULL)
       OR ("email" IS NOT NULL AND "emailEnc" IS NULL)
       OR ("birthday" IS NOT NULL AND "birthdayEnc" IS NULL)
  ) THEN
    RAISE EXCEPTION 'customers are still stored in plaintext: apply migrations with `npm run migrate` (or `npm start`) and DATA_ENCRYPTION_KEY set, which encrypts them first';
  END IF;
END $$;

-- Search terms from the name only: pieces of the phone would be the phone in plaintext again.
-- A whole phone and its last four digits are found through the keyed hashes instead.
CREATE FUNCTION "customer_search_terms"(name TEXT) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY(SELECT DISTINCT substr(lower(name), i, n) FROM generate_series(1, 2) AS n, generate_series(1, char_length(name) - n + 1) AS i)
$$;
ALTER TABLE "Customer" ADD COLUMN "searchTerms" TEXT[] GENERATED ALWAYS AS (customer_search_terms("name")) STORED;
-- fastupdate off, as before (migration 20261123000000_customer_search explains why).
CREATE INDEX "Customer_searchTerms_idx" ON "Customer" USING GIN ("searchTerms") WITH (fastupdate = off);

DROP INDEX "Customer_phone_key";
DROP INDEX "Customer_phoneLast4_idx";
DROP INDEX "Customer_email_idx";
ALTER TABLE "Customer" DROP COLUMN "phone", DROP COLUMN "phoneLast4", DROP COLUMN "email", DROP COLUMN "birthday";

CREATE UNIQUE INDEX "Customer_phoneHash_key" ON "Customer"("phoneHash");
CREATE INDEX "Customer_phoneLast4Hash_idx" ON "Customer"("phoneLast4Hash");
CREATE INDEX "Customer_emailHash_idx" ON "Customer"("emailHash");
