import { openBirthday } from '../../src/customers/personal.ts';
import { recomputeCustomerFigures } from '../../src/customers/figures.ts';
import { uuidv7 } from '../../src/db/ids.ts';
import type { Db, Tx } from '../../src/db/tx.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { SaleDraftLine } from '../../src/sales/pipeline.ts';
import { type Adjustment, applyAdjustment } from '../../src/sales/pricing.ts';
import { DAY_MS, DEFAULT_TIME_ZONE, wallClock, wallTimeToInstant } from '../../src/stores/time.ts';
import { type CampaignAction, type CampaignConditions, type CampaignRow, campaignOrder } from './definition.ts';
import { actionRequest, basket, failedStaticCondition, type SaleFacts } from './engine.ts';
import { newCouponCode } from './coupons.ts';
import { campaignGlobalId, type CampaignServices } from './service.ts';

/** How far back the demo's campaigns started: the demo's sales since then were priced with them. */
export const DEMO_HISTORY_DAYS = 60;

/**
 * The demo's campaigns, running since DEMO_HISTORY_DAYS before the demo was created: a 满减,
 * 饮料第二件半价, the members' Wednesday 95折 and a birthday coupon issued at the start of each month
 * to the customers born in it, valid that month. The demo's sales since they started are priced with
 * them (demoHistory below), birthday coupons presented as a customer would, so their results show
 * redemptions at once.
 */
export async function seedCampaignsDemo(db: Db, services: CampaignServices, now = new Date()) {
  const [any] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "Campaign"`;
  if (any!.n > 0) return;
  const tierCodes = services.tiers ? (await services.tiers.allTiers(db)).map((t) => t.code) : [];
  const startsAt = new Date(now.getTime() - DEMO_HISTORY_DAYS * DAY_MS);
  let created = 0;
  const campaign = async (
    name: string,
    priority: number,
    conditions: CampaignConditions,
    action: CampaignAction,
    extra: { budgetAmount?: string; requiresCoupon?: boolean } = {},
  ) => {
    // Created when they started, a millisecond apart: the order campaigns of the same priority are tried in.
    const createdAt = new Date(startsAt.getTime() + created++);
    const [row] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO "Campaign" (name, priority, conditions, action, "budgetAmount", "requiresCoupon", "startsAt",
        "createdAt", "updatedAt")
      VALUES (${name}, ${priority}, ${JSON.stringify(conditions)}::jsonb, ${JSON.stringify(action)}::jsonb,
        ${extra.budgetAmount ?? null}::numeric, ${extra.requiresCoupon ?? false}, ${startsAt}, ${createdAt},
        ${createdAt})
      RETURNING id::text AS id`;
    return row!.id;
  };
  await campaign(
    '全场满200减20，满500减80',
    10,
    {},
    {
      type: 'AMOUNT_OFF',
      thresholds: [
        { spend: '200.00', off: '20.00' },
        { spend: '500.00', off: '80.00' },
      ],
    },
    { budgetAmount: '5000.00' },
  );
  await campaign(
    '饮料第二件半价',
    20,
    { categories: ['饮料'] },
    { type: 'NTH_UNIT_PERCENT_OFF', nth: 2, percentOff: '50' },
  );
  // Members are the customers with a tier; without the tiers plugin, every buyer on a Wednesday.
  await campaign(
    '会员周三95折',
    5,
    { weekdays: [3], ...(tierCodes.length ? { tierCodes } : {}) },
    { type: 'PERCENT_OFF_ORDER', percentOff: '5' },
  );
  const birthday = await campaign(
    '生日券 满100减20',
    30,
    { birthdayMonth: true },
    { type: 'AMOUNT_OFF', thresholds: [{ spend: '100.00', off: '20.00' }] },
    { requiresCoupon: true },
  );

  // Each month since the campaigns started (Beijing time), a batch for the customers born in it: one code each,
  // issued on the 1st (or when the campaign started), valid to the end of the month (生日当月有效).
  const people = await db.$queryRaw<{ id: string; birthdayEnc: string | null }[]>`
    SELECT id::text AS id, "birthdayEnc" FROM "Customer" WHERE "birthdayEnc" IS NOT NULL AND "mergedIntoId" IS NULL`;
  const birthdays = new Map<string, number>();
  for (const p of people) {
    const b = openBirthday(p.birthdayEnc);
    if (b) birthdays.set(p.id, b.getUTCMonth() + 1);
  }
  const wallet = new Map<string, DemoCoupon>();
  for (const { year, month } of monthsBetween(startsAt, now, DEFAULT_TIME_ZONE)) {
    const monthStart = wallTimeToInstant({ year, month, day: 1 }, DEFAULT_TIME_ZONE);
    const validFrom = monthStart > startsAt ? monthStart : startsAt;
    const validUntil = wallTimeToInstant(
      { year: month === 12 ? year + 1 : year, month: (month % 12) + 1, day: 1 },
      DEFAULT_TIME_ZONE,
    );
    const born = [...birthdays].filter(([, m]) => m === month).map(([id]) => id);
    const [batch] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO "CouponBatch" ("campaignId", prefix, count, "maxUses", "validFrom", "validUntil", "createdAt")
      VALUES (${birthday}::uuid, 'BDAY', ${born.length}, 1, ${validFrom}, ${validUntil}, ${validFrom})
      RETURNING id::text AS id`;
    if (!born.length) continue;
    const issued = await db.$queryRaw<{ id: string; customerId: string }[]>`
      INSERT INTO "Coupon" (code, "batchId", "campaignId", "customerId", "maxUses", "validFrom", "validUntil",
        "createdAt")
      SELECT code, ${batch!.id}::uuid, ${birthday}::uuid, customer, 1, ${validFrom}, ${validUntil}, ${validFrom}
      FROM unnest(${born.map(() => newCouponCode('BDAY'))}::text[], ${born}::uuid[]) AS k(code, customer)
      RETURNING id::text AS id, "customerId"::text AS "customerId"`;
    for (const k of issued)
      wallet.set(k.customerId, { id: k.id, campaignId: birthday, validFrom, validUntil, used: false });
  }

  await db.$transaction((tx) => demoHistory(tx, services, startsAt, now, { birthdays, wallet }), {
    timeout: 120_000,
  });
}

/** A demo customer's birthday coupon, as the history presents it. */
interface DemoCoupon {
  id: string;
  campaignId: string;
  validFrom: Date;
  validUntil: Date;
  used: boolean;
}

/** The calendar months (year, month) from `from` to `to`, in a time zone. */
function monthsBetween(from: Date, to: Date, timeZone: string) {
  const a = wallClock(from, timeZone)!;
  const b = wallClock(to, timeZone)!;
  const last = b.getUTCFullYear() * 12 + b.getUTCMonth();
  const out: { year: number; month: number }[] = [];
  for (let n = a.getUTCFullYear() * 12 + a.getUTCMonth(); n <= last; n++)
    out.push({ year: Math.floor(n / 12), month: (n % 12) + 1 });
  return out;
}

interface HistorySale {
  id: string;
  storeId: string;
  timezone: string;
  customerId: string | null;
  occurredAt: Date;
  refunded: boolean;
}
type HistoryLine = SaleDraftLine & { id: string; saleId: string };

/** The till's own line discounts, as core labels them when it records a sale (src/sales/record.ts). */
const TILL_DISCOUNT = { 'zh-CN': '收银折扣', en: 'Discount at the till' };
const ZERO = new Prisma.Decimal(0);

/**
 * Prices the demo's sales since `from` with the running campaigns, as the till would have: in the
 * order the sales happened, each campaign tried in order with the engine the till runs, its budget
 * counted as it goes. A customer presents their birthday coupon (the `wallet`) at the first sale it
 * applies to within its validity, among the sales they kept (a sale refunded in full would have
 * given the use back). Each sale a campaign
 * applied to gets the adjustments (after its till discounts, written as such), its lines, total,
 * payment and refund restated to the fen, and a redemption (undone when the sale was refunded in
 * full); the campaigns' counters and the customers' figures follow. Points earned on those sales
 * are restated by the points plugin when installed.
 */
async function demoHistory(
  tx: Tx,
  services: CampaignServices,
  from: Date,
  now: Date,
  people: { birthdays: Map<string, number>; wallet: Map<string, DemoCoupon> },
) {
  const campaigns = (
    await tx.$queryRaw<CampaignRow[]>`
      SELECT id::text AS id, name, status, priority, exclusive, "combinesWithTier", "startsAt", "endsAt", conditions,
        action, "budgetAmount", "budgetRedemptions", "perCustomerLimit", "perDayLimit", "usedAmount",
        "usedRedemptions", "requiresCoupon", "holdoutPercent", "createdAt", "updatedAt"
      FROM "Campaign" WHERE status = 'ACTIVE'`
  ).sort(campaignOrder);
  if (!campaigns.length) return;
  const sales = await tx.$queryRaw<HistorySale[]>`
    SELECT s.id::text AS id, s."storeId"::text AS "storeId", st.timezone, s."customerId"::text AS "customerId",
      s."occurredAt", s.status = 'REFUNDED' AS refunded
    FROM "Sale" s JOIN "Store" st ON st.id = s."storeId"
    WHERE s."occurredAt" >= ${from} AND s."occurredAt" < ${now}
    ORDER BY s."occurredAt", s.id`;
  const lines = await tx.$queryRaw<HistoryLine[]>`
    SELECT l.id::text AS id, l."saleId"::text AS "saleId", l."lineNo", l."productId"::text AS "productId", l.sku,
      l.name, p.category, l.quantity, l."unitPrice", l.discount, NULL::numeric AS "unitCost"
    FROM "Sale" s JOIN "SaleLine" l ON l."saleId" = s.id JOIN "Product" p ON p.id = l."productId"
    WHERE s."occurredAt" >= ${from} AND s."occurredAt" < ${now}
    ORDER BY l."saleId", l."lineNo"`;
  const linesOf = new Map<string, HistoryLine[]>();
  for (const l of lines) linesOf.set(l.saleId, [...(linesOf.get(l.saleId) ?? []), l]);
  // The tier the tiers plugin placed each member in, taken as their tier at each sale.
  const tierOf = new Map<string, string>();
  if (services.tiers)
    for (const r of await tx.$queryRaw<{ customerId: string; code: string }[]>`
      SELECT mt."customerId"::text AS "customerId", t.code FROM "MemberTier" mt JOIN "Tier" t ON t.id = mt."tierId"`)
      tierOf.set(r.customerId, r.code);
  const calendars = new Map<string, Awaited<ReturnType<typeof services.calendar.storeCalendar>>>();
  // A day of the retail calendar is worked out once per store and date (festivals, holidays, 会员日).
  // The calendar (a store's 会员日) is read only when a campaign asks for it; a weekday is the date's.
  const days = new Map<string, { weekday: number; memberDay: boolean }>();
  const memberDays = campaigns.some((c) => c.conditions.memberDay);

  const used = new Map<string, Prisma.Decimal>();
  const touched: { sale: HistorySale; lines: HistoryLine[]; adjustments: Adjustment[] }[] = [];
  const redemptions: {
    campaignId: string;
    sale: HistorySale;
    date: string;
    amount: Prisma.Decimal;
    couponId: string | null;
  }[] = [];
  for (const sale of sales) {
    const saleLines = linesOf.get(sale.id) ?? [];
    const wall = wallClock(sale.occurredAt, sale.timezone)!;
    const date = wall.toISOString().slice(0, 10);
    const dayKey = `${sale.storeId}:${date}`;
    let day = days.get(dayKey);
    if (!day && memberDays) {
      if (!calendars.has(sale.storeId))
        calendars.set(sale.storeId, await services.calendar.storeCalendar(tx, sale.storeId));
      const d = services.calendar.day(date, calendars.get(sale.storeId)!);
      day = { weekday: d.weekday, memberDay: d.memberDay };
      days.set(dayKey, day);
    } else if (!day) {
      day = { weekday: new Date(`${date}T00:00:00Z`).getUTCDay() || 7, memberDay: false };
      days.set(dayKey, day);
    }
    const facts: SaleFacts = {
      storeId: sale.storeId,
      at: sale.occurredAt,
      date,
      weekday: day.weekday,
      minuteOfDay: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
      memberDay: day.memberDay,
      birthdayMonth: sale.customerId ? (people.birthdays.get(sale.customerId) ?? null) : null,
      tierCode: sale.customerId ? (tierOf.get(sale.customerId) ?? null) : null,
      customerId: sale.customerId,
      tierDiscounted: false,
    };
    // The till's discounts came first: they are the sale's first adjustments once it has others.
    const adjustments: Adjustment[] = [];
    const till = saleLines.filter((l) => l.discount.gt(0));
    if (till.length)
      adjustments.push({
        position: 1,
        source: 'pos',
        sourceId: null,
        label: TILL_DISCOUNT,
        scope: 'LINE',
        amount: till.reduce((s, l) => s.add(l.discount), ZERO),
        shares: till.map((l) => ({ lineNo: l.lineNo, amount: l.discount })),
      });
    let applied = 0;
    for (const c of campaigns) {
      if (c.exclusive && applied) continue;
      const held = sale.customerId ? people.wallet.get(sale.customerId) : undefined;
      const coupon =
        c.requiresCoupon &&
        !sale.refunded &&
        held?.campaignId === c.id &&
        !held.used &&
        sale.occurredAt >= held.validFrom &&
        sale.occurredAt < held.validUntil
          ? held
          : null;
      if (c.requiresCoupon && !coupon) continue;
      if (failedStaticCondition(c, facts)) continue;
      if (c.perCustomerLimit != null || c.perDayLimit != null || c.budgetRedemptions != null) continue;
      const b = basket(c, saleLines);
      if (b.failed) continue;
      const request = actionRequest(c, b.matching, b.base, campaignGlobalId(c.id), saleLines);
      if (!request) continue;
      // The budget: a campaign applies only if its whole discount still fits (tried on a copy of the lines).
      const spent = used.get(c.id) ?? ZERO;
      if (c.budgetAmount) {
        const dry = applyAdjustment(
          saleLines.map((l) => ({ ...l })),
          request,
          0,
        );
        if (!dry || spent.add(dry.amount).gt(c.budgetAmount)) continue;
      }
      const given = applyAdjustment(saleLines, request, adjustments.length + 1);
      if (!given) continue;
      adjustments.push(given);
      applied += 1;
      // A sale refunded in full gave its discount back to the budget.
      if (!sale.refunded) used.set(c.id, spent.add(given.amount));
      redemptions.push({ campaignId: c.id, sale, date, amount: given.amount, couponId: coupon?.id ?? null });
      if (coupon) coupon.used = true;
      if (c.exclusive) break;
    }
    if (applied) touched.push({ sale, lines: saleLines, adjustments });
  }
  if (!touched.length) return;

  const lineTotal = (l: HistoryLine) => l.unitPrice.mul(l.quantity).sub(l.discount);
  const restated = touched.flatMap((t) =>
    t.lines.map((l) => ({ id: l.id, discount: l.discount.toFixed(2), total: lineTotal(l).toFixed(2) })),
  );
  const totals = touched.map((t) => ({
    id: t.sale.id,
    discount: t.lines.reduce((s, l) => s.add(l.discount), ZERO).toFixed(2),
    total: t.lines.reduce((s, l) => s.add(lineTotal(l)), ZERO).toFixed(2),
  }));
  await tx.$executeRaw`
    UPDATE "SaleLine" l SET discount = v.discount, total = v.total
    FROM jsonb_to_recordset(${JSON.stringify(restated)}::jsonb) AS v(id uuid, discount numeric, total numeric)
    WHERE l.id = v.id`;
  // The demo's sales are paid in one payment and refunded whole, line by line.
  await tx.$executeRaw`
    WITH v AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(totals)}::jsonb)
                 AS v(id uuid, discount numeric, total numeric)),
    sale AS (
      UPDATE "Sale" s SET "discountTotal" = v.discount, total = v.total,
        "refundedTotal" = CASE WHEN s.status = 'REFUNDED' THEN v.total ELSE s."refundedTotal" END
      FROM v WHERE s.id = v.id),
    payment AS (UPDATE "Payment" p SET amount = v.total FROM v WHERE p."saleId" = v.id)
    UPDATE "Refund" r SET total = v.total FROM v WHERE r."saleId" = v.id`;
  const ids = totals.map((t) => t.id);
  await tx.$executeRaw`
    UPDATE "RefundLine" rl SET amount = l.total
    FROM "SaleLine" l WHERE rl."saleLineId" = l.id AND l."saleId" = ANY (${ids}::uuid[])`;
  const rows = touched.flatMap((t) =>
    t.adjustments.map((a) => ({
      id: uuidv7(t.sale.occurredAt.getTime()),
      saleId: t.sale.id,
      position: a.position,
      source: a.source,
      sourceId: a.sourceId ?? null,
      labelZh: a.label['zh-CN'],
      labelEn: a.label.en,
      scope: a.scope,
      amount: a.amount.toFixed(2),
      lineNos: a.shares.map((s) => s.lineNo),
      shares: a.shares.map((s) => s.amount.toFixed(2)),
    })),
  );
  await tx.$executeRaw`
    INSERT INTO "SaleAdjustment" (id, "saleId", position, source, "sourceId", "labelZh", "labelEn", scope, amount,
      "lineNos", shares)
    SELECT a.id, a."saleId", a.position, a.source, a."sourceId", a."labelZh", a."labelEn",
      a.scope::"AdjustmentScope", a.amount, a."lineNos", a.shares
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS a(id uuid, "saleId" uuid, position int, source text,
      "sourceId" text, "labelZh" text, "labelEn" text, scope text, amount numeric, "lineNos" int[], shares numeric[])`;
  const given = redemptions.map((r) => ({
    campaignId: r.campaignId,
    saleId: r.sale.id,
    storeId: r.sale.storeId,
    customerId: r.sale.customerId,
    businessDate: r.date,
    amount: r.amount.toFixed(2),
    reversed: r.sale.refunded,
    couponId: r.couponId,
    createdAt: r.sale.occurredAt.toISOString(),
  }));
  await tx.$executeRaw`
    INSERT INTO "CampaignRedemption" ("campaignId", "saleId", "storeId", "customerId", "businessDate", amount,
      "refundedAmount", reversed, "couponId", "createdAt")
    SELECT r."campaignId", r."saleId", r."storeId", r."customerId", r."businessDate", r.amount,
      CASE WHEN r.reversed THEN r.amount ELSE 0 END, r.reversed, r."couponId", r."createdAt"
    FROM jsonb_to_recordset(${JSON.stringify(given)}::jsonb) AS r("campaignId" uuid, "saleId" uuid, "storeId" uuid,
      "customerId" uuid, "businessDate" date, amount numeric, reversed boolean, "couponId" uuid,
      "createdAt" timestamp)`;
  // The birthday coupons presented are used up (only kept sales presented one).
  const usedCoupons = redemptions.flatMap((r) => (r.couponId ? [r.couponId] : []));
  if (usedCoupons.length) await tx.$executeRaw`UPDATE "Coupon" SET uses = 1 WHERE id = ANY (${usedCoupons}::uuid[])`;
  // The counters of the campaigns with limits: what they gave, net of the sales refunded in full.
  await tx.$executeRaw`
    UPDATE "Campaign" c SET "usedAmount" = u.amount, "usedRedemptions" = u.uses
    FROM (SELECT "campaignId", sum(amount - "refundedAmount") AS amount,
            count(*) FILTER (WHERE NOT reversed)::int AS uses
          FROM "CampaignRedemption" GROUP BY "campaignId") u
    WHERE c.id = u."campaignId" AND (c."budgetAmount" IS NOT NULL OR c."budgetRedemptions" IS NOT NULL
      OR c."perCustomerLimit" IS NOT NULL OR c."perDayLimit" IS NOT NULL)`;
  await recomputeCustomerFigures(tx);
  await services.points?.restateDemoEarnings(tx, ids);
}
