import type { Db, Tx } from '../db/tx.ts';
import { InvalidInputError } from '../errors/index.ts';
import type { ReferenceCache } from '../events/reference-cache.ts';
import { businessDate, DEFAULT_TIME_ZONE, wallTimeToInstant } from '../stores/time.ts';
import {
  addDays,
  daysBetween,
  FESTIVAL_CODES,
  festival,
  festivalsOn,
  FIRST_YEAR,
  inFestivalWindow,
  LAST_YEAR,
  lunarDateOf,
  type FestivalCode,
  type FestivalDefinition,
} from './festivals.ts';
import { statutoryDay, statutoryKnownThrough, statutoryYearKnown, type StatutoryDay } from './holidays.ts';

/**
 * The retail calendar core gives every domain and plugin (points rules, campaigns, ticket SLAs,
 * insights): festivals with their lunar dates, statutory holidays and 调休 working days, and each
 * store's own calendar (会员日, opening hours, days it closes), read in the store's time zone.
 *
 * Plugins reach it as the service "calendar" (`services.get<CalendarService>('calendar')`); its
 * API is documented in docs/calendar.md. Everything here is a plain function of its inputs but
 * `storeCalendar`, which reads (and caches) a store's settings.
 */

/** A store's own calendar; a store without settings has the defaults (no 会员日, 10:00–22:00, never closed). */
export interface StoreCalendar {
  storeId: string | null;
  timezone: string;
  /** 会员日 as days of the month (8: every 8th) … */
  memberMonthDays: number[];
  /** … and as ISO weekdays (3: every Wednesday). */
  memberWeekdays: number[];
  /** Minutes after midnight, in the store's zone. */
  opensAt: number;
  closesAt: number;
  /** Closed on every statutory day off (not on 调休 working days). */
  closedOnStatutoryHolidays: boolean;
  /** Closed on these festivals (除夕, 春节…). */
  closedFestivals: FestivalCode[];
  /** Closed on these days ("YYYY-MM-DD"): a refit, a local event. */
  closedDates: string[];
}

export const DEFAULT_STORE_CALENDAR: Omit<StoreCalendar, 'storeId' | 'timezone'> = {
  memberMonthDays: [],
  memberWeekdays: [],
  opensAt: 10 * 60,
  closesAt: 22 * 60,
  closedOnStatutoryHolidays: false,
  closedFestivals: [],
  closedDates: [],
};

export interface CalendarDay {
  date: string;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  lunar: ReturnType<typeof lunarDateOf>;
  festivals: FestivalDefinition[];
  /** The statutory holiday or 调休 working day this is; null for an ordinary day (or an unknown year). */
  statutory: StatutoryDay | null;
  /** Whether the State Council's schedule for this year is known here. */
  statutoryKnown: boolean;
  /** A working day nationally: Monday–Friday unless a holiday, or a 调休 weekend. */
  workingDay: boolean;
  /** The store's 会员日 (false without a store). */
  memberDay: boolean;
  /** The store opens (true without a store). */
  storeOpen: boolean;
}

/** A condition on the day of a sale (points rules, campaigns): every part given must hold. */
export interface CalendarCondition {
  /** Any of these festivals, each with days before and after ("中秋 and the 3 days before"). */
  festivals?: { code: FestivalCode; daysBefore?: number; daysAfter?: number }[];
  /** A statutory day off (法定节假日), not a 调休 working day. */
  statutoryHoliday?: boolean;
  /** The store's 会员日. */
  memberDay?: boolean;
}

/** A festival's window in one year, for comparisons aligned by festival ("this 春节 week vs last"). */
export interface FestivalPeriod {
  festival: FestivalCode;
  year: number;
  /** The festival's own day. */
  date: string;
  from: string;
  to: string;
}

const MAX_DAYS = 366;
/** Business-time arithmetic looks this far ahead for open hours before giving up (a store closed for good). */
const MAX_SEARCH_DAYS = 3 * 366;
const isoWeekday = (date: string) => ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function assertDate(date: string, field: (string | number)[]): void {
  const year = Number(date.slice(0, 4));
  if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || year < FIRST_YEAR || year > LAST_YEAR)
    throw new InvalidInputError('CALENDAR_INVALID_DATE', { value: date, from: FIRST_YEAR, to: LAST_YEAR }, field);
}

export class CalendarService {
  private cache: ReferenceCache | null = null;

  /** Store calendars are read on every member sale with calendar rules; they change a few times a year. */
  useCache(cache: ReferenceCache) {
    this.cache = cache;
  }

  readonly festivalCodes: readonly FestivalCode[] = FESTIVAL_CODES;

  /** The day an instant falls on in a time zone ("YYYY-MM-DD"). */
  dateOf(instant: Date, timeZone: string): string {
    return businessDate(instant, timeZone).toISOString().slice(0, 10);
  }

  festival(code: FestivalCode): FestivalDefinition {
    return festival(code);
  }

  /** A festival's date in a solar year. */
  festivalDate(code: FestivalCode, year: number): string {
    return festival(code).dateIn(year);
  }

  /** Everything the calendar knows about one day, for a store (its 会员日, whether it opens) or the chain. */
  day(date: string, store?: StoreCalendar | null): CalendarDay {
    const statutory = statutoryDay(date);
    const weekday = isoWeekday(date);
    const workingDay = statutory ? statutory.work : weekday <= 5;
    return {
      date,
      weekday,
      lunar: lunarDateOf(date),
      festivals: festivalsOn(date),
      statutory,
      statutoryKnown: statutoryYearKnown(Number(date.slice(0, 4))),
      workingDay,
      memberDay: store ? isMemberDay(date, weekday, store) : false,
      storeOpen: store ? isOpen(date, statutory, store) : true,
    };
  }

  /** Every day from `from` to `to` inclusive (at most 366). */
  days(from: string, to: string, store?: StoreCalendar | null): CalendarDay[] {
    assertDate(from, ['from']);
    assertDate(to, ['to']);
    const count = daysBetween(from, to) + 1;
    if (count < 1 || count > MAX_DAYS)
      throw new InvalidInputError('CALENDAR_PERIOD_TOO_LONG', { max: MAX_DAYS }, ['to']);
    return Array.from({ length: count }, (_, i) => this.day(addDays(from, i), store));
  }

  /** The last year whose statutory holidays are known. */
  statutoryKnownThrough(): number {
    return statutoryKnownThrough();
  }

  /** Whether a day meets a condition; every part given must hold. */
  matches(condition: CalendarCondition, date: string, store?: StoreCalendar | null): boolean {
    if (condition.festivals?.length) {
      const near = condition.festivals.some((f) => inFestivalWindow(date, f.code, f.daysBefore ?? 0, f.daysAfter ?? 0));
      if (!near) return false;
    }
    if (condition.statutoryHoliday) {
      const s = statutoryDay(date);
      if (!s || s.work) return false;
    }
    if (condition.memberDay && !(store && isMemberDay(date, isoWeekday(date), store))) return false;
    return true;
  }

  /**
   * The same festival's window in several years, for comparisons aligned by festival: this
   * 春节 week (before 0, after 6) against last year's, which fell 19 days earlier on the calendar.
   */
  festivalPeriods(code: FestivalCode, years: number[], daysBefore: number, daysAfter: number): FestivalPeriod[] {
    return years.map((year) => {
      const date = this.festivalDate(code, year);
      return { festival: code, year, date, from: addDays(date, -daysBefore), to: addDays(date, daysAfter) };
    });
  }

  /**
   * An instant `minutes` of opening time after `start` in a store: evenings, nights and the days it
   * closes (statutory holidays, festivals, dates it chose) do not count. For ticket SLAs ("answer
   * within 8 business hours") and appointments.
   */
  addBusinessMinutes(start: Date, minutes: number, store: StoreCalendar): Date {
    if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError('minutes must be 0 or more');
    let left = minutes;
    let date = this.dateOf(start, store.timezone);
    for (let i = 0; i < MAX_SEARCH_DAYS; i++, date = addDays(date, 1)) {
      const hours = openHours(date, store);
      if (!hours) continue;
      const from = Math.max(hours.opens.getTime(), start.getTime());
      if (from >= hours.closes.getTime()) continue;
      const available = (hours.closes.getTime() - from) / 60_000;
      if (left <= available) return new Date(from + left * 60_000);
      left -= available;
    }
    throw new RangeError(`the store opens for fewer than ${minutes} minutes in the next ${MAX_SEARCH_DAYS} days`);
  }

  /** Minutes of opening time between two instants (0 when `to` is not after `from`). */
  businessMinutesBetween(from: Date, to: Date, store: StoreCalendar): number {
    if (to <= from) return 0;
    let total = 0;
    let date = this.dateOf(from, store.timezone);
    const last = this.dateOf(to, store.timezone);
    for (let i = 0; i < MAX_SEARCH_DAYS * 10 && date <= last; i++, date = addDays(date, 1)) {
      const hours = openHours(date, store);
      if (!hours) continue;
      const a = Math.max(hours.opens.getTime(), from.getTime());
      const b = Math.min(hours.closes.getTime(), to.getTime());
      if (b > a) total += (b - a) / 60_000;
    }
    return Math.round(total);
  }

  /** A store's calendar settings (defaults when it has none), cached per process. */
  async storeCalendar(db: Db | Tx, storeId: string): Promise<StoreCalendar> {
    const load = async () => {
      const store = await db.store.findUnique({ where: { id: storeId }, select: { timezone: true, calendar: true } });
      if (!store) return null;
      return toStoreCalendar(storeId, store.timezone, store.calendar);
    };
    const found = this.cache
      ? await this.cache.region<StoreCalendar>('calendar.store', ['store.changed']).get(storeId, load)
      : await load();
    return found ?? { storeId, timezone: DEFAULT_TIME_ZONE, ...DEFAULT_STORE_CALENDAR };
  }
}

export function toStoreCalendar(
  storeId: string,
  timezone: string,
  row: {
    memberMonthDays: number[];
    memberWeekdays: number[];
    opensAt: number;
    closesAt: number;
    closedOnStatutoryHolidays: boolean;
    closedFestivals: string[];
    closedDates: Date[];
  } | null,
): StoreCalendar {
  if (!row) return { storeId, timezone, ...DEFAULT_STORE_CALENDAR };
  return {
    storeId,
    timezone,
    memberMonthDays: row.memberMonthDays,
    memberWeekdays: row.memberWeekdays,
    opensAt: row.opensAt,
    closesAt: row.closesAt,
    closedOnStatutoryHolidays: row.closedOnStatutoryHolidays,
    closedFestivals: row.closedFestivals.filter((c): c is FestivalCode =>
      (FESTIVAL_CODES as readonly string[]).includes(c),
    ),
    closedDates: row.closedDates.map((d) => d.toISOString().slice(0, 10)),
  };
}

function isMemberDay(date: string, weekday: number, store: StoreCalendar): boolean {
  return store.memberMonthDays.includes(Number(date.slice(8, 10))) || store.memberWeekdays.includes(weekday);
}

function isOpen(date: string, statutory: StatutoryDay | null, store: StoreCalendar): boolean {
  if (store.closedDates.includes(date)) return false;
  if (store.closedOnStatutoryHolidays && statutory && !statutory.work) return false;
  if (store.closedFestivals.length && festivalsOn(date).some((f) => store.closedFestivals.includes(f.code)))
    return false;
  return store.closesAt > store.opensAt;
}

/** The instants a store opens and closes on a day, or null on a day it stays closed. */
function openHours(date: string, store: StoreCalendar): { opens: Date; closes: Date } | null {
  if (!isOpen(date, statutoryDay(date), store)) return null;
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const at = (minutes: number) =>
    wallTimeToInstant({ year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 }, store.timezone);
  return { opens: at(store.opensAt), closes: at(store.closesAt) };
}
