import type { AuditActor } from '../audit/service.ts';
import type { Permission } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import type { SqlSession } from '../db/migrate.ts';
import type { ImportOutcome } from '../generated/prisma/enums.ts';
import type { MessageCode } from '../i18n/messages.ts';
import type { AppServices } from '../schema/context.ts';

/**
 * One kind of import file (customers, products, opening stock, sales history, staff, and what
 * plugins add: points balances, tiers). Every kind runs through the same framework (run.ts):
 * the file is read one record at a time, each row checked and staged in a temporary table in
 * batches, then the kind's set-based statements find the problems that involve other rows or
 * the database and write everything in the same transaction, or nothing.
 */
export interface ImportKind<Row = unknown, Ctx = unknown> {
  /** The kind's name in URLs: POST /imports/<name>. Lower case letters and dashes. */
  name: string;
  /** What a person calls the file. */
  title: { 'zh-CN': string; en: string };
  /** Who may import it; checked against every store a row names too. */
  permission: Permission;
  /** Place in the order of a migration (docs/migration.md): lower first. */
  order: number;
  /**
   * Sales history: a file is all-or-nothing, and rows already imported (a receipt the store
   * has) are skipped, so a year is sent in batches and a failed batch is sent again.
   */
  resumable?: boolean;
  /** The columns, for the header mapping and the downloadable template. */
  columns: ImportColumn[];
  /** Header → fields; every kind uses `mapColumns` (columns.ts), customers with a check of its own after it. */
  mapHeader(header: string[]): HeaderMapping;
  /** Loads what rows are checked against (stores, tiers…) and creates the staging table. */
  begin(sql: SqlSession, ctx: ImportContext): Promise<Ctx>;
  /** Checks and normalises one row; every bad cell is reported. */
  parseRow(row: number, cells: string[], mapping: HeaderMapping, ctx: Ctx): ParsedRow<Row>;
  /** Inserts a batch of checked rows into the staging table. */
  stage(sql: SqlSession, rows: Row[], ctx: Ctx): Promise<void>;
  /** Problems that involve other rows or the database, found with set-based statements. */
  check(sql: SqlSession, ctx: Ctx): Promise<RowProblem[]>;
  /** Writes the staged rows; a dry run rolls it back afterwards. */
  write(sql: SqlSession, ctx: Ctx): Promise<ImportCounts>;
  /** After commit: events, statistics. */
  afterCommit?(services: AppServices, report: ImportReport): Promise<void>;
}

/** Any kind, whatever its row and context types: how lists of kinds hold them. */
// biome-ignore lint/suspicious/noExplicitAny: a kind's row and context types are its own business
export type AnyImportKind = ImportKind<any, any>;

export interface ImportColumn {
  field: string;
  /** The template's header in each language; the import reads both, and `synonyms`. */
  'zh-CN': string;
  en: string;
  synonyms?: string[];
  /** The header must be present (a kind may also require one of several: `oneOf`). */
  required?: boolean;
  /** What goes in the column, for the template's instructions sheet. */
  hint: { 'zh-CN': string; en: string };
  /** Example values, one per example row of the template. */
  examples: string[];
  /**
   * A code (SKU, barcode, phone, member code): a text cell in workbooks, so Excel keeps leading zeros and all digits.
   */
  text?: boolean;
}

export interface HeaderMapping {
  /** The field of each column (null: not recognised, ignored). */
  fields: (string | null)[];
  /** The header text of each column as written in the file, for reports. */
  names: string[];
  unknown: { column: string }[];
  problems: { column: string; problem: Problem }[];
}

export interface Problem {
  code: MessageCode;
  params?: Record<string, string | number>;
}

export interface ParsedRow<Row> {
  value: Row;
  problems: { column: string | null; problem: Problem }[];
}

/** A problem found by a kind's set-based checks: the row, the field to blame, the message. */
export interface RowProblem {
  row: number;
  field: string | null;
  code: MessageCode;
  params: Record<string, string | number>;
}

export interface ImportActor {
  staffId: string | null;
  apiKeyId: string | null;
  name: string;
  /** Who and from where, for the audit entry written with the import's record. */
  audit?: AuditActor;
}

export interface ImportContext {
  principal: Principal;
  now: Date;
  importId: string;
  /** The deployment's services (plugins' options live in their own kinds). */
  services: AppServices;
}

export interface ImportOptions {
  dryRun: boolean;
  fileName: string | null;
  format: 'CSV' | 'XLSX';
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
  code: MessageCode;
  params: Record<string, string | number>;
}

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportReport extends ImportCounts {
  kind: string;
  importId: string;
  dryRun: boolean;
  outcome: ImportOutcome;
  rowCount: number;
  /** Every problem found, up to MAX_LISTED_ERRORS, in row order. */
  errors: ImportProblem[];
  /** All problems found, also those past the listed ones. */
  errorCount: number;
  /** Not fatal: columns that were ignored, rows skipped. */
  warnings: ImportProblem[];
}

/** A cell that could not be read: thrown by a cell parser, reported against its column. */
export class CellError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.code);
  }
}

export const fail = (code: MessageCode, params: Record<string, string | number> = {}): never => {
  throw new CellError({ code, params });
};
