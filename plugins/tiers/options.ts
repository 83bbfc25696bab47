import { z } from 'zod';
import { parsePluginOptions } from '../../src/plugin-host/host.ts';

const schema = z.object({
  /** Qualification looks back this many months (spend, visits, points earned). */
  windowMonths: z.number().int().min(1).max(60).default(12),
  /** A member is reviewed this many months after reaching a tier, and every period after. */
  reviewMonths: z.number().int().min(1).max(60).default(12),
  /** Days a member keeps a tier after a review found they no longer qualify. */
  graceDays: z.number().int().min(0).max(365).default(30),
  /** When the review job runs: cron, in JOB_TIMEZONE. Hourly by default. */
  jobSchedule: z.string().default('15 * * * *'),
});

export type TierOptions = z.input<typeof schema>;
export type ResolvedTierOptions = z.output<typeof schema>;

export function resolveTierOptions(input: TierOptions | undefined): ResolvedTierOptions {
  return parsePluginOptions('tiers', schema, input);
}
