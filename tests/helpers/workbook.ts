import ExcelJS from 'exceljs';

export type Cell = string | number | Date | null;

/** An .xlsx file as a store person saves it from Excel: one sheet, the header first. */
export async function workbook(rows: Cell[][], options: { textColumns?: number[]; sheet?: string } = {}) {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet(options.sheet ?? 'Sheet1');
  for (const c of options.textColumns ?? []) sheet.getColumn(c + 1).numFmt = '@';
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The rows of a workbook's sheets, as values (for checking downloads). */
export async function readWorkbook(body: ArrayBuffer) {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(body);
  return book;
}

export type ImportReport = {
  kind: string;
  importId: string;
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  rowCount: number;
  errors: { row: number; column: string | null; code: string; message: string }[];
  errorCount: number;
  warnings: { row: number; column: string | null; code: string; message: string }[];
  format: string;
};

/** POST /imports/<kind> with a file body, as a merchant's tool would; `token` signs in. */
export async function postImport(
  base: string,
  kind: string,
  body: Buffer | string,
  token: string,
  options: { dryRun?: boolean; locale?: string; fileName?: string } = {},
): Promise<{ status: number; body: ImportReport }> {
  const query = new URLSearchParams();
  if (options.dryRun) query.set('dryRun', 'true');
  if (options.fileName) query.set('fileName', options.fileName);
  const res = await fetch(`${base}/imports/${kind}?${query}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'accept-language': options.locale ?? 'zh-CN',
      'content-type':
        typeof body === 'string' ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    },
    body: body as BodyInit,
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : ({ raw: text } as never) };
}

/** The problems of a report as [row, column, code] triples, for exact comparison. */
export const problems = (r: ImportReport) => r.errors.map((e) => [e.row, e.column, e.code]);
