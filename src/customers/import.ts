import type { Db, Tx } from '../db/types.ts';
import { uuidv7 } from '../db/ids.ts';
import type { Unit } from '../events/transaction.ts';
import type { CustomerImportOutcome } from '../generated/prisma/enums.ts';
import { ImportFileError } from './import-file.ts';
import { mapHeader, parseRow, type HeaderMapping, type ImportField, type ImportRow, type Problem, type StoreRef } from './import-columns.ts';

/**
 * Customer import: a merchant's customer list (Excel, an old POS) checked as a whole and
 * written in one transaction with set-based statements.
 *
 * 1. Every row is parsed and checked in memory, one at a time; phones, member codes and ids
 *    seen earlier in the file are remembered to report duplicates with both row numbers.
 * 2. Valid rows go, in batches, into a temporary staging table (one INSERT … SELECT FROM
 *    unnest(arrays) per batch, whatever the batch size).
 * 3. A few statements over the staging table find the customer each row names (phone, then
 *    member code, then this system's customer id; merged records lead to their survivor) and
 *    the problems only the database can tell (a member code of another customer…).
 * 4. With no problem, a few more write everything: new customers, changed customers, member
 *    cards, consents, the import's record. Otherwise, or for a dry run, the transaction is
 *    rolled back: nothing is half-written.
 *
 * What an existing customer takes from a row (README, "Importing customers"): a filled cell
 * replaces the stored value, an empty cell never erases one; tags are added; notes are
 * appended unless already there; consents given replace the recorded ones; a member code
 * enrols a customer who has no card. Purchase figures are the old system's history: they
 * replace the customer's imported baseline (figures.ts), except on rows that name one of this
 * system's own customer ids: those come from our export, and their figures already include
 * the sales recorded here.
 */

export interface ImportActor {
  staffId: string | null;
  apiKeyId: string | null;
  name: string;
}

export interface ImportOptions {
  dryRun: boolean;
  fileName: string | null;
  encoding: string;
  actor: ImportActor;
  /** Id of the import's record, chosen by the caller so that it can be logged before the end. */
  importId: string;
  startedAt: Date;
}

export interface ImportProblem {
  /** Spreadsheet row number (the header is row 1); 1 for problems of the header itself. */
  row: number;
  /** The column's header as the file wrote it; null when the problem is the whole row or file. */
  column: string | null;
  code: Problem['code'];
  params: Record<string, string | number>;
}

export interface ImportReport {
  importId: string;
  dryRun: boolean;
  outcome: CustomerImportOutcome;
  rowCount: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Every problem found, up to MAX_LISTED_ERRORS, in row order. */
  errors: ImportProblem[];
  /** All problems found, also those past the listed ones. */
  errorCount: number;
  /** Not fatal: columns that were ignored. */
  warnings: ImportProblem[];
}

/** Thrown inside the transaction to roll it back (invalid rows or a dry run), carrying the report. */
export class ImportNotWritten extends Error {
  constructor(readonly report: ImportReport) {
    super(`customer import not written (${report.outcome})`);
  }
}

/** A file with more problems than this is misread as a whole; the first ones show how. */
export const MAX_LISTED_ERRORS = 10_000;
const BATCH_ROWS = 5_000;
const MAX_MERGE_HOPS = 10;
// Imports run one at a time: two files naming the same customers would otherwise race.
const IMPORT_LOCK_KEY = 72707370;
const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
const TAG_SEPARATOR = '\u001f';

const STAGING = 'customer_import_row';

/** Timestamps are stored as UTC `timestamp(3)`; text in, whatever the session's time zone. */
const utc = (col: string) => `(${col}::timestamptz AT TIME ZONE 'UTC')`;
const NOW_UTC = `(now() AT TIME ZONE 'UTC')`;

class ProblemList {
  readonly listed: ImportProblem[] = [];
  count = 0;
  add(problem: ImportProblem) {
    this.count++;
    if (this.listed.length < MAX_LISTED_ERRORS) this.listed.push(problem);
  }
  sorted() {
    return [...this.listed].sort((a, b) => a.row - b.row);
  }
}

async function loadStores(tx: Tx) {
  const stores = await tx.store.findMany({ select: { id: true, code: true, name: true, timezone: true }, orderBy: { createdAt: 'asc' } });
  const byKey = new Map<string, StoreRef>();
  for (const s of stores) byKey.set(s.name.normalize('NFKC').toLowerCase(), s);
  for (const s of stores) byKey.set(s.code.normalize('NFKC').toLowerCase(), s); // a code wins over a name
  return { byKey, defaultTimeZone: stores[0]?.timezone ?? DEFAULT_TIME_ZONE };
}

/** Columns of the staging table, in the order rows are sent. */
const STAGED_COLUMNS: [name: string, arrayType: string, select: string][] = [
  ['row_no', 'int[]', 'row_no'],
  ['new_id', 'uuid[]', 'new_id'],
  ['member_id', 'uuid[]', 'member_id'],
  ['ref_id', 'uuid[]', 'ref_id'],
  ['name', 'text[]', 'name'],
  ['phone', 'text[]', 'phone'],
  ['email', 'text[]', 'email'],
  ['gender', 'text[]', 'gender::"Gender"'],
  ['birthday', 'date[]', 'birthday'],
  ['source_channel', 'text[]', 'source_channel::"Channel"'],
  ['tags', 'text[]', `coalesce(string_to_array(tags, E'\\x1f'), '{}')`],
  ['member_code', 'text[]', 'member_code'],
  ['member_since', 'text[]', utc('member_since')],
  ['home_store_id', 'uuid[]', 'home_store_id'],
  ['first_at', 'text[]', utc('first_at')],
  ['last_at', 'text[]', utc('last_at')],
  ['visits', 'int[]', 'visits'],
  ['spend', 'numeric[]', 'spend'],
  ['c_sms', 'bool[]', 'c_sms'],
  ['c_wechat', 'bool[]', 'c_wechat'],
  ['c_email', 'bool[]', 'c_email'],
  ['c_call', 'bool[]', 'c_call'],
  ['notes', 'text[]', 'notes'],
  ['created_at', 'text[]', utc('created_at')],
];

const CREATE_STAGING = `CREATE TEMP TABLE ${STAGING} (
  row_no int PRIMARY KEY,
  new_id uuid NOT NULL,
  member_id uuid NOT NULL,
  ref_id uuid,
  name text,
  phone text,
  email text,
  gender "Gender",
  birthday date,
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
  target uuid,
  is_new boolean NOT NULL DEFAULT false,
  changed boolean NOT NULL DEFAULT false
) ON COMMIT DROP`;

const INSERT_STAGED = `INSERT INTO ${STAGING} (${STAGED_COLUMNS.map(([n]) => n).join(', ')})
  SELECT ${STAGED_COLUMNS.map(([, , select]) => select).join(', ')}
  FROM unnest(${STAGED_COLUMNS.map(([, type], i) => `$${i + 1}::${type}`).join(', ')})
    AS u(${STAGED_COLUMNS.map(([n]) => n).join(', ')})`;

function stagedArrays(rows: StagedRow[]): unknown[][] {
  const iso = (d: Date | undefined) => d?.toISOString() ?? null;
  return [
    rows.map((r) => r.row),
    rows.map((r) => r.newId),
    rows.map((r) => r.memberId),
    rows.map((r) => r.id ?? null),
    rows.map((r) => r.name ?? null),
    rows.map((r) => r.phone ?? null),
    rows.map((r) => r.email ?? null),
    rows.map((r) => r.gender ?? null),
    rows.map((r) => r.birthday ?? null),
    rows.map((r) => r.sourceChannel ?? null),
    rows.map((r) => r.tags.join(TAG_SEPARATOR)),
    rows.map((r) => r.memberCode ?? null),
    rows.map((r) => iso(r.memberSince)),
    rows.map((r) => r.homeStoreId ?? null),
    rows.map((r) => iso(r.firstPurchaseAt)),
    rows.map((r) => iso(r.lastPurchaseAt)),
    rows.map((r) => r.visitCount ?? null),
    rows.map((r) => r.lifetimeSpend ?? null),
    rows.map((r) => r.consents.SMS ?? null),
    rows.map((r) => r.consents.WECHAT ?? null),
    rows.map((r) => r.consents.EMAIL ?? null),
    rows.map((r) => r.consents.PHONE_CALL ?? null),
    rows.map((r) => r.notes ?? null),
    rows.map((r) => iso(r.createdAt)),
  ];
}

type StagedRow = ImportRow & { newId: string; memberId: string };

/**
 * Reads the file's records (the first is the header), checks them all and, when every row is
 * valid and this is not a dry run, writes them. Throws ImportNotWritten (rolling the
 * transaction back) otherwise.
 */
export async function importCustomers(unit: Unit, records: AsyncIterable<string[]>, options: ImportOptions): Promise<ImportReport> {
  const { tx } = unit;
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${IMPORT_LOCK_KEY})`);
  const errors = new ProblemList();
  const warnings: ImportProblem[] = [];
  const report = (outcome: CustomerImportOutcome, counts = { rowCount: 0, created: 0, updated: 0, unchanged: 0 }): ImportReport => ({
    importId: options.importId,
    dryRun: options.dryRun,
    outcome,
    ...counts,
    errors: errors.sorted(),
    errorCount: errors.count,
    warnings,
  });

  const iterator = records[Symbol.asyncIterator]();
  // A file that cannot be read on (unbalanced quotes…) ends the check with what was found so far.
  const nextRecord = async () => {
    try {
      return await iterator.next();
    } catch (error) {
      if (!(error instanceof ImportFileError)) throw error;
      errors.add({ row: error.row, column: null, code: error.code, params: error.params });
      throw new ImportNotWritten(report('REJECTED'));
    }
  };
  let rowNo = 1;
  let header = await nextRecord();
  // Blank lines above the header are skipped, as a person reading the sheet would.
  while (!header.done && header.value.every((c) => !c.trim())) {
    header = await nextRecord();
    rowNo++;
  }
  if (header.done) {
    errors.add({ row: 1, column: null, code: 'IMPORT_EMPTY_FILE', params: {} });
    throw new ImportNotWritten(report('REJECTED'));
  }
  const mapping = mapHeader(header.value);
  const headerRow = rowNo;
  for (const u of mapping.unknown) warnings.push({ row: headerRow, column: u.column, code: 'IMPORT_UNKNOWN_COLUMN', params: { column: u.column } });
  for (const p of mapping.problems) errors.add({ row: headerRow, column: p.column || null, code: p.problem.code, params: p.problem.params ?? {} });
  if (mapping.problems.length) throw new ImportNotWritten(report('REJECTED'));
  const column = (field: ImportField) => mapping.names[mapping.fields.indexOf(field)] ?? null;

  const stores = await loadStores(tx);
  const ctx = { stores: stores.byKey, defaultTimeZone: stores.defaultTimeZone, now: new Date() };
  await tx.$executeRawUnsafe(CREATE_STAGING);

  const seenPhone = new Map<string, number>();
  const seenCode = new Map<string, number>();
  const seenId = new Map<string, number>();
  let batch: StagedRow[] = [];
  let rowCount = 0;
  const flush = async () => {
    if (!batch.length) return;
    await tx.$executeRawUnsafe(INSERT_STAGED, ...stagedArrays(batch));
    batch = [];
  };

  for (let next = await nextRecord(); !next.done; next = await nextRecord()) {
    rowNo++;
    const cells = next.value;
    if (cells.every((c) => !c.trim())) continue;
    rowCount++;
    const { value, problems } = parseRow(rowNo, cells, mapping, ctx);
    for (const p of problems) errors.add({ row: rowNo, column: p.column, code: p.problem.code, params: p.problem.params ?? {} });
    let duplicate = false;
    const once = (seen: Map<string, number>, key: string | undefined, problemWith: (other: number) => ImportProblem) => {
      if (!key) return;
      const other = seen.get(key);
      if (other !== undefined) {
        errors.add(problemWith(other));
        duplicate = true;
      } else seen.set(key, rowNo);
    };
    once(seenPhone, value.phone, (other) => ({ row: rowNo, column: column('phone'), code: 'IMPORT_DUPLICATE_PHONE', params: { phone: value.phone!, other } }));
    once(seenCode, value.memberCode, (other) => ({ row: rowNo, column: column('memberCode'), code: 'IMPORT_DUPLICATE_MEMBER_CODE', params: { code: value.memberCode!, other } }));
    once(seenId, value.id, (other) => ({ row: rowNo, column: column('id'), code: 'IMPORT_SAME_CUSTOMER', params: { other } }));
    if (problems.length || duplicate) continue;
    batch.push({ ...value, newId: uuidv7(value.createdAt?.getTime()), memberId: uuidv7() });
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
  await tx.$executeRawUnsafe(`ANALYZE ${STAGING}`);

  await resolveCustomers(tx);
  await findConflicts(tx, errors, column);
  if (errors.count) throw new ImportNotWritten(report('REJECTED', { rowCount, created: 0, updated: 0, unchanged: 0 }));

  const counts = await writeCustomers(tx);
  if (options.dryRun) throw new ImportNotWritten(report('CHECKED', { rowCount, ...counts }));
  const done = report('APPLIED', { rowCount, ...counts });
  await recordImport(tx, options, done);
  unit.emit('customer.imported', { importId: options.importId, created: counts.created, updated: counts.updated, unchanged: counts.unchanged });
  return done;
}

/** Finds the live customer each staged row names by id, phone and member code. */
async function resolveCustomers(tx: Tx) {
  await tx.$executeRawUnsafe(`UPDATE ${STAGING} s SET by_id = c.id FROM "Customer" c WHERE c.id = s.ref_id`);
  await tx.$executeRawUnsafe(`UPDATE ${STAGING} s SET by_phone = c.id FROM "Customer" c WHERE c.phone = s.phone`);
  await tx.$executeRawUnsafe(`UPDATE ${STAGING} s SET by_code = m."customerId" FROM "Member" m WHERE m.code = s.member_code`);
  // A merged record (the id in an old export, a cancelled card) stands for its survivor.
  for (const col of ['by_id', 'by_phone', 'by_code']) {
    for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
      const moved = await tx.$executeRawUnsafe(
        `UPDATE ${STAGING} s SET ${col} = c."mergedIntoId" FROM "Customer" c WHERE c.id = s.${col} AND c."mergedIntoId" IS NOT NULL`,
      );
      if (!moved) break;
    }
  }
  // Our own figures, exported and read back, are not another system's history.
  await tx.$executeRawUnsafe(`UPDATE ${STAGING} SET visits = NULL, spend = NULL, first_at = NULL, last_at = NULL WHERE by_id IS NOT NULL`);
  await tx.$executeRawUnsafe(`UPDATE ${STAGING} SET target = coalesce(by_phone, by_code, by_id)`);
}

/** Problems only the database can tell. */
async function findConflicts(tx: Tx, errors: ProblemList, column: (field: ImportField) => string | null) {
  const rows = await tx.$queryRawUnsafe<{ row_no: number; code: ImportProblem['code']; field: ImportField | null; a: string | null; b: string | null }[]>(`
    SELECT row_no, 'IMPORT_MEMBER_CODE_TAKEN' AS code, 'memberCode' AS field, member_code AS a, NULL AS b
      FROM ${STAGING} WHERE by_phone IS NOT NULL AND by_code IS NOT NULL AND by_phone <> by_code
    UNION ALL
    SELECT row_no, 'IMPORT_CUSTOMER_ID_CONFLICT', 'id', NULL, NULL
      FROM ${STAGING} WHERE by_id IS NOT NULL AND (by_phone <> by_id OR by_code <> by_id)
    UNION ALL
    SELECT row_no, 'IMPORT_NO_KEY', NULL, NULL, NULL
      FROM ${STAGING} WHERE phone IS NULL AND member_code IS NULL AND by_id IS NULL
    UNION ALL
    SELECT row_no, 'IMPORT_NAME_REQUIRED', 'name', NULL, NULL
      FROM ${STAGING} WHERE target IS NULL AND name IS NULL AND (phone IS NOT NULL OR member_code IS NOT NULL)
    UNION ALL
    SELECT s.row_no, 'IMPORT_MEMBER_CODE_DIFFERS', 'memberCode', m.code, s.member_code
      FROM ${STAGING} s JOIN "Member" m ON m."customerId" = s.target
      WHERE s.member_code IS NOT NULL AND s.by_code IS NULL
    UNION ALL
    SELECT row_no, 'IMPORT_SAME_CUSTOMER', NULL, first_row::text, NULL FROM (
      SELECT row_no, min(row_no) OVER (PARTITION BY target) AS first_row FROM ${STAGING} WHERE target IS NOT NULL
    ) t WHERE row_no > first_row
    ORDER BY 1
    LIMIT ${MAX_LISTED_ERRORS + 1}`);
  for (const r of rows) {
    const params: Record<string, string | number> =
      r.code === 'IMPORT_MEMBER_CODE_TAKEN' ? { code: r.a! }
      : r.code === 'IMPORT_MEMBER_CODE_DIFFERS' ? { existing: r.a!, code: r.b! }
      : r.code === 'IMPORT_SAME_CUSTOMER' ? { other: Number(r.a) }
      : {};
    errors.add({ row: r.row_no, column: r.field ? column(r.field) : null, code: r.code, params });
  }
}

/** Whether an existing customer would change: a filled cell that differs, tags or notes not there yet, a consent, a card, history. */
const CHANGED = `
  (s.name IS NOT NULL AND s.name IS DISTINCT FROM c.name)
  OR (s.phone IS NOT NULL AND s.phone IS DISTINCT FROM c.phone)
  OR (s.email IS NOT NULL AND s.email IS DISTINCT FROM c.email)
  OR (s.gender IS NOT NULL AND s.gender IS DISTINCT FROM c.gender)
  OR (s.birthday IS NOT NULL AND s.birthday IS DISTINCT FROM c.birthday)
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
    SELECT 1 FROM (VALUES ('SMS', s.c_sms), ('WECHAT', s.c_wechat), ('EMAIL', s.c_email), ('PHONE_CALL', s.c_call)) v(channel, granted)
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
      WHEN c."importedFirstPurchaseAt" IS NULL OR c."firstPurchaseAt" < c."importedFirstPurchaseAt" THEN c."firstPurchaseAt"
      ELSE (SELECT min(x."occurredAt") FROM "Sale" x WHERE x."customerId" = c.id) END) END,
  "importedLastPurchaseAt" = coalesce(s.last_at, c."importedLastPurchaseAt"),
  "lastPurchaseAt" = CASE
    WHEN s.last_at IS NULL OR s.last_at = c."importedLastPurchaseAt" THEN c."lastPurchaseAt"
    ELSE GREATEST(s.last_at, CASE
      WHEN c."importedLastPurchaseAt" IS NULL OR c."lastPurchaseAt" > c."importedLastPurchaseAt" THEN c."lastPurchaseAt"
      ELSE (SELECT max(x."occurredAt") FROM "Sale" x WHERE x."customerId" = c.id) END) END`;

async function writeCustomers(tx: Tx) {
  await tx.$executeRawUnsafe(`UPDATE ${STAGING} s SET changed = (${CHANGED}) FROM "Customer" c WHERE c.id = s.target`);
  const changed = (await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${STAGING} WHERE changed`))[0]!.n;

  // Changed customers first: the update also locks them, and one merged meanwhile (no longer
  // live) is not updated, which the count shows. The caller then sends the file again.
  const updated = await tx.$executeRawUnsafe(`
    UPDATE "Customer" c SET
      name = coalesce(s.name, c.name),
      phone = coalesce(s.phone, c.phone),
      "phoneLast4" = coalesce(right(s.phone, 4), c."phoneLast4"),
      email = coalesce(s.email, c.email),
      gender = coalesce(s.gender, c.gender),
      birthday = coalesce(s.birthday, c.birthday),
      "sourceChannel" = coalesce(s.source_channel, c."sourceChannel"),
      "homeStoreId" = coalesce(s.home_store_id, c."homeStoreId"),
      tags = coalesce(c.tags, '{}') || ARRAY(
        SELECT t FROM unnest(s.tags) WITH ORDINALITY AS u(t, i) WHERE NOT (t = ANY (coalesce(c.tags, '{}'))) ORDER BY i),
      notes = CASE
        WHEN s.notes IS NULL OR strpos(coalesce(c.notes, ''), s.notes) > 0 THEN c.notes
        WHEN c.notes IS NULL OR c.notes = '' THEN s.notes
        ELSE c.notes || E'\\n' || s.notes END,
      ${FIGURES},
      "updatedAt" = ${NOW_UTC}
    FROM ${STAGING} s
    WHERE c.id = s.target AND s.changed AND c."mergedIntoId" IS NULL`);
  if (updated !== changed) throw new ImportRaceError();

  await tx.$executeRawUnsafe(`UPDATE ${STAGING} SET target = new_id, is_new = true, changed = true WHERE target IS NULL`);
  const created = await tx.$executeRawUnsafe(`
    INSERT INTO "Customer" (id, name, phone, "phoneLast4", email, gender, birthday, "sourceChannel", "homeStoreId", tags, notes,
      "firstPurchaseAt", "lastPurchaseAt", "visitCount", "lifetimeSpend",
      "importedFirstPurchaseAt", "importedLastPurchaseAt", "importedVisitCount", "importedSpend", "createdAt", "updatedAt")
    SELECT new_id, name, phone, right(phone, 4), email, coalesce(gender, 'UNKNOWN'), birthday, coalesce(source_channel, 'IMPORT'), home_store_id, tags, notes,
      first_at, last_at, coalesce(visits, 0), coalesce(spend, 0),
      first_at, last_at, coalesce(visits, 0), coalesce(spend, 0), coalesce(created_at, ${NOW_UTC}), ${NOW_UTC}
    FROM ${STAGING} WHERE is_new ORDER BY row_no`);

  // A card for each row whose member code is new here (the customer has none: checked before).
  await tx.$executeRawUnsafe(`
    INSERT INTO "Member" (id, "customerId", code, "joinedAt", "joinedStoreId", status)
    SELECT member_id, target, member_code, coalesce(member_since, ${NOW_UTC}), home_store_id, 'ACTIVE'
    FROM ${STAGING} WHERE member_code IS NOT NULL AND by_code IS NULL ORDER BY row_no`);

  await tx.$executeRawUnsafe(`
    INSERT INTO "MarketingConsent" ("customerId", channel, granted, "updatedAt")
    SELECT s.target, v.channel::"ConsentChannel", v.granted, ${NOW_UTC}
    FROM ${STAGING} s
    CROSS JOIN LATERAL (VALUES ('SMS', s.c_sms), ('WECHAT', s.c_wechat), ('EMAIL', s.c_email), ('PHONE_CALL', s.c_call)) v(channel, granted)
    WHERE v.granted IS NOT NULL
    ON CONFLICT ("customerId", channel) DO UPDATE SET granted = EXCLUDED.granted, "updatedAt" = EXCLUDED."updatedAt"
      WHERE "MarketingConsent".granted IS DISTINCT FROM EXCLUDED.granted`);

  const total = (await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${STAGING}`))[0]!.n;
  return { created, updated, unchanged: total - created - updated };
}

/** A customer named by the file was merged or changed by someone else during the import. */
export class ImportRaceError extends Error {
  constructor() {
    super('a customer in the import changed meanwhile');
  }
}

/** The import's record: who, when, which file, what came of it. */
export async function recordImport(db: Tx | Db, options: ImportOptions, report: ImportReport) {
  await db.customerImport.create({
    data: {
      id: options.importId,
      staffId: options.actor.staffId,
      apiKeyId: options.actor.apiKeyId,
      importedBy: options.actor.name,
      fileName: options.fileName,
      encoding: options.encoding,
      dryRun: options.dryRun,
      outcome: report.outcome,
      rowCount: report.rowCount,
      created: report.created,
      updated: report.updated,
      unchanged: report.unchanged,
      errorCount: report.errorCount,
      startedAt: options.startedAt,
      finishedAt: new Date(),
    },
  });
}

export type { HeaderMapping };
