import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolvePrincipal } from '../auth/service.ts';
import type { Permission } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import { negotiateLocale, type Locale } from '../i18n/locale.ts';
import { translate } from '../i18n/messages.ts';
import type { AppServices } from '../schema/context.ts';
import type { ImportKind } from './kind.ts';

/**
 * Workbooks a store person opens in Excel or WPS: the import templates and the .xlsx exports.
 * Codes (SKU, barcode, phone, member code, receipt number) are written as text cells with the
 * text format "@", so Excel keeps their leading zeros and all their digits instead of showing
 * 1.39123E+10; amounts are numbers with two decimals, dates real dates.
 */

export type SheetColumn = {
  header: string;
  /** text: a code kept as text; money: 0.00; int; date: yyyy-mm-dd; datetime: yyyy-mm-dd hh:mm. */
  type: 'text' | 'money' | 'int' | 'date' | 'datetime' | 'plain';
  width?: number;
};

const FORMATS: Record<SheetColumn['type'], string | undefined> = {
  text: '@',
  money: '0.00',
  int: '0',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm',
  plain: undefined,
};

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A cell value for a column: codes as strings, money as numbers, instants as store wall time. */
export type CellInput = string | number | Date | null | undefined;

/**
 * Streams a one-sheet workbook to the response, row by row: rows are committed as they are added,
 * so memory stays flat however long the export is.
 */
export async function streamWorkbook(
  res: ServerResponse,
  fileName: string,
  sheetName: string,
  columns: SheetColumn[],
  rows: AsyncIterable<CellInput[]>,
) {
  res.writeHead(200, {
    'content-type': XLSX_TYPE,
    'content-disposition':
      `attachment; filename="${encodeURIComponent(fileName)}"; ` + `filename*=UTF-8''${encodeURIComponent(fileName)}`,
  });
  // Loaded on first use: exceljs is large, and most processes never write a workbook.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.stream.xlsx.WorkbookWriter({ stream: res, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c, i) => ({
    key: String(i),
    width: c.width ?? Math.max(10, c.header.length * 2 + 2),
    style: FORMATS[c.type] ? { numFmt: FORMATS[c.type] } : {},
  }));
  const header = sheet.addRow(columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();
  for await (const values of rows) {
    const row = sheet.addRow(values.map((v) => (v === null || v === undefined ? null : v)));
    row.commit();
  }
  sheet.commit();
  await workbook.commit();
}

/** Checks the caller of a file endpoint; answers 401/403 itself and returns null when refused. */
export async function authorizeFile(
  req: IncomingMessage,
  res: ServerResponse,
  services: AppServices,
  permission: Permission,
): Promise<{ auth: Principal; locale: Locale } | null> {
  const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
  const locale = negotiateLocale(header('accept-language'));
  const auth = await resolvePrincipal(
    services.db,
    services.tokens,
    { authorization: header('authorization'), apiKey: header('x-api-key') },
    services.events.cache,
    services.permissions,
  );
  if (!auth.can(permission)) {
    const code = auth.identified ? 'FORBIDDEN' : 'UNAUTHENTICATED';
    res.writeHead(auth.identified ? 403 : 401, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ message: translate(code, {}, locale), extensions: { code } }] }));
    return null;
  }
  return { auth, locale };
}

/**
 * An import kind's template: the data sheet with the headers (required ones marked *, which the
 * import ignores) and example rows, and an instructions sheet (填写说明) with what goes in each
 * column. Codes are text cells, so what a person types into them stays as typed.
 */
export async function templateWorkbook(kind: ImportKind, locale: Locale, storeCodes: string[] = []): Promise<Buffer> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  workbook.creator = 'store-crm';
  const sheet = workbook.addWorksheet(kind.title[locale].slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = kind.columns.map((c, i) => ({
    key: String(i),
    width: Math.max(12, c[locale].length * 2 + 4),
    style: c.text ? { numFmt: '@' } : {},
  }));
  const header = sheet.addRow(kind.columns.map((c) => (c.required ? `${c[locale]}*` : c[locale])));
  header.font = { bold: true };
  const examples = Math.max(...kind.columns.map((c) => c.examples.length));
  for (let i = 0; i < examples; i++) sheet.addRow(kind.columns.map((c) => exampleCell(c.examples[i], storeCodes)));

  const help = workbook.addWorksheet(locale === 'zh-CN' ? '填写说明' : 'Instructions');
  help.columns = [{ width: 18 }, { width: 10 }, { width: 80 }];
  const helpHeader = help.addRow(
    locale === 'zh-CN' ? ['列', '必填', '说明'] : ['Column', 'Required', 'What goes in it'],
  );
  helpHeader.font = { bold: true };
  for (const c of kind.columns)
    help.addRow([c[locale], c.required ? (locale === 'zh-CN' ? '是' : 'yes') : '', c.hint[locale]]);
  help.addRow([]);
  help.addRow([
    locale === 'zh-CN'
      ? '删除示例行后填写；列的顺序不限，表头中英文均可。先用 ?dryRun=true 检查，再正式导入。'
      : 'Delete the example rows and fill in; columns may come in any order, headers in Chinese or English. Check ' +
        'with ?dryRun=true first.',
  ]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/**
 * An example cell as the template shows it: `{store1}` and `{store2}` become this deployment's
 * store codes (its first two, by code), so example rows name stores that exist and a dry run of
 * the template as downloaded checks out; without stores, the codes of the documentation.
 */
export function exampleCell(value: string | undefined, storeCodes: string[] = []): string {
  return (value ?? '').replace(/\{store([12])\}/g, (_, n: string) => {
    const i = Number(n) - 1;
    return storeCodes[i] ?? storeCodes[0] ?? ['BJ001', 'SH001'][i]!;
  });
}

/** The same template as CSV (UTF-8 with BOM, which Excel opens correctly). */
export async function templateCsv(kind: ImportKind, locale: Locale, storeCodes: string[] = []): Promise<string> {
  const { stringify } = await import('csv-stringify/sync'); // loaded by the first CSV asked for
  const examples = Math.max(...kind.columns.map((c) => c.examples.length));
  return stringify(
    Array.from({ length: examples }, (_, i) => kind.columns.map((c) => exampleCell(c.examples[i], storeCodes))),
    { header: true, columns: kind.columns.map((c) => (c.required ? `${c[locale]}*` : c[locale])), bom: true },
  );
}

/** GET /imports/templates/<kind>.xlsx (or .csv): a kind's template, in the caller's language (?lang=en too). */
export async function serveTemplate(
  req: IncomingMessage,
  res: ServerResponse,
  kinds: ImportKind[],
  name: string,
  format: 'xlsx' | 'csv',
  storeCodes: string[] = [],
) {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const accept = typeof req.headers['accept-language'] === 'string' ? req.headers['accept-language'] : null;
  const locale = negotiateLocale(params.get('lang') ?? accept);
  const kind = kinds.find((k) => k.name === name);
  if (!kind) {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(
      JSON.stringify({
        errors: [
          {
            message: translate(
              'IMPORT_UNKNOWN_KIND',
              { kind: name, kinds: kinds.map((k) => k.name).join(', ') },
              locale,
            ),
            extensions: { code: 'IMPORT_UNKNOWN_KIND' },
          },
        ],
      }),
    );
    return;
  }
  const fileName = `${kind.title[locale]}-${locale === 'zh-CN' ? '导入模板' : 'template'}.${format}`;
  const disposition =
    `attachment; filename="${encodeURIComponent(fileName)}"; ` + `filename*=UTF-8''${encodeURIComponent(fileName)}`;
  if (format === 'csv') {
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': disposition });
    res.end(await templateCsv(kind, locale, storeCodes));
    return;
  }
  const body = await templateWorkbook(kind, locale, storeCodes);
  res.writeHead(200, { 'content-type': XLSX_TYPE, 'content-disposition': disposition, 'content-length': body.length });
  res.end(body);
}
