/**
 * What goes into a CSV cell the API writes, and how an import reads it back.
 *
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return before them) as
 * a formula: a customer named `=HYPERLINK(...)` would run on the owner's machine when the export is
 * opened. OWASP's advice is to prefix such cells with a single quote, which Excel and WPS show as
 * text; the import removes that quote again, so an exported file re-imports unchanged.
 *
 * Long digit strings (phones, member codes) become 1.38E+10 in Excel and lose digits when saved.
 * Written as ="13800138000" they stay text; the import unwraps that too (as many POS exports write it).
 */

const RUNS_AS_FORMULA = /^[=+\-@\t\r]/;

/** Free text from a person (a name, a tag, an e-mail address): never a formula. */
export function textCell(value: string | null | undefined): string {
  if (!value) return '';
  return RUNS_AS_FORMULA.test(value) ? `'${value}` : value;
}

/** A code that must stay text in Excel: ="…", with quotes doubled as in any spreadsheet string. */
export function codeCell(value: string | null | undefined): string {
  if (!value) return '';
  return `="${value.replaceAll('"', '""')}"`;
}

/** The value an import sees: surrounding spaces trimmed, ="…" unwrapped, our formula guard removed. */
export function readCell(raw: string | undefined): string {
  const value = (raw ?? '').trim();
  const code = /^="(.*)"$/s.exec(value);
  if (code) return code[1]!.replaceAll('""', '"').trim();
  if (/^'[=+\-@\t\r]/.test(value)) return value.slice(1).trim();
  return value;
}
