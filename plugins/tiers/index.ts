import { fileURLToPath } from 'node:url';
import { definePlugin } from '../../src/plugin-host/host.ts';
import type { PointsService } from '../points/index.ts';
import { seedTiersDemo } from './demo.ts';
import './messages.ts';
import { resolveTierOptions, type TierOptions } from './options.ts';
import { memberTiersImport } from './import.ts';
import { TierService } from './service.ts';
import { tierSegmentCondition } from './segments.ts';
import type { SegmentService } from '../../src/segments/service.ts';
import { addTierTypes } from './types.ts';

export type { TierOptions };

/**
 * Membership tiers (会员等级): qualification by spend, visits and points over a rolling window,
 * the member discount at checkout, upgrades right after the qualifying sale, reviews with a
 * grace period for downgrades, history and a tierChanged subscription. Uses the points plugin's
 * service to count points earned and to apply each tier's points multiplier.
 */
export function tiersPlugin(options?: TierOptions) {
  const service = new TierService(resolveTierOptions(options));
  return definePlugin({
    name: 'tiers',
    dependsOn: ['points'],
    migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
    prismaSchema: fileURLToPath(new URL('./schema.prisma', import.meta.url)),
    schema: (builder) => addTierTypes(builder, service),
    // Delivered by webhook to integrators who ask (a welcome message when a member moves up).
    webhookEvents: {
      'tier.changed': {
        'zh-CN': '会员等级变化（升级、降级或首次定级）',
        en: "A member's tier changed (upgrade, downgrade or first tier)",
      },
    },
    // PIPL: a member's tier and its history are exported with the customer's data; they hold no
    // personal data beyond the customer's id, so an erasure leaves them (the anonymous record keeps them).
    customerData: {
      export: async (tx, ids) => ({
        tiers: await tx.memberTier.findMany({ where: { customerId: { in: ids } } }),
        history: await tx.tierChange.findMany({ where: { customerId: { in: ids } }, orderBy: { changedAt: 'asc' } }),
      }),
    },
    setup: ({ services, events }) => {
      service.useCache(events.cache);
      const points = services.get<PointsService>('points');
      service.usePoints(points);
      points.setEarnContextProvider(async (_tx, sale) => {
        // The checkout step found (and locked) the member's tier before any sale is written.
        const tier = service.tierFoundAtCheckout(sale);
        return tier ? { tierCode: tier.code, tierName: tier.name, multiplier: tier.pointsMultiplier } : null;
      });
      services.provide('tiers', service);
      services.get<SegmentService>('segments').defineCondition(tierSegmentCondition);
    },
    saleSteps: [
      {
        name: 'tiers',
        beforeWrite: (draft, unit) => service.beforeSale(draft, unit),
        afterWrite: (sale, unit) => service.afterSale(sale, unit),
      },
    ],
    onCustomerMerge: (ids, unit) => service.merge(ids, unit),
    seedDemo: ({ db }) => seedTiersDemo(db, service),
    importKinds: [
      memberTiersImport(
        service.options,
        async (sql) =>
          (await sql.query(`SELECT id, code, name FROM "Tier" ORDER BY rank`)) as unknown as {
            id: string;
            code: string;
            name: string;
          }[],
      ),
    ],
    jobs: [
      {
        name: 'tiers.review',
        cron: service.options.jobSchedule,
        run: async ({ db, events }, now) => ({ processed: await service.review(db, events, now) }),
      },
    ],
  });
}
