import { z } from 'zod';
import { parsePluginOptions } from '../../src/plugin-host/host.ts';

const schema = z.object({
  redemption: z
    .object({
      /** How many points make ¥1 when points pay for a sale (100 → 100 points = ¥1). */
      pointsPerYuan: z.number().int().positive().default(100),
      /** The largest share of a sale points may pay, 0–1. */
      maxShareOfSale: z.number().gt(0).lte(1).default(0.5),
    })
    .default({ pointsPerYuan: 100, maxShareOfSale: 0.5 }),
  /** Days earned points stay pending (the return window); 0: spendable at once. */
  pendingDays: z.number().int().min(0).max(365).default(0),
  /** Earned points expire this many months after they became spendable (the return window closed); null: never. */
  expiryMonths: z.number().int().positive().max(120).nullable().default(12),
  /** Categories that never earn points (e.g. tobacco, gift cards). */
  excludedCategories: z.array(z.string()).default([]),
  /**
   * The largest manual adjustment (points added or taken in one adjustPoints) per role; a role
   * without marketing:manage adjusts nothing. docs/security.md lists the defaults.
   */
  adjustmentLimits: z
    .object({
      OWNER: z.number().int().min(0).max(10_000_000).default(1_000_000),
      MANAGER: z.number().int().min(0).max(10_000_000).default(5_000),
      CASHIER: z.number().int().min(0).max(10_000_000).default(0),
      SALES_ASSOCIATE: z.number().int().min(0).max(10_000_000).default(0),
    })
    .default({ OWNER: 1_000_000, MANAGER: 5_000, CASHIER: 0, SALES_ASSOCIATE: 0 }),
  /**
   * When the scheduled jobs (release pending points, expire old ones) run: cron, in JOB_TIMEZONE. Hourly by default.
   */
  jobSchedule: z.string().default('5 * * * *'),
});

export type PointsOptions = z.input<typeof schema>;
export type ResolvedPointsOptions = z.output<typeof schema>;

export function resolvePointsOptions(input: PointsOptions | undefined): ResolvedPointsOptions {
  return parsePluginOptions('points', schema, input);
}
