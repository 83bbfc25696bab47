import { encodeGlobalID } from '@pothos/plugin-relay';
import { AccessError, InsufficientStockError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { StockMovementType, StocktakeStatus } from '../generated/prisma/enums.ts';
import type { Builder } from '../schema/builder.ts';
import type { Context } from '../schema/context.ts';
import { filterAsync } from '../events/filter.ts';
import {
  adjustStock,
  cancelStocktake,
  postStocktake,
  recordStocktakeCounts,
  setReorderPoint,
  startStocktake,
  transferStock,
} from './service.ts';

export function addStockTypes(builder: Builder) {
  const MovementTypeEnum = builder.enumType(StockMovementType, { name: 'StockMovementType' });
  const StocktakeStatusEnum = builder.enumType(StocktakeStatus, { name: 'StocktakeStatus' });
  const AdjustmentType = builder.enumType('StockAdjustmentType', {
    values: {
      RECEIPT: { description: 'Goods received; quantities are positive.' },
      ADJUSTMENT: { description: 'A correction with a reason; signed.' },
    },
  });

  builder.prismaObject('StockLevel', {
    description: 'How many of a product a store has on hand.',
    fields: (t) => ({
      store: t.relation('store'),
      product: t.relation('product'),
      onHand: t.exposeInt('onHand'),
      reorderPoint: t.exposeInt('reorderPoint'),
      isLow: t.boolean({
        description: 'On hand is at or below the reorder point (safety stock).',
        select: { onHand: true, reorderPoint: true },
        resolve: (l) => l.onHand <= l.reorderPoint,
      }),
      updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    }),
  });

  builder.prismaNode('StockMovement', {
    id: { field: 'id' },
    authScopes: (m) => ({ storePermission: { storeId: m.storeId, permission: 'stock:read' } }),
    description: "One change to a store's stock of a product, with its cause.",
    fields: (t) => ({
      type: t.expose('type', { type: MovementTypeEnum }),
      quantity: t.exposeInt('quantity', { description: 'Signed change to on-hand.' }),
      balanceAfter: t.exposeInt('balanceAfter'),
      reason: t.exposeString('reason', { nullable: true }),
      occurredAt: t.expose('occurredAt', {
        type: 'DateTime',
        description: 'When the stock changed (for a sale, when it was recorded; the sale says when it happened).',
      }),
      product: t.relation('product'),
      store: t.relation('store'),
      saleId: t.globalID({ nullable: true, resolve: (r) => (r.saleId ? { type: 'Sale', id: r.saleId } : null) }),
    }),
  });

  builder.prismaNode('StockTransfer', {
    id: { field: 'id' },
    authScopes: (tr) => ({
      $any: {
        storePermission: { storeId: tr.fromStoreId, permission: 'stock:read' },
        $all: { storePermission: { storeId: tr.toStoreId, permission: 'stock:read' } },
      },
    }),
    fields: (t) => ({
      fromStore: t.relation('fromStore'),
      toStore: t.relation('toStore'),
      note: t.exposeString('note', { nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      lines: t.relation('lines'),
    }),
  });
  builder.prismaObject('StockTransferLine', {
    fields: (t) => ({ product: t.relation('product'), quantity: t.exposeInt('quantity') }),
  });

  builder.prismaNode('Stocktake', {
    id: { field: 'id' },
    authScopes: (st) => ({ storePermission: { storeId: st.storeId, permission: 'stock:read' } }),
    description: "A count of a store's stock (盘点). Posting turns each counted line's variance into a movement.",
    fields: (t) => ({
      store: t.relation('store'),
      status: t.expose('status', { type: StocktakeStatusEnum }),
      note: t.exposeString('note', { nullable: true }),
      startedAt: t.expose('startedAt', { type: 'DateTime' }),
      postedAt: t.expose('postedAt', { type: 'DateTime', nullable: true }),
      lines: t.relation('lines', { query: { orderBy: { productId: 'asc' } } }),
    }),
  });
  builder.prismaObject('StocktakeLine', {
    fields: (t) => ({
      product: t.relation('product'),
      counted: t.exposeInt('counted'),
      systemQuantity: t.exposeInt('systemQuantity', { nullable: true, description: 'On hand when posted.' }),
      variance: t.exposeInt('variance', { nullable: true, description: 'counted − systemQuantity' }),
    }),
  });

  builder.queryFields((t) => ({
    stockLevels: t.prismaConnection({
      type: 'StockLevel',
      cursor: 'storeId_productId',
      description: 'Stock of one store; lowOnly lists what is at or below its reorder point.',
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'stock:read' } }),
      args: {
        storeId: t.arg.globalID({ required: true }),
        lowOnly: t.arg.boolean({ defaultValue: false }),
        category: t.arg.string(),
      },
      resolve: (query, _root, args, ctx) =>
        ctx.db.stockLevel.findMany({
          ...query,
          where: {
            storeId: args.storeId.id,
            ...(args.lowOnly ? { onHand: { lte: ctx.db.stockLevel.fields.reorderPoint } } : {}),
            ...(args.category ? { product: { category: args.category } } : {}),
          },
          orderBy: { productId: 'asc' },
        }),
    }),
    stockMovements: t.prismaConnection({
      type: 'StockMovement',
      cursor: 'seq',
      description:
        'Movement history of one store, newest first, in the order the movements changed the stock: one ' +
        "product's list reads as a ledger (each balanceAfter is the next older one's plus this quantity).",
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'stock:read' } }),
      args: { storeId: t.arg.globalID({ required: true }), sku: t.arg.string() },
      resolve: (query, _root, args, ctx) =>
        ctx.db.stockMovement.findMany({
          ...query,
          where: { storeId: args.storeId.id, ...(args.sku ? { product: { sku: args.sku } } : {}) },
          orderBy: { seq: 'desc' },
        }),
    }),
    stocktake: t.prismaField({
      type: 'Stocktake',
      nullable: true,
      authScopes: { signedIn: true },
      args: { id: t.arg.globalID({ required: true }) },
      resolve: async (query, _root, args, ctx) => {
        const st = await ctx.db.stocktake.findUnique({ ...query, where: { id: args.id.id } });
        if (st && !ctx.auth.can('stock:read', st.storeId)) throw new AccessError('FORBIDDEN');
        return st;
      },
    }),
  }));

  const LineInput = builder.inputType('StockLineInput', {
    fields: (t) => ({
      sku: t.string({ required: true, description: 'SKU or barcode' }),
      quantity: t.int({ required: true }),
    }),
  });
  const CountInput = builder.inputType('StocktakeCountInput', {
    fields: (t) => ({
      sku: t.string({ required: true, description: 'SKU or barcode' }),
      counted: t.int({ required: true }),
    }),
  });
  const stockErrors = { types: [...USER_ERRORS, InsufficientStockError], directResult: true as const };
  const actor = (ctx: { auth: { staffId: string | null } }) => ({ staffId: ctx.auth.staffId });

  const MovementsPayload = builder.simpleObject('StockMovementsPayload', {
    fields: (t) => ({ count: t.int({ description: 'Movements written' }) }),
  });

  /** Stocktake mutations are checked against the stocktake's store, read before the work starts. */
  async function requireStocktakeStore(ctx: Context, id: string) {
    const st = await ctx.db.stocktake.findUnique({ where: { id }, select: { storeId: true } });
    if (st) ctx.auth.require('stock:write', st.storeId);
  }

  builder.mutationFields((t) => ({
    adjustStock: t.field({
      type: MovementsPayload,
      description: 'Receive goods (RECEIPT) or correct stock with a reason (ADJUSTMENT).',
      errors: stockErrors,
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'stock:write' } }),
      args: {
        storeId: t.arg.globalID({ required: true }),
        type: t.arg({ type: AdjustmentType, required: true }),
        reason: t.arg.string(),
        lines: t.arg({ type: [LineInput], required: true }),
      },
      resolve: async (_root, args, ctx) => {
        const movements = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          adjustStock(unit, actor(ctx), {
            storeId: args.storeId.id,
            type: args.type as 'RECEIPT' | 'ADJUSTMENT',
            reason: args.reason,
            lines: args.lines,
          }),
        );
        return { count: movements.length };
      },
    }),
    setReorderPoint: t.prismaField({
      type: 'StockLevel',
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'stock:write' } }),
      args: {
        storeId: t.arg.globalID({ required: true }),
        sku: t.arg.string({ required: true }),
        reorderPoint: t.arg.int({ required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const level = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          setReorderPoint(unit, { storeId: args.storeId.id, sku: args.sku, reorderPoint: args.reorderPoint }),
        );
        return ctx.db.stockLevel.findUniqueOrThrow({
          ...query,
          where: { storeId_productId: { storeId: level.storeId, productId: level.productId } },
        });
      },
    }),
    transferStock: t.prismaField({
      type: 'StockTransfer',
      description: 'Moves stock between two stores at once. Needs stock:write in the sending store.',
      errors: stockErrors,
      authScopes: (_root, args) => ({ storePermission: { storeId: args.fromStoreId.id, permission: 'stock:write' } }),
      args: {
        fromStoreId: t.arg.globalID({ required: true }),
        toStoreId: t.arg.globalID({ required: true }),
        note: t.arg.string(),
        lines: t.arg({ type: [LineInput], required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const transfer = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          transferStock(unit, actor(ctx), {
            fromStoreId: args.fromStoreId.id,
            toStoreId: args.toStoreId.id,
            note: args.note,
            lines: args.lines,
          }),
        );
        return ctx.db.stockTransfer.findUniqueOrThrow({ ...query, where: { id: transfer.id } });
      },
    }),
    startStocktake: t.prismaField({
      type: 'Stocktake',
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'stock:write' } }),
      args: { storeId: t.arg.globalID({ required: true }), note: t.arg.string() },
      resolve: async (query, _root, args, ctx) => {
        const st = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          startStocktake(unit, actor(ctx), { storeId: args.storeId.id, note: args.note }),
        );
        return ctx.db.stocktake.findUniqueOrThrow({ ...query, where: { id: st.id } });
      },
    }),
    recordStocktakeCounts: t.prismaField({
      type: 'Stocktake',
      description: 'Counted quantities by SKU or barcode. add: true adds to earlier counts (item-by-item scanning).',
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: { permission: 'stock:write' },
      args: {
        stocktakeId: t.arg.globalID({ required: true }),
        add: t.arg.boolean({ defaultValue: false }),
        counts: t.arg({ type: [CountInput], required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        await requireStocktakeStore(ctx, args.stocktakeId.id);
        await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          recordStocktakeCounts(unit, { stocktakeId: args.stocktakeId.id, add: args.add, counts: args.counts }),
        );
        return ctx.db.stocktake.findUniqueOrThrow({ ...query, where: { id: args.stocktakeId.id } });
      },
    }),
    postStocktake: t.prismaField({
      type: 'Stocktake',
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: { permission: 'stock:write' },
      args: { stocktakeId: t.arg.globalID({ required: true }) },
      resolve: async (query, _root, args, ctx) => {
        await requireStocktakeStore(ctx, args.stocktakeId.id);
        await runInTransaction(ctx.db, ctx.app.events, (unit) => postStocktake(unit, actor(ctx), args.stocktakeId.id));
        return ctx.db.stocktake.findUniqueOrThrow({ ...query, where: { id: args.stocktakeId.id } });
      },
    }),
    cancelStocktake: t.prismaField({
      type: 'Stocktake',
      errors: { types: [...USER_ERRORS], directResult: true },
      authScopes: { permission: 'stock:write' },
      args: { stocktakeId: t.arg.globalID({ required: true }) },
      resolve: async (query, _root, args, ctx) => {
        await requireStocktakeStore(ctx, args.stocktakeId.id);
        await runInTransaction(ctx.db, ctx.app.events, (unit) => cancelStocktake(unit, args.stocktakeId.id));
        return ctx.db.stocktake.findUniqueOrThrow({ ...query, where: { id: args.stocktakeId.id } });
      },
    }),
  }));

  const StockLowEvent = builder.simpleObject('StockLowEvent', {
    fields: (t) => ({
      storeId: t.id({ description: 'Global id, as Store.id.' }),
      productId: t.id({ description: 'Global id, as Product.id.' }),
      sku: t.string(),
      onHand: t.int(),
      reorderPoint: t.int(),
    }),
  });

  builder.subscriptionFields((t) => ({
    stockLow: t.field({
      type: StockLowEvent,
      description: 'Fires when a product in the store falls to or below its reorder point.',
      authScopes: (_root, args) => ({ storePermission: { storeId: args.storeId.id, permission: 'stock:read' } }),
      args: { storeId: t.arg.globalID({ required: true }) },
      subscribe: (_root, args, ctx) =>
        filterAsync(ctx.app.events.subscribe('stock.low'), (e) => e.storeId === args.storeId.id),
      resolve: (e) => ({
        ...e,
        storeId: encodeGlobalID('Store', e.storeId),
        productId: encodeGlobalID('Product', e.productId),
      }),
    }),
  }));
}
