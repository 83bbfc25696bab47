import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createRule, newMember, sell, stockUp } from './helpers/loyalty.ts';

// Every expected date below was worked out by hand from the published calendars (the Hong Kong
// Observatory's lunar tables and the State Council's holiday notices), not read from the library.

const CALENDAR = `query($from: Date!, $to: Date!, $store: ID) {
  calendar(from: $from, to: $to, storeId: $store) {
    statutoryKnownThrough
    festivals { festival name kind date }
    days { date weekday lunarDate lunarMonth lunarDay leapMonth statutoryHoliday dayOff adjustedWorkingDay workingDay
           statutoryKnown memberDay storeOpen festivals { festival } }
  }
}`;

let t: TestApp;
let store: string;

beforeAll(async () => {
  t = await startTestApp({ plugins: [pointsPlugin({ excludedCategories: [] })] });
  store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  await stockUp(t, store, ['SN-001']);
});
afterAll(() => t?.close());

const calendar = async (from: string, to: string, storeId?: string, locale = 'zh-CN') =>
  (await t.as('CASHIER').ok(CALENDAR, { from, to, store: storeId ?? null }, { locale })).calendar;
const day = async (date: string, storeId?: string) => (await calendar(date, date, storeId)).days[0];

describe('lunar festivals', () => {
  it('fall on their lunar date every year, moving across the solar calendar', async () => {
    const expected: Record<string, string[]> = {
      SPRING_FESTIVAL: ['2023-01-22', '2024-02-10', '2025-01-29', '2026-02-17'],
      LANTERN: ['2023-02-05', '2024-02-24', '2025-02-12', '2026-03-03'],
      DRAGON_BOAT: ['2023-06-22', '2024-06-10', '2025-05-31', '2026-06-19'],
      QIXI: ['2023-08-22', '2024-08-10', '2025-08-29', '2026-08-19'],
      MID_AUTUMN: ['2023-09-29', '2024-09-17', '2025-10-06', '2026-09-25'],
      DOUBLE_NINTH: ['2023-10-23', '2024-10-11', '2025-10-29', '2026-10-18'],
    };
    for (const year of [2023, 2024, 2025, 2026]) {
      const { festivals } = await calendar(`${year}-01-01`, `${year}-12-31`);
      for (const [code, dates] of Object.entries(expected)) {
        const found = festivals
          .filter((f: { festival: string }) => f.festival === code)
          .map((f: { date: string }) => f.date);
        expect(found, `${code} ${year}`).toEqual([dates[year - 2023]]);
      }
    }
  });

  it("puts 除夕 on the twelfth month's last day, the 29th in a short month", async () => {
    // 2024's 除夕 was 腊月三十 (a 30-day month); 2025's and 2026's 腊月二十九.
    for (const [date, lunar] of [
      ['2024-02-09', '腊月三十'],
      ['2025-01-28', '腊月廿九'],
      ['2026-02-16', '腊月廿九'],
    ]) {
      const d = await day(date!);
      expect(d.festivals.map((f: { festival: string }) => f.festival)).toContain('NEW_YEARS_EVE');
      expect(d.lunarDate).toBe(lunar);
    }
  });

  it('reads lunar dates with leap months (闰六月 2025)', async () => {
    // 2025 had a leap sixth month, 2025-07-25 to 2025-08-22.
    const d = await day('2025-07-25');
    expect(d).toMatchObject({ lunarMonth: 6, lunarDay: 1, leapMonth: true, lunarDate: '闰六月初一' });
    expect(await day('2025-10-06')).toMatchObject({
      lunarMonth: 8,
      lunarDay: 15,
      leapMonth: false,
      lunarDate: '八月十五',
    });
  });

  it('knows the solar-term and shopping festivals, with names in the caller’s language', async () => {
    const { festivals } = await calendar('2026-01-01', '2026-12-31', undefined, 'en');
    const on = (code: string) => festivals.find((f: { festival: string }) => f.festival === code);
    expect(on('QINGMING')).toMatchObject({ date: '2026-04-05', kind: 'SOLAR_TERM', name: 'Qingming Festival' });
    expect(on('MOTHERS_DAY').date).toBe('2026-05-10'); // second Sunday of May
    expect(on('QUEENS_DAY')).toMatchObject({ date: '2026-03-08', kind: 'SHOPPING' });
    expect(on('SHOPPING_618').date).toBe('2026-06-18');
    expect(on('SINGLES_DAY').date).toBe('2026-11-11');
    expect(on('DOUBLE_12').date).toBe('2026-12-12');
    const zh = await calendar('2025-04-04', '2025-04-04');
    expect(zh.festivals).toEqual([{ festival: 'QINGMING', name: '清明节', kind: 'SOLAR_TERM', date: '2025-04-04' }]);
  });
});

describe('statutory holidays and 调休', () => {
  it('makes a 调休 Saturday a working day and the holiday weekdays days off (春节 2026)', async () => {
    // 国办发明电〔2025〕7号: 春节 2月15日至23日放假调休，共9天；2月14日（周六）、2月28日（周六）上班。
    const days = (await calendar('2026-02-13', '2026-02-28')).days;
    const of = (date: string) => days.find((d: { date: string }) => d.date === date);
    expect(of('2026-02-14')).toMatchObject({
      weekday: 6,
      statutoryHoliday: '春节',
      dayOff: false,
      adjustedWorkingDay: true,
      workingDay: true,
    });
    expect(of('2026-02-16')).toMatchObject({ weekday: 1, dayOff: true, workingDay: false, statutoryHoliday: '春节' });
    expect(days.filter((d: { dayOff: boolean }) => d.dayOff).map((d: { date: string }) => d.date)).toEqual([
      '2026-02-15',
      '2026-02-16',
      '2026-02-17',
      '2026-02-18',
      '2026-02-19',
      '2026-02-20',
      '2026-02-21',
      '2026-02-22',
      '2026-02-23',
    ]);
    expect(of('2026-02-28')).toMatchObject({ weekday: 6, adjustedWorkingDay: true, workingDay: true });
    expect(of('2026-02-27')).toMatchObject({ weekday: 5, statutoryHoliday: null, workingDay: true });
    expect(of('2026-02-13')).toMatchObject({ statutoryHoliday: null, workingDay: true, statutoryKnown: true });
  });

  it('knows other years too: the 劳动节 Saturday of 2024 and a Sunday worked for 春节 2025', async () => {
    expect(await day('2024-05-11')).toMatchObject({ weekday: 6, adjustedWorkingDay: true, statutoryHoliday: '劳动节' });
    expect(await day('2025-01-26')).toMatchObject({ weekday: 7, adjustedWorkingDay: true, workingDay: true });
    expect(await day('2025-10-08')).toMatchObject({ weekday: 3, dayOff: true, workingDay: false });
  });

  it('says when a year is not published yet instead of guessing', async () => {
    const d = await day('2099-02-02');
    expect(d).toMatchObject({ statutoryKnown: false, statutoryHoliday: null, workingDay: true });
    const { statutoryKnownThrough } = await calendar('2026-01-01', '2026-01-01');
    expect(statutoryKnownThrough).toBeGreaterThanOrEqual(2026);
  });

  it('refuses periods over a year and dates outside the years it converts', async () => {
    const long = await t.as('OWNER').gql(CALENDAR, { from: '2025-01-01', to: '2026-06-01' });
    expect(long.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const far = await t.as('OWNER').gql(CALENDAR, { from: '1800-01-01', to: '1800-01-02' });
    expect(far.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await t.gql(CALENDAR, { from: '2026-01-01', to: '2026-01-02' });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe("a store's own calendar", () => {
  const SET = `mutation($s: ID!, $i: StoreCalendarInput!) {
    setStoreCalendar(storeId: $s, input: $i) {
      __typename ... on StoreCalendar { memberMonthDays memberWeekdays opensAt closesAt closedFestivals
        closedOnStatutoryHolidays }
      ... on UserError { errorCode message }
    }
  }`;

  it('marks its 会员日 and the days it closes; only its managers and owners set them', async () => {
    const forbidden = await t.as('CASHIER').gql(SET, { s: store, i: { memberMonthDays: [8] } });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const set = await t.as('MANAGER').ok(SET, {
      s: store,
      i: {
        memberMonthDays: [8, 18],
        memberWeekdays: [3],
        opensAt: '09:00',
        closesAt: '21:00',
        closedFestivals: ['NEW_YEARS_EVE', 'SPRING_FESTIVAL'],
      },
    });
    expect(set.setStoreCalendar).toMatchObject({
      memberMonthDays: [8, 18],
      memberWeekdays: [3],
      opensAt: '09:00',
      closesAt: '21:00',
    });
    const days = (await calendar('2026-02-16', '2026-02-18', store)).days;
    expect(days.map((d: { memberDay: boolean; storeOpen: boolean }) => [d.memberDay, d.storeOpen])).toEqual([
      [false, false], // 除夕, closed
      [false, false], // 春节, closed
      [true, true], // a Wednesday and the 18th
    ]);
    const bad = await t.as('OWNER').ok(SET, { s: store, i: { opensAt: '22:00', closesAt: '08:00' } });
    expect(bad.setStoreCalendar).toMatchObject({ __typename: 'InvalidInputError' });
  });

  it('counts business time over nights and closed festivals (a ticket due in 8 opening hours)', async () => {
    await t.as('OWNER').ok(SET, {
      s: store,
      i: {
        opensAt: '09:00',
        closesAt: '21:00',
        closedFestivals: ['NEW_YEARS_EVE', 'SPRING_FESTIVAL'],
        memberMonthDays: [],
        memberWeekdays: [],
      },
    });
    const due = async (from: string, minutes: number) =>
      (
        await t
          .as('CASHIER')
          .ok(`query($s: ID!, $f: DateTime!, $m: Int!) { businessTimeAfter(storeId: $s, from: $f, minutes: $m) }`, {
            s: store,
            f: from,
            m: minutes,
          })
      ).businessTimeAfter;
    // 2026-02-15 18:00 Beijing: 3 h left that day, closed on the 16th (除夕) and 17th (春节), 5 h on the 18th.
    expect(await due('2026-02-15T10:00:00Z', 8 * 60)).toBe('2026-02-18T06:00:00.000Z'); // 14:00 Beijing
    // Before opening, time starts at 09:00.
    expect(await due('2026-03-02T23:00:00Z', 60)).toBe('2026-03-03T02:00:00.000Z'); // 07:00 → 10:00 Beijing
  });
});

describe('comparisons aligned by festival', () => {
  it("gives each year's 春节 week: this one against last year's, 19 days apart on the calendar", async () => {
    const r = await t.as('CASHIER').ok(
      `{ festivalPeriods(festival: SPRING_FESTIVAL, years: [2025, 2026], daysBefore: 0, daysAfter: 6)
           { year date from to } }`,
    );
    expect(r.festivalPeriods).toEqual([
      { year: 2025, date: '2025-01-29', from: '2025-01-29', to: '2025-02-04' },
      { year: 2026, date: '2026-02-17', from: '2026-02-17', to: '2026-02-23' },
    ]);
  });
});

describe('points rules on the calendar', () => {
  it('doubles points from 3 days before 中秋 to 中秋 itself, on each year’s lunar date', async () => {
    await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1', combine: 'HIGHEST_WINS' });
    await createRule(t, {
      name: '中秋及前三天双倍积分',
      kind: 'MULTIPLIER',
      multiplier: '2',
      festivals: ['MID_AUTUMN'],
      festivalDaysBefore: 3,
      festivalDaysAfter: 0,
    });
    const { memberCode } = await newMember(t);
    const earned = async (occurredAt: string) =>
      (await sell(t, store, memberCode, [{ sku: 'SN-001', quantity: 1, unitPrice: '100.00' }], { occurredAt })).sale
        .points.earned;
    // 中秋 2025 was 6 October; 2024's 17 September (times are noon in Beijing).
    expect(await earned('2025-10-03T04:00:00Z')).toBe(200);
    expect(await earned('2025-10-06T04:00:00Z')).toBe(200);
    expect(await earned('2025-10-07T04:00:00Z')).toBe(100);
    expect(await earned('2025-10-02T04:00:00Z')).toBe(100);
    expect(await earned('2024-09-14T04:00:00Z')).toBe(200);
    expect(await earned('2025-09-14T04:00:00Z')).toBe(100);
    // The business day is the store's: 23:30 on 2 October in Beijing is 15:30 UTC, still the 2nd.
    expect(await earned('2025-10-02T15:30:00Z')).toBe(100);
    expect(await earned('2025-10-02T16:30:00Z')).toBe(200); // 00:30 on the 3rd in Beijing
  });

  it('holds on statutory days off only, not on a 调休 Saturday, and on the store’s 会员日', async () => {
    const holiday = await createRule(t, {
      name: '法定节假日加赠 1 分/元',
      kind: 'BASE_RATE',
      pointsPerYuan: '1',
      combine: 'ADDITIVE',
      statutoryHolidays: true,
    });
    const { memberCode } = await newMember(t);
    const earned = async (occurredAt: string) =>
      (await sell(t, store, memberCode, [{ sku: 'SN-001', quantity: 1, unitPrice: '10.00' }], { occurredAt })).sale
        .points.earned;
    expect(await earned('2026-02-16T04:00:00Z')).toBe(20); // a day off of 春节
    expect(await earned('2026-02-14T04:00:00Z')).toBe(10); // the 调休 Saturday
    await t
      .as('OWNER')
      .ok(`mutation($id: ID!) { updatePointsRule(id: $id, input: { active: false }) { __typename } }`, { id: holiday });

    await createRule(t, {
      name: '会员日加赠',
      kind: 'BASE_RATE',
      pointsPerYuan: '1',
      combine: 'ADDITIVE',
      memberDay: true,
    });
    await t.as('OWNER').ok(
      `mutation($s: ID!) { setStoreCalendar(storeId: $s, input: { memberMonthDays: [8], closedFestivals: [] })
           { __typename } }`,
      { s: store },
    );
    expect(await earned('2026-03-08T04:00:00Z')).toBe(20);
    expect(await earned('2026-03-09T04:00:00Z')).toBe(10);
  });

  it('refuses unknown festivals and out-of-range windows', async () => {
    const r = await t.as('OWNER').ok(
      `mutation { createPointsRule(input: { name: "x", kind: MULTIPLIER, multiplier: "2", festivals: ["HALLOWEEN"] })
           { __typename ... on UserError { errorCode } } }`,
    );
    expect(r.createPointsRule).toEqual({ __typename: 'InvalidInputError', errorCode: 'INVALID_POINTS_RULE' });
    const r2 = await t.as('OWNER').ok(
      `mutation { createPointsRule(input: { name: "x", kind: MULTIPLIER, multiplier: "2", festivals: ["QIXI"],
           festivalDaysBefore: 400 }) { __typename ... on UserError { errorCode } } }`,
    );
    expect(r2.createPointsRule.errorCode).toBe('INVALID_POINTS_RULE');
  });
});
