import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.ts';
import {
  highestQualifying,
  type Qualification,
  qualifies,
  reviewDecision,
  type TierThresholds,
} from '../../plugins/tiers/rules.ts';

const d = (v: string | number) => new Prisma.Decimal(v);
const q = (spend: string, visits = 0, pointsEarned = 0): Qualification => ({ spend: d(spend), visits, pointsEarned });

interface TestTier extends TierThresholds {
  code: string;
  rank: number;
}
function tier(code: string, rank: number, thresholds: Partial<TierThresholds> = {}): TestTier {
  return { code, rank, minSpend: null, minVisits: null, minPointsEarned: null, qualifyWhen: 'ANY', ...thresholds };
}

describe('qualifies', () => {
  const spend1000 = { minSpend: d('1000.00') };
  const both = { minSpend: d('1000.00'), minVisits: 5 };
  it.each([
    ['no thresholds: the entry tier', {}, q('0'), true],
    ['spend met exactly', spend1000, q('1000.00'), true],
    ['spend a fen short', spend1000, q('999.99'), false],
    ['visits met', { minVisits: 5 }, q('0', 5), true],
    ['visits short', { minVisits: 5 }, q('0', 4), false],
    ['points earned met', { minPointsEarned: 300 }, q('0', 0, 300), true],
    ['points earned short', { minPointsEarned: 300 }, q('0', 0, 299), false],
    ['ANY: spend alone', both, q('1000.00', 0), true],
    ['ANY: visits alone', both, q('0', 5), true],
    ['ANY: neither', both, q('999.99', 4), false],
    ['ALL: both', { ...both, qualifyWhen: 'ALL' }, q('1000.00', 5), true],
    ['ALL: spend alone', { ...both, qualifyWhen: 'ALL' }, q('1000.00', 4), false],
    ['ALL: visits alone', { ...both, qualifyWhen: 'ALL' }, q('999.99', 5), false],
    ['ALL with one threshold', { minVisits: 2, qualifyWhen: 'ALL' }, q('0', 2), true],
    ['ALL, no thresholds', { qualifyWhen: 'ALL' }, q('0'), true],
    ['a zero threshold is a threshold (and met)', { minSpend: d(0), qualifyWhen: 'ALL' }, q('0'), true],
    ['spend net of refunds may be negative', { minSpend: d(0) }, q('-10.00'), false],
  ] as [string, Partial<TierThresholds>, Qualification, boolean][])('%s', (_name, thresholds, figures, expected) => {
    expect(qualifies(tier('T', 1, thresholds), figures)).toBe(expected);
  });
});

const ladder = [
  tier('MEMBER', 0),
  tier('SILVER', 1, { minSpend: d('1000.00'), minVisits: 10 }),
  tier('GOLD', 2, { minSpend: d('5000.00'), minPointsEarned: 4000, qualifyWhen: 'ALL' }),
  tier('BLACK', 3, { minSpend: d('20000.00') }),
];

describe('highestQualifying', () => {
  it.each([
    [q('0'), 'MEMBER'],
    [q('999.99', 9), 'MEMBER'],
    [q('999.99', 10), 'SILVER'],
    [q('1000.00'), 'SILVER'],
    [q('5000.00', 0, 3999), 'SILVER'],
    [q('5000.00', 0, 4000), 'GOLD'],
    [q('4999.99', 50, 9000), 'SILVER'],
    // BLACK asks spend alone, whatever GOLD's points ask
    [q('20000.00', 0, 0), 'BLACK'],
  ])('%j → %s', (figures, code) => {
    expect(highestQualifying(ladder, figures)?.code).toBe(code);
  });

  it('is null when not even the lowest tier qualifies, or there are no tiers', () => {
    expect(highestQualifying([tier('ENTRY', 0, { minVisits: 1 })], q('0'))).toBeNull();
    expect(highestQualifying([], q('100.00'))).toBeNull();
  });
});

describe('reviewDecision', () => {
  const now = new Date('2026-06-10T00:00:00Z');
  const [member, silver, gold] = ladder as [TestTier, TestTier, TestTier, TestTier];
  const graceDays = 30;
  const earlierGrace = new Date('2026-06-01T00:00:00Z');

  it.each([
    ['still qualifies: kept', silver, q('1000.00'), null, { action: 'KEEP', upgradeTo: null }],
    ['qualifies higher: kept and moved up', silver, q('5000.00', 0, 4000), null, { action: 'KEEP', upgradeTo: gold }],
    ['qualifies again within the grace: kept', silver, q('1000.00'), earlierGrace, { action: 'KEEP', upgradeTo: null }],
    ['the entry tier is always kept', member, q('0'), null, { action: 'KEEP', upgradeTo: null }],
    [
      'no longer qualifies, first review: grace',
      gold,
      q('1000.00'),
      null,
      { action: 'GRACE', until: new Date('2026-07-10T00:00:00Z') },
    ],
    [
      'still short once the grace passed: down to SILVER',
      gold,
      q('1000.00'),
      earlierGrace,
      { action: 'DOWNGRADE', to: silver },
    ],
    ['nothing qualifies: down to the entry tier', gold, q('0'), earlierGrace, { action: 'DOWNGRADE', to: member }],
  ] as [string, TestTier, Qualification, Date | null, unknown][])(
    '%s',
    (_name, current, figures, graceUntil, decision) => {
      expect(reviewDecision(ladder, current, figures, graceUntil, now, graceDays)).toEqual(decision);
    },
  );

  it('falls back to the lowest tier when even it has thresholds the member misses', () => {
    const strict = [tier('ENTRY', 0, { minVisits: 1 }), tier('TOP', 1, { minVisits: 10 })];
    expect(reviewDecision(strict, strict[1]!, q('0'), earlierGrace, now, graceDays)).toEqual({
      action: 'DOWNGRADE',
      to: strict[0],
    });
  });

  it.each([
    [0, '2026-06-10T00:00:00.000Z'],
    [1, '2026-06-11T00:00:00.000Z'],
    [90, '2026-09-08T00:00:00.000Z'],
  ])('a grace of %i days ends at %s', (days, until) => {
    const decision = reviewDecision(ladder, gold, q('0'), null, now, days);
    expect(decision.action === 'GRACE' && decision.until.toISOString()).toBe(until);
  });
});
