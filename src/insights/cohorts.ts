import type { Db } from '../db/tx.ts';
import { type InsightScope, isoDate } from './scope.ts';

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
export async function cohorts(db: Db, scope: InsightScope, followMonths: number, today: Date): Promise<Cohort[]> {
  const first = monthStart(scope.from);
  const last = monthStart(scope.to);
  const lastFollowed = new Date(Math.min(addMonth(last, followMonths).getTime(), monthStart(today).getTime()));
  const end = addMonth(lastFollowed, 1);
  const rows = await db.$queryRaw<{ cohort: Date; month: Date; customers: number }[]>`
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
