import { encodeGlobalID } from '@pothos/plugin-relay';
import { InvalidInputError, ConflictError, NotFoundError } from '../../src/errors/index.ts';
import { USER_ERRORS } from '../../src/errors/types.ts';
import { filterAsync } from '../../src/events/filter.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { Tier } from '../../src/generated/prisma/client.ts';
import { TierChangeReason, TierQualifyWhen } from '../../src/generated/prisma/enums.ts';
import { runInTransaction } from '../../src/events/transaction.ts';
import type { Builder } from '../../src/schema/builder.ts';
import { audit, actorOfContext, changedFields } from '../../src/audit/service.ts';
import { requestLoader } from '../../src/schema/loaders.ts';
import { customerAccountRef } from '../../src/storefront/types.ts';
import type { TierService } from './service.ts';

export function addTierTypes(builder: Builder, service: TierService) {
  const QualifyWhenEnum = builder.enumType(TierQualifyWhen, { name: 'TierQualifyWhen' });
  const ReasonEnum = builder.enumType(TierChangeReason, { name: 'TierChangeReason' });

  const TierRef = builder.prismaNode('Tier', {
    id: { field: 'id' },
    // The programme's tiers are published to members too (their storefront shows the next one).
    authScopes: { signedIn: true, customer: true },
    description: 'A membership tier (普通/银卡/金卡/钻石…): how to qualify, and what it gives.',
    fields: (t) => ({
      code: t.exposeString('code'),
      name: t.exposeString('name'),
      rank: t.exposeInt('rank', { description: '0 is the entry tier.' }),
      minSpend: t.expose('minSpend', {
        type: 'Money',
        nullable: true,
        description: 'Spend net of refunds over the window.',
      }),
      minVisits: t.exposeInt('minVisits', { nullable: true }),
      minPointsEarned: t.exposeInt('minPointsEarned', { nullable: true }),
      qualifyWhen: t.expose('qualifyWhen', { type: QualifyWhenEnum }),
      discountPercent: t.string({ resolve: (r) => r.discountPercent.toString() }),
      pointsMultiplier: t.string({ resolve: (r) => r.pointsMultiplier.toString() }),
      birthdayBenefit: t.exposeString('birthdayBenefit', { nullable: true }),
    }),
  });

  // Tier definitions come from the service's cache: a list of members costs no query for them.
  const tierById = (ctx: Parameters<typeof requestLoader>[0]) =>
    requestLoader<Tier>(
      ctx,
      'tiers.byId',
      async (ids) => new Map((await service.allTiers(ctx.db)).filter((t) => ids.includes(t.id)).map((t) => [t.id, t])),
    );

  const Progress = builder.simpleObject('TierProgress', {
    description: 'Where the member stands over the qualification window.',
    fields: (t) => ({
      spend: t.field({ type: 'Money' }),
      visits: t.int(),
      pointsEarned: t.int(),
      nextTier: t.field({ type: TierRef, nullable: true }),
    }),
  });

  const MemberTierRef = builder.prismaObject('MemberTier', {
    fields: (t) => ({
      // No `select`: a MemberTier is always loaded whole (it is small), so these read what is there
      // instead of Pothos loading the row again.
      tier: t.field({ type: TierRef, resolve: async (m, _a, ctx) => (await tierById(ctx).load(m.tierId))! }),
      since: t.expose('since', { type: 'DateTime' }),
      reviewAt: t.expose('reviewAt', { type: 'DateTime', description: 'Next review for a downgrade.' }),
      graceUntil: t.expose('graceUntil', {
        type: 'DateTime',
        nullable: true,
        description: 'Set when a review found the member below the tier: downgraded after this.',
      }),
      progress: t.field({
        type: Progress,
        resolve: async (m, _a, ctx) => {
          const tiers = await service.allTiers(ctx.db);
          const q = await service.qualification(ctx.db, m.customerId, new Date());
          const current = tiers.find((x) => x.id === m.tierId);
          return { ...q, nextTier: tiers.find((x) => x.rank > (current?.rank ?? -1)) ?? null };
        },
      }),
    }),
  });

  builder.prismaObject('TierChange', {
    fields: (t) => ({
      reason: t.expose('reason', { type: ReasonEnum }),
      changedAt: t.expose('changedAt', { type: 'DateTime' }),
      from: t.field({
        type: TierRef,
        nullable: true,
        select: { fromTierId: true },
        resolve: (c, _a, ctx) => (c.fromTierId ? tierById(ctx).load(c.fromTierId) : null),
      }),
      to: t.field({
        type: TierRef,
        select: { toTierId: true },
        resolve: async (c, _a, ctx) => (await tierById(ctx).load(c.toTierId))!,
      }),
      saleId: t.globalID({ nullable: true, resolve: (r) => (r.saleId ? { type: 'Sale', id: r.saleId } : null) }),
    }),
  });

  builder.prismaObjectField('Customer', 'tier', (t) =>
    t.field({
      type: MemberTierRef,
      nullable: true,
      description: 'Null for a customer who has not bought as a member yet.',
      select: { id: true },
      resolve: (c, _a, ctx) =>
        requestLoader(
          ctx,
          'tiers.member',
          async (ids) =>
            new Map(
              (await ctx.db.memberTier.findMany({ where: { customerId: { in: [...ids] } } })).map((m) => [
                m.customerId,
                m,
              ]),
            ),
        ).load(c.id),
    }),
  );
  builder.prismaObjectField(customerAccountRef(builder), 'tier', (t) =>
    t.field({
      type: MemberTierRef,
      nullable: true,
      description: 'Null until the customer first buys as a member. Progress shows what the next tier needs.',
      select: { id: true },
      resolve: (c, _a, ctx) => ctx.db.memberTier.findUnique({ where: { customerId: c.id } }),
    }),
  );
  builder.prismaObjectField('Customer', 'tierHistory', (t) =>
    t.prismaField({
      type: ['TierChange'],
      description: 'Newest first.',
      select: { id: true },
      resolve: (query, c, _a, ctx) =>
        ctx.db.tierChange.findMany({ ...query, where: { customerId: c.id }, orderBy: { changedAt: 'desc' }, take: 50 }),
    }),
  );

  const Benefit = builder.prismaObject('SaleTierBenefit', {
    description: 'The member discount a sale received.',
    fields: (t) => ({
      tierCode: t.exposeString('tierCode'),
      tierName: t.exposeString('tierName'),
      discountPercent: t.string({ resolve: (b) => b.discountPercent.toString() }),
      discountAmount: t.expose('discountAmount', { type: 'Money' }),
    }),
  });
  builder.prismaObjectField('Sale', 'memberBenefit', (t) =>
    t.field({
      type: Benefit,
      nullable: true,
      select: { id: true },
      resolve: (s, _a, ctx) =>
        requestLoader(
          ctx,
          'tiers.benefit',
          async (ids) =>
            new Map(
              (await ctx.db.saleTierBenefit.findMany({ where: { saleId: { in: [...ids] } } })).map((b) => [
                b.saleId,
                b,
              ]),
            ),
        ).load(s.id),
    }),
  );

  builder.queryFields((t) => ({
    tiers: t.prismaField({
      type: ['Tier'],
      authScopes: { signedIn: true },
      resolve: (query, _r, _a, ctx) => ctx.db.tier.findMany({ ...query, orderBy: { rank: 'asc' } }),
    }),
  }));

  const TierInput = builder.inputType('TierInput', {
    fields: (t) => ({
      code: t.string(),
      name: t.string(),
      rank: t.int(),
      minSpend: t.field({ type: 'Money' }),
      minVisits: t.int(),
      minPointsEarned: t.int(),
      qualifyWhen: t.field({ type: QualifyWhenEnum }),
      discountPercent: t.string({ description: '0–100, e.g. "5" for 5 % off.' }),
      pointsMultiplier: t.string({ description: 'e.g. "1.5"; 1 for none.' }),
      birthdayBenefit: t.string(),
    }),
  });
  const toData = (
    input: Record<string, unknown> & { discountPercent?: string | null; pointsMultiplier?: string | null },
  ) => {
    const data = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Record<
      string,
      unknown
    >;
    for (const [key, max] of [
      ['discountPercent', 100],
      ['pointsMultiplier', 100],
    ] as const) {
      const v = input[key];
      if (v === undefined || v === null) continue;
      if (!/^\d+(\.\d{1,2})?$/.test(v) || Number(v) > max)
        throw new InvalidInputError('INVALID_TIER', { detail: key }, ['input', key]);
      data[key] = new Prisma.Decimal(v);
    }
    return data;
  };

  builder.mutationFields((t) => ({
    createTier: t.prismaField({
      type: 'Tier',
      description: 'Tiers hold in every store: needs the chain-level loyalty:configure (owners).',
      authScopes: { permission: 'loyalty:configure' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: TierInput, required: true }) },
      resolve: async (query, _r, { input }, ctx) => {
        if (!input.code?.trim() || !input.name?.trim() || input.rank == null || input.rank < 0) {
          throw new InvalidInputError('INVALID_TIER', { detail: 'code, name and a rank of 0 or more are required' }, [
            'input',
          ]);
        }
        const clash = await ctx.db.tier.findFirst({
          where: { OR: [{ code: input.code.trim() }, { rank: input.rank }] },
        });
        if (clash)
          throw new ConflictError('DUPLICATE_CODE', { entity: 'Tier', code: clash.code }, [
            'input',
            clash.code === input.code.trim() ? 'code' : 'rank',
          ]);
        const tier = await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          const created = await tx.tier.create({
            data: { ...(toData(input) as Prisma.TierCreateInput), code: input.code!.trim() },
          });
          await audit(tx, actorOfContext(ctx), {
            operation: 'tier.create',
            entityType: 'Tier',
            entityId: created.id,
            after: created,
          });
          emit('tier.definition.changed', { tierId: created.id });
          return created;
        });
        return ctx.db.tier.findUniqueOrThrow({ ...query, where: { id: tier.id } });
      },
    }),
    updateTier: t.prismaField({
      type: 'Tier',
      description: 'Needs the chain-level loyalty:configure (owners).',
      authScopes: { permission: 'loyalty:configure' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { code: t.arg.string({ required: true }), input: t.arg({ type: TierInput, required: true }) },
      resolve: async (query, _r, { code, input }, ctx) => {
        const tier = await ctx.db.tier.findUnique({ where: { code } });
        if (!tier) throw new NotFoundError('Tier', code, ['code']);
        await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          const updated = await tx.tier.update({ where: { id: tier.id }, data: toData(input) });
          await audit(tx, actorOfContext(ctx), {
            operation: 'tier.update',
            entityType: 'Tier',
            entityId: tier.id,
            ...changedFields(tier, updated),
          });
          emit('tier.definition.changed', { tierId: tier.id });
        });
        return ctx.db.tier.findUniqueOrThrow({ ...query, where: { id: tier.id } });
      },
    }),
  }));

  const TierChanged = builder.simpleObject('TierChangedEvent', {
    fields: (t) => ({
      customerId: t.id({ description: 'Global id, as Customer.id.' }),
      fromTier: t.string({ nullable: true }),
      toTier: t.string(),
      reason: t.field({ type: ReasonEnum }),
      changedAt: t.field({ type: 'DateTime' }),
    }),
  });
  builder.subscriptionFields((t) => ({
    tierChanged: t.field({
      type: TierChanged,
      description: 'Upgrades and downgrades as they are committed, for one customer or all.',
      authScopes: { permission: 'customer:read' },
      args: { customerId: t.arg.globalID() },
      subscribe: (_r, args, ctx) =>
        filterAsync(
          ctx.app.events.subscribe('tier.changed'),
          (e) => !args.customerId || e.customerId === args.customerId.id,
        ),
      resolve: (e) => ({
        ...e,
        customerId: encodeGlobalID('Customer', e.customerId),
        changedAt: new Date(e.changedAt),
      }),
    }),
  }));
}
