import { describe, expect, it } from 'vitest';
import { inHoldout, inQuietHours, nextAnniversary, nextMemberDay } from '../../plugins/automation/service.ts';
import { render, unknownVariable } from '../../plugins/automation/templates.ts';
import { CalendarService, DEFAULT_STORE_CALENDAR } from '../../src/calendar/service.ts';

const d = (ymd: string) => new Date(`${ymd}T00:00:00Z`);

describe('message templates', () => {
  it.each([
    ['{name}，生日快乐！', { name: '王芳' }, '王芳，生日快乐！'],
    [
      'Hi {name}, {points} points expire on {date}',
      { name: 'Li', points: 300, date: '2026-12-31' },
      'Hi Li, 300 points expire on 2026-12-31',
    ],
    ['{name} {tier}', { name: '张三' }, '张三 '],
    [
      '{couponTitle}：{coupon}，{couponExpires} 前有效',
      { couponTitle: '满50减10', coupon: 'BACK1', couponExpires: '2026-12-16' },
      '满50减10：BACK1，2026-12-16 前有效',
    ],
    ['{{name}} is literal', { name: 'x' }, '{name}} is literal'],
    // The new triggers' words, as the job fills them for each language.
    [
      '{name}，您已成为我们的{segment}，{date}（{weekday}）起专属回馈已备好',
      { name: '王芳', segment: '重要挽留客户', date: '2026-12-02', weekday: '周三' },
      '王芳，您已成为我们的重要挽留客户，2026-12-02（周三）起专属回馈已备好',
    ],
    [
      '{name}, welcome to our {segment} circle — see you on {weekday}, {date}',
      { name: 'Wang Fang', segment: 'Win back', date: '2026-12-02', weekday: 'Wednesday' },
      'Wang Fang, welcome to our Win back circle — see you on Wednesday, 2026-12-02',
    ],
    [
      '会员日 {date} {weekday}，{store} 全场 9 折',
      { date: '2027-04-30', weekday: '周五', store: '北京三里屯店' },
      '会员日 2027-04-30 周五，北京三里屯店 全场 9 折',
    ],
  ])('%s', (template, values, expected) => expect(render(template, values)).toBe(expected));

  it('names the first placeholder that is not a variable', () => {
    expect(unknownVariable('{name} {姓名}')).toBe('{姓名}');
    expect(unknownVariable('{name} {store} {days} {date} {points} {tier}')).toBeNull();
    expect(unknownVariable('{segment} {weekday} {coupon} {couponTitle} {couponExpires}')).toBeNull();
    expect(unknownVariable('{segmentName}')).toBe('{segmentName}');
    expect(unknownVariable('{{not a placeholder}')).toBeNull();
    expect(unknownVariable('{}')).toBe('{}');
  });
});

describe('anniversaries', () => {
  it.each([
    ['1990-12-05', '2026-12-02', '2026-12-05', 3],
    ['1990-12-02', '2026-12-02', '2026-12-02', 0],
    ['1990-01-10', '2026-12-02', '2027-01-10', 39],
    ['1992-02-29', '2027-02-20', '2027-02-28', 8], // not a leap year: the 28th
    ['1992-02-29', '2028-02-20', '2028-02-29', 9],
  ])('%s seen on %s: next %s in %i days', (date, today, next, days) => {
    const found = nextAnniversary(d(date), d(today));
    expect([found.date.toISOString().slice(0, 10), found.days]).toEqual([next, days]);
  });
});

describe('member days (会员日), from the store calendar', () => {
  const calendar = new CalendarService();
  const store = (memberWeekdays: number[], memberMonthDays: number[], timezone = 'Asia/Shanghai') => ({
    storeId: null,
    timezone,
    ...DEFAULT_STORE_CALENDAR,
    memberWeekdays,
    memberMonthDays,
  });
  // 2026-12-02 is a Wednesday; 02:00 UTC is 10:00 in Beijing.
  const at = new Date('2026-12-02T02:00:00Z');
  it.each([
    ['Wednesdays, on the day', store([3], []), 0, '2026-12-02'],
    ['Thursdays, on the day only', store([4], []), 0, null],
    ['Thursdays, a day ahead', store([4], []), 1, '2026-12-03'],
    ['Mondays, 5 days ahead', store([1], []), 5, '2026-12-07'],
    ['Mondays, 4 days ahead: not yet', store([1], []), 4, null],
    ['the 8th, 18th and 28th, 6 days ahead', store([], [8, 18, 28]), 6, '2026-12-08'],
    ['the 1st, into the next month', store([], [1]), 31, '2027-01-01'],
    ['the 8th or Fridays: the nearer', store([5], [8]), 7, '2026-12-04'],
    ['none set', store([], []), 31, null],
    // Still Tuesday the 1st in Los Angeles: Wednesday is a day ahead there.
    ['Wednesdays in Los Angeles, on the day', store([3], [], 'America/Los_Angeles'), 0, null],
    ['Wednesdays in Los Angeles, a day ahead', store([3], [], 'America/Los_Angeles'), 1, '2026-12-02'],
  ])('%s', (_what, calendarOfStore, days, expected) => {
    expect(nextMemberDay(calendar, calendarOfStore, at, days)).toBe(expected);
  });
});

describe('quiet hours, in the store time zone', () => {
  const beijing = { timezone: 'Asia/Shanghai' };
  const trigger = { quietFrom: '21:00', quietTo: '09:00' };
  it.each([
    ['2026-12-02T13:30:00Z', true], // 21:30 in Beijing
    ['2026-12-02T00:59:00Z', true], // 08:59
    ['2026-12-02T01:00:00Z', false], // 09:00
    ['2026-12-02T12:59:00Z', false], // 20:59
  ])('%s quiet: %s', (at, quiet) => expect(inQuietHours(trigger, beijing, new Date(at))).toBe(quiet));
  it('within a day, and none set', () => {
    expect(inQuietHours({ quietFrom: '12:00', quietTo: '14:00' }, beijing, new Date('2026-12-02T05:00:00Z'))).toBe(
      true,
    );
    expect(inQuietHours({ quietFrom: null, quietTo: null }, beijing, new Date('2026-12-02T13:30:00Z'))).toBe(false);
  });
});

describe('the holdout', () => {
  it('is the same customers every time, about the share asked for', () => {
    const trigger = { id: '0193a000-0000-7000-8000-000000000001', holdoutPercent: 30 };
    const ids = Array.from({ length: 2000 }, (_, i) => `0193a000-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const held = ids.filter((id) => inHoldout(trigger, id));
    expect(ids.filter((id) => inHoldout(trigger, id))).toEqual(held);
    expect(held.length / ids.length).toBeGreaterThan(0.25);
    expect(held.length / ids.length).toBeLessThan(0.35);
    expect(ids.some((id) => inHoldout({ ...trigger, holdoutPercent: 0 }, id))).toBe(false);
  });
});
