import type { Db } from '../db/tx.ts';
import { type InsightScope, isoDate } from './scope.ts';
import { CHAIN_KEY } from './summary.ts';

export interface CohortMonth {
  /** Months after the cohort's own (0: the month of the first purchase). */
  offset: number;
  month: Date;
  customers: number;
  rate: number;
}

export interface Cohort {
  /** First day of the month of the customers' first purchase. */
  month: Date;
  customers: number;
  retention: CohortMonth[];
}

const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const addMonth = (d: Date, n: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));

/**
 * Retention by first-purchase month. A customer's cohort is the business month of their first
 * purchase at the scope's stores (imported sales included); the cohorts are the months from the
 * period's first to its last. A customer with an earlier purchase there, or whose imported
 * history (Customer.importedFirstPurchaseAt) starts before that first sale, belongs to no cohort:
 * they were not new. Month k of a cohort counts its customers with a purchase (not refunded in
 * full) in the k-th month after, up to `followMonths` and never past `today`'s month.
 */
export async function cohorts(
  db: Db,
  scope: InsightScope,
  followMonths: number,
  today: Date,
  summary: CohortSummaryKey = null,
): Promise<Cohort[]> {
  const first = monthStart(scope.from);
  const last = monthStart(scope.to);
  const lastFollowed = new Date(Math.min(addMonth(last, followMonths).getTime(), monthStart(today).getTime()));
  const end = addMonth(lastFollowed, 1);
  const rows = summary
    ? await fromSummary(db, summary, first, last, followMonths)
    : await db.$queryRaw<{ cohort: Date; month: Date; customers: number }[]>`
    WITH act AS (
      SELECT DISTINCT s."customerId", date_trunc('month', s."businessDate"::timestamp)::date AS m
      FROM "Sale" s
      WHERE s."storeId" = ANY(${scope.storeIds}::uuid[]) AND s."customerId" IS NOT NULL AND s.status <> 'REFUNDED'
        AND s."businessDate" >= ${isoDate(first)}::date AND s."businessDate" < ${isoDate(end)}::date
    ), firsts AS (
      SELECT "customerId", min(m) AS cohort FROM act GROUP BY "customerId"
    ), members AS (
      SELECT f.* FROM firsts f JOIN "Customer" c ON c.id = f."customerId"
      WHERE f.cohort <= ${isoDate(last)}::date
        AND (c."importedFirstPurchaseAt" IS NULL OR c."importedFirstPurchaseAt" >= f.cohort)
        AND NOT EXISTS (
          SELECT 1 FROM "Sale" x
          WHERE x."customerId" = f."customerId" AND x."storeId" = ANY(${scope.storeIds}::uuid[])
            AND x."occurredAt" < ${isoDate(first)}::timestamp + interval '2 days'
            AND x."businessDate" < ${isoDate(first)}::date AND x.status <> 'REFUNDED')
    )
    SELECT members.cohort, act.m AS month, count(*)::int AS customers
    FROM members JOIN act ON act."customerId" = members."customerId"
    GROUP BY members.cohort, act.m`;
  const key = (d: Date) => isoDate(new Date(d));
  const counts = new Map(rows.map((r) => [`${key(r.cohort)} ${key(r.month)}`, r.customers]));
  const out: Cohort[] = [];
  for (let m = first; m <= last; m = addMonth(m, 1)) {
    const size = counts.get(`${key(m)} ${key(m)}`) ?? 0;
    const retention: CohortMonth[] = [];
    for (let k = 0; k <= followMonths; k++) {
      const month = addMonth(m, k);
      if (month > lastFollowed) break;
      const customers = counts.get(`${key(m)} ${key(month)}`) ?? 0;
      retention.push({ offset: k, month, customers, rate: size ? Number((customers / size).toFixed(4)) : 0 });
    }
    out.push({ month: m, customers: size, retention });
  }
  return out;
}

/**
 * Which rows of CustomerCohortSummary answer a scope: its one store's, or the chain's when it is
 * every store; null for any other set of stores (computed live).
 */
export type CohortSummaryKey = string | null;

export async function cohortSummaryKey(db: Db, scope: InsightScope): Promise<CohortSummaryKey> {
  if (scope.storeIds.length === 1) return scope.storeIds[0]!;
  const stores = await db.$queryRaw<{ id: string }[]>`SELECT id::text FROM "Store"`;
  const mine = new Set(scope.storeIds);
  return stores.length === mine.size && stores.every((s) => mine.has(s.id)) ? CHAIN_KEY : null;
}

/**
 * The same counts from the customer summary: each customer's first month there is their cohort
 * (so one with a purchase before the period's first month is in none of its cohorts), and bit k
 * of their months says they bought k months after it. Imported history is read from the customer.
 */
async function fromSummary(db: Db, key: string, first: Date, last: Date, followMonths: number) {
  const rows = await db.$queryRaw<{ cohort: Date; k: number; customers: number }[]>`
    SELECT s.cohort, k, count(*)::int AS customers
    FROM "CustomerCohortSummary" s
    JOIN "Customer" c ON c.id = s."customerId"
    CROSS JOIN generate_series(0, ${followMonths}::int) AS k
    WHERE s."storeId" = ${key}::uuid AND s.cohort BETWEEN ${isoDate(first)}::date AND ${isoDate(last)}::date
      AND (c."importedFirstPurchaseAt" IS NULL OR c."importedFirstPurchaseAt" >= s.cohort)
      AND (s.months >> k) & 1 = 1
    GROUP BY s.cohort, k`;
  return rows.map((r) => ({ cohort: r.cohort, month: addMonth(new Date(r.cohort), r.k), customers: r.customers }));
}
