-- How many customers are listed (neither merged away nor erased): `customers { totalCount }`
-- without a filter reads the sum of these rows instead of counting the customers (src/customers/search.ts).
-- Triggers on "Customer" keep it in the writing transaction, so it is exactly what count(*) would
-- say in every snapshot. Sixteen slots: a transaction adds to the first slot no other transaction
-- holds (SKIP LOCKED), so concurrent creations and a long import never wait for each other.
CREATE TABLE "CustomerTally" (
    "slot" INTEGER NOT NULL,
    "listed" BIGINT NOT NULL,

    CONSTRAINT "CustomerTally_pkey" PRIMARY KEY ("slot")
);

INSERT INTO "CustomerTally" ("slot", "listed") SELECT s, 0 FROM generate_series(0, 15) AS s;
UPDATE "CustomerTally" SET "listed" = (
    SELECT count(*) FROM "Customer" WHERE "mergedIntoId" IS NULL AND "erasedAt" IS NULL
) WHERE "slot" = 0;

CREATE FUNCTION customer_tally_add(delta BIGINT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    free INTEGER;
BEGIN
    IF delta = 0 THEN
        RETURN;
    END IF;
    -- This connection's own slot first; a slot this transaction already holds is not skipped.
    SELECT "slot" INTO free FROM "CustomerTally"
        ORDER BY ("slot" - pg_backend_pid() % 16 + 16) % 16 LIMIT 1 FOR UPDATE SKIP LOCKED;
    -- Every slot held by another running transaction: wait for this connection's own.
    UPDATE "CustomerTally" SET "listed" = "listed" + delta
        WHERE "slot" = coalesce(free, pg_backend_pid() % 16);
END $$;

CREATE FUNCTION customer_tally_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM customer_tally_add((SELECT count(*) FROM new_rows
            WHERE "mergedIntoId" IS NULL AND "erasedAt" IS NULL));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM customer_tally_add(-(SELECT count(*) FROM old_rows
            WHERE "mergedIntoId" IS NULL AND "erasedAt" IS NULL));
    END IF;
    RETURN NULL;
END $$;

-- A merge or an erasure (or a merge undone by deleting its survivor: ON DELETE SET NULL).
CREATE FUNCTION customer_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customer_tally_add(CASE WHEN NEW."mergedIntoId" IS NULL AND NEW."erasedAt" IS NULL THEN 1 ELSE -1 END);
    RETURN NULL;
END $$;

CREATE FUNCTION customer_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "CustomerTally" SET "listed" = 0;
    RETURN NULL;
END $$;

CREATE TRIGGER "Customer_tally_insert" AFTER INSERT ON "Customer"
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_tally_rows();
CREATE TRIGGER "Customer_tally_delete" AFTER DELETE ON "Customer"
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_tally_rows();
CREATE TRIGGER "Customer_tally_update" AFTER UPDATE OF "mergedIntoId", "erasedAt" ON "Customer"
    FOR EACH ROW
    WHEN ((OLD."mergedIntoId" IS NULL AND OLD."erasedAt" IS NULL)
          IS DISTINCT FROM (NEW."mergedIntoId" IS NULL AND NEW."erasedAt" IS NULL))
    EXECUTE FUNCTION customer_tally_change();
CREATE TRIGGER "Customer_tally_truncate" AFTER TRUNCATE ON "Customer"
    FOR EACH STATEMENT EXECUTE FUNCTION customer_tally_truncate();
