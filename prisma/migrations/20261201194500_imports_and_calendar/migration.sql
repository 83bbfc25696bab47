-- Every kind of import shares one history (src/imports/): the customer imports' table becomes it.
ALTER TYPE "CustomerImportOutcome" RENAME TO "ImportOutcome";
ALTER TABLE "CustomerImport" RENAME TO "DataImport";
ALTER TABLE "DataImport" RENAME CONSTRAINT "CustomerImport_pkey" TO "DataImport_pkey";
ALTER TABLE "DataImport" RENAME CONSTRAINT "CustomerImport_staffId_fkey" TO "DataImport_staffId_fkey";
ALTER TABLE "DataImport" RENAME CONSTRAINT "CustomerImport_apiKeyId_fkey" TO "DataImport_apiKeyId_fkey";
ALTER INDEX "CustomerImport_startedAt_idx" RENAME TO "DataImport_startedAt_idx";
ALTER TABLE "DataImport" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'customers',
ADD COLUMN "format" TEXT NOT NULL DEFAULT 'CSV';
CREATE INDEX "DataImport_kind_startedAt_idx" ON "DataImport"("kind", "startedAt");

-- Opening stock brought from a previous system.
ALTER TYPE "StockMovementType" ADD VALUE 'OPENING_BALANCE';

-- Sales history brought from a previous system: which import brought the sale.
ALTER TABLE "Sale" ADD COLUMN "importId" UUID;

-- A store's own calendar: 会员日, opening hours, days it closes.
CREATE TABLE "StoreCalendar" (
    "storeId" UUID NOT NULL,
    "memberMonthDays" INTEGER[],
    "memberWeekdays" INTEGER[],
    "opensAt" INTEGER NOT NULL DEFAULT 600,
    "closesAt" INTEGER NOT NULL DEFAULT 1320,
    "closedOnStatutoryHolidays" BOOLEAN NOT NULL DEFAULT false,
    "closedFestivals" TEXT[],
    "closedDates" DATE[],
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StoreCalendar_pkey" PRIMARY KEY ("storeId")
);

ALTER TABLE "StoreCalendar" ADD CONSTRAINT "StoreCalendar_storeId_fkey" FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE CASCADE ON UPDATE CASCADE;
