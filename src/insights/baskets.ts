import type { Db } from '../db/tx.ts';
import { InvalidInputError } from '../errors/index.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { bounded, type InsightScope, isoDate, withoutJit } from './scope.ts';

export type BasketLevel = 'PRODUCT' | 'CATEGORY';
export type BasketOrder = 'SUPPORT' | 'CONFIDENCE' | 'LIFT';

/** Baskets and sequences join sales with sales: their period is shorter than the others'. */
export const MAX_BASKET_DAYS = 92;
/**
 * Pairs of SKUs (thousands of items, so many more pairs than of categories) take at most this
 * many days: at the benchmark's size a quarter of them took more than 2 s (docs/benchmarks.md).
 */
export const MAX_DETAILED_BASKET_DAYS = 62;
/**
 * Sequences read the period and the window after it, and join each customer's first purchases
 * with their later ones: the cost grows with the period times the window. The two together may
 * span at most this many days (INSIGHT_SEQUENCE_SPAN otherwise): a month with the default
 * two-week window. At the benchmark's size 62 days with a 90-day window took 5–6 s, the worst
 * case within 45 days (a month and two weeks) about 1 s (docs/benchmarks.md, 2026-12-02).
 */
export const MAX_SEQUENCE_SPAN_DAYS = 45;

/** The longest period basketPairs takes, by level. */
export const maxPairDays = (level: BasketLevel) => (level === 'CATEGORY' ? MAX_BASKET_DAYS : MAX_DETAILED_BASKET_DAYS);

export interface BasketItem {
  productId: string | null;
  sku: string | null;
  name: string;
  category: string;
}

export interface BasketPair {
  a: BasketItem;
  b: BasketItem;
  sales: number;
  support: number;
  confidenceAToB: number;
  confidenceBToA: number;
  lift: number;
}

/**
 * Item of a line: the product's id, or its category. Items of a sale are distinct (a basket with
 * two lines of one SKU holds it once) unless `distinct` is false, for a reader that counts
 * distinct customers anyway; refunded lines are not in the basket, and a sale refunded in full is
 * no basket.
 */
function basketItems(scope: InsightScope, level: BasketLevel, extra = Prisma.empty, distinct = true) {
  // A product stays a uuid (hashed and compared faster than its text); Prisma reads it back as a string.
  const item = level === 'PRODUCT' ? Prisma.sql`sl."productId"` : Prisma.sql`p.category`;
  return Prisma.sql`
    SELECT ${distinct ? Prisma.sql`DISTINCT` : Prisma.empty} s.id AS sale, ${item} AS item ${extra}
    FROM "Sale" s JOIN "SaleLine" sl ON sl."saleId" = s.id
    ${level === 'CATEGORY' ? Prisma.sql`JOIN "Product" p ON p.id = sl."productId"` : Prisma.empty}
    WHERE s."storeId" = ANY(${scope.storeIds}::uuid[])
      AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date
      AND s.status <> 'REFUNDED' AND sl.quantity > sl."refundedQuantity"`;
}

/**
 * The same rows from the summary's baskets (SaleBasketSummary: sales not refunded in full, each
 * with the distinct products of its lines not refunded in full), without reading a line: a
 * product is there once per basket already; a category is the product's current one, as live.
 */
function summaryBasketItems(scope: InsightScope, level: BasketLevel, extra = Prisma.empty, distinct = true) {
  const where = Prisma.sql`s."storeId" = ANY(${scope.storeIds}::uuid[])
      AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date`;
  if (level === 'PRODUCT')
    return Prisma.sql`
      SELECT s."saleId" AS sale, u.item ${extra}
      FROM "SaleBasketSummary" s CROSS JOIN unnest(s.products) AS u(item)
      WHERE ${where}`;
  return Prisma.sql`
    SELECT ${distinct ? Prisma.sql`DISTINCT` : Prisma.empty} s."saleId" AS sale, p.category AS item ${extra}
    FROM "SaleBasketSummary" s CROSS JOIN unnest(s.products) AS u(item) JOIN "Product" p ON p.id = u.item
    WHERE ${where}`;
}

async function describe(db: Db, level: BasketLevel, items: string[]): Promise<Map<string, BasketItem>> {
  if (level === 'CATEGORY') return new Map(items.map((c) => [c, { productId: null, sku: null, name: c, category: c }]));
  const products = await db.product.findMany({
    where: { id: { in: items } },
    select: { id: true, sku: true, name: true, category: true },
  });
  return new Map(products.map((p) => [p.id, { productId: p.id, sku: p.sku, name: p.name, category: p.category }]));
}

const PAIR_ORDER: Record<BasketOrder, Prisma.Sql> = {
  SUPPORT: Prisma.sql`both_n DESC, lift DESC`,
  CONFIDENCE: Prisma.sql`greatest(pairs.both_n::float8 / ca.n, pairs.both_n::float8 / cb.n) DESC, both_n DESC`,
  LIFT: Prisma.sql`lift DESC, both_n DESC`,
};

/**
 * Pairs of items bought in the same sale, over the sales of the period with at least one item:
 *   support(A,B) = sales with A and B ÷ sales;  confidence(A→B) = sales with A and B ÷ sales with A;
 *   lift = confidence(A→B) ÷ (sales with B ÷ sales).
 * Items whose own support is under minSupport cannot be in a pair that reaches it, so they are
 * dropped before the sales are joined with themselves (the Apriori rule).
 */
export async function basketPairs(
  db: Db,
  scope: InsightScope,
  level: BasketLevel,
  minSupport: number,
  orderBy: BasketOrder,
  first: number,
  summary = false,
): Promise<BasketPair[]> {
  if (summary && level === 'PRODUCT') return summaryProductPairs(db, scope, minSupport, orderBy, first);
  if (summary) return summaryCategoryPairs(db, scope, minSupport, orderBy, first);
  const rows = await db.$queryRaw<PairRow[]>`
    WITH t AS (${basketItems(scope, level)}),
    n AS (SELECT count(DISTINCT sale)::int AS total FROM t),
    c AS (SELECT item, count(*)::int AS n FROM t GROUP BY item),
    f AS (SELECT t.sale, t.item FROM t JOIN c ON c.item = t.item WHERE c.n >= ${minSupport}::float8 * (SELECT total
      FROM n)),
    pairs AS (
      SELECT x.item AS a, y.item AS b, count(*)::int AS both_n
      FROM f x JOIN f y ON y.sale = x.sale AND y.item > x.item
      GROUP BY x.item, y.item
      HAVING count(*) >= ${minSupport}::float8 * (SELECT total FROM n)
    )
    ${pairsWithLift(orderBy, first)}`;
  return pairsOf(db, level, rows);
}

type PairRow = { a: string; b: string; both_n: number; a_n: number; b_n: number; total: number };

/** The last step of both pair queries: from CTEs n (baskets), c (baskets per item) and pairs, each pair's lift. */
const pairsWithLift = (orderBy: BasketOrder, first: number) => Prisma.sql`
    SELECT pairs.a, pairs.b, pairs.both_n, ca.n AS a_n, cb.n AS b_n, n.total,
           (pairs.both_n::float8 * n.total) / (ca.n::float8 * cb.n) AS lift
    FROM pairs JOIN c ca ON ca.item = pairs.a JOIN c cb ON cb.item = pairs.b CROSS JOIN n
    ORDER BY ${PAIR_ORDER[orderBy]}, pairs.a, pairs.b
    LIMIT ${first}`;

/**
 * The same SKU pairs from the summary's baskets: each basket's products are an array already, so
 * a basket's pairs come from the array itself instead of joining the period's items with
 * themselves; the pairs under the minimum support are left out by the same HAVING (a pair can
 * reach it only when both its items do).
 */
async function summaryProductPairs(
  db: Db,
  scope: InsightScope,
  minSupport: number,
  orderBy: BasketOrder,
  first: number,
): Promise<BasketPair[]> {
  const baskets = Prisma.sql`
    SELECT s.products AS items FROM "SaleBasketSummary" s
    WHERE s."storeId" = ANY(${scope.storeIds}::uuid[])
      AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date`;
  const rows = await withoutJit(
    db,
    db.$queryRaw<PairRow[]>`
    WITH bk AS (${baskets}),
    n AS (SELECT count(*)::int AS total FROM bk),
    c AS (SELECT x.item, count(*)::int AS n FROM bk CROSS JOIN unnest(bk.items) AS x(item) GROUP BY x.item),
    pairs AS (
      SELECT x.item AS a, y.item AS b, count(*)::int AS both_n
      FROM bk CROSS JOIN unnest(bk.items) AS x(item) CROSS JOIN unnest(bk.items) AS y(item)
      WHERE y.item > x.item
      GROUP BY x.item, y.item
      HAVING count(*) >= ${minSupport}::float8 * (SELECT total FROM n)
    )
    ${pairsWithLift(orderBy, first)}`,
  );
  return pairsOf(db, 'PRODUCT', rows);
}

/**
 * Category pairs from the summary's days (CategoryPairDaySummary): each day's baskets holding both
 * categories, and each category alone, summed over the period. Only while no category changed
 * since the last run (categoryPairsSettled); the caller reads them live otherwise.
 */
async function summaryCategoryPairs(
  db: Db,
  scope: InsightScope,
  minSupport: number,
  orderBy: BasketOrder,
  first: number,
): Promise<BasketPair[]> {
  const days = Prisma.sql`d."storeId" = ANY(${scope.storeIds}::uuid[])
      AND d."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date`;
  const rows = await db.$queryRaw<PairRow[]>`
    WITH d AS (
      SELECT d.a, d.b, sum(d.baskets)::int AS n FROM "CategoryPairDaySummary" d WHERE ${days} GROUP BY d.a, d.b
    ),
    n AS (SELECT count(*)::int AS total FROM "SaleBasketSummary" d WHERE ${days}),
    c AS (SELECT d.a AS item, d.n FROM d WHERE d.a = d.b),
    pairs AS (
      SELECT d.a, d.b, d.n AS both_n FROM d
      WHERE d.a < d.b AND d.n >= ${minSupport}::float8 * (SELECT total FROM n)
    )
    ${pairsWithLift(orderBy, first)}`;
  return pairsOf(db, 'CATEGORY', rows);
}

/** Whether category pairs may be read from the summary: no product changed category since its last run. */
export async function categoryPairsSettled(db: Db): Promise<boolean> {
  const [r] = await db.$queryRaw<{ changed: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM "SalesSummaryCategoryChange") AS changed`;
  return !r!.changed;
}

async function pairsOf(db: Db, level: BasketLevel, rows: PairRow[]): Promise<BasketPair[]> {
  const items = await describe(db, level, [...new Set(rows.flatMap((r) => [r.a, r.b]))]);
  const round = (x: number) => Number(x.toFixed(4));
  return rows.map((r) => ({
    a: items.get(r.a)!,
    b: items.get(r.b)!,
    sales: r.both_n,
    support: round(r.both_n / r.total),
    confidenceAToB: round(r.both_n / r.a_n),
    confidenceBToA: round(r.both_n / r.b_n),
    lift: round((r.both_n * r.total) / (r.a_n * r.b_n)),
  }));
}

export interface PurchaseSequence {
  bought: BasketItem;
  thenBought: BasketItem;
  /** Customers who bought `bought` in the period and `thenBought` in a later sale within the window. */
  customers: number;
  /** Customers who bought `bought` in the period. */
  firstBuyers: number;
  share: number;
}

/**
 * The days a sequence query reads, its period and the window after it, within
 * MAX_SEQUENCE_SPAN_DAYS; the window's own bounds first. Returns the window.
 */
export function sequenceWindow(scope: InsightScope, withinDays: number): number {
  const window = bounded('withinDays', withinDays, 1, MAX_SEQUENCE_SPAN_DAYS - 1);
  if (scope.days + window > MAX_SEQUENCE_SPAN_DAYS)
    throw new InvalidInputError(
      'INSIGHT_SEQUENCE_SPAN',
      { max: MAX_SEQUENCE_SPAN_DAYS, days: scope.days, window, longest: MAX_SEQUENCE_SPAN_DAYS - window },
      ['withinDays'],
    );
  return window;
}

/**
 * "Bought A, then B within N days": for each customer and item A, their first purchase of A in
 * the period; B counts when the same customer bought it in a later sale (at the scope's stores)
 * at most N days after, which may fall after the period's end. A and B differ (buying A again
 * is the repurchase rate's business). share = customers ÷ customers who bought A. The caller
 * checks the span (sequenceWindow).
 */
export async function purchaseSequences(
  db: Db,
  scope: InsightScope,
  level: BasketLevel,
  withinDays: number,
  minCustomers: number,
  first: number,
  summary = false,
): Promise<PurchaseSequence[]> {
  const extended = { ...scope, to: new Date(scope.to.getTime() + withinDays * 86_400_000) };
  const extra = Prisma.sql`, s."customerId", s."occurredAt", s."businessDate"`;
  // Items repeated within a sale change nothing here (first purchases are a minimum, customers
  // are counted distinct), so the items are not made distinct first: at the benchmark's size
  // that saved up to two fifths of a category statement (docs/benchmarks.md).
  const lines = summary
    ? summaryBasketItems(extended, level, extra, false)
    : basketItems(extended, level, extra, false);
  const statement = db.$queryRaw<{ a: string; b: string; customers: number; buyers: number }[]>`
    WITH t AS (${lines}),
    fa AS (
      SELECT "customerId", item, min("occurredAt") AS at FROM t
      WHERE "customerId" IS NOT NULL AND "businessDate" <= ${isoDate(scope.to)}::date
      GROUP BY "customerId", item
    ),
    buyers AS (SELECT item, count(*)::int AS n FROM fa GROUP BY item),
    seq AS (
      SELECT fa.item AS a, t.item AS b, count(DISTINCT fa."customerId")::int AS customers
      FROM fa JOIN t ON t."customerId" = fa."customerId" AND t."occurredAt" > fa.at
        AND t."occurredAt" <= fa.at + make_interval(days => ${withinDays}::int) AND t.item <> fa.item
      GROUP BY fa.item, t.item
      HAVING count(DISTINCT fa."customerId") >= ${minCustomers}
    )
    SELECT seq.a, seq.b, seq.customers, buyers.n AS buyers
    FROM seq JOIN buyers ON buyers.item = seq.a
    ORDER BY seq.customers DESC, seq.customers::float8 / buyers.n DESC, seq.a, seq.b
    LIMIT ${first}`;
  const rows = summary ? await withoutJit(db, statement) : await statement;
  const items = await describe(db, level, [...new Set(rows.flatMap((r) => [r.a, r.b]))]);
  return rows.map((r) => ({
    bought: items.get(r.a)!,
    thenBought: items.get(r.b)!,
    customers: r.customers,
    firstBuyers: r.buyers,
    share: Number((r.customers / r.buyers).toFixed(4)),
  }));
}
