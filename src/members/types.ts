import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { MemberStatus } from '../generated/prisma/enums.ts';
import type { Builder } from '../schema/builder.ts';
import { enrollMember, lookupMembers } from './service.ts';

export function addMemberTypes(builder: Builder) {
  const StatusEnum = builder.enumType(MemberStatus, { name: 'MemberStatus' });

  builder.prismaNode('Member', {
    id: { field: 'id' },
    authScopes: { permission: 'customer:read' },
    description: 'A customer who joined the membership programme (会员).',
    fields: (t) => ({
      code: t.exposeString('code', { description: 'Member code / card number.' }),
      joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
      status: t.expose('status', { type: StatusEnum }),
      customer: t.relation('customer'),
    }),
  });

  builder.queryFields((t) => ({
    memberLookup: t.prismaField({
      type: ['Member'],
      description:
        'Checkout look-up by member code, by phone, or by the last 4 digits of the phone with (part of) the ' +
        'name, case-insensitive; ' +
        'when several match, up to 10, the most recent buyer first.',
      authScopes: { permission: 'customer:read' },
      args: {
        code: t.arg.string(),
        phone: t.arg.string(),
        phoneLast4: t.arg.string(),
        name: t.arg.string(),
      },
      resolve: async (query, _root, args, ctx) => {
        const found = await lookupMembers(ctx.db, args);
        if (!found.length) return [];
        const rows = await ctx.db.member.findMany({ ...query, where: { id: { in: found.map((m) => m.id) } } });
        // In the look-up's order, which `in` does not keep.
        const byId = new Map(rows.map((m) => [m.id, m]));
        return found.flatMap((m) => (byId.has(m.id) ? [byId.get(m.id)!] : []));
      },
    }),
  }));

  const EnrollMemberInput = builder.inputType('EnrollMemberInput', {
    fields: (t) => ({
      customerId: t.globalID({ required: true }),
      code: t.string({ description: 'Card number to use; one is generated when omitted.' }),
      storeId: t.globalID({ description: 'Store where the customer joined.' }),
    }),
  });

  builder.mutationFields((t) => ({
    enrollMember: t.prismaField({
      type: 'Member',
      authScopes: { permission: 'customer:write' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: EnrollMemberInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        const m = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          enrollMember(unit, { customerId: input.customerId.id, code: input.code, storeId: input.storeId?.id ?? null }),
        );
        return ctx.db.member.findUniqueOrThrow({ ...query, where: { id: m.id } });
      },
    }),
  }));
  return { MemberStatusEnum: StatusEnum };
}
