import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl from 'yauzl';

/**
 * Reading the first worksheet of an .xlsx file as rows of text, streamed.
 *
 * The zip is read through its central directory (yauzl), so the parts are read in the order the
 * sheet needs them (workbook, relationships, shared strings, styles, then the sheet) whatever
 * order the writer stored them in: Excel, WPS and the libraries that write workbooks all differ,
 * and a reader that follows the zip front to back must park sheets in temporary files until the
 * shared strings have come by. Only the shared strings and one row at a time are in memory.
 *
 * Cells come back as the text a person sees in them; dates as `2026-02-14` or
 * `2026-02-14 09:30:00` (a workbook's dates carry no time zone: the import reads them in the
 * store's zone, like a date typed as text).
 */

/** A workbook this reader cannot make sense of; `detail` says which part and why. */
export class XlsxError extends Error {
  constructor(
    readonly detail: string,
    readonly row = 1,
  ) {
    super(detail);
  }
}

/** Thrown when a sheet goes past the row or column bound (`kind` says which). */
export class XlsxTooLarge extends Error {
  constructor(
    readonly kind: 'rows' | 'columns',
    readonly row: number,
    readonly max: number,
  ) {
    super(`more than ${max} ${kind}`);
  }
}

export interface XlsxLimits {
  maxRows: number;
  maxColumns: number;
}

/** Excel's own bound on a cell's text; longer text is not a cell Excel wrote. */
const MAX_CELL_CHARS = 32_767;
/** A workbook is a handful of parts; thousands of zip entries are not one. */
const MAX_ENTRIES = 10_000;
/** Shared strings are held in memory while the sheet is read: bound what a zip may expand them to. */
const MAX_SHARED_STRINGS_BYTES = 100 * 1024 * 1024;
/** The parts read whole (workbook, relationships, styles) are small in any real workbook. */
const MAX_SMALL_PART_BYTES = 16 * 1024 * 1024;

/** Yields each row of the first worksheet as text cells; rows Excel left out come as empty rows. */
export async function* readFirstSheet(path: string, limits: XlsxLimits): AsyncGenerator<string[]> {
  const zip = await openZip(path);
  try {
    const entries = await listEntries(zip);
    const part = (name: string) => entries.get(name.replace(/^\/+/, ''));

    const workbookXml = part('xl/workbook.xml');
    if (!workbookXml) throw new XlsxError('xl/workbook.xml missing');
    const book = await readWorkbookPart(zip, workbookXml);
    const rels = await readRelationships(zip, part('xl/_rels/workbook.xml.rels'));

    const sheetPath = (book.firstSheetRelId && rels.get(book.firstSheetRelId)?.target) ?? 'xl/worksheets/sheet1.xml';
    const sheet = part(sheetPath);
    if (!sheet) throw new XlsxError(`${sheetPath} missing`);
    const byType = (type: string) => [...rels.values()].find((r) => r.type.endsWith(`/${type}`))?.target;
    const strings = await readSharedStrings(zip, part(byType('sharedStrings') ?? 'xl/sharedStrings.xml'));
    const dateStyles = await readDateStyles(zip, part(byType('styles') ?? 'xl/styles.xml'));

    yield* readSheet(await openEntry(zip, sheet), { strings, dateStyles, date1904: book.date1904, limits });
  } finally {
    zip.close();
  }
}

// ——— the zip ———

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) =>
      error ? reject(new XlsxError(`not a zip file: ${error.message}`)) : resolve(zip),
    ),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entries.size >= MAX_ENTRIES) return reject(new XlsxError(`more than ${MAX_ENTRIES} parts`));
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', (error: Error) => reject(new XlsxError(error.message)));
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) =>
      error ? reject(new XlsxError(`${entry.fileName}: ${error.message}`)) : resolve(stream),
    ),
  );
}

/**
 * Feeds a part's XML to a SAX parser and hands `drain` whatever the handlers collected after each
 * chunk: a sheet's rows go out as they are parsed, never the whole sheet at once.
 */
async function* parsePart<T>(
  stream: Readable,
  name: string,
  setUp: (parser: SaxesParser) => void,
  drain: () => T[],
): AsyncGenerator<T> {
  const parser = new SaxesParser();
  setUp(parser);
  const text = new StringDecoder('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parser.write(text.write(chunk));
      yield* drain();
    }
    parser.write(text.end());
    parser.close();
    yield* drain();
  } catch (error) {
    if (error instanceof XlsxError || error instanceof XlsxTooLarge) throw error;
    // saxes' messages name the line and column; yauzl's say what is wrong with the zip.
    throw new XlsxError(`${name}: ${(error as Error).message.slice(0, 160)}`);
  } finally {
    stream.destroy();
  }
}

async function readWhole(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  maxBytes: number,
  setUp: (parser: SaxesParser) => void,
): Promise<void> {
  if (entry.uncompressedSize > maxBytes) throw new XlsxError(`${entry.fileName} is larger than ${maxBytes} bytes`);
  for await (const _ of parsePart(await openEntry(zip, entry), entry.fileName, setUp, () => [])) {
    // nothing is yielded: the handlers fill in what the caller wants
  }
}

/** A tag's name without its namespace prefix: some writers spell `<x:row>` for `<row>`. */
const local = (name: string) => name.slice(name.indexOf(':') + 1);

function attribute(tag: SaxesTagPlain, name: string): string | undefined {
  for (const [key, value] of Object.entries(tag.attributes)) if (local(key) === name) return value;
  return undefined;
}

// ——— workbook, relationships, shared strings, styles ———

async function readWorkbookPart(zip: yauzl.ZipFile, entry: yauzl.Entry) {
  let firstSheetRelId: string | undefined;
  let date1904 = false;
  await readWhole(zip, entry, MAX_SMALL_PART_BYTES, (parser) =>
    parser.on('opentag', (tag) => {
      const name = local(tag.name);
      // The first <sheet> is the first tab a person sees, whatever its part is called.
      if (name === 'sheet' && firstSheetRelId === undefined) firstSheetRelId = relId(tag);
      if (name === 'workbookPr') date1904 = ['1', 'true'].includes(attribute(tag, 'date1904') ?? '');
    }),
  );
  return { firstSheetRelId, date1904 };
}

/** The sheet's `r:id` (a namespaced `id`, unlike the plain `sheetId`). */
function relId(tag: SaxesTagPlain): string | undefined {
  for (const [key, value] of Object.entries(tag.attributes)) if (key.includes(':') && local(key) === 'id') return value;
  return undefined;
}

async function readRelationships(zip: yauzl.ZipFile, entry: yauzl.Entry | undefined) {
  const rels = new Map<string, { target: string; type: string }>();
  if (!entry) return rels;
  await readWhole(zip, entry, MAX_SMALL_PART_BYTES, (parser) =>
    parser.on('opentag', (tag) => {
      if (local(tag.name) !== 'Relationship') return;
      const id = attribute(tag, 'Id');
      const target = attribute(tag, 'Target');
      if (!id || !target) return;
      // Targets are relative to xl/ unless they start at the package root.
      rels.set(id, {
        target: target.startsWith('/') ? target.slice(1) : `xl/${target}`,
        type: attribute(tag, 'Type') ?? '',
      });
    }),
  );
  return rels;
}

/** Each shared string is the text of its runs; phonetic guides (<rPh>) are not part of the text. */
async function readSharedStrings(zip: yauzl.ZipFile, entry: yauzl.Entry | undefined): Promise<string[]> {
  const strings: string[] = [];
  if (!entry) return strings;
  let current: string | null = null;
  let inText = false;
  let phonetic = 0;
  await readWhole(zip, entry, MAX_SHARED_STRINGS_BYTES, (parser) => {
    parser.on('opentag', (tag) => {
      const name = local(tag.name);
      if (name === 'si') current = '';
      else if (name === 'rPh') phonetic++;
      else if (name === 't') inText = phonetic === 0;
    });
    parser.on('text', (text) => {
      if (inText && current !== null && current.length < MAX_CELL_CHARS) current += text;
    });
    parser.on('closetag', (tag) => {
      const name = local(tag.name);
      if (name === 't') inText = false;
      else if (name === 'rPh') phonetic--;
      else if (name === 'si') {
        strings.push(current ?? '');
        current = null;
      }
    });
  });
  return strings;
}

/** Excel's built-in number formats that show a date or a time (27–36 and 50–58 are the Chinese ones). */
const BUILT_IN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56,
  57, 58,
]);

/** Whether a custom format code shows a date or time: y, m, d, h or s outside quotes, escapes and [colours]. */
export function isDateFormat(code: string): boolean {
  const first = code.split(';')[0] ?? '';
  const bare = first
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/[_*]./g, '')
    .replace(/\[(h+|m+|s+)\]/gi, 'h') // elapsed time, [h]:mm
    .replace(/\[[^\]]*\]/g, '');
  if (/general/i.test(bare) || /E[+-]/i.test(bare)) return false;
  return /[ymdhs]/i.test(bare);
}

/** The indexes of the cell styles (`s` on a cell) whose number format is a date or time. */
async function readDateStyles(zip: yauzl.ZipFile, entry: yauzl.Entry | undefined): Promise<Set<number>> {
  const dates = new Set<number>();
  if (!entry) return dates;
  const customDates = new Set<number>();
  let inCellXfs = false;
  let index = 0;
  await readWhole(zip, entry, MAX_SMALL_PART_BYTES, (parser) => {
    parser.on('opentag', (tag) => {
      const name = local(tag.name);
      if (name === 'numFmt' && isDateFormat(attribute(tag, 'formatCode') ?? '')) {
        customDates.add(Number(attribute(tag, 'numFmtId')));
      } else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) {
        const id = Number(attribute(tag, 'numFmtId') ?? 0);
        if (BUILT_IN_DATE_FORMATS.has(id) || customDates.has(id)) dates.add(index);
        index++;
      }
    });
    parser.on('closetag', (tag) => {
      if (local(tag.name) === 'cellXfs') inCellXfs = false;
    });
  });
  return dates;
}

// ——— the sheet ———

interface SheetContext {
  strings: string[];
  dateStyles: Set<number>;
  date1904: boolean;
  limits: XlsxLimits;
}

/** "C12" → 3 (1-based); undefined when the reference has no column letters. */
function columnOf(ref: string): number | undefined {
  let column = 0;
  for (const c of ref) {
    const code = c.charCodeAt(0);
    if (code >= 65 && code <= 90) column = column * 26 + code - 64;
    else break;
    if (column > 16_384) return 16_385; // past Excel's last column: too many either way
  }
  return column || undefined;
}

function readSheet(stream: Readable, context: SheetContext): AsyncGenerator<string[]> {
  const { limits } = context;
  const ready: string[][] = [];
  let nextRow = 1; // the row number the next row would have if nothing is skipped
  let row: string[] | null = null;
  let rowNumber = 0;
  let column = 0;
  let cell: { type: string; style: number; value: string; inline: string } | null = null;
  let collect: 'value' | 'inline' | null = null;
  let phonetic = 0;

  const setUp = (parser: SaxesParser) => {
    parser.on('opentag', (tag) => {
      switch (local(tag.name)) {
        case 'row': {
          const r = Number(attribute(tag, 'r'));
          rowNumber = Number.isInteger(r) && r >= nextRow ? r : nextRow;
          if (rowNumber > limits.maxRows) throw new XlsxTooLarge('rows', rowNumber, limits.maxRows);
          for (; nextRow < rowNumber; nextRow++) ready.push([]);
          row = [];
          column = 0;
          break;
        }
        case 'c': {
          const ref = attribute(tag, 'r');
          column = (ref && columnOf(ref)) || column + 1;
          if (column > limits.maxColumns) throw new XlsxTooLarge('columns', rowNumber, limits.maxColumns);
          cell = { type: attribute(tag, 't') ?? 'n', style: Number(attribute(tag, 's') ?? 0), value: '', inline: '' };
          break;
        }
        case 'v':
          collect = 'value';
          break;
        case 'rPh':
          phonetic++;
          break;
        case 't':
          if (cell?.type === 'inlineStr' && phonetic === 0) collect = 'inline';
          break;
      }
    });
    parser.on('text', (text) => {
      if (!cell || !collect) return;
      if (cell[collect].length + text.length > MAX_CELL_CHARS)
        throw new XlsxError(`a cell longer than ${MAX_CELL_CHARS} characters`, rowNumber);
      cell[collect] += text;
    });
    parser.on('closetag', (tag) => {
      switch (local(tag.name)) {
        case 'v':
        case 't':
          collect = null;
          break;
        case 'rPh':
          phonetic--;
          break;
        case 'c':
          if (row && cell) {
            while (row.length < column - 1) row.push('');
            row[column - 1] = cellText(cell, context);
          }
          cell = null;
          break;
        case 'row':
          if (row) {
            ready.push(row);
            nextRow = rowNumber + 1;
          }
          row = null;
          break;
      }
    });
  };
  return parsePart(stream, 'the worksheet', setUp, () => ready.splice(0));
}

function cellText(cell: { type: string; style: number; value: string; inline: string }, context: SheetContext): string {
  switch (cell.type) {
    case 's':
      return context.strings[Number(cell.value)] ?? '';
    case 'inlineStr':
      return cell.inline;
    case 'str': // a formula's text result
      return cell.value;
    case 'b':
      return cell.value === '1' ? 'TRUE' : cell.value === '0' ? 'FALSE' : '';
    case 'e': // #N/A, #DIV/0!: no value a person typed
      return '';
    case 'd': // ISO 8601, written by a few tools
      return dateText(new Date(`${cell.value.replace(/Z$/, '')}Z`));
  }
  if (cell.value.trim() === '') return ''; // a formula without a cached result
  const n = Number(cell.value);
  if (!Number.isFinite(n)) return cell.value;
  if (context.dateStyles.has(cell.style)) return dateText(serialToDate(n, context.date1904));
  return numberText(n);
}

/**
 * An Excel date serial as a UTC instant whose fields are the wall-clock time in the cell. Serials
 * count days from 1899-12-30 in the 1900 system (counting Lotus's 1900-02-29, so those before
 * March 1900 are one day off), and from 1904-01-01 in the 1904 system.
 */
function serialToDate(serial: number, date1904: boolean): Date {
  const days = date1904 ? serial + 1462 : serial < 61 ? serial + 1 : serial;
  // A serial is a float: round to the second Excel shows.
  return new Date(Math.round((days - 25_569) * 86_400) * 1000);
}

const pad = (n: number) => String(n).padStart(2, '0');

function dateText(value: Date): string {
  if (Number.isNaN(value.getTime())) return '';
  const date = `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  const h = value.getUTCHours();
  const m = value.getUTCMinutes();
  const s = value.getUTCSeconds();
  return h || m || s ? `${date} ${pad(h)}:${pad(m)}:${pad(s)}` : date;
}

/** Excel keeps a number as a binary float: 19.9 may come back as 19.899999999999999. */
function numberText(n: number): string {
  if (Number.isInteger(n))
    return Number.isSafeInteger(n) ? String(n) : n.toLocaleString('en-US', { useGrouping: false });
  return String(Number(n.toPrecision(15)));
}
