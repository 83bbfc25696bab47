import type { Db } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { type InsightScope, isoDate } from './scope.ts';

/** Where purchase intervals fall, in days between two purchases of the same customer. */
export const INTERVAL_BUCKETS: { minDays: number; maxDays: number | null }[] = [
  { minDays: 0, maxDays: 7 },
  { minDays: 8, maxDays: 14 },
  { minDays: 15, maxDays: 30 },
  { minDays: 31, maxDays: 60 },
  { minDays: 61, maxDays: 90 },
  { minDays: 91, maxDays: 180 },
  { minDays: 181, maxDays: null },
];

export interface KpiFigures {
  /** null for the figures of all the stores together. */
  storeId: string | null;
  grossSales: Prisma.Decimal;
  refunds: Prisma.Decimal;
  revenue: Prisma.Decimal;
  saleCount: number;
  refundedSaleCount: number;
  averageSale: Prisma.Decimal;
  units: number;
  unitsPerSale: number;
  refundRate: number;
  customerCount: number;
  newCustomerCount: number;
  newCustomerRevenue: Prisma.Decimal;
  returningCustomerRevenue: Prisma.Decimal;
  anonymousRevenue: Prisma.Decimal;
  memberRevenue: Prisma.Decimal;
  memberShare: number;
  repurchaseWithinDays: number;
  repurchasingCustomers: number;
  repurchaseRate: number;
  purchaseIntervals: { minDays: number; maxDays: number | null; count: number; share: number }[];
}

const ZERO = new Prisma.Decimal(0);
const dec = (v: string | null) => (v === null ? ZERO : new Prisma.Decimal(v));
const ratio = (a: number, b: number, places = 4) => (b ? Number((a / b).toFixed(places)) : 0);

type SaleRow = {
  store_id: string | null;
  gross: string | null;
  refunds: string | null;
  revenue: string | null;
  sale_count: number;
  refunded_sale_count: number;
  units: number;
  customers: number;
  new_customers: number;
  new_revenue: string | null;
  returning_revenue: string | null;
  anonymous_revenue: string | null;
  member_revenue: string | null;
};

/**
 * The figures of each store and of all of them together, from three statements over the
 * period's sales (the (storeId, businessDate) index): totals, repurchase, intervals. A sale
 * refunded in full is no sale (not counted, its units gone); a partial refund lowers the
 * revenue of the sale's own business date, whenever it was made, as salesByDay does.
 */
export async function kpis(db: Db, scope: InsightScope, repurchaseWithinDays: number): Promise<KpiFigures[]> {
  const from = isoDate(scope.from);
  const to = isoDate(scope.to);
  const stores = scope.storeIds;
  // New: the customer's first purchase anywhere in the chain (Customer.firstPurchaseAt, which
  // includes imported history and is rebuilt after a merge) falls on or after the period's first
  // business date in the store of the sale.
  const totals = await db.$queryRaw<SaleRow[]>`
    WITH s AS (
      SELECT s.id, s."storeId", s."customerId", s."memberId", s.status, s.total, s."refundedTotal",
             s.total - s."refundedTotal" AS net,
             CASE WHEN s."customerId" IS NULL THEN NULL
                  ELSE c."firstPurchaseAt" IS NULL OR (c."firstPurchaseAt" AT TIME ZONE 'UTC' AT TIME ZONE st.timezone)::date >= ${from}::date
             END AS is_new
      FROM "Sale" s
      JOIN "Store" st ON st.id = s."storeId"
      LEFT JOIN "Customer" c ON c.id = s."customerId"
      WHERE s."storeId" = ANY(${stores}::uuid[]) AND s."businessDate" BETWEEN ${from}::date AND ${to}::date
    ), u AS (
      SELECT sl."saleId", sum(sl.quantity - sl."refundedQuantity")::int AS units
      FROM "SaleLine" sl JOIN s ON s.id = sl."saleId" GROUP BY sl."saleId"
    )
    SELECT s."storeId"::text AS store_id,
           sum(s.total)::text AS gross, sum(s."refundedTotal")::text AS refunds, sum(s.net)::text AS revenue,
           (count(*) FILTER (WHERE s.status <> 'REFUNDED'))::int AS sale_count,
           (count(*) FILTER (WHERE s."refundedTotal" > 0))::int AS refunded_sale_count,
           coalesce(sum(u.units), 0)::int AS units,
           (count(DISTINCT s."customerId") FILTER (WHERE s.status <> 'REFUNDED'))::int AS customers,
           (count(DISTINCT s."customerId") FILTER (WHERE s.is_new AND s.status <> 'REFUNDED'))::int AS new_customers,
           (sum(s.net) FILTER (WHERE s.is_new))::text AS new_revenue,
           (sum(s.net) FILTER (WHERE NOT s.is_new))::text AS returning_revenue,
           (sum(s.net) FILTER (WHERE s."customerId" IS NULL))::text AS anonymous_revenue,
           (sum(s.net) FILTER (WHERE s."memberId" IS NOT NULL))::text AS member_revenue
    FROM s LEFT JOIN u ON u."saleId" = s.id
    GROUP BY GROUPING SETS ((s."storeId"), ())`;

  // 复购率: of the customers with a purchase in the period, those who bought again (in the same
  // store; for the total, in any of the stores) within N days after their first purchase of the
  // period. The second purchase may fall after the period's end.
  const repurchase = await db.$queryRaw<{ store_id: string | null; buyers: number; again: number }[]>`
    WITH f AS (
      SELECT s."storeId", s."customerId", min(s."occurredAt") AS first_at
      FROM "Sale" s
      WHERE s."storeId" = ANY(${stores}::uuid[]) AND s."businessDate" BETWEEN ${from}::date AND ${to}::date
        AND s."customerId" IS NOT NULL AND s.status <> 'REFUNDED'
      GROUP BY GROUPING SETS ((s."storeId", s."customerId"), (s."customerId"))
    )
    SELECT f."storeId"::text AS store_id, count(*)::int AS buyers,
           (count(*) FILTER (WHERE EXISTS (
             SELECT 1 FROM "Sale" x
             WHERE x."customerId" = f."customerId" AND x."occurredAt" > f.first_at
               AND x."occurredAt" <= f.first_at + make_interval(days => ${repurchaseWithinDays}::int)
               AND x.status <> 'REFUNDED'
               AND x."storeId" = ANY(CASE WHEN f."storeId" IS NULL THEN ${stores}::uuid[] ELSE ARRAY[f."storeId"] END)
           )))::int AS again
    FROM f GROUP BY f."storeId"`;

  // Purchase intervals: for each purchase in the period, the business days since the same
  // customer's purchase before it (same store; for the total, any of the stores), however long ago.
  const intervals = await db.$queryRaw<{ store_id: string | null; bucket: number; n: number }[]>`
    WITH s AS (
      SELECT s."storeId", s."customerId", s."occurredAt", s."businessDate"
      FROM "Sale" s
      WHERE s."storeId" = ANY(${stores}::uuid[]) AND s."businessDate" BETWEEN ${from}::date AND ${to}::date
        AND s."customerId" IS NOT NULL AND s.status <> 'REFUNDED'
    ), gaps AS (
      SELECT s."storeId", s."businessDate" - same."businessDate" AS in_store, s."businessDate" - anywhere."businessDate" AS in_any
      FROM s
      LEFT JOIN LATERAL (
        SELECT x."businessDate" FROM "Sale" x
        WHERE x."customerId" = s."customerId" AND x."occurredAt" < s."occurredAt" AND x."storeId" = s."storeId" AND x.status <> 'REFUNDED'
        ORDER BY x."occurredAt" DESC LIMIT 1) same ON true
      LEFT JOIN LATERAL (
        SELECT x."businessDate" FROM "Sale" x
        WHERE x."customerId" = s."customerId" AND x."occurredAt" < s."occurredAt" AND x."storeId" = ANY(${stores}::uuid[]) AND x.status <> 'REFUNDED'
        ORDER BY x."occurredAt" DESC LIMIT 1) anywhere ON true
    ), bucketed AS (
      SELECT "storeId"::text AS store_id, width_bucket(in_store, ${BOUNDS}::int[]) AS bucket FROM gaps WHERE in_store IS NOT NULL
      UNION ALL
      SELECT NULL, width_bucket(in_any, ${BOUNDS}::int[]) FROM gaps WHERE in_any IS NOT NULL
    )
    SELECT store_id, bucket, count(*)::int AS n FROM bucketed GROUP BY store_id, bucket`;

  const byStore = (id: string | null) => (r: { store_id: string | null }) => r.store_id === id;
  const ids: (string | null)[] = [null, ...scope.storeIds];
  return ids.map((storeId) => {
    const t = totals.find(byStore(storeId));
    const r = repurchase.find(byStore(storeId));
    const gaps = intervals.filter(byStore(storeId));
    const gapTotal = gaps.reduce((n, g) => n + g.n, 0);
    const revenue = dec(t?.revenue ?? null);
    const saleCount = t?.sale_count ?? 0;
    const units = t?.units ?? 0;
    const gross = dec(t?.gross ?? null);
    const refunds = dec(t?.refunds ?? null);
    const memberRevenue = dec(t?.member_revenue ?? null);
    return {
      storeId,
      grossSales: gross,
      refunds,
      revenue,
      saleCount,
      refundedSaleCount: t?.refunded_sale_count ?? 0,
      averageSale: saleCount ? revenue.div(saleCount).toDecimalPlaces(2) : ZERO,
      units,
      unitsPerSale: ratio(units, saleCount, 2),
      refundRate: gross.isZero() ? 0 : Number(refunds.div(gross).toFixed(4)),
      customerCount: t?.customers ?? 0,
      newCustomerCount: t?.new_customers ?? 0,
      newCustomerRevenue: dec(t?.new_revenue ?? null),
      returningCustomerRevenue: dec(t?.returning_revenue ?? null),
      anonymousRevenue: dec(t?.anonymous_revenue ?? null),
      memberRevenue,
      memberShare: revenue.isZero() ? 0 : Number(memberRevenue.div(revenue).toFixed(4)),
      repurchaseWithinDays,
      repurchasingCustomers: r?.again ?? 0,
      repurchaseRate: ratio(r?.again ?? 0, r?.buyers ?? 0),
      purchaseIntervals: INTERVAL_BUCKETS.map((b, i) => {
        const count = gaps.find((g) => g.bucket === i + 1)?.n ?? 0;
        return { ...b, count, share: ratio(count, gapTotal) };
      }),
    };
  });
}

/** Lower bounds of the buckets after the first, for width_bucket (bucket i+1 is INTERVAL_BUCKETS[i]). */
const BOUNDS = [0, ...INTERVAL_BUCKETS.slice(1).map((b) => b.minDays)];
