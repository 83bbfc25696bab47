import { describe, expect, it } from 'vitest';
import { Prisma, type PointsRule } from '../../src/generated/prisma/client.ts';
import {
  cashValue,
  computeEarn,
  type EarnFacts,
  type EarnLine,
  maxPointsShare,
  NO_CALENDAR,
  redeemable,
} from '../../plugins/points/rules.ts';

const d = (v: string | number) => new Prisma.Decimal(v);

let nextId = 0;
/** A rule as the database holds it: 1 point per yuan on everything, rounded down, unless told otherwise. */
function rule(overrides: Partial<PointsRule> = {}): PointsRule {
  nextId += 1;
  return {
    id: `r${nextId}`,
    name: `rule ${nextId}`,
    kind: 'BASE_RATE',
    combine: 'ADDITIVE',
    active: true,
    pointsPerYuan: d(1),
    multiplier: null,
    rounding: 'FLOOR',
    categories: [],
    skus: [],
    excludedCategories: [],
    excludedSkus: [],
    weekdays: [],
    startsAt: null,
    endsAt: null,
    tierCodes: [],
    birthdayMonth: false,
    festivals: [],
    festivalDaysBefore: 0,
    festivalDaysAfter: 0,
    statutoryHolidays: false,
    memberDay: false,
    minSpend: null,
    capPerSale: null,
    capPerDay: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}
const multiplier = (m: string, overrides: Partial<PointsRule> = {}) =>
  rule({ kind: 'MULTIPLIER', pointsPerYuan: null, multiplier: d(m), ...overrides });

const line = (paid: string, overrides: Partial<EarnLine> = {}): EarnLine => ({
  lineNo: 1,
  sku: 'SKU-1',
  category: 'food',
  paid: d(paid),
  ...overrides,
});

/** A Wednesday in June 2026, a plain member with no tier, nothing used today. */
function facts(overrides: Partial<EarnFacts> = {}): EarnFacts {
  return {
    weekday: 3,
    occurredAt: new Date('2026-06-10T04:00:00Z'),
    saleTotal: d('100.00'),
    tierCode: null,
    tierName: null,
    tierMultiplier: d(1),
    birthdayMonth: false,
    usedToday: new Map(),
    excludedCategories: [],
    calendar: NO_CALENDAR,
    ...overrides,
  };
}

describe('computeEarn: base rates', () => {
  it.each([
    // paid, points per yuan, rounding, points
    ['10.50', '1', 'FLOOR', 10],
    ['10.50', '1', 'ROUND', 11],
    ['10.49', '1', 'ROUND', 10],
    ['10.01', '1', 'CEIL', 11],
    ['10.00', '1', 'CEIL', 10],
    ['99.99', '0.1', 'FLOOR', 9],
    ['99.99', '0.1', 'ROUND', 10],
    ['3.33', '3', 'FLOOR', 9],
    ['0.00', '1', 'CEIL', 0],
  ] as const)('%s paid at %s per yuan, %s → %i', (paid, rate, rounding, points) => {
    const result = computeEarn([line(paid)], [rule({ pointsPerYuan: d(rate), rounding })], facts());
    expect(result.points).toBe(points);
    expect(result.lines[0]!.points).toBe(points);
    expect(result.lines[0]!.paid).toBe(d(paid).toFixed(2));
  });

  it.each([
    // combine of each rule (rate 1, 2, 3), points on 100 yuan
    [['ADDITIVE', 'ADDITIVE', 'ADDITIVE'], 600],
    [['HIGHEST_WINS', 'HIGHEST_WINS', 'HIGHEST_WINS'], 300],
    [['HIGHEST_WINS', 'HIGHEST_WINS', 'ADDITIVE'], 500],
    [['ADDITIVE', 'HIGHEST_WINS', 'HIGHEST_WINS'], 400],
  ] as const)('rates 1, 2, 3 combined as %j → %i', (combines, points) => {
    const rules = combines.map((combine, i) => rule({ pointsPerYuan: d(i + 1), combine }));
    expect(computeEarn([line('100.00')], rules, facts()).points).toBe(points);
  });

  it('lists each line contribution under its rule, in the rules’ own order', () => {
    const small = rule({ name: 'small', pointsPerYuan: d(1), combine: 'ADDITIVE' });
    const big = rule({ name: 'big', pointsPerYuan: d(2), combine: 'HIGHEST_WINS' });
    const result = computeEarn([line('50.00')], [small, big], facts());
    expect(result.lines[0]!.contributions).toEqual([
      { ruleId: small.id, rule: 'small', points: 50 },
      { ruleId: big.id, rule: 'big', points: 100 },
    ]);
    expect([...result.byRule]).toEqual([
      [small.id, 50],
      [big.id, 100],
    ]);
  });
});

describe('computeEarn: multipliers and the tier', () => {
  it.each([
    // multipliers (value, combine), tier multiplier, points on a base of 100
    [[['2', 'ADDITIVE']], '1', 200],
    [
      [
        ['2', 'ADDITIVE'],
        ['1.5', 'ADDITIVE'],
      ],
      '1',
      250,
    ],
    [
      [
        ['2', 'HIGHEST_WINS'],
        ['3', 'HIGHEST_WINS'],
      ],
      '1',
      300,
    ],
    [
      [
        ['3', 'HIGHEST_WINS'],
        ['2', 'ADDITIVE'],
      ],
      '1',
      400,
    ],
    [[], '1.5', 150],
    [[['2', 'ADDITIVE']], '1.25', 225],
    [[], '1', 100],
  ] as const)('%j with tier ×%s → %i', (ms, tier, points) => {
    const rules = [rule(), ...ms.map(([m, combine]) => multiplier(m, { combine }))];
    const result = computeEarn([line('100.00')], rules, facts({ tierCode: 'GOLD', tierMultiplier: d(tier) }));
    expect(result.points).toBe(points);
  });

  it('multiplies the base only, rounds each multiplier by its rule, the tier down', () => {
    const rules = [rule(), multiplier('1.5', { rounding: 'CEIL' })];
    // base 7; ×1.5 adds 3.5 → 4 (CEIL); tier ×1.3 adds 2.1 → 2 (always down)
    const result = computeEarn(
      [line('7.00')],
      rules,
      facts({ tierCode: 'GOLD', tierName: '金卡', tierMultiplier: d('1.3') }),
    );
    expect(result.lines[0]!.contributions.map((c) => c.points)).toEqual([7, 4, 2]);
    expect(result.lines[0]!.contributions[2]).toEqual({ ruleId: null, rule: '会员等级 金卡 ×1.3', points: 2 });
    expect(result.byRule.size).toBe(2); // the tier is not a rule: nothing to count against a cap
  });

  it('gives a multiplier nothing where no base rate applies', () => {
    expect(computeEarn([line('100.00')], [multiplier('5')], facts({ tierMultiplier: d(2) })).points).toBe(0);
  });
});

describe('computeEarn: when a rule applies to the sale', () => {
  const festival = { ...NO_CALENDAR, nearFestival: (code: string) => code === 'SPRING_FESTIVAL' };
  it.each([
    ['always', {}, {}, 100],
    ['inactive', { active: false }, {}, 0],
    ['weekday listed', { weekdays: [3, 6] }, {}, 100],
    ['weekday not listed', { weekdays: [6, 7] }, {}, 0],
    ['started', { startsAt: new Date('2026-06-10T04:00:00Z') }, {}, 100],
    ['not started', { startsAt: new Date('2026-06-10T04:00:01Z') }, {}, 0],
    ['ends after', { endsAt: new Date('2026-06-10T04:00:01Z') }, {}, 100],
    ['ended (the end is exclusive)', { endsAt: new Date('2026-06-10T04:00:00Z') }, {}, 0],
    ['tier listed', { tierCodes: ['GOLD'] }, { tierCode: 'GOLD' }, 100],
    ['tier not listed', { tierCodes: ['GOLD'] }, { tierCode: 'SILVER' }, 0],
    ['tier rule, no tier', { tierCodes: ['GOLD'] }, {}, 0],
    ['birthday month', { birthdayMonth: true }, { birthdayMonth: true }, 100],
    ['not the birthday month', { birthdayMonth: true }, {}, 0],
    ['minimum spend met exactly', { minSpend: d('100.00') }, {}, 100],
    ['minimum spend not met', { minSpend: d('100.01') }, {}, 0],
    ['near the festival', { festivals: ['SPRING_FESTIVAL'] }, { calendar: festival }, 100],
    ['near another festival', { festivals: ['MID_AUTUMN'] }, { calendar: festival }, 0],
    ['statutory holiday', { statutoryHolidays: true }, { calendar: { ...NO_CALENDAR, statutoryHoliday: true } }, 100],
    ['not a statutory holiday', { statutoryHolidays: true }, {}, 0],
    ['会员日', { memberDay: true }, { calendar: { ...NO_CALENDAR, memberDay: true } }, 100],
    ['not 会员日', { memberDay: true }, {}, 0],
  ] as [string, Partial<PointsRule>, Partial<EarnFacts>, number][])('%s', (_name, r, f, points) => {
    expect(computeEarn([line('100.00')], [rule(r)], facts(f)).points).toBe(points);
  });

  it('asks the calendar with the rule’s days before and after the festival', () => {
    const asked: [string, number, number][] = [];
    const calendar = {
      ...NO_CALENDAR,
      nearFestival: (code: string, before: number, after: number) => {
        asked.push([code, before, after]);
        return true;
      },
    };
    const r = rule({ festivals: ['SINGLES_DAY'], festivalDaysBefore: 3, festivalDaysAfter: 1 });
    expect(computeEarn([line('10.00')], [r], facts({ calendar })).points).toBe(10);
    expect(asked).toEqual([['SINGLES_DAY', 3, 1]]);
  });
});

describe('computeEarn: which lines a rule applies to', () => {
  const lines = [
    line('10.00', { lineNo: 1, sku: 'MILK', category: 'dairy' }),
    line('20.00', { lineNo: 2, sku: 'WINE', category: 'alcohol' }),
    line('40.00', { lineNo: 3, sku: 'CAKE', category: 'bakery' }),
  ];
  it.each([
    ['every line', {}, [], [10, 20, 40]],
    ['categories', { categories: ['dairy', 'bakery'] }, [], [10, 0, 40]],
    ['skus', { skus: ['WINE'] }, [], [0, 20, 0]],
    ['excluded category', { excludedCategories: ['alcohol'] }, [], [10, 0, 40]],
    ['excluded sku', { excludedSkus: ['CAKE'] }, [], [10, 20, 0]],
    ['category and excluded sku', { categories: ['dairy', 'bakery'], excludedSkus: ['MILK'] }, [], [0, 0, 40]],
    ['the plugin’s excluded categories', {}, ['alcohol', 'dairy'], [0, 0, 40]],
  ] as [string, Partial<PointsRule>, string[], number[]][])('%s', (_name, r, excluded, points) => {
    const result = computeEarn(lines, [rule(r)], facts({ excludedCategories: excluded }));
    expect(result.lines.map((l) => l.points)).toEqual(points);
    expect(result.points).toBe(points.reduce((a, b) => a + b, 0));
  });

  it('earns nothing on a line paid nothing or less (wholly paid with points, or given away)', () => {
    const result = computeEarn([line('0.00'), line('-5.00', { lineNo: 2 })], [rule()], facts());
    expect(result.lines.map((l) => [l.points, l.contributions.length])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('computeEarn: caps', () => {
  const three = [line('30.00', { lineNo: 1 }), line('30.00', { lineNo: 2 }), line('30.00', { lineNo: 3 })];
  it.each([
    // capPerSale, capPerDay, used today, points per line
    [null, null, 0, [30, 30, 30]],
    [50, null, 0, [30, 20, 0]],
    [null, 70, 0, [30, 30, 10]],
    [null, 70, 60, [10, 0, 0]],
    [null, 70, 80, [0, 0, 0]],
    [50, 70, 40, [30, 0, 0]],
    [0, null, 0, [0, 0, 0]],
  ] as [number | null, number | null, number, number[]][])(
    'per sale %s, per day %s with %i used → %j',
    (capPerSale, capPerDay, used, points) => {
      const r = rule({ capPerSale, capPerDay });
      const result = computeEarn(three, [r], facts({ usedToday: new Map([[r.id, used]]) }));
      expect(result.lines.map((l) => l.points)).toEqual(points);
      const total = points.reduce((a, b) => a + b, 0);
      expect(result.byRule.get(r.id) ?? 0).toBe(total);
    },
  );

  it('caps a rule alone: an uncapped rule beside it still gives its points', () => {
    const capped = rule({ capPerSale: 5 });
    const free = rule();
    const result = computeEarn([line('30.00')], [capped, free], facts());
    expect(result.points).toBe(35);
    expect(result.byRule.get(capped.id)).toBe(5);
  });
});

describe('redemption', () => {
  it.each([
    // balance, points per yuan, cash value
    [12345, 100, '123.45'],
    [99, 100, '0.99'],
    [0, 100, '0.00'],
    [-500, 100, '0.00'],
    [7, 3, '2.33'],
    [1, 1, '1.00'],
  ])('a balance of %i at %i per yuan pays %s', (balance, rate, value) => {
    expect(cashValue(balance, rate).toFixed(2)).toBe(value);
  });

  it.each([
    ['100.00', 0.5, '50.00'],
    ['99.99', 0.5, '49.99'],
    ['0.01', 0.5, '0.00'],
    ['88.88', 1, '88.88'],
    ['10.00', 0.333, '3.33'],
  ])('of a sale of %s, points pay at most %s: %s', (total, share, max) => {
    expect(maxPointsShare(d(total), share).toFixed(2)).toBe(max);
  });

  it.each([
    // total, balance, points per yuan, share → points, amount
    ['100.00', 10_000, 100, 0.5, 5000, '50.00'],
    ['100.00', 1234, 100, 0.5, 1234, '12.34'],
    ['99.99', 100_000, 100, 0.5, 4999, '49.99'],
    ['100.00', 0, 100, 0.5, 0, '0.00'],
    ['100.00', -20, 100, 0.5, 0, '0.00'],
    // 3 points a yuan: only whole yuan are whole points, so 33.33 steps down to 33.00
    ['1000.00', 100, 3, 0.5, 99, '33.00'],
    ['10.00', 100, 3, 0.5, 15, '5.00'],
    ['100.00', 10_000, 1, 0.2, 20, '20.00'],
  ])(
    'a sale of %s with %i points (%i a yuan, share %s) → %i points, %s',
    (total, balance, rate, share, points, amount) => {
      const max = redeemable(d(total), balance, { pointsPerYuan: rate, maxShareOfSale: share });
      expect([max.points, max.amount.toFixed(2)]).toEqual([points, amount]);
      // What it promises, recordSale accepts: within the share and the balance, a whole number of points.
      expect(max.amount.lte(maxPointsShare(d(total), share))).toBe(true);
      expect(max.points).toBeLessThanOrEqual(Math.max(balance, 0));
      expect(max.amount.mul(rate).toNumber()).toBe(max.points);
    },
  );
});
