import { fileURLToPath } from 'node:url';
import type { CalendarService } from '../../src/calendar/service.ts';
import { definePlugin } from '../../src/plugin-host/host.ts';
import './messages.ts';
import { seedPointsDemo } from './demo.ts';
import { resolvePointsOptions, type PointsOptions } from './options.ts';
import { pointsBalancesImport } from './import.ts';
import { PointsService } from './service.ts';
import { addPointsTypes } from './types.ts';

export type { PointsOptions };
export type { PointsService, EarnContext, EarnContextProvider, SaleAward } from './service.ts';

/**
 * Points (积分): an append-only ledger per customer, earning rules as data, points as payment
 * at checkout, reversal on refunds, a return window and FIFO expiry. Provides the service
 * "points" to other plugins (tiers registers its multiplier through it; campaigns award points on
 * a sale with `awardForSale`).
 */
export function pointsPlugin(options?: PointsOptions) {
  const service = new PointsService(resolvePointsOptions(options));
  const cron = service.options.jobSchedule;
  return definePlugin({
    name: 'points',
    migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
    prismaSchema: fileURLToPath(new URL('./schema.prisma', import.meta.url)),
    schema: (builder) => addPointsTypes(builder, service),
    setup: ({ services }) => {
      service.useCalendar(services.get<CalendarService>('calendar'));
      services.provide('points', service);
    },
    // Points used as payment: settled by the sale step (at redemption.pointsPerYuan, within the balance).
    tenders: [{ code: 'POINTS', label: { 'zh-CN': '积分', en: 'Points' } }],
    saleSteps: [{ name: 'points', afterWrite: (sale, unit) => service.afterSale(sale, unit) }],
    refundSteps: [{ name: 'points', afterWrite: (refund, unit) => service.afterRefund(refund, unit) }],
    onCustomerMerge: (ids, unit) => service.merge(ids, unit),
    // PIPL: the account and ledger are exported with the customer's data. The ledger is the books
    // of points and stays; the free text staff wrote on manual adjustments may name the person, so
    // an erasure removes it.
    customerData: {
      export: async (tx, ids) => ({
        accounts: await tx.pointsAccount.findMany({ where: { customerId: { in: ids } } }),
        ledger: await tx.pointsLedgerEntry.findMany({
          where: { customerId: { in: ids } },
          orderBy: { createdAt: 'asc' },
          select: { kind: true, points: true, reason: true, saleId: true, createdAt: true, expiresAt: true },
        }),
      }),
      erase: async ({ tx }, ids) => {
        await tx.pointsLedgerEntry.updateMany({
          where: { customerId: { in: ids }, kind: 'ADJUST' },
          data: { reason: '（已删除）' },
        });
      },
    },
    seedDemo: ({ db }) => seedPointsDemo(db, service),
    importKinds: [pointsBalancesImport(service.options)],
    jobs: [
      {
        name: 'points.release',
        cron,
        run: async ({ db }, now) => ({ processed: await service.releasePending(db, now) }),
      },
      { name: 'points.expire', cron, run: async ({ db }, now) => ({ processed: await service.expire(db, now) }) },
    ],
  });
}
