import { runInTransaction } from '../events/transaction.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { audit, actorOfContext } from '../audit/service.ts';
import type { Builder } from '../schema/builder.ts';
import { idOfType } from '../db/ids.ts';
import { createStore, updateStore } from './service.ts';
import { DEFAULT_TIME_ZONE } from './time.ts';

export function addStoreTypes(builder: Builder) {
  builder.prismaNode('Store', {
    id: { field: 'id' },
    authScopes: { signedIn: true },
    description: 'A shop of the chain. Sales, stock and staff roles belong to a store.',
    fields: (t) => ({
      code: t.exposeString('code'),
      name: t.exposeString('name'),
      address: t.exposeString('address', { nullable: true }),
      timezone: t.exposeString('timezone', {
        description: 'IANA time zone; business days of this store begin at its midnight.',
      }),
      currency: t.exposeString('currency'),
      allowNegativeStock: t.exposeBoolean('allowNegativeStock'),
    }),
  });

  builder.queryFields((t) => ({
    stores: t.prismaField({
      type: ['Store'],
      description: 'Every store of the chain (store names and codes are not secret to signed-in staff).',
      authScopes: { signedIn: true },
      resolve: (query, _root, _args, ctx) => ctx.db.store.findMany({ ...query, orderBy: { code: 'asc' } }),
    }),
    store: t.prismaField({
      type: 'Store',
      nullable: true,
      authScopes: { signedIn: true },
      args: { code: t.arg.string({ required: true }) },
      resolve: (query, _root, args, ctx) =>
        ctx.db.store.findUnique({ ...query, where: { code: args.code.trim().toUpperCase() } }),
    }),
  }));

  const CreateStoreInput = builder.inputType('CreateStoreInput', {
    fields: (t) => ({
      code: t.string({ required: true, description: 'Short unique code, e.g. BJ-SLT' }),
      name: t.string({ required: true }),
      address: t.string(),
      timezone: t.string({ description: `IANA time zone, default ${DEFAULT_TIME_ZONE}` }),
      allowNegativeStock: t.boolean({ description: 'Default false: sales that exceed stock are refused.' }),
    }),
  });

  const UpdateStoreInput = builder.inputType('UpdateStoreInput', {
    description: 'What changes; a field left out stays. The code and the time zone stay as created.',
    fields: (t) => ({
      name: t.string(),
      address: t.string({ description: 'An empty string clears it.' }),
      allowNegativeStock: t.boolean({
        description: 'True when the till is the record of what sold: its sales go through and a stocktake settles.',
      }),
    }),
  });

  builder.mutationFields((t) => ({
    updateStore: t.prismaField({
      type: 'Store',
      description: "Changes a store's name, address or stock policy (its owners).",
      authScopes: (_root, args) => ({
        storePermission: { storeId: idOfType(args.id, 'Store'), permission: 'store:write' },
      }),
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        id: t.arg.globalID({ required: true }),
        input: t.arg({ type: UpdateStoreInput, required: true }),
      },
      resolve: async (query, _root, { id, input }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const { before, after } = await updateStore(unit, idOfType(id, 'Store'), input);
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'store.update',
            entityType: 'Store',
            entityId: after.id,
            storeId: after.id,
            before,
            after,
          });
        });
        return ctx.db.store.findUniqueOrThrow({ ...query, where: { id: idOfType(id, 'Store') } });
      },
    }),
    createStore: t.prismaField({
      type: 'Store',
      authScopes: { permission: 'store:write' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: CreateStoreInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        const store = await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const created = await createStore(unit, input, ctx.auth.staffId);
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'store.create',
            entityType: 'Store',
            entityId: created.id,
            storeId: created.id,
            after: created,
          });
          return created;
        });
        return ctx.db.store.findUniqueOrThrow({ ...query, where: { id: store.id } });
      },
    }),
  }));
}
