import { createHash } from 'node:crypto';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { SaleDraftLine } from '../../src/sales/pipeline.ts';
import { type AdjustmentLabel, type AdjustmentRequest, lineDue, prorate } from '../../src/sales/pricing.ts';
import { actionLabel, type CampaignRow, isPointsAction } from './definition.ts';

/**
 * What a campaign gives a basket: pure functions of the campaign, the lines as they stand (after
 * earlier adjustments) and the facts of the sale. The sale step (service.ts) adds what needs the
 * database (segment, first purchase, limits) and asks core for the adjustment.
 */

const ZERO = new Prisma.Decimal(0);

/** What the sale step knows of the sale before trying campaigns. */
export interface SaleFacts {
  storeId: string;
  at: Date;
  /** The store's day ("YYYY-MM-DD"), ISO weekday and minute of the day, in its time zone. */
  date: string;
  weekday: number;
  minuteOfDay: number;
  memberDay: boolean;
  /** 1–12, the buyer's birthday month; null without one. */
  birthdayMonth: number | null;
  /** The member's tier code as the tiers plugin found it at checkout; null without. */
  tierCode: string | null;
  customerId: string | null;
  /** Whether the member discount (source "tiers") was given on this sale. */
  tierDiscounted: boolean;
}

/** The first condition that does not hold (its input field name), or null when every one does. */
export type Failed = string | null;

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The conditions that need no database and no basket: window, store, day, time, buyer. */
export function failedStaticCondition(c: CampaignRow, f: SaleFacts): Failed {
  const k = c.conditions;
  if (c.startsAt && f.at < c.startsAt) return 'startsAt';
  if (c.endsAt && f.at >= c.endsAt) return 'endsAt';
  if (k.storeIds?.length && !k.storeIds.includes(f.storeId)) return 'storeIds';
  if (k.weekdays?.length && !k.weekdays.includes(f.weekday)) return 'weekdays';
  if (k.timeFrom && k.timeTo) {
    const from = minutes(k.timeFrom);
    const to = minutes(k.timeTo);
    const inside =
      from <= to ? f.minuteOfDay >= from && f.minuteOfDay < to : f.minuteOfDay >= from || f.minuteOfDay < to;
    if (!inside) return 'timeFrom';
  }
  if (k.memberDay && !f.memberDay) return 'memberDay';
  if (k.birthdayMonth && f.birthdayMonth !== Number(f.date.slice(5, 7))) return 'birthdayMonth';
  if (k.tierCodes?.length && !(f.tierCode && k.tierCodes.includes(f.tierCode))) return 'tierCodes';
  if (
    (k.segmentId ||
      k.firstPurchase ||
      c.perCustomerLimit != null ||
      c.action.type === 'ISSUE_COUPON' ||
      isPointsAction(c.action.type)) &&
    !f.customerId
  )
    return 'customer';
  if (c.holdoutPercent && f.customerId && heldOut(c.id, f.customerId, c.holdoutPercent)) return 'holdout';
  return null;
}

/**
 * Whether a customer is in a campaign's holdout: the first 32 bits of md5(campaign id ":" customer
 * id), modulo 100, under the percentage. The same in SQL (results.ts, HELD_OUT), so the results
 * find exactly the customers the till turned away.
 */
export function heldOut(campaignId: string, customerId: string, percent: number): boolean {
  const hex = createHash('md5').update(`${campaignId}:${customerId}`).digest('hex').slice(0, 8);
  return Number.parseInt(hex, 16) % 100 < percent;
}

/** The lines a campaign works on: those of its SKUs or categories, or every line; never a gift's own line. */
export function matchingLines(c: CampaignRow, lines: SaleDraftLine[]): SaleDraftLine[] {
  const { skus, categories } = c.conditions;
  const gift = c.action.type === 'GIFT' ? c.action.giftSku : null;
  const pool = gift ? lines.filter((l) => l.sku !== gift) : lines;
  if (!skus?.length && !categories?.length) return pool;
  return pool.filter((l) => skus?.includes(l.sku) || categories?.includes(l.category));
}

/** The basket conditions: matching units and the minimum spend on what the matching lines still charge. */
export function basket(c: CampaignRow, lines: SaleDraftLine[]) {
  const matching = matchingLines(c, lines);
  const base = matching.reduce((s, l) => s.add(lineDue(l)), ZERO);
  const units = matching.reduce((s, l) => s + l.quantity, 0);
  const k = c.conditions;
  const needUnits = k.minQuantity ?? (k.skus?.length || k.categories?.length ? 1 : 0);
  let failed: Failed = null;
  if (units < needUnits) failed = 'minQuantity';
  else if (k.minSpend && base.lt(k.minSpend)) failed = 'minSpend';
  return { matching, base, units, failed, needUnits };
}

/** A campaign's adjustment on these lines, or null when its action gives nothing. */
export function actionRequest(
  c: CampaignRow,
  matching: SaleDraftLine[],
  base: Prisma.Decimal,
  sourceId: string,
  lines: SaleDraftLine[] = matching,
): AdjustmentRequest | null {
  const a = c.action;
  const lineNos = matching.map((l) => l.lineNo);
  const order = (amount: Prisma.Decimal, label: AdjustmentLabel): AdjustmentRequest | null =>
    amount.gt(0) ? { source: 'campaigns', sourceId, label, amount, lineNos } : null;
  const perLine = (lines: { lineNo: number; amount: Prisma.Decimal }[]): AdjustmentRequest | null => {
    const given = lines.filter((l) => l.amount.gt(0));
    return given.length ? { source: 'campaigns', sourceId, label: actionLabel(a), lines: given } : null;
  };
  switch (a.type) {
    case 'AMOUNT_OFF': {
      const met = bestThreshold(a.thresholds!, base);
      return met ? order(new Prisma.Decimal(met.off), actionLabel(a, met)) : null;
    }
    case 'AMOUNT_OFF_EVERY': {
      const times = base.div(a.every!).floor();
      let amount = times.mul(a.off!);
      if (a.maxOff && amount.gt(a.maxOff)) amount = new Prisma.Decimal(a.maxOff);
      return order(amount, actionLabel(a));
    }
    case 'PERCENT_OFF_ORDER':
      return order(base.mul(a.percentOff!).div(100), actionLabel(a));
    case 'PERCENT_OFF_LINES':
      return perLine(matching.map((l) => ({ lineNo: l.lineNo, amount: lineDue(l).mul(a.percentOff!).div(100) })));
    case 'NTH_UNIT_PERCENT_OFF':
      // Per line: every nth unit of the same item, at what one unit of the line still charges.
      return perLine(
        matching.map((l) => ({
          lineNo: l.lineNo,
          amount: lineDue(l)
            .div(l.quantity)
            .mul(Math.floor(l.quantity / a.nth!))
            .mul(a.percentOff!)
            .div(100),
        })),
      );
    case 'BUY_X_GET_Y': {
      // Across the matching lines: in every buy + get units, the cheapest `get` are free.
      const units = matching
        .flatMap((l) =>
          Array.from({ length: l.quantity }, () => ({ lineNo: l.lineNo, due: lineDue(l).div(l.quantity) })),
        )
        .sort((x, y) => x.due.comparedTo(y.due) || x.lineNo - y.lineNo);
      const free = Math.floor(units.length / (a.buy! + a.get!)) * a.get!;
      const byLine = new Map<number, Prisma.Decimal>();
      for (const u of units.slice(0, free)) byLine.set(u.lineNo, (byLine.get(u.lineNo) ?? ZERO).add(u.due));
      return perLine([...byLine].map(([lineNo, amount]) => ({ lineNo, amount })));
    }
    case 'BUNDLE_PRICE':
      return perLine(bundleShares(a.bundle!, a.price!, lines));
    case 'GIFT': {
      // The gift's own lines (scanned by the till), up to giftQuantity units, at what they still charge.
      let left = a.giftQuantity!;
      const given: { lineNo: number; amount: Prisma.Decimal }[] = [];
      for (const l of lines.filter((x) => x.sku === a.giftSku)) {
        const units = Math.min(left, l.quantity);
        if (units <= 0) break;
        given.push({ lineNo: l.lineNo, amount: lineDue(l).div(l.quantity).mul(units) });
        left -= units;
      }
      return perLine(given);
    }
    case 'ISSUE_COUPON':
    case 'BONUS_POINTS':
    case 'POINTS_MULTIPLIER':
      return null; // a coupon or points once the sale is written, no discount (service.ts)
  }
}

/**
 * 套餐价: as many complete sets of the bundle as the basket holds, each at `price`. The units a set
 * takes come from the bundle's lines in line order; the difference between what they still charge
 * and the sets' price is spread over them in proportion (core's proration, to the fen).
 */
export function bundleShares(bundle: { sku: string; quantity: number }[], price: string, lines: SaleDraftLine[]) {
  const units = (sku: string) => lines.filter((l) => l.sku === sku).reduce((s, l) => s + l.quantity, 0);
  const sets = Math.min(...bundle.map((b) => Math.floor(units(b.sku) / b.quantity)));
  if (!Number.isFinite(sets) || sets < 1) return [];
  const taken: { lineNo: number; weight: Prisma.Decimal }[] = [];
  for (const b of bundle) {
    let left = sets * b.quantity;
    for (const l of lines.filter((x) => x.sku === b.sku)) {
      const n = Math.min(left, l.quantity);
      if (n <= 0) break;
      taken.push({ lineNo: l.lineNo, weight: lineDue(l).div(l.quantity).mul(n) });
      left -= n;
    }
  }
  const value = taken.reduce((s, t) => s.add(t.weight), ZERO).toDecimalPlaces(2, Prisma.Decimal.ROUND_DOWN);
  const off = value.sub(new Prisma.Decimal(price).mul(sets));
  if (off.lte(0)) return [];
  return prorate(off, taken);
}

/** The largest threshold met (满200减20 / 满500减80 at ¥520: 满500减80). */
export function bestThreshold(thresholds: { spend: string; off: string }[], base: Prisma.Decimal) {
  return (
    [...thresholds].sort((x, y) => new Prisma.Decimal(y.spend).comparedTo(x.spend)).find((t) => base.gte(t.spend)) ??
    null
  );
}

/** A campaign the basket almost qualifies for: how much more to spend, and for what. */
export interface CampaignHint {
  campaignId: string;
  missing: Prisma.Decimal;
  label: AdjustmentLabel;
  /** SPEND (the default): spend `missing` more; GIFT: scan the gift; GIFT_OUT_OF_STOCK: the store has none. */
  kind?: 'SPEND' | 'GIFT' | 'GIFT_OUT_OF_STOCK';
  /** GIFT hints: the gift and the units to scan (or lacking, out of stock). */
  gift?: { sku: string; name: string; quantity: number };
}

/**
 * The next spend step of a campaign whose other conditions hold: the minimum spend not reached
 * yet, or the next threshold of an amount off (also when a lower one applied).
 */
export function spendHint(
  c: CampaignRow,
  base: Prisma.Decimal,
  failed: Failed,
  campaignId: string,
): CampaignHint | null {
  const a = c.action;
  if (failed && failed !== 'minSpend') return null;
  if (failed === 'minSpend') {
    const min = new Prisma.Decimal(c.conditions.minSpend!);
    // With thresholds too, the first step worth reaching is the larger of the two.
    const first = a.type === 'AMOUNT_OFF' ? bestThreshold(a.thresholds!, min) : null;
    return { campaignId, missing: min.sub(base), label: actionLabel(a, first ?? undefined) };
  }
  if (a.type === 'AMOUNT_OFF') {
    const next = [...a.thresholds!]
      .sort((x, y) => new Prisma.Decimal(x.spend).comparedTo(y.spend))
      .find((t) => base.lt(t.spend));
    return next ? { campaignId, missing: new Prisma.Decimal(next.spend).sub(base), label: actionLabel(a, next) } : null;
  }
  if (a.type === 'AMOUNT_OFF_EVERY') {
    const every = new Prisma.Decimal(a.every!);
    const times = base.div(every).floor();
    if (a.maxOff && times.add(1).mul(a.off!).gt(a.maxOff)) return null; // the cap is reached already
    return { campaignId, missing: times.add(1).mul(every).sub(base), label: actionLabel(a) };
  }
  return null;
}
