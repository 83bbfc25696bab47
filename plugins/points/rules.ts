import { Prisma } from '../../src/generated/prisma/client.ts';
import type { PointsRule, PointsRounding } from '../../src/generated/prisma/client.ts';

/** One paid sale line as the rules see it. */
export interface EarnLine {
  lineNo: number;
  sku: string;
  category: string;
  /** What the customer paid for the line in money (points used as payment excluded). */
  paid: Prisma.Decimal;
}

export interface EarnFacts {
  /** ISO weekday in the store's time zone, 1 = Monday. */
  weekday: number;
  occurredAt: Date;
  saleTotal: Prisma.Decimal;
  tierCode: string | null;
  /** From the tiers plugin; 1 when none. Applied like an additive multiplier rule. */
  tierMultiplier: Prisma.Decimal;
  tierName: string | null;
  birthdayMonth: boolean;
  /** Points each capped rule already gave this customer on this business day. */
  usedToday: ReadonlyMap<string, number>;
  excludedCategories: readonly string[];
  /** The sale's day in the retail calendar (src/calendar/), in the store's time zone. */
  calendar: SaleDayCalendar;
}

/** What calendar conditions ask of a sale's day; answered by core's calendar service. */
export interface SaleDayCalendar {
  /** Within `before` days before and `after` days after the festival (its date of the right year). */
  nearFestival(code: string, before: number, after: number): boolean;
  /** A statutory day off (法定节假日), not a 调休 working day. */
  statutoryHoliday: boolean;
  /** The store's 会员日. */
  memberDay: boolean;
}

/** A day no calendar condition holds on: where no rule has one (demo data, benchmark baselines). */
export const NO_CALENDAR: SaleDayCalendar = { nearFestival: () => false, statutoryHoliday: false, memberDay: false };

export interface Contribution {
  ruleId: string | null;
  rule: string;
  points: number;
}

export interface LineResult {
  lineNo: number;
  sku: string;
  paid: string;
  points: number;
  contributions: Contribution[];
}

export interface EarnResult {
  points: number;
  lines: LineResult[];
  /** Per rule, points given by this sale (to count against capPerDay). */
  byRule: Map<string, number>;
}

function round(value: Prisma.Decimal, mode: PointsRounding): number {
  const rounding =
    mode === 'CEIL'
      ? Prisma.Decimal.ROUND_CEIL
      : mode === 'ROUND'
        ? Prisma.Decimal.ROUND_HALF_UP
        : Prisma.Decimal.ROUND_FLOOR;
  return value.toDecimalPlaces(0, rounding).toNumber();
}

/**
 * Whether a rule applies to this sale at all (date, weekday, tier, birthday, minimum spend,
 * festival, holiday, 会员日).
 */
function appliesToSale(rule: PointsRule, facts: EarnFacts): boolean {
  if (!rule.active) return false;
  if (rule.startsAt && facts.occurredAt < rule.startsAt) return false;
  if (rule.endsAt && facts.occurredAt >= rule.endsAt) return false;
  if (rule.weekdays.length && !rule.weekdays.includes(facts.weekday)) return false;
  if (rule.tierCodes.length && (!facts.tierCode || !rule.tierCodes.includes(facts.tierCode))) return false;
  if (rule.birthdayMonth && !facts.birthdayMonth) return false;
  if (rule.minSpend && facts.saleTotal.lt(rule.minSpend)) return false;
  if (
    rule.festivals.length &&
    !rule.festivals.some((code) => facts.calendar.nearFestival(code, rule.festivalDaysBefore, rule.festivalDaysAfter))
  )
    return false;
  if (rule.statutoryHolidays && !facts.calendar.statutoryHoliday) return false;
  if (rule.memberDay && !facts.calendar.memberDay) return false;
  return true;
}

function appliesToLine(rule: PointsRule, line: EarnLine): boolean {
  if (rule.categories.length && !rule.categories.includes(line.category)) return false;
  if (rule.skus.length && !rule.skus.includes(line.sku)) return false;
  if (rule.excludedCategories.includes(line.category) || rule.excludedSkus.includes(line.sku)) return false;
  return true;
}

/**
 * Points a sale earns, line by line, with the rules behind each figure.
 *
 * Per line: base points come from BASE_RATE rules (paid × points per yuan, rounded by the rule);
 * of the HIGHEST_WINS base rules only the largest counts, ADDITIVE ones add up. MULTIPLIER rules
 * then add base × (multiplier − 1) each: ADDITIVE ones all count, of the HIGHEST_WINS ones only
 * the largest. A member tier's multiplier counts as one more additive multiplier.
 * Caps trim a rule's points in line order: capPerSale for this sale, capPerDay with what the
 * rule already gave the customer today.
 */
export function computeEarn(lines: EarnLine[], rules: PointsRule[], facts: EarnFacts): EarnResult {
  const active = rules.filter((r) => appliesToSale(r, facts));
  const left = new Map<string, number>();
  for (const r of active) {
    const limits = [r.capPerSale, r.capPerDay === null ? null : r.capPerDay - (facts.usedToday.get(r.id) ?? 0)].filter(
      (x): x is number => x !== null,
    );
    if (limits.length) left.set(r.id, Math.max(0, Math.min(...limits)));
  }
  const take = (rule: PointsRule, points: number): number => {
    if (!left.has(rule.id)) return points;
    const granted = Math.min(points, left.get(rule.id)!);
    left.set(rule.id, left.get(rule.id)! - granted);
    return granted;
  };
  const best = (candidates: { rule: PointsRule; points: number }[]) =>
    candidates.length ? [candidates.reduce((a, b) => (b.points > a.points ? b : a))] : [];
  // Contributions are listed in the rules' own order, whatever decided them.
  const inRuleOrder = <C extends { rule: PointsRule }>(chosen: C[]) =>
    chosen.sort((a, b) => active.indexOf(a.rule) - active.indexOf(b.rule));

  const byRule = new Map<string, number>();
  const results: LineResult[] = lines.map((line) => {
    const contributions: Contribution[] = [];
    if (facts.excludedCategories.includes(line.category) || line.paid.lte(0)) {
      return { lineNo: line.lineNo, sku: line.sku, paid: line.paid.toFixed(2), points: 0, contributions };
    }
    const forLine = active.filter((r) => appliesToLine(r, line));

    const baseCandidates = forLine
      .filter((r) => r.kind === 'BASE_RATE' && r.pointsPerYuan)
      .map((rule) => ({ rule, points: round(line.paid.mul(rule.pointsPerYuan!), rule.rounding) }));
    const baseChosen = inRuleOrder([
      ...best(baseCandidates.filter((c) => c.rule.combine === 'HIGHEST_WINS')),
      ...baseCandidates.filter((c) => c.rule.combine === 'ADDITIVE'),
    ]);
    let base = 0;
    for (const c of baseChosen) {
      const points = take(c.rule, c.points);
      base += points;
      contributions.push({ ruleId: c.rule.id, rule: c.rule.name, points });
    }

    const multiplierCandidates = forLine
      .filter((r) => r.kind === 'MULTIPLIER' && r.multiplier)
      .map((rule) => ({ rule, points: round(new Prisma.Decimal(base).mul(rule.multiplier!.sub(1)), rule.rounding) }));
    const multipliersChosen = inRuleOrder([
      ...best(multiplierCandidates.filter((c) => c.rule.combine === 'HIGHEST_WINS')),
      ...multiplierCandidates.filter((c) => c.rule.combine === 'ADDITIVE'),
    ]);
    for (const c of multipliersChosen)
      contributions.push({ ruleId: c.rule.id, rule: c.rule.name, points: take(c.rule, c.points) });

    if (facts.tierMultiplier.gt(1) && base > 0) {
      const points = new Prisma.Decimal(base)
        .mul(facts.tierMultiplier.sub(1))
        .toDecimalPlaces(0, Prisma.Decimal.ROUND_FLOOR)
        .toNumber();
      contributions.push({
        ruleId: null,
        rule: `会员等级 ${facts.tierName ?? facts.tierCode} ×${facts.tierMultiplier.toString()}`,
        points,
      });
    }

    const kept = contributions.filter((c) => c.points !== 0);
    for (const c of kept) if (c.ruleId) byRule.set(c.ruleId, (byRule.get(c.ruleId) ?? 0) + c.points);
    return {
      lineNo: line.lineNo,
      sku: line.sku,
      paid: line.paid.toFixed(2),
      points: kept.reduce((s, c) => s + c.points, 0),
      contributions: kept,
    };
  });
  return { points: results.reduce((s, l) => s + l.points, 0), lines: results, byRule };
}

/** How points pay: `pointsPerYuan` points are one yuan; at most `maxShareOfSale` of a sale's total. */
export interface RedemptionRate {
  pointsPerYuan: number;
  maxShareOfSale: number;
}

/** What a balance pays at checkout, rounded down to the fen; a negative balance (a debt) pays nothing. */
export function cashValue(balance: number, pointsPerYuan: number): Prisma.Decimal {
  return new Prisma.Decimal(Math.max(balance, 0)).div(pointsPerYuan).toDecimalPlaces(2, Prisma.Decimal.ROUND_FLOOR);
}

/** The largest part of a sale's total that points may pay, rounded down to the fen. */
export function maxPointsShare(total: Prisma.Decimal, maxShareOfSale: number): Prisma.Decimal {
  return total.mul(maxShareOfSale).toDecimalPlaces(2, Prisma.Decimal.ROUND_FLOOR);
}

/**
 * The most a sale of `total` can take in points with this balance: at most maxShareOfSale of the
 * total, never more than the balance's cash value, and an amount in fen that is a whole number of points.
 */
export function redeemable(
  total: Prisma.Decimal,
  balance: number,
  { pointsPerYuan, maxShareOfSale }: RedemptionRate,
): { points: number; amount: Prisma.Decimal } {
  let amount = Prisma.Decimal.min(maxPointsShare(total, maxShareOfSale), cashValue(balance, pointsPerYuan));
  // A rate like 3 points per yuan makes most fen amounts fractional points; step down to a whole one.
  while (amount.gt(0) && !amount.mul(pointsPerYuan).isInteger()) amount = amount.sub('0.01');
  return { points: amount.mul(pointsPerYuan).toNumber(), amount };
}
