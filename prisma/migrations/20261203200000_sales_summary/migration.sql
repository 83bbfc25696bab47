-- The daily sales summary read by long-period insights (src/insights/summary.ts), kept by the
-- scheduled job insights.summary: per store and business day, and per store, day and product.
CREATE TABLE "SalesDaySummary" (
    "storeId" UUID NOT NULL,
    "businessDate" DATE NOT NULL,
    "grossSales" DECIMAL(14,2) NOT NULL,
    "refunds" DECIMAL(14,2) NOT NULL,
    "saleCount" INTEGER NOT NULL,
    "refundedSaleCount" INTEGER NOT NULL,
    "units" INTEGER NOT NULL,
    "memberRevenue" DECIMAL(14,2) NOT NULL,
    "anonymousRevenue" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "SalesDaySummary_pkey" PRIMARY KEY ("storeId", "businessDate")
);

CREATE TABLE "ProductDaySummary" (
    "storeId" UUID NOT NULL,
    "businessDate" DATE NOT NULL,
    "productId" UUID NOT NULL,
    "units" INTEGER NOT NULL,
    "revenue" DECIMAL(14,2) NOT NULL,
    "revenueWithCost" DECIMAL(14,2),
    "cost" DECIMAL(14,2),
    "saleCount" INTEGER NOT NULL,

    CONSTRAINT "ProductDaySummary_pkey" PRIMARY KEY ("storeId", "businessDate", "productId")
);

-- The product days of whole calendar months added up: a year's ranking reads 12 rows per store and
-- product instead of 365.
CREATE TABLE "ProductMonthSummary" (
    "storeId" UUID NOT NULL,
    "month" DATE NOT NULL,
    "productId" UUID NOT NULL,
    "units" INTEGER NOT NULL,
    "revenue" DECIMAL(14,2) NOT NULL,
    "revenueWithCost" DECIMAL(14,2),
    "cost" DECIMAL(14,2),
    "saleCount" INTEGER NOT NULL,

    CONSTRAINT "ProductMonthSummary_pkey" PRIMARY KEY ("storeId", "month", "productId")
);

-- Days whose sales changed after the summary's recent window passed them: a refund of an old
-- sale, a sales-history import, a sale a till sends days late. Written in the change's transaction.
CREATE TABLE "SalesSummaryDirtyDay" (
    "storeId" UUID NOT NULL,
    "businessDate" DATE NOT NULL,
    "markedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SalesSummaryDirtyDay_pkey" PRIMARY KEY ("storeId", "businessDate")
);

-- One row: when the summary was last brought up to date.
CREATE TABLE "SalesSummaryState" (
    "id" INTEGER NOT NULL,
    "asOf" TIMESTAMP(3) NOT NULL,
    "rebuiltAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SalesSummaryState_pkey" PRIMARY KEY ("id")
);
