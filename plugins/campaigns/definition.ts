import { Prisma } from '../../src/generated/prisma/client.ts';
import type { AdjustmentLabel } from '../../src/sales/pricing.ts';

/**
 * A campaign as data: conditions, one action, limits. Stored as JSON on the campaign's row,
 * checked when it is created or changed (plugins/campaigns/validate.ts), read by the sale step.
 */

/** Every condition given must hold. Amounts are yuan as strings ("300"), as GraphQL's Money. */
export interface CampaignConditions {
  /** On what the matching lines still charge after earlier adjustments (member price, earlier campaigns). */
  minSpend?: string | null;
  /** Lines of these SKUs or categories match; without either, every line matches. */
  skus?: string[];
  categories?: string[];
  /** Matching units the basket must hold (1 when SKUs or categories are given). */
  minQuantity?: number | null;
  /** The member's tier (tiers plugin). */
  tierCodes?: string[];
  /** A saved customer segment (core's segments), by its database id. */
  segmentId?: string | null;
  /** Database ids of the stores where it holds; every store when empty. */
  storeIds?: string[];
  /** ISO weekdays (1 = Monday) in the store's time zone. */
  weekdays?: number[];
  /** "HH:MM" in the store's time zone, from inclusive, to exclusive; a window past midnight wraps. */
  timeFrom?: string | null;
  timeTo?: string | null;
  /** The store's 会员日 (core's calendar). */
  memberDay?: boolean;
  /** The buyer's birthday falls in the month of the sale (store's time zone). */
  birthdayMonth?: boolean;
  /** The buyer has no earlier sale (a sale refunded in full does not count). */
  firstPurchase?: boolean;
}

export type CampaignActionType =
  | 'AMOUNT_OFF'
  | 'AMOUNT_OFF_EVERY'
  | 'PERCENT_OFF_ORDER'
  | 'PERCENT_OFF_LINES'
  | 'NTH_UNIT_PERCENT_OFF'
  | 'BUY_X_GET_Y'
  | 'BUNDLE_PRICE'
  | 'GIFT'
  | 'ISSUE_COUPON'
  | 'BONUS_POINTS'
  | 'POINTS_MULTIPLIER';

/** Actions that give no money off: they act once the sale is written (a coupon issued, points awarded). */
export const givesNoDiscount = (type: CampaignActionType) =>
  type === 'ISSUE_COUPON' || type === 'BONUS_POINTS' || type === 'POINTS_MULTIPLIER';
export const isPointsAction = (type: CampaignActionType) => type === 'BONUS_POINTS' || type === 'POINTS_MULTIPLIER';

export interface CampaignAction {
  type: CampaignActionType;
  /** AMOUNT_OFF: the best threshold met counts (满200减20 / 满500减80). */
  thresholds?: { spend: string; off: string }[];
  /** AMOUNT_OFF_EVERY: `off` for every full `every` (每满300减50), at most `maxOff`. */
  every?: string | null;
  off?: string | null;
  maxOff?: string | null;
  /** PERCENT_OFF_*, NTH_UNIT_PERCENT_OFF: "10" is 10 % off (9折). */
  percentOff?: string | null;
  /** NTH_UNIT_PERCENT_OFF: every nth unit of a matching line (2: 第二件). */
  nth?: number | null;
  /** BUY_X_GET_Y: in every buy + get matching units, the `get` cheapest are free. */
  buy?: number | null;
  get?: number | null;
  /** BUNDLE_PRICE: each complete set of these units (套餐) costs `price` (what the lines still charge, at most). */
  bundle?: { sku: string; quantity: number }[];
  price?: string | null;
  /** GIFT: up to `giftQuantity` units of this SKU in the basket are free (赠品; the till scans it, stock follows). */
  giftSku?: string | null;
  giftName?: string | null;
  giftQuantity?: number | null;
  /** ISSUE_COUPON: the sale issues the buyer one code of this batch (满额返券), no discount now. */
  couponBatchId?: string | null;
  /** BONUS_POINTS: points the sale earns on top (赠50积分), through the points plugin. */
  points?: number | null;
  /** POINTS_MULTIPLIER: "2" doubles what the matching lines earn by the points rules (双倍积分). */
  multiplier?: string | null;
}

export type CampaignStatus = 'ACTIVE' | 'PAUSED' | 'ENDED';

/** A row of "Campaign" as the plugin reads it. */
export interface CampaignRow {
  id: string;
  name: string;
  status: CampaignStatus;
  priority: number;
  exclusive: boolean;
  combinesWithTier: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  conditions: CampaignConditions;
  action: CampaignAction;
  budgetAmount: Prisma.Decimal | null;
  budgetRedemptions: number | null;
  perCustomerLimit: number | null;
  perDayLimit: number | null;
  usedAmount: Prisma.Decimal;
  usedRedemptions: number;
  /** Applies only to a sale that presents one of its coupon codes (issueCoupons). */
  requiresCoupon: boolean;
  /** 1–50: this share of customers (hash of campaign and customer) never gets it; results compare them. */
  holdoutPercent: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export const hasLimits = (c: CampaignRow) =>
  c.budgetAmount != null || c.budgetRedemptions != null || c.perCustomerLimit != null || c.perDayLimit != null;

/** The order campaigns are tried in: priority (higher first), then the older first, then by id. */
export function campaignOrder(a: CampaignRow, b: CampaignRow) {
  return (
    b.priority - a.priority || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

const yuan = (v: string) => new Prisma.Decimal(v).toString();
const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
const ordinalEn = (n: number) =>
  `${n}${n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th'}`;

/** "10" % off → "9折"; "5" → "95折"; "12.5" → "87.5折": how a Chinese price tag says it. */
export function zhe(percentOff: string): string {
  const left = new Prisma.Decimal(100).sub(percentOff);
  return left.mod(10).isZero() ? `${left.div(10).toString()}折` : `${left.toString()}折`;
}

/** The label of an action as given: the threshold met for AMOUNT_OFF. */
export function actionLabel(action: CampaignAction, threshold?: { spend: string; off: string }): AdjustmentLabel {
  switch (action.type) {
    case 'AMOUNT_OFF': {
      const t = threshold ?? action.thresholds![0]!;
      return { 'zh-CN': `满${yuan(t.spend)}减${yuan(t.off)}`, en: `¥${yuan(t.off)} off ¥${yuan(t.spend)}` };
    }
    case 'AMOUNT_OFF_EVERY':
      return {
        'zh-CN': `每满${yuan(action.every!)}减${yuan(action.off!)}`,
        en: `¥${yuan(action.off!)} off every ¥${yuan(action.every!)}`,
      };
    case 'PERCENT_OFF_ORDER':
    case 'PERCENT_OFF_LINES':
      return { 'zh-CN': zhe(action.percentOff!), en: `${yuan(action.percentOff!)} % off` };
    case 'NTH_UNIT_PERCENT_OFF': {
      const n = action.nth!;
      const p = new Prisma.Decimal(action.percentOff!);
      const nthZh = `第${ZH_DIGITS[n] ?? n}件`;
      const zh = p.eq(50) ? `${nthZh}半价` : p.eq(100) ? `${nthZh}免费` : `${nthZh}${zhe(action.percentOff!)}`;
      return { 'zh-CN': zh, en: `${ordinalEn(n)} unit ${p.toString()} % off` };
    }
    case 'BUY_X_GET_Y':
      return { 'zh-CN': `买${action.buy}送${action.get}`, en: `Buy ${action.buy} get ${action.get} free` };
    case 'BUNDLE_PRICE':
      return { 'zh-CN': `套餐价¥${yuan(action.price!)}`, en: `Bundle at ¥${yuan(action.price!)}` };
    case 'GIFT':
      return { 'zh-CN': `赠品：${action.giftName}`, en: `Free gift: ${action.giftName}` };
    case 'ISSUE_COUPON':
      return { 'zh-CN': '满额返券', en: 'A coupon for the next visit' };
    case 'BONUS_POINTS':
      return { 'zh-CN': `赠${action.points}积分`, en: `${action.points} bonus points` };
    case 'POINTS_MULTIPLIER': {
      const m = new Prisma.Decimal(action.multiplier!);
      return { 'zh-CN': m.eq(2) ? '双倍积分' : `${m.toString()}倍积分`, en: `${m.toString()}× points` };
    }
  }
}
