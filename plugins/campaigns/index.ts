import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { CalendarService } from '../../src/calendar/service.ts';
import { definePlugin, parsePluginOptions } from '../../src/plugin-host/host.ts';
import type { SegmentService } from '../../src/segments/service.ts';
import type { PointsService } from '../points/service.ts';
import type { TierService } from '../tiers/service.ts';
import './events.ts';
import './messages.ts';
import { issueFromBatch, isRewardBatch } from './coupons.ts';
import { CampaignService } from './service.ts';
import { seedCampaignsDemo } from './demo.ts';
import { couponCsvRoute } from './export.ts';
import { addCampaignTypes } from './types.ts';

declare module '../../src/auth/permissions.ts' {
  interface PluginPermissions {
    'campaigns:manage': true;
    'campaigns:read': true;
    'campaigns:manage-store': true;
  }
}

const Options = z.object({}).strict();

/**
 * Campaigns (营销活动): promotions stored as data — conditions, one action, limits — applied at
 * the till as adjustments after the member discount, with hints for the ones almost reached.
 * docs/plugins/campaigns.md.
 */
export function campaignsPlugin(input: z.input<typeof Options> = {}) {
  parsePluginOptions('campaigns', Options, input);
  const service = new CampaignService();
  return definePlugin({
    name: 'campaigns',
    // The threshold of a 满减 is judged on the member price, so the member discount comes first; points
    // actions multiply what the points step found the sale earns, so that step comes first too.
    runsAfter: ['tiers', 'points'],
    migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
    permissions: [
      {
        name: 'campaigns:manage',
        description: 'create, change, pause, resume and end campaigns across the chain',
        scope: 'chain',
        roles: ['OWNER'],
      },
      {
        name: 'campaigns:manage-store',
        description: 'run campaigns limited to this store (its manager): create, change, pause, end, coupons, results',
        scope: 'store',
        roles: ['OWNER', 'MANAGER'],
      },
      {
        name: 'campaigns:read',
        description: 'see the campaigns and their budgets',
        scope: 'shared',
        roles: ['OWNER', 'MANAGER', 'CASHIER', 'SALES_ASSOCIATE'],
      },
    ],
    // 券码, redeemed by recordSale and previewSale (plugins/campaigns/coupons.ts).
    saleInputs: (t) => ({
      couponCodes: t.stringList({ description: 'Coupon codes (券码) presented at the till, at most 5.' }),
    }),
    schema: (builder) => addCampaignTypes(builder, service),
    // A coupon batch's codes as CSV for printing (owners, audited).
    routes: [couponCsvRoute],
    setup: ({ services }) => {
      // Reward coupons for other plugins (the automation plugin's messages): `services.find('coupons')`.
      services.provide<CouponIssuer>('coupons', { issue: issueFromBatch, isRewardBatch });
      service.use({
        calendar: services.get<CalendarService>('calendar'),
        segments: services.get<SegmentService>('segments'),
        tiers: optional<TierService>(() => services.get<TierService>('tiers')),
        points: optional<PointsService>(() => services.get<PointsService>('points')),
      });
    },
    saleSteps: [
      {
        name: 'campaigns',
        beforeWrite: (draft, unit) => service.beforeSale(draft, unit),
        afterWrite: (sale, unit) => service.afterSale(sale, unit),
      },
    ],
    refundSteps: [{ name: 'campaigns', afterWrite: (refund, unit) => service.afterRefund(refund, unit) }],
    onCustomerMerge: (ids, unit) => service.merge(ids, unit),
    seedDemo: ({ db }) => seedCampaignsDemo(db, service.deps),
    customerData: {
      export: async (tx, ids) => ({
        campaignRedemptions: await tx.$queryRaw`
          SELECT "campaignId"::text, "saleId"::text, "businessDate", amount, "refundedAmount", reversed
          FROM "CampaignRedemption" WHERE "customerId" = ANY (${ids}::uuid[]) ORDER BY "createdAt"`,
      }),
    },
  });
}

/** Another plugin's service when it is installed (set up before this one: runsAfter), else null. */
function optional<T>(get: () => T): T | null {
  try {
    return get();
  } catch {
    return null;
  }
}

/** What the campaigns plugin offers other plugins as the service "coupons". */
export interface CouponIssuer {
  issue: typeof issueFromBatch;
  isRewardBatch: typeof isRewardBatch;
}
