import type { CalendarService, StoreCalendar } from '../../src/calendar/service.ts';
import type { Db, Tx } from '../../src/db/tx.ts';
import { wallTimeToInstant } from '../../src/stores/time.ts';

/**
 * A store's service hours: when its service desk counts time for an SLA. Per ISO weekday from
 * the plugin's table (`setTicketServiceHours`); a store without rows counts core's opening hours
 * (Store.calendar) every day. Days the store closes (core's calendar: dates it chose, festivals)
 * never count, nor statutory days off when `closedOnStatutoryHolidays` (the default); a 调休
 * working day (a weekend day worked instead of a holiday) counts with Monday's hours.
 */
export interface ServiceHours {
  store: StoreCalendar;
  /** ISO weekday → [opensAt, closesAt) in minutes after midnight, store time; null when closed that weekday. */
  weekdays: Map<number, [number, number]> | null;
  closedOnStatutoryHolidays: boolean;
}

const DAY_MS = 86_400_000;
const MAX_SEARCH_DAYS = 3 * 366;

export async function loadServiceHours(
  db: Db | Tx,
  calendar: CalendarService,
  storeId: string,
  closedOnStatutoryHolidays: boolean,
): Promise<ServiceHours> {
  const store = await calendar.storeCalendar(db, storeId);
  const rows = await db.$queryRaw<{ weekday: number; opensAt: number; closesAt: number }[]>`
    SELECT weekday, "opensAt", "closesAt" FROM "TicketServiceHours" WHERE "storeId" = ${storeId}::uuid`;
  return {
    store,
    weekdays: rows.length ? new Map(rows.map((r) => [r.weekday, [r.opensAt, r.closesAt]])) : null,
    closedOnStatutoryHolidays,
  };
}

const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** The instants the desk opens and closes on a day (store time), or null when it does not open. */
export function serviceWindow(
  calendar: CalendarService,
  date: string,
  hours: ServiceHours,
): { opens: number; closes: number } | null {
  const day = calendar.day(date, hours.store);
  if (!day.storeOpen) return null;
  if (hours.closedOnStatutoryHolidays && day.statutory && !day.statutory.work) return null;
  let range: [number, number] | undefined;
  if (hours.weekdays) range = hours.weekdays.get(day.statutory?.work ? 1 : day.weekday);
  else range = [hours.store.opensAt, hours.store.closesAt];
  if (!range || range[1] <= range[0]) return null;
  const [year, month, d] = date.split('-').map(Number) as [number, number, number];
  const at = (m: number) =>
    wallTimeToInstant(
      { year, month, day: d, hour: Math.floor(m / 60), minute: m % 60 },
      hours.store.timezone,
    ).getTime();
  return { opens: at(range[0]), closes: at(range[1]) };
}

/** The instant `minutes` of service time after `start`. */
export function addServiceMinutes(calendar: CalendarService, start: Date, minutes: number, hours: ServiceHours): Date {
  let left = minutes;
  let date = calendar.dateOf(start, hours.store.timezone);
  for (let i = 0; i < MAX_SEARCH_DAYS; i++, date = addDays(date, 1)) {
    const w = serviceWindow(calendar, date, hours);
    if (!w) continue;
    const from = Math.max(w.opens, start.getTime());
    if (from >= w.closes) continue;
    const available = (w.closes - from) / 60_000;
    if (left <= available) return new Date(from + left * 60_000);
    left -= available;
  }
  throw new RangeError(`the service desk opens for fewer than ${minutes} minutes in the next ${MAX_SEARCH_DAYS} days`);
}

/** Minutes of service time between two instants (0 when `to` is not after `from`). */
export function serviceMinutesBetween(calendar: CalendarService, from: Date, to: Date, hours: ServiceHours): number {
  if (to <= from) return 0;
  let total = 0;
  let date = calendar.dateOf(from, hours.store.timezone);
  const last = calendar.dateOf(to, hours.store.timezone);
  for (let i = 0; i < MAX_SEARCH_DAYS * 10 && date <= last; i++, date = addDays(date, 1)) {
    const w = serviceWindow(calendar, date, hours);
    if (!w) continue;
    const a = Math.max(w.opens, from.getTime());
    const b = Math.min(w.closes, to.getTime());
    if (b > a) total += (b - a) / 60_000;
  }
  return Math.round(total);
}
