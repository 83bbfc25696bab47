import type { Db, Tx } from '../../src/db/tx.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { PointsService } from '../points/service.ts';
import { type CampaignRow, isPointsAction } from './definition.ts';

/**
 * A campaign's results, computed in SQL from its redemptions and the sales: what it gave, what the
 * sales that used it brought, who used it. With a holdout, the customers who bought during its
 * window in its stores fall in two groups by the same hash the till uses (engine.ts, heldOut); the
 * uplift is the difference in spend per customer between the targeted and the held-out group.
 */

export interface CampaignResults {
  redemptions: number;
  discountGiven: Prisma.Decimal;
  revenue: Prisma.Decimal;
  /** 客单价: revenue per sale that used the campaign, to the fen; null without one. */
  averageOrderValue: Prisma.Decimal | null;
  customers: number;
  newCustomers: number;
  returningCustomers: number;
  /**
   * BONUS_POINTS, POINTS_MULTIPLIER: the points it awarded on the sales that used it, less what
   * refunds took back of them; null for another action, or without the points plugin.
   */
  pointsAwarded: number | null;
  holdout: HoldoutResults | null;
}

export interface HoldoutResults {
  holdoutPercent: number;
  from: Date;
  to: Date;
  targetedCustomers: number;
  heldOutCustomers: number;
  targetedSpendPerCustomer: Prisma.Decimal | null;
  heldOutSpendPerCustomer: Prisma.Decimal | null;
  uplift: Prisma.Decimal | null;
  /** The uplift as a percentage of the held-out group's spend per customer, two decimals. */
  upliftPercent: string | null;
}

const fen = (d: Prisma.Decimal) => d.toDecimalPlaces(2, Prisma.Decimal.ROUND_HALF_UP);

/** The same bucket as engine.ts heldOut: the first 32 bits of md5(campaign ":" customer), modulo 100. */
export const bucketSql = (campaignId: string, customer: Prisma.Sql) =>
  Prisma.sql`(('x' || lpad(substr(md5(${campaignId} || ':' || ${customer}::text), 1, 8), 16, '0'))::bit(64)::bigint
    % 100)`;

export async function campaignResults(
  db: Db | Tx,
  c: CampaignRow,
  now: Date,
  points: PointsService | null,
): Promise<CampaignResults> {
  // Redemptions not undone by a whole refund; the sale's revenue net of its partial refunds. A customer is new
  // when the first sale with which they used the campaign was their first purchase (here or imported history).
  const [row] = await db.$queryRaw<
    {
      redemptions: number;
      discount: Prisma.Decimal;
      revenue: Prisma.Decimal;
      customers: number;
      newCustomers: number;
    }[]
  >`
    WITH r AS (
      SELECT r."customerId", r.amount - r."refundedAmount" AS given, s.total - s."refundedTotal" AS paid,
        s."occurredAt"
      FROM "CampaignRedemption" r JOIN "Sale" s ON s.id = r."saleId"
      WHERE r."campaignId" = ${c.id}::uuid AND NOT r.reversed),
    firsts AS (
      SELECT "customerId" AS id, min("occurredAt") AS at FROM r WHERE "customerId" IS NOT NULL GROUP BY 1)
    SELECT (SELECT count(*) FROM r)::int AS redemptions,
      (SELECT coalesce(sum(given), 0) FROM r) AS discount,
      (SELECT coalesce(sum(paid), 0) FROM r) AS revenue,
      (SELECT count(*) FROM firsts)::int AS customers,
      (SELECT count(*) FROM firsts f JOIN "Customer" k ON k.id = f.id
       WHERE (k."importedFirstPurchaseAt" IS NULL OR k."importedFirstPurchaseAt" >= f.at)
         AND NOT EXISTS (SELECT 1 FROM "Sale" s WHERE s."customerId" = f.id AND s."occurredAt" < f.at
                           AND s.status <> 'REFUNDED'))::int AS "newCustomers"`;
  const r = row!;
  return {
    redemptions: r.redemptions,
    discountGiven: r.discount,
    revenue: r.revenue,
    averageOrderValue: r.redemptions ? fen(r.revenue.div(r.redemptions)) : null,
    customers: r.customers,
    newCustomers: r.newCustomers,
    returningCustomers: r.customers - r.newCustomers,
    // A points campaign is used by the sales it awarded points to (a redemption is written only then): the same
    // sales as above; a sale refunded in full has had them all taken back.
    pointsAwarded:
      points && isPointsAction(c.action.type)
        ? await points.awardedOnSales(
            db,
            c.id,
            Prisma.sql`SELECT "saleId" FROM "CampaignRedemption" WHERE "campaignId" = ${c.id}::uuid AND NOT reversed`,
          )
        : null,
    holdout: c.holdoutPercent ? await holdoutResults(db, c, now) : null,
  };
}

/**
 * The customers who bought in the campaign's stores during its window (from its start, or its
 * creation, to its end or now), by group: their spend there net of refunds, per customer.
 */
async function holdoutResults(db: Db | Tx, c: CampaignRow, now: Date): Promise<HoldoutResults> {
  const pct = c.holdoutPercent!;
  const from = c.startsAt ?? c.createdAt;
  const to = c.endsAt && c.endsAt < now ? c.endsAt : now;
  const stores = c.conditions.storeIds?.length ? c.conditions.storeIds : null;
  const groups = await db.$queryRaw<{ held: boolean; customers: number; spend: Prisma.Decimal }[]>`
    WITH spend AS (
      SELECT s."customerId" AS id, sum(s.total - s."refundedTotal") AS spend
      FROM "Sale" s
      WHERE s."customerId" IS NOT NULL AND s."occurredAt" >= ${from} AND s."occurredAt" < ${to}
        AND s.status <> 'REFUNDED' AND (${stores}::uuid[] IS NULL OR s."storeId" = ANY (${stores}::uuid[]))
      GROUP BY 1)
    SELECT ${bucketSql(c.id, Prisma.sql`id`)} < ${pct} AS held, count(*)::int AS customers,
      sum(spend) AS spend
    FROM spend GROUP BY 1`;
  const of = (held: boolean) => groups.find((g) => g.held === held);
  const perCustomer = (g: { customers: number; spend: Prisma.Decimal } | undefined) =>
    g?.customers ? fen(g.spend.div(g.customers)) : null;
  const targeted = perCustomer(of(false));
  const heldOut = perCustomer(of(true));
  const uplift = targeted && heldOut ? targeted.sub(heldOut) : null;
  return {
    holdoutPercent: pct,
    from,
    to,
    targetedCustomers: of(false)?.customers ?? 0,
    heldOutCustomers: of(true)?.customers ?? 0,
    targetedSpendPerCustomer: targeted,
    heldOutSpendPerCustomer: heldOut,
    uplift,
    upliftPercent: uplift && heldOut?.gt(0) ? uplift.div(heldOut).mul(100).toFixed(2) : null,
  };
}
