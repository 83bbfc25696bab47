/** Milliseconds in a day: a fixed 24 hours, for spans such as a return window or a grace period. */
export const DAY_MS = 86_400_000;

/**
 * The time zone a store gets when none is given, and of dates when no store names one (the
 * migration's column default says the same, in SQL).
 */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The calendar day an instant falls on in a store's time zone, as midnight UTC (Prisma's @db.Date form). */
export function businessDate(instant: Date, timeZone: string): Date {
  return new Date(`${formatter(timeZone).format(instant)}T00:00:00.000Z`);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The same instant some calendar months later (or earlier), as loyalty periods count them. */
export function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  const day = d.getUTCDate();
  // Counted from the 1st so that a day the target month lacks (29 Feb, 31 Apr) becomes its last
  // day instead of spilling into the next month: 29 Feb − 12 months is 28 Feb, not 1 Mar.
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d;
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

const offsetCache = new Map<string, number>();
const QUARTER_HOUR = 15 * 60_000;

/**
 * Minutes the time zone is ahead of UTC at an instant (480 for Asia/Shanghai). Asking Intl is
 * slow (a bulk import reads several dates per row), and every zone changes its offset on a
 * quarter hour, so answers are kept per zone and quarter hour.
 */
function offsetMinutes(instantMs: number, timeZone: string): number {
  const key = `${timeZone} ${Math.floor(instantMs / QUARTER_HOUR)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    if (offsetCache.size >= 50_000) offsetCache.clear();
    offset = askOffsetMinutes(instantMs, timeZone);
    offsetCache.set(key, offset);
  }
  return offset;
}

function askOffsetMinutes(instantMs: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instantMs)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return Math.round((wall - Math.floor(instantMs / 1000) * 1000) / 60_000);
}

/**
 * The wall-clock time an instant shows in a time zone, to the second, as a Date whose UTC fields
 * are that time: how a spreadsheet, whose dates have no zone, shows a store's time as it was.
 */
export function wallClock(instant: Date | null, timeZone: string): Date | null {
  if (!instant) return null;
  const ms = instant.getTime();
  return new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes(ms, timeZone) * 60_000);
}

/**
 * The instant a wall-clock time names in a time zone ("2024-05-01 14:30" in a Beijing store):
 * how a date written without a zone, in a merchant's file, is read.
 */
export function wallTimeToInstant(
  wall: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number; ms?: number },
  timeZone: string,
): Date {
  const asUtc = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour ?? 0,
    wall.minute ?? 0,
    wall.second ?? 0,
    wall.ms ?? 0,
  );
  // Twice: the offset at the first guess may differ across a daylight-saving change.
  let instant = asUtc - offsetMinutes(asUtc, timeZone) * 60_000;
  instant = asUtc - offsetMinutes(instant, timeZone) * 60_000;
  return new Date(instant);
}
