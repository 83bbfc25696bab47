import { LunarDay, LunarMonth, SolarDay, SolarTerm } from 'tyme4ts';
import { DAY_MS } from '../stores/time.ts';

/**
 * The days Chinese retail plans around. Lunar dates come from tyme4ts (6tail's calendar library,
 * the successor of lunar-javascript), which converts with astronomical new moons and solar terms,
 * so leap months and 29-day twelfth months (除夕 on the 29th) come out right.
 *
 * Dates are calendar days written "YYYY-MM-DD", with no time zone: which instant a day begins is a
 * store's business (service.ts reads a store's day in its own zone).
 */

export type FestivalKind = 'LUNAR' | 'SOLAR_TERM' | 'SOLAR' | 'SHOPPING';

export const FESTIVAL_CODES = [
  'NEW_YEAR',
  'NEW_YEARS_EVE',
  'SPRING_FESTIVAL',
  'LANTERN',
  'VALENTINES',
  'QUEENS_DAY',
  'QINGMING',
  'LABOUR_DAY',
  'LOVE_520',
  'MOTHERS_DAY',
  'CHILDRENS_DAY',
  'DRAGON_BOAT',
  'SHOPPING_618',
  'FATHERS_DAY',
  'QIXI',
  'MID_AUTUMN',
  'NATIONAL_DAY',
  'DOUBLE_NINTH',
  'SINGLES_DAY',
  'DOUBLE_12',
  'WINTER_SOLSTICE',
  'CHRISTMAS',
  'LABA',
] as const;

export type FestivalCode = (typeof FESTIVAL_CODES)[number];

export interface FestivalDefinition {
  code: FestivalCode;
  name: { 'zh-CN': string; en: string };
  kind: FestivalKind;
  /** The festival's day in a solar (Gregorian) year, "YYYY-MM-DD". */
  dateIn(year: number): string;
}

const pad = (n: number) => String(n).padStart(2, '0');
export const ymd = (year: number, month: number, day: number) => `${year}-${pad(month)}-${pad(day)}`;
const solarText = (d: SolarDay) => ymd(d.getYear(), d.getMonth(), d.getDay());

/**
 * A lunar month-day in the solar year `year`. Lunar festivals of months 1–11 fall in the solar year
 * of their lunar year; those of the twelfth month fall in January or February of the next one.
 */
function lunar(month: number, day: number | 'last') {
  return (year: number) => {
    const lunarYear = month === 12 ? year - 1 : year;
    const d = day === 'last' ? LunarMonth.fromYm(lunarYear, month).getDayCount() : day;
    return solarText(LunarDay.fromYmd(lunarYear, month, d).getSolarDay());
  };
}

const fixed = (month: number, day: number) => (year: number) => ymd(year, month, day);

/** The n-th given weekday (0 = Sunday) of a month: Mother's Day is the second Sunday of May. */
const nthWeekday = (month: number, weekday: number, n: number) => (year: number) => {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  return ymd(year, month, 1 + ((weekday - first + 7) % 7) + (n - 1) * 7);
};

const term = (name: string) => (year: number) => solarText(SolarTerm.fromName(year, name).getSolarDay());

const f = (code: FestivalCode, zh: string, en: string, kind: FestivalKind, dateIn: (y: number) => string) => ({
  code,
  name: { 'zh-CN': zh, en },
  kind,
  dateIn,
});

export const FESTIVALS: readonly FestivalDefinition[] = [
  f('NEW_YEAR', '元旦', "New Year's Day", 'SOLAR', fixed(1, 1)),
  f('NEW_YEARS_EVE', '除夕', "Lunar New Year's Eve", 'LUNAR', lunar(12, 'last')),
  f('SPRING_FESTIVAL', '春节', 'Spring Festival', 'LUNAR', lunar(1, 1)),
  f('LANTERN', '元宵节', 'Lantern Festival', 'LUNAR', lunar(1, 15)),
  f('VALENTINES', '情人节', "Valentine's Day", 'SOLAR', fixed(2, 14)),
  f('QUEENS_DAY', '三八女王节', "Women's Day (Queen's Day sales)", 'SHOPPING', fixed(3, 8)),
  f('QINGMING', '清明节', 'Qingming Festival', 'SOLAR_TERM', term('清明')),
  f('LABOUR_DAY', '劳动节', 'Labour Day', 'SOLAR', fixed(5, 1)),
  f('LOVE_520', '520', '520 (Love Day)', 'SHOPPING', fixed(5, 20)),
  f('MOTHERS_DAY', '母亲节', "Mother's Day", 'SOLAR', nthWeekday(5, 0, 2)),
  f('CHILDRENS_DAY', '儿童节', "Children's Day", 'SOLAR', fixed(6, 1)),
  f('DRAGON_BOAT', '端午节', 'Dragon Boat Festival', 'LUNAR', lunar(5, 5)),
  f('SHOPPING_618', '618', '618 shopping festival', 'SHOPPING', fixed(6, 18)),
  f('FATHERS_DAY', '父亲节', "Father's Day", 'SOLAR', nthWeekday(6, 0, 3)),
  f('QIXI', '七夕', 'Qixi Festival', 'LUNAR', lunar(7, 7)),
  f('MID_AUTUMN', '中秋节', 'Mid-Autumn Festival', 'LUNAR', lunar(8, 15)),
  f('NATIONAL_DAY', '国庆节', 'National Day', 'SOLAR', fixed(10, 1)),
  f('DOUBLE_NINTH', '重阳节', 'Double Ninth Festival', 'LUNAR', lunar(9, 9)),
  f('SINGLES_DAY', '双11', 'Singles Day (11.11)', 'SHOPPING', fixed(11, 11)),
  f('DOUBLE_12', '双12', 'Double 12 (12.12)', 'SHOPPING', fixed(12, 12)),
  f('WINTER_SOLSTICE', '冬至', 'Winter Solstice', 'SOLAR_TERM', term('冬至')),
  f('CHRISTMAS', '圣诞节', 'Christmas', 'SOLAR', fixed(12, 25)),
  f('LABA', '腊八节', 'Laba Festival', 'LUNAR', lunar(12, 8)),
];

const BY_CODE = new Map(FESTIVALS.map((x) => [x.code, x]));

export function festival(code: FestivalCode): FestivalDefinition {
  const found = BY_CODE.get(code);
  if (!found) throw new Error(`Unknown festival ${code}`);
  return found;
}

/** The years the calendar answers for: tyme4ts converts 1900–2100; wider is refused. */
export const FIRST_YEAR = 1901;
export const LAST_YEAR = 2099;

const perYear = new Map<number, Map<string, FestivalDefinition[]>>();

/** Every festival of a solar year by day; computed once per year and kept (a few kilobytes). */
export function festivalsOfYear(year: number): Map<string, FestivalDefinition[]> {
  let days = perYear.get(year);
  if (!days) {
    days = new Map();
    for (const fest of FESTIVALS) {
      const date = fest.dateIn(year);
      days.set(date, [...(days.get(date) ?? []), fest]);
    }
    perYear.set(year, days);
  }
  return days;
}

export function festivalsOn(date: string): FestivalDefinition[] {
  return festivalsOfYear(Number(date.slice(0, 4))).get(date) ?? [];
}

const LUNAR_MONTHS = ['正', '二', '三', '四', '五', '六', '七', '八', '九', '十', '冬', '腊'];

/** The lunar date of a day, as the calendar on a shop's wall prints it (八月十五, 闰六月初一). */
export function lunarDateOf(date: string) {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const lunarDay = SolarDay.fromYmd(y, m, d).getLunarDay();
  const month = lunarDay.getLunarMonth();
  return {
    year: lunarDay.getYear(),
    month: Math.abs(lunarDay.getMonth()),
    day: lunarDay.getDay(),
    leapMonth: month.isLeap(),
    text: `${month.isLeap() ? '闰' : ''}${LUNAR_MONTHS[Math.abs(lunarDay.getMonth()) - 1]}月${lunarDay.getName()}`,
  };
}

/** Days between two "YYYY-MM-DD" dates (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Whether a day falls within `before` days before and `after` days after a festival ("中秋 and the
 * 3 days before": before 3, after 0). The festival's date is that of the right year, so a rule
 * written once moves with the lunar date every year, also across New Year (春节 in January with
 * days before in December).
 */
export function inFestivalWindow(date: string, code: FestivalCode, before: number, after: number): boolean {
  const fest = festival(code);
  const year = Number(date.slice(0, 4));
  for (const y of [year - 1, year, year + 1]) {
    if (y < FIRST_YEAR || y > LAST_YEAR) continue;
    const offset = daysBetween(fest.dateIn(y), date);
    if (offset >= -before && offset <= after) return true;
  }
  return false;
}
