import { encodeGlobalID } from '@pothos/plugin-relay';
import { actorOfContext } from '../audit/service.ts';
import { AccessError, InvalidInputError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { CommissionEntryKind } from '../generated/prisma/enums.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { Builder } from '../schema/builder.ts';
import type { Context } from '../schema/context.ts';
import { endCommissionRule, setCommissionRule } from './commission.ts';
import {
  bindGuide,
  commissionStatement,
  guideRanking,
  type GuidePerformanceRow,
  setSalesTarget,
  unbindGuide,
} from './service.ts';

type GlobalId = { typename: string; id: string };

/** The database id of a global id of the expected type; another type is a malformed id. */
function idOf(g: GlobalId, typename: string, field: string[]): string {
  if (g.typename !== typename)
    throw new InvalidInputError('INVALID_ID', { id: encodeGlobalID(g.typename, g.id) }, field);
  return g.id;
}

/** The caller themself, or someone who may read the store's performance (performance:read there). */
function requireSelfOrPerformance(ctx: Context, staffId: string, storeId: string) {
  if (!ctx.auth.signedIn) throw new AccessError('UNAUTHENTICATED');
  if (ctx.auth.staffId === staffId && ctx.auth.roles.has(storeId)) return;
  ctx.auth.require('performance:read', storeId);
}

export function addGuideTypes(builder: Builder) {
  const staffById = (ctx: Context, query: object, id: string) =>
    ctx.db.staff.findUniqueOrThrow({ ...query, where: { id } });
  const storeById = (ctx: Context, query: object, id: string) =>
    ctx.db.store.findUniqueOrThrow({ ...query, where: { id } });

  builder.prismaNode('GuideBinding', {
    id: { field: 'id' },
    // Readable where the customer is: the counter sees who a customer's guide is.
    authScopes: { permission: 'customer:read' },
    description: "A customer's 专属导购 (shopping guide) in a store, from startedAt until endedAt (null: current).",
    fields: (t) => ({
      customer: t.relation('customer'),
      staff: t.prismaField({ type: 'Staff', resolve: (query, b, _args, ctx) => staffById(ctx, query, b.staffId) }),
      store: t.prismaField({ type: 'Store', resolve: (query, b, _args, ctx) => storeById(ctx, query, b.storeId) }),
      startedAt: t.expose('startedAt', { type: 'DateTime' }),
      endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
    }),
  });

  builder.prismaObjectFields('Customer', (t) => ({
    guide: t.prismaField({
      type: 'GuideBinding',
      nullable: true,
      description: 'The current 专属导购, if any.',
      select: { id: true },
      resolve: (query, c, _args, ctx) =>
        ctx.db.guideBinding.findFirst({ ...query, where: { customerId: c.id, endedAt: null } }),
    }),
    guideHistory: t.relatedConnection('guideBindings', {
      description: 'Every binding to a guide, most recent first.',
      cursor: 'id',
      query: () => ({ orderBy: { id: 'desc' } }),
    }),
  }));

  builder.prismaNode('CommissionRule', {
    id: { field: 'id' },
    authScopes: { permission: 'performance:read' },
    description:
      'A commission rate for one product, one category, or every product (both null). The most specific rule in ' +
      'force applies to each sale line.',
    fields: (t) => ({
      product: t.prismaField({
        type: 'Product',
        nullable: true,
        resolve: (query, r, _args, ctx) =>
          r.productId ? ctx.db.product.findUnique({ ...query, where: { id: r.productId } }) : null,
      }),
      category: t.exposeString('category', { nullable: true }),
      ratePercent: t.float({ resolve: (r) => r.ratePercent.toNumber() }),
      startedAt: t.expose('startedAt', { type: 'DateTime' }),
      endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
    }),
  });

  const EntryKind = builder.enumType(CommissionEntryKind, { name: 'CommissionEntryKind' });
  builder.prismaNode('CommissionEntry', {
    id: { field: 'id' },
    // The staff member's own, or their store's for who may read its performance.
    authScopes: (e, ctx) =>
      e.staffId === ctx.auth.staffId
        ? { signedIn: true }
        : { storePermission: { storeId: e.storeId, permission: 'performance:read' } },
    description: 'One line of the commission ledger: earned on a sale line, or taken back by a refund (negative).',
    fields: (t) => ({
      kind: t.expose('kind', { type: EntryKind }),
      saleId: t.id({ description: 'Global id, as Sale.id.', resolve: (e) => encodeGlobalID('Sale', e.saleId) }),
      ratePercent: t.float({ resolve: (e) => e.ratePercent.toNumber() }),
      baseAmount: t.expose('baseAmount', { type: 'Money' }),
      amount: t.expose('amount', { type: 'Money' }),
      businessDate: t.expose('businessDate', { type: 'Date' }),
    }),
  });

  const SalesTargetRef = builder.prismaObject('SalesTarget', {
    fields: (t) => ({
      staff: t.prismaField({ type: 'Staff', resolve: (query, s, _args, ctx) => staffById(ctx, query, s.staffId) }),
      store: t.prismaField({ type: 'Store', resolve: (query, s, _args, ctx) => storeById(ctx, query, s.storeId) }),
      month: t.string({ resolve: (s) => s.month.toISOString().slice(0, 7) }),
      amount: t.expose('amount', { type: 'Money' }),
    }),
  });

  const GuidePerformance = builder.objectRef<GuidePerformanceRow & { storeId: string }>('GuidePerformance').implement({
    description: "A staff member's month in a store: sales attributed to them (Sale.staffId), target and commission.",
    fields: (t) => ({
      rank: t.exposeInt('rank'),
      staff: t.prismaField({ type: 'Staff', resolve: (query, r, _args, ctx) => staffById(ctx, query, r.staffId) }),
      sales: t.exposeInt('sales', { description: 'Sales on business dates in the month, not refunded in full.' }),
      netSales: t.field({
        type: 'Money',
        description: 'Their totals less what was refunded of them.',
        resolve: (r) => r.netSales,
      }),
      target: t.field({ type: 'Money', nullable: true, resolve: (r) => r.target }),
      attainmentPercent: t.float({
        nullable: true,
        description: 'netSales ÷ target × 100, to two decimals; null without a target (or a target of 0).',
        resolve: (r) =>
          r.target && !r.target.isZero() ? r.netSales.mul(100).div(r.target).toDecimalPlaces(2).toNumber() : null,
      }),
      commission: t.field({
        type: 'Money',
        description: 'Net commission entered in the month.',
        resolve: (r) => r.commission,
      }),
    }),
  });

  type Statement = Awaited<ReturnType<typeof commissionStatement>>;
  const StatementRef = builder.objectRef<Statement>('CommissionStatement').implement({
    description: "A staff member's commission in one store between two business dates (the store's time zone).",
    fields: (t) => ({
      staff: t.prismaField({ type: 'Staff', resolve: (query, s, _args, ctx) => staffById(ctx, query, s.staffId) }),
      store: t.prismaField({ type: 'Store', resolve: (query, s, _args, ctx) => storeById(ctx, query, s.storeId) }),
      from: t.field({ type: 'Date', resolve: (s) => s.from }),
      to: t.field({ type: 'Date', resolve: (s) => s.to }),
      earned: t.field({
        type: 'Money',
        description: 'Commission earned on sales in the period.',
        resolve: (s) => s.earned,
      }),
      reversed: t.field({
        type: 'Money',
        description: 'Taken back by refunds in the period (≤ 0).',
        resolve: (s) => s.reversed,
      }),
      net: t.field({ type: 'Money', resolve: (s) => s.net }),
      base: t.field({
        type: 'Money',
        description: 'What the commission was computed on, net of refunds.',
        resolve: (s) => s.base,
      }),
      sales: t.int({ description: 'Sales that earned commission in the period.', resolve: (s) => s.sales }),
      entries: t.prismaConnection({
        type: 'CommissionEntry',
        cursor: 'id',
        description: 'The ledger lines of the period, oldest first.',
        resolve: (query, s, _args, ctx) =>
          ctx.db.commissionEntry.findMany({
            ...query,
            where: { staffId: s.staffId, storeId: s.storeId, businessDate: { gte: s.from, lte: s.to } },
            orderBy: { id: 'asc' },
          }),
      }),
    }),
  });

  builder.queryFields((t) => ({
    myCustomers: t.prismaConnection({
      type: 'Customer',
      cursor: 'id',
      description: 'The customers bound to the caller as their 专属导购, most recently created first.',
      authScopes: { signedIn: true },
      totalCount: (_root, _args, ctx) => ctx.db.customer.count({ where: myWhere(ctx) }),
      resolve: (query, _root, _args, ctx) =>
        ctx.db.customer.findMany({ ...query, where: myWhere(ctx), orderBy: { id: 'desc' } }),
    }),
    guideCustomers: t.prismaConnection({
      type: 'Customer',
      cursor: 'id',
      description: "One guide's customers in a store (performance:read there: the store's manager, the owner).",
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'performance:read' } }),
      args: { staffId: t.arg.globalID({ required: true }), storeId: t.arg.globalID({ required: true }) },
      totalCount: (_root, args, ctx) => ctx.db.customer.count({ where: guideWhere(args.staffId.id, args.storeId.id) }),
      resolve: (query, _root, args, ctx) =>
        ctx.db.customer.findMany({
          ...query,
          where: guideWhere(idOf(args.staffId, 'Staff', ['staffId']), idOf(args.storeId, 'Store', ['storeId'])),
          orderBy: { id: 'desc' },
        }),
    }),
    guideRanking: t.field({
      type: [GuidePerformance],
      description:
        "A store's staff ranked by net sales in a month (business dates in the store's time zone), with target, " +
        'attainment and commission.',
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'performance:read' } }),
      args: {
        storeId: t.arg.globalID({ required: true }),
        month: t.arg.string({ required: true, description: 'YYYY-MM' }),
        first: t.arg.int({ defaultValue: 20, description: 'At most 100.' }),
      },
      resolve: async (_root, args, ctx) => {
        const first = args.first ?? 20;
        if (first < 1 || first > 100)
          throw new InvalidInputError('INVALID_INPUT', { detail: 'first: 1–100' }, ['first']);
        const storeId = idOf(args.storeId, 'Store', ['storeId']);
        const rows = await guideRanking(ctx.app.analytics, storeId, args.month, first);
        return rows.map((r) => ({ ...r, storeId }));
      },
    }),
    commissionRules: t.prismaConnection({
      type: 'CommissionRule',
      cursor: 'id',
      description: 'Commission rules in force (with includeEnded, every one), newest first.',
      authScopes: { permission: 'performance:read' },
      args: { includeEnded: t.arg.boolean({ defaultValue: false }) },
      resolve: (query, _root, args, ctx) =>
        ctx.db.commissionRule.findMany({
          ...query,
          where: args.includeEnded ? {} : { endedAt: null },
          orderBy: { id: 'desc' },
        }),
    }),
    commissionStatement: t.field({
      type: StatementRef,
      description:
        "A staff member's commission statement for a period of at most 366 days: their own, or any in a store " +
        'where the caller has performance:read.',
      authScopes: { signedIn: true },
      args: {
        staffId: t.arg.globalID({ required: true }),
        storeId: t.arg.globalID({ required: true }),
        from: t.arg({ type: 'Date', required: true, description: 'First business date, inclusive' }),
        to: t.arg({ type: 'Date', required: true, description: 'Last business date, inclusive' }),
      },
      resolve: (_root, args, ctx) => {
        const staffId = idOf(args.staffId, 'Staff', ['staffId']);
        const storeId = idOf(args.storeId, 'Store', ['storeId']);
        requireSelfOrPerformance(ctx, staffId, storeId);
        return commissionStatement(ctx.app.analytics, staffId, storeId, args.from, args.to);
      },
    }),
  }));

  const SetCommissionRuleInput = builder.inputType('SetCommissionRuleInput', {
    fields: (t) => ({
      productId: t.globalID({ description: 'The rule is for this product…' }),
      category: t.string({ description: '…or for this category; neither: for every product.' }),
      ratePercent: t.float({ required: true, description: '0–100, at most two decimals, of what the line charges.' }),
    }),
  });

  builder.mutationFields((t) => ({
    bindCustomerGuide: t.prismaField({
      type: 'GuideBinding',
      description:
        "Makes a staff member of the store the customer's 专属导购 (guide:assign in the store). A current binding to " +
        'someone else ends.',
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'guide:assign' } }),
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        customerId: t.arg.globalID({ required: true }),
        staffId: t.arg.globalID({ required: true }),
        storeId: t.arg.globalID({ required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const input = {
          customerId: idOf(args.customerId, 'Customer', ['customerId']),
          staffId: idOf(args.staffId, 'Staff', ['staffId']),
          storeId: idOf(args.storeId, 'Store', ['storeId']),
        };
        const binding = await runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          bindGuide(tx, actorOfContext(ctx), ctx.auth.staffId, input),
        );
        return ctx.db.guideBinding.findUniqueOrThrow({ ...query, where: { id: binding.id } });
      },
    }),
    unbindCustomerGuide: t.prismaField({
      type: 'GuideBinding',
      description: "Ends the customer's current binding (guide:assign in its store). Returns the ended binding.",
      authScopes: { permission: 'guide:assign' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { customerId: t.arg.globalID({ required: true }) },
      resolve: async (query, _root, args, ctx) => {
        const customerId = idOf(args.customerId, 'Customer', ['customerId']);
        const ended = await runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          unbindGuide(tx, actorOfContext(ctx), ctx.auth.staffId, customerId, (storeId) =>
            ctx.auth.require('guide:assign', storeId),
          ),
        );
        return ctx.db.guideBinding.findUniqueOrThrow({ ...query, where: { id: ended.id } });
      },
    }),
    setCommissionRule: t.prismaField({
      type: 'CommissionRule',
      description:
        'Sets the commission rate for a product, a category or every product (chain-level: commission:configure). ' +
        'The rule in force for that target ends; recorded sales keep their rate.',
      authScopes: { permission: 'commission:configure' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: SetCommissionRuleInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        if (!Number.isFinite(input.ratePercent))
          throw new InvalidInputError('INVALID_INPUT', { detail: 'ratePercent' }, ['input', 'ratePercent']);
        const rule = await runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          setCommissionRule(tx, actorOfContext(ctx), ctx.auth.staffId, {
            productId: input.productId ? idOf(input.productId, 'Product', ['input', 'productId']) : null,
            category: input.category,
            ratePercent: new Prisma.Decimal(String(input.ratePercent)),
          }),
        );
        return ctx.db.commissionRule.findUniqueOrThrow({ ...query, where: { id: rule.id } });
      },
    }),
    endCommissionRule: t.prismaField({
      type: 'CommissionRule',
      description: 'Ends a rule in force: sales from now on no longer earn by it.',
      authScopes: { permission: 'commission:configure' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true, description: 'CommissionRule.id' }) },
      resolve: async (query, _root, args, ctx) => {
        const id = idOf(args.id, 'CommissionRule', ['id']);
        const rule = await runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          endCommissionRule(tx, actorOfContext(ctx), id),
        );
        return ctx.db.commissionRule.findUniqueOrThrow({ ...query, where: { id: rule.id } });
      },
    }),
    setSalesTarget: t.prismaField({
      type: SalesTargetRef,
      description: "Sets a staff member's sales target for a month in a store (performance:manage there).",
      authScopes: (_root, args) => ({
        storePermission: { storeId: args.storeId.id, permission: 'performance:manage' },
      }),
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        staffId: t.arg.globalID({ required: true }),
        storeId: t.arg.globalID({ required: true }),
        month: t.arg.string({ required: true, description: 'YYYY-MM' }),
        amount: t.arg({ type: 'Money', required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const input = {
          staffId: idOf(args.staffId, 'Staff', ['staffId']),
          storeId: idOf(args.storeId, 'Store', ['storeId']),
          month: args.month,
          amount: args.amount,
        };
        const target = await runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          setSalesTarget(tx, actorOfContext(ctx), input),
        );
        return ctx.db.salesTarget.findUniqueOrThrow({
          ...query,
          where: { staffId_storeId_month: { staffId: target.staffId, storeId: target.storeId, month: target.month } },
        });
      },
    }),
  }));
}

function myWhere(ctx: Context) {
  const staffId = ctx.auth.staffId;
  // An API key is no one's guide.
  if (!staffId) throw new AccessError('FORBIDDEN');
  return {
    mergedIntoId: null,
    erasedAt: null,
    guideBindings: { some: { staffId, endedAt: null } },
  } satisfies Prisma.CustomerWhereInput;
}

function guideWhere(staffId: string, storeId: string) {
  return {
    mergedIntoId: null,
    erasedAt: null,
    guideBindings: { some: { staffId, storeId, endedAt: null } },
  } satisfies Prisma.CustomerWhereInput;
}
