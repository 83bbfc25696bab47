-- History carried over from a previous system by a customer import: a baseline that the
-- purchase figures include (see src/customers/figures.ts).
ALTER TABLE "Customer" ADD COLUMN "importedFirstPurchaseAt" TIMESTAMP(3),
ADD COLUMN "importedLastPurchaseAt" TIMESTAMP(3),
ADD COLUMN "importedVisitCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "importedSpend" DECIMAL(14,2) NOT NULL DEFAULT 0;

-- CreateEnum
CREATE TYPE "CustomerImportOutcome" AS ENUM ('APPLIED', 'CHECKED', 'REJECTED');

-- CreateTable
CREATE TABLE "CustomerImport" (
    "id" UUID NOT NULL,
    "staffId" UUID,
    "apiKeyId" UUID,
    "importedBy" TEXT NOT NULL,
    "fileName" TEXT,
    "encoding" TEXT NOT NULL,
    "dryRun" BOOLEAN NOT NULL,
    "outcome" "CustomerImportOutcome" NOT NULL,
    "rowCount" INTEGER NOT NULL,
    "created" INTEGER NOT NULL,
    "updated" INTEGER NOT NULL,
    "unchanged" INTEGER NOT NULL,
    "errorCount" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomerImport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CustomerImport_startedAt_idx" ON "CustomerImport"("startedAt");

-- AddForeignKey
ALTER TABLE "CustomerImport" ADD CONSTRAINT "CustomerImport_staffId_fkey" FOREIGN KEY ("staffId") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomerImport" ADD CONSTRAINT "CustomerImport_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
