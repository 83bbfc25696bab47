import { LegalHoliday } from 'tyme4ts';
import { DAY_MS } from '../stores/time.ts';

/**
 * Statutory holidays (法定节假日) and their 调休 working days, as the State Council's General Office
 * publishes them each year (usually in November or December for the next year).
 *
 * Source: tyme4ts's LegalHoliday table, which its maintainer updates with each year's notice
 * (2002–2026 in the version locked in package-lock.json). A year the installed version does not
 * know yet is added to ADDED_YEARS below the day the notice is published, then dropped again once
 * a tyme4ts release carries it. docs/calendar.md ("The yearly update") walks through both.
 *
 * A day of a year nobody has published yet is reported as unknown, never guessed: the calendar
 * says `statutoryKnown: false` and treats weekends as rest days and weekdays as working days.
 */

export interface StatutoryDay {
  /** The holiday the day belongs to, as the notice names it: 春节, 国庆节… */
  name: string;
  /** true: a working day moved onto a weekend (调休上班); false: a day off. */
  work: boolean;
}

/**
 * Years published after the installed tyme4ts release: year → day → holiday. Each entry is copied
 * from the notice (国务院办公厅关于<year>年部分节假日安排的通知), with the notice's number in `source`.
 */
export const ADDED_YEARS: Record<number, { source: string; days: Record<string, StatutoryDay> }> = {};

/** The holiday name tyme4ts uses, as the notice names it ("国庆中秋" is both at once). */
const libraryName = (name: string) => name;

function fromLibrary(date: string): StatutoryDay | null {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const holiday = LegalHoliday.fromYmd(y, m, d);
  return holiday ? { name: libraryName(holiday.getName()), work: holiday.isWork() } : null;
}

const knownYears = new Map<number, boolean>();

/** Whether the holidays of a year are known (published and in the library or ADDED_YEARS). */
export function statutoryYearKnown(year: number): boolean {
  if (ADDED_YEARS[year]) return true;
  let known = knownYears.get(year);
  if (known === undefined) {
    // Every published year has days in January–February (元旦, 春节) or October (国庆).
    known = false;
    for (const start of [`${year}-01-01`, `${year}-10-01`]) {
      for (let i = 0; i < 60 && !known; i++) {
        const day = new Date(Date.parse(`${start}T00:00:00Z`) + i * DAY_MS).toISOString().slice(0, 10);
        if (fromLibrary(day)) known = true;
      }
    }
    knownYears.set(year, known);
  }
  return known;
}

/** The statutory holiday or 调休 working day a date is, or null for an ordinary day. */
export function statutoryDay(date: string): StatutoryDay | null {
  const added = ADDED_YEARS[Number(date.slice(0, 4))];
  if (added) return added.days[date] ?? null;
  return fromLibrary(date);
}

/** The last year whose holidays are known: what a dashboard shows as "holidays known through". */
export function statutoryKnownThrough(from = new Date().getUTCFullYear() + 1): number {
  let year = from;
  while (year > 2002 && !statutoryYearKnown(year)) year--;
  return year;
}
