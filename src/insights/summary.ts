import type { Db, Tx } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { DAY_MS } from '../stores/time.ts';
import { type InsightScope, isoDate } from './scope.ts';

/**
 * The daily sales summary: per store and business day (SalesDaySummary) and per store, day and
 * product (ProductDaySummary), what long-period KPIs and the product ranking read instead of a
 * year of sales and lines. Kept by the scheduled job `insights.summary`, which brings it up to
 * date incrementally:
 * - the recent days (from RECENT_DAYS before the previous run's date to tomorrow, so a run after
 *   downtime catches up on every day since) are recomputed on every run: the sales tills record
 *   today, and their refunds, land there without marking anything;
 * - older days are recomputed only when marked dirty (SalesSummaryDirtyDay) by the change, in its
 *   own transaction: a refund of a sale older than LATE_SALE_DAYS (its business date), a
 *   sales-history import (each day it brought sales to), a sale a till sends late (older than
 *   LATE_SALE_DAYS), a merge of customers (the merged customer's days: it changes no sale figure,
 *   but who bought before and after whom).
 * The first run (no state row) builds it from every sale. Figures read from it are as of the
 * start of the last run (`asOf`), and equal the live ones for every day it covers then.
 */
export const SUMMARY_JOB = 'insights.summary';
/** Every quarter of an hour, in JOB_TIMEZONE. */
export const SUMMARY_CRON = '*/15 * * * *';
/** Days before the previous run's (UTC) date that every run recomputes. */
export const RECENT_DAYS = 3;
/**
 * A sale recorded with a business date this many days or more before today (UTC) marks its day
 * dirty; younger ones fall in the recent days (a day's overlap against time zones).
 */
export const LATE_SALE_DAYS = 2;
/**
 * How long before the previous run's start a sale or refund counts as changed since (see
 * refreshSalesSummary): far more than a transaction may stay open and the API's and the
 * database's clocks may differ.
 */
export const CHANGE_MARGIN_MS = 5 * 60_000;
/**
 * Periods longer than this read the summary (readsSummary): at the benchmark's size a live month
 * of customer figures took 2–4 s, a week a fraction of a second (docs/benchmarks.md).
 */
export const LIVE_MAX_DAYS = 7;

/**
 * The last business date the summary brought up to date at `asOf` has settled: after asOf, a sale
 * lands on a day this old only as a late sale, which marks the day dirty as a refund does (see
 * isLateSale; one day more than it needs, against the API's and the database's clocks differing
 * around midnight). Each such day's summary rows are therefore the live figures unless the day is
 * marked in SalesSummaryDirtyDay.
 */
export function settledThrough(asOf: Date): Date {
  const asOfDay = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
  return new Date(asOfDay - SETTLED_DAYS * DAY_MS);
}

/** How many days before the date of the summary's last run its settled days end (settledThrough). */
export const SETTLED_DAYS = LATE_SALE_DAYS + 1;

/**
 * Whether a period reads the summary brought up to date at `asOf` (and says so): when it is longer
 * than LIVE_MAX_DAYS, or ended on a settled day, so that its figures are the live ones as of asOf
 * (the previous period and last year of a comparison, last month's report).
 */
export function readsSummary(scope: { days: number; to: Date }, asOf: Date | null): boolean {
  if (asOf === null) return false;
  return scope.days > LIVE_MAX_DAYS || scope.to.getTime() <= settledThrough(asOf).getTime();
}

/** Marks a store's business day for recomputation (an upsert that locks the mark: see markDirtySql). */
export async function markDirtyDay(tx: Tx, storeId: string, businessDate: Date | string): Promise<void> {
  const day = typeof businessDate === 'string' ? businessDate : isoDate(businessDate);
  await tx.$executeRaw`${markDirtySql(Prisma.sql`SELECT ${storeId}::uuid, ${day}::date`)}`;
}

/**
 * Inserts the (storeId, businessDate) rows `select` yields as dirty days. ON CONFLICT DO UPDATE,
 * not DO NOTHING: updating an existing mark locks it, so a run deleting that mark waits for this
 * transaction and then sees its change (with DO NOTHING, a run could take the old mark and
 * recompute the day before this change commits, and the change would be lost).
 */
export function markDirtySql(select: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "SalesSummaryDirtyDay" ("storeId", "businessDate", "markedAt")
    SELECT d.store_id, d.day, now() AT TIME ZONE 'UTC' FROM (${select}) AS d(store_id, day)
    ON CONFLICT ("storeId", "businessDate") DO UPDATE SET "markedAt" = EXCLUDED."markedAt"`;
}

/**
 * Marks the days of a customer's sales before a merge moves them to another customer: the
 * customer part of the summary (who bought before and after whom) changes on those days, though
 * no sale figure does.
 */
export async function markCustomerDaysDirty(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`${markDirtySql(Prisma.sql`
    SELECT DISTINCT s."storeId", s."businessDate" FROM "Sale" s WHERE s."customerId" = ${customerId}::uuid`)}`;
}

/** The same for raw SQL outside Prisma (the sales-history import): `select` yields (store, day). */
export function markDirtyText(select: string): string {
  return `INSERT INTO "SalesSummaryDirtyDay" ("storeId", "businessDate", "markedAt")
    SELECT d.store_id, d.day, now() AT TIME ZONE 'UTC' FROM (${select}) AS d(store_id, day)
    ON CONFLICT ("storeId", "businessDate") DO UPDATE SET "markedAt" = EXCLUDED."markedAt"`;
}

/** Whether a sale recorded now on `businessDate` must mark its day (it is past the recent days). */
export function isLateSale(businessDate: Date | string, now = new Date()): boolean {
  const day = typeof businessDate === 'string' ? new Date(`${businessDate}T00:00:00Z`) : businessDate;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return day.getTime() <= today - LATE_SALE_DAYS * DAY_MS;
}

/** When the summary was last brought up to date; null before its first run. */
export async function summaryAsOf(db: Db | Tx): Promise<Date | null> {
  const rows = await db.$queryRaw<{ asOf: Date }[]>`
    SELECT "asOf" FROM "SalesSummaryState" WHERE id = 1 AND "rebuiltAt" > 'epoch'::timestamp`;
  return rows[0]?.asOf ?? null;
}

/**
 * Brings the summary up to date (the job's run): one transaction, one run at a time (the state
 * row is locked). Returns how many store-days it recomputed.
 */
export async function refreshSalesSummary(db: Db): Promise<{ processed: number }> {
  const run = await db.$transaction(
    async (tx) => {
      // A first build reads every sale: longer than a request may take.
      await tx.$executeRawUnsafe('SET LOCAL statement_timeout = 0');
      await tx.$executeRaw`
        INSERT INTO "SalesSummaryState" (id, "asOf", "rebuiltAt") VALUES (1, 'epoch', 'epoch')
        ON CONFLICT (id) DO NOTHING`;
      const [state] = await tx.$queryRaw<{ asOf: Date; rebuiltAt: Date; now: Date }[]>`
        SELECT "asOf", "rebuiltAt", now() AT TIME ZONE 'UTC' AS now FROM "SalesSummaryState" WHERE id = 1 FOR UPDATE`;
      const now = state!.now;
      let processed: number;
      if (state!.rebuiltAt.getTime() <= 0) {
        await tx.$executeRaw`DELETE FROM "SalesSummaryDirtyDay"`;
        await tx.$executeRaw`DELETE FROM "ProductDaySummary"`;
        await tx.$executeRaw`DELETE FROM "SalesDaySummary"`;
        await tx.$executeRaw`DELETE FROM "ProductMonthSummary"`;
        await tx.$executeRaw`${insertProductDays(Prisma.sql`TRUE`)}`;
        processed = await tx.$executeRaw`${insertSaleDays(Prisma.sql`TRUE`)}`;
        await tx.$executeRaw`${insertProductMonths(Prisma.sql`TRUE`)}`;
        await tx.$executeRaw`DELETE FROM "CustomerPurchaseSummary"`;
        await tx.$executeRaw`DELETE FROM "CustomerCohortSummary"`;
        await tx.$executeRaw`${insertPurchases(Prisma.sql`TRUE`)}`;
        await tx.$executeRaw`${insertCohorts(Prisma.sql`TRUE`)}`;
        await tx.$executeRaw`DELETE FROM "SaleBasketSummary"`;
        await tx.$executeRaw`${insertBaskets(Prisma.sql`TRUE`)}`;
        await tx.$executeRawUnsafe('ANALYZE "SaleBasketSummary"');
        await tx.$executeRaw`DELETE FROM "SalesSummaryCategoryChange"`;
        await tx.$executeRaw`DELETE FROM "CategoryPairDaySummary"`;
        await tx.$executeRaw`${insertCategoryPairs(Prisma.sql`TRUE`)}`;
        // Planner statistics for tables that just went from empty to millions of rows.
        await tx.$executeRawUnsafe('ANALYZE "CustomerPurchaseSummary"');
        await tx.$executeRawUnsafe('ANALYZE "CustomerCohortSummary"');
        await tx.$executeRawUnsafe('ANALYZE "ProductDaySummary"');
        await tx.$executeRawUnsafe('ANALYZE "ProductMonthSummary"');
        await tx.$executeRawUnsafe('ANALYZE "SalesDaySummary"');
        await tx.$executeRaw`UPDATE "SalesSummaryState" SET "asOf" = ${now}, "rebuiltAt" = ${now} WHERE id = 1`;
        return { processed, rebuilt: true };
      }
      // Marks committed before this statement; a change still in flight keeps (or re-makes) its mark.
      const dirty = await tx.$queryRaw<{ store_id: string; day: Date }[]>`
        DELETE FROM "SalesSummaryDirtyDay" RETURNING "storeId"::text AS store_id, "businessDate" AS day`;
      // Likewise a change of categories: this run rebuilds every day's category pairs.
      const recategorised = (await tx.$executeRaw`DELETE FROM "SalesSummaryCategoryChange"`) > 0;
      const stores = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM "Store"`;
      const last = Math.min(state!.asOf.getTime(), now.getTime());
      const start = Date.UTC(
        new Date(last).getUTCFullYear(),
        new Date(last).getUTCMonth(),
        new Date(last).getUTCDate(),
      );
      const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS;
      const days = new Map<string, [string, string]>();
      for (const d of dirty) days.set(`${d.store_id}:${isoDate(d.day)}`, [d.store_id, isoDate(d.day)]);
      for (let t = start - RECENT_DAYS * DAY_MS; t <= end; t += DAY_MS)
        for (const s of stores) days.set(`${s.id}:${isoDate(new Date(t))}`, [s.id, isoDate(new Date(t))]);
      const list = [...days.values()];
      const within = Prisma.sql`(s."storeId", s."businessDate") IN (${storeDays(list)})`;
      const target = (table: string) => Prisma.sql`
        DELETE FROM ${Prisma.raw(`"${table}"`)} t WHERE (t."storeId", t."businessDate") IN (${storeDays(list)})`;
      await tx.$executeRaw`${target('ProductDaySummary')}`;
      await tx.$executeRaw`${target('SalesDaySummary')}`;
      await tx.$executeRaw`${target('SaleBasketSummary')}`;
      await tx.$executeRaw`${insertBaskets(within)}`;
      if (recategorised) {
        await tx.$executeRaw`DELETE FROM "CategoryPairDaySummary"`;
        await tx.$executeRaw`${insertCategoryPairs(Prisma.sql`TRUE`)}`;
      } else {
        await tx.$executeRaw`${target('CategoryPairDaySummary')}`;
        await tx.$executeRaw`${insertCategoryPairs(within)}`;
      }
      await tx.$executeRaw`${insertProductDays(within)}`;
      await tx.$executeRaw`${insertSaleDays(within)}`;
      // The months of those days, added up again from their days.
      const months = [
        ...new Map(
          list.map(([store, day]) => [
            `${store}:${day.slice(0, 7)}`,
            [store, `${day.slice(0, 7)}-01`] as [string, string],
          ]),
        ).values(),
      ];
      const inMonths = Prisma.sql`(d."storeId", date_trunc('month', d."businessDate")::date) IN (${storeDays(months)})`;
      await tx.$executeRaw`DELETE FROM "ProductMonthSummary" t WHERE (t."storeId", t.month) IN (${storeDays(months)})`;
      await tx.$executeRaw`${insertProductMonths(inMonths)}`;
      // The customer part: every customer of a marked day (a merge moved sales there, an import or
      // a late sale added some), and of the recent days only those whose sales changed since the
      // previous run: a sale or a refund made since it began, less CHANGE_MARGIN_MS for one whose
      // transaction was open then (createdAt is set inside it; none outlives its 30 s timeout).
      const since = new Date(state!.asOf.getTime() - CHANGE_MARGIN_MS);
      const marked = Prisma.sql`(s."storeId", s."businessDate") IN (
        ${storeDays(dirty.map((d) => [d.store_id, isoDate(d.day)]))})`;
      await refreshCustomers(
        tx,
        Prisma.sql`(${marked} OR (${within} AND (s."createdAt" >= ${since} OR EXISTS (
          SELECT 1 FROM "Refund" r WHERE r."saleId" = s.id AND r."createdAt" >= ${since}))))`,
      );
      await tx.$executeRaw`UPDATE "SalesSummaryState" SET "asOf" = ${now} WHERE id = 1`;
      processed = list.length;
      return { processed, rebuilt: false };
    },
    { timeout: 30 * 60_000, maxWait: 60_000 },
  );
  // A rebuild deleted every row it wrote again: without a vacuum the tables carry the old rows as
  // dead ones, which every period's read steps over until autovacuum comes (at full size a month's
  // KPIs took 1.5 s before it, 1.0 s after). VACUUM cannot run in a transaction, hence here; a
  // failure leaves it to autovacuum.
  if (run.rebuilt) {
    const tables = SUMMARY_TABLES.map((t) => `"${t}"`).join(', ');
    await db.$executeRawUnsafe(`VACUUM (ANALYZE) ${tables}`).catch(() => undefined);
  }
  return { processed: run.processed };
}

/** (storeId, date) rows to match with IN: the store-days (or store-months) a run rewrites. */
function storeDays(pairs: [string, string][]): Prisma.Sql {
  return Prisma.sql`SELECT * FROM unnest(${pairs.map((p) => p[0])}::uuid[], ${pairs.map((p) => p[1])}::date[])`;
}

const SUMMARY_TABLES = [
  'SalesDaySummary',
  'ProductDaySummary',
  'ProductMonthSummary',
  'CustomerPurchaseSummary',
  'CustomerCohortSummary',
  'SaleBasketSummary',
  'CategoryPairDaySummary',
];

/**
 * Each sale not refunded in full (`where` over sales `s`) with the distinct products of its lines
 * not refunded in full, in order: the baskets that pairs and sequences read (src/insights/baskets.ts).
 * This and the other day-keyed tables are written in business-date order, so that a period's rows
 * sit on neighbouring pages: written in customer order, a week of the customer summary's 14,000
 * rows sat on 10,000 pages and took 0.8–1.1 s to read at full size, 0.3 s in date order.
 */
function insertBaskets(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "SaleBasketSummary" ("saleId", "storeId", "businessDate", "customerId", "occurredAt", products)
    SELECT s.id, s."storeId", s."businessDate", s."customerId", s."occurredAt",
           array_agg(DISTINCT sl."productId" ORDER BY sl."productId")
    FROM "Sale" s JOIN "SaleLine" sl ON sl."saleId" = s.id
    WHERE s.status <> 'REFUNDED' AND sl.quantity > sl."refundedQuantity" AND ${where}
    GROUP BY s.id
    ORDER BY s."businessDate"`;
}

/**
 * Each store-day's category pairs from its baskets (`where` over the baskets `s`): a basket's
 * distinct categories (the products' categories now), each pair of them once (a < b) and each
 * category alone (a = b).
 */
function insertCategoryPairs(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "CategoryPairDaySummary" ("storeId", "businessDate", a, b, baskets)
    SELECT k."storeId", k."businessDate", x.c, y.c, count(*)::int
    FROM (
      SELECT s."saleId", s."storeId", s."businessDate", array_agg(DISTINCT p.category) AS categories
      FROM "SaleBasketSummary" s CROSS JOIN unnest(s.products) AS u(item) JOIN "Product" p ON p.id = u.item
      WHERE ${where}
      GROUP BY s."saleId", s."storeId", s."businessDate"
    ) k CROSS JOIN unnest(k.categories) AS x(c) CROSS JOIN unnest(k.categories) AS y(c)
    WHERE x.c <= y.c
    GROUP BY k."storeId", k."businessDate", x.c, y.c
    ORDER BY k."businessDate"`;
}

/** CustomerCohortSummary's storeId for the whole chain. */
export const CHAIN_KEY = '00000000-0000-0000-0000-000000000000';

/**
 * The customer part, for the customers with a sale that `changed` (over sales `s`): every sale of
 * theirs, whenever and wherever, is written again, since a sale added, refunded or moved changes
 * its neighbours' before and after. Rows of sales that moved to one of them (a merge marks the
 * merged customer's days) are replaced too, and the customers they were under lose their cohorts
 * with them.
 */
async function refreshCustomers(tx: Tx, changed: Prisma.Sql): Promise<void> {
  const touched = await tx.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT s."customerId"::text AS id FROM "Sale" s WHERE ${changed} AND s."customerId" IS NOT NULL`;
  if (!touched.length) return;
  const ids = touched.map((r) => r.id);
  const was = await tx.$queryRaw<{ id: string }[]>`
    WITH d AS (
      DELETE FROM "CustomerPurchaseSummary" f
      WHERE f."customerId" = ANY(${ids}::uuid[])
         OR f."saleId" IN (SELECT s.id FROM "Sale" s WHERE s."customerId" = ANY(${ids}::uuid[]))
      RETURNING f."customerId")
    SELECT DISTINCT d."customerId"::text AS id FROM d`;
  const all = [...new Set([...ids, ...was.map((r) => r.id)])];
  await tx.$executeRaw`${insertPurchases(Prisma.sql`s."customerId" = ANY(${all}::uuid[])`)}`;
  await tx.$executeRaw`DELETE FROM "CustomerCohortSummary" c WHERE c."customerId" = ANY(${all}::uuid[])`;
  await tx.$executeRaw`${insertCohorts(Prisma.sql`f."customerId" = ANY(${all}::uuid[])`)}`;
}

/**
 * Every sale with a customer (`where` over sales `s`), with the customer's purchases just before
 * and after it: in its store, and in the chain. Ordered by when they happened (ties by id), as
 * the live figures order them.
 */
function insertPurchases(where: Prisma.Sql): Prisma.Sql {
  const p = Prisma.sql`s.status <> 'REFUNDED'`;
  return Prisma.sql`
    INSERT INTO "CustomerPurchaseSummary" ("saleId", "customerId", "storeId", "businessDate", "occurredAt", net,
      purchase, "prevStoreDate", "nextStoreAt", "nextStoreDate", "prevChainDate", "nextChainAt", "nextChainDate")
    SELECT s.id, s."customerId", s."storeId", s."businessDate", s."occurredAt", s.total - s."refundedTotal", ${p},
           CASE WHEN ${p} THEN lag(s."businessDate") OVER in_store END,
           CASE WHEN ${p} THEN lead(s."occurredAt") OVER in_store END,
           CASE WHEN ${p} THEN lead(s."businessDate") OVER in_store END,
           CASE WHEN ${p} THEN lag(s."businessDate") OVER in_chain END,
           CASE WHEN ${p} THEN lead(s."occurredAt") OVER in_chain END,
           CASE WHEN ${p} THEN lead(s."businessDate") OVER in_chain END
    FROM "Sale" s
    WHERE s."customerId" IS NOT NULL AND ${where}
    WINDOW in_store AS (PARTITION BY s."customerId", s."storeId", ${p} ORDER BY s."occurredAt", s.id),
           in_chain AS (PARTITION BY s."customerId", ${p} ORDER BY s."occurredAt", s.id)
    ORDER BY s."businessDate"`;
}

/**
 * Cohorts of the customers whose purchase rows `where` (over `f`) selects: in each store and in
 * the chain, the first month they bought there and the months they did, up to 62 months after.
 */
function insertCohorts(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "CustomerCohortSummary" ("customerId", "storeId", cohort, months)
    SELECT x."customerId", x."storeId", x.cohort,
           bit_or(CASE WHEN x.k < 63 THEN 1::bigint << x.k ELSE 0 END)
    FROM (
      SELECT m."customerId", m."storeId", min(m.m) OVER w AS cohort,
             ((extract(year FROM m.m) - extract(year FROM min(m.m) OVER w)) * 12
               + extract(month FROM m.m) - extract(month FROM min(m.m) OVER w))::int AS k
      FROM (
        SELECT DISTINCT f."customerId", f."storeId", date_trunc('month', f."businessDate")::date AS m
        FROM "CustomerPurchaseSummary" f WHERE f.purchase AND ${where}
        UNION ALL
        SELECT DISTINCT f."customerId", ${CHAIN_KEY}::uuid, date_trunc('month', f."businessDate")::date
        FROM "CustomerPurchaseSummary" f WHERE f.purchase AND ${where}
      ) m
      WINDOW w AS (PARTITION BY m."customerId", m."storeId")
    ) x
    GROUP BY x."customerId", x."storeId", x.cohort`;
}

/**
 * Each product's day in each store: net units, revenue (line totals less what refund lines
 * returned, as the live ranking computes it), revenue and cost of the lines whose cost was known,
 * and sales with a net unit of it.
 */
function insertProductDays(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "ProductDaySummary" ("storeId", "businessDate", "productId", units, revenue, "revenueWithCost", cost,
      "saleCount")
    SELECT l."storeId", l."businessDate", l."productId", sum(l.units)::int, sum(l.revenue),
           sum(l.revenue) FILTER (WHERE l."unitCost" IS NOT NULL), sum(l."unitCost" * l.units),
           (count(DISTINCT l."saleId") FILTER (WHERE l.units > 0))::int
    FROM (
      SELECT s."storeId", s."businessDate", sl."productId", sl."saleId", sl.quantity - sl."refundedQuantity" AS units,
             sl."unitCost",
             sl.total - CASE WHEN sl."refundedQuantity" > 0 THEN coalesce((
               SELECT sum(rl.amount) FROM "Refund" r JOIN "RefundLine" rl ON rl."refundId" = r.id
               WHERE r."saleId" = sl."saleId" AND rl."saleLineId" = sl.id), 0) ELSE 0 END AS revenue
      FROM "Sale" s JOIN "SaleLine" sl ON sl."saleId" = s.id
      WHERE ${where}
    ) l
    GROUP BY l."storeId", l."businessDate", l."productId"
    ORDER BY l."businessDate"`;
}

/** Whole months of product days, summed (`where` is over the day rows `d`). */
function insertProductMonths(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "ProductMonthSummary" ("storeId", month, "productId", units, revenue, "revenueWithCost", cost,
      "saleCount")
    SELECT d."storeId", date_trunc('month', d."businessDate")::date, d."productId", sum(d.units)::int,
           sum(d.revenue), sum(d."revenueWithCost"), sum(d.cost), sum(d."saleCount")::int
    FROM "ProductDaySummary" d
    WHERE ${where}
    GROUP BY 1, 2, 3`;
}

/**
 * The product rows of a period: whole calendar months inside it from ProductMonthSummary, the
 * days before the first and after the last whole month from ProductDaySummary. Columns: productId,
 * units, revenue, revenueWithCost, cost, saleCount.
 */
export function productSummaryRows(scope: InsightScope): Prisma.Sql {
  const from = scope.from;
  const to = scope.to;
  const firstFull =
    from.getUTCDate() === 1 ? from : new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const afterTo = new Date(to.getTime() + DAY_MS);
  // The 1st after the last whole month: to's month when to is its last day, else to's month's 1st.
  const endFull = afterTo.getUTCDate() === 1 ? afterTo : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1));
  const stores = scope.storeIds;
  const days = Prisma.sql`
    SELECT d."productId", d.units, d.revenue, d."revenueWithCost", d.cost, d."saleCount"
    FROM "ProductDaySummary" d
    WHERE d."storeId" = ANY(${stores}::uuid[])`;
  const beforeFull = new Date(firstFull.getTime() - DAY_MS);
  if (firstFull >= endFull)
    return Prisma.sql`${days} AND d."businessDate" BETWEEN ${isoDate(from)}::date AND ${isoDate(to)}::date`;
  return Prisma.sql`
    SELECT m."productId", m.units, m.revenue, m."revenueWithCost", m.cost, m."saleCount"
    FROM "ProductMonthSummary" m
    WHERE m."storeId" = ANY(${stores}::uuid[]) AND m.month >= ${isoDate(firstFull)}::date
      AND m.month < ${isoDate(endFull)}::date
    UNION ALL
    ${days} AND (d."businessDate" BETWEEN ${isoDate(from)}::date AND ${isoDate(beforeFull)}::date
      OR d."businessDate" BETWEEN ${isoDate(endFull)}::date AND ${isoDate(to)}::date)`;
}

/** Each store's day: totals of its sales, units from the product days just written. */
function insertSaleDays(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "SalesDaySummary" ("storeId", "businessDate", "grossSales", refunds, "saleCount", "refundedSaleCount",
      units, "memberRevenue", "anonymousRevenue")
    SELECT s."storeId", s."businessDate", sum(s.total), sum(s."refundedTotal"),
           (count(*) FILTER (WHERE s.status <> 'REFUNDED'))::int, (count(*) FILTER (WHERE s."refundedTotal" > 0))::int,
           coalesce((SELECT sum(p.units) FROM "ProductDaySummary" p
                     WHERE p."storeId" = s."storeId" AND p."businessDate" = s."businessDate"), 0)::int,
           coalesce(sum(s.total - s."refundedTotal") FILTER (WHERE s."memberId" IS NOT NULL), 0),
           coalesce(sum(s.total - s."refundedTotal") FILTER (WHERE s."customerId" IS NULL), 0)
    FROM "Sale" s
    WHERE ${where}
    GROUP BY s."storeId", s."businessDate"`;
}

/** The sale figures of a period from the summary: per store and, with storeId null, in total. */
export interface SummarySaleRow {
  store_id: string | null;
  gross: string | null;
  refunds: string | null;
  revenue: string | null;
  sale_count: number;
  refunded_sale_count: number;
  units: number;
  member_revenue: string | null;
  anonymous_revenue: string | null;
}

export async function summarySaleFigures(db: Db, scope: InsightScope): Promise<SummarySaleRow[]> {
  return db.$queryRaw<SummarySaleRow[]>`
    SELECT d."storeId"::text AS store_id, sum(d."grossSales")::text AS gross, sum(d.refunds)::text AS refunds,
           sum(d."grossSales" - d.refunds)::text AS revenue, sum(d."saleCount")::int AS sale_count,
           sum(d."refundedSaleCount")::int AS refunded_sale_count, sum(d.units)::int AS units,
           sum(d."memberRevenue")::text AS member_revenue, sum(d."anonymousRevenue")::text AS anonymous_revenue
    FROM "SalesDaySummary" d
    WHERE d."storeId" = ANY(${scope.storeIds}::uuid[])
      AND d."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date
    GROUP BY GROUPING SETS ((d."storeId"), ())`;
}
