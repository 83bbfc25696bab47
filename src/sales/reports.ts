import type { Db } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { InvalidInputError } from '../errors/index.ts';
import { DAY_MS } from '../stores/time.ts';

/** Daily totals for one store between two business dates, inclusive; days without sales are zeros. */
export async function salesByDay(db: Db, storeId: string, from: Date, to: Date) {
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS) + 1;
  if (days < 1 || days > 366)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'from–to must span 1 to 366 days' }, ['to']);
  const rows = await db.sale.groupBy({
    by: ['businessDate'],
    where: { storeId, businessDate: { gte: from, lte: to } },
    _count: { _all: true },
    _sum: { total: true, refundedTotal: true },
  });
  const byDate = new Map(rows.map((r) => [r.businessDate.toISOString().slice(0, 10), r]));
  const zero = new Prisma.Decimal(0);
  return Array.from({ length: days }, (_, i) => {
    const date = new Date(from.getTime() + i * DAY_MS);
    const row = byDate.get(date.toISOString().slice(0, 10));
    const gross = row?._sum.total ?? zero;
    const refunds = row?._sum.refundedTotal ?? zero;
    const net = gross.sub(refunds);
    const count = row?._count._all ?? 0;
    return {
      date,
      saleCount: count,
      grossSales: gross,
      refunds,
      netSales: net,
      averageOrderValue: count ? net.div(count).toDecimalPlaces(2) : zero,
    };
  });
}
