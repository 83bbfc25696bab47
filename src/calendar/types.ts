import { InvalidInputError, NotFoundError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { audit, actorOfContext } from '../audit/service.ts';
import type { Builder } from '../schema/builder.ts';
import { FESTIVALS, type FestivalCode, type FestivalDefinition } from './festivals.ts';
import { assertDate, type CalendarDay } from './service.ts';

const toDate = (d: Date) => d.toISOString().slice(0, 10);
const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const minutesOf = (text: string, field: string[]) => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || minutes > 24 * 60)
    throw new InvalidInputError('INVALID_INPUT', { detail: `${field.at(-1)}: HH:MM, 00:00–24:00` }, field);
  return minutes;
};

export function addCalendarTypes(builder: Builder) {
  const FestivalEnum = builder.enumType('Festival', {
    values: Object.fromEntries(
      FESTIVALS.map((f) => [f.code, { value: f.code, description: `${f.name['zh-CN']} · ${f.name.en}` }]),
    ) as unknown as Record<FestivalCode, { value: FestivalCode }>,
    description: 'Festivals the retail calendar knows: lunar ones move with the lunar date every year.',
  });
  const FestivalKindEnum = builder.enumType('FestivalKind', {
    values: ['LUNAR', 'SOLAR_TERM', 'SOLAR', 'SHOPPING'] as const,
  });

  const FestivalDay = builder.objectRef<{ fest: FestivalDefinition; date: string }>('FestivalDay').implement({
    description: 'A festival on its day.',
    fields: (t) => ({
      festival: t.field({ type: FestivalEnum, resolve: (f) => f.fest.code }),
      name: t.string({ resolve: (f, _a, ctx) => f.fest.name[ctx.locale] }),
      kind: t.field({ type: FestivalKindEnum, resolve: (f) => f.fest.kind }),
      date: t.field({ type: 'Date', resolve: (f) => new Date(`${f.date}T00:00:00Z`) }),
    }),
  });

  const Day = builder.objectRef<CalendarDay>('CalendarDay').implement({
    description: 'One day of the retail calendar, for a store (its 会员日, whether it opens) or for the chain.',
    fields: (t) => ({
      date: t.field({ type: 'Date', resolve: (d) => new Date(`${d.date}T00:00:00Z`) }),
      weekday: t.int({ description: 'ISO weekday, 1 = Monday.', resolve: (d) => d.weekday }),
      lunarDate: t.string({
        description: 'As a wall calendar prints it: 八月十五, 闰六月初一.',
        resolve: (d) => d.lunar.text,
      }),
      lunarMonth: t.int({ resolve: (d) => d.lunar.month }),
      lunarDay: t.int({ resolve: (d) => d.lunar.day }),
      leapMonth: t.boolean({ resolve: (d) => d.lunar.leapMonth }),
      festivals: t.field({ type: [FestivalDay], resolve: (d) => d.festivals.map((fest) => ({ fest, date: d.date })) }),
      statutoryHoliday: t.string({
        nullable: true,
        description: 'The statutory holiday this day belongs to (春节, 国庆节…), as a day off or a 调休 working day.',
        resolve: (d) => d.statutory?.name ?? null,
      }),
      dayOff: t.boolean({
        description: 'A statutory day off (法定节假日 or the days added to it).',
        resolve: (d) => !!d.statutory && !d.statutory.work,
      }),
      adjustedWorkingDay: t.boolean({
        description: '调休: a weekend day that is a working day because of a holiday.',
        resolve: (d) => !!d.statutory?.work,
      }),
      workingDay: t.boolean({ description: 'A working day nationally.', resolve: (d) => d.workingDay }),
      statutoryKnown: t.boolean({
        description:
          "False when this year's holidays are not published (or not yet added here): weekends are then assumed.",
        resolve: (d) => d.statutoryKnown,
      }),
      memberDay: t.boolean({ description: "The store's 会员日 (false without a store).", resolve: (d) => d.memberDay }),
      storeOpen: t.boolean({ description: 'The store opens (true without a store).', resolve: (d) => d.storeOpen }),
    }),
  });

  const Period = builder.simpleObject('CalendarPeriod', {
    fields: (t) => ({
      days: t.field({ type: [Day] }),
      festivals: t.field({ type: [FestivalDay], description: 'The festivals of the period in date order.' }),
      statutoryKnownThrough: t.int({ description: 'The last year whose statutory holidays are known here.' }),
    }),
  });

  const FestivalPeriod = builder.simpleObject('FestivalPeriod', {
    description: "A festival's window in one year: compare the same festival across years whatever its solar date.",
    fields: (t) => ({
      festival: t.field({ type: FestivalEnum }),
      year: t.int(),
      date: t.field({ type: 'Date' }),
      from: t.field({ type: 'Date' }),
      to: t.field({ type: 'Date' }),
    }),
  });

  const StoreCalendarRef = builder.simpleObject('StoreCalendar', {
    description: "A store's own calendar: 会员日, opening hours and the days it closes.",
    fields: (t) => ({
      memberMonthDays: t.intList({ description: '会员日 as days of the month.' }),
      memberWeekdays: t.intList({ description: '会员日 as ISO weekdays (1 = Monday).' }),
      opensAt: t.string({ description: 'HH:MM in the store’s time zone.' }),
      closesAt: t.string(),
      closedOnStatutoryHolidays: t.boolean(),
      closedFestivals: t.field({ type: [FestivalEnum] }),
      closedDates: t.field({ type: ['Date'] }),
    }),
  });

  builder.prismaObjectField('Store', 'calendar', (t) =>
    t.field({
      type: StoreCalendarRef,
      resolve: async (store, _a, ctx) => {
        const c = await ctx.app.calendar.storeCalendar(ctx.db, store.id);
        return {
          memberMonthDays: c.memberMonthDays,
          memberWeekdays: c.memberWeekdays,
          opensAt: hhmm(c.opensAt),
          closesAt: hhmm(c.closesAt),
          closedOnStatutoryHolidays: c.closedOnStatutoryHolidays,
          closedFestivals: c.closedFestivals,
          closedDates: c.closedDates.map((d) => new Date(`${d}T00:00:00Z`)),
        };
      },
    }),
  );

  builder.queryFields((t) => ({
    calendar: t.field({
      type: Period,
      description:
        'The retail calendar for a period (at most 366 days): lunar dates, festivals, statutory holidays and 调休 ' +
        'working days, and with a store its 会员日 and the days it closes.',
      authScopes: { signedIn: true },
      args: {
        from: t.arg({ type: 'Date', required: true }),
        to: t.arg({ type: 'Date', required: true }),
        storeId: t.arg.globalID(),
      },
      resolve: async (_root, args, ctx) => {
        const store = args.storeId ? await ctx.app.calendar.storeCalendar(ctx.db, args.storeId.id) : null;
        if (args.storeId && !(await ctx.db.store.findUnique({ where: { id: args.storeId.id }, select: { id: true } })))
          throw new NotFoundError('Store', args.storeId.id, ['storeId']);
        const days = ctx.app.calendar.days(toDate(args.from), toDate(args.to), store);
        return {
          days,
          festivals: days.flatMap((d) => d.festivals.map((fest) => ({ fest, date: d.date }))),
          statutoryKnownThrough: ctx.app.calendar.statutoryKnownThrough(),
        };
      },
    }),
    festivalPeriods: t.field({
      type: [FestivalPeriod],
      description:
        'A festival\'s window in each of several years ("this 春节 week vs last": daysBefore 0, daysAfter 6), for ' +
        'comparisons aligned by festival.',
      authScopes: { signedIn: true },
      args: {
        festival: t.arg({ type: FestivalEnum, required: true }),
        years: t.arg.intList({ required: true }),
        daysBefore: t.arg.int({ defaultValue: 0 }),
        daysAfter: t.arg.int({ defaultValue: 0 }),
      },
      resolve: (_root, args, ctx) => {
        const before = args.daysBefore ?? 0;
        const after = args.daysAfter ?? 0;
        if (args.years.length > 20 || before < 0 || after < 0 || before > 60 || after > 60)
          throw new InvalidInputError('INVALID_INPUT', { detail: 'at most 20 years, 0–60 days before and after' }, [
            'years',
          ]);
        for (const y of args.years) assertDate(`${String(y).padStart(4, '0')}-01-01`, ['years']);
        const day = (d: string) => new Date(`${d}T00:00:00Z`);
        return ctx.app.calendar
          .festivalPeriods(args.festival as FestivalCode, args.years, before, after)
          .map((p) => ({ festival: p.festival, year: p.year, date: day(p.date), from: day(p.from), to: day(p.to) }));
      },
    }),
  }));

  builder.queryFields((t) => ({
    businessTimeAfter: t.field({
      type: 'DateTime',
      description:
        "The moment `minutes` of a store's opening time after `from`: nights and the days it closes do not " +
        'count (ticket SLAs, appointments).',
      authScopes: { signedIn: true },
      args: {
        storeId: t.arg.globalID({ required: true }),
        from: t.arg({ type: 'DateTime', required: true }),
        minutes: t.arg.int({ required: true, description: '0 to 100,000.' }),
      },
      resolve: async (_root, args, ctx) => {
        if (args.minutes < 0 || args.minutes > 100_000)
          throw new InvalidInputError('INVALID_INPUT', { detail: 'minutes: 0–100000' }, ['minutes']);
        if (!(await ctx.db.store.findUnique({ where: { id: args.storeId.id }, select: { id: true } })))
          throw new NotFoundError('Store', args.storeId.id, ['storeId']);
        const store = await ctx.app.calendar.storeCalendar(ctx.db, args.storeId.id);
        try {
          return ctx.app.calendar.addBusinessMinutes(args.from, args.minutes, store);
        } catch (error) {
          if (error instanceof RangeError)
            throw new InvalidInputError('INVALID_INPUT', { detail: error.message }, ['minutes']);
          throw error;
        }
      },
    }),
  }));

  const StoreCalendarInput = builder.inputType('StoreCalendarInput', {
    description: 'Every field given replaces the stored one; fields left out keep theirs.',
    fields: (t) => ({
      memberMonthDays: t.intList({ description: '会员日 as days of the month (1–31), e.g. [8, 18, 28].' }),
      memberWeekdays: t.intList({ description: '会员日 as ISO weekdays (1–7).' }),
      opensAt: t.string({ description: 'HH:MM, store time.' }),
      closesAt: t.string({ description: 'HH:MM, store time; after opensAt.' }),
      closedOnStatutoryHolidays: t.boolean(),
      closedFestivals: t.field({ type: [FestivalEnum] }),
      closedDates: t.field({ type: ['Date'], description: 'At most 366 dates.' }),
    }),
  });

  builder.mutationFields((t) => ({
    setStoreCalendar: t.field({
      type: StoreCalendarRef,
      description: "Sets a store's 会员日, opening hours and closing days (managers of the store, owners).",
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'marketing:manage' } }),
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { storeId: t.arg.globalID({ required: true }), input: t.arg({ type: StoreCalendarInput, required: true }) },
      resolve: async (_root, { storeId, input }, ctx) => {
        const check = (values: number[] | null | undefined, min: number, max: number, field: string) => {
          if (values && (values.length > 31 || values.some((v) => v < min || v > max)))
            throw new InvalidInputError('INVALID_INPUT', { detail: `${field}: ${min}–${max}` }, ['input', field]);
          return values ? [...new Set(values)].sort((a, b) => a - b) : undefined;
        };
        const data = {
          memberMonthDays: check(input.memberMonthDays, 1, 31, 'memberMonthDays'),
          memberWeekdays: check(input.memberWeekdays, 1, 7, 'memberWeekdays'),
          opensAt: input.opensAt ? minutesOf(input.opensAt, ['input', 'opensAt']) : undefined,
          closesAt: input.closesAt ? minutesOf(input.closesAt, ['input', 'closesAt']) : undefined,
          closedOnStatutoryHolidays: input.closedOnStatutoryHolidays ?? undefined,
          closedFestivals: input.closedFestivals ? [...new Set(input.closedFestivals as string[])] : undefined,
          closedDates: input.closedDates ?? undefined,
        };
        if (data.closedDates && data.closedDates.length > 366)
          throw new InvalidInputError('INVALID_INPUT', { detail: 'closedDates: at most 366' }, [
            'input',
            'closedDates',
          ]);
        await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          const store = await tx.store.findUnique({ where: { id: storeId.id }, select: { id: true } });
          if (!store) throw new NotFoundError('Store', storeId.id, ['storeId']);
          const saved = await tx.storeCalendar.upsert({
            where: { storeId: storeId.id },
            create: {
              storeId: storeId.id,
              ...data,
              memberMonthDays: data.memberMonthDays ?? [],
              memberWeekdays: data.memberWeekdays ?? [],
            },
            update: data,
          });
          if (saved.closesAt <= saved.opensAt)
            throw new InvalidInputError('INVALID_INPUT', { detail: 'closesAt must be after opensAt' }, [
              'input',
              'closesAt',
            ]);
          await audit(tx, actorOfContext(ctx), {
            operation: 'store.calendar.set',
            entityType: 'Store',
            entityId: storeId.id,
            storeId: storeId.id,
            after: saved,
          });
          emit('store.changed', { storeId: storeId.id });
        });
        const c = await ctx.app.calendar.storeCalendar(ctx.db, storeId.id);
        return {
          memberMonthDays: c.memberMonthDays,
          memberWeekdays: c.memberWeekdays,
          opensAt: hhmm(c.opensAt),
          closesAt: hhmm(c.closesAt),
          closedOnStatutoryHolidays: c.closedOnStatutoryHolidays,
          closedFestivals: c.closedFestivals,
          closedDates: c.closedDates.map((d) => new Date(`${d}T00:00:00Z`)),
        };
      },
    }),
  }));
}
