import type { Db, Tx } from '../db/tx.ts';
import { isUuid } from '../db/ids.ts';
import { InvalidInputError } from '../errors/index.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { Channel } from '../generated/prisma/enums.ts';
import { NAME_MAX_LENGTH } from './service.ts';
import { MEMBER_CODE } from '../members/service.ts';
import { emailHashes, phoneHashes, phoneLast4Hashes } from './personal.ts';

/**
 * Customer search, in SQL: Prisma's `where` cannot say "the name's search terms contain these"
 * (a GIN `@>` over a generated column, see migration 20261123000000_customer_search), so the ids
 * of a page and the count come from here; the caller loads the customers themselves with Prisma.
 */

export interface CustomerFilter {
  /** Name fragment, last 4 digits of the phone, whole phone, member code or e-mail. */
  query?: string | null;
  phoneLast4?: string | null;
  tag?: string | null;
  channel?: Channel | null;
  homeStoreId?: string | null;
  isMember?: boolean | null;
  lastPurchaseFrom?: Date | null;
  lastPurchaseTo?: Date | null;
}

/**
 * - `relevance` (a search with `query`): exact matches first (the whole name, whole phone, member
 *   code or e-mail), then by last purchase, most recent first, then those who never bought,
 *   newest first.
 * - `newest`: newest first.
 */
export type CustomerOrder = 'relevance' | 'newest';

export interface CustomerPageRequest {
  order: CustomerOrder;
  /** A cursor from an earlier page of the same filter and order. */
  cursor?: string | null;
  /** Which argument the cursor came in, for the error when it is not one of ours. */
  cursorArg?: string;
  /** Rows after the cursor (forward) or before it (backward, returned nearest first). */
  backward?: boolean;
  limit: number;
  /**
   * Also read the tally of all customers in the same statement (for a filter that lists everyone,
   * see listsEveryone): it comes on every row, saving the count its own round trip.
   */
  withTally?: boolean;
}

/**
 * The search order is a run of tiers, each in one index order: rows by last purchase
 * (lastPurchaseAt desc, id desc, on the (lastPurchaseAt, id) index) or rows by id, newest first
 * (on the primary key, or the index of those who never bought). Read with a LIMIT, a tier whose
 * fragment matches thousands of customers reads about a page's worth of rows.
 */
interface Tier {
  /** What the tier's rows match; tiers split by purchase share it. */
  match: Prisma.Sql;
  /** true: bought before, by last purchase; false: never bought, by id; null: everyone, by id. */
  bought: boolean | null;
  /**
   * Read the tier's matches through the indexes first (up to INDEX_FIRST_MAX of them), then
   * sort. The planner cannot tell how many customers a fragment matches among those who bought
   * (a name's terms say nothing about purchases, and a long fragment's literal text is checked
   * after the index), and guessing "many" makes it walk the whole order for matches that are not
   * there: 120 ms for a surname that 967 of 100,000 customers have, all but one never buying.
   * A tier with more matches than the bound is walked as before: it meets a page soon, unless
   * those matches all bought long ago.
   */
  indexFirst?: boolean;
}

type Key = { tier: number; t: string | null; id: string };

const ORDER_TAG: Record<CustomerOrder, string> = { relevance: 'r', newest: 'n' };
/** See Tier.indexFirst; a constant in the statement, so that the planner knows it. */
const INDEX_FIRST_MAX = 2_000;
const INDEX_FIRST_RAW = Prisma.raw(String(INDEX_FIRST_MAX));
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;

function or(parts: Prisma.Sql[]) {
  return Prisma.sql`(${Prisma.join(parts, ' OR ')})`;
}
function and(parts: Prisma.Sql[]) {
  return Prisma.join(parts, ' AND ');
}

/** What `query` matches, split into exact matches (ranked first) and the rest. */
function queryConditions(query: string) {
  const digits = query.replace(/\D/g, '');
  // Digits only (spaces and dashes allowed, as people write phone numbers).
  const phoneLike = digits.length >= 3 && digits === query.replace(/[\s-]/g, '');
  // Phone and e-mail are encrypted: they are matched by their keyed hashes, under every
  // configured key (a key rotation may be under way), on the hash columns' indexes.
  const exact = [Prisma.sql`lower(c.name) = lower(${query}::text)`];
  // Only what can be a member code is looked up as one (a name fragment in Chinese cannot): one
  // sub-plan fewer in each of the four branches, to plan and to run.
  if (MEMBER_CODE.test(query))
    exact.push(Prisma.sql`c.id = ANY (ARRAY(SELECT m."customerId" FROM "Member" m WHERE m.code = ${query}::text))`);
  if (query.includes('@')) exact.push(Prisma.sql`c."emailHash" = ANY (${emailHashes(query)}::text[])`);
  if (phoneLike && digits.length === 11) exact.push(Prisma.sql`c."phoneHash" = ANY (${phoneHashes(digits)}::text[])`);
  // A fragment of 1–2 characters (or 3 digits) is one term itself, so having the term is the
  // match. A longer one has its pieces checked by the index and its literal text by strpos
  // (where % and _ are plain characters).
  // No name is longer than NAME_MAX_LENGTH: a longer fragment is no name's, and its pieces are
  // not worth looking up.
  const length = [...query].length;
  const longName = length > 2;
  const partial: Prisma.Sql[] = [];
  if (length <= NAME_MAX_LENGTH) {
    partial.push(
      longName
        ? Prisma.sql`(c."searchTerms" @> customer_name_query_terms(${query}::text)
          AND strpos(lower(c.name), lower(${query}::text)) > 0)`
        : Prisma.sql`c."searchTerms" @> customer_name_query_terms(${query}::text)`,
    );
  }
  // Of a phone, only the last four digits are searchable besides the whole number: any other
  // piece would have to be stored in a form that gives the number away (docs/security.md).
  if (phoneLike && digits.length === 4)
    partial.push(Prisma.sql`c."phoneLast4Hash" = ANY (${phoneLast4Hashes(digits)}::text[])`);
  return { exact: or(exact), partial: partial.length ? or(partial) : Prisma.sql`FALSE` };
}

/** Every condition but `query`; merged records (tombstones) are never listed. */
function filterConditions(filter: CustomerFilter): Prisma.Sql[] {
  const utc = (d: Date) => Prisma.sql`(${d.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  const conditions = [Prisma.sql`c."mergedIntoId" IS NULL`, Prisma.sql`c."erasedAt" IS NULL`];
  if (filter.phoneLast4)
    conditions.push(Prisma.sql`c."phoneLast4Hash" = ANY (${phoneLast4Hashes(filter.phoneLast4.trim())}::text[])`);
  if (filter.tag) conditions.push(Prisma.sql`${filter.tag}::text = ANY (c.tags)`);
  if (filter.channel) conditions.push(Prisma.sql`c."sourceChannel" = ${filter.channel}::text::"Channel"`);
  if (filter.homeStoreId) conditions.push(Prisma.sql`c."homeStoreId" = ${filter.homeStoreId}::uuid`);
  if (filter.isMember === true)
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "Member" m WHERE m."customerId" = c.id)`);
  if (filter.isMember === false)
    conditions.push(Prisma.sql`NOT EXISTS (SELECT 1 FROM "Member" m WHERE m."customerId" = c.id)`);
  if (filter.lastPurchaseFrom) conditions.push(Prisma.sql`c."lastPurchaseAt" >= ${utc(filter.lastPurchaseFrom)}`);
  if (filter.lastPurchaseTo) conditions.push(Prisma.sql`c."lastPurchaseAt" < ${utc(filter.lastPurchaseTo)}`);
  return conditions;
}

function tiersOf(filter: CustomerFilter, order: CustomerOrder): Tier[] {
  const query = filter.query?.trim();
  if (!query) return [{ match: Prisma.sql`TRUE`, bought: null }];
  const { exact, partial } = queryConditions(query);
  if (order === 'newest') return [{ match: or([exact, partial]), bought: null, indexFirst: true }];
  // An OR of exact matches may be NULL (no e-mail); an exact match is never listed twice.
  const rest = and([partial, Prisma.sql`NOT coalesce(${exact}, FALSE)`]);
  return [
    { match: exact, bought: true },
    { match: exact, bought: false },
    { match: rest, bought: true, indexFirst: true },
    { match: rest, bought: false, indexFirst: true },
  ];
}

/** Whether `filter` lists every customer (nothing set that narrows it). */
export function listsEveryone(filter: CustomerFilter) {
  return (
    !filter.query?.trim() &&
    !filter.phoneLast4 &&
    !filter.tag &&
    !filter.channel &&
    !filter.homeStoreId &&
    (filter.isMember === null || filter.isMember === undefined) &&
    !filter.lastPurchaseFrom &&
    !filter.lastPurchaseTo
  );
}

/**
 * How many customers match `filter`. Without a filter, the tally the database keeps in the same
 * transactions as the customers (migration 20261204000000_customer_tally): one read of 16 rows
 * instead of counting every customer.
 */
export async function countCustomers(db: Db | Tx, filter: CustomerFilter): Promise<number> {
  if (listsEveryone(filter)) {
    const tally = await db.$queryRaw<{ n: number }[]>`
      SELECT coalesce(sum(listed), 0)::int AS n FROM "CustomerTally"`;
    return tally[0]!.n;
  }
  const [tier] = tiersOf(filter, 'newest');
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "Customer" c WHERE ${and([...filterConditions(filter), tier!.match])}`;
  return rows[0]!.n;
}

/**
 * Ids of one page of customers matching `filter`, in `order`, each with its cursor. Asks for
 * `limit` rows; fewer means the list ends there. One statement: each tier from the cursor's on
 * is a branch with its own ORDER BY and LIMIT (so its own index order), and the page is the
 * first `limit` rows of the branches in tier order.
 */
export async function findCustomerPage(db: Db | Tx, filter: CustomerFilter, request: CustomerPageRequest) {
  const tiers = tiersOf(filter, request.order);
  const from = request.cursor ? decodeCursor(request.cursor, request.order, tiers, request.cursorArg ?? 'after') : null;
  const backward = Boolean(request.backward);
  const direction = backward ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  const conditions = filterConditions(filter);
  const ctes: Prisma.Sql[] = [];
  const branches: Prisma.Sql[] = [];
  const start = from?.tier ?? (backward ? tiers.length - 1 : 0);
  for (let i = start; i >= 0 && i < tiers.length; i += backward ? -1 : 1) {
    const tier = tiers[i]!;
    const own: Prisma.Sql[] = [];
    if (tier.bought !== null)
      own.push(tier.bought ? Prisma.sql`c."lastPurchaseAt" IS NOT NULL` : Prisma.sql`c."lastPurchaseAt" IS NULL`);
    if (from?.tier === i) own.push(keysetCondition(tier, from, backward));
    const byLastPurchase = tier.bought === true;
    const key = byLastPurchase ? Prisma.sql`c."lastPurchaseAt"` : Prisma.sql`NULL::timestamp(3)`;
    const orderBy = byLastPurchase
      ? Prisma.sql`c."lastPurchaseAt" ${direction}, c.id ${direction}`
      : Prisma.sql`c.id ${direction}`;
    const branch = (source: Prisma.Sql, where: Prisma.Sql[]) => Prisma.sql`(
      SELECT ${i}::int AS tier, c.id, c."lastPurchaseAt" AS t, ${key} AS k FROM ${source}
      WHERE ${and(where)} ORDER BY ${orderBy} LIMIT ${request.limit})`;
    const walk = [...conditions, tier.match, ...own];
    if (!tier.indexFirst) {
      branches.push(branch(Prisma.sql`"Customer" c`, walk));
      continue;
    }
    // The tier's own matches (past the cursor), so that a tier with more than the bound has at
    // least that many to meet in its walk, however the fragment's customers are spread.
    const matches = Prisma.raw(`matches${i}`);
    ctes.push(Prisma.sql`${matches} AS MATERIALIZED (SELECT c.id, c."lastPurchaseAt" FROM "Customer" c
      WHERE ${and(walk)} LIMIT ${INDEX_FIRST_RAW} + 1)`);
    // Only one of the two runs: each is gated by a condition PostgreSQL evaluates once, first.
    const count = Prisma.sql`(SELECT count(*) FROM ${matches})`;
    branches.push(branch(Prisma.sql`${matches} c`, [Prisma.sql`${count} <= ${INDEX_FIRST_RAW}`]));
    branches.push(branch(Prisma.sql`"Customer" c`, [Prisma.sql`${count} > ${INDEX_FIRST_RAW}`, ...walk]));
  }
  const tally =
    request.withTally && listsEveryone(filter)
      ? Prisma.sql`, (SELECT coalesce(sum(listed), 0)::int FROM "CustomerTally") AS tally`
      : Prisma.empty;
  const rows = await db.$queryRaw<{ tier: number; id: string; t: string | null; tally?: number }[]>`
    ${ctes.length ? Prisma.sql`WITH ${Prisma.join(ctes, ', ')}` : Prisma.empty}
    SELECT p.tier, p.id::text AS id, to_char(p.t, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS t ${tally}
    FROM (${Prisma.join(branches, ' UNION ALL ')}) p
    ORDER BY p.tier ${backward ? Prisma.sql`DESC` : Prisma.sql`ASC`}, p.k ${direction}, p.id ${direction}
    LIMIT ${request.limit}`;
  return rows.map((row) => ({
    id: row.id,
    cursor: encodeCursor(request.order, { tier: row.tier, t: row.t, id: row.id }),
    tally: row.tally,
  }));
}

/** Rows past `key` in the tier's order; a row comparison, so the index can start there. */
function keysetCondition(tier: Tier, key: Key, backward: boolean) {
  const past = backward ? Prisma.sql`>` : Prisma.sql`<`;
  return tier.bought === true
    ? Prisma.sql`(c."lastPurchaseAt", c.id) ${past} (${key.t}::timestamp(3), ${key.id}::uuid)`
    : Prisma.sql`c.id ${past} ${key.id}::uuid`;
}

function encodeCursor(order: CustomerOrder, key: Key) {
  return Buffer.from(JSON.stringify([ORDER_TAG[order], key.tier, key.t, key.id])).toString('base64url');
}

/** A cursor is only good for the order (and so the kind of filter) that gave it out. */
function decodeCursor(cursor: string, order: CustomerOrder, tiers: Tier[], arg: string): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && parsed.length === 4) {
    const [tag, tier, t, id] = parsed as unknown[];
    const tierOk = Number.isInteger(tier) && (tier as number) >= 0 && (tier as number) < tiers.length;
    if (
      tag === ORDER_TAG[order] &&
      tierOk &&
      (t === null || (typeof t === 'string' && TIMESTAMP.test(t))) &&
      !(tiers[tier as number]!.bought === true && t === null) &&
      typeof id === 'string' &&
      isUuid(id)
    ) {
      return { tier: tier as number, t: t as string | null, id };
    }
  }
  throw new InvalidInputError('INVALID_CURSOR', { cursor }, [arg]);
}
