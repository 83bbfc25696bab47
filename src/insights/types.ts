import { encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import type { Builder, BuilderTypes } from '../schema/builder.ts';
import type { Context } from '../schema/context.ts';
import {
  type BasketItem,
  basketPairs,
  categoryPairsSettled,
  MAX_BASKET_DAYS,
  MAX_DETAILED_BASKET_DAYS,
  MAX_SEQUENCE_SPAN_DAYS,
  maxPairDays,
  purchaseSequences,
  sequenceWindow,
} from './baskets.ts';
import { type Cohort as CohortRow, cohortSummaryKey, cohorts } from './cohorts.ts';
import { customerSummaryKind, type KpiFigures, kpis } from './kpis.ts';
import {
  type ProductRank,
  productRanking,
  type ReorderOptions,
  type StockInsight,
  type StockInsightOrder,
  stockInsights,
} from './products.ts';
import {
  bounded,
  type InsightScope,
  MAX_STORES,
  periodOf,
  previousPeriod,
  resolveScope,
  samePeriodLastYear,
} from './scope.ts';
import { LIVE_MAX_DAYS, readsSummary, SETTLED_DAYS, summaryAsOf } from './summary.ts';
import { salesHeatMap, salesTrend } from './time.ts';

type ProductRankRow = ProductRank & { asOf: Date | null };

type KpiReport = InsightScope & {
  repurchaseWithinDays: number;
  /** Whether the query selects any customer figure (only then are they computed). */
  customers: boolean;
};

/** The KpiFigures fields computed from the customers' purchases, always live. */
const CUSTOMER_FIELDS = new Set([
  'customerCount',
  'newCustomerCount',
  'newCustomerRevenue',
  'returningCustomerRevenue',
  'repurchasingCustomers',
  'repurchaseRate',
  'purchaseIntervals',
]);

/** Which periods read the summary (readsSummary), for the asOf fields' descriptions. */
const SUMMARY_PERIODS =
  `periods longer than ${LIVE_MAX_DAYS} days, and periods that ended ${SETTLED_DAYS} days or more before ` +
  'that date';

const asOfCache = new WeakMap<object, Promise<Date | null>>();

/**
 * When the daily summary a period's figures come from was brought up to date: periods longer
 * than LIVE_MAX_DAYS, or ended before the summary's last run's recent days, read it once it has
 * been built (readsSummary); null for any other period, or before the summary's first run (the
 * figures are then computed live). Read at most once per request.
 */
async function summaryAsOfFor(scope: InsightScope, ctx: Context): Promise<Date | null> {
  // A recent short period cannot be settled whatever the summary's state: no need to read it.
  if (!readsSummary(scope, new Date())) return null;
  const asOf = await summaryBuiltAt(ctx);
  return readsSummary(scope, asOf) ? asOf : null;
}

/** When the summary was last brought up to date (null before its first run), read once per request. */
function summaryBuiltAt(ctx: Context): Promise<Date | null> {
  let p = asOfCache.get(ctx);
  if (!p) {
    p = summaryAsOf(ctx.app.analytics);
    asOfCache.set(ctx, p);
  }
  return p;
}

/** Whether the field being resolved selects any of `names` anywhere below it (fragments included). */
function selectsAny(info: GraphQLResolveInfo, names: Set<string>): boolean {
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((sel) => {
      if (sel.kind === Kind.FIELD) return names.has(sel.name.value) || walk(sel.selectionSet);
      if (sel.kind === Kind.INLINE_FRAGMENT) return walk(sel.selectionSet);
      if (seen.has(sel.name.value)) return false;
      seen.add(sel.name.value);
      return walk(info.fragments[sel.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => walk(node.selectionSet));
}

export function addInsightTypes(builder: Builder) {
  const TrendGrain = builder.enumType('TrendGrain', { values: ['DAY', 'WEEK', 'MONTH'] as const });
  const ProductRankingOrder = builder.enumType('ProductRankingOrder', {
    values: {
      UNITS: { description: 'Net units sold, most first.' },
      REVENUE: { description: 'Net revenue, highest first.' },
      MARGIN: { description: 'Margin where the cost was known, highest first; products without a known cost last.' },
    } as const,
  });
  const BasketLevel = builder.enumType('BasketLevel', {
    values: {
      PRODUCT: { description: 'Items are SKUs.' },
      CATEGORY: { description: 'Items are product categories.' },
    } as const,
  });
  const InsightPeriod = builder.enumType('InsightPeriod', {
    description: 'Which period an insight covers: the one asked for, or one to compare it with.',
    values: {
      CURRENT: { description: 'from–to, as asked.' },
      PREVIOUS_PERIOD: { description: 'The same number of days just before from.' },
      SAME_PERIOD_LAST_YEAR: { description: 'The same calendar dates a year earlier (29 February becomes the 28th).' },
    } as const,
  });
  /** The period asked for, or one to compare it with (as kpis' previousPeriod and samePeriodLastYear). */
  const periodScope = (s: InsightScope, period: 'CURRENT' | 'PREVIOUS_PERIOD' | 'SAME_PERIOD_LAST_YEAR') =>
    period === 'PREVIOUS_PERIOD' ? previousPeriod(s) : period === 'SAME_PERIOD_LAST_YEAR' ? samePeriodLastYear(s) : s;
  const periodArg = (t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, InsightScope>) =>
    t.arg({
      type: InsightPeriod,
      defaultValue: 'CURRENT',
      required: true,
      description: 'CURRENT (default), or PREVIOUS_PERIOD / SAME_PERIOD_LAST_YEAR to compare with (use aliases).',
    });
  const BasketOrder = builder.enumType('BasketOrder', { values: ['SUPPORT', 'CONFIDENCE', 'LIFT'] as const });

  const IntervalBucket = builder
    .objectRef<KpiFigures['purchaseIntervals'][number]>('PurchaseIntervalBucket')
    .implement({
      description: 'Purchases whose time since the same customer’s purchase before fell in a range of days.',
      fields: (t) => ({
        minDays: t.exposeInt('minDays'),
        maxDays: t.exposeInt('maxDays', { nullable: true, description: 'null: no upper bound.' }),
        count: t.exposeInt('count'),
        share: t.exposeFloat('share', { description: 'count ÷ all intervals of the figures, 0–1.' }),
      }),
    });

  const Figures = builder.objectRef<KpiFigures & { storeCode: string | null }>('KpiFigures').implement({
    description:
      'Key figures of one store, or of all the stores asked for (storeId null). docs/insights.md has every formula.',
    fields: (t) => ({
      storeId: t.id({ nullable: true, resolve: (f) => (f.storeId ? encodeGlobalID('Store', f.storeId) : null) }),
      storeCode: t.exposeString('storeCode', { nullable: true }),
      grossSales: t.field({ type: 'Money', resolve: (f) => f.grossSales, description: 'Σ sale totals.' }),
      refunds: t.field({
        type: 'Money',
        resolve: (f) => f.refunds,
        description: 'Σ refunded so far against those sales.',
      }),
      revenue: t.field({ type: 'Money', resolve: (f) => f.revenue, description: 'Net revenue: grossSales − refunds.' }),
      saleCount: t.exposeInt('saleCount', { description: 'Sales not refunded in full.' }),
      refundedSaleCount: t.exposeInt('refundedSaleCount', { description: 'Sales with any refund.' }),
      averageSale: t.field({
        type: 'Money',
        resolve: (f) => f.averageSale,
        description: '客单价: revenue ÷ saleCount.',
      }),
      units: t.exposeInt('units', { description: 'Units sold less units refunded.' }),
      unitsPerSale: t.exposeFloat('unitsPerSale', { description: '连带率: units ÷ saleCount.' }),
      refundRate: t.exposeFloat('refundRate', { description: 'refunds ÷ grossSales, 0–1.' }),
      customerCount: t.exposeInt('customerCount', { description: 'Distinct known customers who bought.' }),
      newCustomerCount: t.exposeInt('newCustomerCount'),
      newCustomerRevenue: t.field({
        type: 'Money',
        resolve: (f) => f.newCustomerRevenue,
        description: 'Revenue from customers whose first purchase anywhere falls in the period.',
      }),
      returningCustomerRevenue: t.field({ type: 'Money', resolve: (f) => f.returningCustomerRevenue }),
      anonymousRevenue: t.field({
        type: 'Money',
        resolve: (f) => f.anonymousRevenue,
        description: 'Sales without a customer.',
      }),
      memberRevenue: t.field({ type: 'Money', resolve: (f) => f.memberRevenue }),
      memberShare: t.exposeFloat('memberShare', { description: 'memberRevenue ÷ revenue, 0–1.' }),
      repurchaseWithinDays: t.exposeInt('repurchaseWithinDays'),
      repurchasingCustomers: t.exposeInt('repurchasingCustomers'),
      repurchaseRate: t.exposeFloat('repurchaseRate', {
        description:
          '复购率: customers who bought again within repurchaseWithinDays of their first purchase of the ' +
          'period ÷ customers, 0–1.',
      }),
      purchaseIntervals: t.field({ type: [IntervalBucket], resolve: (f) => f.purchaseIntervals }),
    }),
  });

  const Report = builder.objectRef<KpiReport>('KpiReport').implement({
    description: 'Key figures of one period: all the stores together, and each store.',
    fields: (t) => {
      // total and stores come from the same statements: computed once per report object.
      const computed = new WeakMap<KpiReport, Promise<(KpiFigures & { storeCode: string | null })[]>>();
      const figures = (r: KpiReport, ctx: Context) => {
        let p = computed.get(r);
        if (!p) {
          p = compute(r, ctx);
          computed.set(r, p);
        }
        return p;
      };
      const compute = async (r: KpiReport, ctx: Context) => {
        const all = await ctx.app.analytics.store.findMany({
          where: { id: { in: r.storeIds } },
          select: { id: true, code: true },
        });
        const codes = new Map(all.map((s) => [s.id, s.code]));
        const asOf = await summaryAsOfFor(r, ctx);
        const rows = await kpis(ctx.app.analytics, r, r.repurchaseWithinDays, {
          summary: asOf !== null,
          customers: r.customers,
          customerSummary: asOf !== null && r.customers ? await customerSummaryKind(ctx.app.analytics, r) : null,
        });
        return rows.map((f) => ({ ...f, storeCode: f.storeId ? (codes.get(f.storeId) ?? null) : null }));
      };
      return {
        from: t.field({ type: 'Date', resolve: (r) => r.from }),
        to: t.field({ type: 'Date', resolve: (r) => r.to }),
        asOf: t.field({
          type: 'DateTime',
          nullable: true,
          description:
            `When the daily summary the sale figures were read from was last brought up to date ` +
            `(${SUMMARY_PERIODS}); null when every figure was computed live from the sales. The customer ` +
            'figures come from the same summary when the report covers one store, or every store of the chain ' +
            'in one time zone; otherwise they are live.',
          resolve: (r, _a, ctx) => summaryAsOfFor(r, ctx),
        }),
        total: t.field({ type: Figures, resolve: async (r, _a, ctx) => (await figures(r, ctx))[0]! }),
        stores: t.field({ type: [Figures], resolve: async (r, _a, ctx) => (await figures(r, ctx)).slice(1) }),
      };
    },
  });

  const Comparison = builder.objectRef<KpiReport>('KpiComparison').implement({
    description: 'The period, the one just before it (same number of days) and the same dates a year earlier.',
    fields: (t) => ({
      current: t.field({
        type: Report,
        resolve: (r, _a, _c, info) => ({ ...r, customers: selectsAny(info, CUSTOMER_FIELDS) }),
      }),
      previousPeriod: t.field({
        type: Report,
        resolve: (r, _a, _c, info) => ({ ...r, ...previousPeriod(r), customers: selectsAny(info, CUSTOMER_FIELDS) }),
      }),
      samePeriodLastYear: t.field({
        type: Report,
        resolve: (r, _a, _c, info) => ({
          ...r,
          ...samePeriodLastYear(r),
          customers: selectsAny(info, CUSTOMER_FIELDS),
        }),
      }),
    }),
  });

  const HeatCell = builder.simpleObject('SalesHeatCell', {
    description: "One weekday-and-hour cell, in each sale's store's local time.",
    fields: (t) => ({
      weekday: t.int({ description: 'ISO weekday: 1 Monday … 7 Sunday.' }),
      hour: t.int({ description: '0–23' }),
      saleCount: t.int(),
      revenue: t.field({ type: 'Money' }),
    }),
  });

  const TrendPoint = builder.simpleObject('SalesTrendPoint', {
    fields: (t) => ({
      start: t.field({ type: 'Date', description: 'First business date of the day, ISO week (Monday) or month.' }),
      saleCount: t.int(),
      grossSales: t.field({ type: 'Money' }),
      refunds: t.field({ type: 'Money' }),
      revenue: t.field({ type: 'Money' }),
      averageSale: t.field({ type: 'Money' }),
    }),
  });

  const ProductRank = builder.objectRef<ProductRankRow>('ProductRank').implement({
    fields: (t) => ({
      asOf: t.field({
        type: 'DateTime',
        nullable: true,
        description:
          `When the daily summary units, revenue, cost and saleCount were read from was last brought up to date ` +
          `(${SUMMARY_PERIODS}); null when computed live. topCustomerBuyers is always live.`,
        resolve: (p) => p.asOf,
      }),
      productId: t.id({ resolve: (p) => encodeGlobalID('Product', p.productId) }),
      sku: t.exposeString('sku'),
      name: t.exposeString('name'),
      category: t.exposeString('category'),
      units: t.exposeInt('units', { description: 'Net units: sold less refunded.' }),
      revenue: t.field({
        type: 'Money',
        resolve: (p) => p.revenue,
        description: 'Line totals less what refunds returned.',
      }),
      cost: t.field({
        type: 'Money',
        nullable: true,
        resolve: (p) => p.cost,
        description: 'Σ unitCost × net units over lines whose cost was known; null when none was.',
      }),
      margin: t.field({
        type: 'Money',
        nullable: true,
        resolve: (p) => p.margin,
        description: 'Revenue of the lines with a known cost less that cost.',
      }),
      marginRate: t.exposeFloat('marginRate', { nullable: true, description: 'margin ÷ revenue of those lines.' }),
      saleCount: t.exposeInt('saleCount'),
      topCustomerBuyers: t.exposeInt('topCustomerBuyers', {
        description: 'Top customers of the period who bought it.',
      }),
    }),
  });

  const StockInsightRef = builder.objectRef<StockInsight>('StockInsight').implement({
    description: "One SKU's stock in one store against its sales in the period. docs/insights.md has the formulas.",
    fields: (t) => ({
      storeId: t.id({ resolve: (s) => encodeGlobalID('Store', s.storeId) }),
      storeCode: t.exposeString('storeCode'),
      productId: t.id({ resolve: (s) => encodeGlobalID('Product', s.productId) }),
      sku: t.exposeString('sku'),
      name: t.exposeString('name'),
      category: t.exposeString('category'),
      onHand: t.exposeInt('onHand'),
      unitsSold: t.exposeInt('unitsSold', { description: 'Net units sold in the period.' }),
      dailyVelocity: t.exposeFloat('dailyVelocity', { description: 'unitsSold ÷ days of the period.' }),
      turnover: t.exposeFloat('turnover', {
        nullable: true,
        description: 'unitsSold ÷ onHand; null with nothing on hand.',
      }),
      daysOfCover: t.exposeFloat('daysOfCover', {
        nullable: true,
        description: 'onHand ÷ dailyVelocity; null when nothing sold.',
      }),
      lastSoldOn: t.field({
        type: 'Date',
        nullable: true,
        resolve: (s) => s.lastSoldOn,
        description: 'In the period.',
      }),
      configuredReorderPoint: t.exposeInt('configuredReorderPoint', {
        description: 'The store’s own reorder point (StockLevel).',
      }),
      reorderPoint: t.exposeInt('reorderPoint', {
        description: '⌈dailyVelocity × (leadTimeDays + safetyDays)⌉.',
      }),
      suggestedOrderQuantity: t.exposeInt('suggestedOrderQuantity', {
        description: 'When onHand ≤ reorderPoint: ⌈velocity × coverDays⌉ + reorderPoint − onHand; else 0.',
      }),
      boughtByTopCustomers: t.exposeBoolean('boughtByTopCustomers'),
    }),
  });

  const Item = builder.objectRef<BasketItem>('BasketItem').implement({
    fields: (t) => ({
      productId: t.id({
        nullable: true,
        resolve: (i) => (i.productId ? encodeGlobalID('Product', i.productId) : null),
        description: 'null for a category.',
      }),
      sku: t.exposeString('sku', { nullable: true }),
      name: t.exposeString('name'),
      category: t.exposeString('category'),
    }),
  });

  type Dated = { asOf: Date | null };
  const Pair = builder.objectRef<Awaited<ReturnType<typeof basketPairs>>[number] & Dated>('BasketPair').implement({
    description: 'Two items bought in the same sale.',
    fields: (t) => ({
      a: t.field({ type: Item, resolve: (p) => p.a }),
      b: t.field({ type: Item, resolve: (p) => p.b }),
      sales: t.exposeInt('sales', { description: 'Sales with both.' }),
      support: t.exposeFloat('support', { description: 'sales ÷ sales of the period.' }),
      confidenceAToB: t.exposeFloat('confidenceAToB', { description: 'sales ÷ sales with a.' }),
      confidenceBToA: t.exposeFloat('confidenceBToA', { description: 'sales ÷ sales with b.' }),
      lift: t.exposeFloat('lift', { description: 'confidenceAToB ÷ (sales with b ÷ sales of the period).' }),
      asOf: t.field({
        type: 'DateTime',
        nullable: true,
        description:
          `When the summary the baskets were read from was last brought up to date (${SUMMARY_PERIODS}; ` +
          'category pairs only while no product changed category since); null when computed live from the ' +
          'sale lines.',
        resolve: (p) => p.asOf,
      }),
    }),
  });

  const Sequence = builder
    .objectRef<Awaited<ReturnType<typeof purchaseSequences>>[number] & Dated>('PurchaseSequence')
    .implement({
      description: '"Bought `bought`, then `thenBought` within withinDays": customers counted once.',
      fields: (t) => ({
        bought: t.field({ type: Item, resolve: (s) => s.bought }),
        thenBought: t.field({ type: Item, resolve: (s) => s.thenBought }),
        customers: t.exposeInt('customers'),
        firstBuyers: t.exposeInt('firstBuyers', { description: 'Customers who bought `bought` in the period.' }),
        share: t.exposeFloat('share', { description: 'customers ÷ firstBuyers.' }),
        asOf: t.field({
          type: 'DateTime',
          nullable: true,
          description:
            `When the summary the baskets were read from was last brought up to date (${SUMMARY_PERIODS}); ` +
            'null when computed live from the sale lines.',
          resolve: (p) => p.asOf,
        }),
      }),
    });

  const CohortMonth = builder.simpleObject('CohortMonth', {
    fields: (t) => ({
      offset: t.int({ description: 'Months after the cohort month (0: that month).' }),
      month: t.field({ type: 'Date' }),
      customers: t.int({ description: 'Customers of the cohort who bought in that month.' }),
      rate: t.float({ description: 'customers ÷ the cohort’s size, 0–1.' }),
    }),
  });
  const Cohort = builder.objectRef<CohortRow & { asOf: Date | null }>('Cohort').implement({
    fields: (t) => ({
      month: t.field({
        type: 'Date',
        description: 'First day of the month of first purchase.',
        resolve: (c) => c.month,
      }),
      customers: t.exposeInt('customers'),
      retention: t.field({ type: [CohortMonth], resolve: (c) => c.retention }),
      asOf: t.field({
        type: 'DateTime',
        nullable: true,
        description:
          `When the summary the cohort was read from was last brought up to date (${SUMMARY_PERIODS}, over ` +
          'one store or every store); null when computed live from the sales.',
        resolve: (c) => c.asOf,
      }),
    }),
  });

  const reorderArgs = (t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, InsightScope>) => ({
    first: t.arg.int({ defaultValue: 20, required: true, description: '1–100 (default 20)' }),
    leadTimeDays: t.arg.int({
      defaultValue: 7,
      required: true,
      description: 'Days from order to shelf, 1–180 (default 7).',
    }),
    safetyDays: t.arg.int({
      defaultValue: 3,
      required: true,
      description: 'Days of sales kept as safety stock, 0–90 (default 3).',
    }),
    coverDays: t.arg.int({
      defaultValue: 14,
      required: true,
      description: 'Days an order should last, 1–180 (default 14).',
    }),
    topCustomers: t.arg.int({
      defaultValue: 100,
      required: true,
      description: 'How many of the period’s best customers (by net spend) count as top customers, 1–1000.',
    }),
  });
  type ReorderArgs = {
    first: number;
    leadTimeDays: number;
    safetyDays: number;
    coverDays: number;
    topCustomers: number;
  };
  const stock = (order: StockInsightOrder) => async (scope: InsightScope, args: ReorderArgs, ctx: Context) => {
    const options: ReorderOptions = {
      leadTimeDays: bounded('leadTimeDays', args.leadTimeDays, 1, 180),
      safetyDays: bounded('safetyDays', args.safetyDays, 0, 90),
      coverDays: bounded('coverDays', args.coverDays, 1, 180),
    };
    const first = bounded('first', args.first, 1, 100);
    const top = bounded('topCustomers', args.topCustomers, 1, 1000);
    // Live figures whatever the period: the summary serves only the days it has settled.
    const asOf = await summaryBuiltAt(ctx);
    return stockInsights(ctx.app.analytics, scope, order, options, first, top, asOf);
  };

  const Insights = builder.objectRef<InsightScope>('Insights').implement({
    description:
      'Retail insights over a set of stores and business dates, computed on the read replica when one is ' +
      'configured. docs/insights.md has every formula and limit.',
    fields: (t) => ({
      storeIds: t.idList({ resolve: (s) => s.storeIds.map((id) => encodeGlobalID('Store', id)) }),
      from: t.field({ type: 'Date', resolve: (s) => s.from }),
      to: t.field({ type: 'Date', resolve: (s) => s.to }),
      days: t.exposeInt('days'),
      kpis: t.field({
        type: Comparison,
        args: {
          repurchaseWithinDays: t.arg.int({
            defaultValue: 30,
            required: true,
            description: '复购 window, 1–365 days (default 30).',
          }),
        },
        resolve: (s, args) => ({
          ...s,
          repurchaseWithinDays: bounded('repurchaseWithinDays', args.repurchaseWithinDays, 1, 365),
          customers: true,
        }),
      }),
      salesHeatMap: t.field({
        type: [HeatCell],
        description: 'All 168 weekday × hour cells, Monday 0:00 first.',
        args: { period: periodArg(t) },
        resolve: (s, args, ctx) => salesHeatMap(ctx.app.analytics, periodScope(s, args.period)),
      }),
      salesTrend: t.field({
        type: [TrendPoint],
        description:
          'Per day, ISO week or month; with period, the same buckets of the previous period or of last year ' +
          '(their own dates).',
        args: { grain: t.arg({ type: TrendGrain, defaultValue: 'DAY', required: true }), period: periodArg(t) },
        resolve: (s, args, ctx) => salesTrend(ctx.app.analytics, periodScope(s, args.period), args.grain),
      }),
      productRanking: t.field({
        type: [ProductRank],
        description: 'Products of the period, or (period) of the previous period or last year, to compare by sku.',
        args: {
          period: periodArg(t),
          by: t.arg({ type: ProductRankingOrder, defaultValue: 'REVENUE', required: true }),
          first: t.arg.int({ defaultValue: 20, required: true, description: '1–100 (default 20)' }),
          topCustomers: t.arg.int({
            defaultValue: 100,
            required: true,
            description: 'How many of the period’s best customers (by net spend) count as top customers, 1–1000.',
          }),
        },
        resolve: async (current, args, ctx) => {
          const first = bounded('first', args.first, 1, 100);
          const top = bounded('topCustomers', args.topCustomers, 1, 1000);
          const s = periodScope(current, args.period);
          const asOf = await summaryAsOfFor(s, ctx);
          const rows = await productRanking(ctx.app.analytics, s, args.by, first, top, { summary: asOf !== null });
          return rows.map((r) => ({ ...r, asOf }));
        },
      }),
      stockCover: t.field({
        type: [StockInsightRef],
        description: 'SKUs per store that sold in the period, fewest days of cover first.',
        args: reorderArgs(t),
        resolve: (s, args, ctx) => stock('DAYS_OF_COVER')(s, args as ReorderArgs, ctx),
      }),
      stockTurnover: t.field({
        type: [StockInsightRef],
        description: 'SKUs per store with stock on hand, highest turnover first.',
        args: reorderArgs(t),
        resolve: (s, args, ctx) => stock('TURNOVER')(s, args as ReorderArgs, ctx),
      }),
      slowMovers: t.field({
        type: [StockInsightRef],
        description: 'SKUs per store with stock on hand, fewest sold in the period first (none sold first of all).',
        args: reorderArgs(t),
        resolve: (s, args, ctx) => stock('SLOW')(s, args as ReorderArgs, ctx),
      }),
      reorderSuggestions: t.field({
        type: [StockInsightRef],
        description:
          'SKUs per store at or below the reorder point their sales velocity gives, fewest days of cover first.',
        args: reorderArgs(t),
        resolve: (s, args, ctx) => stock('REORDER')(s, args as ReorderArgs, ctx),
      }),
      basketPairs: t.field({
        type: [Pair],
        description:
          `Items bought together. The period may be at most ${MAX_BASKET_DAYS} days by CATEGORY, ` +
          `${MAX_DETAILED_BASKET_DAYS} by PRODUCT (INSIGHT_PERIOD otherwise).`,
        args: {
          level: t.arg({ type: BasketLevel, defaultValue: 'PRODUCT', required: true }),
          minSupport: t.arg.float({ defaultValue: 0.01, required: true, description: '0.0001–1 (default 0.01)' }),
          orderBy: t.arg({ type: BasketOrder, defaultValue: 'SUPPORT', required: true }),
          first: t.arg.int({ defaultValue: 20, required: true, description: '1–100 (default 20)' }),
        },
        resolve: async (s, args, ctx) => {
          periodOf(s.from, s.to, maxPairDays(args.level));
          const minSupport = bounded('minSupport', args.minSupport, 0.0001, 1);
          const first = bounded('first', args.first, 1, 100);
          // Category pairs are live while a product's new category is not in the summary yet.
          let asOf = await summaryAsOfFor(s, ctx);
          if (asOf && args.level === 'CATEGORY' && !(await categoryPairsSettled(ctx.app.analytics))) asOf = null;
          const rows = await basketPairs(ctx.app.analytics, s, args.level, minSupport, args.orderBy, first, !!asOf);
          return rows.map((r) => ({ ...r, asOf }));
        },
      }),
      purchaseSequences: t.field({
        type: [Sequence],
        description:
          `"Bought A, then B within N days". The period and withinDays together may span at most ` +
          `${MAX_SEQUENCE_SPAN_DAYS} days: ${MAX_SEQUENCE_SPAN_DAYS - 14} with the default 14 ` +
          '(INSIGHT_SEQUENCE_SPAN otherwise).',
        args: {
          level: t.arg({ type: BasketLevel, defaultValue: 'CATEGORY', required: true }),
          withinDays: t.arg.int({
            defaultValue: 14,
            required: true,
            description: `1–${MAX_SEQUENCE_SPAN_DAYS - 1} (default 14), the period's days included in the span`,
          }),
          minCustomers: t.arg.int({ defaultValue: 2, required: true, description: '1–10000 (default 2)' }),
          first: t.arg.int({ defaultValue: 20, required: true, description: '1–100 (default 20)' }),
        },
        resolve: async (s, args, ctx) => {
          const withinDays = sequenceWindow(s, args.withinDays);
          const minCustomers = bounded('minCustomers', args.minCustomers, 1, 10_000);
          const first = bounded('first', args.first, 1, 100);
          const asOf = await summaryAsOfFor(s, ctx);
          const rows = await purchaseSequences(
            ctx.app.analytics,
            s,
            args.level,
            withinDays,
            minCustomers,
            first,
            !!asOf,
          );
          return rows.map((r) => ({ ...r, asOf }));
        },
      }),
      cohorts: t.field({
        type: [Cohort],
        description: 'One cohort per month of the period (first purchase that month), followed month by month.',
        args: {
          followMonths: t.arg.int({
            defaultValue: 12,
            required: true,
            description: 'Months followed after the first, 0–24 (default 12).',
          }),
        },
        resolve: async (s, args, ctx) => {
          const follow = bounded('followMonths', args.followMonths, 0, 24);
          let asOf = await summaryAsOfFor(s, ctx);
          const key = asOf === null ? null : await cohortSummaryKey(ctx.app.analytics, s);
          if (key === null) asOf = null;
          const rows = await cohorts(ctx.app.analytics, s, follow, new Date(), key);
          return rows.map((c) => ({ ...c, asOf }));
        },
      }),
    }),
  });

  builder.queryFields((t) => ({
    insights: t.field({
      type: Insights,
      description:
        `Retail insights of the stores given (at most ${MAX_STORES}, each needing report:read), or of every store ` +
        'the caller may read reports of, between two business dates (inclusive, at most 366 days).',
      authScopes: { permission: 'report:read' },
      args: {
        storeIds: t.arg.globalIDList({
          description: 'Store ids; omitted: every store the caller may read reports of.',
        }),
        from: t.arg({ type: 'Date', required: true, description: 'First business date, inclusive.' }),
        to: t.arg({ type: 'Date', required: true, description: 'Last business date, inclusive.' }),
      },
      resolve: (_root, args, ctx) =>
        resolveScope(
          ctx.auth,
          args.storeIds?.map((g) => g.id),
          args.from,
          args.to,
        ),
    }),
  }));
}
