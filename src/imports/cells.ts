import { isEmail } from '../customers/email.ts';
import { wallTimeToInstant } from '../stores/time.ts';
import { fail } from './kind.ts';

/**
 * Cell parsers every import kind shares: dates and times as merchants' files write them, exact
 * money, counts, text limits. Each returns the normalised value or throws a CellError (fail).
 */

/** An e-mail address, lower-cased. */
export function parseEmail(raw: string): string {
  const email = raw.normalize('NFKC').toLowerCase();
  return isEmail(email) ? email : fail('IMPORT_INVALID_EMAIL', { value: raw });
}

export const textLimit = (value: string, max: number) =>
  value.length > max ? fail('IMPORT_TOO_LONG', { max }) : value;

/** Dates as merchants' files write them; a time without a zone is wall-clock time in `timeZone`. */
/** 2026-11-22, 2026/11/22 10:30, 2026年11月22日 10时30分5秒, … (a date, then optionally a time). */
const LOCAL_DATE_TIME = new RegExp(
  String.raw`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?` +
    String.raw`(?:[\sT]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,3}))?)?秒?)?$`,
);

export function parseDateTime(raw: string, timeZone: string, now: Date): Date {
  const value = raw.normalize('NFKC').trim();
  let instant: Date | null = null;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    instant = new Date(value);
  } else {
    const m = LOCAL_DATE_TIME.exec(value) ?? /^(\d{4})(\d{2})(\d{2})()()()()$/.exec(value);
    if (m) {
      const [year, month, day, hour, minute, second] = m.slice(1, 7).map((x) => (x ? Number(x) : 0)) as number[];
      const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
      const valid =
        month! >= 1 &&
        month! <= 12 &&
        day! >= 1 &&
        day! <= new Date(Date.UTC(year!, month!, 0)).getUTCDate() &&
        hour! < 24 &&
        minute! < 60 &&
        second! < 60;
      if (valid)
        instant = wallTimeToInstant({ year: year!, month: month!, day: day!, hour, minute, second, ms }, timeZone);
    }
  }
  if (!instant || Number.isNaN(instant.getTime()) || instant.getUTCFullYear() < 1900)
    return fail('IMPORT_INVALID_DATE', { value: raw });
  if (instant.getTime() > now.getTime()) return fail('IMPORT_DATE_IN_FUTURE', { value: raw });
  return instant;
}

/** A calendar date (birthday), YYYY-MM-DD; a time after it is ignored. */
export function parseCalendarDate(raw: string, now: Date, allowFuture = false): string {
  const value = raw.normalize('NFKC').trim();
  const m =
    /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$/.exec(value) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return fail('IMPORT_INVALID_DATE', { value: raw });
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
    return fail('IMPORT_INVALID_DATE', { value: raw });
  }
  const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (!allowFuture && date > now.toISOString().slice(0, 10)) return fail('IMPORT_DATE_IN_FUTURE', { value: raw });
  return date;
}

export function parseAmount(raw: string): string {
  const value = raw.normalize('NFKC').replace(/[\s,¥]|元|rmb|cny/gi, '');
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(value);
  if (!m) return fail('IMPORT_INVALID_AMOUNT', { value: raw });
  return `${BigInt(m[1]!)}.${(m[2] ?? '').padEnd(2, '0')}`;
}

export function parseCount(raw: string): number {
  const value = raw.normalize('NFKC').replace(/[\s,]|次/g, '');
  if (!/^\d{1,9}$/.test(value)) return fail('IMPORT_INVALID_COUNT', { value: raw });
  return Number(value);
}

/** A whole number, possibly negative (stock quantities, points), within ±max. */
export function parseInteger(raw: string, max = 1_000_000_000): number {
  const value = raw.normalize('NFKC').replace(/[\s,]|件|个|分/g, '');
  if (!/^-?\d{1,10}$/.test(value) || Math.abs(Number(value)) > max)
    return fail('IMPORT_INVALID_INTEGER', { value: raw, max });
  return Number(value);
}

const YES = new Set(['y', 'yes', 'true', '1', '是', '启用', '在售', '在职', '有效', '正常', '√', '✓', '✔']);
const NO = new Set(['n', 'no', 'false', '0', '否', '停用', '停售', '下架', '离职', '无效', '禁用', '×', '✗', '✘']);

/** Yes or no, as a sheet writes it (是/否, 在售/停售, Y/N, TRUE/FALSE…). */
export function parseYesNo(raw: string): boolean {
  const value = raw.normalize('NFKC').trim().toLowerCase();
  if (YES.has(value)) return true;
  if (NO.has(value)) return false;
  return fail('IMPORT_INVALID_YES_NO', { value: raw });
}

const CODE = /^[\p{L}\p{N}._\-/#]{1,64}$/u;

/** A code (SKU, barcode, receipt number): letters, digits and . _ - / #, at most 64; Excel's ="…" is accepted. */
export function parseCode(raw: string): string {
  const value = raw.normalize('NFKC').trim();
  return CODE.test(value) ? value : fail('IMPORT_INVALID_CODE', { value: raw });
}
