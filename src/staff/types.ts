import { encodeGlobalID } from '@pothos/plugin-relay';
import { createApiKey, signIn } from '../auth/service.ts';
import { AccessError, InvalidInputError, NotFoundError, TooManyAttemptsError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { StaffRoleKind } from '../generated/prisma/enums.ts';
import type { Builder } from '../schema/builder.ts';
import { createStaff, setStaffActive } from './service.ts';
import { audit, actorOfContext } from '../audit/service.ts';

export function addStaffTypes(builder: Builder) {
  const RoleEnum = builder.enumType(StaffRoleKind, {
    name: 'StaffRoleKind',
    description:
      'OWNER: everything. MANAGER: store operations, refunds, stock, reports, merges. CASHIER: checkout. ' +
      'SALES_ASSOCIATE: customers and follow-ups.',
  });

  builder.prismaNode('Staff', {
    id: { field: 'id' },
    authScopes: { signedIn: true },
    description: 'A person who works in one or more stores.',
    fields: (t) => ({
      name: t.exposeString('name'),
      login: t.exposeString('login', {
        nullable: true,
        description: 'Sign-in name (a mobile number): only for those who manage staff.',
        authScopes: { permission: 'staff:manage' },
        unauthorizedResolver: () => null,
      }),
      active: t.exposeBoolean('active'),
      roles: t.relation('roles', {
        description:
          'Roles in the stores where the caller may read the staff directory (staff:read: managers and owners); ' +
          'empty otherwise. Your own roles: viewer.storeRoles.',
        query: (_args, ctx) => ({ where: { storeId: { in: ctx.auth.storesWith('staff:read') } } }),
      }),
    }),
  });

  builder.prismaObject('StaffRole', {
    fields: (t) => ({
      role: t.expose('role', { type: RoleEnum }),
      store: t.relation('store'),
    }),
  });

  builder.prismaNode('ApiKey', {
    id: { field: 'id' },
    authScopes: { permission: 'staff:manage' },
    description: 'A credential for a POS or other integration. It acts with `role` in `stores`.',
    fields: (t) => ({
      name: t.exposeString('name'),
      prefix: t.exposeString('prefix', { description: 'The first characters of the key, to tell keys apart.' }),
      role: t.expose('role', { type: RoleEnum }),
      storeIds: t.idList({
        description: 'Global ids, as Store.id.',
        resolve: (k) => k.storeIds.map((id) => encodeGlobalID('Store', id)),
      }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
      revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    }),
  });

  const Viewer = builder.simpleObject('Viewer', {
    description: 'Who the current credentials belong to.',
    fields: (t) => ({
      kind: t.string({ description: 'staff, apiKey, customer (a storefront token) or anonymous' }),
      name: t.string(),
      staffId: t.id({ nullable: true, description: 'Global id, as Staff.id.' }),
      storeRoles: t.field({
        type: [
          builder.simpleObject('ViewerStoreRole', {
            fields: (f) => ({
              storeId: f.id({ description: 'Global id, as Store.id.' }),
              role: f.field({ type: RoleEnum }),
            }),
          }),
        ],
      }),
    }),
  });

  builder.queryFields((t) => ({
    viewer: t.field({
      type: Viewer,
      resolve: (_root, _args, ctx) => ({
        kind: ctx.auth.kind,
        name: ctx.auth.name,
        staffId: ctx.auth.staffId ? encodeGlobalID('Staff', ctx.auth.staffId) : null,
        storeRoles: [...ctx.auth.roles].map(([storeId, role]) => ({ storeId: encodeGlobalID('Store', storeId), role })),
      }),
    }),
    staffMembers: t.prismaField({
      type: ['Staff'],
      description:
        'The staff directory: everyone with a role in a store where the caller holds staff:read (managers: ' +
        'their stores; owners: the chain).',
      authScopes: { permission: 'staff:read' },
      resolve: (query, _root, _args, ctx) =>
        ctx.db.staff.findMany({
          ...query,
          where: { roles: { some: { storeId: { in: ctx.auth.storesWith('staff:read') } } } },
          orderBy: { name: 'asc' },
        }),
    }),
  }));

  const SignInPayload = builder.simpleObject('SignInPayload', {
    fields: (t) => ({
      token: t.string({ description: 'Send as `Authorization: Bearer <token>`.' }),
      expiresAt: t.field({ type: 'DateTime' }),
      staffId: t.id({ description: 'Global id, as Staff.id.' }),
      name: t.string(),
    }),
  });

  const CreateApiKeyPayload = builder.objectRef<{ key: string; apiKeyId: string }>('CreateApiKeyPayload').implement({
    fields: (t) => ({
      key: t.exposeString('key', { description: 'The secret. Shown only now; store it in the POS configuration.' }),
      apiKey: t.prismaField({
        type: 'ApiKey',
        resolve: (query, parent, _args, ctx) =>
          ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id: parent.apiKeyId } }),
      }),
    }),
  });

  const RoleInput = builder.inputType('StoreRoleInput', {
    fields: (t) => ({
      storeId: t.globalID({ required: true }),
      role: t.field({ type: RoleEnum, required: true }),
    }),
  });

  builder.mutationFields((t) => ({
    signIn: t.field({
      type: SignInPayload,
      description: 'Staff sign-in with mobile number or e-mail and password.',
      errors: { types: [InvalidInputError, TooManyAttemptsError], directResult: true },
      args: { login: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
      resolve: async (_root, args, ctx) => {
        const { token, expiresAt, staff } = await signIn(
          ctx.db,
          ctx.app.tokens,
          { login: args.login, password: args.password, clientAddress: ctx.clientAddress },
          ctx.app.rateLimits,
        );
        return { token, expiresAt, staffId: encodeGlobalID('Staff', staff.id), name: staff.name };
      },
    }),
    createApiKey: t.field({
      type: CreateApiKeyPayload,
      description:
        'A key for a POS or integration, limited to a role in some stores. Only an owner of every one of those ' +
        'stores may create it.',
      // Checked here as well as per store below: with an empty storeIds list the per-store check has nothing to check.
      authScopes: { permission: 'staff:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        name: t.arg.string({ required: true }),
        role: t.arg({ type: RoleEnum, required: true }),
        storeIds: t.arg.globalIDList({ required: true }),
        maxDiscountPercent: t.arg.int({
          description:
            "The largest price reduction the key may give on a sale line, 0–100 (% of the line's catalogue " +
            "amount); omitted: its role's limit. A till that prices on its own side (its own promotions) needs " +
            'one.',
        }),
      },
      resolve: async (_root, args, ctx) => {
        const storeIds = args.storeIds.map((g) => g.id);
        for (const id of storeIds) ctx.auth.require('staff:manage', id);
        const { apiKey, key } = await runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const created = await createApiKey(tx, {
            name: args.name,
            role: args.role,
            storeIds,
            createdById: ctx.auth.staffId,
            maxDiscountPercent: args.maxDiscountPercent,
          });
          await audit(tx, actorOfContext(ctx), {
            operation: 'apiKey.create',
            entityType: 'ApiKey',
            entityId: created.apiKey.id,
            after: {
              name: created.apiKey.name,
              prefix: created.apiKey.prefix,
              role: created.apiKey.role,
              storeIds,
              maxDiscountPercent: created.apiKey.maxDiscountPercent,
            },
          });
          return created;
        });
        return { key, apiKeyId: apiKey.id };
      },
    }),
    revokeApiKey: t.prismaField({
      type: 'ApiKey',
      errors: { types: [NotFoundError], directResult: true },
      authScopes: { permission: 'staff:manage' },
      args: { id: t.arg.globalID({ required: true, description: 'ApiKey.id' }) },
      resolve: async (query, _root, args, ctx) => {
        const key =
          args.id.typename === 'ApiKey' ? await ctx.db.apiKey.findUnique({ where: { id: args.id.id } }) : null;
        if (!key) throw new NotFoundError('ApiKey', encodeGlobalID(args.id.typename, args.id.id), ['id']);
        for (const storeId of key.storeIds)
          if (!ctx.auth.can('staff:manage', storeId)) throw new AccessError('FORBIDDEN');
        // Through the event bus: this process drops the key from its cache before answering, the others as the event
        // reaches them.
        await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: key.revokedAt ?? new Date() } });
          if (!key.revokedAt)
            await audit(tx, actorOfContext(ctx), {
              operation: 'apiKey.revoke',
              entityType: 'ApiKey',
              entityId: key.id,
              before: { revokedAt: null },
              after: { revokedAt: new Date() },
            });
          emit('apiKey.revoked', { apiKeyId: key.id });
        });
        return ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id: key.id } });
      },
    }),
    setStaffActive: t.prismaField({
      type: 'Staff',
      description:
        'Deactivates (or reactivates) a staff member. Deactivated, they cannot sign in and the tokens they hold ' +
        'stop working at once, in every process.',
      authScopes: { permission: 'staff:manage' },
      errors: { types: [NotFoundError], directResult: true },
      args: {
        staffId: t.arg.globalID({ required: true, description: 'Staff.id (or Viewer.staffId)' }),
        active: t.arg.boolean({ required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const staff =
          args.staffId.typename === 'Staff'
            ? await ctx.db.staff.findUnique({ where: { id: args.staffId.id }, include: { roles: true } })
            : null;
        if (!staff)
          throw new NotFoundError('Staff', encodeGlobalID(args.staffId.typename, args.staffId.id), ['staffId']);
        // Managing a member needs staff:manage in every store they work in.
        for (const r of staff.roles) if (!ctx.auth.can('staff:manage', r.storeId)) throw new AccessError('FORBIDDEN');
        await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          await setStaffActive(tx, staff.id, args.active);
          emit('staff.changed', { staffId: staff.id });
        });
        return ctx.db.staff.findUniqueOrThrow({ ...query, where: { id: staff.id } });
      },
    }),
    createStaff: t.prismaField({
      type: 'Staff',
      authScopes: { permission: 'staff:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        name: t.arg.string({ required: true }),
        login: t.arg.string({ required: true, description: 'Mainland mobile number or e-mail' }),
        password: t.arg.string({ required: true }),
        roles: t.arg({ type: [RoleInput], required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const roles = args.roles.map((r) => ({ storeId: r.storeId.id, role: r.role }));
        for (const r of roles) ctx.auth.require('staff:manage', r.storeId);
        const staff = await runInTransaction(ctx.db, ctx.app.events, async ({ tx, emit }) => {
          const created = await createStaff(tx, { name: args.name, login: args.login, password: args.password, roles });
          await audit(tx, actorOfContext(ctx), {
            operation: 'staff.create',
            entityType: 'Staff',
            entityId: created.id,
            after: { name: created.name, active: created.active, roles },
          });
          emit('staff.changed', { staffId: created.id });
          return created;
        });
        return ctx.db.staff.findUniqueOrThrow({ ...query, where: { id: staff.id } });
      },
    }),
  }));
}
