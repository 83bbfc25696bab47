import type { Prisma, Tier } from '../../src/generated/prisma/client.ts';
import { DAY_MS } from '../../src/stores/time.ts';

/**
 * The tiers' rules as plain functions of figures already read: which tiers a member qualifies
 * for, and what a review decides. The service (service.ts) reads and writes around them.
 */

/** A member's figures over the rolling window. */
export interface Qualification {
  spend: Prisma.Decimal;
  visits: number;
  pointsEarned: number;
}

/** The thresholds a tier sets (null: not a condition); `qualifyWhen` says whether any or all must be met. */
export type TierThresholds = Pick<Tier, 'minSpend' | 'minVisits' | 'minPointsEarned' | 'qualifyWhen'>;

export function qualifies(tier: TierThresholds, q: Qualification): boolean {
  const tests = [
    tier.minSpend === null ? null : q.spend.gte(tier.minSpend),
    tier.minVisits === null ? null : q.visits >= tier.minVisits,
    tier.minPointsEarned === null ? null : q.pointsEarned >= tier.minPointsEarned,
  ].filter((x): x is boolean => x !== null);
  if (!tests.length) return true; // no thresholds: the entry tier
  return tier.qualifyWhen === 'ALL' ? tests.every(Boolean) : tests.some(Boolean);
}

/** The highest-ranked tier the figures qualify for, of `tiers` ordered by rank (lowest first). */
export function highestQualifying<T extends TierThresholds>(tiers: readonly T[], q: Qualification): T | null {
  return [...tiers].reverse().find((t) => qualifies(t, q)) ?? null;
}

/** What a review does to a member whose review is due. */
export type ReviewDecision<T> =
  /** Still qualifies for the current tier (or higher: `upgradeTo`); reviewed again a period later. */
  | { action: 'KEEP'; upgradeTo: T | null }
  /** No longer qualifies, first time: kept in the tier until `until`. */
  | { action: 'GRACE'; until: Date }
  /** No longer qualifies and the grace has passed: moved down to `to`. */
  | { action: 'DOWNGRADE'; to: T };

/**
 * A due review: a member who still qualifies keeps the tier (moving up if they now qualify
 * higher); one who does not gets `graceDays` first, and once a grace has been given is moved
 * down to the highest tier they qualify for (the entry tier, `tiers[0]`, at least).
 */
export function reviewDecision<T extends TierThresholds & { rank: number }>(
  tiers: readonly T[],
  current: T,
  q: Qualification,
  graceUntil: Date | null,
  now: Date,
  graceDays: number,
): ReviewDecision<T> {
  const best = highestQualifying(tiers, q) ?? tiers[0]!;
  if (best.rank >= current.rank) return { action: 'KEEP', upgradeTo: best.rank > current.rank ? best : null };
  if (!graceUntil) return { action: 'GRACE', until: new Date(now.getTime() + graceDays * DAY_MS) };
  return { action: 'DOWNGRADE', to: best };
}
