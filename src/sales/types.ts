import { AccessError, InsufficientStockError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { filterAsync, loadOncePerEvent } from '../events/filter.ts';
import { runInTransaction } from '../events/transaction.ts';
import { PaymentMethod, SaleStatus } from '../generated/prisma/enums.ts';
import type { Builder } from '../schema/builder.ts';
import type { Context } from '../schema/context.ts';
import { requestLoader } from '../schema/loaders.ts';
import { salesByDay } from './reports.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { findSaleByExternalId, priceAuthority, recordSale, SalePreview, type RecordSaleInput } from './record.ts';
import { refundSale } from './refund.ts';

const salesWhere = (args: { storeId: { id: string }; from?: Date | null; to?: Date | null }) => ({
  storeId: args.storeId.id,
  businessDate: { ...(args.from ? { gte: args.from } : {}), ...(args.to ? { lte: args.to } : {}) },
});

const saleStoreOf = (ctx: Context) =>
  requestLoader<string>(ctx, 'sale-store', async (ids) => {
    const sales = await ctx.db.sale.findMany({ where: { id: { in: [...ids] } }, select: { id: true, storeId: true } });
    return new Map(sales.map((s) => [s.id, s.storeId]));
  });

export function addSaleTypes(builder: Builder) {
  const PaymentMethodEnum = builder.enumType(PaymentMethod, { name: 'PaymentMethod' });
  const SaleStatusEnum = builder.enumType(SaleStatus, { name: 'SaleStatus' });

  builder.prismaNode('Sale', {
    id: { field: 'id' },
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
      discount: t.expose('discount', { type: 'Money' }),
      total: t.expose('total', { type: 'Money', description: 'quantity × unitPrice − discount' }),
      refundedQuantity: t.exposeInt('refundedQuantity'),
    }),
  });

  builder.prismaObject('Payment', {
    fields: (t) => ({
      method: t.expose('method', { type: PaymentMethodEnum }),
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
      payments: t.field({
        type: [PaymentInput],
        required: true,
        description: 'Must add up to the sale total exactly (previewSale tells the total).',
      }),
    }),
  });
  const PreviewSaleInputType = builder.inputType('PreviewSaleInput', {
    description:
      'A sale to price without recording it: as RecordSaleInput, without the POS id; payments only if some are paid with points.',
    fields: (t) => ({
      storeId: t.globalID({ required: true }),
      occurredAt: t.field({ type: 'DateTime' }),
      customerId: t.globalID(),
      memberCode: t.string(),
      lines: t.field({ type: [SaleLineInput], required: true }),
      payments: t.field({ type: [PaymentInput] }),
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
      discount: t.field({ type: 'Money', description: 'Including discounts applied by plugins (member benefits).' }),
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
      lines: t.field({ type: [QuoteLine], resolve: (q) => q.lines }),
    }),
  });

  builder.mutationFields((t) => ({
    previewSale: t.field({
      type: SaleQuote,
      description:
        'Prices a sale exactly as recordSale would (member discounts, stock, points limits) and records nothing. A mutation because plugin steps run as they would in a real sale.',
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
          priceAuthority: priceAuthority(ctx.auth, input.storeId.id, ctx.app.discountLimits),
        };
        try {
          await runInTransaction(ctx.db, ctx.app.events, (unit) =>
            recordSale(unit, ctx.app.plugins.saleSteps, serviceInput, 'preview'),
          );
        } catch (error) {
          if (!(error instanceof SalePreview)) throw error;
          const { subtotal, discountTotal, total, lines, customerId, notes } = error.sale;
          return {
            subtotal,
            discountTotal,
            total,
            customerId,
            notes,
            lines: lines.map(({ lineNo, sku, name, quantity, unitPrice, discount, total: lineTotal }) => ({
              lineNo,
              sku,
              name,
              quantity,
              unitPrice,
              discount,
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
          priceAuthority: priceAuthority(ctx.auth, input.storeId.id, ctx.app.discountLimits),
        };
        try {
          return await runInTransaction(ctx.db, ctx.app.events, (unit) =>
            recordSale(unit, ctx.app.plugins.saleSteps, serviceInput),
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
