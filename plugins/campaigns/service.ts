import { encodeGlobalID } from '@pothos/plugin-relay';
import type { CalendarService } from '../../src/calendar/service.ts';
import type { Db, Tx } from '../../src/db/tx.ts';
import type { Unit } from '../../src/events/transaction.ts';
import { InvalidInputError } from '../../src/errors/index.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { SaleDraft, WrittenSale } from '../../src/sales/pipeline.ts';
import { type AdjustmentLabel, applyAdjustment } from '../../src/sales/pricing.ts';
import type { WrittenRefund } from '../../src/sales/refund-pipeline.ts';
import type { SegmentService } from '../../src/segments/service.ts';
import { wallClock } from '../../src/stores/time.ts';
import type { PointsService } from '../points/service.ts';
import type { TierService } from '../tiers/service.ts';
import {
  actionLabel,
  type CampaignAction,
  type CampaignRow,
  campaignOrder,
  givesNoDiscount,
  hasLimits,
  isPointsAction,
} from './definition.ts';
import {
  actionRequest,
  basket,
  type CampaignHint,
  failedStaticCondition,
  type SaleFacts,
  spendHint,
} from './engine.ts';
import { couponCodesOf, couponError, issueFromBatch, lockCoupons, type PresentedCoupon } from './coupons.ts';
import './events.ts';

/** Other plugins' and core's services the campaigns use; `tiers`, `points` are null when not installed. */
export interface CampaignServices {
  calendar: CalendarService;
  segments: SegmentService;
  tiers: TierService | null;
  points: PointsService | null;
}

/** What the sale step left for its afterWrite and for SaleQuote.campaignHints. */
export interface CampaignNote {
  applied: {
    campaignId: string;
    amount: Prisma.Decimal;
    limited: boolean;
    couponId: string | null;
    /** ISSUE_COUPON: the batch a code is issued from to the buyer once the sale is written. */
    issueFromBatch: string | null;
    /** A campaign with limits: checked again under its row's lock once the sale is written. */
    row: CampaignRow | null;
    /** BONUS_POINTS, POINTS_MULTIPLIER: awarded through the points plugin once the sale is written. */
    points: { action: CampaignAction; lineNos: number[] | undefined } | null;
  }[];
  hints: CampaignHint[];
}

const SELECT = Prisma.sql`SELECT id::text AS id, name, status, priority, exclusive, "combinesWithTier",
  "startsAt", "endsAt", conditions, action, "budgetAmount", "budgetRedemptions", "perCustomerLimit",
  "perDayLimit", "usedAmount", "usedRedemptions", "requiresCoupon", "holdoutPercent", "createdAt", "updatedAt"
  FROM "Campaign"`;

/** The counters are kept for campaigns with limits only (they are what the limits are checked against). */
const LIMITED = Prisma.sql`(c."budgetAmount" IS NOT NULL OR c."budgetRedemptions" IS NOT NULL
  OR c."perCustomerLimit" IS NOT NULL OR c."perDayLimit" IS NOT NULL)`;

const globalIds = new Map<string, string>();
/** A campaign's global id (the adjustments' sourceId), worked out once per campaign: every sale tries every one. */
export const campaignGlobalId = (id: string) => {
  let found = globalIds.get(id);
  if (!found) {
    found = encodeGlobalID('Campaign', id);
    if (globalIds.size > 10_000) globalIds.clear();
    globalIds.set(id, found);
  }
  return found;
};
const ZERO = new Prisma.Decimal(0);

/** The campaigns plugin's domain: campaigns read from the database, applied to sales, given back on refunds. */
export class CampaignService {
  services: CampaignServices | null = null;

  use(services: CampaignServices) {
    this.services = services;
  }

  get deps(): CampaignServices {
    if (!this.services) throw new Error('The campaigns plugin was not set up.');
    return this.services;
  }

  async byId(db: Db | Tx, id: string): Promise<CampaignRow | null> {
    const [row] = await db.$queryRaw<CampaignRow[]>`${SELECT} WHERE id = ${id}::uuid`;
    return row ?? null;
  }

  async byIds(db: Db | Tx, ids: string[]): Promise<Map<string, CampaignRow>> {
    const rows = await db.$queryRaw<CampaignRow[]>`${SELECT} WHERE id = ANY (${ids}::uuid[])`;
    return new Map(rows.map((r) => [r.id, r]));
  }

  async list(db: Db | Tx, statuses: string[] | null, limit: number, offset = 0): Promise<CampaignRow[]> {
    const rows = await db.$queryRaw<CampaignRow[]>`${SELECT}
      WHERE (${statuses}::text[] IS NULL OR status = ANY (${statuses}::text[]))
      ORDER BY priority DESC, "createdAt", id LIMIT ${limit} OFFSET ${offset}`;
    return rows;
  }

  /** Campaigns that may apply to a sale, in the order they are tried. Cached: read on every sale. */
  private async active(unit: Unit): Promise<CampaignRow[]> {
    const load = async () =>
      (
        await unit.tx.$queryRaw<CampaignRow[]>`${SELECT}
          WHERE status = 'ACTIVE' AND ("endsAt" IS NULL OR "endsAt" > now())`
      ).sort(campaignOrder);
    return (await unit.cache.region<CampaignRow[]>('campaigns.active', ['campaign.changed']).get('all', load)) ?? [];
  }

  /**
   * The sale step, after the member discount (runsAfter tiers). Campaigns are tried in order
   * (priority, then the older first); each works on what the lines still charge after the ones
   * before it. An exclusive campaign applies only to a sale no campaign has applied to yet, and
   * then ends the list; one that does not combine with the member discount skips a sale that got
   * it. A campaign with limits locks its row just before it applies (always in the same order,
   * so two sales never wait on each other crosswise) and applies only if the whole discount fits.
   */
  async beforeSale(draft: SaleDraft, unit: Unit) {
    const codes = couponCodesOf(draft.inputs.couponCodes);
    const campaigns = await this.active(unit);
    if (!campaigns.length && !codes.length) return;
    const facts = await this.facts(draft, unit, campaigns);
    const coupons = codes.length ? await lockCoupons(unit.tx, codes, facts) : new Map<string, PresentedCoupon>();
    // A sale the till priced takes no reduction from here (SaleDraft.pricedBy): a coupon would be
    // marked used for nothing, so it is refused; discounts are skipped, points still awarded.
    const [presented] = coupons.values();
    if (draft.pricedBy === 'TILL' && presented)
      throw couponError('COUPON_NOT_ELIGIBLE', presented, { condition: 'pricedBy' });
    const note: CampaignNote = { applied: [], hints: [] };
    draft.notes.campaigns = note;
    let firstPurchase: boolean | null = null;
    let cutOff = false;
    for (const c of campaigns) {
      const coupon = coupons.get(c.id) ?? null;
      if (c.requiresCoupon && !coupon) continue;
      // Without a coupon a campaign that does not hold is skipped; a coupon presented for it is refused, naming why.
      const skip = (condition: string) => {
        if (coupon) throw couponError('COUPON_NOT_ELIGIBLE', coupon, { condition });
      };
      if (c.exclusive && note.applied.length) {
        skip('exclusive');
        continue;
      }
      if (!c.combinesWithTier && facts.tierDiscounted) {
        skip('combinesWithTier');
        continue;
      }
      const failed = failedStaticCondition(c, facts);
      if (failed) {
        skip(failed);
        continue;
      }
      const sourceId = campaignGlobalId(c.id);
      const b = basket(c, draft.lines);
      const hint = c.requiresCoupon ? null : spendHint(c, b.base, b.failed, sourceId);
      if (b.failed) {
        skip(b.failed);
        if (hint && !(await this.failedForCustomer(c, facts, unit, () => firstPurchase))) note.hints.push(hint);
        continue;
      }
      if (c.conditions.firstPurchase && firstPurchase === null)
        firstPurchase = await this.isFirstPurchase(unit.tx, facts.customerId!);
      const failedCustomer = await this.failedForCustomer(c, facts, unit, () => firstPurchase);
      if (failedCustomer) {
        skip(failedCustomer);
        continue;
      }
      // 满额返券 and points give no discount now: a code is issued, or points awarded, once the sale is written.
      const issuing = givesNoDiscount(c.action.type);
      // Points go to members, through the points plugin (installed when the campaign was created, maybe not now).
      if (isPointsAction(c.action.type) && (!draft.memberId || !this.deps.points)) {
        skip(draft.memberId ? 'action' : 'customer');
        continue;
      }
      const request = issuing ? null : actionRequest(c, b.matching, b.base, sourceId, draft.lines);
      // A gift the till has not scanned (or not all of it): tell the cashier, or that the store has none left.
      const gift = c.action.type === 'GIFT' && !coupon ? await this.giftHint(c, draft, unit, sourceId) : null;
      if (!issuing && !request) {
        skip('action');
        if (hint) note.hints.push(hint); // 每满300减50 at ¥270: nothing yet, the first step is near
        if (gift) note.hints.push(gift);
        continue;
      }
      if (hasLimits(c)) {
        // What core would give, worked out on a copy of the lines: a budget is checked against it.
        const amount = request ? applyAdjustment(structuredCloneLines(draft.lines), request, 0)?.amount : ZERO;
        if (!amount) {
          skip('action');
          continue;
        }
        // Read without a lock: the limits are checked again, locked, once the sale is written (afterSale).
        if (!(await this.withinLimits(c, amount, facts, unit, false))) {
          skip('limits');
          continue;
        }
      }
      const given = request ? draft.adjust(request) : null;
      if (request && !given) {
        skip('action');
        continue;
      }
      note.applied.push({
        campaignId: c.id,
        amount: given?.amount ?? ZERO,
        limited: hasLimits(c),
        row: hasLimits(c) ? c : null,
        couponId: coupon?.id ?? null,
        issueFromBatch: c.action.type === 'ISSUE_COUPON' ? c.action.couponBatchId! : null,
        points: isPointsAction(c.action.type)
          ? {
              action: c.action,
              // Only the campaign's lines earn the points when it names SKUs or categories.
              lineNos:
                c.conditions.skus?.length || c.conditions.categories?.length
                  ? b.matching.map((l) => l.lineNo)
                  : undefined,
            }
          : null,
      });
      if (coupon) coupons.delete(c.id);
      if (hint) note.hints.push(hint);
      if (gift) note.hints.push(gift);
      if (c.exclusive) {
        cutOff = true;
        break;
      }
    }
    // A coupon left over is one whose campaign an exclusive one cut off, or that is not running now (paused,
    // ended, past its end).
    for (const coupon of coupons.values())
      throw couponError('COUPON_NOT_ELIGIBLE', coupon, { condition: cutOff ? 'exclusive' : 'status' });
  }

  /**
   * A GIFT campaign whose conditions hold: the units of the gift the basket lacks, and whether the
   * store has them (its stock level), or null when every gift unit is scanned.
   */
  private async giftHint(c: CampaignRow, draft: SaleDraft, unit: Unit, campaignId: string) {
    const a = c.action;
    const scanned = draft.lines.filter((l) => l.sku === a.giftSku).reduce((s, l) => s + l.quantity, 0);
    const lacking = a.giftQuantity! - scanned;
    if (lacking <= 0) return null;
    const [stock] = await unit.tx.$queryRaw<{ onHand: number }[]>`
      SELECT s."onHand" FROM "StockLevel" s JOIN "Product" p ON p.id = s."productId"
      WHERE p.sku = ${a.giftSku} AND s."storeId" = ${draft.storeId}::uuid`;
    const available = Math.max(0, stock?.onHand ?? 0);
    const hint: CampaignHint = {
      campaignId,
      missing: ZERO,
      label: actionLabel(a),
      kind: available ? 'GIFT' : 'GIFT_OUT_OF_STOCK',
      gift: {
        sku: a.giftSku!,
        name: a.giftName ?? a.giftSku!,
        quantity: available ? Math.min(lacking, available) : lacking,
      },
    };
    return hint;
  }

  /** Segment and first purchase: the conditions that need the database, asked only when the rest hold. */
  private async failedForCustomer(c: CampaignRow, f: SaleFacts, unit: Unit, firstPurchase: () => boolean | null) {
    if (c.conditions.firstPurchase && firstPurchase() === false) return 'firstPurchase';
    if (c.conditions.segmentId) {
      const ids = await this.deps.segments.contains(unit.tx, c.conditions.segmentId, [f.customerId!]).catch(() => null);
      if (!ids?.has(f.customerId!)) return 'segmentId';
    }
    return null;
  }

  private async isFirstPurchase(tx: Tx, customerId: string) {
    const [row] = await tx.$queryRaw<{ any: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM "Sale" WHERE "customerId" = ${customerId}::uuid AND status <> 'REFUNDED') AS any`;
    return !row?.any;
  }

  /**
   * Checks the budget and the per-customer and per-day uses as committed by every sale before:
   * without a lock when the sale step decides (beforeWrite), then again once the sale is written,
   * locking the campaign's row (held to commit) just before the counters are raised under it. The
   * table's CHECK refuses an overspend regardless.
   */
  private async withinLimits(
    c: CampaignRow,
    amount: Prisma.Decimal,
    f: Pick<SaleFacts, 'customerId' | 'date'>,
    unit: Unit,
    lock: boolean,
  ) {
    // The limits too are read from the locked row: a change committed since the list was cached counts.
    const [row] = await unit.tx.$queryRaw<
      (Pick<CampaignRow, 'usedAmount' | 'usedRedemptions' | 'budgetAmount' | 'budgetRedemptions'> & {
        status: string;
      })[]
    >`
      SELECT "usedAmount", "usedRedemptions", "budgetAmount", "budgetRedemptions", status
      FROM "Campaign" WHERE id = ${c.id}::uuid ${lock ? Prisma.sql`FOR UPDATE` : Prisma.empty}`;
    if (row?.status !== 'ACTIVE') return false;
    if (row.budgetAmount != null && row.usedAmount.add(amount).gt(row.budgetAmount)) return false;
    if (row.budgetRedemptions != null && row.usedRedemptions + 1 > row.budgetRedemptions) return false;
    if (c.perCustomerLimit == null && c.perDayLimit == null) return true;
    const [uses] = await unit.tx.$queryRaw<{ customer: number; day: number }[]>`
      SELECT count(*) FILTER (WHERE "customerId" = ${f.customerId}::uuid)::int AS customer,
             count(*) FILTER (WHERE "businessDate" = ${f.date}::date)::int AS day
      FROM "CampaignRedemption" WHERE "campaignId" = ${c.id}::uuid AND NOT reversed`;
    if (c.perCustomerLimit != null && (uses?.customer ?? 0) >= c.perCustomerLimit) return false;
    if (c.perDayLimit != null && (uses?.day ?? 0) >= c.perDayLimit) return false;
    return true;
  }

  /**
   * A campaign limited by its budgets only: raises its counters if the discount still fits, as
   * committed by every sale before (the UPDATE waits for the row's lock and checks the latest
   * version), in one statement; the lock is held to commit. False when it no longer fits or the
   * campaign stopped running.
   */
  private async raiseWithinBudget(c: CampaignRow, amount: Prisma.Decimal, unit: Unit) {
    const raised = await unit.tx.$executeRaw`
      UPDATE "Campaign" SET "usedAmount" = "usedAmount" + ${amount.toFixed(2)}::numeric,
        "usedRedemptions" = "usedRedemptions" + 1
      WHERE id = ${c.id}::uuid AND status = 'ACTIVE'
        AND ("budgetAmount" IS NULL OR "usedAmount" + ${amount.toFixed(2)}::numeric <= "budgetAmount")
        AND ("budgetRedemptions" IS NULL OR "usedRedemptions" + 1 <= "budgetRedemptions")`;
    return raised === 1;
  }

  /**
   * What the conditions read of the sale. Only the weekday and the 会员日 of the store's day: the
   * calendar's whole day (lunar date, festivals, statutory days) is not worked out for every sale,
   * and the store's calendar is read only when a campaign asks for 会员日.
   */
  private async facts(draft: SaleDraft, unit: Unit, campaigns: CampaignRow[]): Promise<SaleFacts> {
    const { calendar } = this.deps;
    const wall = wallClock(draft.occurredAt, draft.timezone)!;
    const date = wall.toISOString().slice(0, 10);
    const memberDay =
      campaigns.some((c) => c.conditions.memberDay) &&
      calendar.matches({ memberDay: true }, date, await calendar.storeCalendar(unit.tx, draft.storeId));
    const day = { weekday: wall.getUTCDay() || 7, memberDay };
    const tier = this.services?.tiers?.tierFoundAtCheckout(draft) ?? null;
    return {
      storeId: draft.storeId,
      at: draft.occurredAt,
      date,
      weekday: day.weekday,
      minuteOfDay: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
      memberDay: day.memberDay,
      birthdayMonth: draft.customerBirthday ? draft.customerBirthday.getUTCMonth() + 1 : null,
      tierCode: tier?.code ?? null,
      customerId: draft.customerId,
      tierDiscounted: draft.adjustments.some((a) => a.source === 'tiers'),
    };
  }

  /** After the sale is written: one redemption row per campaign applied; the limited ones' counters raised. */
  async afterSale(sale: WrittenSale, unit: Unit) {
    const note = sale.notes.campaigns as CampaignNote | undefined;
    if (!note?.applied.length) return;
    const date = wallClock(sale.occurredAt, sale.timezone)!.toISOString().slice(0, 10);
    // The limits, locked now (in the campaigns' order, so two sales never wait on each other crosswise) and held
    // only for the rest of the sale. A campaign whose room another sale took since it was read gives nothing: one
    // that gives no money (a coupon, points) is dropped; for a discount, the sale is refused, as the till's payment
    // no longer matches what it comes to without it (the till previews again).
    const raised = new Set<string>();
    for (const a of [...note.applied]) {
      if (!a.row) continue;
      // A discount under a budget alone: checked and counted in one guarded statement (it takes the row's lock).
      if (!a.amount.isZero() && a.row.perCustomerLimit == null && a.row.perDayLimit == null) {
        if (await this.raiseWithinBudget(a.row, a.amount, unit)) {
          raised.add(a.campaignId);
          continue;
        }
      } else if (await this.withinLimits(a.row, a.amount, { customerId: sale.customerId, date }, unit, true)) continue;
      if (a.amount.isZero()) {
        note.applied = note.applied.filter((x) => x !== a);
        continue;
      }
      const paid = sale.payments.reduce((sum, p) => sum.add(p.amount), ZERO);
      throw new InvalidInputError(
        'PAYMENT_MISMATCH',
        { paid: paid.toFixed(2), total: sale.total.add(a.amount).toFixed(2) },
        ['input', 'payments'],
      );
    }
    // Points (the points step ran before: runsAfter): a campaign whose points come to nothing (a multiplier
    // on a sale that earns none) was not used.
    for (const a of note.applied.filter((x) => x.points)) {
      const given = await this.deps.points!.awardForSale(sale, unit, {
        key: a.campaignId,
        reason: actionLabel(a.points!.action)['zh-CN'],
        points: a.points!.action.points ?? undefined,
        multiplier: a.points!.action.multiplier ?? undefined,
        lineNos: a.points!.lineNos,
      });
      if (!given) note.applied = note.applied.filter((x) => x !== a);
    }
    if (!note.applied.length) return;
    const ids = note.applied.map((a) => a.campaignId);
    const amounts = note.applied.map((a) => a.amount.toFixed(2));
    const couponIds = note.applied.map((a) => a.couponId);
    await unit.tx.$executeRaw`
      INSERT INTO "CampaignRedemption" ("campaignId", "saleId", "storeId", "customerId", "businessDate", amount,
        "couponId")
      SELECT a.id, ${sale.id}::uuid, ${sale.storeId}::uuid, ${sale.customerId}::uuid, ${date}::date, a.amount, a.coupon
      FROM unnest(${ids}::uuid[], ${amounts}::numeric[], ${couponIds}::uuid[]) AS a(id, amount, coupon)`;
    const used = couponIds.filter((id): id is string => id !== null);
    // The coupons' rows were locked when the sale presented them.
    if (used.length) await unit.tx.$executeRaw`UPDATE "Coupon" SET uses = uses + 1 WHERE id = ANY (${used}::uuid[])`;
    for (const a of note.applied)
      if (a.issueFromBatch && sale.customerId)
        await issueFromBatch(unit.tx, a.issueFromBatch, sale.customerId, sale.occurredAt, sale.id);
    const limited = note.applied.filter((a) => a.limited && !raised.has(a.campaignId));
    if (limited.length)
      await unit.tx.$executeRaw`
        UPDATE "Campaign" c SET "usedAmount" = c."usedAmount" + a.amount, "usedRedemptions" = c."usedRedemptions" + 1
        FROM unnest(${limited.map((a) => a.campaignId)}::uuid[], ${limited.map((a) => a.amount.toFixed(2))}::numeric[])
          AS a(id, amount)
        WHERE c.id = a.id`;
  }

  /**
   * A refund gives back to each campaign's money budget the discount that fell on the refunded
   * units; a refund that leaves nothing of the sale also gives back the use: to the budget of
   * uses, to the customer's and the day's uses, and to the coupon that was redeemed.
   */
  async afterRefund(refund: WrittenRefund, unit: Unit) {
    const given = refund.adjustments.filter((a) => a.source === 'campaigns' && a.sourceId);
    if (given.length) {
      const byCampaign = new Map<string, Prisma.Decimal>();
      for (const a of given) {
        const id = Buffer.from(a.sourceId!, 'base64').toString('utf8').split(':')[1]!;
        byCampaign.set(id, (byCampaign.get(id) ?? new Prisma.Decimal(0)).add(a.amount));
      }
      const ids = [...byCampaign.keys()];
      const amounts = [...byCampaign.values()].map((v) => v.toFixed(2));
      await unit.tx.$executeRaw`
        WITH back AS (
          UPDATE "CampaignRedemption" r SET "refundedAmount" = least(r.amount, r."refundedAmount" + a.amount)
          FROM unnest(${ids}::uuid[], ${amounts}::numeric[]) AS a(id, amount)
          WHERE r."campaignId" = a.id AND r."saleId" = ${refund.saleId}::uuid
          RETURNING r."campaignId", a.amount)
        UPDATE "Campaign" c SET "usedAmount" = greatest(0, c."usedAmount" - back.amount)
        FROM back WHERE c.id = back."campaignId" AND ${LIMITED}`;
    }
    // Even when this last refund's units carried no discount (an earlier partial refund took those).
    if (!refund.fullyRefunded) return;
    // A coupon the sale issued (满额返券) and not used yet ends now; one already used keeps what it gave.
    await unit.tx.$executeRaw`
      UPDATE "Coupon" SET "validUntil" = ${new Date()}
      WHERE "issuedSaleId" = ${refund.saleId}::uuid AND uses = 0
        AND ("validUntil" IS NULL OR "validUntil" > ${new Date()})`;
    await unit.tx.$executeRaw`
      WITH reversed AS (
        UPDATE "CampaignRedemption" SET reversed = true
        WHERE "saleId" = ${refund.saleId}::uuid AND NOT reversed
        RETURNING "campaignId", "couponId"),
      coupons AS (
        UPDATE "Coupon" SET uses = uses - 1 FROM reversed WHERE "Coupon".id = reversed."couponId" AND uses > 0)
      UPDATE "Campaign" c SET "usedRedemptions" = greatest(0, c."usedRedemptions" - 1)
      FROM reversed WHERE c.id = reversed."campaignId" AND ${LIMITED}`;
  }

  /**
   * A merge moves the merged record's redemptions to the survivor (its per-customer uses follow),
   * and its coupons: the wallet, and the batches issued to it, are the survivor's.
   */
  async merge({ survivorId, mergedId }: { survivorId: string; mergedId: string }, { tx }: Unit) {
    await tx.$executeRaw`
      UPDATE "CampaignRedemption" SET "customerId" = ${survivorId}::uuid WHERE "customerId" = ${mergedId}::uuid`;
    await tx.$executeRaw`UPDATE "Coupon" SET "customerId" = ${survivorId}::uuid WHERE "customerId" = ${mergedId}::uuid`;
    await tx.$executeRaw`
      UPDATE "CouponBatch" SET "customerId" = ${survivorId}::uuid WHERE "customerId" = ${mergedId}::uuid`;
  }
}

/** Copies of the lines for a dry run of an adjustment (Decimals are immutable; the objects are not). */
function structuredCloneLines(lines: SaleDraft['lines']) {
  return lines.map((l) => ({ ...l }));
}

export type { AdjustmentLabel };
