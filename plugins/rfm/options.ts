import { z } from 'zod';
import { parsePluginOptions } from '../../src/plugin-host/host.ts';

const score = z.number().int().min(2).max(5);

const schema = z.object({
  /** Purchases count when they fall in the last this-many months before the run. */
  windowMonths: z.number().int().min(1).max(60).default(12),
  /**
   * When a 1–5 score counts as "high" for the eight segments. "average": above the base's
   * average score of that dimension (the classic method). Or fixed: a score of at least this.
   */
  highScore: z
    .union([z.literal('average'), z.object({ recency: score, frequency: score, monetary: score }).strict()])
    .default('average'),
  /** When the scoring job runs: cron, in JOB_TIMEZONE. Nightly at 03:30 by default, when stores are closed. */
  schedule: z.string().default('30 3 * * *'),
});

export type RfmOptions = z.input<typeof schema>;
export type ResolvedRfmOptions = z.output<typeof schema>;

export function resolveRfmOptions(input: RfmOptions | undefined): ResolvedRfmOptions {
  return parsePluginOptions('rfm', schema, input);
}
