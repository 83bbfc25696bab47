-- The customer part of the insights summary (src/insights/summary.ts), kept by the scheduled job
-- insights.summary with the daily summary: what a long period's customer figures and the cohorts
-- read instead of ordering every customer's sales.

-- Each sale with a customer, with the customer's purchases (sales not refunded in full) just
-- before and after it, in the same store and across the chain, by the time they happened.
CREATE TABLE "CustomerPurchaseSummary" (
    "saleId" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "businessDate" DATE NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "net" DECIMAL(14,2) NOT NULL,
    "purchase" BOOLEAN NOT NULL,
    "prevStoreDate" DATE,
    "nextStoreAt" TIMESTAMP(3),
    "nextStoreDate" DATE,
    "prevChainDate" DATE,
    "nextChainAt" TIMESTAMP(3),
    "nextChainDate" DATE,

    CONSTRAINT "CustomerPurchaseSummary_pkey" PRIMARY KEY ("saleId")
);

CREATE INDEX "CustomerPurchaseSummary_storeId_businessDate_idx" ON "CustomerPurchaseSummary"("storeId", "businessDate");
CREATE INDEX "CustomerPurchaseSummary_customerId_idx" ON "CustomerPurchaseSummary"("customerId");

-- Each customer's cohort in each store and in the whole chain (storeId all zeros): the month of
-- their first purchase there, and the months they bought there as bits (bit k: k months after).
CREATE TABLE "CustomerCohortSummary" (
    "customerId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "cohort" DATE NOT NULL,
    "months" BIGINT NOT NULL,

    CONSTRAINT "CustomerCohortSummary_pkey" PRIMARY KEY ("customerId", "storeId")
);

CREATE INDEX "CustomerCohortSummary_storeId_cohort_idx" ON "CustomerCohortSummary"("storeId", "cohort");
