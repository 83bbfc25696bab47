import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { MessageCode } from '../i18n/messages.ts';

/**
 * Reading an import file: the request body spooled to a private temporary file (never held in
 * memory), then read back one record at a time, as CSV (encoding judged on every byte) or as an
 * Excel workbook (.xlsx, read streamed: only the row being read and the shared strings are in
 * memory, so a 100,000-row workbook stays within bounded memory).
 */

/** What a file is: an .xlsx workbook (a zip file) or text. */
export type ImportFormat = 'CSV' | 'XLSX';

/** The character encodings an import file may be in. */
export type ImportEncoding = 'UTF-8' | 'GB18030' | 'UTF-16LE' | 'UTF-16BE';

const ICONV_NAME: Record<ImportEncoding, string> = {
  'UTF-8': 'utf8',
  GB18030: 'gb18030',
  'UTF-16LE': 'utf16le',
  'UTF-16BE': 'utf16be',
};

/**
 * The encoding a Content-Type charset names: undefined when the caller named none, null when it
 * names one we do not read. GBK and GB2312 are subsets of GB18030.
 */
export function encodingOfCharset(contentType: string | null): ImportEncoding | null | undefined {
  const charset = contentType?.match(/charset\s*=\s*"?([\w.:-]+)"?/i)?.[1]?.toLowerCase();
  if (!charset) return undefined;
  if (['utf-8', 'utf8'].includes(charset)) return 'UTF-8';
  if (['gb18030', 'gbk', 'gb2312', 'cp936', 'x-gbk', 'windows-936', 'euc-cn'].includes(charset)) return 'GB18030';
  if (['utf-16le'].includes(charset)) return 'UTF-16LE';
  if (['utf-16be'].includes(charset)) return 'UTF-16BE';
  return null;
}

export class UploadTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`upload larger than ${limit} bytes`);
  }
}

/** A problem with the file as a whole (not one of its rows). */
export class ImportFileError extends Error {
  constructor(
    readonly row: number,
    readonly code: MessageCode,
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
  }
}

export interface SpooledUpload {
  bytes: number;
  /** A zip file's signature: an .xlsx workbook, whatever the caller's Content-Type said. */
  format: ImportFormat;
  /** From a byte-order mark, which settles the question. */
  bom: ImportEncoding | null;
  /** Every byte sequence was valid UTF-8 (Chinese text in GB18030 practically never is). */
  validUtf8: boolean;
}

/**
 * Streams the request body to a file (never holding it in memory), stopping past `maxBytes`,
 * and checks on the way whether it is valid UTF-8. The whole file is seen before its encoding is
 * chosen: a GBK file's first lines are often plain ASCII (the header in English, phone numbers).
 */
export async function spoolUpload(body: Readable, path: string, maxBytes: number): Promise<SpooledUpload> {
  // 0600: the file holds personal data until it is removed at the end of the request.
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let validUtf8 = true;
  let bytes = 0;
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new UploadTooLarge(maxBytes);
      if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4)]);
      if (validUtf8) {
        try {
          utf8.decode(chunk, { stream: true });
        } catch {
          validUtf8 = false;
        }
      }
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (validUtf8) {
      try {
        utf8.decode(); // a sequence cut off at the very end
      } catch {
        validUtf8 = false;
      }
    }
  } finally {
    out.end();
    await finished(out).catch(() => {});
  }
  const format: ImportFormat =
    head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04 ? 'XLSX' : 'CSV';
  let bom: ImportEncoding | null = null;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) bom = 'UTF-8';
  else if (head[0] === 0xff && head[1] === 0xfe) bom = 'UTF-16LE';
  else if (head[0] === 0xfe && head[1] === 0xff) bom = 'UTF-16BE';
  return { bytes, format, bom, validUtf8: format === 'CSV' && validUtf8 };
}

/** The separator of the header line: a comma, or a tab (Excel's "Unicode text") or a semicolon. */
function detectDelimiter(firstLine: string): string {
  const count = (c: string) => firstLine.split(c).length - 1;
  const [best] = [',', '\t', ';'].sort((a, b) => count(b) - count(a));
  return best && count(best) > 0 ? best : ',';
}

const QUOTE_ERRORS = new Set([
  'CSV_QUOTE_NOT_CLOSED',
  'CSV_INVALID_CLOSING_QUOTE',
  'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE',
]);

/** The records of a spooled CSV file, decoded; the header is the first. Yields one at a time. */
export async function* readCsvRecords(path: string, encoding: ImportEncoding): AsyncGenerator<string[]> {
  // The readers are loaded by the first import, not by every process at start.
  const [{ parse, CsvError }, { default: iconv }] = await Promise.all([import('csv-parse'), import('iconv-lite')]);
  const codec = ICONV_NAME[encoding];
  const handle = await open(path);
  const peek = Buffer.alloc(64 * 1024);
  const { bytesRead } = await handle.read(peek, 0, peek.length, 0);
  await handle.close();
  const firstLines = iconv.decode(peek.subarray(0, bytesRead), codec).split(/\r?\n/);
  // Excel writes "sep=;" above the header when told which separator a file uses.
  const sepHint = /^sep=(.)$/.exec(firstLines[0] ?? '');
  const delimiter = sepHint ? sepHint[1]! : detectDelimiter(firstLines[0] ?? '');

  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: true, // old POS exports write 张"三 without doubling the quote
    skip_empty_lines: false,
    max_record_size: 1 << 20,
    from_line: sepHint ? 2 : 1,
  });
  const file = createReadStream(path);
  file.on('error', (error) => parser.destroy(error));
  if (encoding === 'UTF-8') {
    file.pipe(parser); // csv-parse reads UTF-8 bytes itself: no decoding to text and back
  } else {
    const decoded = file.pipe(iconv.decodeStream(codec));
    decoded.on('error', (error) => parser.destroy(error));
    decoded.pipe(parser);
  }
  try {
    for await (const record of parser as AsyncIterable<string[]>) yield record;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const row = (parser.info?.records ?? 0) + 1;
    if (QUOTE_ERRORS.has(error.code)) throw new ImportFileError(row, 'IMPORT_BAD_QUOTES');
    throw new ImportFileError(row, 'IMPORT_MALFORMED_CSV', { detail: error.code });
  } finally {
    file.destroy();
  }
}

/** A workbook bigger than this many rows or columns is refused rather than read on (a zip expands a lot). */
export const XLSX_MAX_ROWS = 2_000_000;
const XLSX_MAX_COLUMNS = 200;

/**
 * The rows of the first worksheet of a spooled .xlsx file, as text cells; the header is the
 * first. Blank rows come as empty records so row numbers stay those Excel shows.
 */
export async function* readXlsxRecords(path: string): AsyncGenerator<string[]> {
  const { readFirstSheet, XlsxError, XlsxTooLarge } = await import('./xlsx.ts'); // yauzl and saxes: on first use
  try {
    yield* readFirstSheet(path, { maxRows: XLSX_MAX_ROWS, maxColumns: XLSX_MAX_COLUMNS });
  } catch (error) {
    if (error instanceof XlsxTooLarge) {
      const code = error.kind === 'rows' ? 'IMPORT_TOO_MANY_ROWS' : 'IMPORT_TOO_MANY_COLUMNS';
      throw new ImportFileError(error.row, code, { max: error.max });
    }
    if (error instanceof XlsxError)
      throw new ImportFileError(error.row, 'IMPORT_MALFORMED_XLSX', { detail: error.detail });
    throw error;
  }
}

/** The records of a spooled file in whichever format it is. */
export function readRecords(path: string, format: ImportFormat, encoding: ImportEncoding): AsyncGenerator<string[]> {
  return format === 'XLSX' ? readXlsxRecords(path) : readCsvRecords(path, encoding);
}
