import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { audit, actorOfContext, changedFields } from '../audit/service.ts';
import type { Builder } from '../schema/builder.ts';
import { createProduct, updateProduct } from './service.ts';

export function addProductTypes(builder: Builder) {
  builder.prismaNode('Product', {
    id: { field: 'id' },
    authScopes: { permission: 'product:read' },
    fields: (t) => ({
      sku: t.exposeString('sku'),
      barcode: t.exposeString('barcode', { nullable: true }),
      name: t.exposeString('name'),
      category: t.exposeString('category'),
      price: t.expose('price', { type: 'Money' }),
      cost: t.expose('cost', {
        type: 'Money',
        nullable: true,
        description: 'Visible to those who may read reports.',
        authScopes: { permission: 'report:read' },
        unauthorizedResolver: () => null,
      }),
      active: t.exposeBoolean('active'),
      stock: t.relation('stockLevels', {
        description: 'Stock per store, for the stores the caller may read.',
        query: (_args, ctx) => ({ where: { storeId: { in: ctx.auth.storesWith('stock:read') } } }),
      }),
    }),
  });

  builder.queryFields((t) => ({
    products: t.prismaConnection({
      type: 'Product',
      cursor: 'id',
      authScopes: { permission: 'product:read' },
      args: {
        query: t.arg.string({ description: 'SKU, barcode or name fragment' }),
        category: t.arg.string(),
        activeOnly: t.arg.boolean({ defaultValue: true }),
      },
      resolve: (query, _root, args, ctx) => {
        const q = args.query?.trim();
        return ctx.db.product.findMany({
          ...query,
          where: {
            ...(args.activeOnly ? { active: true } : {}),
            ...(args.category ? { category: args.category } : {}),
            ...(q ? { OR: [{ sku: q }, { barcode: q }, { name: { contains: q, mode: 'insensitive' } }] } : {}),
          },
          orderBy: { id: 'asc' },
        });
      },
    }),
    product: t.prismaField({
      type: 'Product',
      nullable: true,
      authScopes: { permission: 'product:read' },
      args: { sku: t.arg.string(), barcode: t.arg.string() },
      resolve: (query, _root, args, ctx) =>
        args.sku
          ? ctx.db.product.findUnique({ ...query, where: { sku: args.sku } })
          : args.barcode
            ? ctx.db.product.findUnique({ ...query, where: { barcode: args.barcode } })
            : null,
    }),
  }));

  const CreateProductInput = builder.inputType('CreateProductInput', {
    fields: (t) => ({
      sku: t.string({ required: true }),
      barcode: t.string(),
      name: t.string({ required: true }),
      category: t.string({ required: true }),
      price: t.field({ type: 'Money', required: true }),
      cost: t.field({ type: 'Money' }),
    }),
  });

  const UpdateProductInput = builder.inputType('UpdateProductInput', {
    description: 'Only the fields given change. active: false stops the product being sold.',
    fields: (t) => ({
      name: t.string(),
      category: t.string(),
      barcode: t.string(),
      price: t.field({ type: 'Money' }),
      cost: t.field({ type: 'Money' }),
      active: t.boolean(),
    }),
  });

  builder.mutationFields((t) => ({
    updateProduct: t.prismaField({
      type: 'Product',
      authScopes: { permission: 'product:write' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { sku: t.arg.string({ required: true }), input: t.arg({ type: UpdateProductInput, required: true }) },
      resolve: async (query, _root, { sku, input }, ctx) => {
        const p = await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const before = await unit.tx.product.findUnique({ where: { sku } });
          const updated = await updateProduct(unit, sku, input);
          // The catalogue price is what sales are checked against: who changed it matters.
          if (before)
            await audit(unit.tx, actorOfContext(ctx), {
              operation: 'product.update',
              entityType: 'Product',
              entityId: updated.id,
              ...changedFields(before, updated as typeof before),
            });
          return updated;
        });
        return ctx.db.product.findUniqueOrThrow({ ...query, where: { id: p.id } });
      },
    }),
    createProduct: t.prismaField({
      type: 'Product',
      authScopes: { permission: 'product:write' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: CreateProductInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        const p = await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const created = await createProduct(unit, input);
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'product.create',
            entityType: 'Product',
            entityId: created.id,
            after: created,
          });
          return created;
        });
        return ctx.db.product.findUniqueOrThrow({ ...query, where: { id: p.id } });
      },
    }),
  }));
}
