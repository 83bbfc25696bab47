import { encodeGlobalID } from '@pothos/plugin-relay';
import { InvalidInputError, NotFoundError } from '../../src/errors/index.ts';
import { USER_ERRORS } from '../../src/errors/types.ts';
import { runInTransaction } from '../../src/events/transaction.ts';
import {
  PointsEntryKind,
  PointsRounding,
  PointsRuleCombine,
  PointsRuleKind,
} from '../../src/generated/prisma/enums.ts';
import { FESTIVAL_CODES } from '../../src/calendar/festivals.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { requireLiveCustomer } from '../../src/customers/service.ts';
import type { Builder } from '../../src/schema/builder.ts';
import { audit, actorOfContext, changedFields } from '../../src/audit/service.ts';
import { requestLoader } from '../../src/schema/loaders.ts';
import { customerAccountRef } from '../../src/storefront/types.ts';
import { describeRuleProblem, type PointsQuote, type PointsService } from './service.ts';
import { cashValue, type LineResult } from './rules.ts';

/** The stored explanation's lines, with rule ids as the global ids `node(id:)` and `updatePointsRule` take. */
const explainedLines = (explanation: unknown) =>
  ((explanation as { lines?: LineResult[] } | null)?.lines ?? []).map((line) => ({
    ...line,
    contributions: line.contributions.map((c) => ({
      ...c,
      ruleId: c.ruleId ? encodeGlobalID('PointsRule', c.ruleId) : null,
    })),
  }));

export function addPointsTypes(builder: Builder, service: PointsService) {
  const KindEnum = builder.enumType(PointsEntryKind, { name: 'PointsEntryKind' });
  const RuleKindEnum = builder.enumType(PointsRuleKind, { name: 'PointsRuleKind' });
  const CombineEnum = builder.enumType(PointsRuleCombine, { name: 'PointsRuleCombine' });
  const RoundingEnum = builder.enumType(PointsRounding, { name: 'PointsRounding' });

  const PointsAccountRef = builder.prismaObject('PointsAccount', {
    description: "A customer's points. balance + pending always equals the sum of the ledger.",
    fields: (t) => ({
      balance: t.exposeInt('balance', { description: 'Spendable now.' }),
      pending: t.exposeInt('pending', { description: 'Earned, spendable once the return window closes.' }),
      lifetimeEarned: t.exposeInt('lifetimeEarned'),
      cashValue: t.field({
        type: 'Money',
        description: 'What the balance pays at checkout.',
        resolve: (a) => cashValue(a.balance, service.options.redemption.pointsPerYuan),
      }),
    }),
  });

  const Contribution = builder.simpleObject('PointsContribution', {
    fields: (t) => ({
      rule: t.string({ description: 'Rule name (or the member tier).' }),
      ruleId: t.id({ nullable: true }),
      points: t.int(),
    }),
  });
  const LineExplanation = builder.simpleObject('PointsLineExplanation', {
    description: 'Why one sale line earned what it did.',
    fields: (t) => ({
      lineNo: t.int(),
      sku: t.string(),
      paid: t.field({ type: 'Money', description: 'Money paid for the line (points used as payment excluded).' }),
      points: t.int(),
      contributions: t.field({ type: [Contribution] }),
    }),
  });

  builder.prismaNode('PointsLedgerEntry', {
    id: { field: 'id' },
    // Staff who may read customers, and the customer themselves (their storefront's pointsHistory).
    authScopes: (entry) => ({ permission: 'customer:read', customerSelf: entry.customerId }),
    fields: (t) => ({
      kind: t.expose('kind', { type: KindEnum }),
      points: t.exposeInt('points', { description: 'Signed.' }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      availableAt: t.expose('availableAt', { type: 'DateTime' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
      remaining: t.exposeInt('remaining', {
        description: 'For points added: what is not yet spent, reversed or expired.',
      }),
      reason: t.exposeString('reason', { nullable: true }),
      why: t.string({
        nullable: true,
        description: 'In words: the rules that earned it (EARN), or the reason given (an adjustment, an import).',
        resolve: (e) => {
          if (e.kind !== 'EARN') return e.reason; // a reversal's explanation lists lines, not rules
          const rules = new Set(explainedLines(e.explanation).flatMap((l) => l.contributions.map((c) => c.rule)));
          return rules.size ? [...rules].join('、') : e.reason;
        },
      }),
      saleId: t.globalID({ nullable: true, resolve: (r) => (r.saleId ? { type: 'Sale', id: r.saleId } : null) }),
      lines: t.field({
        type: [LineExplanation],
        description: 'For EARN: the rules behind each line.',
        resolve: (e) => (e.kind === 'EARN' ? explainedLines(e.explanation) : []) as never,
      }),
    }),
  });

  const Award = builder.simpleObject('PointsAward', {
    description: 'Points a sale earned beyond the rules, given by another plugin (a campaign’s 赠积分 or 双倍积分).',
    fields: (t) => ({
      reason: t.string({ description: 'Why: the campaign’s label.' }),
      points: t.int(),
    }),
  });

  const SalePoints = builder.simpleObject('SalePoints', {
    description: 'Points a sale earned and used, and why.',
    fields: (t) => ({
      earned: t.int({ description: 'Earned by the sale, before any refund (awards included).' }),
      awards: t.field({ type: [Award], description: 'Of which: awards beyond the rules, each with its why.' }),
      reversed: t.int({ description: 'Taken back by refunds.' }),
      redeemed: t.int({ description: 'Used to pay.' }),
      lines: t.field({ type: [LineExplanation] }),
    }),
  });

  const QuotePoints = builder.simpleObject('SaleQuotePoints', {
    description: "What the sale does to the member's points, for the till to tell them before charging.",
    fields: (t) => ({
      earned: t.int({ description: 'Points this sale earns as quoted (on the part paid in money), awards included.' }),
      awards: t.field({
        type: [Award],
        description: 'Of which: awards beyond the rules (campaigns), each with its why.',
      }),
      redeemed: t.int({ description: 'Points the quoted POINTS payment uses.' }),
      balance: t.int({ description: 'Spendable before this sale.' }),
      maxRedeemablePoints: t.int({ description: 'The most points this sale can take as payment.' }),
      maxRedeemableAmount: t.field({
        type: 'Money',
        description: 'What those points pay: the largest POINTS payment recordSale accepts for this sale.',
      }),
      lines: t.field({ type: [LineExplanation], description: 'The rules behind each line.' }),
    }),
  });

  builder.objectField('SaleQuote', 'points', (t) =>
    t.field({
      type: QuotePoints,
      nullable: true,
      description: 'Null when the sale has no member.',
      resolve: async (quote, _args, ctx) => {
        const did = quote.notes.points as PointsQuote | undefined;
        if (!did || !quote.customerId) return null;
        // Read after the preview rolled back: the balance as it stands, before this sale.
        const account = await ctx.db.pointsAccount.findUnique({ where: { customerId: quote.customerId } });
        const balance = account?.balance ?? 0;
        const max = service.redeemable(quote.total, balance);
        return {
          earned: did.earned,
          awards: did.awards ?? [],
          redeemed: did.redeemed,
          balance,
          maxRedeemablePoints: max.points,
          maxRedeemableAmount: max.amount,
          lines: explainedLines({ lines: did.lines }) as never,
        };
      },
    }),
  );

  builder.prismaObjectField('Customer', 'points', (t) =>
    t.field({
      type: PointsAccountRef,
      nullable: true,
      description: 'Null until the customer first earns or is given points.',
      select: { id: true },
      resolve: (c, _args, ctx) =>
        requestLoader(ctx, 'points.account', async (ids) => {
          const rows = await ctx.db.pointsAccount.findMany({ where: { customerId: { in: [...ids] } } });
          return new Map(rows.map((r) => [r.customerId, r]));
        }).load(c.id),
    }),
  );

  // The customer's own view (a storefront token): the balance, and each change with its why.
  const Account = customerAccountRef(builder);
  builder.prismaObjectField(Account, 'points', (t) =>
    t.field({
      type: PointsAccountRef,
      nullable: true,
      description: 'Null until the customer first earns or is given points.',
      select: { id: true },
      resolve: (c, _args, ctx) => ctx.db.pointsAccount.findUnique({ where: { customerId: c.id } }),
    }),
  );
  builder.prismaObjectField(Account, 'pointsHistory', (t) =>
    t.prismaConnection({
      type: 'PointsLedgerEntry',
      cursor: 'id',
      description: 'Newest first.',
      maxSize: 50,
      defaultSize: 20,
      resolve: (query, c, _args, ctx) =>
        ctx.db.pointsLedgerEntry.findMany({ ...query, where: { customerId: c.id }, orderBy: { seq: 'desc' } }),
    }),
  );

  builder.prismaObjectField('Sale', 'points', (t) =>
    t.field({
      type: SalePoints,
      nullable: true,
      description: 'Null when the sale involved no points.',
      select: { id: true },
      resolve: async (sale, _args, ctx) => {
        const entries = await requestLoader(ctx, 'points.bySale', async (ids) => {
          const rows = await ctx.db.pointsLedgerEntry.findMany({
            where: { saleId: { in: [...ids] } },
            orderBy: { createdAt: 'asc' },
          });
          const map = new Map<string, typeof rows>();
          for (const r of rows) map.set(r.saleId!, [...(map.get(r.saleId!) ?? []), r]);
          return map;
        }).load(sale.id);
        if (!entries?.length) return null;
        const earns = entries.filter((e) => e.kind === 'EARN');
        const awards = earns.filter((e) => e.dedupeKey?.startsWith('award:'));
        // The sale's own points and each award, line by line as the till showed them.
        const lines = new Map<number, ReturnType<typeof explainedLines>[number]>();
        for (const e of earns)
          for (const l of explainedLines(e.explanation)) {
            const had = lines.get(l.lineNo);
            lines.set(
              l.lineNo,
              had
                ? { ...had, points: had.points + l.points, contributions: [...had.contributions, ...l.contributions] }
                : l,
            );
          }
        return {
          earned: earns.reduce((s, e) => s + e.points, 0),
          awards: awards.map((e) => ({ reason: e.reason ?? '', points: e.points })),
          reversed: -entries.filter((e) => e.kind === 'REVERSE' && e.points < 0).reduce((s, e) => s + e.points, 0),
          redeemed: -entries.filter((e) => e.kind === 'REDEEM').reduce((s, e) => s + e.points, 0),
          lines: [...lines.values()].sort((a, b) => a.lineNo - b.lineNo) as never,
        };
      },
    }),
  );

  builder.prismaNode('PointsRule', {
    id: { field: 'id' },
    authScopes: { permission: 'marketing:manage' },
    description: 'An earning rule. See docs/plugins.md for how rules combine.',
    fields: (t) => ({
      name: t.exposeString('name'),
      kind: t.expose('kind', { type: RuleKindEnum }),
      combine: t.expose('combine', { type: CombineEnum }),
      active: t.exposeBoolean('active'),
      pointsPerYuan: t.string({ nullable: true, resolve: (r) => r.pointsPerYuan?.toString() ?? null }),
      multiplier: t.string({ nullable: true, resolve: (r) => r.multiplier?.toString() ?? null }),
      rounding: t.expose('rounding', { type: RoundingEnum }),
      categories: t.exposeStringList('categories'),
      skus: t.exposeStringList('skus'),
      excludedCategories: t.exposeStringList('excludedCategories'),
      excludedSkus: t.exposeStringList('excludedSkus'),
      weekdays: t.exposeIntList('weekdays'),
      startsAt: t.expose('startsAt', { type: 'DateTime', nullable: true }),
      endsAt: t.expose('endsAt', { type: 'DateTime', nullable: true }),
      tierCodes: t.exposeStringList('tierCodes'),
      birthdayMonth: t.exposeBoolean('birthdayMonth'),
      festivals: t.exposeStringList('festivals', {
        description: 'Festival codes (the Festival enum): the rule holds near any of them, every year on its own date.',
      }),
      festivalDaysBefore: t.exposeInt('festivalDaysBefore'),
      festivalDaysAfter: t.exposeInt('festivalDaysAfter'),
      statutoryHolidays: t.exposeBoolean('statutoryHolidays', { description: 'Only on statutory days off.' }),
      memberDay: t.exposeBoolean('memberDay', { description: "Only on the store's 会员日." }),
      minSpend: t.expose('minSpend', { type: 'Money', nullable: true }),
      capPerSale: t.exposeInt('capPerSale', { nullable: true }),
      capPerDay: t.exposeInt('capPerDay', { nullable: true }),
    }),
  });

  builder.queryFields((t) => ({
    pointsRules: t.prismaField({
      type: ['PointsRule'],
      authScopes: { permission: 'marketing:manage' },
      resolve: (query, _root, _args, ctx) => ctx.db.pointsRule.findMany({ ...query, orderBy: { createdAt: 'asc' } }),
    }),
    pointsLedger: t.prismaConnection({
      type: 'PointsLedgerEntry',
      cursor: 'seq',
      description: "A customer's points history, newest first (in the order the entries were written).",
      authScopes: { permission: 'customer:read' },
      args: { customerId: t.arg.globalID({ required: true }) },
      resolve: (query, _root, args, ctx) =>
        ctx.db.pointsLedgerEntry.findMany({
          ...query,
          where: { customerId: args.customerId.id },
          orderBy: { seq: 'desc' },
        }),
    }),
  }));

  const RuleInput = builder.inputType('PointsRuleInput', {
    fields: (t) => ({
      name: t.string(),
      kind: t.field({ type: RuleKindEnum }),
      combine: t.field({ type: CombineEnum }),
      active: t.boolean(),
      pointsPerYuan: t.string({ description: 'BASE_RATE: points per yuan paid, e.g. "1" or "0.5".' }),
      multiplier: t.string({ description: 'MULTIPLIER: e.g. "2" for double points.' }),
      rounding: t.field({ type: RoundingEnum }),
      categories: t.stringList(),
      skus: t.stringList(),
      excludedCategories: t.stringList(),
      excludedSkus: t.stringList(),
      weekdays: t.intList({ description: "1 = Monday … 7 = Sunday, in the store's time zone." }),
      startsAt: t.field({ type: 'DateTime' }),
      endsAt: t.field({ type: 'DateTime' }),
      tierCodes: t.stringList(),
      birthdayMonth: t.boolean(),
      festivals: t.stringList({
        description:
          'Festival codes (the Festival enum, e.g. MID_AUTUMN): the rule holds from festivalDaysBefore days ' +
          'before to festivalDaysAfter days after any of them, on each year\'s own date ("中秋 and the 3 days ' +
          'before": ["MID_AUTUMN"], 3, 0).',
      }),
      festivalDaysBefore: t.int({ description: '0–60, default 0.' }),
      festivalDaysAfter: t.int({ description: '0–60, default 0.' }),
      statutoryHolidays: t.boolean({ description: 'Only on statutory days off (法定节假日), not 调休 working days.' }),
      memberDay: t.boolean({ description: "Only on the store's 会员日 (Store.calendar)." }),
      minSpend: t.field({ type: 'Money' }),
      capPerSale: t.int(),
      capPerDay: t.int(),
    }),
  });

  type RuleArgs = Record<string, unknown> & {
    pointsPerYuan?: string | null;
    multiplier?: string | null;
    weekdays?: number[] | null;
    festivals?: string[] | null;
    festivalDaysBefore?: number | null;
    festivalDaysAfter?: number | null;
  };
  const toData = (input: RuleArgs) => {
    const decimal = (v: string | null | undefined, field: string) => {
      if (v === undefined || v === null) return v;
      if (!/^\d+(\.\d{1,4})?$/.test(v.trim()))
        throw new InvalidInputError('INVALID_POINTS_RULE', { detail: `${field}: a positive number` }, ['input', field]);
      return new Prisma.Decimal(v.trim());
    };
    if (input.weekdays?.some((d) => d < 1 || d > 7))
      throw new InvalidInputError('INVALID_POINTS_RULE', { detail: 'weekdays are 1–7' }, ['input', 'weekdays']);
    const unknown = input.festivals?.find((f) => !(FESTIVAL_CODES as readonly string[]).includes(f));
    if (unknown)
      throw new InvalidInputError('INVALID_POINTS_RULE', { detail: `unknown festival ${unknown}` }, [
        'input',
        'festivals',
      ]);
    for (const field of ['festivalDaysBefore', 'festivalDaysAfter'] as const) {
      const days = input[field];
      if (days !== undefined && days !== null && (days < 0 || days > 60))
        throw new InvalidInputError('INVALID_POINTS_RULE', { detail: `${field}: 0–60` }, ['input', field]);
    }
    const data = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Record<
      string,
      unknown
    >;
    if ('pointsPerYuan' in input) data.pointsPerYuan = decimal(input.pointsPerYuan, 'pointsPerYuan');
    if ('multiplier' in input) data.multiplier = decimal(input.multiplier, 'multiplier');
    return data;
  };
  const check = (rule: Parameters<typeof describeRuleProblem>[0]) => {
    const problem = describeRuleProblem(rule);
    if (problem) throw new InvalidInputError('INVALID_POINTS_RULE', { detail: problem }, ['input']);
  };

  builder.mutationFields((t) => ({
    createPointsRule: t.prismaField({
      type: 'PointsRule',
      description: 'A rule for the whole chain: needs the chain-level loyalty:configure (owners).',
      authScopes: { permission: 'loyalty:configure' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: RuleInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        if (!input.name?.trim() || !input.kind)
          throw new InvalidInputError('INVALID_POINTS_RULE', { detail: 'name and kind are required' }, ['input']);
        const data = toData(input as RuleArgs);
        check({
          kind: input.kind,
          pointsPerYuan: (data.pointsPerYuan as Prisma.Decimal) ?? null,
          multiplier: (data.multiplier as Prisma.Decimal) ?? null,
        });
        const rule = await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          const created = await tx.pointsRule.create({ data: data as Prisma.PointsRuleCreateInput });
          await audit(tx, actorOfContext(ctx), {
            operation: 'pointsRule.create',
            entityType: 'PointsRule',
            entityId: created.id,
            after: created,
          });
          emit('points.rule.changed', { ruleId: created.id });
          return created;
        });
        return ctx.db.pointsRule.findUniqueOrThrow({ ...query, where: { id: rule.id } });
      },
    }),
    updatePointsRule: t.prismaField({
      type: 'PointsRule',
      description:
        'Changes only the fields given; active: false switches a rule off. Needs the chain-level loyalty:configure.',
      authScopes: { permission: 'loyalty:configure' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        id: t.arg.globalID({ required: true, description: 'PointsRule.id' }),
        input: t.arg({ type: RuleInput, required: true }),
      },
      resolve: async (query, _root, { id, input }, ctx) => {
        const existing =
          id.typename === 'PointsRule' ? await ctx.db.pointsRule.findUnique({ where: { id: id.id } }) : null;
        if (!existing) throw new NotFoundError('PointsRule', encodeGlobalID(id.typename, id.id), ['id']);
        const data = toData(input as RuleArgs);
        check({ ...existing, ...(data as object) });
        await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          const updated = await tx.pointsRule.update({ where: { id: existing.id }, data });
          await audit(tx, actorOfContext(ctx), {
            operation: 'pointsRule.update',
            entityType: 'PointsRule',
            entityId: existing.id,
            ...changedFields(existing, updated),
          });
          emit('points.rule.changed', { ruleId: existing.id });
        });
        return ctx.db.pointsRule.findUniqueOrThrow({ ...query, where: { id: existing.id } });
      },
    }),
    adjustPoints: t.prismaField({
      type: 'PointsLedgerEntry',
      description:
        'Gives (positive) or takes (negative) points by hand, with a reason (1–500 characters); recorded with ' +
        "the staff member and in the audit log. At most the caller's role's maximum per adjustment (points " +
        'plugin option adjustmentLimits: managers 5,000, owners 1,000,000 by default).',
      authScopes: { permission: 'marketing:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        customerId: t.arg.globalID({ required: true }),
        points: t.arg.int({ required: true }),
        reason: t.arg.string({ required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const max = ctx.auth.limit('marketing:manage', service.options.adjustmentLimits);
        if (Math.abs(args.points) > max) throw new InvalidInputError('POINTS_ADJUST_LIMIT', { max }, ['points']);
        const entry = await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const customer = await requireLiveCustomer(unit.tx, args.customerId.id, ['customerId']);
          const adjusted = await service.adjust(unit, {
            customerId: customer.id,
            points: args.points,
            reason: args.reason,
            staffId: ctx.auth.staffId,
          });
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'points.adjust',
            entityType: 'Customer',
            entityId: customer.id,
            after: { points: args.points },
            // The reason stays on the ledger entry (named here), not in the log: staff may name the
            // person in it, and an erasure must be able to remove it.
            details: { ledgerEntryId: adjusted.id },
          });
          return adjusted;
        });
        return ctx.db.pointsLedgerEntry.findUniqueOrThrow({ ...query, where: { id: entry.id } });
      },
    }),
  }));
}
