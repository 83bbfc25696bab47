import { getRefFromModel } from '@pothos/plugin-prisma';
import { resolveCursorConnection } from '@pothos/plugin-relay';
import { actorOfContext, audit } from '../../src/audit/service.ts';
import type { Context } from '../../src/contract.ts';
import { AccessError, InvalidInputError, NotFoundError } from '../../src/errors/index.ts';
import { USER_ERRORS } from '../../src/errors/types.ts';
import { filterAsync } from '../../src/events/filter.ts';
import { runInTransaction } from '../../src/events/transaction.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { idOfType, NIL_UUID } from '../../src/db/ids.ts';
import type { Builder } from '../../src/schema/builder.ts';
import { requestLoader } from '../../src/schema/loaders.ts';
import {
  checkAttachments,
  ENTRY_COLUMNS,
  SURVEY_COLUMNS,
  TICKET_COLUMNS,
  type Attachment,
  type EntryRow,
  type SurveyRow,
  type TicketRow,
  type TicketService,
} from './service.ts';
import type { QualityRow } from './quality.ts';
import { loadVisible, WORK } from './visible.ts';
import { addWorkTypes } from './work-types.ts';
import {
  ENTRY_KINDS,
  TICKET_CHANNELS,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  TICKET_TYPES,
  type TicketStatus,
} from './workflow.ts';

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const minutesOf = (value: string, field: string[]) => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(value.trim());
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || minutes > 24 * 60)
    throw new InvalidInputError('INVALID_INPUT', { detail: `${field.at(-1)}: HH:MM, 00:00–24:00` }, field);
  return minutes;
};

export function addTicketTypes(builder: Builder, service: TicketService) {
  const TypeEnum = builder.enumType('TicketType', {
    description: 'COMPLAINT 投诉, INQUIRY 咨询, AFTER_SALES 售后/维修, RETURN_REQUEST 退换货申请, FEEDBACK 建议反馈.',
    values: TICKET_TYPES,
  });
  const StatusEnum = builder.enumType('TicketStatus', {
    description:
      'OPEN → IN_PROGRESS → WAITING_ON_CUSTOMER → RESOLVED → CLOSED; a resolved or closed ticket goes back to ' +
      'IN_PROGRESS (reopened) within the plugin’s reopenDays.',
    values: TICKET_STATUSES,
  });
  const PriorityEnum = builder.enumType('TicketPriority', { values: TICKET_PRIORITIES });
  const ChannelEnum = builder.enumType('TicketChannel', {
    description: 'How the ticket came in.',
    values: TICKET_CHANNELS,
  });
  const EntryKindEnum = builder.enumType('TicketEntryKind', {
    description:
      'CREATED, COMMENT (customer-facing), INTERNAL_NOTE (staff only), STATUS_CHANGE, ASSIGNMENT, ESCALATION ' +
      '(an SLA breach escalated to the store manager; internal).',
    values: ENTRY_KINDS,
  });

  const StaffRef = getRefFromModel('Staff', builder);
  const CustomerRef = getRefFromModel('Customer', builder);
  const StoreRef = getRefFromModel('Store', builder);
  const SaleRef = getRefFromModel('Sale', builder);

  const staff = (ctx: Context, id: string | null) =>
    id
      ? requestLoader(ctx, 'ticketing.staff', async (ids) => {
          const rows = await ctx.db.staff.findMany({ where: { id: { in: [...ids] } } });
          return new Map(rows.map((r) => [r.id, r]));
        }).load(id)
      : null;

  const Attachment = builder.objectRef<Attachment>('TicketAttachment').implement({
    description: 'A file kept elsewhere (the merchant’s storage), by reference: the API stores no files.',
    fields: (t) => ({
      url: t.string({ resolve: (a) => a.url }),
      sha256: t.string({ description: 'Hex sha256 of the file, to check what is fetched.', resolve: (a) => a.sha256 }),
      name: t.string({ nullable: true, resolve: (a) => a.name }),
      contentType: t.string({ nullable: true, resolve: (a) => a.contentType }),
      sizeBytes: t.int({ nullable: true, resolve: (a) => a.sizeBytes }),
    }),
  });

  const Entry = builder.objectRef<EntryRow>('TicketEntry').implement({
    description: 'One line of a ticket’s timeline, in the order written.',
    fields: (t) => ({
      kind: t.field({ type: EntryKindEnum, resolve: (e) => e.kind }),
      internal: t.boolean({
        description: 'Staff only: never shown to API keys (integrations) nor sent in events.',
        resolve: (e) => e.internal,
      }),
      author: t.field({ type: StaffRef, nullable: true, resolve: (e, _a, ctx) => staff(ctx, e.authorId) }),
      body: t.string({ resolve: (e) => e.body }),
      fromStatus: t.field({ type: StatusEnum, nullable: true, resolve: (e) => e.fromStatus }),
      toStatus: t.field({ type: StatusEnum, nullable: true, resolve: (e) => e.toStatus }),
      assignee: t.field({
        type: StaffRef,
        nullable: true,
        description: 'ASSIGNMENT: the new assignee (null: unassigned). ESCALATION: the manager escalated to.',
        resolve: (e, _a, ctx) => staff(ctx, e.assigneeId),
      }),
      attachments: t.field({ type: [Attachment], resolve: (e) => e.attachments }),
      createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    }),
  });

  const Survey = builder.objectRef<SurveyRow>('TicketSurvey').implement({
    description: 'The satisfaction survey of a resolution (CSAT 1–5).',
    fields: (t) => ({
      expiresAt: t.field({ type: 'DateTime', resolve: (s) => s.expiresAt }),
      answeredAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.answeredAt }),
      score: t.int({ nullable: true, resolve: (s) => s.score }),
      comment: t.string({ nullable: true, resolve: (s) => s.comment }),
      createdAt: t.field({ type: 'DateTime', resolve: (s) => s.createdAt }),
    }),
  });

  const TicketRef = builder.objectRef<TicketRow>('Ticket');
  builder.node(TicketRef, {
    description:
      'A customer-service ticket (工单): a complaint, inquiry, after-sales case, return request or feedback. ' +
      'Seen by those who hold ticketing:work in its store.',
    id: { resolve: (t) => t.id },
    loadMany: (ids, ctx: Context) =>
      loadVisible<TicketRow>(ctx, ids, Prisma.sql`SELECT ${TICKET_COLUMNS} FROM "Ticket"`),
    fields: (t) => ({
      number: t.int({ description: 'Ticket number, for people (T + number).', resolve: (r) => r.number }),
      type: t.field({ type: TypeEnum, resolve: (r) => r.type }),
      channel: t.field({ type: ChannelEnum, resolve: (r) => r.channel }),
      status: t.field({ type: StatusEnum, resolve: (r) => r.status }),
      priority: t.field({ type: PriorityEnum, resolve: (r) => r.priority }),
      subject: t.string({ resolve: (r) => r.subject }),
      description: t.string({ resolve: (r) => r.description }),
      customer: t.field({
        type: CustomerRef,
        nullable: true,
        resolve: (r, _a, ctx) => ctx.db.customer.findUnique({ where: { id: r.customerId } }),
      }),
      store: t.field({
        type: StoreRef,
        resolve: async (r, _a, ctx) => (await ctx.db.store.findUnique({ where: { id: r.storeId } }))!,
      }),
      sale: t.field({
        type: SaleRef,
        nullable: true,
        description: 'The related sale, for those who may read its store’s sales.',
        resolve: async (r, _a, ctx) => {
          if (!r.saleId) return null;
          const sale = await ctx.db.sale.findUnique({ where: { id: r.saleId } });
          return sale && ctx.auth.can('sale:read', sale.storeId) ? sale : null;
        },
      }),
      saleLineNos: t.intList({
        description: 'The lines of the sale it is about (none: the whole sale).',
        resolve: (r) => r.saleLineNos,
      }),
      assignee: t.field({ type: StaffRef, nullable: true, resolve: (r, _a, ctx) => staff(ctx, r.assigneeId) }),
      createdBy: t.field({ type: StaffRef, nullable: true, resolve: (r, _a, ctx) => staff(ctx, r.createdById) }),
      dueAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When it must be resolved: the SLA’s minutes for its type and priority, in service hours.',
        resolve: (r) => r.dueAt,
      }),
      breached: t.boolean({ description: 'It passed its due time unresolved.', resolve: (r) => !!r.breachedAt }),
      breachedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.breachedAt }),
      escalatedTo: t.field({
        type: StaffRef,
        nullable: true,
        description: 'The store manager it was escalated to on breach.',
        resolve: (r, _a, ctx) => staff(ctx, r.escalatedToId),
      }),
      firstResponseAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.firstResponseAt }),
      resolvedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.resolvedAt }),
      closedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.closedAt }),
      reopenableUntil: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'Until when a resolved or closed ticket may be reopened.',
        resolve: (r) =>
          r.resolvedAt ? new Date(r.resolvedAt.getTime() + service.options.reopenDays * 86_400_000) : null,
      }),
      reopenCount: t.int({ resolve: (r) => r.reopenCount }),
      createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
      updatedAt: t.field({ type: 'DateTime', resolve: (r) => r.updatedAt }),
      timeline: t.field({
        type: [Entry],
        description:
          'Everything that happened, oldest first (at most 500 entries). Internal notes and escalations only with ' +
          'includeInternal, and only for signed-in staff: an API key (an integration, which may face the customer) ' +
          'never receives them.',
        args: { includeInternal: t.arg.boolean({ defaultValue: false }) },
        resolve: (r, { includeInternal }, ctx) => {
          const internal = !!includeInternal && ctx.auth.kind === 'staff';
          return ctx.db.$queryRaw<EntryRow[]>`
            SELECT ${ENTRY_COLUMNS} FROM "TicketEntry"
            WHERE "ticketId" = ${r.id}::uuid AND (${internal} OR NOT internal) ORDER BY seq LIMIT 500`;
        },
      }),
      survey: t.field({
        type: Survey,
        nullable: true,
        description: 'The survey of the latest resolution.',
        resolve: async (r, _a, ctx) => {
          const [s] = await ctx.db.$queryRaw<SurveyRow[]>`
            SELECT ${SURVEY_COLUMNS} FROM "TicketSurvey" WHERE "ticketId" = ${r.id}::uuid
            ORDER BY "createdAt" DESC, id DESC LIMIT 1`;
          return s ?? null;
        },
      }),
    }),
  });

  /** A ticket the caller may work on, locked; one they may not see is not found. */
  const lockVisible = async (tx: Prisma.TransactionClient, ctx: Context, id: { typename: string; id: string }) => {
    const rawId = idOfType(id, 'Ticket');
    const [exists] = await tx.$queryRaw<{ storeId: string }[]>`
      SELECT "storeId"::text AS "storeId" FROM "Ticket" WHERE id = ${rawId}::uuid`;
    if (!exists || !ctx.auth.can(WORK, exists.storeId)) throw new NotFoundError('Ticket', id.id, ['id']);
    return service.lock(tx, rawId);
  };

  const TicketInput = builder.inputType('CreateTicketInput', {
    fields: (t) => ({
      type: t.field({ type: TypeEnum, required: true }),
      channel: t.field({ type: ChannelEnum, required: true }),
      priority: t.field({ type: PriorityEnum, defaultValue: 'NORMAL' }),
      customerId: t.globalID({ required: true }),
      storeId: t.globalID({ required: true }),
      saleId: t.globalID({ description: 'The sale it is about (the customer’s).' }),
      saleLineNos: t.intList({ description: 'Lines of that sale (at most 50).' }),
      subject: t.string({ required: true, description: 'At most 200 characters.' }),
      description: t.string({ description: 'At most 5000 characters.' }),
      assigneeId: t.globalID({ description: 'A staff member of the store.' }),
    }),
  });
  const AttachmentInput = builder.inputType('TicketAttachmentInput', {
    fields: (t) => ({
      url: t.string({ required: true, description: 'http(s), at most 2000 characters.' }),
      sha256: t.string({ required: true, description: '64 hex digits.' }),
      name: t.string(),
      contentType: t.string(),
      sizeBytes: t.int(),
    }),
  });
  const CommentInput = builder.inputType('TicketCommentInput', {
    fields: (t) => ({
      body: t.string({ required: true, description: 'At most 5000 characters; may be empty with attachments.' }),
      internal: t.boolean({ defaultValue: false, description: 'An internal note: staff only.' }),
      attachments: t.field({ type: [AttachmentInput], description: 'At most 10, by reference.' }),
    }),
  });

  const StatusPayload = builder.simpleObject('ChangeTicketStatusPayload', {
    fields: (t) => ({
      ticket: t.field({ type: TicketRef }),
      surveyToken: t.string({
        nullable: true,
        description:
          'On RESOLVED: the satisfaction survey token, shown only here. Send it to the customer (a link with it); ' +
          'they answer with answerTicketSurvey, without signing in.',
      }),
    }),
  });
  const CommentPayload = builder.simpleObject('AddTicketCommentPayload', {
    fields: (t) => ({ ticket: t.field({ type: TicketRef }), entry: t.field({ type: Entry }) }),
  });
  const SurveyAnswer = builder.simpleObject('TicketSurveyAnswer', {
    description: 'What the customer answered; nothing else of the ticket is shown to them.',
    fields: (t) => ({
      score: t.int(),
      comment: t.string({ nullable: true }),
      answeredAt: t.field({ type: 'DateTime' }),
    }),
  });

  const actor = (ctx: Context) => ctx.auth.staffId;

  builder.queryFields((t) => ({
    tickets: t.connection({
      type: TicketRef,
      description:
        'Tickets of the stores where the caller holds ticketing:work (an associate: their store; a manager: their ' +
        'stores; an owner: all), newest first.',
      authScopes: { permission: WORK },
      args: {
        storeId: t.arg.globalID(),
        status: t.arg({ type: [StatusEnum] }),
        customerId: t.arg.globalID(),
        assignedToMe: t.arg.boolean(),
        breached: t.arg.boolean(),
      },
      resolve: async (_r, args, ctx) => {
        let stores = ctx.auth.storesWith(WORK);
        if (args.storeId) stores = stores.filter((s) => s === args.storeId!.id);
        const statuses = (args.status as TicketStatus[] | null | undefined) ?? [];
        const where = Prisma.sql`"storeId" = ANY (${stores}::uuid[])
          AND (${statuses.length === 0} OR status = ANY (${statuses}::text[]))
          AND (${!args.customerId}::boolean
            OR "customerId" = ${args.customerId ? idOfType(args.customerId, 'Customer') : NIL_UUID}::uuid)
          AND (${!args.assignedToMe}::boolean OR "assigneeId" = ${ctx.auth.staffId ?? NIL_UUID}::uuid)
          AND (${args.breached == null}::boolean OR ("breachedAt" IS NOT NULL) = ${!!args.breached})`;
        for (const key of ['after', 'before'] as const)
          if (args[key] && !/^\d{1,15}$/.test(args[key]!))
            throw new InvalidInputError('INVALID_CURSOR', { cursor: args[key]!.slice(0, 100) }, [key]);
        return resolveCursorConnection<Promise<TicketRow[]>>(
          { args, toCursor: (r) => String(r.number), defaultSize: 20, maxSize: 100 },
          async ({ before, after, limit, inverted }) => {
            const rows = await ctx.db.$queryRaw<TicketRow[]>`
              SELECT ${TICKET_COLUMNS} FROM "Ticket" WHERE ${where}
                AND (${!after}::boolean OR number < ${after ? Number(after) : 0})
                AND (${!before}::boolean OR number > ${before ? Number(before) : 0})
              ORDER BY number ${inverted ? Prisma.sql`ASC` : Prisma.sql`DESC`} LIMIT ${limit}`;
            return rows; // inverted: nearest the cursor first; Pothos turns the page round
          },
        );
      },
    }),
    ticketDueAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'When a ticket of this type and priority opened at `openedAt` in the store would be due (null: no SLA row): ' +
        'the SLA’s minutes counted in the store’s service hours, skipping closed hours, closed weekdays and holidays.',
      authScopes: { permission: WORK },
      args: {
        storeId: t.arg.globalID({ required: true }),
        type: t.arg({ type: TypeEnum, required: true }),
        priority: t.arg({ type: PriorityEnum, required: true }),
        openedAt: t.arg({ type: 'DateTime', required: true }),
      },
      resolve: (_r, args, ctx) => {
        const storeId = idOfType(args.storeId, 'Store');
        if (!ctx.auth.can(WORK, storeId)) throw new AccessError('FORBIDDEN');
        if (Math.abs(args.openedAt.getTime() - Date.now()) > 5 * 366 * 86_400_000)
          throw new InvalidInputError('INVALID_INPUT', { detail: 'openedAt: within 5 years of now' }, ['openedAt']);
        return service.dueAt(ctx.db, storeId, args.type, args.priority, args.openedAt);
      },
    }),
  }));

  builder.mutationFields((t) => ({
    createTicket: t.field({
      type: TicketRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      description: 'Opens a ticket in a store where the caller holds ticketing:work; its due time comes from the SLA.',
      authScopes: { permission: WORK },
      args: { input: t.arg({ type: TicketInput, required: true }) },
      resolve: (_r, { input }, ctx) => {
        const storeId = idOfType(input.storeId, 'Store');
        if (!ctx.auth.can(WORK, storeId)) throw new AccessError('FORBIDDEN');
        return runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const row = await service.create(
            unit,
            {
              type: input.type,
              channel: input.channel,
              priority: input.priority ?? 'NORMAL',
              customerId: idOfType(input.customerId, 'Customer'),
              storeId,
              saleId: input.saleId ? idOfType(input.saleId, 'Sale') : null,
              saleLineNos: input.saleLineNos ?? [],
              subject: input.subject,
              description: input.description ?? '',
              assigneeId: input.assigneeId ? idOfType(input.assigneeId, 'Staff') : null,
            },
            actor(ctx),
            new Date(),
          );
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'ticket.create',
            entityType: 'Ticket',
            entityId: row.id,
            storeId,
            after: { number: row.number, type: row.type, priority: row.priority },
          });
          return row;
        });
      },
    }),
    changeTicketStatus: t.field({
      type: StatusPayload,
      errors: { types: [...USER_ERRORS], directResult: true },
      description:
        'Moves a ticket along its workflow; any other move is an InvalidStateError naming the current state ' +
        '(TICKET_INVALID_TRANSITION). IN_PROGRESS on a resolved or closed ticket reopens it within reopenDays.',
      authScopes: { permission: WORK },
      args: {
        id: t.arg.globalID({ required: true }),
        status: t.arg({ type: StatusEnum, required: true }),
        note: t.arg.string({ description: 'Why, on the timeline (at most 5000 characters).' }),
      },
      resolve: (_r, args, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const ticket = await lockVisible(unit.tx, ctx, args.id);
          const out = await service.transition(unit, ticket, args.status, args.note ?? null, actor(ctx), new Date());
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'ticket.status',
            entityType: 'Ticket',
            entityId: ticket.id,
            storeId: ticket.storeId,
            before: { status: ticket.status },
            after: { status: args.status },
          });
          return out;
        }),
    }),
    assignTicket: t.field({
      type: TicketRef,
      errors: { types: [...USER_ERRORS], directResult: true },
      description: 'Assigns a ticket to a staff member of its store (null: unassigns).',
      authScopes: { permission: WORK },
      args: { id: t.arg.globalID({ required: true }), assigneeId: t.arg.globalID() },
      resolve: (_r, args, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const ticket = await lockVisible(unit.tx, ctx, args.id);
          const assignee = args.assigneeId ? idOfType(args.assigneeId, 'Staff') : null;
          return service.assign(unit, ticket, assignee, actor(ctx), new Date());
        }),
    }),
    addTicketComment: t.field({
      type: CommentPayload,
      errors: { types: [...USER_ERRORS], directResult: true },
      description: 'A reply to the customer, or with internal: true a note only staff read.',
      authScopes: { permission: WORK },
      args: { id: t.arg.globalID({ required: true }), input: t.arg({ type: CommentInput, required: true }) },
      resolve: (_r, { id, input }, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const ticket = await lockVisible(unit.tx, ctx, id);
          const attachments = checkAttachments(input.attachments, ['input', 'attachments']);
          const entry = await service.comment(
            unit,
            ticket,
            { body: input.body, internal: !!input.internal, attachments },
            actor(ctx),
            new Date(),
          );
          return { ticket: (await service.byId(unit.tx, ticket.id))!, entry };
        }),
    }),
    answerTicketSurvey: t.field({
      type: SurveyAnswer,
      errors: { types: [...USER_ERRORS], directResult: true },
      description:
        'The customer’s satisfaction answer (CSAT 1–5 and a comment of at most 1000 characters), without a staff ' +
        'login: once per token, before it expires. A forged token is TICKET_SURVEY_INVALID, an answered one ' +
        'TICKET_SURVEY_USED, an expired one TICKET_SURVEY_EXPIRED.',
      args: {
        token: t.arg.string({ required: true }),
        score: t.arg.int({ required: true }),
        comment: t.arg.string(),
      },
      resolve: (_r, args, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          if (args.token.length > 200) throw new InvalidInputError('TICKET_SURVEY_INVALID', {}, ['token']);
          const { survey } = await service.answerSurvey(unit, args.token, args.score, args.comment ?? null, new Date());
          return { score: survey.score!, comment: survey.comment, answeredAt: survey.answeredAt! };
        }),
    }),
  }));

  addConfigurationTypes(builder, { TypeEnum, PriorityEnum });
  addQualityTypes(builder, service);
  addWorkTypes(builder);

  builder.subscriptionFields((t) => ({
    ticketUpdated: t.field({
      type: TicketRef,
      description: 'Tickets as they are opened and changed, in the stores where the caller holds ticketing:work.',
      authScopes: { permission: WORK },
      args: { storeId: t.arg.globalID() },
      subscribe: (_r, args, ctx) =>
        filterAsync(
          ctx.app.events.subscribe('ticket.updated'),
          (e) => ctx.auth.can(WORK, e.storeId) && (!args.storeId || args.storeId.id === e.storeId),
        ),
      resolve: async (e, _a, ctx) => (await service.byId(ctx.db, e.ticketId))!,
    }),
  }));

  builder.prismaObjectField('Customer', 'openTickets', (t) =>
    t.int({
      description: 'Unfinished tickets of the customer in the stores where the caller holds ticketing:work.',
      select: { id: true },
      resolve: async (c, _a, ctx) => {
        const stores = ctx.auth.storesWith(WORK);
        const counts = await requestLoader(ctx, 'ticketing.openTickets', async (ids) => {
          const rows = await ctx.db.$queryRaw<{ customerId: string; n: number }[]>`
            SELECT "customerId"::text AS "customerId", count(*)::int AS n FROM "Ticket"
            WHERE "customerId" = ANY (${[...ids]}::uuid[]) AND "storeId" = ANY (${stores}::uuid[])
              AND status NOT IN ('RESOLVED', 'CLOSED')
            GROUP BY "customerId"`;
          return new Map(rows.map((r) => [r.customerId, r.n]));
        }).load(c.id);
        return counts ?? 0;
      },
    }),
  );
  builder.prismaObjectField('Customer', 'latestCsat', (t) =>
    t.int({
      nullable: true,
      description: 'The customer’s latest satisfaction score (1–5) on a ticket the caller may see.',
      select: { id: true },
      resolve: async (c, _a, ctx) => {
        const stores = ctx.auth.storesWith(WORK);
        return requestLoader(ctx, 'ticketing.latestCsat', async (ids) => {
          const rows = await ctx.db.$queryRaw<{ customerId: string; score: number }[]>`
            SELECT DISTINCT ON (t."customerId") t."customerId"::text AS "customerId", s.score
            FROM "TicketSurvey" s JOIN "Ticket" t ON t.id = s."ticketId"
            WHERE t."customerId" = ANY (${[...ids]}::uuid[]) AND t."storeId" = ANY (${stores}::uuid[])
              AND s."answeredAt" IS NOT NULL
            ORDER BY t."customerId", s."answeredAt" DESC`;
          return new Map(rows.map((r) => [r.customerId, r.score]));
        }).load(c.id);
      },
    }),
  );
  return { TypeEnum, StatusEnum };
}

function addConfigurationTypes(
  builder: Builder,
  // biome-ignore lint/suspicious/noExplicitAny: enum refs built above
  enums: { TypeEnum: any; PriorityEnum: any },
) {
  interface SlaRow {
    type: string;
    priority: string;
    resolveMinutes: number;
  }
  const Sla = builder.objectRef<SlaRow>('TicketSla').implement({
    description: 'How long a ticket of a type and priority may take, in business minutes of the store’s service hours.',
    fields: (t) => ({
      type: t.field({ type: enums.TypeEnum, resolve: (s) => s.type }),
      priority: t.field({ type: enums.PriorityEnum, resolve: (s) => s.priority }),
      resolveMinutes: t.int({ resolve: (s) => s.resolveMinutes }),
    }),
  });
  interface HoursRow {
    weekday: number;
    opensAt: number;
    closesAt: number;
  }
  const Hours = builder.objectRef<HoursRow>('TicketServiceHours').implement({
    description: 'A weekday’s service hours (store time).',
    fields: (t) => ({
      weekday: t.int({ description: 'ISO weekday, 1 = Monday.', resolve: (h) => h.weekday }),
      opensAt: t.string({ description: '"HH:MM".', resolve: (h) => hhmm(h.opensAt) }),
      closesAt: t.string({ description: '"HH:MM".', resolve: (h) => hhmm(h.closesAt) }),
    }),
  });
  const SlaTable = builder.simpleObject('TicketSlaTable', { fields: (t) => ({ slas: t.field({ type: [Sla] }) }) });
  const HoursTable = builder.simpleObject('TicketServiceHoursTable', {
    fields: (t) => ({ hours: t.field({ type: [Hours] }) }),
  });
  const HoursInput = builder.inputType('TicketServiceHoursInput', {
    fields: (t) => ({
      weekday: t.int({ required: true, description: 'ISO weekday, 1 = Monday.' }),
      opensAt: t.string({ required: true, description: '"HH:MM", store time.' }),
      closesAt: t.string({ required: true, description: '"HH:MM", after opensAt.' }),
    }),
  });
  const SlaInput = builder.inputType('TicketSlaInput', {
    fields: (t) => ({
      type: t.field({ type: enums.TypeEnum, required: true }),
      priority: t.field({ type: enums.PriorityEnum, required: true }),
      resolveMinutes: t.int({ required: true, description: '1 to 525,600 business minutes.' }),
    }),
  });

  const listSla = (db: Context['db'] | Prisma.TransactionClient) =>
    db.$queryRaw<SlaRow[]>`SELECT type, priority, "resolveMinutes" FROM "TicketSla" ORDER BY type, priority`;
  const listHours = (db: Context['db'] | Prisma.TransactionClient, storeId: string) => db.$queryRaw<HoursRow[]>`
    SELECT weekday, "opensAt", "closesAt" FROM "TicketServiceHours" WHERE "storeId" = ${storeId}::uuid
    ORDER BY weekday`;

  builder.queryFields((t) => ({
    ticketSlas: t.field({
      type: [Sla],
      authScopes: { permission: 'ticketing:work' },
      resolve: (_r, _a, ctx) => listSla(ctx.db),
    }),
    ticketServiceHours: t.field({
      type: [Hours],
      description: 'A store’s service hours per weekday; empty: its opening hours (Store.calendar) every day.',
      authScopes: { permission: 'ticketing:work' },
      args: { storeId: t.arg.globalID({ required: true }) },
      resolve: (_r, { storeId }, ctx) => listHours(ctx.db, idOfType(storeId, 'Store')),
    }),
  }));
  builder.mutationFields((t) => ({
    setTicketSla: t.field({
      type: SlaTable,
      errors: { types: [...USER_ERRORS], directResult: true },
      description: 'Sets SLA rows (chain-wide: ticketing:configure, owners); returns the whole table.',
      authScopes: { permission: 'ticketing:configure' },
      args: { input: t.arg({ type: [SlaInput], required: true }) },
      resolve: (_r, { input }, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          if (input.length > 100)
            throw new InvalidInputError('INPUT_TOO_MANY_ITEMS', { field: 'input', max: 100 }, ['input']);
          for (const [i, row] of input.entries()) {
            if (!Number.isInteger(row.resolveMinutes) || row.resolveMinutes < 1 || row.resolveMinutes > 525_600)
              throw new InvalidInputError('INVALID_INPUT', { detail: 'resolveMinutes: 1–525600' }, [
                'input',
                String(i),
                'resolveMinutes',
              ]);
            await tx.$executeRaw`
              INSERT INTO "TicketSla" (type, priority, "resolveMinutes") VALUES (${row.type}, ${row.priority},
                ${row.resolveMinutes})
              ON CONFLICT (type, priority)
              DO UPDATE SET "resolveMinutes" = excluded."resolveMinutes", "updatedAt" = now()`;
          }
          await audit(tx, actorOfContext(ctx), { operation: 'ticket.sla', after: input });
          return { slas: await listSla(tx) };
        }),
    }),
    setTicketServiceHours: t.field({
      type: HoursTable,
      errors: { types: [...USER_ERRORS], directResult: true },
      description:
        'Replaces a store’s service hours (weekdays not given: closed; an empty list: its opening hours every day). ' +
        'Needs ticketing:hours in the store (its managers and owners).',
      authScopes: { permission: 'ticketing:hours' },
      args: { storeId: t.arg.globalID({ required: true }), hours: t.arg({ type: [HoursInput], required: true }) },
      resolve: (_r, args, ctx) => {
        const storeId = idOfType(args.storeId, 'Store');
        if (!ctx.auth.can('ticketing:hours', storeId)) throw new AccessError('FORBIDDEN');
        return runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const seen = new Set<number>();
          const rows = args.hours.map((h, i) => {
            const field = ['hours', String(i)];
            if (!Number.isInteger(h.weekday) || h.weekday < 1 || h.weekday > 7 || seen.has(h.weekday))
              throw new InvalidInputError('INVALID_INPUT', { detail: 'weekday: 1–7, once each' }, [
                ...field,
                'weekday',
              ]);
            seen.add(h.weekday);
            const opensAt = minutesOf(h.opensAt, [...field, 'opensAt']);
            const closesAt = minutesOf(h.closesAt, [...field, 'closesAt']);
            if (closesAt <= opensAt)
              throw new InvalidInputError('INVALID_INPUT', { detail: 'closesAt: after opensAt' }, [
                ...field,
                'closesAt',
              ]);
            return { weekday: h.weekday, opensAt, closesAt };
          });
          await tx.$executeRaw`DELETE FROM "TicketServiceHours" WHERE "storeId" = ${storeId}::uuid`;
          for (const r of rows)
            await tx.$executeRaw`
              INSERT INTO "TicketServiceHours" ("storeId", weekday, "opensAt", "closesAt")
              VALUES (${storeId}::uuid, ${r.weekday}, ${r.opensAt}, ${r.closesAt})`;
          await audit(tx, actorOfContext(ctx), { operation: 'ticket.serviceHours', storeId, after: rows });
          return { hours: await listHours(tx, storeId) };
        });
      },
    }),
  }));
}

const MAX_PERIOD_DAYS = 366;

function addQualityTypes(builder: Builder, service: TicketService) {
  const refs = { StaffRef: getRefFromModel('Staff', builder), StoreRef: getRefFromModel('Store', builder) };
  const Grouping = builder.enumType('TicketQualityGrouping', {
    description: 'STAFF: one row per store and assignee (unassigned tickets: staff null); STORE: one row per store.',
    values: ['STAFF', 'STORE'] as const,
  });
  const Row = builder.objectRef<QualityRow>('TicketQuality').implement({
    description:
      'Service quality of the tickets opened in a period. Times are business minutes of the store’s service ' +
      'hours; rates are fractions (0.25 = 25 %), null when there is nothing to divide by.',
    fields: (t) => ({
      store: t.field({
        type: refs.StoreRef,
        resolve: async (r, _a, ctx) => (await ctx.db.store.findUnique({ where: { id: r.storeId } }))!,
      }),
      staff: t.field({
        type: refs.StaffRef,
        nullable: true,
        description: 'The assignee (STAFF grouping); null: unassigned, or grouped by store.',
        resolve: (r, _a, ctx) => (r.staffId ? ctx.db.staff.findUnique({ where: { id: r.staffId } }) : null),
      }),
      tickets: t.int({ description: 'Tickets opened in the period.', resolve: (r) => r.tickets }),
      responded: t.int({ description: 'Of them, answered (a reply or a move).', resolve: (r) => r.responded }),
      firstResponseMinutesAverage: t.float({ nullable: true, resolve: (r) => r.firstResponseMinutesAverage }),
      resolved: t.int({ description: 'Of them, resolved or closed now.', resolve: (r) => r.resolved }),
      resolutionMinutesMedian: t.float({
        nullable: true,
        description: 'Opened → latest resolution; percentiles interpolate between ranks (percentile_cont).',
        resolve: (r) => r.resolutionMinutesMedian,
      }),
      resolutionMinutesP90: t.float({ nullable: true, resolve: (r) => r.resolutionMinutesP90 }),
      reopened: t.int({ resolve: (r) => r.reopened }),
      reopenRate: t.float({
        nullable: true,
        description: 'Reopened tickets over those ever resolved.',
        resolve: (r) => r.reopenRate,
      }),
      breached: t.int({ resolve: (r) => r.breached }),
      breachRate: t.float({
        nullable: true,
        description: 'Tickets that ever passed a due time over those with one.',
        resolve: (r) => r.breachRate,
      }),
      surveysIssued: t.int({ resolve: (r) => r.surveysIssued }),
      surveysAnswered: t.int({ resolve: (r) => r.surveysAnswered }),
      csatAverage: t.float({ nullable: true, resolve: (r) => r.csatAverage }),
      csatResponseRate: t.float({
        nullable: true,
        description: 'Surveys answered over surveys issued.',
        resolve: (r) => r.csatResponseRate,
      }),
    }),
  });
  builder.queryField('ticketServiceQuality', (t) =>
    t.field({
      type: [Row],
      description:
        'Service quality per staff member or store over the tickets opened in [from, to) (at most 366 days), in ' +
        'the stores where the caller holds ticketing:report (managers: their stores; owners: all).',
      authScopes: { permission: 'ticketing:report' },
      args: {
        from: t.arg({ type: 'DateTime', required: true }),
        to: t.arg({ type: 'DateTime', required: true }),
        storeId: t.arg.globalID(),
        groupBy: t.arg({ type: Grouping, defaultValue: 'STAFF' }),
      },
      resolve: (_r, args, ctx) => {
        if (args.to <= args.from || args.to.getTime() - args.from.getTime() > MAX_PERIOD_DAYS * 86_400_000)
          throw new InvalidInputError('INVALID_INPUT', { detail: `to: after from, at most ${MAX_PERIOD_DAYS} days` }, [
            'to',
          ]);
        let storeIds = ctx.auth.storesWith('ticketing:report');
        if (args.storeId) storeIds = storeIds.filter((s) => s === args.storeId!.id);
        return service.quality(ctx.db, { from: args.from, to: args.to, storeIds, groupBy: args.groupBy ?? 'STAFF' });
      },
    }),
  );
}
