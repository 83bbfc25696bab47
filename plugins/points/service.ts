import type { Db, Tx } from '../../src/db/tx.ts';
import type { Unit } from '../../src/events/transaction.ts';
import { InvalidInputError } from '../../src/errors/index.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { PointsRule } from '../../src/generated/prisma/client.ts';
import type { WrittenRefund } from '../../src/sales/refund-pipeline.ts';
import type { WrittenSale } from '../../src/sales/pipeline.ts';
import './events.ts';
import { addMonths, businessDate, DAY_MS } from '../../src/stores/time.ts';
import { addLot, alreadyRecorded, deduct, lockAccount, payDebt, requireBalance } from './ledger.ts';
import type { ResolvedPointsOptions } from './options.ts';
import type { CalendarService } from '../../src/calendar/service.ts';
import type { FestivalCode } from '../../src/calendar/festivals.ts';
import {
  computeEarn,
  maxPointsShare,
  NO_CALENDAR,
  redeemable,
  type EarnLine,
  type LineResult,
  type SaleDayCalendar,
} from './rules.ts';

/** What another plugin (tiers) tells the points plugin about a member when points are earned. */
export interface EarnContext {
  tierCode: string;
  tierName: string;
  multiplier: Prisma.Decimal;
}
/** Called while the sale is written; `sale.notes` holds what earlier steps (the tier discount) left there. */
export type EarnContextProvider = (tx: Tx, sale: WrittenSale & { customerId: string }) => Promise<EarnContext | null>;

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

const weekdayFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * ISO weekday (1 = Monday) of an instant in a store's time zone. Formatters are costly to build, so one per zone is
 * kept.
 */
export function weekdayIn(instant: Date, timeZone: string): number {
  let format = weekdayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' });
    weekdayFormats.set(timeZone, format);
  }
  return WEEKDAYS[format.format(instant)]!;
}

interface EarnExplanation {
  lines: LineResult[];
}
interface ReverseExplanation {
  /** The award lot a reversal takes from; absent for the sale's own points. */
  lotId?: string;
  lines: { lineNo: number; quantity: number; points: number }[];
}

/** What the points step did in a previewed sale, kept in the sale's notes for SaleQuote.points. */
export interface PointsQuote {
  earned: number;
  redeemed: number;
  lines: LineResult[];
  /** Points other plugins awarded on the sale (awardForSale), each with its why. */
  awards?: { reason: string; points: number }[];
  /** Each line's points by the sale itself (rules, tier), kept by the first award: a multiplier multiplies these. */
  own?: Map<number, number>;
}

/**
 * Points another plugin gives on a sale beyond the rules (a campaign's 赠积分 or 双倍积分): a fixed
 * number, or a multiplier on what the rules gave the lines. `key` makes it once per sale.
 */
export interface SaleAward {
  key: string;
  /** The why, shown on the ledger entry and the sale's points (the campaign's label). */
  reason: string;
  points?: number;
  multiplier?: Prisma.Decimal | string;
  /** Only these lines (the campaign's matching lines); every line when omitted. */
  lineNos?: number[];
}

/** What a multiplier award adds to a line that earns `points` by itself: ⌊points × (multiplier − 1)⌋. */
export const multipliedPoints = (points: number, multiplier: Prisma.Decimal | string) =>
  new Prisma.Decimal(multiplier).sub(1).mul(points).toDecimalPlaces(0, Prisma.Decimal.ROUND_FLOOR).toNumber();

/** The dedupe key of a sale's own earned points; other EARN lots of the sale are awards. */
const earnKey = (saleId: string) => `earn:${saleId}`;

/**
 * `points` spread over lines in proportion to their weights, in whole points: each line's share
 * rounded down, then the points left one each to the largest remainders (ties: the lower line).
 */
export function spreadPoints(points: number, weights: { lineNo: number; weight: Prisma.Decimal }[]) {
  const total = weights.reduce((s, w) => s.add(w.weight), new Prisma.Decimal(0));
  if (!weights.length) return [];
  if (total.lte(0)) return [{ lineNo: weights[0]!.lineNo, points }];
  const shares = weights.map((w) => {
    const exact = w.weight.mul(points).div(total);
    return { lineNo: w.lineNo, points: exact.floor().toNumber(), rest: exact.sub(exact.floor()) };
  });
  let left = points - shares.reduce((s, x) => s + x.points, 0);
  for (const x of [...shares].sort((a, b) => b.rest.comparedTo(a.rest) || a.lineNo - b.lineNo)) {
    if (left <= 0) break;
    x.points += 1;
    left -= 1;
  }
  return shares.map(({ lineNo, points }) => ({ lineNo, points }));
}

/** The points plugin's service: what its pipeline steps, jobs and GraphQL fields call. */
export class PointsService {
  private earnContext: EarnContextProvider | null = null;
  private calendar: CalendarService | null = null;

  constructor(readonly options: ResolvedPointsOptions) {}

  /** Core's retail calendar, for rules on festivals, statutory holidays and 会员日 (set at start). */
  useCalendar(calendar: CalendarService) {
    this.calendar = calendar;
  }

  /** A sale's day as calendar conditions see it; the store's calendar is read only when a rule asks for 会员日. */
  private async saleDay(tx: Tx, sale: WrittenSale, rules: PointsRule[]): Promise<SaleDayCalendar> {
    const calendar = this.calendar;
    if (!calendar || !rules.some((r) => r.festivals.length || r.statutoryHolidays || r.memberDay)) return NO_CALENDAR;
    const date = calendar.dateOf(sale.occurredAt, sale.timezone);
    const store = rules.some((r) => r.memberDay) ? await calendar.storeCalendar(tx, sale.storeId) : null;
    const day = calendar.day(date, store);
    return {
      nearFestival: (code, before, after) =>
        calendar.matches({ festivals: [{ code: code as FestivalCode, daysBefore: before, daysAfter: after }] }, date),
      statutoryHoliday: !!day.statutory && !day.statutory.work,
      memberDay: day.memberDay,
    };
  }

  /** The tiers plugin registers how to find a member's tier and points multiplier. */
  setEarnContextProvider(provider: EarnContextProvider) {
    this.earnContext = provider;
  }

  private expiresAt(from: Date) {
    return this.options.expiryMonths === null ? null : addMonths(from, this.options.expiryMonths);
  }

  /** The most a sale of `total` can take in points with this balance (rules.ts). */
  redeemable(total: Prisma.Decimal, balance: number): { points: number; amount: Prisma.Decimal } {
    return redeemable(total, balance, this.options.redemption);
  }

  /** Inside the sale's transaction: settle points used as payment, then earn on what was paid in money. */
  async afterSale(sale: WrittenSale, unit: Unit) {
    const { tx } = unit;
    const pointsPaid = sale.payments
      .filter((p) => p.method === 'POINTS')
      .reduce((s, p) => s.add(p.amount), new Prisma.Decimal(0));
    const paymentField = [
      'input',
      'payments',
      Math.max(
        sale.payments.findIndex((p) => p.method === 'POINTS'),
        0,
      ),
      'amount',
    ];
    if (!sale.customerId || !sale.memberId) {
      if (pointsPaid.gt(0)) throw new InvalidInputError('POINTS_NEED_MEMBER', {}, paymentField);
      return;
    }
    const now = new Date();
    // Every sale reads the rules; they change a few times a year.
    const rules = (await unit.cache
      .region<PointsRule[]>('points.rules', ['points.rule.changed'])
      .get('active', () => tx.pointsRule.findMany({ where: { active: true }, orderBy: { createdAt: 'asc' } })))!;
    const capped = rules.filter((r) => r.capPerDay !== null).map((r) => r.id);
    // Lock the account before reading what depends on it (the balance, today's capped points), so
    // this customer's concurrent sales take turns. A plain earn needs no early lock: writing the lot
    // locks the account in the same statement.
    const account = pointsPaid.gt(0) || capped.length ? await lockAccount(tx, sale.customerId) : null;

    if (account && pointsPaid.gt(0)) {
      const { pointsPerYuan, maxShareOfSale } = this.options.redemption;
      const maxAmount = maxPointsShare(sale.total, maxShareOfSale);
      if (pointsPaid.gt(maxAmount)) {
        throw new InvalidInputError(
          'POINTS_SHARE_TOO_LARGE',
          { max: maxAmount.toFixed(2), share: Math.round(maxShareOfSale * 100) },
          paymentField,
        );
      }
      const points = pointsPaid.mul(pointsPerYuan);
      if (!points.isInteger())
        throw new InvalidInputError('POINTS_AMOUNT_NOT_WHOLE', { ratio: pointsPerYuan }, paymentField);
      requireBalance(account.balance, points.toNumber(), paymentField);
      await deduct(tx, {
        customerId: sale.customerId,
        kind: 'REDEEM',
        points: points.toNumber(),
        saleId: sale.id,
        dedupeKey: `redeem:${sale.id}`,
        now,
        reason: `抵扣 ¥${pointsPaid.toFixed(2)}`,
      });
    }

    // Points are earned on money paid: the share paid with points earns nothing.
    const moneyShare = sale.total.isZero() ? new Prisma.Decimal(0) : sale.total.sub(pointsPaid).div(sale.total);
    const lines = sale.lines.map((l) => ({
      lineNo: l.lineNo,
      sku: l.sku,
      category: l.category,
      paid: l.total.mul(moneyShare).toDecimalPlaces(2, Prisma.Decimal.ROUND_FLOOR),
    }));
    const day = businessDate(sale.occurredAt, sale.timezone);
    const usage = capped.length
      ? await tx.pointsRuleUsage.findMany({
          where: { customerId: sale.customerId, businessDate: day, ruleId: { in: capped } },
        })
      : [];
    const saleMonth = Number(businessDate(sale.occurredAt, sale.timezone).toISOString().slice(5, 7));
    const tier = this.earnContext ? await this.earnContext(tx, { ...sale, customerId: sale.customerId }) : null;
    const calendarDay = await this.saleDay(tx, sale, rules);
    const result = computeEarn(lines, rules, {
      weekday: weekdayIn(sale.occurredAt, sale.timezone),
      occurredAt: sale.occurredAt,
      saleTotal: sale.total,
      tierCode: tier?.tierCode ?? null,
      tierName: tier?.tierName ?? null,
      tierMultiplier: tier?.multiplier ?? new Prisma.Decimal(1),
      birthdayMonth: sale.customerBirthday ? sale.customerBirthday.getUTCMonth() + 1 === saleMonth : false,
      usedToday: new Map(usage.map((u) => [u.ruleId, u.points])),
      excludedCategories: this.options.excludedCategories,
      calendar: calendarDay,
    });
    // For previewSale's quote: what the till tells the customer before charging.
    const quote: PointsQuote = {
      earned: Math.max(result.points, 0),
      redeemed: pointsPaid.mul(this.options.redemption.pointsPerYuan).toNumber(),
      lines: result.lines,
    };
    sale.notes.points = quote;
    if (result.points <= 0) return;
    const availableAt = new Date(sale.occurredAt.getTime() + this.options.pendingDays * DAY_MS);
    await addLot(tx, {
      customerId: sale.customerId,
      kind: 'EARN',
      points: result.points,
      availableAt,
      expiresAt: this.expiresAt(availableAt),
      saleId: sale.id,
      explanation: { lines: result.lines } as unknown as Prisma.InputJsonValue,
      dedupeKey: earnKey(sale.id),
      now,
    });
    for (const [ruleId, points] of result.byRule) {
      if (!capped.includes(ruleId)) continue;
      await tx.pointsRuleUsage.upsert({
        where: { customerId_ruleId_businessDate: { customerId: sale.customerId, ruleId, businessDate: day } },
        create: { customerId: sale.customerId, ruleId, businessDate: day, points },
        update: { points: { increment: points } },
      });
    }
  }

  /**
   * For other plugins, inside the sale's transaction after the points step (the caller runs after
   * "points"): points beyond the rules, as an EARN lot of their own whose why is `reason`. A fixed
   * `points` is spread over the lines by what they paid in money; a `multiplier` gives each line
   * ⌊its points × (multiplier − 1)⌋. Pending and expiring like the sale's own points, and taken back
   * line by line when the sale is refunded. A sale without a member gets nothing. Returns the
   * points given (0 when they come to nothing); previewSale's `points` includes them.
   */
  async awardForSale(sale: WrittenSale, { tx }: Unit, award: SaleAward): Promise<number> {
    const quote = sale.notes.points as PointsQuote | undefined;
    if (!quote || !sale.customerId) return 0;
    const lines = quote.lines.filter((l) => !award.lineNos || award.lineNos.includes(l.lineNo));
    // A multiplier multiplies what the sale earns by itself, not another award given before it.
    quote.own ??= new Map(quote.lines.map((l) => [l.lineNo, l.points]));
    let shares: { lineNo: number; points: number }[];
    if (award.multiplier != null) {
      shares = lines.map((l) => ({
        lineNo: l.lineNo,
        points: multipliedPoints(quote.own!.get(l.lineNo) ?? 0, award.multiplier!),
      }));
    } else {
      shares = spreadPoints(
        award.points ?? 0,
        lines.map((l) => ({ lineNo: l.lineNo, weight: new Prisma.Decimal(l.paid) })),
      );
    }
    shares = shares.filter((x) => x.points > 0);
    const points = shares.reduce((s, x) => s + x.points, 0);
    if (points <= 0) return 0;
    const explained: LineResult[] = shares.map((x) => {
      const line = quote.lines.find((l) => l.lineNo === x.lineNo)!;
      return {
        lineNo: x.lineNo,
        sku: line.sku,
        paid: line.paid,
        points: x.points,
        contributions: [{ ruleId: null, rule: award.reason, points: x.points }],
      };
    });
    const now = new Date();
    const availableAt = new Date(sale.occurredAt.getTime() + this.options.pendingDays * DAY_MS);
    await addLot(tx, {
      customerId: sale.customerId,
      kind: 'EARN',
      points,
      availableAt,
      expiresAt: this.expiresAt(availableAt),
      saleId: sale.id,
      reason: award.reason,
      explanation: { lines: explained } as unknown as Prisma.InputJsonValue,
      dedupeKey: `award:${sale.id}:${award.key}`,
      now,
    });
    // The quote (previewSale) shows them as the sale records them: in the total, and on each line.
    quote.earned += points;
    quote.lines = quote.lines.map((l) => {
      const x = explained.find((e) => e.lineNo === l.lineNo);
      return x ? { ...l, points: l.points + x.points, contributions: [...l.contributions, ...x.contributions] } : l;
    });
    quote.awards = [...(quote.awards ?? []), { reason: award.reason, points }];
    return points;
  }

  /**
   * The points awarded under `key` (awardForSale) on the sales `saleIds` selects (a query of one
   * column "saleId"), net of what refunds took back from those awards. Found by the awards' dedupe
   * keys, so only the ledger entries of those sales are read.
   */
  async awardedOnSales(db: Db | Tx, key: string, saleIds: Prisma.Sql): Promise<number> {
    const [row] = await db.$queryRaw<{ points: number }[]>`
      WITH lots AS (
        SELECT e.id, e."saleId", e.points
        FROM (${saleIds}) s JOIN "PointsLedgerEntry" e ON e."dedupeKey" = 'award:' || s."saleId"::text || ':' || ${key}
        WHERE e.kind = 'EARN')
      SELECT (coalesce((SELECT sum(points) FROM lots), 0)
        + coalesce((SELECT sum(x.points) FROM lots JOIN "PointsLedgerEntry" x ON x."saleId" = lots."saleId"
                    AND x.kind = 'REVERSE' AND x.explanation ->> 'lotId' = lots.id::text), 0))::int AS points`;
    return row?.points ?? 0;
  }

  /** What a multiplier award (awardForSale) adds to a line that earns `points` by itself. */
  multipliedPoints(points: number, multiplier: Prisma.Decimal | string) {
    return multipliedPoints(points, multiplier);
  }

  /**
   * What each line of these sales earned by the sale itself (its own EARN entry: rules and tier,
   * no awards), as recorded: for a what-if of a points multiplier. A sale that earned nothing is absent.
   */
  async ownPointsByLine(db: Db | Tx, saleIds: string[]): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>();
    if (!saleIds.length) return out;
    const rows = await db.$queryRaw<{ saleId: string; lineNo: number; points: number }[]>`
      SELECT e."saleId"::text AS "saleId", x."lineNo", x.points
      FROM "PointsLedgerEntry" e, jsonb_to_recordset(e.explanation -> 'lines') AS x("lineNo" int, points int)
      WHERE e."dedupeKey" = ANY (${saleIds.map(earnKey)}::text[]) AND e.kind = 'EARN'`;
    for (const r of rows) {
      const lines = out.get(r.saleId) ?? new Map<number, number>();
      lines.set(r.lineNo, r.points);
      out.set(r.saleId, lines);
    }
    return out;
  }

  /**
   * Inside the refund's transaction: take back the points earned on the refunded units (the last
   * units of a line take what is left of its points), for the sale's own points and each award
   * alike, and give back points used as payment, in proportion to the money refunded.
   */
  async afterRefund(refund: WrittenRefund, { tx }: Unit) {
    if (!refund.customerId) return;
    const entries = await tx.pointsLedgerEntry.findMany({
      where: { saleId: refund.saleId },
      orderBy: { createdAt: 'asc' },
    });
    const earns = entries.filter((e) => e.kind === 'EARN');
    const redeem = entries.find((e) => e.kind === 'REDEEM');
    if (!earns.length && !redeem) return;
    if (await alreadyRecorded(tx, `reverse:${refund.refundId}`)) return;
    // the sale's customer when it was recorded (merges move entries too)
    const customerId = (earns[0] ?? redeem)!.customerId;
    await lockAccount(tx, customerId);
    const now = new Date();

    // The sale's own points (reversals without a lotId) and each award (reversals naming its lot).
    for (const earn of earns) {
      const own = !earn.dedupeKey?.startsWith('award:');
      const lotOf = (e: (typeof entries)[number]) => (e.explanation as unknown as ReverseExplanation).lotId;
      const earned = new Map(
        ((earn.explanation as unknown as EarnExplanation).lines ?? []).map((l) => [l.lineNo, l.points]),
      );
      const before = new Map<number, { quantity: number; points: number }>();
      for (const e of entries.filter((x) => x.kind === 'REVERSE' && x.points < 0)) {
        if (own ? lotOf(e) !== undefined : lotOf(e) !== earn.id) continue;
        for (const l of (e.explanation as unknown as ReverseExplanation).lines) {
          const b = before.get(l.lineNo) ?? { quantity: 0, points: 0 };
          before.set(l.lineNo, { quantity: b.quantity + l.quantity, points: b.points + l.points });
        }
      }
      const lines = refund.lines.map((l) => {
        const linePoints = earned.get(l.lineNo) ?? 0;
        const done = before.get(l.lineNo) ?? { quantity: 0, points: 0 };
        const last = done.quantity + l.quantity >= l.soldQuantity;
        const points = last ? linePoints - done.points : Math.floor((linePoints * l.quantity) / l.soldQuantity);
        return { lineNo: l.lineNo, quantity: l.quantity, points };
      });
      const total = lines.reduce((s, l) => s + l.points, 0);
      if (total > 0) {
        await deduct(tx, {
          customerId,
          kind: 'REVERSE',
          points: total,
          saleId: refund.saleId,
          refundId: refund.refundId,
          fromLotId: earn.id,
          explanation: (own ? { lines } : { lotId: earn.id, lines }) as unknown as Prisma.InputJsonValue,
          dedupeKey: own ? `reverse:${refund.refundId}` : `reverse:${refund.refundId}:${earn.id}`,
          reason: own ? '退货扣回积分' : `退货扣回积分（${earn.reason}）`,
          now,
        });
      }
    }

    if (redeem) {
      const redeemed = -redeem.points;
      const givenBack = entries.filter((e) => e.kind === 'REVERSE' && e.points > 0).reduce((s, e) => s + e.points, 0);
      const back = refund.fullyRefunded
        ? redeemed - givenBack
        : new Prisma.Decimal(redeemed).mul(refund.amount).div(refund.saleTotal).floor().toNumber();
      if (back > 0) {
        await addLot(tx, {
          customerId,
          kind: 'REVERSE',
          points: back,
          availableAt: now,
          expiresAt: this.expiresAt(now),
          saleId: refund.saleId,
          refundId: refund.refundId,
          dedupeKey: `giveback:${refund.refundId}`,
          reason: '退货退回抵扣积分',
          now,
        });
      }
    }
  }

  /** A manual correction by staff, with a reason. Taking away more than the balance is refused. */
  async adjust({ tx }: Unit, input: { customerId: string; points: number; reason: string; staffId: string | null }) {
    if (!Number.isInteger(input.points) || input.points === 0) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'points must be a non-zero whole number' }, ['points']);
    }
    if (!input.reason.trim())
      throw new InvalidInputError('INVALID_INPUT', { detail: 'an adjustment needs a reason' }, ['reason']);
    const account = await lockAccount(tx, input.customerId);
    const now = new Date();
    const common = {
      customerId: input.customerId,
      kind: 'ADJUST' as const,
      reason: input.reason.trim(),
      staffId: input.staffId,
      now,
    };
    if (input.points > 0)
      return addLot(tx, { ...common, points: input.points, availableAt: now, expiresAt: this.expiresAt(now) });
    requireBalance(account.balance, -input.points, ['points']);
    return deduct(tx, { ...common, points: -input.points });
  }

  /** Job: pending points whose return window has closed become spendable. Safe to run twice. */
  async releasePending(db: Db, now: Date) {
    const due = await db.pointsLedgerEntry.findMany({
      where: { releasedAt: null, availableAt: { lte: now } },
      select: { customerId: true },
      distinct: ['customerId'],
    });
    let processed = 0;
    for (const { customerId } of due) {
      processed += await db.$transaction(async (tx) => {
        let { balance } = await lockAccount(tx, customerId);
        const lots = await tx.pointsLedgerEntry.findMany({
          where: { customerId, releasedAt: null, availableAt: { lte: now } },
          orderBy: { availableAt: 'asc' },
        });
        for (const lot of lots) {
          await tx.pointsLedgerEntry.update({
            where: { id: lot.id },
            data: { releasedAt: now, remaining: payDebt(balance, lot.remaining) },
          });
          await tx.pointsAccount.update({
            where: { customerId },
            data: { balance: { increment: lot.remaining }, pending: { decrement: lot.remaining } },
          });
          balance += lot.remaining;
        }
        return lots.length;
      });
    }
    return processed;
  }

  /** Job: what is left of lots past their expiry is written off, oldest first. Safe to run twice. */
  async expire(db: Db, now: Date) {
    const due = await db.pointsLedgerEntry.findMany({
      where: { remaining: { gt: 0 }, releasedAt: { not: null }, expiresAt: { lte: now } },
      select: { customerId: true },
      distinct: ['customerId'],
    });
    let processed = 0;
    for (const { customerId } of due) {
      processed += await db.$transaction(async (tx) => {
        await lockAccount(tx, customerId);
        const lots = await tx.pointsLedgerEntry.findMany({
          where: { customerId, remaining: { gt: 0 }, releasedAt: { not: null }, expiresAt: { lte: now } },
          orderBy: { expiresAt: 'asc' },
        });
        for (const lot of lots) {
          await deduct(tx, {
            customerId,
            kind: 'EXPIRE',
            points: lot.remaining,
            fromLotId: lot.id,
            dedupeKey: `expire:${lot.id}`,
            reason: '积分过期',
            now,
          });
        }
        return lots.length;
      });
    }
    return processed;
  }

  /** Inside a customer merge: the merged customer's points and history move to the survivor. */
  async merge({ survivorId, mergedId }: { survivorId: string; mergedId: string }, { tx }: Unit) {
    for (const id of [survivorId, mergedId].sort()) await lockAccount(tx, id);
    const from = await tx.pointsAccount.findUniqueOrThrow({ where: { customerId: mergedId } });
    await tx.pointsLedgerEntry.updateMany({ where: { customerId: mergedId }, data: { customerId: survivorId } });
    await tx.pointsAccount.update({
      where: { customerId: survivorId },
      data: {
        balance: { increment: from.balance },
        pending: { increment: from.pending },
        lifetimeEarned: { increment: from.lifetimeEarned },
      },
    });
    await tx.pointsAccount.update({
      where: { customerId: mergedId },
      data: { balance: 0, pending: 0, lifetimeEarned: 0 },
    });
    // Day caps: the survivor's usage for a day is the sum of both.
    const usage = await tx.pointsRuleUsage.findMany({ where: { customerId: mergedId } });
    for (const u of usage) {
      await tx.pointsRuleUsage.upsert({
        where: {
          customerId_ruleId_businessDate: { customerId: survivorId, ruleId: u.ruleId, businessDate: u.businessDate },
        },
        create: { customerId: survivorId, ruleId: u.ruleId, businessDate: u.businessDate, points: u.points },
        update: { points: { increment: u.points } },
      });
    }
    await tx.pointsRuleUsage.deleteMany({ where: { customerId: mergedId } });
  }

  /**
   * What a demo sale earns: the rules alone, without tier, birthday, daily caps or the calendar.
   * The demo's first figures and their restatement below both come from here, so they agree.
   */
  demoEarn(
    sale: { occurredAt: Date; timezone: string; total: Prisma.Decimal },
    lines: EarnLine[],
    rules: PointsRule[],
  ) {
    return computeEarn(lines, rules, {
      weekday: weekdayIn(sale.occurredAt, sale.timezone),
      occurredAt: sale.occurredAt,
      saleTotal: sale.total,
      tierCode: null,
      tierName: null,
      tierMultiplier: new Prisma.Decimal(1),
      birthdayMonth: false,
      usedToday: new Map(),
      excludedCategories: this.options.excludedCategories,
      calendar: NO_CALENDAR,
    });
  }

  /**
   * Demo data only: the points of demo sales worked out again once another plugin's demo changed
   * what they charged (the campaigns plugin prices its offers into the demo's recent sales). Each
   * sale's earned lot, its reversal (a refunded sale) and its expiry take the new figure, as the
   * points demo computed them (demo.ts), and the account moves by the difference.
   */
  async restateDemoEarnings(tx: Tx, saleIds: string[]) {
    if (!saleIds.length) return;
    const rules = await tx.pointsRule.findMany({ where: { active: true }, orderBy: { createdAt: 'asc' } });
    // One statement for the sales and their lines (a first start waits for it).
    const sales = await tx.$queryRaw<
      {
        id: string;
        occurredAt: Date;
        total: Prisma.Decimal;
        timezone: string;
        lines: { lineNo: number; sku: string; category: string; total: string }[];
      }[]
    >`
      SELECT s.id::text AS id, s."occurredAt", s.total, st.timezone,
        (SELECT jsonb_agg(jsonb_build_object('lineNo', l."lineNo", 'sku', l.sku, 'category', p.category,
                  'total', l.total::text) ORDER BY l."lineNo")
         FROM "SaleLine" l JOIN "Product" p ON p.id = l."productId" WHERE l."saleId" = s.id) AS lines
      FROM "Sale" s JOIN "Store" st ON st.id = s."storeId"
      WHERE s.id = ANY (${saleIds}::uuid[]) AND s."memberId" IS NOT NULL`;
    const earns = new Map(
      (
        await tx.pointsLedgerEntry.findMany({
          where: { kind: 'EARN', dedupeKey: { in: sales.map((s) => earnKey(s.id)) } },
        })
      ).map((e) => [e.saleId!, e]),
    );
    const restated: {
      id: string;
      saleId: string;
      points: number;
      remaining: number;
      explanation: unknown;
      same: boolean;
    }[] = [];
    const accounts = new Map<string, { balance: number; pending: number; earned: number }>();
    for (const sale of sales) {
      const earn = earns.get(sale.id);
      if (!earn) continue;
      const result = this.demoEarn(
        sale,
        sale.lines.map((l) => ({ ...l, paid: new Prisma.Decimal(l.total) })),
        rules,
      );
      const points = Math.max(result.points, 0);
      const delta = points - earn.points;
      const kept = earn.remaining > 0;
      // The same points may fall differently on the lines, and each line's paid changed: the explanation is
      // restated even then (only it).
      restated.push({
        id: earn.id,
        saleId: sale.id,
        points,
        remaining: kept ? points : 0,
        explanation: { lines: result.lines },
        same: delta === 0,
      });
      if (delta === 0) continue;
      const a = accounts.get(earn.customerId) ?? { balance: 0, pending: 0, earned: 0 };
      a.earned += delta;
      if (kept && earn.releasedAt) a.balance += delta;
      else if (kept) a.pending += delta;
      accounts.set(earn.customerId, a);
    }
    if (!restated.length) return;
    // Set-based: the earned lots, their reversals (whole, demo refunds) and expiries, then the accounts.
    await tx.$executeRaw`
      WITH v AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(restated)}::jsonb)
                   AS v(id uuid, "saleId" uuid, points int, remaining int, explanation jsonb, same boolean)),
      earned AS (
        UPDATE "PointsLedgerEntry" e SET points = v.points,
          remaining = CASE WHEN v.same THEN e.remaining ELSE v.remaining END, explanation = v.explanation
        FROM v WHERE e.id = v.id),
      reversed AS (
        UPDATE "PointsLedgerEntry" e SET points = CASE WHEN v.same THEN e.points ELSE -v.points END,
          explanation = jsonb_build_object('lines', (
            SELECT jsonb_agg(jsonb_build_object('lineNo', x."lineNo", 'quantity', l.quantity, 'points', x.points))
            FROM jsonb_to_recordset(v.explanation -> 'lines') AS x("lineNo" int, points int)
            JOIN "SaleLine" l ON l."saleId" = v."saleId" AND l."lineNo" = x."lineNo"))
        FROM v WHERE e."saleId" = v."saleId" AND e.kind = 'REVERSE' AND e.points < 0)
      UPDATE "PointsLedgerEntry" e SET points = -v.points FROM v
      WHERE e."dedupeKey" = 'expire:' || v.id::text AND NOT v.same`;
    const moves = [...accounts].map(([customerId, a]) => ({ customerId, ...a }));
    await tx.$executeRaw`
      UPDATE "PointsAccount" a SET balance = a.balance + v.balance, pending = a.pending + v.pending,
        "lifetimeEarned" = a."lifetimeEarned" + v.earned
      FROM jsonb_to_recordset(${JSON.stringify(moves)}::jsonb)
        AS v("customerId" uuid, balance int, pending int, earned int)
      WHERE a."customerId" = v."customerId"`;
  }

  /**
   * For the tiers plugin: points earned since a moment (net of reversals), for every customer who
   * earned any. Demo data and bulk checks.
   */
  async earnedSinceByCustomer(tx: Tx | Db, since: Date): Promise<Map<string, number>> {
    const rows = await tx.$queryRaw<{ customerId: string; points: number }[]>`
      SELECT "customerId"::text AS "customerId", sum(points)::int AS points FROM "PointsLedgerEntry"
      WHERE "createdAt" >= ${since} AND ${EARNED} GROUP BY "customerId"`;
    return new Map(rows.map((r) => [r.customerId, r.points]));
  }

  /**
   * For the tiers plugin: the same sum for one customer, as a scalar subquery it puts in its own
   * statement (a qualification reads sales and points in one round trip).
   */
  earnedSinceSql(customerId: string, since: Date): Prisma.Sql {
    return Prisma.sql`(SELECT coalesce(sum(points), 0)::int FROM "PointsLedgerEntry"
      WHERE "customerId" = ${customerId}::uuid AND "createdAt" >= ${since} AND ${EARNED})`;
  }
}

/** Entries that count as points earned: earnings, less the reversals of refunded ones. */
const EARNED = Prisma.sql`(kind = 'EARN' OR (kind = 'REVERSE' AND points < 0))`;

export function describeRuleProblem(rule: Pick<PointsRule, 'kind' | 'pointsPerYuan' | 'multiplier'>): string | null {
  if (rule.kind === 'BASE_RATE' && (!rule.pointsPerYuan || rule.pointsPerYuan.lte(0)))
    return 'pointsPerYuan must be above 0 for a BASE_RATE rule';
  if (rule.kind === 'MULTIPLIER' && (!rule.multiplier || rule.multiplier.lte(1)))
    return 'multiplier must be above 1 for a MULTIPLIER rule';
  return null;
}
