import type { Db } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { type InsightScope, isoDate, withoutJit } from './scope.ts';
import { type SummarySaleRow, summarySaleFigures } from './summary.ts';

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

/** Lower bounds of the buckets after the first, for width_bucket (bucket i+1 is INTERVAL_BUCKETS[i]). */
const BOUNDS = [0, ...INTERVAL_BUCKETS.slice(1).map((b) => b.minDays)];

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
 * The figures of each store and of all of them together, from two statements over the
 * period's sales (the (storeId, businessDate) index): totals, repurchase, intervals. A sale
 * refunded in full is no sale (not counted, its units gone); a partial refund lowers the
 * revenue of the sale's own business date, whenever it was made, as salesByDay does.
 */
export async function kpis(
  db: Db,
  scope: InsightScope,
  repurchaseWithinDays: number,
  options: KpiOptions = { summary: false, customers: true },
): Promise<KpiFigures[]> {
  const from = isoDate(scope.from);
  const to = isoDate(scope.to);
  const stores = scope.storeIds;
  if (options.summary && options.customers && options.customerSummary) {
    const [sales, customers] = await Promise.all([
      summarySaleFigures(db, scope),
      summaryCustomerFigures(db, scope, repurchaseWithinDays, options.customerSummary),
    ]);
    return figuresOf(scope, withCustomerCounts(sales, customers.counts), customers.facts, repurchaseWithinDays);
  }
  // Independent reads: on PostgreSQL they run at once on two connections.
  const [totals, customerRows] = await Promise.all([
    options.summary ? summaryTotals(db, scope, options.customers) : liveTotals(db, from, to, stores),
    options.customers ? customerFacts(db, scope, repurchaseWithinDays) : [],
  ]);
  return figuresOf(scope, totals, customerRows, repurchaseWithinDays);
}

/**
 * How the customer summary (CustomerPurchaseSummary) answers a scope's customer figures: 'store'
 * for one store (its total is the store), 'chain' for every store of the chain when they share
 * one time zone (the chain's neighbours are then in business-date order, as the live figures
 * need them), null otherwise (computed live).
 */
export type CustomerSummaryKind = 'store' | 'chain' | null;

export async function customerSummaryKind(db: Db, scope: InsightScope): Promise<CustomerSummaryKind> {
  if (scope.storeIds.length === 1) return 'store';
  const stores = await db.$queryRaw<{ id: string; timezone: string }[]>`SELECT id::text, timezone FROM "Store"`;
  const mine = new Set(scope.storeIds);
  if (stores.length !== mine.size || stores.some((s) => !mine.has(s.id))) return null;
  return new Set(stores.map((s) => s.timezone)).size === 1 ? 'chain' : null;
}

type CustomerCounts = {
  store_id: string | null;
  customers: number;
  new_customers: number;
  new_revenue: string | null;
  returning_revenue: string | null;
};
type FactRow = { store_id: string | null; kind: string; v: number; n: number };

/**
 * The customer figures from the customer summary: one pass over the period's rows, no ordering.
 * A customer's first purchase of the period in a store is the one whose purchase before it there
 * fell before the period (business dates follow time within a store, and across the chain when
 * its stores share a time zone); they bought again when their next purchase came within N days,
 * on a business date at most N days after the period's end (as the live figures read ahead);
 * each purchase's interval is to the purchase before it, however long ago.
 */
async function summaryCustomerFigures(
  db: Db,
  scope: InsightScope,
  repurchaseWithinDays: number,
  kind: 'store' | 'chain',
): Promise<{ counts: CustomerCounts[]; facts: FactRow[] }> {
  const from = isoDate(scope.from);
  const to = isoDate(scope.to);
  const until = isoDate(new Date(scope.to.getTime() + repurchaseWithinDays * 86_400_000));
  const within = Prisma.sql`make_interval(days => ${repurchaseWithinDays}::int)`;
  const buckets = (column: string) =>
    Prisma.raw(INTERVAL_BUCKETS.map((_, i) => `count(*) FILTER (WHERE x.${column} = ${i + 1})`).join(', '));
  // One aggregate per store (a hash of three groups), the buckets as arrays. "New" compares the
  // customer's first purchase with the instant the period's first business date starts in the
  // store's time zone, computed once per store rather than converting every row.
  const rows = await withoutJit(
    db,
    db.$queryRaw<
      {
        store_id: string;
        store_gaps: number[];
        chain_gaps: number[];
        customers: number;
        new_customers: number;
        again: number;
        chain_customers: number;
        chain_new_customers: number;
        chain_again: number;
        new_revenue: string | null;
        returning_revenue: string | null;
      }[]
    >`
    SELECT x.store_id::text AS store_id,
           array[${buckets('store_gap')}]::int[] AS store_gaps, array[${buckets('chain_gap')}]::int[] AS chain_gaps,
           (count(*) FILTER (WHERE x.first_store))::int AS customers,
           (count(*) FILTER (WHERE x.first_store AND x.is_new))::int AS new_customers,
           (count(*) FILTER (WHERE x.first_store AND x.next_store_at <= x.at + ${within}
             AND x.next_store_date <= ${until}::date))::int AS again,
           (count(*) FILTER (WHERE x.first_chain))::int AS chain_customers,
           (count(*) FILTER (WHERE x.first_chain AND x.is_new))::int AS chain_new_customers,
           (count(*) FILTER (WHERE x.first_chain AND x.next_chain_at <= x.at + ${within}
             AND x.next_chain_date <= ${until}::date))::int AS chain_again,
           sum(x.net) FILTER (WHERE x.is_new)::text AS new_revenue,
           sum(x.net) FILTER (WHERE NOT x.is_new)::text AS returning_revenue
    FROM (
      SELECT f."storeId" AS store_id, f.net, f."occurredAt" AS at,
             f."nextStoreAt" AS next_store_at, f."nextStoreDate" AS next_store_date,
             f."nextChainAt" AS next_chain_at, f."nextChainDate" AS next_chain_date,
             f.purchase AND (f."prevStoreDate" IS NULL OR f."prevStoreDate" < ${from}::date) AS first_store,
             f.purchase AND (f."prevChainDate" IS NULL OR f."prevChainDate" < ${from}::date) AS first_chain,
             CASE WHEN f.purchase AND f."prevStoreDate" IS NOT NULL
               THEN width_bucket(greatest(f."businessDate" - f."prevStoreDate", 0), ${BOUNDS}::int[]) END AS store_gap,
             CASE WHEN f.purchase AND f."prevChainDate" IS NOT NULL
               THEN width_bucket(greatest(f."businessDate" - f."prevChainDate", 0), ${BOUNDS}::int[]) END AS chain_gap,
             (c."firstPurchaseAt" IS NULL OR c."firstPurchaseAt" >= st.day_start) AS is_new
      FROM "CustomerPurchaseSummary" f
      JOIN "Customer" c ON c.id = f."customerId"
      JOIN (
        SELECT st.id, (${from}::timestamp AT TIME ZONE st.timezone) AT TIME ZONE 'UTC' AS day_start FROM "Store" st
      ) st ON st.id = f."storeId"
      WHERE f."storeId" = ANY(${scope.storeIds}::uuid[])
        AND f."businessDate" BETWEEN ${from}::date AND ${to}::date
    ) x
    GROUP BY x.store_id`,
  );
  const counts = new Map<string | null, CustomerCounts>();
  const facts = new Map<string, FactRow>();
  const add = (store: string | null, k: string, v: number, n: number) => {
    if (!n) return;
    const key = `${store} ${k} ${v}`;
    const f = facts.get(key);
    if (f) f.n += n;
    else facts.set(key, { store_id: store, kind: k, v, n });
  };
  const plus = (a: string | null, b: string | null) =>
    a === null ? b : b === null ? a : new Prisma.Decimal(a).add(b).toString();
  const count = (store: string | null, customers: number, fresh: number, r: (typeof rows)[number]) => {
    const c = counts.get(store) ?? {
      store_id: store,
      customers: 0,
      new_customers: 0,
      new_revenue: null,
      returning_revenue: null,
    };
    c.customers += customers;
    c.new_customers += fresh;
    c.new_revenue = plus(c.new_revenue, r.new_revenue);
    c.returning_revenue = plus(c.returning_revenue, r.returning_revenue);
    counts.set(store, c);
  };
  for (const r of rows) {
    count(r.store_id, r.customers, r.new_customers, r);
    add(r.store_id, 'again', 1, r.again);
    add(r.store_id, 'again', 0, r.customers - r.again);
    for (const [i, n] of r.store_gaps.entries()) add(r.store_id, 'gap', i + 1, n);
    // The whole scope: the store's own neighbours when it is the only one, the chain's otherwise.
    const chain = kind === 'chain';
    count(null, chain ? r.chain_customers : r.customers, chain ? r.chain_new_customers : r.new_customers, r);
    add(null, 'again', 1, chain ? r.chain_again : r.again);
    add(null, 'again', 0, chain ? r.chain_customers - r.chain_again : r.customers - r.again);
    for (const [i, n] of (chain ? r.chain_gaps : r.store_gaps).entries()) add(null, 'gap', i + 1, n);
  }
  return { counts: [...counts.values()], facts: [...facts.values()] };
}

export interface KpiOptions {
  /**
   * Sale figures (gross, refunds, counts, units, member and anonymous revenue) from the daily
   * summary (src/insights/summary.ts) rather than the sales; the customer figures stay live.
   */
  summary: boolean;
  /** Compute the customer figures (counts, new/returning, repurchase, intervals): zero when not. */
  customers: boolean;
  /**
   * With `summary`: read the customer figures from the customer summary too ('store', 'chain':
   * see customerSummaryKind); live when null or absent.
   */
  customerSummary?: CustomerSummaryKind;
}

/**
 * The sale figures from the summary, and (when asked) the customer counts and new/returning
 * revenue from the period's sales of known customers, per store and customer (no lines read).
 */
async function summaryTotals(db: Db, scope: InsightScope, customers: boolean): Promise<SaleRow[]> {
  const [sales, byCustomer] = await Promise.all([
    summarySaleFigures(db, scope),
    customers
      ? db.$queryRaw<
          {
            store_id: string | null;
            customers: number;
            new_customers: number;
            new_revenue: string | null;
            returning_revenue: string | null;
          }[]
        >`
    WITH c AS (
      SELECT s."storeId", s."customerId",
             bool_or(c."firstPurchaseAt" IS NULL OR (c."firstPurchaseAt" AT TIME ZONE 'UTC' AT TIME ZONE
               st.timezone)::date >= ${isoDate(scope.from)}::date) AS is_new,
             sum(s.total - s."refundedTotal") AS net,
             count(*) FILTER (WHERE s.status <> 'REFUNDED') AS sales
      FROM "Sale" s
      JOIN "Store" st ON st.id = s."storeId"
      LEFT JOIN "Customer" c ON c.id = s."customerId"
      WHERE s."storeId" = ANY(${scope.storeIds}::uuid[])
        AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date
        AND s."customerId" IS NOT NULL
      GROUP BY s."storeId", s."customerId"
    )
    SELECT c."storeId"::text AS store_id,
           (count(DISTINCT c."customerId") FILTER (WHERE c.sales > 0))::int AS customers,
           (count(DISTINCT c."customerId") FILTER (WHERE c.is_new AND c.sales > 0))::int AS new_customers,
           (sum(c.net) FILTER (WHERE c.is_new))::text AS new_revenue,
           (sum(c.net) FILTER (WHERE NOT c.is_new))::text AS returning_revenue
    FROM c GROUP BY GROUPING SETS ((c."storeId"), ())`
      : [],
  ]);
  return withCustomerCounts(sales, byCustomer);
}

/** Each store's (and the total's, store_id null) sale figures with its customer counts beside them. */
function withCustomerCounts(sales: SummarySaleRow[], counts: CustomerCounts[]): SaleRow[] {
  return sales.map((t) => {
    const c = counts.find((r) => r.store_id === t.store_id);
    return {
      ...t,
      customers: c?.customers ?? 0,
      new_customers: c?.new_customers ?? 0,
      new_revenue: c?.new_revenue ?? null,
      returning_revenue: c?.returning_revenue ?? null,
    };
  });
}

async function liveTotals(db: Db, from: string, to: string, stores: string[]) {
  // New: the customer's first purchase anywhere in the chain (Customer.firstPurchaseAt, which
  // includes imported history and is rebuilt after a merge) falls on or after the period's first
  // business date in the store of the sale.
  // Sales are first summed per store and customer (a hash aggregate of the period's sales, no
  // sort), so that the distinct customers are counted over those rows, not over every sale; each
  // sale's units and each customer's first purchase are looked up by key (a seek per sale and per
  // customer: the planner otherwise scanned every line and every customer, most of the time a
  // week took).
  const totals = await withoutJit(
    db,
    db.$queryRaw<SaleRow[]>`
    WITH g AS (
      SELECT s."storeId", s."customerId",
             sum(s.total) AS gross, sum(s."refundedTotal") AS refunds, sum(s.total - s."refundedTotal") AS net,
             count(*) FILTER (WHERE s.status <> 'REFUNDED') AS sales,
             count(*) FILTER (WHERE s."refundedTotal" > 0) AS refunded_sales,
             sum(s.total - s."refundedTotal") FILTER (WHERE s."memberId" IS NOT NULL) AS member_net,
             sum(l.units) AS units
      FROM "Sale" s
      CROSS JOIN LATERAL (
        SELECT sum(sl.quantity - sl."refundedQuantity") AS units FROM "SaleLine" sl WHERE sl."saleId" = s.id
      ) l
      WHERE s."storeId" = ANY(${stores}::uuid[]) AND s."businessDate" BETWEEN ${from}::date AND ${to}::date
      GROUP BY s."storeId", s."customerId"
    ), c AS (
      SELECT g.*,
             CASE WHEN g."customerId" IS NULL THEN NULL ELSE coalesce((
               SELECT cu."firstPurchaseAt" IS NULL OR (cu."firstPurchaseAt" AT TIME ZONE 'UTC' AT TIME ZONE
                 st.timezone)::date >= ${from}::date
               FROM "Customer" cu WHERE cu.id = g."customerId"), true)
             END AS is_new
      FROM g JOIN "Store" st ON st.id = g."storeId"
    ), t AS (
      SELECT c."storeId",
             sum(c.gross) AS gross, sum(c.refunds) AS refunds, sum(c.net) AS revenue,
             sum(c.sales) AS sale_count, sum(c.refunded_sales) AS refunded_sale_count, sum(c.units) AS units,
             count(DISTINCT c."customerId") FILTER (WHERE c.sales > 0) AS customers,
             count(DISTINCT c."customerId") FILTER (WHERE c.is_new AND c.sales > 0) AS new_customers,
             sum(c.net) FILTER (WHERE c.is_new) AS new_revenue,
             sum(c.net) FILTER (WHERE NOT c.is_new) AS returning_revenue,
             sum(c.net) FILTER (WHERE c."customerId" IS NULL) AS anonymous_revenue,
             sum(c.member_net) AS member_revenue
      FROM c GROUP BY GROUPING SETS ((c."storeId"), ())
    )
    SELECT t."storeId"::text AS store_id, t.gross::text, t.refunds::text, t.revenue::text,
           t.sale_count::int, t.refunded_sale_count::int, coalesce(t.units, 0)::int AS units,
           t.customers::int, t.new_customers::int, t.new_revenue::text, t.returning_revenue::text,
           t.anonymous_revenue::text, t.member_revenue::text
    FROM t`,
  );
  return totals;
}

async function customerFacts(db: Db, scope: InsightScope, repurchaseWithinDays: number) {
  const stores = scope.storeIds;
  const from = isoDate(scope.from);
  const to = isoDate(scope.to);
  // One pass over the customers' sales from the period's start to N days after its end, in
  // each customer's order (per store, and across the stores):
  // - 复购率: of the customers with a purchase in the period, those whose next purchase after
  //   their first one of the period (same store; for the total, any of the stores) came within N
  //   days, which may be after the period's end;
  // - purchase intervals: for each purchase in the period, business days since the same
  //   customer's purchase before it, however long ago (looked up before the period only for a
  //   customer's first purchase of it).
  // A sale refunded in full is no purchase.
  const until = isoDate(new Date(scope.to.getTime() + repurchaseWithinDays * 86_400_000));
  const customerRows = await withoutJit(
    db,
    db.$queryRaw<{ store_id: string | null; kind: string; v: number; n: number }[]>`
    WITH s AS (
      SELECT s."storeId", s."customerId", s."occurredAt", s."businessDate"
      FROM "Sale" s
      WHERE s."storeId" = ANY(${stores}::uuid[]) AND s."businessDate" BETWEEN ${from}::date AND ${until}::date
        AND s."customerId" IS NOT NULL AND s.status <> 'REFUNDED'
    ), w AS (
      SELECT s.*,
             lag(s."businessDate") OVER in_store AS prev_store, lead(s."occurredAt") OVER in_store AS next_store,
             row_number() OVER in_store AS n_store,
             lag(s."businessDate") OVER in_any AS prev_any, lead(s."occurredAt") OVER in_any AS next_any,
             row_number() OVER in_any AS n_any
      FROM s
      WINDOW in_store AS (PARTITION BY s."customerId", s."storeId" ORDER BY s."occurredAt"),
             in_any AS (PARTITION BY s."customerId" ORDER BY s."occurredAt")
    ), p AS (
      SELECT * FROM w WHERE w."businessDate" <= ${to}::date
    ), first_store AS (
      SELECT p."storeId", p."businessDate", p."occurredAt", p.next_store, (
        SELECT x."businessDate" FROM "Sale" x
        WHERE x."customerId" = p."customerId" AND x."storeId" = p."storeId" AND x."occurredAt" < p."occurredAt"
          AND x.status <> 'REFUNDED'
        ORDER BY x."occurredAt" DESC LIMIT 1) AS before
      FROM p WHERE p.n_store = 1
    ), first_any AS (
      SELECT p."businessDate", p."occurredAt", p.next_any, (
        SELECT x."businessDate" FROM "Sale" x
        WHERE x."customerId" = p."customerId" AND x."storeId" = ANY(${stores}::uuid[]) AND x."occurredAt" <
          p."occurredAt"
          AND x.status <> 'REFUNDED'
        ORDER BY x."occurredAt" DESC LIMIT 1) AS before
      FROM p WHERE p.n_any = 1
    ), facts AS (
      SELECT "storeId"::text AS store_id, 'again' AS kind,
             (next_store IS NOT NULL AND next_store <= "occurredAt" + make_interval(days =>
               ${repurchaseWithinDays}::int))::int AS v
      FROM first_store
      UNION ALL
      SELECT NULL, 'again', (next_any IS NOT NULL AND next_any <= "occurredAt" + make_interval(days =>
        ${repurchaseWithinDays}::int))::int
      FROM first_any
      UNION ALL
      SELECT "storeId"::text, 'gap', width_bucket(greatest("businessDate" - prev_store, 0), ${BOUNDS}::int[]) FROM p
        WHERE n_store > 1
      UNION ALL
      SELECT "storeId"::text, 'gap', width_bucket(greatest("businessDate" - before, 0), ${BOUNDS}::int[]) FROM
        first_store WHERE before IS NOT NULL
      UNION ALL
      SELECT NULL, 'gap', width_bucket(greatest("businessDate" - prev_any, 0), ${BOUNDS}::int[]) FROM p WHERE n_any > 1
      UNION ALL
      SELECT NULL, 'gap', width_bucket(greatest("businessDate" - before, 0), ${BOUNDS}::int[]) FROM first_any WHERE
        before IS NOT NULL
    )
    SELECT store_id, kind, v, count(*)::int AS n FROM facts GROUP BY store_id, kind, v`,
  );
  return customerRows;
}

function figuresOf(
  scope: InsightScope,
  totals: SaleRow[],
  customerRows: { store_id: string | null; kind: string; v: number; n: number }[],
  repurchaseWithinDays: number,
): KpiFigures[] {
  const byStore = (id: string | null) => (r: { store_id: string | null }) => r.store_id === id;
  const ids: (string | null)[] = [null, ...scope.storeIds];
  return ids.map((storeId) => {
    const t = totals.find(byStore(storeId));
    const mine = customerRows.filter(byStore(storeId));
    const buyers = mine.filter((f) => f.kind === 'again').reduce((n, f) => n + f.n, 0);
    const again = mine.find((f) => f.kind === 'again' && f.v === 1)?.n ?? 0;
    const gaps = mine.filter((f) => f.kind === 'gap');
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
      repurchasingCustomers: again,
      repurchaseRate: ratio(again, buyers),
      purchaseIntervals: INTERVAL_BUCKETS.map((b, i) => {
        const count = gaps.find((g) => g.v === i + 1)?.n ?? 0;
        return { ...b, count, share: ratio(count, gapTotal) };
      }),
    };
  });
}
