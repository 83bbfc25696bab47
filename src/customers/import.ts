import { uuidv7 } from '../db/ids.ts';
import type { SqlSession } from '../db/migrate.ts';
import { counted, ImportRaceError, MAX_LISTED_ERRORS, NOW_UTC, utc } from '../imports/run.ts';
import type { ImportContext, ImportKind, RowProblem } from '../imports/kind.ts';
import { CUSTOMER_COLUMNS, mapHeader, parseRow, type ImportRow, type RowContext } from './import-columns.ts';
import { loadStores } from '../imports/refs.ts';
import { DEFAULT_TIME_ZONE } from '../stores/time.ts';
import { MAX_MERGE_HOPS } from './merges.ts';
import { emailHashes, openBirthday, phoneHashes, sealBirthday, sealEmail, sealPhone } from './personal.ts';

/**
 * Customer import (members with their cards too): a merchant's customer list (Excel, an old
 * POS) checked as a whole and written in one transaction by the import framework (run.ts):
 *
 * 1. Every row is parsed and checked one at a time, and nothing of it is kept in memory:
 *    valid rows go, in small batches, into a temporary staging table (one INSERT … SELECT FROM
 *    json_to_recordset per batch), which also looks up the customer each row's phone, member
 *    code and customer id name.
 * 2. A few statements over the staging table lead merged records to their survivor and find
 *    the problems that involve other rows or the database: the same phone twice in the file,
 *    a member code of another customer…
 * 3. With no problem, a few more write everything: new customers, changed customers, member
 *    cards, consents, the import's record. Otherwise, or for a dry run, the transaction is
 *    rolled back: nothing is half-written.
 *
 * It runs on the database driver's own connection (SqlSession), not through Prisma: Prisma's
 * raw-query path copies large parameters several times over, which measured at twice the time
 * and several times the memory for 100,000 rows.
 *
 * What an existing customer takes from a row (README, "Importing customers"): a filled cell
 * replaces the stored value, an empty cell never erases one; tags are added; notes are
 * appended unless already there; consents given replace the recorded ones; a member code
 * enrols a customer who has no card. Purchase figures are the old system's history: they
 * replace the customer's imported baseline (figures.ts), except on rows that name one of this
 * system's own customer ids: those come from our export, and their figures already include
 * the sales recorded here.
 */

const STAGING = 'customer_import_row';

const CREATE_STAGING = `CREATE TEMP TABLE ${STAGING} (
  row_no int PRIMARY KEY,
  new_id uuid NOT NULL,
  member_id uuid NOT NULL,
  ref_id uuid,
  name text,
  -- The file's values in plaintext (this temporary table lives only in the import's transaction),
  -- and as they are stored: encrypted, with their keyed hashes (src/customers/personal.ts).
  phone text,
  email text,
  gender "Gender",
  birthday date,
  phone_enc text,
  phone_hash text,
  phone_last4_hash text,
  phone_hashes text[],
  email_enc text,
  email_hash text,
  email_hashes text[],
  birthday_enc text,
  birthday_differs boolean NOT NULL DEFAULT false,
  source_channel "Channel",
  tags text[] NOT NULL,
  member_code text,
  member_since timestamp(3),
  home_store_id uuid,
  first_at timestamp(3),
  last_at timestamp(3),
  visits int,
  spend numeric(14, 2),
  c_sms boolean,
  c_wechat boolean,
  c_email boolean,
  c_call boolean,
  notes text,
  created_at timestamp(3),
  -- the customer named by the row's id, phone and member code (survivors, not merged records)
  by_id uuid,
  by_phone uuid,
  by_code uuid,
  -- the customer the row updates; none: it creates one (new_id)
  target uuid GENERATED ALWAYS AS (coalesce(by_phone, by_code, by_id)) STORED,
  changed boolean NOT NULL DEFAULT false
) ON COMMIT DROP`;

/**
 * A batch of rows travels as one JSON text, unpacked by json_to_recordset: one parameter
 * whatever the batch size, serialised by V8's own JSON.stringify (Dates become ISO instants),
 * which keeps both the time and the memory per row small.
 */
const INSERT_STAGED = `INSERT INTO ${STAGING} (row_no, new_id, member_id, ref_id, name, phone, email, gender, birthday,
    phone_enc, phone_hash, phone_last4_hash, phone_hashes, email_enc, email_hash, email_hashes, birthday_enc,
    source_channel, tags,
    member_code, member_since, home_store_id, first_at, last_at, visits, spend, c_sms, c_wechat, c_email, c_call, notes,
    created_at, by_id, by_phone, by_code)
  SELECT u.row_no, u.new_id, u.member_id, u.ref_id, u.name, u.phone, u.email, u.gender::"Gender", u.birthday,
    u.phone_enc, u.phone_hash, u.phone_last4_hash, u.phone_hashes, u.email_enc, u.email_hash, u.email_hashes,
    u.birthday_enc, u.source_channel::"Channel",
    coalesce(u.tags, '{}'), u.member_code, ${utc('u.member_since')}, u.home_store_id,
    -- our own figures, exported and read back (the row names our customer id), are not another system's history
    CASE WHEN ci.id IS NULL THEN ${utc('u.first_at')} END, CASE WHEN ci.id IS NULL THEN ${utc('u.last_at')} END,
    CASE WHEN ci.id IS NULL THEN u.visits END, CASE WHEN ci.id IS NULL THEN u.spend END,
    u.c_sms, u.c_wechat, u.c_email, u.c_call, u.notes, ${utc('u.created_at')},
    ci.id, cp.id, m."customerId"
  FROM json_to_recordset($1::json) AS u(row_no int, new_id uuid, member_id uuid, ref_id uuid, name text, phone text,
                                        email text, gender text,
    birthday date, phone_enc text, phone_hash text, phone_last4_hash text, phone_hashes text[], email_enc text,
    email_hash text,
    email_hashes text[], birthday_enc text, source_channel text, tags text[], member_code text,
    member_since timestamptz, home_store_id uuid, first_at timestamptz,
    last_at timestamptz, visits int, spend numeric, c_sms boolean, c_wechat boolean, c_email boolean, c_call boolean,
    notes text, created_at timestamptz)
  LEFT JOIN "Customer" ci ON ci.id = u.ref_id
  LEFT JOIN "Customer" cp ON cp."phoneHash" = ANY (u.phone_hashes)
  LEFT JOIN "Member" m ON m.code = u.member_code`;

/** The row's phone, e-mail and birthday as stored (encrypted, keyed hashes), and the hashes a look-up matches. */
function sealedColumns(r: ImportRow) {
  const phone = sealPhone(r.phone ?? null);
  const email = sealEmail(r.email ?? null);
  return {
    phone_enc: phone.phoneEnc,
    phone_hash: phone.phoneHash,
    phone_last4_hash: phone.phoneLast4Hash,
    phone_hashes: r.phone ? phoneHashes(r.phone) : null,
    email_enc: email.emailEnc,
    email_hash: email.emailHash,
    email_hashes: r.email ? emailHashes(r.email) : null,
    birthday_enc: r.birthday ? sealBirthday(new Date(`${r.birthday}T00:00:00Z`)).birthdayEnc : null,
  };
}

/** A checked row in the staging table's terms; absent (undefined) values arrive as NULL. */
function stagedRow(r: ImportRow) {
  return {
    row_no: r.row,
    new_id: uuidv7(r.createdAt?.getTime()),
    member_id: uuidv7(),
    ref_id: r.id,
    name: r.name,
    phone: r.phone,
    email: r.email,
    gender: r.gender,
    birthday: r.birthday,
    ...sealedColumns(r),
    source_channel: r.sourceChannel,
    tags: r.tags,
    member_code: r.memberCode,
    member_since: r.memberSince,
    home_store_id: r.homeStoreId,
    first_at: r.firstPurchaseAt,
    last_at: r.lastPurchaseAt,
    visits: r.visitCount,
    spend: r.lifetimeSpend,
    c_sms: r.consents.SMS,
    c_wechat: r.consents.WECHAT,
    c_email: r.consents.EMAIL,
    c_call: r.consents.PHONE_CALL,
    notes: r.notes,
    created_at: r.createdAt,
  };
}

/** A merged record (the id in an old export, a cancelled card) stands for its survivor. */
async function followMergesInStaging(sql: SqlSession) {
  for (const col of ['by_id', 'by_phone', 'by_code']) {
    for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
      const moved = await counted(
        sql,
        `UPDATE ${STAGING} s SET ${col} = c."mergedIntoId" FROM "Customer" c
         WHERE c.id = s.${col} AND c."mergedIntoId" IS NOT NULL`,
      );
      if (!moved) break;
    }
  }
}

/**
 * Problems that involve other rows or the database. A row that repeats an earlier row's phone,
 * member code or customer id is reported against that row, and only so.
 */
async function findConflicts(sql: SqlSession): Promise<RowProblem[]> {
  const rows = (await sql.query(`
    WITH dup_phone AS (
      SELECT phone, min(row_no) AS first_row FROM ${STAGING} WHERE phone IS NOT NULL GROUP BY phone HAVING count(*) > 1
    ), dup_code AS (
      SELECT member_code, min(row_no) AS first_row FROM ${STAGING} WHERE member_code IS NOT NULL GROUP BY member_code
      HAVING count(*) > 1
    ), dup_id AS (
      SELECT ref_id, min(row_no) AS first_row FROM ${STAGING} WHERE ref_id IS NOT NULL GROUP BY ref_id
      HAVING count(*) > 1
    ), repeated AS MATERIALIZED (
      SELECT s.row_no, 'IMPORT_DUPLICATE_PHONE' AS code, 'phone' AS field, s.phone AS a, d.first_row::text AS b
        FROM ${STAGING} s JOIN dup_phone d USING (phone) WHERE s.row_no > d.first_row
      UNION ALL
      SELECT s.row_no, 'IMPORT_DUPLICATE_MEMBER_CODE', 'memberCode', s.member_code, d.first_row::text
        FROM ${STAGING} s JOIN dup_code d USING (member_code) WHERE s.row_no > d.first_row
      UNION ALL
      SELECT s.row_no, 'IMPORT_SAME_CUSTOMER', 'id', d.first_row::text, NULL
        FROM ${STAGING} s JOIN dup_id d USING (ref_id) WHERE s.row_no > d.first_row
    ), single AS (
      SELECT s.* FROM ${STAGING} s WHERE NOT EXISTS (SELECT 1 FROM repeated r WHERE r.row_no = s.row_no)
    ), dup_target AS (
      SELECT target, min(row_no) AS first_row FROM single WHERE target IS NOT NULL GROUP BY target HAVING count(*) > 1
    )
    SELECT * FROM repeated
    UNION ALL
    SELECT s.row_no, 'IMPORT_SAME_CUSTOMER', NULL, d.first_row::text, NULL
      FROM single s JOIN dup_target d USING (target) WHERE s.row_no > d.first_row
    UNION ALL
    SELECT row_no, 'IMPORT_MEMBER_CODE_TAKEN', 'memberCode', member_code, NULL
      FROM single WHERE by_phone <> by_code
    UNION ALL
    SELECT row_no, 'IMPORT_CUSTOMER_ID_CONFLICT', 'id', NULL, NULL
      FROM single WHERE by_phone <> by_id OR by_code <> by_id
    UNION ALL
    SELECT row_no, 'IMPORT_NO_KEY', NULL, NULL, NULL
      FROM ${STAGING} WHERE phone IS NULL AND member_code IS NULL AND by_id IS NULL
    UNION ALL
    SELECT row_no, 'IMPORT_NAME_REQUIRED', 'name', NULL, NULL
      FROM single WHERE target IS NULL AND name IS NULL AND (phone IS NOT NULL OR member_code IS NOT NULL)
    UNION ALL
    SELECT s.row_no, 'IMPORT_MEMBER_CODE_DIFFERS', 'memberCode', m.code, s.member_code
      FROM single s JOIN "Member" m ON m."customerId" = s.target
      WHERE s.member_code IS NOT NULL AND s.by_code IS NULL
    ORDER BY 1
    LIMIT ${MAX_LISTED_ERRORS + 1}`)) as {
    row_no: number;
    code: RowProblem['code'];
    field: string | null;
    a: string | null;
    b: string | null;
  }[];
  return rows.map((r) => {
    const params: Record<string, string | number> =
      r.code === 'IMPORT_DUPLICATE_PHONE'
        ? { phone: r.a!, other: Number(r.b) }
        : r.code === 'IMPORT_DUPLICATE_MEMBER_CODE'
          ? { code: r.a!, other: Number(r.b) }
          : r.code === 'IMPORT_MEMBER_CODE_TAKEN'
            ? { code: r.a! }
            : r.code === 'IMPORT_MEMBER_CODE_DIFFERS'
              ? { existing: r.a!, code: r.b! }
              : r.code === 'IMPORT_SAME_CUSTOMER'
                ? { other: Number(r.a) }
                : {};
    return { row: Number(r.row_no), field: r.field, code: r.code, params };
  });
}

/**
 * Whether an existing customer would change: a filled cell that differs, tags or notes not there yet, a consent, a
 * card, history.
 */
const CHANGED = `
  (s.name IS NOT NULL AND s.name IS DISTINCT FROM c.name)
  OR (s.phone IS NOT NULL AND NOT coalesce(c."phoneHash" = ANY (s.phone_hashes), false))
  OR (s.email IS NOT NULL AND NOT coalesce(c."emailHash" = ANY (s.email_hashes), false))
  OR (s.gender IS NOT NULL AND s.gender IS DISTINCT FROM c.gender)
  OR s.birthday_differs
  OR (s.source_channel IS NOT NULL AND s.source_channel IS DISTINCT FROM c."sourceChannel")
  OR (s.home_store_id IS NOT NULL AND s.home_store_id IS DISTINCT FROM c."homeStoreId")
  OR NOT (s.tags <@ coalesce(c.tags, '{}'))
  OR (s.notes IS NOT NULL AND strpos(coalesce(c.notes, ''), s.notes) = 0)
  OR (s.visits IS NOT NULL AND s.visits <> c."importedVisitCount")
  OR (s.spend IS NOT NULL AND s.spend <> c."importedSpend")
  OR (s.first_at IS NOT NULL AND s.first_at IS DISTINCT FROM c."importedFirstPurchaseAt")
  OR (s.last_at IS NOT NULL AND s.last_at IS DISTINCT FROM c."importedLastPurchaseAt")
  OR (s.member_code IS NOT NULL AND s.by_code IS NULL)
  OR EXISTS (
    SELECT 1 FROM (VALUES ('SMS', s.c_sms), ('WECHAT', s.c_wechat), ('EMAIL', s.c_email), ('PHONE_CALL', s.c_call))
      v(channel, granted)
    LEFT JOIN "MarketingConsent" mc ON mc."customerId" = c.id AND mc.channel = v.channel::"ConsentChannel"
    WHERE v.granted IS NOT NULL AND mc.granted IS DISTINCT FROM v.granted
  )`;

/**
 * Figures of an existing customer when the import replaces their imported baseline: visits
 * and spend move by the baseline's change (so sales recorded meanwhile, even concurrently, stay
 * counted); a date is recomputed from the new baseline and the sales-derived part, which is the
 * stored value unless the old baseline was what set it.
 */
const FIGURES = `
  "importedVisitCount" = coalesce(s.visits, c."importedVisitCount"),
  "visitCount" = c."visitCount" + coalesce(s.visits, c."importedVisitCount") - c."importedVisitCount",
  "importedSpend" = coalesce(s.spend, c."importedSpend"),
  "lifetimeSpend" = c."lifetimeSpend" + coalesce(s.spend, c."importedSpend") - c."importedSpend",
  "importedFirstPurchaseAt" = coalesce(s.first_at, c."importedFirstPurchaseAt"),
  "firstPurchaseAt" = CASE
    WHEN s.first_at IS NULL OR s.first_at = c."importedFirstPurchaseAt" THEN c."firstPurchaseAt"
    ELSE LEAST(s.first_at, CASE
      WHEN c."importedFirstPurchaseAt" IS NULL OR c."firstPurchaseAt" < c."importedFirstPurchaseAt"
        THEN c."firstPurchaseAt"
      ELSE (SELECT min(x."occurredAt") FROM "Sale" x WHERE x."customerId" = c.id) END) END,
  "importedLastPurchaseAt" = coalesce(s.last_at, c."importedLastPurchaseAt"),
  "lastPurchaseAt" = CASE
    WHEN s.last_at IS NULL OR s.last_at = c."importedLastPurchaseAt" THEN c."lastPurchaseAt"
    ELSE GREATEST(s.last_at, CASE
      WHEN c."importedLastPurchaseAt" IS NULL OR c."lastPurchaseAt" > c."importedLastPurchaseAt" THEN c."lastPurchaseAt"
      ELSE (SELECT max(x."occurredAt") FROM "Sale" x WHERE x."customerId" = c.id) END) END`;

/**
 * Marks the rows whose birthday differs from their customer's: birthdays are stored encrypted
 * (with no hash: nothing looks one up), so the comparison decrypts, here, in batches.
 */
async function markChangedBirthdays(sql: SqlSession) {
  let after = 0;
  for (;;) {
    const rows = (await sql.query(
      `SELECT s.row_no, to_char(s.birthday, 'YYYY-MM-DD') AS birthday, c."birthdayEnc" AS stored
       FROM ${STAGING} s JOIN "Customer" c ON c.id = s.target
       WHERE s.birthday IS NOT NULL AND s.row_no > $1 ORDER BY s.row_no LIMIT 5000`,
      [after],
    )) as { row_no: number; birthday: string; stored: string | null }[];
    if (rows.length === 0) return;
    const differ = rows
      .filter((r) => openBirthday(r.stored)?.toISOString().slice(0, 10) !== r.birthday)
      .map((r) => Number(r.row_no));
    if (differ.length)
      await sql.query(`UPDATE ${STAGING} SET birthday_differs = true WHERE row_no = ANY ($1::int[])`, [differ]);
    after = Number(rows.at(-1)!.row_no);
  }
}

async function writeCustomers(sql: SqlSession) {
  await markChangedBirthdays(sql);
  const changed = await counted(
    sql,
    `UPDATE ${STAGING} s SET changed = true FROM "Customer" c WHERE c.id = s.target AND (${CHANGED})`,
  );

  // Changed customers first: the update also locks them, and one merged meanwhile (no longer
  // live) is not updated, which the count shows. The caller then sends the file again.
  // Fresh statistics let the planner join the few changed rows, not scan them per customer.
  await sql.exec(`ANALYZE ${STAGING}`);
  const updated = !changed
    ? 0
    : await counted(
        sql,
        `UPDATE "Customer" c SET
      name = coalesce(s.name, c.name),
      "phoneEnc" = coalesce(s.phone_enc, c."phoneEnc"),
      "phoneHash" = coalesce(s.phone_hash, c."phoneHash"),
      "phoneLast4Hash" = coalesce(s.phone_last4_hash, c."phoneLast4Hash"),
      "emailEnc" = coalesce(s.email_enc, c."emailEnc"),
      "emailHash" = coalesce(s.email_hash, c."emailHash"),
      gender = coalesce(s.gender, c.gender),
      "birthdayEnc" = coalesce(s.birthday_enc, c."birthdayEnc"),
      "sourceChannel" = coalesce(s.source_channel, c."sourceChannel"),
      "homeStoreId" = coalesce(s.home_store_id, c."homeStoreId"),
      tags = coalesce(c.tags, '{}') || ARRAY(
        SELECT t FROM unnest(s.tags) WITH ORDINALITY AS u(t, i) WHERE NOT (t = ANY (coalesce(c.tags, '{}')))
        ORDER BY i),
      notes = CASE
        WHEN s.notes IS NULL OR strpos(coalesce(c.notes, ''), s.notes) > 0 THEN c.notes
        WHEN c.notes IS NULL OR c.notes = '' THEN s.notes
        ELSE c.notes || E'\\n' || s.notes END,
      ${FIGURES},
      "updatedAt" = ${NOW_UTC}
    FROM ${STAGING} s
    WHERE c.id = s.target AND s.changed AND c."mergedIntoId" IS NULL`,
      );
  if (updated !== changed) throw new ImportRaceError();

  const created = await counted(
    sql,
    `INSERT INTO "Customer" (id, name, "phoneEnc", "phoneHash", "phoneLast4Hash", "emailEnc", "emailHash", gender,
      "birthdayEnc", "sourceChannel", "homeStoreId", tags, notes,
      "firstPurchaseAt", "lastPurchaseAt", "visitCount", "lifetimeSpend",
      "importedFirstPurchaseAt", "importedLastPurchaseAt", "importedVisitCount", "importedSpend", "createdAt",
      "updatedAt")
    SELECT new_id, name, phone_enc, phone_hash, phone_last4_hash, email_enc, email_hash, coalesce(gender, 'UNKNOWN'),
      birthday_enc, coalesce(source_channel, 'IMPORT'), home_store_id, tags, notes,
      first_at, last_at, coalesce(visits, 0), coalesce(spend, 0),
      first_at, last_at, coalesce(visits, 0), coalesce(spend, 0), coalesce(created_at, ${NOW_UTC}), ${NOW_UTC}
    FROM ${STAGING} WHERE target IS NULL ORDER BY row_no`,
  );

  // A card for each row whose member code is new here (the customer has none: checked before).
  await sql.exec(`
    INSERT INTO "Member" (id, "customerId", code, "joinedAt", "joinedStoreId", status)
    SELECT member_id, coalesce(target, new_id), member_code, coalesce(member_since, ${NOW_UTC}), home_store_id, 'ACTIVE'
    FROM ${STAGING} WHERE member_code IS NOT NULL AND by_code IS NULL ORDER BY row_no`);

  await sql.exec(`
    INSERT INTO "MarketingConsent" ("customerId", channel, granted, "updatedAt")
    SELECT coalesce(s.target, s.new_id), v.channel::"ConsentChannel", v.granted, ${NOW_UTC}
    FROM ${STAGING} s
    CROSS JOIN LATERAL (VALUES ('SMS', s.c_sms), ('WECHAT', s.c_wechat), ('EMAIL', s.c_email), ('PHONE_CALL', s.c_call))
      v(channel, granted)
    WHERE v.granted IS NOT NULL
    ON CONFLICT ("customerId", channel) DO UPDATE SET granted = EXCLUDED.granted, "updatedAt" = EXCLUDED."updatedAt"
      WHERE "MarketingConsent".granted IS DISTINCT FROM EXCLUDED.granted`);

  const total = Number((await sql.query(`SELECT count(*)::int AS n FROM ${STAGING}`))[0]!.n);
  return { created, updated, unchanged: total - created - updated };
}

/**
 * The customers kind (members with their card codes are customers with a 会员号): one row per
 * customer, the phone, the member code or our own customer id naming who it is.
 */
export const customersImport: ImportKind<ImportRow, RowContext> = {
  name: 'customers',
  title: { 'zh-CN': '顾客与会员', en: 'Customers and members' },
  permission: 'customer:import',
  order: 30,
  columns: CUSTOMER_COLUMNS,
  mapHeader,
  async begin(sql: SqlSession, context: ImportContext) {
    const { stores, byKey } = await loadStores(sql);
    await sql.exec(CREATE_STAGING);
    // Dates written without a zone, in a row naming no store, are read in the oldest store's.
    return { stores: byKey, defaultTimeZone: stores[0]?.timezone ?? DEFAULT_TIME_ZONE, now: context.now };
  },
  parseRow,
  async stage(sql, rows) {
    await sql.query(INSERT_STAGED, [JSON.stringify(rows.map(stagedRow))]);
  },
  async check(sql) {
    await sql.exec(`ANALYZE ${STAGING}`);
    await followMergesInStaging(sql);
    return findConflicts(sql);
  },
  write: writeCustomers,
  async afterCommit(services, report) {
    const { importId, created, updated, unchanged } = report;
    // Thousands of new rows change what the planner should do with customer search (the embedded
    // database never analyzes by itself, and PostgreSQL's autovacuum would only get to it later).
    if (!report.dryRun && created + updated >= ANALYZE_AFTER_ROWS) await services.sql.exec('ANALYZE "Customer"');
    await services.events.publish([{ type: 'customer.imported', payload: { importId, created, updated, unchanged } }]);
  },
};

const ANALYZE_AFTER_ROWS = 1000;
