import type { Db, Tx } from '../db/tx.ts';
import { InvalidInputError } from '../errors/index.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { ConsentChannel } from '../generated/prisma/enums.ts';
import { DAY_MS } from '../stores/time.ts';

/**
 * A segment's conditions, as stored in Segment.conditions: every one that is set must hold.
 * Money as strings ("500.00"), store ids as database ids.
 */
export interface SegmentConditions {
  /** Has at least one of these tags. */
  tagsAny?: string[];
  /** Has every one of these tags. */
  tagsAll?: string[];
  /** Has none of these tags. */
  tagsNone?: string[];
  /** Member of one of these tiers (by Tier.code): needs the tiers plugin. */
  tierCodes?: string[];
  /** In one of these RFM layers (RfmSegment): needs the rfm plugin. */
  rfmSegments?: string[];
  /** Lifetime spend (net of refunds, imported history included), inclusive. */
  spendMin?: string;
  spendMax?: string;
  /** Visits (purchases), inclusive. */
  visitsMin?: number;
  visitsMax?: number;
  /** Bought within the last N days. */
  lastPurchaseWithinDays?: number;
  /** Bought before, but not within the last N days (customers to win back; never-buyers are not in it). */
  lastPurchaseNotWithinDays?: number;
  /** Bought a product of one of these categories (a line not refunded in full)… */
  categoriesBought?: string[];
  /** …within the last N days (any time when absent). */
  categoriesWithinDays?: number;
  /** Home store is one of these. */
  homeStoreIds?: string[];
  /** Has granted marketing consent on every one of these channels. */
  consentGranted?: ConsentChannel[];
}

/**
 * A condition a plugin answers: core has the field in SegmentConditionsInput (so clients see one
 * schema) but knows nothing of the plugin's tables. The plugin defines it in its setup through
 * the "segments" service; without the plugin the field is refused, naming it.
 */
export interface SegmentConditionKind {
  /** The field of SegmentConditions it answers. */
  field: PluginConditionField;
  /**
   * Checks the values when a segment is saved: null, or the problem shown to the caller as a
   * message code (core's SEGMENT_DETAIL_… or one the plugin registered) with its params, so it
   * reads in the caller's language.
   */
  validate(db: Db | Tx, values: string[]): Promise<SegmentProblem | null>;
  /** A boolean SQL expression over the customer row `c`. */
  sql(values: string[]): Prisma.Sql;
}

/** What is wrong with a condition: a message code and its params (src/i18n/messages.ts). */
export interface SegmentProblem {
  detail: string;
  params?: Record<string, string | number>;
}

/** Condition fields served by plugins, and the plugin each needs. */
export const PLUGIN_CONDITIONS = { tierCodes: 'tiers', rfmSegments: 'rfm' } as const;
export type PluginConditionField = keyof typeof PLUGIN_CONDITIONS;

const MAX_ITEMS = 50;
const MAX_TEXT = 50;
const MAX_DAYS = 3650;
const MAX_VISITS = 1_000_000;

function field(name: string) {
  return ['input', 'conditions', name];
}

function bad(name: string, detail: string, params: Record<string, string | number> = {}): never {
  throw new InvalidInputError('SEGMENT_CONDITION_INVALID', { ...params, field: name, detail }, field(name));
}

function words(name: string, values: string[] | null | undefined): string[] | undefined {
  if (values == null) return undefined;
  const cleaned = [...new Set(values.map((v) => v.trim()))];
  if (!cleaned.length) bad(name, 'SEGMENT_DETAIL_EMPTY_LIST');
  if (cleaned.length > MAX_ITEMS) bad(name, 'SEGMENT_DETAIL_TOO_MANY_VALUES', { max: MAX_ITEMS });
  for (const v of cleaned) if (!v || v.length > MAX_TEXT) bad(name, 'SEGMENT_DETAIL_VALUE_LENGTH', { max: MAX_TEXT });
  return cleaned;
}

function days(name: string, value: number | null | undefined): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > MAX_DAYS) bad(name, 'SEGMENT_DETAIL_DAYS', { max: MAX_DAYS });
  return value;
}

function count(name: string, value: number | null | undefined): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_VISITS)
    bad(name, 'SEGMENT_DETAIL_WHOLE_NUMBER', { max: MAX_VISITS });
  return value;
}

function money(name: string, value: Prisma.Decimal | string | null | undefined): string | undefined {
  if (value == null) return undefined;
  const d = new Prisma.Decimal(value);
  if (d.isNeg()) bad(name, 'SEGMENT_DETAIL_NEGATIVE');
  return d.toFixed(2);
}

/** What a caller sends (GraphQL), before it is checked. */
export type SegmentConditionsInput = {
  [K in keyof SegmentConditions]?:
    | (K extends 'spendMin' | 'spendMax' ? Prisma.Decimal | string : SegmentConditions[K])
    | null;
};

/**
 * Checks and normalises conditions: bounded lists and ranges, stores and categories that exist,
 * plugin conditions only with their plugin. Every problem is a typed error naming the field.
 */
export async function validateConditions(
  db: Db | Tx,
  input: SegmentConditionsInput,
  kinds: ReadonlyMap<string, SegmentConditionKind>,
): Promise<SegmentConditions> {
  const c: SegmentConditions = {
    tagsAny: words('tagsAny', input.tagsAny),
    tagsAll: words('tagsAll', input.tagsAll),
    tagsNone: words('tagsNone', input.tagsNone),
    tierCodes: words('tierCodes', input.tierCodes),
    rfmSegments: words('rfmSegments', input.rfmSegments),
    spendMin: money('spendMin', input.spendMin),
    spendMax: money('spendMax', input.spendMax),
    visitsMin: count('visitsMin', input.visitsMin),
    visitsMax: count('visitsMax', input.visitsMax),
    lastPurchaseWithinDays: days('lastPurchaseWithinDays', input.lastPurchaseWithinDays),
    lastPurchaseNotWithinDays: days('lastPurchaseNotWithinDays', input.lastPurchaseNotWithinDays),
    categoriesBought: words('categoriesBought', input.categoriesBought),
    categoriesWithinDays: days('categoriesWithinDays', input.categoriesWithinDays),
    homeStoreIds: input.homeStoreIds == null ? undefined : [...new Set(input.homeStoreIds)],
    consentGranted: input.consentGranted == null ? undefined : [...new Set(input.consentGranted)],
  };
  for (const key of Object.keys(c) as (keyof SegmentConditions)[]) if (c[key] === undefined) delete c[key];
  if (!Object.keys(c).length) throw new InvalidInputError('SEGMENT_EMPTY', {}, ['input', 'conditions']);
  if (c.spendMin && c.spendMax && new Prisma.Decimal(c.spendMin).gt(c.spendMax))
    bad('spendMax', 'SEGMENT_DETAIL_BELOW', { other: 'spendMin' });
  if (c.visitsMin != null && c.visitsMax != null && c.visitsMin > c.visitsMax)
    bad('visitsMax', 'SEGMENT_DETAIL_BELOW', { other: 'visitsMin' });
  if (c.categoriesWithinDays && !c.categoriesBought)
    bad('categoriesWithinDays', 'SEGMENT_DETAIL_NEEDS', { other: 'categoriesBought' });
  if (
    c.lastPurchaseWithinDays &&
    c.lastPurchaseNotWithinDays &&
    c.lastPurchaseNotWithinDays >= c.lastPurchaseWithinDays
  )
    bad('lastPurchaseNotWithinDays', 'SEGMENT_DETAIL_WINDOWS', { other: 'lastPurchaseWithinDays' });
  if (c.homeStoreIds) {
    if (!c.homeStoreIds.length || c.homeStoreIds.length > MAX_ITEMS)
      bad('homeStoreIds', 'SEGMENT_DETAIL_STORE_COUNT', { max: MAX_ITEMS });
    const found = await db.store.count({ where: { id: { in: c.homeStoreIds } } });
    if (found !== c.homeStoreIds.length) bad('homeStoreIds', 'SEGMENT_DETAIL_UNKNOWN_STORE');
  }
  if (c.consentGranted) {
    if (!c.consentGranted.length) bad('consentGranted', 'SEGMENT_DETAIL_EMPTY_LIST');
    for (const ch of c.consentGranted)
      if (!(ch in ConsentChannel)) bad('consentGranted', 'SEGMENT_DETAIL_UNKNOWN_CHANNEL', { value: ch });
  }
  if (c.categoriesBought) {
    const known = await db.product.findMany({
      where: { category: { in: c.categoriesBought } },
      distinct: ['category'],
      select: { category: true },
    });
    const missing = c.categoriesBought.filter((x) => !known.some((k) => k.category === x));
    if (missing.length) bad('categoriesBought', 'SEGMENT_DETAIL_UNKNOWN_CATEGORY', { value: missing.join(', ') });
  }
  for (const name of Object.keys(PLUGIN_CONDITIONS) as PluginConditionField[]) {
    const values = c[name];
    if (!values) continue;
    const kind = pluginKind(kinds, name);
    const problem = await kind.validate(db, values);
    if (problem) bad(name, problem.detail, problem.params);
  }
  return c;
}

function pluginKind(kinds: ReadonlyMap<string, SegmentConditionKind>, name: PluginConditionField) {
  const kind = kinds.get(name);
  if (!kind)
    throw new InvalidInputError(
      'SEGMENT_CONDITION_UNAVAILABLE',
      { field: name, plugin: PLUGIN_CONDITIONS[name] },
      field(name),
    );
  return kind;
}

/**
 * The conditions as one boolean SQL expression over the customer row `c`, merged and erased
 * customers always left out. `now` anchors the day windows. A plugin condition whose plugin was
 * removed since the segment was saved is refused, naming the field.
 */
export function conditionsSql(
  c: SegmentConditions,
  kinds: ReadonlyMap<string, SegmentConditionKind>,
  now: Date,
): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`c."mergedIntoId" IS NULL AND c."erasedAt" IS NULL`];
  // Timestamps are stored as UTC without a zone: compare in UTC whatever the session's zone.
  const ago = (n: number) =>
    Prisma.sql`(${new Date(now.getTime() - n * DAY_MS).toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  if (c.tagsAny) parts.push(Prisma.sql`c.tags && ${c.tagsAny}::text[]`);
  if (c.tagsAll) parts.push(Prisma.sql`c.tags @> ${c.tagsAll}::text[]`);
  if (c.tagsNone) parts.push(Prisma.sql`NOT (c.tags && ${c.tagsNone}::text[])`);
  if (c.spendMin) parts.push(Prisma.sql`c."lifetimeSpend" >= ${c.spendMin}::numeric`);
  if (c.spendMax) parts.push(Prisma.sql`c."lifetimeSpend" <= ${c.spendMax}::numeric`);
  if (c.visitsMin != null) parts.push(Prisma.sql`c."visitCount" >= ${c.visitsMin}::int`);
  if (c.visitsMax != null) parts.push(Prisma.sql`c."visitCount" <= ${c.visitsMax}::int`);
  if (c.lastPurchaseWithinDays) parts.push(Prisma.sql`c."lastPurchaseAt" >= ${ago(c.lastPurchaseWithinDays)}`);
  if (c.lastPurchaseNotWithinDays) parts.push(Prisma.sql`c."lastPurchaseAt" < ${ago(c.lastPurchaseNotWithinDays)}`);
  if (c.categoriesBought) {
    const since = c.categoriesWithinDays
      ? Prisma.sql`AND s."occurredAt" >= ${ago(c.categoriesWithinDays)}`
      : Prisma.empty;
    parts.push(Prisma.sql`EXISTS (
      SELECT 1 FROM "Sale" s
      JOIN "SaleLine" l ON l."saleId" = s.id
      JOIN "Product" p ON p.id = l."productId"
      WHERE s."customerId" = c.id AND p.category = ANY (${c.categoriesBought}::text[])
        AND l."refundedQuantity" < l.quantity ${since})`);
  }
  if (c.homeStoreIds) parts.push(Prisma.sql`c."homeStoreId" = ANY (${c.homeStoreIds}::uuid[])`);
  for (const channel of c.consentGranted ?? []) {
    parts.push(Prisma.sql`EXISTS (SELECT 1 FROM "MarketingConsent" m
      WHERE m."customerId" = c.id AND m.channel = ${channel}::"ConsentChannel" AND m.granted)`);
  }
  for (const name of Object.keys(PLUGIN_CONDITIONS) as PluginConditionField[]) {
    const values = c[name];
    if (values) parts.push(Prisma.sql`(${pluginKind(kinds, name).sql(values)})`);
  }
  return Prisma.join(parts, ' AND ');
}
