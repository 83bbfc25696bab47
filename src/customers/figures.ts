import type { Tx } from '../db/types.ts';
import { Prisma } from '../generated/prisma/client.ts';

/**
 * Recomputes purchase figures (first/last purchase, visits, lifetime spend) from the sales
 * themselves: for one customer after a merge, or for everyone after a bulk load (demo data,
 * imports). Sales and refunds otherwise keep the figures current incrementally.
 */
export async function recomputeCustomerFigures(tx: Tx, customerId?: string) {
  const only = customerId ? Prisma.sql`AND "customerId" = ${customerId}::uuid` : Prisma.empty;
  await tx.$executeRaw`
    UPDATE "Customer" c SET
      "firstPurchaseAt" = s.first_at,
      "lastPurchaseAt" = s.last_at,
      "visitCount" = s.visits,
      "lifetimeSpend" = s.spend
    FROM (
      SELECT "customerId", min("occurredAt") AS first_at, max("occurredAt") AS last_at,
             count(*)::int AS visits, sum(total - "refundedTotal") AS spend
      FROM "Sale" WHERE "customerId" IS NOT NULL ${only} GROUP BY "customerId"
    ) s
    WHERE c.id = s."customerId"`;
}
