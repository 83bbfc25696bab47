-- Baskets for the insights summary (src/insights/summary.ts), kept by the scheduled job
-- insights.summary: each sale not refunded in full with the products of its lines not refunded in
-- full, what long periods' basket pairs and purchase sequences read instead of the sale lines.
CREATE TABLE "SaleBasketSummary" (
    "saleId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "businessDate" DATE NOT NULL,
    "customerId" UUID,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "products" UUID[],

    CONSTRAINT "SaleBasketSummary_pkey" PRIMARY KEY ("saleId")
);

CREATE INDEX "SaleBasketSummary_storeId_businessDate_idx" ON "SaleBasketSummary"("storeId", "businessDate");

-- The customer and basket parts are new: a summary built before them is rebuilt in full by the
-- next run of the job (until then every insight is computed live, as before a first build).
UPDATE "SalesSummaryState" SET "rebuiltAt" = 'epoch' WHERE id = 1;
