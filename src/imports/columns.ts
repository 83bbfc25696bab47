import { readCell } from '../csv/cells.ts';
import type { Locale } from '../i18n/locale.ts';
import { CellError, type HeaderMapping, type ImportColumn, type ParsedRow, type Problem } from './kind.ts';

/** Case, width, spaces, separators, "*" marks and bracketed hints do not change what a header means. */
export function headerKey(header: string): string {
  return header
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\(.*?\)|\[.*?\]|【.*?】/g, '')
    .replace(/[\s_\-*:.#]/g, '');
}

/** What the header mapping reads of a column: its field and the headers that name it. */
export type MappedColumn = Pick<ImportColumn, 'field' | 'zh-CN' | 'en' | 'synonyms' | 'required'>;

/**
 * The header mapping of a kind's columns: each column by its template header in either language
 * or a synonym, in any order. `oneOf` lists groups of fields of which the file needs at least one
 * (a member by code or phone).
 */
export function mapColumns(columns: MappedColumn[], oneOf: string[][] = []) {
  const byHeader = new Map<string, string>();
  for (const c of columns) {
    for (const name of [c['zh-CN'], c.en, ...(c.synonyms ?? [])]) {
      const key = headerKey(name);
      const known = byHeader.get(key);
      if (known && known !== c.field) throw new Error(`Import header "${name}" means both ${known} and ${c.field}`);
      byHeader.set(key, c.field);
    }
  }
  return (header: string[]): HeaderMapping => {
    const names = header.map((h) => h.trim());
    const seen = new Map<string, string>();
    const mapping: HeaderMapping = { fields: [], names, unknown: [], problems: [] };
    names.forEach((name, i) => {
      const field = name ? (byHeader.get(headerKey(name)) ?? null) : null;
      mapping.fields[i] = field;
      if (!field) {
        if (name) mapping.unknown.push({ column: name });
        return;
      }
      const other = seen.get(field);
      if (other !== undefined)
        mapping.problems.push({
          column: name,
          problem: { code: 'IMPORT_DUPLICATE_COLUMN', params: { column: name, other } },
        });
      else seen.set(field, name);
    });
    for (const c of columns) {
      if (c.required && !seen.has(c.field))
        mapping.problems.push({
          column: '',
          problem: { code: 'IMPORT_MISSING_COLUMN', params: { column: c['zh-CN'] } },
        });
    }
    for (const group of oneOf) {
      if (!group.some((f) => seen.has(f))) {
        const headers = group
          .map((f) => columns.find((c) => c.field === f))
          .map((c) => (c ? `${c['zh-CN']} / ${c.en}` : ''))
          .join(' | ');
        mapping.problems.push({ column: '', problem: { code: 'IMPORT_MISSING_COLUMN', params: { column: headers } } });
      }
    }
    return mapping;
  };
}

/**
 * Reads one row's cells by field: `read(field, parse)` gives the parsed value, or undefined for
 * an empty cell or one that failed (its problem is kept against its column). `required` fields
 * report an empty cell.
 */
export function rowReader(_row: number, cells: string[], mapping: HeaderMapping, columns: MappedColumn[]) {
  const problems: ParsedRow<unknown>['problems'] = [];
  const cell = new Map<string, { raw: string; column: string }>();
  mapping.fields.forEach((field, i) => {
    const raw = readCell(cells[i]);
    if (field && raw && !cell.has(field)) cell.set(field, { raw, column: mapping.names[i]! });
  });
  const extra = cells.slice(mapping.fields.length).filter((c) => c.trim()).length;
  if (extra) problems.push({ column: null, problem: { code: 'IMPORT_EXTRA_CELLS', params: { count: extra } } });
  const columnOf = (field: string) =>
    mapping.names[mapping.fields.indexOf(field)] ?? columns.find((c) => c.field === field)?.['zh-CN'] ?? null;

  function read<T>(field: string, parse: (raw: string) => T, options: { required?: boolean } = {}): T | undefined {
    const c = cell.get(field);
    if (!c) {
      if (options.required) problems.push({ column: columnOf(field), problem: { code: 'IMPORT_REQUIRED' } });
      return undefined;
    }
    try {
      return parse(c.raw);
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      problems.push({ column: c.column, problem: error.problem });
      return undefined;
    }
  }
  const report = (field: string | null, problem: Problem) =>
    problems.push({ column: field ? columnOf(field) : null, problem });
  return { read, problems, report, has: (field: string) => cell.has(field), raw: (f: string) => cell.get(f)?.raw };
}

/** A column's header for a caller: the template's, in their language. */
export const headerIn = (column: ImportColumn, locale: Locale) => column[locale];
