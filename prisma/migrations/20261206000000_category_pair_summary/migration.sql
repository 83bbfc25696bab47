-- Category pairs for the insights summary (src/insights/summary.ts), kept by the scheduled job
-- insights.summary: per store and business day, how many baskets held a product of category a and
-- one of category b (a < b), and, with a = b, how many held one of category a. Summed over a
-- period's days they are what basketPairs(level: CATEGORY) counts from the lines.
CREATE TABLE "CategoryPairDaySummary" (
    "storeId" UUID NOT NULL,
    "businessDate" DATE NOT NULL,
    "a" TEXT NOT NULL,
    "b" TEXT NOT NULL,
    "baskets" INTEGER NOT NULL,

    CONSTRAINT "CategoryPairDaySummary_pkey" PRIMARY KEY ("storeId", "businessDate", "a", "b")
);

-- A change of products' categories since the job's last run: those pairs are read live until the
-- next run rebuilds them with the categories as they are then. One row per UPDATE statement that
-- changed a category (a product import changes many in one), never an upsert, so a change never
-- waits for a run that is deleting the rows it saw.
CREATE TABLE "SalesSummaryCategoryChange" (
    "id" BIGSERIAL NOT NULL,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),

    CONSTRAINT "SalesSummaryCategoryChange_pkey" PRIMARY KEY ("id")
);

CREATE FUNCTION sales_summary_category_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n."id" = o."id"
               WHERE n."category" IS DISTINCT FROM o."category") THEN
        INSERT INTO "SalesSummaryCategoryChange" DEFAULT VALUES;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER "Product_category_change" AFTER UPDATE ON "Product"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales_summary_category_change();

-- The next run rebuilds the whole summary: the category pairs of every day, and every table
-- written in business-date order (src/insights/summary.ts), which a period's reads depend on.
-- Until then every insight is computed live, as before a first build.
UPDATE "SalesSummaryState" SET "rebuiltAt" = 'epoch' WHERE id = 1;
