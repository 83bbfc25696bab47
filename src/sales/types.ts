import { AccessError, InsufficientStockError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { filterAsync, loadOncePerEvent } from '../events/filter.ts';
import { runInTransaction } from '../events/transaction.ts';
import { AdjustmentScope, SaleStatus } from '../generated/prisma/enums.ts';
import { CORE_TENDERS } from './tenders.ts';
import type { Builder, BuilderTypes } from '../schema/builder.ts';
import type { PluginHost } from '../plugin-host/host.ts';
import type { Context } from '../schema/context.ts';
import { requestLoader } from '../schema/loaders.ts';
import { salesByDay } from './reports.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { findSaleByExternalId, priceAuthority, recordSale, SalePreview, type RecordSaleInput } from './record.ts';
import { refundSale } from './refund.ts';
import { asRecord, sharesOfLine, type AdjustmentRecord } from './pricing.ts';
import type { Prisma } from '../generated/prisma/client.ts';

const salesWhere = (args: { storeId: { id: string }; from?: Date | null; to?: Date | null }) => ({
  storeId: args.storeId.id,
  businessDate: { ...(args.from ? { gte: args.from } : {}), ...(args.to ? { lte: args.to } : {}) },
});

const saleStoreOf = (ctx: Context) =>
  requestLoader<string>(ctx, 'sale-store', async (ids) => {
    const sales = await ctx.db.sale.findMany({ where: { id: { in: [...ids] } }, select: { id: true, storeId: true } });
    return new Map(sales.map((s) => [s.id, s.storeId]));
  });

/** RecordSaleInput's own fields; any other field of the input is a plugin's (StorePlugin.saleInputs). */
const CORE_SALE_INPUTS = [
  'storeId',
  'externalId',
  'occurredAt',
  'staffId',
  'customerId',
  'memberCode',
  'lines',
  'payments',
  'pricedBy',
];

/** The values of the plugins' sale input fields, by name (`draft.inputs`). */
function pluginInputs(input: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(input).filter(([name]) => !CORE_SALE_INPUTS.includes(name)));
}

export function addSaleTypes(builder: Builder, plugins: PluginHost) {
  // Core's tenders and the installed plugins' (StorePlugin.tenders): the enum says what this
  // deployment accepts, and stays an enum so clients keep typed values and literals (method: CASH).
  const tenders = [...CORE_TENDERS.map((t) => ({ ...t, plugin: null as string | null })), ...plugins.tenders];
  const tenderCodes = new Set(tenders.map((t) => t.code));
  const PaymentMethodEnum = builder.enumType('PaymentMethod', {
    description:
      "A tender: core's, or one an installed plugin declares and settles (POINTS). The `tenders` query labels them.",
    values: Object.fromEntries(
      tenders.map((t) => [t.code, { value: t.code, description: `${t.label.en} (${t.label['zh-CN']})` }]),
    ),
  });
  const TenderRef = builder.objectRef<(typeof tenders)[number]>('Tender').implement({
    description: 'A way to pay that this deployment accepts.',
    fields: (t) => ({
      code: t.field({ type: PaymentMethodEnum, resolve: (x) => x.code }),
      label: t.string({ description: "In the caller's language.", resolve: (x, _args, ctx) => x.label[ctx.locale] }),
      plugin: t.string({
        nullable: true,
        description: 'The plugin that settles it; null for core.',
        resolve: (x) => x.plugin,
      }),
    }),
  });
  builder.queryField('tenders', (t) =>
    t.field({
      type: [TenderRef],
      description: "The tenders a till may offer: core's, then the installed plugins' in plugin order.",
      authScopes: { signedIn: true },
      resolve: () => tenders,
    }),
  );
  const SalePricingEnum = builder.enumType('SalePricing', {
    description: 'Who priced a sale: the CRM (its member discounts and campaigns) or the till, whose prices stand.',
    values: {
      CRM: { description: "The installed plugins' steps give their reductions (the member's tier discount…)." },
      TILL: {
        description:
          'The till priced it already (its own member prices, a sale replayed afterwards): no step gives a ' +
          "reduction, the till's prices and line discounts are what was paid. Points, stock and tiers as usual.",
      },
    } as const,
  });
  const SaleStatusEnum = builder.enumType(SaleStatus, { name: 'SaleStatus' });
  const AdjustmentScopeEnum = builder.enumType(AdjustmentScope, {
    name: 'AdjustmentScope',
    description: 'ORDER: an amount off the sale, prorated over its lines by core; LINE: amounts given line by line.',
  });
  const AdjustmentShareRef = builder
    .objectRef<{ lineNo: number; amount: Prisma.Decimal }>('AdjustmentShare')
    .implement({
      description: "One line's part of an adjustment.",
      fields: (t) => ({
        lineNo: t.exposeInt('lineNo'),
        amount: t.expose('amount', { type: 'Money' }),
      }),
    });
  const adjustmentFields = (t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, AdjustmentRecord>) => ({
    source: t.exposeString('source', {
      description:
        'Who gave it: a plugin\'s name ("tiers", "campaigns"…), "pos" for a discount the till sent on a ' +
        'line, "import" or "history" for discounts kept from before.',
    }),
    sourceId: t.exposeString('sourceId', {
      nullable: true,
      description: "The plugin's own record behind it (a tier's, rule's or campaign's id), as the plugin names it.",
    }),
    label: t.string({
      description: "What the till and the receipt show, in the caller's language (Accept-Language).",
      resolve: (a, _args, ctx) => (ctx.locale === 'en' ? a.labelEn : a.labelZh),
    }),
    position: t.exposeInt('position', { description: '1, 2, … in the order the adjustments were made.' }),
  });
  const SaleAdjustmentRef = builder.objectRef<AdjustmentRecord>('SaleAdjustment').implement({
    description:
      'A price reduction with who gave it. Order-level amounts are spread over the lines by core ' +
      '(docs/plugins.md, "Pricing with adjustments"); the shares add up to the amount.',
    fields: (t) => ({
      ...adjustmentFields(t),
      scope: t.field({ type: AdjustmentScopeEnum, resolve: (a) => a.scope }),
      amount: t.expose('amount', { type: 'Money' }),
      lines: t.field({
        type: [AdjustmentShareRef],
        description: 'How it falls on the lines.',
        resolve: (a) => a.lineNos.map((lineNo, i) => ({ lineNo, amount: a.shares[i]! })),
      }),
    }),
  });
  const LineAdjustmentRef = builder.objectRef<AdjustmentRecord>('LineAdjustment').implement({
    description: "A line's part of one of the sale's adjustments.",
    fields: (t) => ({
      ...adjustmentFields(t),
      scope: t.field({ type: AdjustmentScopeEnum, description: "The adjustment's scope.", resolve: (a) => a.scope }),
      amount: t.expose('amount', { type: 'Money', description: "This line's share." }),
    }),
  });

  builder.prismaNode('Sale', {
    id: { field: 'id' },
    // Select mode: only the columns the selected fields need (storeId for the permission check).
    select: { id: true, storeId: true },
    // Checked on the type too, so every path to a sale (node(id:), a subscription) is covered.
    authScopes: (sale) => ({ storePermission: { storeId: sale.storeId, permission: 'sale:read' } }),
    description: 'A completed POS transaction.',
    fields: (t) => ({
      externalId: t.exposeString('externalId', { description: "The POS's own id (idempotency key)." }),
      store: t.relation('store'),
      staff: t.relation('staff', { nullable: true }),
      customer: t.relation('customer', { nullable: true }),
      member: t.relation('member', { nullable: true }),
      occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
      businessDate: t.expose('businessDate', {
        type: 'Date',
        description: "Day of the sale in the store's time zone.",
      }),
      currency: t.exposeString('currency'),
      subtotal: t.expose('subtotal', { type: 'Money' }),
      discountTotal: t.expose('discountTotal', { type: 'Money' }),
      total: t.expose('total', { type: 'Money' }),
      refundedTotal: t.expose('refundedTotal', { type: 'Money' }),
      status: t.expose('status', { type: SaleStatusEnum }),
      lines: t.relation('lines', { query: { orderBy: { lineNo: 'asc' } } }),
      adjustments: t.field({
        type: [SaleAdjustmentRef],
        description: 'Every price reduction, in the order made: discountTotal is their sum.',
        select: { adjustments: { orderBy: { position: 'asc' } } },
        resolve: (sale) => sale.adjustments,
      }),
      payments: t.relation('payments'),
      refunds: t.relation('refunds', { query: { orderBy: { createdAt: 'asc' } } }),
    }),
  });

  builder.prismaObject('SaleLine', {
    fields: (t) => ({
      lineNo: t.exposeInt('lineNo'),
      sku: t.exposeString('sku'),
      name: t.exposeString('name'),
      product: t.relation('product'),
      quantity: t.exposeInt('quantity'),
      unitPrice: t.expose('unitPrice', { type: 'Money' }),
      discount: t.expose('discount', { type: 'Money', description: "The sum of the line's adjustments." }),
      adjustments: t.field({
        type: [LineAdjustmentRef],
        description: "The line's share of each adjustment that touches it.",
        select: { lineNo: true, sale: { select: { adjustments: { orderBy: { position: 'asc' } } } } },
        resolve: (line) => sharesOfLine(line.sale.adjustments, line.lineNo),
      }),
      total: t.expose('total', {
        type: 'Money',
        description: 'quantity × unitPrice − discount: what was paid for the line, and what refunds return from.',
      }),
      refundedQuantity: t.exposeInt('refundedQuantity'),
    }),
  });

  builder.prismaObject('Payment', {
    fields: (t) => ({
      method: t.field({
        type: PaymentMethodEnum,
        description: 'OTHER for a tender of a plugin no longer installed (the stored code is kept).',
        select: { method: true },
        resolve: (p) => (tenderCodes.has(p.method) ? p.method : 'OTHER'),
      }),
      amount: t.expose('amount', { type: 'Money' }),
      reference: t.exposeString('reference', { nullable: true }),
    }),
  });

  builder.prismaNode('Refund', {
    id: { field: 'id' },
    // A refund is its sale's: readable where the sale is (one batched look-up of the stores per request).
    authScopes: async (refund, ctx) => ({
      storePermission: { storeId: (await saleStoreOf(ctx).load(refund.saleId)) ?? '', permission: 'sale:read' },
    }),
    fields: (t) => ({
      externalId: t.exposeString('externalId'),
      reason: t.exposeString('reason', { nullable: true }),
      total: t.expose('total', { type: 'Money' }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      sale: t.relation('sale'),
      lines: t.relation('lines'),
    }),
  });
  builder.prismaObject('RefundLine', {
    fields: (t) => ({
      saleLine: t.relation('saleLine'),
      quantity: t.exposeInt('quantity'),
      amount: t.expose('amount', { type: 'Money' }),
    }),
  });

  const DailySales = builder.simpleObject('DailySales', {
    description: "One store's figures for one business day (the store's own calendar day).",
    fields: (t) => ({
      date: t.field({ type: 'Date' }),
      saleCount: t.int(),
      grossSales: t.field({ type: 'Money', description: 'Totals of the sales of the day.' }),
      refunds: t.field({ type: 'Money', description: 'Refunded so far against the sales of the day.' }),
      netSales: t.field({ type: 'Money' }),
      averageOrderValue: t.field({ type: 'Money', description: '客单价: net sales / sale count.' }),
    }),
  });

  builder.queryFields((t) => ({
    sale: t.prismaField({
      type: 'Sale',
      nullable: true,
      authScopes: { signedIn: true },
      args: { id: t.arg.globalID(), storeId: t.arg.globalID(), externalId: t.arg.string() },
      description: "By id, or by store and the POS's external id.",
      resolve: async (query, _root, args, ctx) => {
        const where = args.id
          ? { id: args.id.id }
          : args.storeId && args.externalId
            ? { storeId_externalId: { storeId: args.storeId.id, externalId: args.externalId } }
            : null;
        if (!where) return null;
        const sale = await ctx.db.sale.findUnique({ ...query, where: where as { id: string } });
        if (sale && !ctx.auth.can('sale:read', sale.storeId)) throw new AccessError('FORBIDDEN');
        return sale;
      },
    }),
    sales: t.prismaConnection({
      type: 'Sale',
      cursor: 'id',
      totalCount: (_root, args, ctx) => ctx.db.sale.count({ where: salesWhere(args) }),
      description: 'Sales of one store, newest first, optionally within business dates.',
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'sale:read' } }),
      args: {
        storeId: t.arg.globalID({ required: true }),
        from: t.arg({ type: 'Date', description: 'First business date, inclusive' }),
        to: t.arg({ type: 'Date', description: 'Last business date, inclusive' }),
      },
      resolve: (query, _root, args, ctx) =>
        ctx.db.sale.findMany({ ...query, where: salesWhere(args), orderBy: { id: 'desc' } }),
    }),
    salesByDay: t.field({
      type: [DailySales],
      description: 'Daily totals of one store between two business dates (inclusive), days without sales included.',
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'report:read' } }),
      args: {
        storeId: t.arg.globalID({ required: true }),
        from: t.arg({ type: 'Date', required: true }),
        to: t.arg({ type: 'Date', required: true }),
      },
      resolve: (_root, args, ctx) => salesByDay(ctx.app.analytics, args.storeId.id, args.from, args.to),
    }),
  }));

  const SaleLineInput = builder.inputType('SaleLineInput', {
    fields: (t) => ({
      sku: t.string({ required: true, description: 'SKU or barcode' }),
      quantity: t.int({ required: true }),
      unitPrice: t.field({ type: 'Money', description: "Defaults to the product's list price." }),
      discount: t.field({ type: 'Money', description: 'Discount on the whole line.' }),
    }),
  });
  const PaymentInput = builder.inputType('PaymentInput', {
    fields: (t) => ({
      method: t.field({ type: PaymentMethodEnum, required: true }),
      amount: t.field({ type: 'Money', required: true }),
      reference: t.string({ description: 'Payment provider transaction id' }),
    }),
  });
  const RecordSaleInputType = builder.inputType('RecordSaleInput', {
    fields: (t) => ({
      storeId: t.globalID({ required: true }),
      externalId: t.string({
        required: true,
        description: "The POS's own sale id. Sending the same id again returns the first result and changes nothing.",
      }),
      occurredAt: t.field({ type: 'DateTime', description: 'Defaults to now.' }),
      staffId: t.globalID(),
      customerId: t.globalID(),
      memberCode: t.string(),
      lines: t.field({ type: [SaleLineInput], required: true }),
      pricedBy: t.field({ type: SalePricingEnum, defaultValue: 'CRM' }),
      payments: t.field({
        type: [PaymentInput],
        required: true,
        description: 'Must add up to the sale total exactly (previewSale tells the total).',
      }),
      ...plugins.saleInputFields(t, CORE_SALE_INPUTS),
    }),
  });
  const PreviewSaleInputType = builder.inputType('PreviewSaleInput', {
    description:
      'A sale to price without recording it: as RecordSaleInput, without the POS id; payments only if some are ' +
      'paid with points.',
    fields: (t) => ({
      storeId: t.globalID({ required: true }),
      occurredAt: t.field({ type: 'DateTime' }),
      customerId: t.globalID(),
      memberCode: t.string(),
      lines: t.field({ type: [SaleLineInput], required: true }),
      pricedBy: t.field({ type: SalePricingEnum, defaultValue: 'CRM' }),
      payments: t.field({ type: [PaymentInput] }),
      ...plugins.saleInputFields(t, CORE_SALE_INPUTS),
    }),
  });

  const RecordSalePayload = builder.objectRef<{ saleId: string; replayed: boolean }>('RecordSalePayload').implement({
    fields: (t) => ({
      replayed: t.exposeBoolean('replayed', {
        description: 'True when this externalId was already recorded: nothing changed now.',
      }),
      sale: t.prismaField({
        type: 'Sale',
        resolve: (query, parent, _args, ctx) =>
          ctx.db.sale.findUniqueOrThrow({ ...query, where: { id: parent.saleId } }),
      }),
    }),
  });

  const QuoteLine = builder.simpleObject('SaleQuoteLine', {
    fields: (t) => ({
      lineNo: t.int(),
      sku: t.string(),
      name: t.string(),
      quantity: t.int(),
      unitPrice: t.field({ type: 'Money' }),
      discount: t.field({ type: 'Money', description: "The sum of the line's adjustments." }),
      adjustments: t.field({ type: [LineAdjustmentRef] }),
      total: t.field({ type: 'Money' }),
    }),
  });
  const SaleQuote = builder.objectType('SaleQuote', {
    description:
      'What the sale would come to now, after every plugin step (member discount, points…). Nothing was recorded.',
    fields: (t) => ({
      subtotal: t.expose('subtotal', { type: 'Money' }),
      discountTotal: t.expose('discountTotal', { type: 'Money' }),
      total: t.expose('total', { type: 'Money', description: 'What the payments of recordSale must add up to.' }),
      adjustments: t.field({
        type: [SaleAdjustmentRef],
        description:
          'Every price reduction the sale would get, with its label for the till ("金卡会员 9.5折 −¥12.35").',
        resolve: (q) => q.adjustments.map(asRecord),
      }),
      lines: t.field({ type: [QuoteLine], resolve: (q) => q.lines }),
    }),
  });

  builder.mutationFields((t) => ({
    previewSale: t.field({
      type: SaleQuote,
      description:
        'Prices a sale exactly as recordSale would (member discounts, stock, points limits) and records ' +
        'nothing. A mutation because plugin steps run as they would in a real sale.',
      errors: { types: [...USER_ERRORS, InsufficientStockError], directResult: true },
      authScopes: (_root, args) => ({ storePermission: { storeId: args.input.storeId.id, permission: 'sale:record' } }),
      args: { input: t.arg({ type: PreviewSaleInputType, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const serviceInput: RecordSaleInput = {
          ...input,
          externalId: '',
          storeId: input.storeId.id,
          staffId: ctx.auth.staffId,
          customerId: input.customerId?.id ?? null,
          payments: input.payments ?? [],
          inputs: pluginInputs(input),
          priceAuthority: priceAuthority(ctx.auth, input.storeId.id, ctx.app.discountLimits),
        };
        try {
          await runInTransaction(ctx.db, ctx.app.events, (unit) =>
            recordSale(unit, ctx.app.plugins.salePipeline, serviceInput, 'preview'),
          );
        } catch (error) {
          if (!(error instanceof SalePreview)) throw error;
          const { subtotal, discountTotal, total, lines, customerId, notes, adjustments } = error.sale;
          const rows = adjustments.map(asRecord);
          return {
            subtotal,
            discountTotal,
            total,
            customerId,
            notes,
            adjustments,
            lines: lines.map(({ lineNo, sku, name, quantity, unitPrice, discount, total: lineTotal }) => ({
              lineNo,
              sku,
              name,
              quantity,
              unitPrice,
              discount,
              adjustments: sharesOfLine(rows, lineNo),
              total: lineTotal,
            })),
          };
        }
        throw new Error('previewSale finished without a preview');
      },
    }),
    recordSale: t.field({
      type: RecordSalePayload,
      description: 'Records a POS sale: stock, customer figures and plugins are updated in one transaction.',
      errors: { types: [...USER_ERRORS, InsufficientStockError], directResult: true },
      authScopes: (_root, args) => ({ storePermission: { storeId: args.input.storeId.id, permission: 'sale:record' } }),
      args: { input: t.arg({ type: RecordSaleInputType, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const serviceInput: RecordSaleInput = {
          ...input,
          storeId: input.storeId.id,
          staffId: input.staffId?.id ?? ctx.auth.staffId,
          customerId: input.customerId?.id ?? null,
          inputs: pluginInputs(input),
          priceAuthority: priceAuthority(ctx.auth, input.storeId.id, ctx.app.discountLimits),
        };
        try {
          return await runInTransaction(ctx.db, ctx.app.events, (unit) =>
            recordSale(unit, ctx.app.plugins.salePipeline, serviceInput),
          );
        } catch (error) {
          // Two deliveries of the same sale raced: the other one won, so answer with its result.
          if (isUniqueViolation(error)) {
            const existing = await findSaleByExternalId(ctx.db, serviceInput.storeId, serviceInput.externalId.trim());
            if (existing) return { saleId: existing.id, replayed: true };
          }
          throw error;
        }
      },
    }),
  }));

  const RefundLineInput = builder.inputType('RefundLineInput', {
    fields: (t) => ({ lineNo: t.int({ required: true }), quantity: t.int({ required: true }) }),
  });
  const RefundSalePayload = builder.objectRef<{ refundId: string; replayed: boolean }>('RefundSalePayload').implement({
    fields: (t) => ({
      replayed: t.exposeBoolean('replayed'),
      refund: t.prismaField({
        type: 'Refund',
        resolve: (query, parent, _args, ctx) =>
          ctx.db.refund.findUniqueOrThrow({ ...query, where: { id: parent.refundId } }),
      }),
    }),
  });

  builder.mutationFields((t) => ({
    refundSale: t.field({
      type: RefundSalePayload,
      description:
        'Refunds a whole sale (omit lines) or some lines; stock comes back and customer figures are reduced.',
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: { permission: 'sale:refund' },
      args: {
        saleId: t.arg.globalID({ required: true }),
        externalId: t.arg.string({ required: true, description: "The POS's refund id (idempotency key)." }),
        reason: t.arg.string(),
        lines: t.arg({ type: [RefundLineInput] }),
      },
      resolve: async (_root, args, ctx) => {
        const sale = await ctx.db.sale.findUnique({ where: { id: args.saleId.id }, select: { storeId: true } });
        if (sale) ctx.auth.require('sale:refund', sale.storeId);
        const input = {
          saleId: args.saleId.id,
          externalId: args.externalId,
          reason: args.reason,
          lines: args.lines,
          staffId: ctx.auth.staffId,
        };
        const { refund, replayed } = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          refundSale(unit, ctx.app.plugins.refundSteps, input),
        );
        return { refundId: refund.id, replayed };
      },
    }),
  }));

  builder.subscriptionFields((t) => ({
    saleRecorded: t.prismaField({
      type: 'Sale',
      description: 'Every sale recorded in the given stores (all readable stores when omitted), from any API process.',
      authScopes: { signedIn: true },
      args: { storeIds: t.arg.globalIDList() },
      subscribe: (_root, args, ctx) => {
        const readable = new Set(ctx.auth.storesWith('sale:read'));
        const wanted = args.storeIds?.map((s) => s.id) ?? [...readable];
        if (wanted.some((id) => !readable.has(id))) throw new AccessError('FORBIDDEN');
        const stores = new Set(wanted);
        return filterAsync(ctx.app.events.subscribe('sale.recorded'), (e) => stores.has(e.storeId));
      },
      resolve: (query, event, _args, ctx) =>
        loadOncePerEvent(event, query, () =>
          ctx.db.sale.findUniqueOrThrow({ ...query, where: { id: (event as unknown as { saleId: string }).saleId } }),
        ),
    }),
  }));
}
