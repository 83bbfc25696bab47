import type { Db, Tx } from '../../src/db/tx.ts';
import { InvalidInputError, NotFoundError } from '../../src/errors/index.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { openBirthday } from '../../src/customers/personal.ts';
import { MAX_SEGMENT_PAGE } from '../../src/segments/service.ts';
import type { SaleDraftLine } from '../../src/sales/pipeline.ts';
import { applyAdjustment } from '../../src/sales/pricing.ts';
import { wallClock } from '../../src/stores/time.ts';
import { type CampaignRow, givesNoDiscount, isPointsAction } from './definition.ts';
import { actionRequest, basket, failedStaticCondition, type SaleFacts } from './engine.ts';
import type { CampaignServices } from './service.ts';

/**
 * What-if: a campaign definition tried on the real sales of one store over a past period, reading
 * only. Each sale is taken as it was charged (its recorded adjustments stay) and the campaign is
 * tried after them, in the order the sales happened, with its limits counted as it goes — the
 * same engine the till runs (engine.ts). See docs/plugins/campaigns.md for what it cannot know.
 */

export interface WhatIfResult {
  storeId: string;
  from: Date;
  to: Date;
  /** Sales of the store in the period, not refunded in full. */
  sales: number;
  salesTouched: number;
  customersTouched: number;
  /** The discount the campaign would have given. */
  cost: Prisma.Decimal;
  /** What the touched sales were charged as they happened (before the campaign's discount). */
  revenueTouched: Prisma.Decimal;
  /** ISSUE_COUPON: the codes it would have issued. */
  couponsIssued: number;
  /** Sales that met every condition but found the budget or a use limit spent. */
  stoppedByLimits: number;
  /** BONUS_POINTS, POINTS_MULTIPLIER: the points it would have awarded; null for another action. */
  pointsAwarded: number | null;
}

export const MAX_WHATIF_DAYS = 92;
const ZERO = new Prisma.Decimal(0);

interface SaleRow {
  id: string;
  customerId: string | null;
  occurredAt: Date;
  total: Prisma.Decimal;
  member: boolean;
  tiers: boolean;
  campaigns: boolean;
  firstPurchase: boolean | null;
}
/** A past sale's line, as the till's engine sees a draft's (the cost plays no part). */
type LineRow = Omit<SaleDraftLine, 'unitCost'> & { saleId: string };

export async function whatIf(
  db: Db | Tx,
  c: CampaignRow,
  period: { storeId: string; from: Date; to: Date },
  services: CampaignServices,
  now: Date,
): Promise<WhatIfResult> {
  const { storeId, from, to } = period;
  const windowError = (detail: string) =>
    new InvalidInputError('CAMPAIGN_INVALID_WINDOW', { field: 'to', detail }, ['to']);
  if (to <= from) throw windowError('ends before it starts');
  if (to > now) throw windowError('a what-if reads past sales: the period ends in the future');
  if (to.getTime() - from.getTime() > MAX_WHATIF_DAYS * 86_400_000)
    throw windowError(`at most ${MAX_WHATIF_DAYS} days`);
  const store = await db.store.findUnique({ where: { id: storeId }, select: { timezone: true } });
  if (!store) throw new NotFoundError('Store', storeId, ['storeId']);

  const k = c.conditions;
  // First purchase at the time of each sale: no earlier sale of the customer that was not refunded in full.
  const first = k.firstPurchase
    ? Prisma.sql`NOT EXISTS (SELECT 1 FROM "Sale" p WHERE p."customerId" = s."customerId"
        AND p."occurredAt" < s."occurredAt" AND p.status <> 'REFUNDED')`
    : Prisma.sql`NULL::boolean`;
  const sales = await db.$queryRaw<SaleRow[]>`
    SELECT s.id::text AS id, s."customerId"::text AS "customerId", s."occurredAt", s.total,
      s."memberId" IS NOT NULL AS member,
      EXISTS (SELECT 1 FROM "SaleAdjustment" a WHERE a."saleId" = s.id AND a.source = 'tiers') AS tiers,
      EXISTS (SELECT 1 FROM "SaleAdjustment" a WHERE a."saleId" = s.id AND a.source = 'campaigns') AS campaigns,
      ${first} AS "firstPurchase"
    FROM "Sale" s
    WHERE s."storeId" = ${storeId}::uuid AND s."occurredAt" >= ${from} AND s."occurredAt" < ${to}
      AND s.status <> 'REFUNDED'
    ORDER BY s."occurredAt", s.id`;
  const lines = await db.$queryRaw<LineRow[]>`
    SELECT l."saleId"::text AS "saleId", l."lineNo", l."productId"::text AS "productId", l.sku, l.name,
      p.category, l.quantity, l."unitPrice", l.discount
    FROM "Sale" s JOIN "SaleLine" l ON l."saleId" = s.id JOIN "Product" p ON p.id = l."productId"
    WHERE s."storeId" = ${storeId}::uuid AND s."occurredAt" >= ${from} AND s."occurredAt" < ${to}
      AND s.status <> 'REFUNDED'
    ORDER BY l."saleId", l."lineNo"`;
  const linesOf = new Map<string, SaleDraftLine[]>();
  for (const l of lines) {
    const list = linesOf.get(l.saleId) ?? [];
    list.push({ ...l, unitCost: null });
    linesOf.set(l.saleId, list);
  }

  const customerIds = [...new Set(sales.flatMap((s) => (s.customerId ? [s.customerId] : [])))];
  const birthdays = new Map<string, number>();
  if (k.birthdayMonth && customerIds.length) {
    const rows = await db.$queryRaw<{ id: string; birthdayEnc: string | null }[]>`
      SELECT id::text AS id, "birthdayEnc" FROM "Customer" WHERE id = ANY (${customerIds}::uuid[])`;
    for (const r of rows) {
      const b = openBirthday(r.birthdayEnc);
      if (b) birthdays.set(r.id, b.getUTCMonth() + 1);
    }
  }
  // Segments as they are now (membership is not kept over time).
  const inSegment = new Set<string>();
  if (k.segmentId)
    for (let i = 0; i < customerIds.length; i += MAX_SEGMENT_PAGE)
      for (const id of await services.segments.contains(db, k.segmentId, customerIds.slice(i, i + MAX_SEGMENT_PAGE)))
        inSegment.add(id);
  // The tier each member sale was priced with (the tiers plugin keeps it per sale).
  const tierOf = new Map<string, string>();
  if (k.tierCodes?.length && sales.length) {
    const rows = await db.$queryRaw<{ saleId: string; tierCode: string }[]>`
      SELECT b."saleId"::text AS "saleId", b."tierCode" FROM "SaleTierBenefit" b JOIN "Sale" s ON s.id = b."saleId"
      WHERE s."storeId" = ${storeId}::uuid AND s."occurredAt" >= ${from} AND s."occurredAt" < ${to}`;
    for (const r of rows) tierOf.set(r.saleId, r.tierCode);
  }
  // Points: a member's sale earns them (through the points plugin, which validation required); a multiplier
  // multiplies what each line earned by the sale itself, as recorded.
  const pointsAction = isPointsAction(c.action.type);
  const ownPoints =
    c.action.type === 'POINTS_MULTIPLIER' && services.points
      ? await services.points.ownPointsByLine(
          db,
          sales.filter((s) => s.member).map((s) => s.id),
        )
      : null;
  const calendar = k.memberDay || k.weekdays?.length ? await services.calendar.storeCalendar(db, storeId) : null;
  const days = new Map<string, { weekday: number; memberDay: boolean }>();

  let used = ZERO;
  let uses = 0;
  const perCustomer = new Map<string, number>();
  const perDay = new Map<string, number>();
  const touchedCustomers = new Set<string>();
  const out = { salesTouched: 0, cost: ZERO, revenueTouched: ZERO, couponsIssued: 0, stoppedByLimits: 0 };
  let pointsAwarded = 0;

  for (const s of sales) {
    if (c.exclusive && s.campaigns) continue;
    if (!c.combinesWithTier && s.tiers) continue;
    const wall = wallClock(s.occurredAt, store.timezone)!;
    const date = wall.toISOString().slice(0, 10);
    let day = days.get(date);
    if (!day) {
      const d = services.calendar.day(date, calendar);
      day = { weekday: d.weekday, memberDay: d.memberDay };
      days.set(date, day);
    }
    const facts: SaleFacts = {
      storeId,
      at: s.occurredAt,
      date,
      weekday: day.weekday,
      minuteOfDay: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
      memberDay: day.memberDay,
      birthdayMonth: s.customerId ? (birthdays.get(s.customerId) ?? null) : null,
      tierCode: tierOf.get(s.id) ?? null,
      customerId: s.customerId,
      tierDiscounted: s.tiers,
    };
    // The campaign's own window is the period asked for; a holdout is not simulated (the campaign has no id yet).
    if (failedStaticCondition({ ...c, startsAt: null, endsAt: null, holdoutPercent: null }, facts)) continue;
    if (k.firstPurchase && !s.firstPurchase) continue;
    if (k.segmentId && !inSegment.has(s.customerId!)) continue;
    const saleLines = linesOf.get(s.id) ?? [];
    const b = basket(c, saleLines);
    if (b.failed) continue;
    let points = 0;
    if (pointsAction) {
      if (!s.member || !services.points) continue;
      const own = ownPoints?.get(s.id);
      const a = c.action;
      points =
        a.type === 'BONUS_POINTS'
          ? a.points!
          : b.matching.reduce(
              (sum, l) => sum + services.points!.multipliedPoints(own?.get(l.lineNo) ?? 0, a.multiplier!),
              0,
            );
      if (points <= 0) continue; // a multiplier on a sale that earned nothing: not used, as at the till
    }
    let amount = ZERO;
    if (!givesNoDiscount(c.action.type)) {
      const request = actionRequest(c, b.matching, b.base, 'whatif', saleLines);
      const given = request && applyAdjustment(saleLines, request, 0);
      if (!given) continue;
      amount = given.amount;
    }
    const customerUses = s.customerId ? (perCustomer.get(s.customerId) ?? 0) : 0;
    if (
      (c.budgetAmount && used.add(amount).gt(c.budgetAmount)) ||
      (c.budgetRedemptions != null && uses + 1 > c.budgetRedemptions) ||
      (c.perCustomerLimit != null && customerUses >= c.perCustomerLimit) ||
      (c.perDayLimit != null && (perDay.get(date) ?? 0) >= c.perDayLimit)
    ) {
      out.stoppedByLimits += 1;
      continue;
    }
    used = used.add(amount);
    uses += 1;
    if (s.customerId) {
      perCustomer.set(s.customerId, customerUses + 1);
      touchedCustomers.add(s.customerId);
    }
    perDay.set(date, (perDay.get(date) ?? 0) + 1);
    out.salesTouched += 1;
    out.cost = out.cost.add(amount);
    out.revenueTouched = out.revenueTouched.add(s.total);
    if (c.action.type === 'ISSUE_COUPON') out.couponsIssued += 1;
    pointsAwarded += points;
  }
  return {
    storeId,
    from,
    to,
    sales: sales.length,
    customersTouched: touchedCustomers.size,
    ...out,
    pointsAwarded: pointsAction ? pointsAwarded : null,
  };
}
