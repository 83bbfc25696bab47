import { encodeGlobalID, resolveOffsetConnection } from '@pothos/plugin-relay';
import { actorOfContext, audit } from '../../src/audit/service.ts';
import { AccessError, InvalidStateError, NotFoundError } from '../../src/errors/index.ts';
import { USER_ERRORS } from '../../src/errors/types.ts';
import { runInTransaction } from '../../src/events/transaction.ts';
import type { Context } from '../../src/contract.ts';
import { idOfType, isUuid, NIL_UUID } from '../../src/db/ids.ts';
import type { Tx } from '../../src/db/tx.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { Builder } from '../../src/schema/builder.ts';
import { customerAccountRef } from '../../src/storefront/types.ts';
import type { CampaignAction, CampaignConditions, CampaignRow, CampaignStatus } from './definition.ts';
import type { CampaignNote, CampaignService } from './service.ts';
import { type CouponRow, issueCoupons } from './coupons.ts';
import { type CampaignInputShape, validateCampaign } from './validate.ts';
import { requestLoader } from '../../src/schema/loaders.ts';
import { type CampaignResults, campaignResults, type HoldoutResults } from './results.ts';
import { MAX_WHATIF_DAYS, type WhatIfResult, whatIf } from './whatif.ts';

const STATUSES = ['ACTIVE', 'PAUSED', 'ENDED'] as const;
const ACTION_TYPES = [
  'AMOUNT_OFF',
  'AMOUNT_OFF_EVERY',
  'PERCENT_OFF_ORDER',
  'PERCENT_OFF_LINES',
  'NTH_UNIT_PERCENT_OFF',
  'BUY_X_GET_Y',
  'BUNDLE_PRICE',
  'GIFT',
  'ISSUE_COUPON',
  'BONUS_POINTS',
  'POINTS_MULTIPLIER',
] as const;

export function addCampaignTypes(builder: Builder, service: CampaignService) {
  const StatusEnum = builder.enumType('CampaignStatus', {
    description: 'ACTIVE applies to sales within its window; PAUSED does not until resumed; ENDED is final.',
    values: STATUSES,
  });
  const ActionTypeEnum = builder.enumType('CampaignActionType', {
    description:
      'AMOUNT_OFF: the best threshold met (满200减20 / 满500减80). AMOUNT_OFF_EVERY: off for every full step ' +
      '(每满300减50), capped. PERCENT_OFF_ORDER / PERCENT_OFF_LINES: 9折 on the order or line by line. ' +
      'NTH_UNIT_PERCENT_OFF: every nth unit of a matching line (第二件半价). BUY_X_GET_Y: the cheapest units free. ' +
      'BUNDLE_PRICE: each complete set of the bundle at a fixed price (套餐价). GIFT: the gift SKU scanned at the ' +
      'till is free (赠品, stock taken by its line). ISSUE_COUPON: the buyer gets a code of a batch (满额返券). ' +
      'BONUS_POINTS / POINTS_MULTIPLIER: the member earns more points (赠50积分, 双倍积分; the points plugin).',
    values: ACTION_TYPES,
  });

  const Threshold = builder.simpleObject('CampaignThreshold', {
    fields: (t) => ({ spend: t.field({ type: 'Money' }), off: t.field({ type: 'Money' }) }),
  });
  const BundleItem = builder.simpleObject('CampaignBundleItem', {
    fields: (t) => ({ sku: t.string(), quantity: t.int() }),
  });
  const Conditions = builder.objectRef<CampaignConditions>('CampaignConditions').implement({
    description:
      'Every condition given must hold. Spend is judged on what the matching lines still charge after earlier ' +
      'adjustments (the member price, campaigns of higher priority); times and days in the store’s time zone.',
    fields: (t) => ({
      minSpend: t.field({ type: 'Money', nullable: true, resolve: (k) => k.minSpend ?? null }),
      skus: t.stringList({ resolve: (k) => k.skus ?? [] }),
      categories: t.stringList({ resolve: (k) => k.categories ?? [] }),
      minQuantity: t.int({ nullable: true, resolve: (k) => k.minQuantity ?? null }),
      tierCodes: t.stringList({ resolve: (k) => k.tierCodes ?? [] }),
      segmentId: t.id({
        nullable: true,
        resolve: (k) => (k.segmentId ? encodeGlobalID('Segment', k.segmentId) : null),
      }),
      storeIds: t.idList({ resolve: (k) => (k.storeIds ?? []).map((id) => encodeGlobalID('Store', id)) }),
      weekdays: t.intList({ resolve: (k) => k.weekdays ?? [] }),
      timeFrom: t.string({ nullable: true, resolve: (k) => k.timeFrom ?? null }),
      timeTo: t.string({ nullable: true, resolve: (k) => k.timeTo ?? null }),
      memberDay: t.boolean({ resolve: (k) => k.memberDay ?? false }),
      birthdayMonth: t.boolean({ resolve: (k) => k.birthdayMonth ?? false }),
      firstPurchase: t.boolean({ resolve: (k) => k.firstPurchase ?? false }),
    }),
  });
  const Action = builder.objectRef<CampaignAction>('CampaignAction').implement({
    fields: (t) => ({
      type: t.field({ type: ActionTypeEnum, resolve: (a) => a.type }),
      thresholds: t.field({ type: [Threshold], resolve: (a) => a.thresholds ?? [] }),
      every: t.field({ type: 'Money', nullable: true, resolve: (a) => a.every ?? null }),
      off: t.field({ type: 'Money', nullable: true, resolve: (a) => a.off ?? null }),
      maxOff: t.field({ type: 'Money', nullable: true, resolve: (a) => a.maxOff ?? null }),
      percentOff: t.string({ nullable: true, resolve: (a) => a.percentOff ?? null }),
      nth: t.int({ nullable: true, resolve: (a) => a.nth ?? null }),
      buy: t.int({ nullable: true, resolve: (a) => a.buy ?? null }),
      get: t.int({ nullable: true, resolve: (a) => a.get ?? null }),
      bundle: t.field({ type: [BundleItem], resolve: (a) => a.bundle ?? [] }),
      price: t.field({ type: 'Money', nullable: true, resolve: (a) => a.price ?? null }),
      giftSku: t.string({ nullable: true, resolve: (a) => a.giftSku ?? null }),
      giftQuantity: t.int({ nullable: true, resolve: (a) => a.giftQuantity ?? null }),
      couponBatchId: t.id({
        nullable: true,
        resolve: (a) => (a.couponBatchId ? encodeGlobalID('CouponBatch', a.couponBatchId) : null),
      }),
      points: t.int({ nullable: true, resolve: (a) => a.points ?? null }),
      multiplier: t.string({ nullable: true, resolve: (a) => a.multiplier ?? null }),
    }),
  });

  const CampaignRef = builder.objectRef<CampaignRow>('Campaign');
  builder.node(CampaignRef, {
    description: 'A promotion (营销活动): conditions, one action, limits, applied by the sale pipeline.',
    id: { resolve: (c) => c.id },
    authScopes: { permission: 'campaigns:read' },
    loadMany: (ids, ctx) =>
      service.byIds(ctx.db, ids.filter(isUuid)).then((rows) => ids.map((id) => rows.get(id) ?? null)),
    fields: (t) => ({
      name: t.string({ resolve: (c) => c.name }),
      status: t.field({ type: StatusEnum, resolve: (c) => c.status }),
      priority: t.int({ description: 'Higher is tried first.', resolve: (c) => c.priority }),
      exclusive: t.boolean({
        description: 'Applies only to a sale no campaign applied to yet, and then no other campaign applies.',
        resolve: (c) => c.exclusive,
      }),
      combinesWithTier: t.boolean({
        description: 'False: skips a sale that received the member (tier) discount.',
        resolve: (c) => c.combinesWithTier,
      }),
      requiresCoupon: t.boolean({
        description: 'Applies only to a sale that presents one of its coupon codes (couponCodes).',
        resolve: (c) => c.requiresCoupon,
      }),
      startsAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.startsAt }),
      endsAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.endsAt }),
      conditions: t.field({ type: Conditions, resolve: (c) => c.conditions }),
      action: t.field({ type: Action, resolve: (c) => c.action }),
      budgetAmount: t.field({ type: 'Money', nullable: true, resolve: (c) => c.budgetAmount }),
      budgetRedemptions: t.int({ nullable: true, resolve: (c) => c.budgetRedemptions }),
      perCustomerLimit: t.int({ nullable: true, resolve: (c) => c.perCustomerLimit }),
      perDayLimit: t.int({ nullable: true, resolve: (c) => c.perDayLimit }),
      usedAmount: t.field({
        type: 'Money',
        description: 'Discount given against the budget, net of refunds (kept for campaigns with limits).',
        resolve: (c) => c.usedAmount,
      }),
      usedRedemptions: t.int({
        description: 'Sales that used it, less those refunded in full (kept for campaigns with limits).',
        resolve: (c) => c.usedRedemptions,
      }),
      holdoutPercent: t.int({
        nullable: true,
        description: 'This share of customers (a hash of campaign and customer) never gets it: results compare them.',
        resolve: (c) => c.holdoutPercent,
      }),
      results: t.field({
        type: Results,
        description:
          'What it gave and brought, computed from the sales; the uplift against the holdout. Whoever may run it.',
        authScopes: { permission: 'campaigns:manage-store' },
        resolve: (c, _a, ctx) => {
          authorizeStores(ctx, c.conditions.storeIds);
          return campaignResults(ctx.db, c, new Date(), service.deps.points);
        },
      }),
      createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
      updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
    }),
  });

  const Holdout = builder.objectRef<HoldoutResults>('CampaignHoldoutResults').implement({
    description:
      'The customers who bought in the campaign’s stores during its window, by group: targeted, or held out ' +
      '(never given the campaign). Spend per customer is their spend there net of refunds.',
    fields: (t) => ({
      holdoutPercent: t.exposeInt('holdoutPercent'),
      from: t.field({ type: 'DateTime', resolve: (h) => h.from }),
      to: t.field({ type: 'DateTime', resolve: (h) => h.to }),
      targetedCustomers: t.exposeInt('targetedCustomers'),
      heldOutCustomers: t.exposeInt('heldOutCustomers'),
      targetedSpendPerCustomer: t.field({ type: 'Money', nullable: true, resolve: (h) => h.targetedSpendPerCustomer }),
      heldOutSpendPerCustomer: t.field({ type: 'Money', nullable: true, resolve: (h) => h.heldOutSpendPerCustomer }),
      uplift: t.field({
        type: 'Money',
        nullable: true,
        description: 'Targeted minus held-out spend per customer.',
        resolve: (h) => h.uplift,
      }),
      upliftPercent: t.string({
        nullable: true,
        description: 'The uplift as a percentage of the held-out spend per customer ("12.50").',
        resolve: (h) => h.upliftPercent,
      }),
    }),
  });
  const Results = builder.objectRef<CampaignResults>('CampaignResults').implement({
    description: 'Counted from the redemptions not undone by a whole refund, and their sales net of refunds.',
    fields: (t) => ({
      redemptions: t.exposeInt('redemptions'),
      discountGiven: t.field({ type: 'Money', resolve: (r) => r.discountGiven }),
      revenue: t.field({
        type: 'Money',
        description: 'What the sales that used it came to.',
        resolve: (r) => r.revenue,
      }),
      averageOrderValue: t.field({
        type: 'Money',
        nullable: true,
        description: '客单价: revenue per sale that used it.',
        resolve: (r) => r.averageOrderValue,
      }),
      customers: t.exposeInt('customers', { description: 'Distinct customers who used it.' }),
      newCustomers: t.exposeInt('newCustomers', {
        description: 'Customers whose first purchase was the first sale with which they used it.',
      }),
      returningCustomers: t.exposeInt('returningCustomers'),
      pointsAwarded: t.int({
        nullable: true,
        description:
          'BONUS_POINTS, POINTS_MULTIPLIER: points it awarded, less those refunds took back; null for another ' +
          'action or without the points plugin. Its redemptions are the sales it awarded points to.',
        resolve: (r) => r.pointsAwarded,
      }),
      holdout: t.field({ type: Holdout, nullable: true, resolve: (r) => r.holdout }),
    }),
  });

  const ThresholdInput = builder.inputType('CampaignThresholdInput', {
    fields: (t) => ({
      spend: t.field({ type: 'Money', required: true }),
      off: t.field({ type: 'Money', required: true }),
    }),
  });
  const ConditionsInput = builder.inputType('CampaignConditionsInput', {
    fields: (t) => ({
      minSpend: t.field({ type: 'Money', description: 'On what the matching lines still charge.' }),
      skus: t.stringList(),
      categories: t.stringList(),
      minQuantity: t.int({ description: 'Matching units in the basket (1 when SKUs or categories are given).' }),
      tierCodes: t.stringList({ description: 'Member tiers (needs the tiers plugin).' }),
      segmentId: t.globalID({ description: 'A saved customer segment.' }),
      storeIds: t.globalIDList(),
      weekdays: t.intList({ description: 'ISO weekdays, 1 = Monday, in the store’s time zone.' }),
      timeFrom: t.string({ description: '"HH:MM", store time, inclusive.' }),
      timeTo: t.string({ description: '"HH:MM", store time, exclusive; before timeFrom wraps past midnight.' }),
      memberDay: t.boolean({ description: 'The store’s 会员日 (setStoreCalendar).' }),
      birthdayMonth: t.boolean(),
      firstPurchase: t.boolean(),
    }),
  });
  const BundleItemInput = builder.inputType('CampaignBundleItemInput', {
    fields: (t) => ({ sku: t.string({ required: true }), quantity: t.int({ required: true }) }),
  });
  const ActionInput = builder.inputType('CampaignActionInput', {
    fields: (t) => ({
      type: t.field({ type: ActionTypeEnum, required: true }),
      thresholds: t.field({ type: [ThresholdInput] }),
      every: t.field({ type: 'Money' }),
      off: t.field({ type: 'Money' }),
      maxOff: t.field({ type: 'Money' }),
      percentOff: t.string({ description: '"10" for 10 % off (9折).' }),
      nth: t.int(),
      buy: t.int(),
      get: t.int(),
      bundle: t.field({ type: [BundleItemInput], description: 'BUNDLE_PRICE: the units of one set.' }),
      price: t.field({ type: 'Money', description: 'BUNDLE_PRICE: what one set costs.' }),
      giftSku: t.string({ description: 'GIFT: the free item (the till scans it).' }),
      giftQuantity: t.int({ description: 'GIFT: free units per sale, 1 (default) to 10.' }),
      couponBatchId: t.globalID({ description: 'ISSUE_COUPON: the batch (issued with forRewards) to draw from.' }),
      points: t.int({ description: 'BONUS_POINTS: points the sale earns on top, 1 to 100,000 (赠50积分).' }),
      multiplier: t.string({
        description: 'POINTS_MULTIPLIER: "2" doubles what the matching lines earn by the points rules (双倍积分).',
      }),
    }),
  });
  const CampaignInput = builder.inputType('CampaignInput', {
    fields: (t) => ({
      name: t.string({ required: true }),
      priority: t.int(),
      exclusive: t.boolean(),
      combinesWithTier: t.boolean(),
      requiresCoupon: t.boolean({ description: 'A coupon campaign: issue its codes with issueCoupons.' }),
      startsAt: t.field({ type: 'DateTime' }),
      endsAt: t.field({ type: 'DateTime' }),
      conditions: t.field({ type: ConditionsInput }),
      action: t.field({ type: ActionInput, required: true }),
      budgetAmount: t.field({ type: 'Money' }),
      budgetRedemptions: t.int(),
      perCustomerLimit: t.int(),
      perDayLimit: t.int(),
      holdoutPercent: t.int({ description: '1 to 50: the share of customers held out, for the results’ uplift.' }),
    }),
  });

  type Input = typeof CampaignInput.$inferInput;
  const shape = (input: Input): CampaignInputShape => ({
    ...input,
    conditions: input.conditions && {
      ...input.conditions,
      // An id of another type is an unknown one: the checks then refuse it by name.
      segmentId: input.conditions.segmentId ? idOfType(input.conditions.segmentId, 'Segment') : null,
      storeIds: input.conditions.storeIds?.map((s) => idOfType(s, 'Store')) ?? null,
    },
    action: input.action && {
      ...input.action,
      couponBatchId: input.action.couponBatchId ? idOfType(input.action.couponBatchId, 'CouponBatch') : null,
    },
  });

  const write = async (ctx: Context, id: string | null, input: Input) =>
    runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
      const shaped = shape(input);
      authorizeStores(ctx, shaped.conditions?.storeIds);
      // A store's manager changes only a campaign of their stores, and keeps it within them.
      if (id) authorizeStores(ctx, (await lockOpen(tx, id)).storeIds);
      const v = await validateCampaign(tx, shaped, service.deps, new Date());
      const conditions = JSON.stringify(v.conditions);
      const action = JSON.stringify(v.action);
      let campaignId: string;
      if (!id) {
        const [row] = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO "Campaign" (name, priority, exclusive, "combinesWithTier", "startsAt", "endsAt", conditions,
            action, "budgetAmount", "budgetRedemptions", "perCustomerLimit", "perDayLimit", "requiresCoupon",
            "holdoutPercent")
          VALUES (${v.name}, ${v.priority}, ${v.exclusive}, ${v.combinesWithTier}, ${v.startsAt}, ${v.endsAt},
            ${conditions}::jsonb, ${action}::jsonb, ${v.budgetAmount}::numeric, ${v.budgetRedemptions},
            ${v.perCustomerLimit}, ${v.perDayLimit}, ${v.requiresCoupon}, ${v.holdoutPercent})
          RETURNING id::text AS id`;
        campaignId = row!.id;
      } else {
        // The counters are recomputed from the redemptions: limits added now count what was given before.
        await tx.$executeRaw`
          UPDATE "Campaign" SET name = ${v.name}, priority = ${v.priority}, exclusive = ${v.exclusive},
            "combinesWithTier" = ${v.combinesWithTier}, "startsAt" = ${v.startsAt}, "endsAt" = ${v.endsAt},
            conditions = ${conditions}::jsonb, action = ${action}::jsonb, "budgetAmount" = ${v.budgetAmount}::numeric,
            "budgetRedemptions" = ${v.budgetRedemptions}, "perCustomerLimit" = ${v.perCustomerLimit},
            "perDayLimit" = ${v.perDayLimit}, "requiresCoupon" = ${v.requiresCoupon},
            "holdoutPercent" = ${v.holdoutPercent}, "updatedAt" = now(),
            "usedAmount" = (SELECT coalesce(sum(amount - "refundedAmount"), 0) FROM "CampaignRedemption"
                            WHERE "campaignId" = ${id}::uuid),
            "usedRedemptions" = (SELECT count(*) FROM "CampaignRedemption"
                                 WHERE "campaignId" = ${id}::uuid AND NOT reversed)
          WHERE id = ${id}::uuid`;
        campaignId = id;
      }
      const after = await service.byId(tx, campaignId);
      await audit(tx, actorOfContext(ctx), {
        operation: id ? 'campaign.update' : 'campaign.create',
        entityType: 'Campaign',
        entityId: campaignId,
        after,
      });
      emit('campaign.changed', { campaignId });
      return after!;
    });

  /** Locks a campaign that may still change; an ended one is final. */
  const lockOpen = async (tx: Tx, id: string) => {
    const [row] = await tx.$queryRaw<{ status: CampaignStatus; conditions: CampaignConditions }[]>`
      SELECT status, conditions FROM "Campaign" WHERE id = ${id}::uuid FOR UPDATE`;
    if (!row) throw new NotFoundError('Campaign', encodeGlobalID('Campaign', id), ['id']);
    if (row.status === 'ENDED') throw new InvalidStateError('CAMPAIGN_ENDED', {}, ['id']);
    return { status: row.status, storeIds: row.conditions.storeIds ?? [] };
  };

  builder.queryFields((t) => ({
    campaigns: t.connection({
      type: CampaignRef,
      description:
        'Campaigns by status (every status when none is given), highest priority first; pages of 20, at most 100.',
      authScopes: { permission: 'campaigns:read' },
      args: { status: t.arg({ type: [StatusEnum] }) },
      resolve: (_r, args, ctx) =>
        resolveOffsetConnection({ args }, ({ limit, offset }) =>
          service.list(ctx.db, args.status?.length ? args.status : null, limit, offset),
        ),
    }),
    campaign: t.field({
      type: CampaignRef,
      nullable: true,
      authScopes: { permission: 'campaigns:read' },
      args: { id: t.arg.globalID({ required: true }) },
      resolve: (_r, { id }, ctx) => (id.typename === 'Campaign' ? service.byId(ctx.db, id.id) : null),
    }),
  }));

  const WhatIf = builder.objectRef<WhatIfResult>('CampaignWhatIf').implement({
    description:
      'A campaign definition tried on the real sales of one store over a past period, nothing written: each sale ' +
      'as it was charged, the campaign after its recorded adjustments, limits counted in the order of the sales.',
    fields: (t) => ({
      storeId: t.id({ resolve: (w) => encodeGlobalID('Store', w.storeId) }),
      from: t.field({ type: 'DateTime', resolve: (w) => w.from }),
      to: t.field({ type: 'DateTime', resolve: (w) => w.to }),
      sales: t.exposeInt('sales', { description: 'Sales of the store in the period (not refunded in full).' }),
      salesTouched: t.exposeInt('salesTouched'),
      customersTouched: t.exposeInt('customersTouched'),
      cost: t.field({ type: 'Money', description: 'The discount it would have given.', resolve: (w) => w.cost }),
      revenueTouched: t.field({
        type: 'Money',
        description: 'What the touched sales were charged as they happened.',
        resolve: (w) => w.revenueTouched,
      }),
      couponsIssued: t.exposeInt('couponsIssued', { description: 'ISSUE_COUPON: codes it would have issued.' }),
      pointsAwarded: t.int({
        nullable: true,
        description:
          'BONUS_POINTS, POINTS_MULTIPLIER: points it would have awarded (a multiplier on what each sale earned as ' +
          'recorded); null for another action.',
        resolve: (w) => w.pointsAwarded,
      }),
      stoppedByLimits: t.exposeInt('stoppedByLimits', {
        description: 'Sales that met it but found its budget or a use limit spent.',
      }),
    }),
  });
  builder.queryField('campaignWhatIf', (t) =>
    t.field({
      type: WhatIf,
      description:
        `What a campaign would have done in a store over a past period (at most ${MAX_WHATIF_DAYS} days), read ` +
        'only. The definition is checked as at creation; its own window is the period. Owners, and a store manager ' +
        'for their store (campaigns:manage-store).',
      authScopes: (_r, { storeId }) => ({
        $any: {
          permission: 'campaigns:manage',
          storePermission: { storeId: idOfType(storeId, 'Store'), permission: 'campaigns:manage-store' },
        },
      }),
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        storeId: t.arg.globalID({ required: true }),
        from: t.arg({ type: 'DateTime', required: true }),
        to: t.arg({ type: 'DateTime', required: true }),
        input: t.arg({ type: CampaignInput, required: true }),
      },
      resolve: async (_r, { storeId, from, to, input }, ctx) => {
        const now = new Date();
        const v = await validateCampaign(ctx.db, { ...shape(input), startsAt: null, endsAt: null }, service.deps, now);
        const draft: CampaignRow = {
          ...v,
          id: NIL_UUID,
          status: 'ACTIVE',
          budgetAmount: v.budgetAmount == null ? null : new Prisma.Decimal(v.budgetAmount),
          usedAmount: new Prisma.Decimal(0),
          usedRedemptions: 0,
          createdAt: now,
          updatedAt: now,
        };
        return whatIf(ctx.db, draft, { storeId: idOfType(storeId, 'Store'), from, to }, service.deps, now);
      },
    }),
  );

  const setStatus =
    (from: CampaignStatus[], to: CampaignStatus, operation: string) => async (id: string, ctx: Context) =>
      runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
        const { status, storeIds } = await lockOpen(tx, id);
        authorizeStores(ctx, storeIds);
        if (from.includes(status))
          await tx.$executeRaw`UPDATE "Campaign" SET status = ${to}, "updatedAt" = now() WHERE id = ${id}::uuid`;
        const after = await service.byId(tx, id);
        await audit(tx, actorOfContext(ctx), { operation, entityType: 'Campaign', entityId: id, after });
        emit('campaign.changed', { campaignId: id });
        return after!;
      });
  const pause = setStatus(['ACTIVE'], 'PAUSED', 'campaign.pause');
  const resume = setStatus(['PAUSED'], 'ACTIVE', 'campaign.resume');
  const end = setStatus(['ACTIVE', 'PAUSED'], 'ENDED', 'campaign.end');

  const chainWide =
    'A campaign for every store needs the chain-level campaigns:manage (owners); one whose conditions name ' +
    'stores needs campaigns:manage-store (owners, store managers) in each of them.';
  builder.mutationFields((t) => ({
    createCampaign: t.field({
      type: CampaignRef,
      description:
        'Checked before it is stored: unknown SKUs, categories, stores, tiers or segments, a condition on a ' +
        `plugin that is not installed and an impossible window are typed errors naming the field. ${chainWide}`,
      authScopes: { permission: 'campaigns:manage-store' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: CampaignInput, required: true }) },
      resolve: (_r, { input }, ctx) => write(ctx, null, input),
    }),
    updateCampaign: t.field({
      type: CampaignRef,
      description: `Replaces the definition (checked as at creation); an ended campaign cannot change. ${chainWide}`,
      authScopes: { permission: 'campaigns:manage-store' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true }), input: t.arg({ type: CampaignInput, required: true }) },
      resolve: (_r, { id, input }, ctx) => write(ctx, rawCampaignId(id), input),
    }),
    pauseCampaign: t.field({
      type: CampaignRef,
      description: chainWide,
      authScopes: { permission: 'campaigns:manage-store' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true }) },
      resolve: (_r, { id }, ctx) => pause(rawCampaignId(id), ctx),
    }),
    resumeCampaign: t.field({
      type: CampaignRef,
      description: chainWide,
      authScopes: { permission: 'campaigns:manage-store' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true }) },
      resolve: (_r, { id }, ctx) => resume(rawCampaignId(id), ctx),
    }),
    endCampaign: t.field({
      type: CampaignRef,
      description: `Final: an ended campaign never applies again and cannot be changed. ${chainWide}`,
      authScopes: { permission: 'campaigns:manage-store' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true }) },
      resolve: (_r, { id }, ctx) => end(rawCampaignId(id), ctx),
    }),
  }));

  const HintKind = builder.enumType('CampaignHintKind', {
    description:
      'SPEND: a little more spend gives the offer (or more of it). GIFT: the sale earns a gift (赠品) the till ' +
      'has not scanned. GIFT_OUT_OF_STOCK: it earns a gift the store has none of.',
    values: ['SPEND', 'GIFT', 'GIFT_OUT_OF_STOCK'] as const,
  });
  const Hint = builder.simpleObject('CampaignHint', {
    description: 'A campaign the sale almost qualifies for, or a gift it earns that is not in the basket.',
    fields: (t) => ({
      campaignId: t.id(),
      kind: t.field({ type: HintKind }),
      missing: t.field({ type: 'Money', description: 'How much more the matching lines must come to (0 for a gift).' }),
      label: t.string({ description: 'The offer, in the caller’s language.' }),
      giftSku: t.string({ nullable: true, description: 'GIFT, GIFT_OUT_OF_STOCK: the gift’s SKU.' }),
      giftQuantity: t.int({
        nullable: true,
        description: 'GIFT: units to scan (at most what the store holds); GIFT_OUT_OF_STOCK: units lacking.',
      }),
      message: t.string({
        description: '“再买 ¥30.00 可享满300减50”, “可领取赠品：大面筋 ×1，请扫码加入”, for the till.',
      }),
    }),
  });
  builder.objectField('SaleQuote', 'campaignHints', (t) =>
    t.field({
      type: [Hint],
      description: 'Campaigns whose other conditions hold and that a little more spend would give (or give more of).',
      resolve: (quote, _a, ctx) => {
        const note = quote.notes.campaigns as CampaignNote | undefined;
        const en = ctx.locale === 'en';
        return (note?.hints ?? []).map((h) => {
          const label = h.label[en ? 'en' : 'zh-CN'];
          const more = h.missing.toFixed(2);
          const kind = h.kind ?? 'SPEND';
          const g = h.gift;
          const message =
            kind === 'GIFT'
              ? en
                ? `Free gift: scan ${g!.quantity} × ${g!.name}`
                : `可领取赠品：${g!.name} ×${g!.quantity}，请扫码加入`
              : kind === 'GIFT_OUT_OF_STOCK'
                ? en
                  ? `The free gift ${g!.name} is out of stock in this store`
                  : `赠品 ${g!.name} 本店已无库存`
                : en
                  ? `Buy ¥${more} more for ${label}`
                  : `再买 ¥${more} 可享${label}`;
          return {
            campaignId: h.campaignId,
            kind,
            missing: h.missing,
            label,
            giftSku: g?.sku ?? null,
            giftQuantity: g?.quantity ?? null,
            message,
          };
        });
      },
    }),
  );
  addCouponTypes(builder);
}

/** A coupon as the wallet and batch lists show it: the row the redemption reads, and when it was issued. */
type IssuedCoupon = CouponRow & { createdAt: Date };
interface BatchRow {
  id: string;
  campaignId: string;
  prefix: string;
  count: number;
  maxUses: number;
  validFrom: Date | null;
  validUntil: Date | null;
  validDays: number | null;
  forRewards: boolean;
  /** Its campaign's stores (empty: every store), for who may see it. */
  storeIds: string[];
}
const BATCH_SELECT = Prisma.sql`SELECT b.id::text AS id, b."campaignId"::text AS "campaignId", b.prefix, b.count,
  b."maxUses", b."validFrom", b."validUntil", b."validDays", b."forRewards",
  ARRAY(SELECT jsonb_array_elements_text(coalesce(c.conditions->'storeIds', '[]'::jsonb))) AS "storeIds"
  FROM "CouponBatch" b JOIN "Campaign" c ON c.id = b."campaignId"`;
const COUPON_COLUMNS = Prisma.sql`id::text AS id, code, "campaignId"::text AS "campaignId",
  "customerId"::text AS "customerId", "maxUses", uses, "validFrom", "validUntil", "createdAt"`;
const COUPON_COLUMNS_OF_K = Prisma.sql`k.id::text AS id, k.code, k."campaignId"::text AS "campaignId",
  k."customerId"::text AS "customerId", k."maxUses", k.uses, k."validFrom", k."validUntil", k."createdAt"`;

/** Where a coupon stands now: used up, expired, not yet valid, or available. */
function couponStatus(c: { uses: number; maxUses: number; validFrom: Date | null; validUntil: Date | null }) {
  const now = new Date();
  if (c.uses >= c.maxUses) return 'USED' as const;
  if (c.validUntil && now >= c.validUntil) return 'EXPIRED' as const;
  if (c.validFrom && now < c.validFrom) return 'NOT_YET_VALID' as const;
  return 'AVAILABLE' as const;
}

function addCouponTypes(builder: Builder) {
  const CouponStatus = builder.enumType('CouponStatus', {
    values: ['AVAILABLE', 'USED', 'EXPIRED', 'NOT_YET_VALID'] as const,
  });
  const CouponRef = builder.objectRef<IssuedCoupon>('Coupon').implement({
    description: 'A coupon code (券码) of a campaign that requires one.',
    fields: (t) => ({
      code: t.string({ resolve: (c) => c.code }),
      campaignId: t.id({ resolve: (c) => encodeGlobalID('Campaign', c.campaignId) }),
      customerId: t.id({
        nullable: true,
        description: 'The customer it was issued to; null: whoever presents it.',
        resolve: (c) => (c.customerId ? encodeGlobalID('Customer', c.customerId) : null),
      }),
      maxUses: t.int({ resolve: (c) => c.maxUses }),
      uses: t.int({ resolve: (c) => c.uses }),
      validFrom: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.validFrom }),
      validUntil: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.validUntil }),
      status: t.field({ type: CouponStatus, resolve: (c) => couponStatus(c) }),
    }),
  });
  const BatchRef = builder.objectRef<BatchRow>('CouponBatch');
  builder.node(BatchRef, {
    description: 'Coupon codes issued together; its codes are for whoever may run its campaign.',
    id: { resolve: (b) => b.id },
    // Bearer codes are money: only whoever may run the campaign sees its batches.
    authScopes: (b, ctx) => mayRun(ctx, b.storeIds),
    loadMany: async (ids, ctx) => {
      const rows = await ctx.db.$queryRaw<BatchRow[]>`${BATCH_SELECT} WHERE b.id = ANY (${ids.filter(isUuid)}::uuid[])`;
      return ids.map((id) => rows.find((r) => r.id === id) ?? null);
    },
    fields: (t) => ({
      campaignId: t.id({ resolve: (b) => encodeGlobalID('Campaign', b.campaignId) }),
      prefix: t.string({ resolve: (b) => b.prefix }),
      count: t.int({
        description: 'Its codes; a reward batch (forRewards) grows by one per qualifying sale.',
        resolve: async (b, _a, ctx) => {
          if (!b.forRewards) return b.count;
          const [row] = await ctx.db.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM "Coupon" WHERE "batchId" = ${b.id}::uuid`;
          return row?.n ?? 0;
        },
      }),
      forRewards: t.boolean({ resolve: (b) => b.forRewards }),
      maxUses: t.int({ resolve: (b) => b.maxUses }),
      validFrom: t.field({ type: 'DateTime', nullable: true, resolve: (b) => b.validFrom }),
      validUntil: t.field({ type: 'DateTime', nullable: true, resolve: (b) => b.validUntil }),
      validDays: t.int({
        nullable: true,
        description: 'A reward batch: each code is valid this many days from the sale that issued it.',
        resolve: (b) => b.validDays,
      }),
      csvPath: t.string({
        description: 'Where owners download its codes as CSV for printing (GET, with the same credentials).',
        resolve: (b) =>
          `/plugins/campaigns/coupons.csv?batchId=${encodeURIComponent(encodeGlobalID('CouponBatch', b.id))}`,
      }),
      coupons: t.connection({
        type: CouponRef,
        description: 'The codes, oldest first; pages of 20, at most 100 (the CSV has them all).',
        resolve: (b, args, ctx) =>
          resolveOffsetConnection(
            { args, defaultSize: 100, maxSize: 1000 },
            ({ limit, offset }) =>
              ctx.db.$queryRaw<IssuedCoupon[]>`
              SELECT ${COUPON_COLUMNS} FROM "Coupon" WHERE "batchId" = ${b.id}::uuid ORDER BY "createdAt", code
              LIMIT ${limit} OFFSET ${offset}`,
          ),
      }),
    }),
  });
  const IssueInput = builder.inputType('IssueCouponsInput', {
    fields: (t) => ({
      campaignId: t.globalID({ required: true }),
      count: t.int({ required: true, description: '1 to 10,000 codes.' }),
      prefix: t.string({ description: 'Up to 8 letters or digits before the random part, e.g. "BDAY".' }),
      maxUses: t.int({ description: '1 (single use, the default) to 1000.' }),
      validFrom: t.field({ type: 'DateTime' }),
      validUntil: t.field({ type: 'DateTime' }),
      validDays: t.int({ description: 'Valid for this many days from validFrom (or from issue).' }),
      customerId: t.globalID({ description: 'Issued to this customer only; without: to the bearer.' }),
      forRewards: t.boolean({
        description:
          'A batch an ISSUE_COUPON campaign (满额返券) fills, one code per qualifying sale, to its buyer: count may ' +
          'be 0, and validDays then counts from each sale.',
      }),
    }),
  });
  builder.mutationField('issueCoupons', (t) =>
    t.field({
      type: BatchRef,
      description: 'Issues a batch of unguessable codes for a campaign that requires a coupon. Needs campaigns:manage.',
      authScopes: { permission: 'campaigns:manage-store' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: IssueInput, required: true }) },
      resolve: (_r, { input }, ctx) =>
        runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const [campaign] = await tx.$queryRaw<{ conditions: CampaignConditions }[]>`
            SELECT conditions FROM "Campaign" WHERE id = ${idOfType(input.campaignId, 'Campaign')}::uuid`;
          if (campaign) authorizeStores(ctx, campaign.conditions.storeIds);
          const id = await issueCoupons(
            tx,
            {
              ...input,
              campaignId: idOfType(input.campaignId, 'Campaign'),
              customerId: input.customerId ? idOfType(input.customerId, 'Customer') : null,
            },
            new Date(),
          );
          await audit(tx, actorOfContext(ctx), {
            operation: 'campaign.issueCoupons',
            entityType: 'CouponBatch',
            entityId: id,
            after: { campaignId: input.campaignId.id, count: input.count },
          });
          const [batch] = await tx.$queryRaw<BatchRow[]>`${BATCH_SELECT} WHERE b.id = ${id}::uuid`;
          return batch!;
        }),
    }),
  );
  // The customer's own wallet on their storefront (a customer token): codes they may present,
  // named by their campaign; nothing of the campaign's rules or budget.
  const MyCoupon = builder.objectRef<IssuedCoupon & { campaignName: string }>('MyCoupon').implement({
    description: 'A coupon in the customer’s wallet (券包), as they see it.',
    fields: (t) => ({
      code: t.string({ resolve: (c) => c.code }),
      title: t.string({ description: 'The campaign’s name: what the coupon is for.', resolve: (c) => c.campaignName }),
      usesLeft: t.int({ resolve: (c) => Math.max(c.maxUses - c.uses, 0) }),
      validFrom: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.validFrom }),
      validUntil: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.validUntil }),
      status: t.field({ type: CouponStatus, resolve: (c) => couponStatus(c) }),
    }),
  });
  builder.objectField(customerAccountRef(builder), 'coupons', (t) =>
    t.field({
      type: [MyCoupon],
      description: 'The coupons issued to the customer (券包), newest first, at most 100.',
      resolve: (c, _a, ctx) =>
        ctx.db.$queryRaw<(IssuedCoupon & { campaignName: string })[]>`
          SELECT ${COUPON_COLUMNS_OF_K}, m.name AS "campaignName"
          FROM "Coupon" k JOIN "Campaign" m ON m.id = k."campaignId"
          WHERE k."customerId" = ${c.id}::uuid ORDER BY k."createdAt" DESC, k.code LIMIT 100`,
    }),
  );

  builder.prismaObjectField('Customer', 'coupons', (t) =>
    t.field({
      type: [CouponRef],
      description: 'The coupons issued to this customer (券包), newest first, at most 100.',
      select: { id: true },
      authScopes: { permission: 'campaigns:read' },
      resolve: (c, _a, ctx) =>
        requestLoader<IssuedCoupon[]>(ctx, 'campaigns.coupons', async (ids) => {
          const rows = await ctx.db.$queryRaw<IssuedCoupon[]>`
            SELECT ${COUPON_COLUMNS} FROM (
              SELECT *, row_number() OVER (PARTITION BY "customerId" ORDER BY "createdAt" DESC, code) AS n
              FROM "Coupon" WHERE "customerId" = ANY (${[...ids]}::uuid[])) k
            WHERE n <= 100 ORDER BY "createdAt" DESC, code`;
          const out = new Map<string, IssuedCoupon[]>(ids.map((id) => [id, []]));
          for (const r of rows) out.get(r.customerId!)?.push(r);
          return out;
        })
          .load(c.id)
          .then((rows) => rows ?? []),
    }),
  );
}

/**
 * A campaign that names stores may be run by whoever holds campaigns:manage-store in each of them (a
 * store's manager, for their store); one for every store needs the chain-level campaigns:manage.
 */
function authorizeStores(ctx: Context, storeIds: string[] | null | undefined) {
  if (!mayRun(ctx, storeIds)) throw new AccessError('FORBIDDEN');
}

function mayRun(ctx: Context, storeIds: string[] | null | undefined): boolean {
  if (ctx.auth.can('campaigns:manage')) return true;
  return !!storeIds?.length && storeIds.every((s) => ctx.auth.can('campaigns:manage-store', s));
}

/** A campaign's database id from its global id; another type's id is not found. */
function rawCampaignId(id: { typename: string; id: string }): string {
  if (id.typename !== 'Campaign') throw new NotFoundError('Campaign', id.id, ['id']);
  return id.id;
}
