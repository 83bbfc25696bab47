import { actorOfContext } from '../../src/audit/service.ts';
import { InvalidInputError } from '../../src/errors/index.ts';
import { USER_ERRORS } from '../../src/errors/types.ts';
import { runInTransaction } from '../../src/events/transaction.ts';
import { AutomationOutcome, AutomationTriggerKind, type ConsentChannel } from '../../src/generated/prisma/enums.ts';
import type { Builder } from '../../src/schema/builder.ts';
import type { AutomationService } from './service.ts';

export function addAutomationTypes(builder: Builder, service: AutomationService) {
  const KindEnum = builder.enumType(AutomationTriggerKind, { name: 'AutomationTriggerKind' });
  const OutcomeEnum = builder.enumType(AutomationOutcome, { name: 'AutomationOutcome' });
  // Core names this enum ConsentChannel; the plugin's trigger channels are the message ones of it.
  const ChannelEnum = builder.enumType('AutomationChannel', {
    description: 'A channel a message can go out on (only to customers who consented to it).',
    values: ['SMS', 'WECHAT', 'EMAIL'] as const satisfies readonly ConsentChannel[],
  });

  const Group = builder.simpleObject('AutomationGroup', {
    fields: (t) => ({
      customers: t.int(),
      buyers: t.int({ description: 'Customers who bought within the window after their send.' }),
      revenue: t.field({ type: 'Money', description: 'What they bought in it, net of refunds.' }),
      spendPerCustomer: t.field({ type: 'Money', nullable: true }),
    }),
  });
  const Results = builder.simpleObject('AutomationResults', {
    fields: (t) => ({
      sent: t.field({ type: Group }),
      heldOut: t.field({ type: Group, description: 'The holdout: qualified, never contacted.' }),
      upliftPerCustomer: t.field({
        type: 'Money',
        nullable: true,
        description: 'Spend per customer of the contacted minus that of the holdout; null without both groups.',
      }),
      couponsIssued: t.int({ description: 'Coupons the messages brought (a trigger with a couponBatchId).' }),
      couponsRedeemed: t.int({ description: 'Of those, the ones used at a till.' }),
      couponRevenue: t.field({
        type: 'Money',
        description: "What the sales that used the messages' coupons came to, net of refunds (each sale once).",
      }),
    }),
  });

  const Send = builder.prismaObject('AutomationSend', {
    description: 'One occasion of a trigger for one customer, written once.',
    fields: (t) => ({
      customer: t.prismaField({
        type: 'Customer',
        nullable: true,
        resolve: (query, s, _a, ctx) => ctx.db.customer.findUnique({ ...query, where: { id: s.customerId } }),
      }),
      occasion: t.exposeString('occasion'),
      outcome: t.expose('outcome', { type: OutcomeEnum }),
      channels: t.stringList({ resolve: (s) => s.channels }),
      messageZh: t.exposeString('messageZh', { nullable: true }),
      messageEn: t.exposeString('messageEn', { nullable: true }),
      sentAt: t.expose('sentAt', { type: 'DateTime' }),
    }),
  });

  const Trigger = builder.prismaNode('AutomationTrigger', {
    id: { field: 'id' },
    authScopes: { permission: 'automation:manage' },
    description: 'A marketing automation trigger (营销自动化): who, what message, on which channels, when not.',
    fields: (t) => ({
      name: t.exposeString('name'),
      kind: t.expose('kind', { type: KindEnum }),
      days: t.exposeInt('days'),
      templateZh: t.exposeString('templateZh'),
      templateEn: t.exposeString('templateEn'),
      channels: t.field({ type: [ChannelEnum], resolve: (r) => r.channels as ('SMS' | 'WECHAT' | 'EMAIL')[] }),
      quietFrom: t.exposeString('quietFrom', { nullable: true }),
      quietTo: t.exposeString('quietTo', { nullable: true }),
      holdoutPercent: t.exposeInt('holdoutPercent'),
      rfmSegment: t.exposeString('rfmSegment', { nullable: true, description: 'RFM_SEGMENT_MOVED: the layer.' }),
      active: t.exposeBoolean('active'),
      sends: t.prismaField({
        type: [Send],
        description: 'The latest sends, newest first (at most 100).',
        args: { first: t.arg.int({ defaultValue: 20 }) },
        resolve: (query, trigger, args, ctx) =>
          ctx.db.automationSend.findMany({
            ...query,
            where: { triggerId: trigger.id },
            orderBy: { sentAt: 'desc' },
            take: Math.min(Math.max(args.first ?? 20, 1), 100),
          }),
      }),
      results: t.field({
        type: Results,
        description: 'Sends of the last `sinceDays` days and what each group bought in the `windowDays` after.',
        args: {
          sinceDays: t.arg.int({ defaultValue: 90 }),
          windowDays: t.arg.int({ defaultValue: 30 }),
        },
        resolve: (trigger, args, ctx) =>
          service.results(
            ctx.app.analytics,
            trigger.id,
            new Date(Date.now() - Math.min(Math.max(args.sinceDays ?? 90, 1), 3650) * 86_400_000),
            Math.min(Math.max(args.windowDays ?? 30, 1), 365),
          ),
      }),
    }),
  });

  const Input = builder.inputType('AutomationTriggerInput', {
    fields: (t) => ({
      name: t.string({ required: true }),
      kind: t.field({ type: KindEnum, required: true }),
      days: t.int({
        required: true,
        description:
          "BIRTHDAY, anniversary, points, MEMBER_DAY (the home store's 会员日, 0–31): days ahead; " +
          'LAPSED: days without a purchase; ' +
          'TIER_UPGRADED, RFM_SEGMENT_MOVED: days back.',
      }),
      templateZh: t.string({
        required: true,
        description: "Variables: {name} {store} {days} {date} {weekday} {points} {tier} {segment}, and the coupon's.",
      }),
      templateEn: t.string({ required: true }),
      channels: t.field({ type: [ChannelEnum], required: true }),
      quietFrom: t.string({ description: '"HH:MM" in the customer\'s home store\'s time zone.' }),
      quietTo: t.string(),
      holdoutPercent: t.int({ description: 'Share never contacted, for the uplift (0–90).' }),
      couponBatchId: t.globalID({
        description:
          'A reward batch (issueCoupons with forRewards) of the campaigns plugin: each message brings one code; ' +
          'templates show it with {coupon}, {couponTitle}, {couponExpires}.',
      }),
      rfmSegment: t.string({
        description:
          'RFM_SEGMENT_MOVED (rfm plugin): the layer moved into, an RfmSegment value (WIN_BACK is 重要挽留客户).',
      }),
      active: t.boolean(),
    }),
  });

  builder.queryFields((t) => ({
    automationTriggers: t.prismaField({
      type: [Trigger],
      authScopes: { permission: 'automation:manage' },
      resolve: (query, _root, _args, ctx) =>
        ctx.db.automationTrigger.findMany({ ...query, orderBy: { createdAt: 'asc' } }),
    }),
  }));

  builder.mutationFields((t) => ({
    createAutomationTrigger: t.prismaField({
      type: Trigger,
      authScopes: { permission: 'automation:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: Input, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        const created = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          service.create(unit, triggerInput(input), actorOfContext(ctx)),
        );
        return ctx.db.automationTrigger.findUniqueOrThrow({ ...query, where: { id: created.id } });
      },
    }),
    updateAutomationTrigger: t.prismaField({
      type: Trigger,
      description: 'The whole definition again; `active: false` pauses it.',
      authScopes: { permission: 'automation:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true }), input: t.arg({ type: Input, required: true }) },
      resolve: async (query, _root, { id, input }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          service.update(unit, id.id, triggerInput(input), actorOfContext(ctx)),
        );
        return ctx.db.automationTrigger.findUniqueOrThrow({ ...query, where: { id: id.id } });
      },
    }),
  }));
}

/** The service's input from the GraphQL one: the batch's global id decoded, checked to be a CouponBatch's. */
function triggerInput<T extends { couponBatchId?: { typename: string; id: string } | null }>(input: T) {
  const batch = input.couponBatchId;
  if (batch && batch.typename !== 'CouponBatch') throw new InvalidInputError('INVALID_ID', { id: batch.id });
  return { ...input, couponBatchId: batch?.id ?? null };
}
