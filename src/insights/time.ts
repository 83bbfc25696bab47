import type { Db } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { DAY_MS } from '../stores/time.ts';
import { type InsightScope, isoDate } from './scope.ts';

const ZERO = new Prisma.Decimal(0);

export interface HeatCell {
  /** ISO weekday: 1 Monday … 7 Sunday. */
  weekday: number;
  hour: number;
  saleCount: number;
  revenue: Prisma.Decimal;
}

/**
 * Sales by weekday and hour of the day, each sale at its own store's local time (a sale at
 * 23:30 in Urumqi is 23:00 on its own day there, whatever UTC says): all 168 cells, empty ones
 * included, Monday 0:00 first.
 */
export async function salesHeatMap(db: Db, scope: InsightScope): Promise<HeatCell[]> {
  const rows = await db.$queryRaw<{ weekday: number; hour: number; n: number; revenue: string }[]>`
    SELECT extract(isodow FROM s."occurredAt" AT TIME ZONE 'UTC' AT TIME ZONE st.timezone)::int AS weekday,
           extract(hour FROM s."occurredAt" AT TIME ZONE 'UTC' AT TIME ZONE st.timezone)::int AS hour,
           (count(*) FILTER (WHERE s.status <> 'REFUNDED'))::int AS n,
           sum(s.total - s."refundedTotal")::text AS revenue
    FROM "Sale" s JOIN "Store" st ON st.id = s."storeId"
    WHERE s."storeId" = ANY(${scope.storeIds}::uuid[])
      AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date
    GROUP BY 1, 2`;
  const cells = new Map(rows.map((r) => [`${r.weekday}:${r.hour}`, r]));
  const out: HeatCell[] = [];
  for (let weekday = 1; weekday <= 7; weekday++)
    for (let hour = 0; hour < 24; hour++) {
      const r = cells.get(`${weekday}:${hour}`);
      out.push({ weekday, hour, saleCount: r?.n ?? 0, revenue: r ? new Prisma.Decimal(r.revenue) : ZERO });
    }
  return out;
}

export type TrendGrain = 'DAY' | 'WEEK' | 'MONTH';

export interface TrendPoint {
  /**
   * First business date of the bucket (a Monday for weeks, the 1st for months), which may
   * precede the period's start.
   */
  start: Date;
  saleCount: number;
  grossSales: Prisma.Decimal;
  refunds: Prisma.Decimal;
  revenue: Prisma.Decimal;
  averageSale: Prisma.Decimal;
}

function bucketStart(d: Date, grain: TrendGrain): Date {
  if (grain === 'DAY') return d;
  if (grain === 'MONTH') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY_MS); // ISO weeks start on Monday
}

/** Revenue by business day, ISO week or calendar month of the period, buckets without sales included. */
export async function salesTrend(db: Db, scope: InsightScope, grain: TrendGrain): Promise<TrendPoint[]> {
  const unit = grain.toLowerCase();
  const rows = await db.$queryRaw<{ start: Date; n: number; gross: string; refunds: string }[]>`
    SELECT date_trunc(${unit}, s."businessDate"::timestamp)::date AS start,
           (count(*) FILTER (WHERE s.status <> 'REFUNDED'))::int AS n,
           sum(s.total)::text AS gross, sum(s."refundedTotal")::text AS refunds
    FROM "Sale" s
    WHERE s."storeId" = ANY(${scope.storeIds}::uuid[])
      AND s."businessDate" BETWEEN ${isoDate(scope.from)}::date AND ${isoDate(scope.to)}::date
    GROUP BY 1`;
  const byStart = new Map(rows.map((r) => [isoDate(new Date(r.start)), r]));
  const points: TrendPoint[] = [];
  for (let d = bucketStart(scope.from, grain); d <= scope.to; ) {
    const r = byStart.get(isoDate(d));
    const gross = r ? new Prisma.Decimal(r.gross) : ZERO;
    const refunds = r ? new Prisma.Decimal(r.refunds) : ZERO;
    const revenue = gross.sub(refunds);
    const n = r?.n ?? 0;
    points.push({
      start: d,
      saleCount: n,
      grossSales: gross,
      refunds,
      revenue,
      averageSale: n ? revenue.div(n).toDecimalPlaces(2) : ZERO,
    });
    d =
      grain === 'MONTH'
        ? new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
        : new Date(d.getTime() + (grain === 'WEEK' ? 7 : 1) * DAY_MS);
  }
  return points;
}
