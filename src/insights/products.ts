import type { Db } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { type InsightScope, isoDate, withoutJit } from './scope.ts';
import { productSummaryRows, settledThrough } from './summary.ts';

export type ProductRankingOrder = 'UNITS' | 'REVENUE' | 'MARGIN';
export type StockInsightOrder = 'DAYS_OF_COVER' | 'TURNOVER' | 'SLOW' | 'REORDER';

export interface ReorderOptions {
  /** Days between ordering and the goods on the shelf. */
  leadTimeDays: number;
  /** Days of sales kept as safety stock on top of the lead time's. */
  safetyDays: number;
  /** Days of sales an order should cover once it arrives. */
  coverDays: number;
}

/** Top customers: the N with the highest net spend in the period at the scope's stores. */
function topCustomers(scope: InsightScope, n: number) {
  return Prisma.sql`
    SELECT s."customerId" FROM "Sale" s
    WHERE s."storeId" = ANY(${scope.storeIds}::uuid[])
      AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date
      AND s."customerId" IS NOT NULL
    GROUP BY s."customerId"
    HAVING sum(s.total - s."refundedTotal") > 0
    ORDER BY sum(s.total - s."refundedTotal") DESC, s."customerId"
    LIMIT ${n}`;
}

const periodLines = (scope: InsightScope) => Prisma.sql`
  s."storeId" = ANY(${scope.storeIds}::uuid[])
  AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date`;

const RANKING_ORDER: Record<ProductRankingOrder, Prisma.Sql> = {
  UNITS: Prisma.sql`a.units DESC, a.revenue DESC`,
  REVENUE: Prisma.sql`a.revenue DESC, a.units DESC`,
  MARGIN: Prisma.sql`a.revenue_with_cost - a.cost DESC NULLS LAST, a.revenue DESC`,
};

export interface ProductRank {
  productId: string;
  sku: string;
  name: string;
  category: string;
  units: number;
  revenue: Prisma.Decimal;
  cost: Prisma.Decimal | null;
  margin: Prisma.Decimal | null;
  marginRate: number | null;
  saleCount: number;
  topCustomerBuyers: number;
}

type RankRow = {
  id: string;
  sku: string;
  name: string;
  category: string;
  units: number;
  revenue: string;
  cost: string | null;
  revenue_with_cost: string | null;
  sales: number;
  top_buyers: number;
};

/**
 * The ranking from the daily summary's product days; how many top customers bought each of the
 * products ranked is counted live, from those customers' sales of the period only.
 */
async function rankingFromSummary(
  db: Db,
  scope: InsightScope,
  orderBy: ProductRankingOrder,
  first: number,
  top: number,
): Promise<RankRow[]> {
  const rows = await db.$queryRaw<RankRow[]>`
    WITH a AS (
      SELECT d."productId", sum(d.units)::int AS units, sum(d.revenue) AS revenue,
             sum(d."revenueWithCost") AS revenue_with_cost, sum(d.cost) AS cost, sum(d."saleCount")::int AS sales
      FROM (${productSummaryRows(scope)}) d
      GROUP BY d."productId"
    )
    SELECT p.id::text, p.sku, p.name, p.category, a.units, a.revenue::text, a.cost::text,
           a.revenue_with_cost::text, a.sales, 0 AS top_buyers
    FROM a JOIN "Product" p ON p.id = a."productId"
    ORDER BY ${RANKING_ORDER[orderBy]}, p.sku
    LIMIT ${first}`;
  if (!rows.length) return rows;
  const buyers = await db.$queryRaw<{ id: string; n: number }[]>`
    WITH top AS (${topCustomers(scope, top)})
    SELECT sl."productId"::text AS id, count(DISTINCT s."customerId")::int AS n
    FROM "Sale" s JOIN "SaleLine" sl ON sl."saleId" = s.id
    WHERE ${periodLines(scope)} AND s."customerId" IN (SELECT "customerId" FROM top)
      AND sl.quantity > sl."refundedQuantity" AND sl."productId" = ANY(${rows.map((r) => r.id)}::uuid[])
    GROUP BY sl."productId"`;
  const byId = new Map(buyers.map((b) => [b.id, b.n]));
  return rows.map((r) => ({ ...r, top_buyers: byId.get(r.id) ?? 0 }));
}

/**
 * Products of the period by net units, net revenue or margin. A line's revenue is its total less
 * what its refunds returned (exactly, from the refund lines); its units are those not refunded.
 * Margin counts only lines whose cost was known when sold (SaleLine.unitCost): revenue of those
 * lines less unitCost × units.
 */
export async function productRanking(
  db: Db,
  scope: InsightScope,
  orderBy: ProductRankingOrder,
  first: number,
  top: number,
  options: { summary: boolean } = { summary: false },
): Promise<ProductRank[]> {
  const rows = options.summary
    ? await rankingFromSummary(db, scope, orderBy, first, top)
    : await db.$queryRaw<RankRow[]>`
    WITH l AS (
      SELECT sl."productId", sl."saleId", s."customerId", sl.quantity - sl."refundedQuantity" AS units, sl."unitCost",
             sl.total - CASE WHEN sl."refundedQuantity" > 0 THEN coalesce((
               SELECT sum(rl.amount) FROM "Refund" r JOIN "RefundLine" rl ON rl."refundId" = r.id
               WHERE r."saleId" = sl."saleId" AND rl."saleLineId" = sl.id), 0) ELSE 0 END AS revenue
      FROM "Sale" s JOIN "SaleLine" sl ON sl."saleId" = s.id
      WHERE ${periodLines(scope)}
    ), top AS (${topCustomers(scope, top)}),
    a AS (
      SELECT l."productId", sum(l.units)::int AS units, sum(l.revenue) AS revenue,
             sum(l.revenue) FILTER (WHERE l."unitCost" IS NOT NULL) AS revenue_with_cost,
             sum(l."unitCost" * l.units) AS cost,
             (count(DISTINCT l."saleId") FILTER (WHERE l.units > 0))::int AS sales,
             (count(DISTINCT l."customerId") FILTER (WHERE l.units > 0 AND l."customerId" IN (SELECT "customerId"
               FROM top)))::int AS top_buyers
      FROM l GROUP BY l."productId"
    )
    SELECT p.id::text, p.sku, p.name, p.category, a.units, a.revenue::text, a.cost::text,
           a.revenue_with_cost::text, a.sales, a.top_buyers
    FROM a JOIN "Product" p ON p.id = a."productId"
    ORDER BY ${RANKING_ORDER[orderBy]}, p.sku
    LIMIT ${first}`;
  return rows.map((r) => {
    const revenue = new Prisma.Decimal(r.revenue);
    const cost = r.cost === null ? null : new Prisma.Decimal(r.cost);
    const withCost = r.revenue_with_cost === null ? null : new Prisma.Decimal(r.revenue_with_cost);
    const margin = cost && withCost ? withCost.sub(cost) : null;
    return {
      productId: r.id,
      sku: r.sku,
      name: r.name,
      category: r.category,
      units: r.units,
      revenue,
      cost,
      margin,
      marginRate: margin && withCost && !withCost.isZero() ? Number(margin.div(withCost).toFixed(4)) : null,
      saleCount: r.sales,
      topCustomerBuyers: r.top_buyers,
    };
  });
}

export interface StockInsight {
  storeId: string;
  storeCode: string;
  productId: string;
  sku: string;
  name: string;
  category: string;
  onHand: number;
  unitsSold: number;
  dailyVelocity: number;
  turnover: number | null;
  daysOfCover: number | null;
  lastSoldOn: Date | null;
  configuredReorderPoint: number;
  reorderPoint: number;
  suggestedOrderQuantity: number;
  boughtByTopCustomers: boolean;
}

/**
 * Net units sold per store and product in the period and the last day each sold (a line with a unit
 * not refunded). Once the summary is built (`summaryAsOf`), the days it has settled and that are not
 * marked dirty come from ProductDaySummary, and only the others (the last few days, the marked ones)
 * from the lines: the live figures, exactly, from a few days' lines.
 */
function soldInPeriod(scope: InsightScope, summaryAsOf: Date | null): Prisma.Sql {
  const lines = (where: Prisma.Sql) => Prisma.sql`
    SELECT s."storeId", sl."productId", sl.quantity - sl."refundedQuantity" AS units,
           CASE WHEN sl.quantity > sl."refundedQuantity" THEN s."businessDate" END AS sold_on
    FROM "Sale" s JOIN "SaleLine" sl ON sl."saleId" = s.id
    WHERE s."storeId" = ANY(${scope.storeIds}::uuid[]) AND ${where}`;
  const sum = (rows: Prisma.Sql) => Prisma.sql`
    SELECT u."storeId", u."productId", sum(u.units)::int AS units, max(u.sold_on) AS last_sold
    FROM (${rows}) u GROUP BY u."storeId", u."productId"`;
  const from = isoDate(scope.from);
  const to = isoDate(scope.to);
  const settled = summaryAsOf && isoDate(new Date(Math.min(settledThrough(summaryAsOf).getTime(), scope.to.getTime())));
  if (!settled || settled < from) return sum(lines(Prisma.sql`s."businessDate" BETWEEN ${from}::date AND ${to}::date`));
  const marked = Prisma.sql`
    SELECT m."storeId", m."businessDate" FROM "SalesSummaryDirtyDay" m
    WHERE m."storeId" = ANY(${scope.storeIds}::uuid[]) AND m."businessDate" BETWEEN ${from}::date AND ${settled}::date`;
  return sum(Prisma.sql`
    SELECT d."storeId", d."productId", d.units, CASE WHEN d."saleCount" > 0 THEN d."businessDate" END AS sold_on
    FROM "ProductDaySummary" d
    WHERE d."storeId" = ANY(${scope.storeIds}::uuid[]) AND d."businessDate" BETWEEN ${from}::date AND ${settled}::date
      AND (d."storeId", d."businessDate") NOT IN (${marked})
    UNION ALL
    ${lines(Prisma.sql`s."businessDate" > ${settled}::date AND s."businessDate" <= ${to}::date`)}
    UNION ALL
    ${lines(Prisma.sql`(s."storeId", s."businessDate") IN (${marked})`)}`);
}

const STOCK_ORDER: Record<StockInsightOrder, { where: Prisma.Sql; order: Prisma.Sql }> = {
  DAYS_OF_COVER: { where: Prisma.sql`x.units > 0`, order: Prisma.sql`x.days_of_cover ASC, x.units DESC` },
  TURNOVER: { where: Prisma.sql`x."onHand" > 0`, order: Prisma.sql`x.turnover DESC` },
  SLOW: { where: Prisma.sql`x."onHand" > 0`, order: Prisma.sql`x.units ASC, x."onHand" DESC` },
  REORDER: {
    where: Prisma.sql`x.units > 0 AND x."onHand" <= x.reorder_point`,
    order: Prisma.sql`x.days_of_cover ASC, x.units DESC`,
  },
};

/**
 * Each SKU's stock in each store against its sales in the period (active products with a stock
 * level there):
 *   velocity = net units sold ÷ days of the period;
 *   turnover = net units sold ÷ units on hand now (the period's sales over current stock);
 *   days of cover = on hand ÷ velocity;
 *   reorder point = ⌈velocity × (lead time + safety days)⌉;
 *   suggested order = ⌈velocity × cover days⌉ + reorder point − on hand, when on hand ≤ the reorder point.
 * `order` picks and orders the rows: lowest cover first, highest turnover, slow movers (stock on
 * hand, fewest sold), or the reorder suggestions.
 */
export async function stockInsights(
  db: Db,
  scope: InsightScope,
  order: StockInsightOrder,
  options: ReorderOptions,
  first: number,
  top: number,
  summaryAsOf: Date | null,
): Promise<StockInsight[]> {
  const { where, order: orderBy } = STOCK_ORDER[order];
  // Without JIT: the EXISTS per row makes the plan look costly enough to compile, which took
  // longer than the whole statement (2.9 s against 0.5 s for 28 days at the benchmark's size).
  const rows = await withoutJit(
    db,
    db.$queryRaw<
      {
        store_id: string;
        store_code: string;
        product_id: string;
        sku: string;
        name: string;
        category: string;
        onHand: number;
        units: number;
        velocity: string;
        turnover: string | null;
        days_of_cover: string | null;
        last_sold: Date | null;
        configured: number;
        reorder_point: number;
        suggested: number;
        top_item: boolean;
      }[]
    >`
    WITH sold AS (${soldInPeriod(scope, summaryAsOf)}), top AS (${topCustomers(scope, top)}),
    top_items AS (
      SELECT DISTINCT sl."productId" FROM "Sale" s JOIN "SaleLine" sl ON sl."saleId" = s.id
      WHERE ${periodLines(scope)} AND sl.quantity > sl."refundedQuantity" AND s."customerId" IN (SELECT "customerId"
        FROM top)
    ), v AS (
      SELECT lv."storeId", lv."productId", lv."onHand", lv."reorderPoint" AS configured,
             coalesce(sold.units, 0) AS units, sold.last_sold,
             greatest(coalesce(sold.units, 0), 0)::numeric / ${scope.days} AS velocity
      FROM "StockLevel" lv
      JOIN "Product" p ON p.id = lv."productId" AND p.active
      LEFT JOIN sold ON sold."storeId" = lv."storeId" AND sold."productId" = lv."productId"
      WHERE lv."storeId" = ANY(${scope.storeIds}::uuid[])
    ), x AS (
      -- From units and days rather than the rounded velocity, so that the figures are exact.
      SELECT v.*, ceil(v.units::numeric * ${options.leadTimeDays + options.safetyDays} / ${scope.days})::int AS
        reorder_point,
             CASE WHEN v.units > 0 THEN round(greatest(v."onHand", 0)::numeric * ${scope.days} / v.units, 1) END AS
               days_of_cover,
             CASE WHEN v."onHand" > 0 THEN round(v.units::numeric / v."onHand", 2) END AS turnover
      FROM v
    )
    SELECT x."storeId"::text AS store_id, st.code AS store_code, p.id::text AS product_id, p.sku, p.name, p.category,
           x."onHand", x.units, round(x.velocity, 3)::text AS velocity, x.turnover::text, x.days_of_cover::text,
           x.last_sold, x.configured, x.reorder_point,
           CASE WHEN x.velocity > 0 AND x."onHand" <= x.reorder_point
                THEN (ceil(x.units::numeric * ${options.coverDays} / ${scope.days}) + x.reorder_point -
                  x."onHand")::int ELSE 0 END AS suggested,
           EXISTS (SELECT 1 FROM top_items t WHERE t."productId" = x."productId") AS top_item
    FROM x JOIN "Product" p ON p.id = x."productId" JOIN "Store" st ON st.id = x."storeId"
    WHERE ${where}
    ORDER BY ${orderBy}, p.sku, st.code
    LIMIT ${first}`,
  );
  return rows.map((r) => ({
    storeId: r.store_id,
    storeCode: r.store_code,
    productId: r.product_id,
    sku: r.sku,
    name: r.name,
    category: r.category,
    onHand: r.onHand,
    unitsSold: r.units,
    dailyVelocity: Number(r.velocity),
    turnover: r.turnover === null ? null : Number(r.turnover),
    daysOfCover: r.days_of_cover === null ? null : Number(r.days_of_cover),
    lastSoldOn: r.last_sold,
    configuredReorderPoint: r.configured,
    reorderPoint: r.reorder_point,
    suggestedOrderQuantity: r.suggested,
    boughtByTopCustomers: r.top_item,
  }));
}
