import { InvalidInputError, NotFoundError } from '../../src/errors/index.ts';
import type { Db, Tx } from '../../src/db/tx.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { SegmentService } from '../../src/segments/service.ts';
import type { CampaignAction, CampaignConditions } from './definition.ts';
import type { CampaignServices } from './service.ts';

/**
 * The checks a campaign passes before it is stored: every field bounded, every reference known,
 * every condition answerable by an installed plugin, a window that can happen. Errors name the
 * field (`['input', 'conditions', 'categories', 1]`) so a back office can point at it.
 */

export interface CampaignInputShape {
  name?: string | null;
  priority?: number | null;
  exclusive?: boolean | null;
  combinesWithTier?: boolean | null;
  requiresCoupon?: boolean | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  conditions?: ConditionsInput | null;
  action?: ActionInput | null;
  budgetAmount?: Prisma.Decimal | null;
  budgetRedemptions?: number | null;
  perCustomerLimit?: number | null;
  perDayLimit?: number | null;
  holdoutPercent?: number | null;
}

export interface ConditionsInput {
  minSpend?: Prisma.Decimal | null;
  skus?: string[] | null;
  categories?: string[] | null;
  minQuantity?: number | null;
  tierCodes?: string[] | null;
  segmentId?: string | null;
  storeIds?: string[] | null;
  weekdays?: number[] | null;
  timeFrom?: string | null;
  timeTo?: string | null;
  memberDay?: boolean | null;
  birthdayMonth?: boolean | null;
  firstPurchase?: boolean | null;
}

export interface ActionInput {
  type: CampaignAction['type'];
  thresholds?: { spend: Prisma.Decimal; off: Prisma.Decimal }[] | null;
  every?: Prisma.Decimal | null;
  off?: Prisma.Decimal | null;
  maxOff?: Prisma.Decimal | null;
  percentOff?: string | null;
  nth?: number | null;
  buy?: number | null;
  get?: number | null;
  bundle?: { sku: string; quantity: number }[] | null;
  price?: Prisma.Decimal | null;
  giftSku?: string | null;
  giftQuantity?: number | null;
  couponBatchId?: string | null;
  points?: number | null;
  multiplier?: string | null;
}

const MAX_LIST = 200;
const MAX_MONEY = new Prisma.Decimal('10000000');
const invalid = (field: (string | number)[], detail: string) =>
  new InvalidInputError('CAMPAIGN_INVALID', { field: field.join('.'), detail }, ['input', ...field]);

function money(v: Prisma.Decimal | null | undefined, field: (string | number)[], positive = true): string | null {
  if (v == null) return null;
  if (v.decimalPlaces() > 2 || v.gt(MAX_MONEY) || (positive ? v.lte(0) : v.lt(0)))
    throw invalid(field, 'an amount in yuan, more than 0, at most two decimals');
  return v.toFixed(2);
}

function int(v: number | null | undefined, field: (string | number)[], min: number, max: number): number | null {
  if (v == null) return null;
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(field, `a whole number from ${min} to ${max}`);
  return v;
}

function list<T>(v: T[] | null | undefined, field: (string | number)[]): T[] {
  if (!v) return [];
  if (v.length > MAX_LIST) throw invalid(field, `at most ${MAX_LIST} values`);
  return [...new Set(v)];
}

function percent(v: string | null | undefined, field: (string | number)[]): string {
  if (v == null || !/^\d{1,3}(\.\d{1,2})?$/.test(v) || Number(v) <= 0 || Number(v) > 100)
    throw invalid(field, 'a percentage over 0 and at most 100, e.g. "10" for 9折');
  return new Prisma.Decimal(v).toString();
}

/** Checks and normalises a whole definition (create, or an update merged over the stored one). */
export async function validateCampaign(
  db: Db | Tx,
  input: CampaignInputShape,
  services: CampaignServices,
  now: Date,
): Promise<{
  name: string;
  priority: number;
  exclusive: boolean;
  combinesWithTier: boolean;
  requiresCoupon: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  conditions: CampaignConditions;
  action: CampaignAction;
  budgetAmount: string | null;
  budgetRedemptions: number | null;
  perCustomerLimit: number | null;
  perDayLimit: number | null;
  holdoutPercent: number | null;
}> {
  const name = input.name?.trim() ?? '';
  if (!name || name.length > 100) throw invalid(['name'], '1 to 100 characters');
  const priority = int(input.priority, ['priority'], -1000, 1000) ?? 0;

  // The window: it must end after it starts, and not have ended already.
  const { startsAt = null, endsAt = null } = input;
  if (startsAt && endsAt && endsAt <= startsAt)
    throw new InvalidInputError('CAMPAIGN_INVALID_WINDOW', { field: 'endsAt', detail: 'ends before it starts' }, [
      'input',
      'endsAt',
    ]);
  if (endsAt && endsAt <= now)
    throw new InvalidInputError('CAMPAIGN_INVALID_WINDOW', { field: 'endsAt', detail: 'ends in the past' }, [
      'input',
      'endsAt',
    ]);

  const conditions = await validateConditions(db, input.conditions ?? {}, services);
  if (!input.action) throw invalid(['action'], 'an action is required');
  const action = await validateAction(db, input.action, services);
  if (action.type === 'ISSUE_COUPON' && input.requiresCoupon)
    throw invalid(['requiresCoupon'], 'a campaign that issues coupons cannot itself require one');

  return {
    name,
    priority,
    exclusive: input.exclusive ?? false,
    combinesWithTier: input.combinesWithTier ?? true,
    requiresCoupon: input.requiresCoupon ?? false,
    startsAt,
    endsAt,
    conditions,
    action,
    budgetAmount: money(input.budgetAmount, ['budgetAmount']),
    budgetRedemptions: int(input.budgetRedemptions, ['budgetRedemptions'], 1, 100_000_000),
    perCustomerLimit: int(input.perCustomerLimit, ['perCustomerLimit'], 1, 10_000),
    perDayLimit: int(input.perDayLimit, ['perDayLimit'], 1, 100_000_000),
    holdoutPercent: int(input.holdoutPercent, ['holdoutPercent'], 1, 50),
  };
}

async function validateConditions(
  db: Db | Tx,
  k: ConditionsInput,
  services: CampaignServices,
): Promise<CampaignConditions> {
  const at = (...f: (string | number)[]) => ['conditions', ...f];
  const out: CampaignConditions = {};
  const minSpend = money(k.minSpend, at('minSpend'));
  if (minSpend) out.minSpend = minSpend;

  const skus = list(k.skus, at('skus')).map((s) => s.trim());
  if (skus.length) {
    const found = new Set(
      (await db.product.findMany({ where: { sku: { in: skus } }, select: { sku: true } })).map((p) => p.sku),
    );
    const i = skus.findIndex((s) => !found.has(s));
    if (i >= 0)
      throw new InvalidInputError('CAMPAIGN_UNKNOWN_SKU', { value: skus[i]!, field: at('skus', i).join('.') }, [
        'input',
        ...at('skus', i),
      ]);
    out.skus = skus;
  }
  const categories = list(k.categories, at('categories')).map((s) => s.trim());
  if (categories.length) {
    const found = new Set(
      (
        await db.product.findMany({
          where: { category: { in: categories } },
          select: { category: true },
          distinct: ['category'],
        })
      ).map((p) => p.category),
    );
    const i = categories.findIndex((s) => !found.has(s));
    if (i >= 0)
      throw new InvalidInputError(
        'CAMPAIGN_UNKNOWN_CATEGORY',
        { value: categories[i]!, field: at('categories', i).join('.') },
        ['input', ...at('categories', i)],
      );
    out.categories = categories;
  }
  const minQuantity = int(k.minQuantity, at('minQuantity'), 1, 10_000);
  if (minQuantity != null) out.minQuantity = minQuantity;

  const tierCodes = list(k.tierCodes, at('tierCodes'));
  if (tierCodes.length) {
    if (!services.tiers)
      throw new InvalidInputError(
        'CAMPAIGN_CONDITION_UNAVAILABLE',
        { field: at('tierCodes').join('.'), plugin: 'tiers' },
        ['input', ...at('tierCodes')],
      );
    const known = new Set((await services.tiers.allTiers(db)).map((t) => t.code));
    const i = tierCodes.findIndex((c) => !known.has(c));
    if (i >= 0)
      throw new InvalidInputError(
        'CAMPAIGN_UNKNOWN_TIER',
        { value: tierCodes[i]!, field: at('tierCodes', i).join('.') },
        ['input', ...at('tierCodes', i)],
      );
    out.tierCodes = tierCodes;
  }
  if (k.segmentId) {
    // Evaluating it once now also refuses a segment whose conditions need a plugin removed since.
    await (services.segments as SegmentService).count(db, k.segmentId).catch((error: unknown) => {
      if (error instanceof NotFoundError)
        throw new NotFoundError('Segment', k.segmentId!, ['input', ...at('segmentId')]);
      throw error;
    });
    out.segmentId = k.segmentId;
  }
  const storeIds = list(k.storeIds, at('storeIds'));
  if (storeIds.length) {
    const found = await db.store.count({ where: { id: { in: storeIds } } });
    if (found !== storeIds.length)
      throw new InvalidInputError('CAMPAIGN_UNKNOWN_STORE', { field: at('storeIds').join('.') }, [
        'input',
        ...at('storeIds'),
      ]);
    out.storeIds = storeIds;
  }
  const weekdays = list(k.weekdays, at('weekdays'));
  for (const [i, d] of weekdays.entries()) int(d, at('weekdays', i), 1, 7);
  if (weekdays.length) out.weekdays = weekdays.sort();

  if ((k.timeFrom == null) !== (k.timeTo == null))
    throw new InvalidInputError(
      'CAMPAIGN_INVALID_WINDOW',
      { field: 'conditions.timeTo', detail: 'give both timeFrom and timeTo' },
      ['input', ...at(k.timeFrom == null ? 'timeFrom' : 'timeTo')],
    );
  if (k.timeFrom != null && k.timeTo != null) {
    for (const f of ['timeFrom', 'timeTo'] as const) {
      const m = /^([01]\d|2[0-3]):[0-5]\d$/.exec(k[f]!);
      if (!m) throw invalid(at(f), '"HH:MM", 00:00 to 23:59');
    }
    if (k.timeFrom === k.timeTo)
      throw new InvalidInputError(
        'CAMPAIGN_INVALID_WINDOW',
        { field: 'conditions.timeTo', detail: 'an empty time window' },
        ['input', ...at('timeTo')],
      );
    out.timeFrom = k.timeFrom;
    out.timeTo = k.timeTo;
  }
  if (k.memberDay) out.memberDay = true;
  if (k.birthdayMonth) out.birthdayMonth = true;
  if (k.firstPurchase) out.firstPurchase = true;
  return out;
}

async function validateAction(db: Db | Tx, a: ActionInput, services: CampaignServices): Promise<CampaignAction> {
  const at = (...f: (string | number)[]) => ['action', ...f];
  if ((a.type === 'BONUS_POINTS' || a.type === 'POINTS_MULTIPLIER') && !services.points)
    throw new InvalidInputError('CAMPAIGN_ACTION_UNAVAILABLE', { field: at('type').join('.'), plugin: 'points' }, [
      'input',
      ...at('type'),
    ]);
  switch (a.type) {
    case 'AMOUNT_OFF': {
      const ts = a.thresholds ?? [];
      if (!ts.length || ts.length > 20) throw invalid(at('thresholds'), '1 to 20 thresholds');
      const thresholds = ts.map((t, i) => {
        const spend = money(t.spend, at('thresholds', i, 'spend'))!;
        const off = money(t.off, at('thresholds', i, 'off'))!;
        if (new Prisma.Decimal(off).gt(spend)) throw invalid(at('thresholds', i, 'off'), 'more than the spend');
        return { spend, off };
      });
      if (new Set(thresholds.map((t) => t.spend)).size !== thresholds.length)
        throw invalid(at('thresholds'), 'two thresholds with the same spend');
      thresholds.sort((x, y) => new Prisma.Decimal(x.spend).comparedTo(y.spend));
      return { type: a.type, thresholds };
    }
    case 'AMOUNT_OFF_EVERY': {
      const every = money(a.every, at('every'));
      const off = money(a.off, at('off'));
      if (!every) throw invalid(at('every'), 'required');
      if (!off) throw invalid(at('off'), 'required');
      if (new Prisma.Decimal(off).gt(every)) throw invalid(at('off'), 'more than every');
      const maxOff = money(a.maxOff, at('maxOff'));
      if (maxOff && new Prisma.Decimal(maxOff).lt(off)) throw invalid(at('maxOff'), 'less than one step');
      return { type: a.type, every, off, maxOff };
    }
    case 'PERCENT_OFF_ORDER':
    case 'PERCENT_OFF_LINES':
      return { type: a.type, percentOff: percent(a.percentOff, at('percentOff')) };
    case 'NTH_UNIT_PERCENT_OFF':
      return {
        type: a.type,
        nth:
          int(a.nth ?? null, at('nth'), 2, 10) ??
          (() => {
            throw invalid(at('nth'), 'required');
          })(),
        percentOff: percent(a.percentOff, at('percentOff')),
      };
    case 'BUY_X_GET_Y': {
      const buy = int(a.buy, at('buy'), 1, 100);
      const get = int(a.get, at('get'), 1, 100);
      if (buy == null) throw invalid(at('buy'), 'required');
      if (get == null) throw invalid(at('get'), 'required');
      return { type: a.type, buy, get };
    }
    case 'BUNDLE_PRICE': {
      const items = a.bundle ?? [];
      if (items.length < 1 || items.length > 10) throw invalid(at('bundle'), '1 to 10 items');
      const bundle = items.map((b, i) => ({
        sku: b.sku.trim(),
        quantity: int(b.quantity, at('bundle', i, 'quantity'), 1, 100)!,
      }));
      if (new Set(bundle.map((b) => b.sku)).size !== bundle.length) throw invalid(at('bundle'), 'a SKU named twice');
      if (bundle.length === 1 && bundle[0]!.quantity === 1) throw invalid(at('bundle'), 'a bundle of one unit');
      const found = new Set(
        (await db.product.findMany({ where: { sku: { in: bundle.map((b) => b.sku) } }, select: { sku: true } })).map(
          (p) => p.sku,
        ),
      );
      const i = bundle.findIndex((b) => !found.has(b.sku));
      if (i >= 0)
        throw new InvalidInputError(
          'CAMPAIGN_UNKNOWN_SKU',
          { value: bundle[i]!.sku, field: at('bundle', i, 'sku').join('.') },
          ['input', ...at('bundle', i, 'sku')],
        );
      const price = money(a.price, at('price'));
      if (!price) throw invalid(at('price'), 'required');
      return { type: a.type, bundle, price };
    }
    case 'GIFT': {
      const sku = a.giftSku?.trim();
      if (!sku) throw invalid(at('giftSku'), 'required');
      const product = await db.product.findUnique({ where: { sku }, select: { name: true } });
      if (!product)
        throw new InvalidInputError('CAMPAIGN_UNKNOWN_SKU', { value: sku, field: at('giftSku').join('.') }, [
          'input',
          ...at('giftSku'),
        ]);
      const giftQuantity = int(a.giftQuantity, at('giftQuantity'), 1, 10) ?? 1;
      return { type: a.type, giftSku: sku, giftName: product.name, giftQuantity };
    }
    case 'ISSUE_COUPON': {
      if (!a.couponBatchId) throw invalid(at('couponBatchId'), 'required');
      const [batch] = await db.$queryRaw<{ status: string; forRewards: boolean }[]>`
        SELECT c.status, b."forRewards"
        FROM "CouponBatch" b JOIN "Campaign" c ON c.id = b."campaignId" WHERE b.id = ${a.couponBatchId}::uuid`;
      if (!batch) throw new NotFoundError('CouponBatch', a.couponBatchId, ['input', ...at('couponBatchId')]);
      if (batch.status === 'ENDED' || !batch.forRewards)
        throw invalid(at('couponBatchId'), 'a batch issued with forRewards, of a campaign that has not ended');
      return { type: a.type, couponBatchId: a.couponBatchId };
    }
    case 'BONUS_POINTS': {
      const points = int(a.points, at('points'), 1, 100_000);
      if (points == null) throw invalid(at('points'), 'required');
      return { type: a.type, points };
    }
    case 'POINTS_MULTIPLIER': {
      const m = a.multiplier ?? '';
      if (!/^\d{1,2}(\.\d{1,2})?$/.test(m) || Number(m) <= 1 || Number(m) > 10)
        throw invalid(at('multiplier'), 'more than 1 and at most 10, two decimals at most, e.g. "2" for 双倍积分');
      return { type: a.type, multiplier: new Prisma.Decimal(m).toString() };
    }
  }
}
