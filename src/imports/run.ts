import type { SqlSession } from '../db/migrate.ts';
import { uuidv7 } from '../db/ids.ts';
import type { ImportOutcome } from '../generated/prisma/enums.ts';
import { ImportFileError } from './file.ts';
import type { ImportContext, ImportKind, ImportOptions, ImportProblem, ImportReport } from './kind.ts';

/**
 * The import framework's one loop, the same for every kind:
 *
 * 1. Every row is parsed and checked one at a time by the kind, and nothing of it is kept in
 *    memory: valid rows go, in small batches, into the kind's temporary staging table (one
 *    INSERT … SELECT FROM json_to_recordset per batch, which also looks up what each row names).
 * 2. The kind's set-based statements find the problems that involve other rows or the
 *    database: the same SKU twice, a member code nobody has, a sale's lines that disagree…
 * 3. With no problem, a few more write everything, and the import's record is written.
 *    Otherwise, or for a dry run, the transaction is rolled back: nothing is half-written.
 *
 * It runs on the database driver's own connection (SqlSession), not through Prisma: Prisma's
 * raw-query path copies large parameters several times over, which measured at twice the time
 * and several times the memory for 100,000 rows.
 */

/** Thrown inside the transaction to roll it back (invalid rows or a dry run), carrying the report. */
export class ImportNotWritten extends Error {
  constructor(readonly report: ImportReport) {
    super(`import not written (${report.outcome})`);
  }
}

/** Something named by the file changed during the import (a customer merged…): nothing written, send it again. */
export class ImportRaceError extends Error {
  constructor() {
    super('a record in the import changed meanwhile');
  }
}

/** A file with more problems than this is misread as a whole; the first ones show how. */
export const MAX_LISTED_ERRORS = 10_000;
// Small batches: their rows and JSON text die young (V8's new space) instead of piling up as old
// garbage; measured on 100,000 rows, 100 rows per statement was as fast as 2,000 and peaked
// ~80 MB lower.
const BATCH_ROWS = 100;
// Imports run one at a time, whatever their kind: a sales file reads the members a members file
// is writing, and two files naming the same customers would otherwise race.
const IMPORT_LOCK_KEY = 72707370;

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

/**
 * Reads the file's records (the first non-blank one is the header), checks them all and, when
 * every row is valid and this is not a dry run, writes them. Throws ImportNotWritten (rolling the
 * transaction back) otherwise.
 */
export async function runImport<Row, Ctx>(
  sql: SqlSession,
  kind: ImportKind<Row, Ctx>,
  records: AsyncIterable<string[]>,
  options: ImportOptions,
  context: ImportContext,
): Promise<ImportReport> {
  await sql.exec(`SELECT pg_advisory_xact_lock(${IMPORT_LOCK_KEY})`);
  const errors = new ProblemList();
  const warnings: ImportProblem[] = [];
  const report = (
    outcome: ImportOutcome,
    counts = { rowCount: 0, created: 0, updated: 0, unchanged: 0 },
  ): ImportReport => ({
    kind: kind.name,
    importId: options.importId,
    dryRun: options.dryRun,
    outcome,
    ...counts,
    errors: errors.sorted(),
    errorCount: errors.count,
    warnings,
  });

  const iterator = records[Symbol.asyncIterator]();
  // A file that cannot be read on (unbalanced quotes, a broken workbook…) ends the check with what was found so far.
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
  const mapping = kind.mapHeader(header.value);
  const headerRow = rowNo;
  for (const u of mapping.unknown)
    warnings.push({ row: headerRow, column: u.column, code: 'IMPORT_UNKNOWN_COLUMN', params: { column: u.column } });
  for (const p of mapping.problems)
    errors.add({ row: headerRow, column: p.column || null, code: p.problem.code, params: p.problem.params ?? {} });
  if (mapping.problems.length) throw new ImportNotWritten(report('REJECTED'));
  const column = (field: string | null) => (field ? (mapping.names[mapping.fields.indexOf(field)] ?? null) : null);

  const ctx = await kind.begin(sql, context);
  let batch: Row[] = [];
  let rowCount = 0;
  const flush = async () => {
    if (!batch.length) return;
    await kind.stage(sql, batch, ctx);
    batch = [];
  };

  for (let next = await nextRecord(); !next.done; next = await nextRecord()) {
    rowNo++;
    const cells = next.value;
    if (cells.every((c) => !c.trim())) continue;
    rowCount++;
    const { value, problems } = kind.parseRow(rowNo, cells, mapping, ctx);
    for (const p of problems)
      errors.add({ row: rowNo, column: p.column, code: p.problem.code, params: p.problem.params ?? {} });
    if (problems.length) continue;
    batch.push(value);
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();

  for (const p of await kind.check(sql, ctx))
    errors.add({ row: p.row, column: column(p.field), code: p.code, params: p.params });
  if (errors.count) throw new ImportNotWritten(report('REJECTED', { rowCount, created: 0, updated: 0, unchanged: 0 }));

  const counts = await kind.write(sql, ctx);
  if (options.dryRun) throw new ImportNotWritten(report('CHECKED', { rowCount, ...counts }));
  const done = report('APPLIED', { rowCount, ...counts });
  await recordImport(sql, options, done);
  return done;
}

/** Rows an UPDATE or INSERT touched: the session returns rows, not counts. */
export async function counted(sql: SqlSession, statement: string, params?: unknown[]): Promise<number> {
  const [row] = await sql.query(`WITH done AS (${statement} RETURNING 1) SELECT count(*)::int AS n FROM done`, params);
  return Number(row!.n);
}

/** Timestamps are stored as UTC `timestamp(3)`; text in, whatever the session's time zone. */
export const utc = (col: string) => `(${col}::timestamptz AT TIME ZONE 'UTC')`;
export const NOW_UTC = `(now() AT TIME ZONE 'UTC')`;
/**
 * A time-ordered id (UUID version 7) made in SQL from a timestamp, as src/db/ids.ts makes them in
 * JavaScript: rows written set-based sort by id like the rest.
 */
export const uuidv7Sql = (ts: string) =>
  'encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing substring(int8send(floor(extract(epoch ' +
  `from ${ts}) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid`;

/** The import's record: who, when, which kind and file, what came of it. */
export async function recordImport(sql: SqlSession, options: ImportOptions, report: ImportReport) {
  await sql.query(
    `INSERT INTO "DataImport" (id, kind, "staffId", "apiKeyId", "importedBy", "fileName", format, encoding, "dryRun",
       outcome, "rowCount", created, updated, unchanged, "errorCount", "startedAt", "finishedAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::"ImportOutcome", $11, $12, $13, $14, $15, ${utc('$16::text')},
             ${NOW_UTC})`,
    [
      options.importId,
      report.kind,
      options.actor.staffId,
      options.actor.apiKeyId,
      options.actor.name,
      options.fileName,
      options.format,
      options.encoding,
      options.dryRun,
      report.outcome,
      report.rowCount,
      report.created,
      report.updated,
      report.unchanged,
      report.errorCount,
      options.startedAt.toISOString(),
    ],
  );
  // The audit entry, in the same transaction as the rows an applied import wrote.
  const actor = options.actor.audit;
  if (actor) {
    await sql.query(
      `INSERT INTO "AuditEntry" (id, at, "actorKind", "actorId", "actorName", "clientAddress", "forwardedFor",
         "requestId", operation, "entityType", "entityId", details)
       VALUES ($1::uuid, ${NOW_UTC}, $2::"AuditActorKind", $3::uuid, $4, $5, $6, $7, $8, 'DataImport', $9::uuid,
               $10::jsonb)`,
      [
        uuidv7(),
        actor.kind,
        actor.id,
        actor.name,
        actor.clientAddress,
        actor.forwardedFor,
        actor.requestId,
        `import.${report.kind}`,
        options.importId,
        JSON.stringify({
          fileName: options.fileName,
          format: options.format,
          dryRun: options.dryRun,
          outcome: report.outcome,
          rows: report.rowCount,
          created: report.created,
          updated: report.updated,
          unchanged: report.unchanged,
          errors: report.errorCount,
        }),
      ],
    );
  }
}
