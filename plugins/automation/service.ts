import { NIL_UUID } from '../../src/db/ids.ts';
import { createHash } from 'node:crypto';
import { audit, changedFields, type AuditActor } from '../../src/audit/service.ts';
import { openBirthday } from '../../src/customers/personal.ts';
import type { Db } from '../../src/db/tx.ts';
import { InvalidInputError, NotFoundError } from '../../src/errors/index.ts';
import type { EventBus } from '../../src/events/bus.ts';
import { runInTransaction, type Unit } from '../../src/events/transaction.ts';
import type { AutomationTrigger } from '../../src/generated/prisma/client.ts';
import { RfmSegment, type AutomationTriggerKind, type ConsentChannel } from '../../src/generated/prisma/enums.ts';
import type { Locale } from '../../src/i18n/locale.ts';
import type { CalendarService, StoreCalendar } from '../../src/calendar/service.ts';
import { DEFAULT_TIME_ZONE, wallClock } from '../../src/stores/time.ts';
import {
  render,
  TEMPLATE_MAX_LENGTH,
  TEMPLATE_VARIABLES,
  unknownVariable,
  type TemplateVariable,
} from './templates.ts';

/**
 * Marketing automation (营销自动化): triggers as data, evaluated by a scheduled job. Each
 * qualifying customer's occasion (this year's birthday, this lapse, this tier change…) is written
 * once, under a unique key, in the transaction that emits its `customer.notification`: a job run
 * twice, in two processes, or caught up after downtime sends nothing twice. Only channels the
 * customer consented to are addressed; nobody is contacted in their store's quiet hours (the
 * next run after them does it). docs/plugins/automation.md.
 */

export interface TriggerInput {
  name: string;
  kind: AutomationTriggerKind;
  days: number;
  templateZh: string;
  templateEn: string;
  channels: ConsentChannel[];
  quietFrom?: string | null;
  quietTo?: string | null;
  holdoutPercent?: number | null;
  /** A reward batch of the campaigns plugin: each message brings one of its codes. */
  couponBatchId?: string | null;
  /** RFM_SEGMENT_MOVED: the layer moved into (an RfmSegment value, e.g. WIN_BACK, 重要挽留客户). */
  rfmSegment?: string | null;
  active?: boolean | null;
}

/** The campaigns plugin's service "coupons", when it is installed (plugins/campaigns/index.ts). */
export interface Coupons {
  issue(
    tx: Unit['tx'],
    batchId: string,
    customerId: string,
    at: Date,
  ): Promise<{ code: string; validUntil: Date | null; title: string }>;
  isRewardBatch(db: Db | Unit['tx'], batchId: string): Promise<boolean>;
}

/** The rfm plugin's service "rfm", when it is installed (plugins/rfm/index.ts). */
export interface RfmLayers {
  segmentName(segment: RfmSegment): Record<Locale, string> | undefined;
}

export interface AutomationOptions {
  /** How often the job runs (cron, JOB_TIMEZONE): quiet hours end at most this late for a message. */
  schedule: string;
  /** Sends one run writes per trigger at most; the rest go in the next run. */
  maxPerRun: number;
}

/** The channels a message can be addressed to (a phone call is a person's job, not a message's). */
const MESSAGE_CHANNELS: readonly ConsentChannel[] = ['SMS', 'WECHAT', 'EMAIL'];
const DAY_MS = 86_400_000;
/** Customers read per statement while looking for the day's birthdays and anniversaries. */
const PAGE = 2_000;

interface Candidate {
  id: string;
  name: string;
  birthdayEnc: string | null;
  firstPurchaseAt: Date | null;
  lastPurchaseAt: Date | null;
  timezone: string | null;
  store: string | null;
  consented: ConsentChannel[];
  /** Filled by the kinds whose query knows them. */
  occasion?: string;
  points?: number;
  date?: string;
  tier?: string;
  /** RFM_SEGMENT_MOVED: the layer moved into. */
  segment?: RfmSegment;
}

export class AutomationService {
  private points = false;
  private tiers = false;
  private coupons: () => Coupons | undefined = () => undefined;
  private rfm: () => RfmLayers | undefined = () => undefined;
  private calendar: CalendarService | undefined;
  constructor(readonly options: AutomationOptions) {}

  use(installed: {
    points: boolean;
    tiers: boolean;
    coupons: () => Coupons | undefined;
    rfm: () => RfmLayers | undefined;
    calendar: CalendarService;
  }) {
    this.calendar = installed.calendar;
    this.points = installed.points;
    this.tiers = installed.tiers;
    this.coupons = installed.coupons;
    this.rfm = installed.rfm;
  }

  // ——— triggers ———

  private async check(tx: Unit['tx'], input: TriggerInput) {
    const bad = (field: string, detail: string) =>
      new InvalidInputError('AUTOMATION_INVALID', { field, detail }, ['input', field]);
    const name = input.name.trim();
    if (!name || name.length > 60) throw bad('name', '1–60');
    if (!Number.isInteger(input.days) || input.days < 0 || input.days > 3650) throw bad('days', '0–3650');
    if (input.kind === 'LAPSED' && input.days < 1) throw bad('days', '≥ 1');
    for (const field of ['templateZh', 'templateEn'] as const) {
      const text = input[field].trim();
      if (!text || text.length > TEMPLATE_MAX_LENGTH) throw bad(field, `1–${TEMPLATE_MAX_LENGTH}`);
      const unknown = unknownVariable(text);
      if (unknown)
        throw new InvalidInputError(
          'AUTOMATION_TEMPLATE_VARIABLE',
          { value: unknown, allowed: TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(' ') },
          ['input', field],
        );
    }
    const channels = [...new Set(input.channels)];
    if (!channels.length || channels.some((c) => !MESSAGE_CHANNELS.includes(c)))
      throw bad('channels', MESSAGE_CHANNELS.join(', '));
    const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
    if (Boolean(input.quietFrom) !== Boolean(input.quietTo)) throw bad('quietTo', 'both or neither');
    for (const field of ['quietFrom', 'quietTo'] as const)
      if (input[field] && !hhmm.test(input[field]!)) throw bad(field, 'HH:MM');
    const holdout = input.holdoutPercent ?? 0;
    if (!Number.isInteger(holdout) || holdout < 0 || holdout > 90) throw bad('holdoutPercent', '0–90');
    if (input.kind === 'POINTS_EXPIRING' && !this.points)
      throw new InvalidInputError('AUTOMATION_NEEDS_PLUGIN', { plugin: 'points' }, ['input', 'kind']);
    if (input.kind === 'TIER_UPGRADED' && !this.tiers)
      throw new InvalidInputError('AUTOMATION_NEEDS_PLUGIN', { plugin: 'tiers' }, ['input', 'kind']);
    if (input.kind === 'RFM_SEGMENT_MOVED' && !this.rfm())
      throw new InvalidInputError('AUTOMATION_NEEDS_PLUGIN', { plugin: 'rfm' }, ['input', 'kind']);
    const segment = input.rfmSegment || null;
    if (input.kind === 'RFM_SEGMENT_MOVED' ? !segment || !(segment in RfmSegment) : segment)
      throw bad(
        'rfmSegment',
        input.kind === 'RFM_SEGMENT_MOVED' ? Object.keys(RfmSegment).join(', ') : 'RFM_SEGMENT_MOVED',
      );
    if (input.kind === 'MEMBER_DAY' && input.days > 31) throw bad('days', '0–31');
    if (input.couponBatchId) {
      const coupons = this.coupons();
      if (!coupons)
        throw new InvalidInputError('AUTOMATION_NEEDS_PLUGIN', { plugin: 'campaigns' }, ['input', 'couponBatchId']);
      if (!(await coupons.isRewardBatch(tx, input.couponBatchId)))
        throw bad('couponBatchId', 'a batch issued with forRewards, of a campaign that has not ended');
    }
    return {
      name,
      kind: input.kind,
      days: input.days,
      templateZh: input.templateZh.trim(),
      templateEn: input.templateEn.trim(),
      channels,
      quietFrom: input.quietFrom || null,
      quietTo: input.quietTo || null,
      holdoutPercent: holdout,
      couponBatchId: input.couponBatchId ?? null,
      rfmSegment: segment,
      active: input.active ?? true,
    };
  }

  async create({ tx, emit }: Unit, input: TriggerInput, actor: AuditActor) {
    const trigger = await tx.automationTrigger.create({ data: await this.check(tx, input) });
    await audit(tx, actor, {
      operation: 'automation.create',
      entityType: 'AutomationTrigger',
      entityId: trigger.id,
      after: trigger,
    });
    emit('automation.changed', { triggerId: trigger.id });
    return trigger;
  }

  async update({ tx, emit }: Unit, id: string, input: TriggerInput, actor: AuditActor) {
    const before = await tx.automationTrigger.findUnique({ where: { id } });
    if (!before) throw new NotFoundError('AutomationTrigger', id, ['id']);
    const trigger = await tx.automationTrigger.update({ where: { id }, data: await this.check(tx, input) });
    await audit(tx, actor, {
      operation: 'automation.update',
      entityType: 'AutomationTrigger',
      entityId: id,
      ...changedFields(before, trigger),
    });
    emit('automation.changed', { triggerId: id });
    return trigger;
  }

  // ——— the job ———

  /** Every active trigger, once: the customers whose occasion has come, each sent (or held out) once. */
  async run(db: Db, events: EventBus, now: Date): Promise<number> {
    let written = 0;
    for (const trigger of await db.automationTrigger.findMany({ where: { active: true }, orderBy: { id: 'asc' } })) {
      const due = (await this.candidates(db, trigger, now)).filter((c) => !inQuietHours(trigger, c, now));
      for (let i = 0; i < due.length && i < this.options.maxPerRun; i += 100) {
        const batch = due.slice(i, Math.min(i + 100, this.options.maxPerRun));
        written += await runInTransaction(db, events, (unit) => this.send(unit, trigger, batch, now));
      }
    }
    return written;
  }

  /** Writes each candidate's occasion (or finds it written) and emits the notifications of those written now. */
  private async send(unit: Unit, trigger: AutomationTrigger, batch: Candidate[], now: Date) {
    const { tx, emit } = unit;
    let written = 0;
    for (const c of batch) {
      const channels = trigger.channels.filter((ch) => c.consented.includes(ch));
      if (!channels.length) continue;
      const heldOut = inHoldout(trigger, c.id);
      const values: Partial<Record<TemplateVariable, string | number>> = {
        name: c.name,
        store: c.store ?? '',
        days: trigger.days,
        date: c.date ?? '',
        points: c.points ?? '',
        tier: c.tier ?? '',
      };
      // What differs by language: the layer's name, the date's weekday.
      const segment = c.segment ? this.rfm()?.segmentName(c.segment) : undefined;
      const weekday = c.date ? weekdayOf(c.date) : undefined;
      const local = (locale: Locale) => ({
        segment: segment?.[locale] ?? '',
        weekday: weekday === undefined ? '' : WEEKDAYS[locale][weekday - 1]!,
      });
      // The occasion first: only the run that writes it goes on (issues the coupon, sends).
      const [row] = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO "AutomationSend" (id, "triggerId", "customerId", occasion, outcome, channels, "sentAt")
        VALUES (gen_random_uuid(), ${trigger.id}::uuid, ${c.id}::uuid, ${c.occasion!},
          ${heldOut ? 'HELD_OUT' : 'SENT'}::"AutomationOutcome",
          string_to_array(${heldOut ? '' : channels.join(',')}, ',')::"ConsentChannel"[], ${now})
        ON CONFLICT ("triggerId", "customerId", occasion) DO NOTHING
        RETURNING id::text`;
      if (!row) continue; // this occasion was handled before, by this run's twin or an earlier one
      written++;
      if (heldOut) continue;
      const coupons = trigger.couponBatchId ? this.coupons() : undefined;
      const coupon = coupons ? await coupons.issue(tx, trigger.couponBatchId!, c.id, now) : null;
      if (coupon) {
        values.coupon = coupon.code;
        values.couponTitle = coupon.title;
        values.couponExpires = coupon.validUntil ? ymd(wallClock(coupon.validUntil, zoneOf(c))!) : '';
      }
      const message = {
        'zh-CN': render(trigger.templateZh, { ...values, ...local('zh-CN') }),
        en: render(trigger.templateEn, { ...values, ...local('en') }),
      };
      await tx.$executeRaw`
        UPDATE "AutomationSend" SET "messageZh" = ${message['zh-CN']}, "messageEn" = ${message.en},
          "couponCode" = ${coupon?.code ?? null}
        WHERE id = ${row.id}::uuid`;
      emit('customer.notification', {
        notificationId: row.id,
        triggerId: trigger.id,
        trigger: trigger.name,
        kind: trigger.kind,
        customerId: c.id,
        occasion: c.occasion!,
        channels,
        message,
        coupon: coupon && {
          code: coupon.code,
          title: coupon.title,
          validUntil: coupon.validUntil?.toISOString() ?? null,
        },
      });
    }
    return written;
  }

  /** The customers a trigger names now, with their occasion, consenting to at least one of its channels. */
  private async candidates(db: Db, trigger: AutomationTrigger, now: Date): Promise<Candidate[]> {
    const base = ({ select = '', join = '', where = '' }: { select?: string; join?: string; where?: string }) => `
      SELECT ${select} c.id::text, c.name, c."birthdayEnc", c."firstPurchaseAt",
        c."lastPurchaseAt", s.timezone, s.name AS store,
        ARRAY(SELECT mc.channel FROM "MarketingConsent" mc
              WHERE mc."customerId" = c.id AND mc.granted AND mc.channel::text = ANY(string_to_array($1, ',')))::text[]
          AS consented
      FROM "Customer" c ${join} LEFT JOIN "Store" s ON s.id = c."homeStoreId"
      WHERE c."erasedAt" IS NULL AND c."mergedIntoId" IS NULL
        AND EXISTS (SELECT 1 FROM "MarketingConsent" mc
                    WHERE mc."customerId" = c.id AND mc.granted AND mc.channel::text = ANY(string_to_array($1, ',')))
        ${where}`;
    // Channel lists go to SQL as text ("SMS,WECHAT"): the embedded database's driver sends a list
    // parameter of an enum type as "SMS,WECHAT", without braces, in a session that created the
    // enum itself (a database migrated in the same process, without the embedded template).
    const channels = trigger.channels.join(',');
    const limit = this.options.maxPerRun;
    switch (trigger.kind) {
      case 'LAPSED': {
        // Once per lapse: the occasion is the last purchase, which a new purchase moves.
        const rows = await db.$queryRawUnsafe<Candidate[]>(
          `${base({
            where: `AND c."lastPurchaseAt" < $2
              AND NOT EXISTS (SELECT 1 FROM "AutomationSend" a WHERE a."triggerId" = $3::uuid AND a."customerId" = c.id
                AND a.occasion = 'lapse:' || to_char(c."lastPurchaseAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
          })} ORDER BY c."lastPurchaseAt" DESC LIMIT ${limit}`,
          channels,
          new Date(now.getTime() - trigger.days * DAY_MS),
          trigger.id,
        );
        return rows.map((c) => ({
          ...c,
          occasion: `lapse:${c.lastPurchaseAt!.toISOString()}`,
          date: ymd(wallClock(c.lastPurchaseAt!, zoneOf(c))!),
        }));
      }
      case 'BIRTHDAY':
      case 'FIRST_PURCHASE_ANNIVERSARY': {
        // Birthdays are encrypted, so the day is found here, a page of customers at a time.
        const found: Candidate[] = [];
        for (let after = NIL_UUID; ; ) {
          const page = await db.$queryRawUnsafe<Candidate[]>(
            `${base({
              where:
                trigger.kind === 'BIRTHDAY'
                  ? `AND c.id > $2::uuid AND c."birthdayEnc" IS NOT NULL`
                  : `AND c.id > $2::uuid AND c."firstPurchaseAt" < now() - interval '300 days'`,
            })} ORDER BY c.id LIMIT ${PAGE}`,
            channels,
            after,
          );
          for (const c of page) {
            const from =
              trigger.kind === 'BIRTHDAY' ? openBirthday(c.birthdayEnc) : wallClock(c.firstPurchaseAt, zoneOf(c));
            const next = from && nextAnniversary(from, wallClock(now, zoneOf(c))!);
            if (!next || next.days > trigger.days) continue;
            if (trigger.kind === 'FIRST_PURCHASE_ANNIVERSARY' && next.date.getUTCFullYear() <= from!.getUTCFullYear())
              continue;
            const date = ymd(next.date);
            found.push({ ...c, occasion: `${trigger.kind === 'BIRTHDAY' ? 'birthday' : 'anniversary'}:${date}`, date });
          }
          if (page.length < PAGE) return found;
          after = page[page.length - 1]!.id;
        }
      }
      case 'POINTS_EXPIRING': {
        const rows = await db.$queryRawUnsafe<(Candidate & { expires: Date; points: number })[]>(
          `WITH due AS (
             SELECT "customerId", min("expiresAt") AS expires, sum(remaining)::int AS points
             FROM "PointsLedgerEntry" WHERE remaining > 0 AND "expiresAt" >= $2 AND "expiresAt" < $3
             GROUP BY "customerId")
           ${base({ select: 'due.expires, due.points,', join: 'JOIN due ON due."customerId" = c.id' })}`,
          channels,
          now,
          new Date(now.getTime() + trigger.days * DAY_MS),
        );
        return rows.map((c) => {
          const date = ymd(wallClock(c.expires, zoneOf(c))!);
          return { ...c, occasion: `expiry:${date}`, date };
        });
      }
      case 'RFM_SEGMENT_MOVED': {
        if (!this.rfm()) return []; // the plugin removed since: its scores are no longer kept
        // Each move once: the occasion is the layer and the run that moved the customer into it
        // (a customer who leaves and comes back later has moved again). A first score is no move.
        const rows = await db.$queryRawUnsafe<(Candidate & { segmentSince: Date })[]>(
          `WITH moved AS (
             SELECT r."customerId", r."segmentSince" FROM "RfmScore" r
             WHERE r.segment::text = $2 AND r."previousSegment" IS NOT NULL
               AND r."segmentSince" >= $3 AND r."segmentSince" <= $4)
           ${base({
             select: 'moved."segmentSince",',
             join: 'JOIN moved ON moved."customerId" = c.id',
             where: `AND NOT EXISTS (SELECT 1 FROM "AutomationSend" a WHERE a."triggerId" = $5::uuid
               AND a."customerId" = c.id
               AND a.occasion = 'rfm:' || $2 || ':' || to_char(moved."segmentSince", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
           })} ORDER BY moved."segmentSince", c.id LIMIT ${limit}`,
          channels,
          trigger.rfmSegment,
          new Date(now.getTime() - Math.max(trigger.days, 1) * DAY_MS),
          now,
          trigger.id,
        );
        return rows.map((c) => ({
          ...c,
          occasion: `rfm:${trigger.rfmSegment}:${c.segmentSince.toISOString()}`,
          segment: trigger.rfmSegment as RfmSegment,
          date: ymd(wallClock(c.segmentSince, zoneOf(c))!),
        }));
      }
      case 'MEMBER_DAY': {
        // Each store's next 会员日 (its calendar, the same days its points rules know), on its
        // own clock: the same instant is Wednesday in Beijing and still Tuesday in Los Angeles.
        const due: { store: string; day: string }[] = [];
        for (const { id } of await db.store.findMany({ select: { id: true }, orderBy: { id: 'asc' } })) {
          const day = nextMemberDay(this.calendar!, await this.calendar!.storeCalendar(db, id), now, trigger.days);
          if (day) due.push({ store: id, day });
        }
        if (!due.length) return [];
        const rows = await db.$queryRawUnsafe<(Candidate & { day: string })[]>(
          `${base({
            select: 'md.day,',
            join: `JOIN unnest(string_to_array($2, ','), string_to_array($3, ',')) AS md(store, day)
              ON md.store = c."homeStoreId"::text`,
            where: `AND NOT EXISTS (SELECT 1 FROM "AutomationSend" a WHERE a."triggerId" = $4::uuid
                AND a."customerId" = c.id AND a.occasion = 'memberday:' || md.day)`,
          })} ORDER BY c.id LIMIT ${limit}`,
          channels,
          due.map((d) => d.store).join(','),
          due.map((d) => d.day).join(','),
          trigger.id,
        );
        return rows.map((c) => ({ ...c, occasion: `memberday:${c.day}`, date: c.day }));
      }
      case 'TIER_UPGRADED': {
        const rows = await db.$queryRawUnsafe<(Candidate & { changeId: string; tierName: string; changedAt: Date })[]>(
          `WITH up AS (
             SELECT tc.id, tc."customerId", tc."changedAt", t.name AS "tierName"
             FROM "TierChange" tc JOIN "Tier" t ON t.id = tc."toTierId"
             WHERE tc.reason = 'UPGRADE' AND tc."changedAt" >= $2 AND tc."changedAt" <= $3)
           ${base({
             select: 'up.id::text AS "changeId", up."tierName", up."changedAt",',
             join: 'JOIN up ON up."customerId" = c.id',
             where: `AND NOT EXISTS (SELECT 1 FROM "AutomationSend" a WHERE a."triggerId" = $4::uuid
               AND a."customerId" = c.id AND a.occasion = 'tier:' || up.id::text)`,
           })} LIMIT ${limit}`,
          channels,
          new Date(now.getTime() - Math.max(trigger.days, 1) * DAY_MS),
          now,
          trigger.id,
        );
        return rows.map((c) => ({
          ...c,
          occasion: `tier:${c.changeId}`,
          tier: c.tierName,
          date: ymd(wallClock(c.changedAt, zoneOf(c))!),
        }));
      }
    }
  }

  // ——— results ———

  /**
   * Per trigger, over the sends since `from`: how many were sent and held out, and what each group
   * bought in the `windowDays` after its send (sales net of refunds). The uplift is the difference
   * in spend per customer between the two groups: the holdout is what would have happened anyway.
   */
  async results(db: Db, triggerId: string, from: Date, windowDays: number) {
    const rows = await db.$queryRaw<{ outcome: string; customers: bigint; buyers: bigint; revenue: string }[]>`
      WITH s AS (
        SELECT a."customerId", a.outcome, a."sentAt" FROM "AutomationSend" a
        WHERE a."triggerId" = ${triggerId}::uuid AND a."sentAt" >= ${from}),
      bought AS (
        SELECT s."customerId", s.outcome, coalesce(sum(x.total - x."refundedTotal"), 0) AS spent, count(x.id) AS sales
        FROM s LEFT JOIN "Sale" x ON x."customerId" = s."customerId" AND x."occurredAt" >= s."sentAt"
          AND x."occurredAt" < s."sentAt" + make_interval(days => ${windowDays}::int)
        GROUP BY s."customerId", s.outcome, s."sentAt")
      SELECT outcome::text, count(*) AS customers, count(*) FILTER (WHERE sales > 0) AS buyers,
        coalesce(sum(spent), 0)::text AS revenue
      FROM bought GROUP BY outcome`;
    const group = (outcome: string) => {
      const r = rows.find((x) => x.outcome === outcome);
      const customers = Number(r?.customers ?? 0);
      const revenue = r?.revenue ?? '0';
      return {
        customers,
        buyers: Number(r?.buyers ?? 0),
        revenue,
        spendPerCustomer: customers ? (Number(revenue) / customers).toFixed(2) : null,
      };
    };
    const sent = group('SENT');
    const heldOut = group('HELD_OUT');
    // Coupons the messages brought, and how many were used (the campaigns plugin keeps the uses).
    // The revenue of the sales that used them: each such sale once (net of refunds), whatever
    // the number of the trigger's codes it presented; a redemption undone by a full refund is not one.
    const [coupons] = this.coupons()
      ? await db.$queryRaw<{ issued: bigint; redeemed: bigint; revenue: string }[]>`
          WITH k AS (
            SELECT k.id, k.uses FROM "AutomationSend" a JOIN "Coupon" k ON k.code = a."couponCode"
            WHERE a."triggerId" = ${triggerId}::uuid AND a."sentAt" >= ${from})
          SELECT count(*) AS issued, count(*) FILTER (WHERE k.uses > 0) AS redeemed,
            (SELECT coalesce(sum(x.total - x."refundedTotal"), 0)::text FROM "Sale" x
             WHERE x.id IN (SELECT r."saleId" FROM "CampaignRedemption" r
                            WHERE r."couponId" IN (SELECT id FROM k) AND NOT r.reversed)) AS revenue
          FROM k`
      : [{ issued: 0n, redeemed: 0n, revenue: '0' }];
    const uplift =
      sent.spendPerCustomer !== null && heldOut.spendPerCustomer !== null
        ? (Number(sent.spendPerCustomer) - Number(heldOut.spendPerCustomer)).toFixed(2)
        : null;
    return {
      sent,
      heldOut,
      upliftPerCustomer: uplift,
      couponsIssued: Number(coupons?.issued ?? 0),
      couponsRedeemed: Number(coupons?.redeemed ?? 0),
      couponRevenue: coupons?.revenue ?? '0',
    };
  }
}

const zoneOf = (c: { timezone: string | null }) => c.timezone ?? DEFAULT_TIME_ZONE;
const WEEKDAYS: Record<Locale, readonly string[]> = {
  'zh-CN': ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
  en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
};
/** 1 (Monday) … 7 (Sunday) of a YYYY-MM-DD date. */
const weekdayOf = (date: string) => ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
const ymd = (d: Date) => d.toISOString().slice(0, 10);

/** A deterministic share of a trigger's customers (by hash): the same customers every run. */
export function inHoldout(trigger: { id: string; holdoutPercent: number }, customerId: string) {
  if (!trigger.holdoutPercent) return false;
  const digest = createHash('sha256').update(`${trigger.id}:${customerId}`).digest();
  return digest.readUInt32BE(0) % 100 < trigger.holdoutPercent;
}

/** Whether `now` falls in the trigger's quiet hours in the customer's home store's zone. */
export function inQuietHours(
  trigger: { quietFrom: string | null; quietTo: string | null },
  customer: { timezone: string | null },
  now: Date,
) {
  if (!trigger.quietFrom || !trigger.quietTo) return false;
  const local = wallClock(now, zoneOf(customer))!.toISOString().slice(11, 16);
  const { quietFrom: from, quietTo: to } = trigger;
  return from <= to ? local >= from && local < to : local >= from || local < to;
}

/**
 * A store's next 会员日 ("YYYY-MM-DD") from the day `now` falls on in its time zone to `days`
 * days later, or null: the days of its calendar (core's, set with setStoreCalendar).
 */
export function nextMemberDay(
  calendar: Pick<CalendarService, 'day' | 'dateOf'>,
  store: StoreCalendar,
  now: Date,
  days: number,
): string | null {
  if (!store.memberMonthDays.length && !store.memberWeekdays.length) return null;
  const today = Date.parse(`${calendar.dateOf(now, store.timezone)}T00:00:00Z`);
  for (let n = 0; n <= days; n++) {
    const date = ymd(new Date(today + n * DAY_MS));
    if (calendar.day(date, store).memberDay) return date;
  }
  return null;
}

/**
 * The next anniversary of a date (a birthday, a first purchase) on or after `today` (both as
 * wall-clock dates in UTC fields), and the days until it. 29 February falls on the 28th in other years.
 */
export function nextAnniversary(date: Date, today: Date): { date: Date; days: number } {
  const day0 = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  for (const year of [today.getUTCFullYear(), today.getUTCFullYear() + 1]) {
    const month = date.getUTCMonth();
    const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const at = Date.UTC(year, month, Math.min(date.getUTCDate(), last));
    if (at >= day0) return { date: new Date(at), days: Math.round((at - day0) / DAY_MS) };
  }
  throw new Error('unreachable');
}
