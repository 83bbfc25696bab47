-- Prisma keeps scalar lists nullable (NULL reads as an empty list); the column keeps its default,
-- so the plugin still writes an empty list, never NULL.
ALTER TABLE "Ticket" ALTER COLUMN "saleLineNos" DROP NOT NULL;
