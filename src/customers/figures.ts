import type { Tx } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';

/**
 * A customer's purchase figures are the history imported from a previous system (the
 * `imported…` columns, a baseline) combined with the sales recorded here:
 *   visits = importedVisitCount + sales,   spend = importedSpend + Σ(total − refunded),
 *   first  = earliest of importedFirstPurchaseAt and the first sale, last likewise.
 * Sales and refunds keep them current incrementally (`+ 1`, `+ total`, LEAST/GREATEST), which
 * preserves that sum; this rebuilds them from the sales themselves: for one customer after a
 * merge, or for every live customer after a bulk load (demo data).
 */
export async function recomputeCustomerFigures(tx: Tx, customerId?: string) {
  const only = customerId ? Prisma.sql`AND c2.id = ${customerId}::uuid` : Prisma.empty;
  const onlySales = customerId ? Prisma.sql`AND "customerId" = ${customerId}::uuid` : Prisma.empty;
  // LEAST/GREATEST skip NULLs, so a customer with no sales (or no imported dates) gets the other side.
  await tx.$executeRaw`
    UPDATE "Customer" c SET
      "firstPurchaseAt" = LEAST(c2."importedFirstPurchaseAt", s.first_at),
      "lastPurchaseAt" = GREATEST(c2."importedLastPurchaseAt", s.last_at),
      "visitCount" = c2."importedVisitCount" + coalesce(s.visits, 0),
      "lifetimeSpend" = c2."importedSpend" + coalesce(s.spend, 0)
    FROM "Customer" c2
    LEFT JOIN (
      SELECT "customerId", min("occurredAt") AS first_at, max("occurredAt") AS last_at,
             count(*)::int AS visits, sum(total - "refundedTotal") AS spend
      FROM "Sale" WHERE "customerId" IS NOT NULL ${onlySales} GROUP BY "customerId"
    ) s ON s."customerId" = c2.id
    WHERE c.id = c2.id AND c2."mergedIntoId" IS NULL ${only}`;
}

/**
 * In a merge, the merged record's imported history joins the survivor's (visits and spend add
 * up, the dates widen) and leaves the tombstone, so nothing is counted twice or lost; the
 * survivor's figures are then recomputed from the combined history and the moved sales.
 */
export async function moveImportedHistory(tx: Tx, fromId: string, toId: string) {
  await tx.$executeRaw`
    UPDATE "Customer" c SET
      "importedFirstPurchaseAt" = LEAST(c."importedFirstPurchaseAt", m."importedFirstPurchaseAt"),
      "importedLastPurchaseAt" = GREATEST(c."importedLastPurchaseAt", m."importedLastPurchaseAt"),
      "importedVisitCount" = c."importedVisitCount" + m."importedVisitCount",
      "importedSpend" = c."importedSpend" + m."importedSpend"
    FROM "Customer" m
    WHERE c.id = ${toId}::uuid AND m.id = ${fromId}::uuid`;
  await tx.$executeRaw`
    UPDATE "Customer" SET "importedFirstPurchaseAt" = NULL, "importedLastPurchaseAt" = NULL, "importedVisitCount" = 0,
      "importedSpend" = 0
    WHERE id = ${fromId}::uuid`;
}
