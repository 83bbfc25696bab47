import { getRefFromModel } from '@pothos/plugin-prisma';
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { actorOfContext, audit } from '../../src/audit/service.ts';
import type { Context } from '../../src/contract.ts';
import { AccessError, InvalidInputError, NotFoundError } from '../../src/errors/index.ts';
import { USER_ERRORS } from '../../src/errors/types.ts';
import { runInTransaction } from '../../src/events/transaction.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { InteractionKind } from '../../src/generated/prisma/enums.ts';
import { idOfType, NIL_UUID } from '../../src/db/ids.ts';
import { loadVisible, WORK } from './visible.ts';
import type { Builder } from '../../src/schema/builder.ts';
import {
  APPOINTMENT_COLUMNS,
  APPOINTMENT_STATUSES,
  type AppointmentRow,
  bookAppointment,
  settleAppointment,
} from './appointments.ts';
import {
  createTask,
  finishTask,
  lockTask,
  RULE_COLUMNS,
  type RuleRow,
  TASK_COLUMNS,
  TASK_KINDS,
  TASK_STATUSES,
  type TaskRow,
} from './followups.ts';

/** Follow-up tasks (客户跟进) and service appointments: GraphQL. */
export function addWorkTypes(builder: Builder) {
  const StaffRef = getRefFromModel('Staff', builder);
  const CustomerRef = getRefFromModel('Customer', builder);
  const StoreRef = getRefFromModel('Store', builder);
  const TaskKindEnum = builder.enumType('FollowUpTaskKind', {
    description:
      'CALL_BACK 回访, AFTER_SALES_CHECK 售后回访 (created by a rule after a sale), BIRTHDAY_CALL 生日关怀, OTHER.',
    values: TASK_KINDS,
  });
  const TaskStatusEnum = builder.enumType('FollowUpTaskStatus', { values: TASK_STATUSES });
  const DueEnum = builder.enumType('FollowUpDue', {
    description: "TODAY: due today (the store's day); OVERDUE: open and due before today; UPCOMING: after today.",
    values: ['TODAY', 'OVERDUE', 'UPCOMING', 'ANY'] as const,
  });
  const AppointmentStatusEnum = builder.enumType('AppointmentStatus', { values: APPOINTMENT_STATUSES });

  const staff = (ctx: Context, id: string | null) => (id ? ctx.db.staff.findUnique({ where: { id } }) : null);
  const customerOf = async (ctx: Context, id: string) => ctx.db.customer.findUnique({ where: { id } });
  const storeOf = async (ctx: Context, id: string) => (await ctx.db.store.findUnique({ where: { id } }))!;

  const TaskRef = builder.objectRef<TaskRow>('FollowUpTask');
  builder.node(TaskRef, {
    description: 'A follow-up for staff: call a customer back, check after a sale, a birthday call.',
    id: { resolve: (t) => t.id },
    loadMany: (ids, ctx: Context) =>
      loadVisible<TaskRow>(ctx, ids, Prisma.sql`SELECT ${TASK_COLUMNS} FROM "FollowUpTask"`),
    fields: (t) => ({
      kind: t.field({ type: TaskKindEnum, resolve: (r) => r.kind }),
      status: t.field({ type: TaskStatusEnum, resolve: (r) => r.status }),
      dueDate: t.field({ type: 'Date', description: "The store's day it is due.", resolve: (r) => r.dueDate }),
      note: t.string({ resolve: (r) => r.note }),
      customer: t.field({ type: CustomerRef, nullable: true, resolve: (r, _a, ctx) => customerOf(ctx, r.customerId) }),
      store: t.field({ type: StoreRef, resolve: (r, _a, ctx) => storeOf(ctx, r.storeId) }),
      assignee: t.field({ type: StaffRef, nullable: true, resolve: (r, _a, ctx) => staff(ctx, r.assigneeId) }),
      completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.completedAt }),
      completedBy: t.field({ type: StaffRef, nullable: true, resolve: (r, _a, ctx) => staff(ctx, r.completedById) }),
      loggedInteraction: t.boolean({
        description: 'Completing it logged an interaction on the customer’s record.',
        resolve: (r) => !!r.interactionId,
      }),
      createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    }),
  });

  const AppointmentRef = builder.objectRef<AppointmentRow>('ServiceAppointment');
  builder.node(AppointmentRef, {
    description: 'A customer booked with a staff member and/or a service resource of a store, for a time slot.',
    id: { resolve: (a) => a.id },
    loadMany: (ids, ctx: Context) =>
      loadVisible<AppointmentRow>(ctx, ids, Prisma.sql`SELECT ${APPOINTMENT_COLUMNS} FROM "ServiceAppointment"`),
    fields: (t) => ({
      status: t.field({ type: AppointmentStatusEnum, resolve: (a) => a.status }),
      startsAt: t.field({ type: 'DateTime', resolve: (a) => a.startsAt }),
      endsAt: t.field({ type: 'DateTime', resolve: (a) => a.endsAt }),
      resource: t.string({
        nullable: true,
        description: 'A service resource: 维修台 1, 试衣间 A.',
        resolve: (a) => a.resource,
      }),
      note: t.string({ resolve: (a) => a.note }),
      customer: t.field({ type: CustomerRef, nullable: true, resolve: (a, _a, ctx) => customerOf(ctx, a.customerId) }),
      store: t.field({ type: StoreRef, resolve: (a, _a, ctx) => storeOf(ctx, a.storeId) }),
      staff: t.field({ type: StaffRef, nullable: true, resolve: (a, _a, ctx) => staff(ctx, a.staffId) }),
      reminderSentAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.reminderSentAt }),
    }),
  });

  const RuleRef = builder.objectRef<RuleRow>('FollowUpRule').implement({
    description:
      'Creates an AFTER_SALES_CHECK task for the store daysAfter days after a customer’s sale in a category.',
    fields: (t) => ({
      category: t.string({ resolve: (r) => r.category }),
      daysAfter: t.int({ resolve: (r) => r.daysAfter }),
      note: t.string({ resolve: (r) => r.note }),
      active: t.boolean({ resolve: (r) => r.active }),
    }),
  });

  const TaskInput = builder.inputType('CreateFollowUpTaskInput', {
    fields: (t) => ({
      kind: t.field({ type: TaskKindEnum, required: true }),
      customerId: t.globalID({ required: true }),
      storeId: t.globalID({ required: true }),
      assigneeId: t.globalID({ description: 'A staff member of the store; none: the store’s.' }),
      dueDate: t.field({ type: 'Date', required: true }),
      note: t.string({ description: 'At most 1000 characters.' }),
      ticketId: t.globalID({ description: 'The ticket it follows up.' }),
    }),
  });
  const InteractionInput = builder.inputType('FollowUpInteractionInput', {
    fields: (t) => ({
      kind: t.field({ type: 'InteractionKind' as never, required: true }),
      summary: t.string({ required: true, description: 'At most 1000 characters.' }),
    }),
  });
  const AppointmentInput = builder.inputType('BookAppointmentInput', {
    fields: (t) => ({
      customerId: t.globalID({ required: true }),
      storeId: t.globalID({ required: true }),
      staffId: t.globalID({ description: 'The staff member booked (of the store).' }),
      resource: t.string({ description: 'The service resource booked (at most 60 characters).' }),
      startsAt: t.field({ type: 'DateTime', required: true }),
      endsAt: t.field({ type: 'DateTime', required: true, description: '5 minutes to 12 hours after startsAt.' }),
      note: t.string(),
      ticketId: t.globalID(),
    }),
  });
  const RuleInput = builder.inputType('FollowUpRuleInput', {
    fields: (t) => ({
      category: t.string({ required: true }),
      daysAfter: t.int({ required: true, description: '0 to 366.' }),
      note: t.string({ description: 'What to check, shown on each task.' }),
    }),
  });

  const taskList = (
    ctx: Context,
    filter: { storeIds: string[]; assigneeId: string | null; due: string; status: string[] },
    limit: number,
    offset: number,
  ) => {
    // "Today" is each store's day: a task is due today when its date is the store's date now.
    const today = Prisma.sql`(SELECT (now() AT TIME ZONE s.timezone)::date FROM "Store" s WHERE s.id = t."storeId")`;
    const due =
      filter.due === 'TODAY'
        ? Prisma.sql`t."dueDate" = ${today}`
        : filter.due === 'OVERDUE'
          ? Prisma.sql`t."dueDate" < ${today} AND t.status = 'OPEN'`
          : filter.due === 'UPCOMING'
            ? Prisma.sql`t."dueDate" > ${today}`
            : Prisma.sql`true`;
    return ctx.db.$queryRaw<TaskRow[]>`
      SELECT ${TASK_COLUMNS} FROM "FollowUpTask" t
      WHERE t."storeId" = ANY (${filter.storeIds}::uuid[]) AND ${due}
        AND (${filter.assigneeId === null}::boolean OR t."assigneeId" = ${filter.assigneeId ?? NIL_UUID}::uuid)
        AND (${filter.status.length === 0}::boolean OR t.status = ANY (${filter.status}::text[]))
      ORDER BY t."dueDate", t."createdAt", t.id LIMIT ${limit} OFFSET ${offset}`;
  };

  builder.queryFields((t) => ({
    myFollowUpTasks: t.connection({
      type: TaskRef,
      description: 'The caller’s own open tasks: due today (the default), overdue or upcoming, earliest first.',
      authScopes: { permission: WORK },
      args: { due: t.arg({ type: DueEnum, defaultValue: 'TODAY' }) },
      resolve: (_r, args, ctx) => {
        if (!ctx.auth.staffId) return resolveOffsetConnection({ args }, async () => []);
        return resolveOffsetConnection({ args, defaultSize: 50, maxSize: 200 }, ({ limit, offset }) =>
          taskList(
            ctx,
            {
              storeIds: ctx.auth.storesWith(WORK),
              assigneeId: ctx.auth.staffId,
              due: args.due ?? 'TODAY',
              status: ['OPEN'],
            },
            limit,
            offset,
          ),
        );
      },
    }),
    followUpTasks: t.connection({
      type: TaskRef,
      description: 'Tasks of the stores where the caller holds ticketing:work, per staff member or store.',
      authScopes: { permission: WORK },
      args: {
        storeId: t.arg.globalID(),
        assigneeId: t.arg.globalID(),
        due: t.arg({ type: DueEnum, defaultValue: 'ANY' }),
        status: t.arg({ type: [TaskStatusEnum] }),
      },
      resolve: (_r, args, ctx) => {
        let storeIds = ctx.auth.storesWith(WORK);
        if (args.storeId) storeIds = storeIds.filter((s) => s === args.storeId!.id);
        return resolveOffsetConnection({ args, defaultSize: 50, maxSize: 200 }, ({ limit, offset }) =>
          taskList(
            ctx,
            {
              storeIds,
              assigneeId: args.assigneeId ? idOfType(args.assigneeId, 'Staff') : null,
              due: args.due ?? 'ANY',
              status: (args.status as string[] | null | undefined) ?? [],
            },
            limit,
            offset,
          ),
        );
      },
    }),
    followUpRules: t.field({
      type: [RuleRef],
      authScopes: { permission: WORK },
      resolve: (_r, _a, ctx) =>
        ctx.db.$queryRaw<RuleRow[]>`SELECT ${RULE_COLUMNS} FROM "FollowUpRule" ORDER BY "createdAt" LIMIT 200`,
    }),
    serviceAppointments: t.connection({
      type: AppointmentRef,
      description: 'Appointments of a store starting in [from, to) (at most 92 days), earliest first.',
      authScopes: { permission: WORK },
      args: {
        storeId: t.arg.globalID({ required: true }),
        from: t.arg({ type: 'DateTime', required: true }),
        to: t.arg({ type: 'DateTime', required: true }),
        staffId: t.arg.globalID(),
        status: t.arg({ type: [AppointmentStatusEnum] }),
      },
      resolve: (_r, args, ctx) => {
        const storeId = idOfType(args.storeId, 'Store');
        if (!ctx.auth.can(WORK, storeId)) throw new AccessError('FORBIDDEN');
        if (args.to <= args.from || args.to.getTime() - args.from.getTime() > 92 * 86_400_000)
          throw new InvalidInputError('INVALID_INPUT', { detail: 'to: after from, at most 92 days' }, ['to']);
        const statuses = (args.status as string[] | null | undefined) ?? [];
        const staffId = args.staffId ? idOfType(args.staffId, 'Staff') : null;
        return resolveOffsetConnection(
          { args, defaultSize: 50, maxSize: 200 },
          ({ limit, offset }) =>
            ctx.db.$queryRaw<AppointmentRow[]>`
            SELECT ${APPOINTMENT_COLUMNS} FROM "ServiceAppointment"
            WHERE "storeId" = ${storeId}::uuid AND "startsAt" >= ${args.from} AND "startsAt" < ${args.to}
              AND (${staffId === null}::boolean OR "staffId" = ${staffId ?? NIL_UUID}::uuid)
              AND (${statuses.length === 0}::boolean OR status = ANY (${statuses}::text[]))
            ORDER BY "startsAt", id LIMIT ${limit} OFFSET ${offset}`,
        );
      },
    }),
  }));

  /** A task the caller may work on, locked; another store's is not found. */
  const visibleTask = async (tx: Prisma.TransactionClient, ctx: Context, id: { typename: string; id: string }) => {
    const task = await lockTask(tx, idOfType(id, 'FollowUpTask'));
    if (!ctx.auth.can(WORK, task.storeId)) throw new NotFoundError('FollowUpTask', id.id, ['id']);
    return task;
  };

  builder.mutationFields((t) => ({
    createFollowUpTask: t.field({
      type: TaskRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: { permission: WORK },
      args: { input: t.arg({ type: TaskInput, required: true }) },
      resolve: (_r, { input }, ctx) => {
        const storeId = idOfType(input.storeId, 'Store');
        if (!ctx.auth.can(WORK, storeId)) throw new AccessError('FORBIDDEN');
        return runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          createTask(
            tx,
            {
              kind: input.kind,
              customerId: idOfType(input.customerId, 'Customer'),
              storeId,
              assigneeId: input.assigneeId ? idOfType(input.assigneeId, 'Staff') : null,
              dueDate: input.dueDate,
              note: input.note ?? '',
              ticketId: input.ticketId ? idOfType(input.ticketId, 'Ticket') : null,
            },
            ctx.auth.staffId,
          ),
        );
      },
    }),
    completeFollowUpTask: t.field({
      type: TaskRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      description: 'Marks an open task done; with `interaction`, logs the contact on the customer’s record.',
      authScopes: { permission: WORK },
      args: { id: t.arg.globalID({ required: true }), interaction: t.arg({ type: InteractionInput }) },
      resolve: (_r, args, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const task = await visibleTask(tx, ctx, args.id);
          const interaction = args.interaction as { kind: InteractionKind; summary: string } | null | undefined;
          return finishTask(tx, task, 'DONE', ctx.auth.staffId, interaction ?? null, new Date());
        }),
    }),
    cancelFollowUpTask: t.field({
      type: TaskRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: { permission: WORK },
      args: { id: t.arg.globalID({ required: true }) },
      resolve: (_r, args, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const task = await visibleTask(tx, ctx, args.id);
          return finishTask(tx, task, 'CANCELLED', ctx.auth.staffId, null, new Date());
        }),
    }),
    createFollowUpRule: t.field({
      type: RuleRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      description: 'An after-sales check rule for the whole chain (ticketing:configure, owners).',
      authScopes: { permission: 'ticketing:configure' },
      args: { input: t.arg({ type: RuleInput, required: true }) },
      resolve: (_r, { input }, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          const category = input.category.trim();
          if (!(await tx.product.count({ where: { category } })))
            throw new InvalidInputError('FOLLOW_UP_INVALID', { field: 'category', detail: 'no product has it' }, [
              'input',
              'category',
            ]);
          if (!Number.isInteger(input.daysAfter) || input.daysAfter < 0 || input.daysAfter > 366)
            throw new InvalidInputError('FOLLOW_UP_INVALID', { field: 'daysAfter', detail: '0–366' }, [
              'input',
              'daysAfter',
            ]);
          const note = (input.note ?? '').trim().slice(0, 200);
          const [rule] = await tx.$queryRaw<RuleRow[]>`
            INSERT INTO "FollowUpRule" (category, "daysAfter", note) VALUES (${category}, ${input.daysAfter}, ${note})
            RETURNING ${RULE_COLUMNS}`;
          await audit(tx, actorOfContext(ctx), {
            operation: 'followUpRule.create',
            entityType: 'FollowUpRule',
            entityId: rule!.id,
            after: rule,
          });
          emit('ticketing.rule.changed', { ruleId: rule!.id });
          return rule!;
        }),
    }),
    bookAppointment: t.field({
      type: AppointmentRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      description:
        'Books a slot; one overlapping a booked slot of the same staff member or resource is refused ' +
        '(APPOINTMENT_OVERLAP), also when two bookings race for it.',
      authScopes: { permission: WORK },
      args: { input: t.arg({ type: AppointmentInput, required: true }) },
      resolve: (_r, { input }, ctx) => {
        const storeId = idOfType(input.storeId, 'Store');
        if (!ctx.auth.can(WORK, storeId)) throw new AccessError('FORBIDDEN');
        return runInTransaction(ctx.db, ctx.app.events, (unit) =>
          bookAppointment(
            unit,
            {
              customerId: idOfType(input.customerId, 'Customer'),
              storeId,
              staffId: input.staffId ? idOfType(input.staffId, 'Staff') : null,
              resource: input.resource ?? null,
              startsAt: input.startsAt,
              endsAt: input.endsAt,
              note: input.note ?? '',
              ticketId: input.ticketId ? idOfType(input.ticketId, 'Ticket') : null,
            },
            ctx.auth.staffId,
            new Date(),
          ),
        );
      },
    }),
    settleAppointment: t.field({
      type: AppointmentRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      description: 'Ends a booked appointment: CANCELLED (frees the slot), DONE or NO_SHOW.',
      authScopes: { permission: WORK },
      args: { id: t.arg.globalID({ required: true }), status: t.arg({ type: AppointmentStatusEnum, required: true }) },
      resolve: (_r, args, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const id = idOfType(args.id, 'ServiceAppointment');
          const [row] = await tx.$queryRaw<{ storeId: string }[]>`
            SELECT "storeId"::text AS "storeId" FROM "ServiceAppointment" WHERE id = ${id}::uuid`;
          if (!row || !ctx.auth.can(WORK, row.storeId))
            throw new NotFoundError('ServiceAppointment', args.id.id, ['id']);
          if (args.status === 'BOOKED')
            throw new InvalidInputError(
              'APPOINTMENT_INVALID',
              { field: 'status', detail: 'CANCELLED, DONE or NO_SHOW' },
              ['status'],
            );
          return settleAppointment(tx, id, args.status);
        }),
    }),
  }));
}
