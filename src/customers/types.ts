import { Kind, type GraphQLResolveInfo } from 'graphql';
import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveCursorConnection } from '@pothos/plugin-relay';
import { InvalidInputError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { Channel, ConsentChannel, Gender, InteractionKind } from '../generated/prisma/enums.ts';
import type { Builder } from '../schema/builder.ts';
import type { Context } from '../schema/context.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { normalizePhone } from './phone.ts';
import { openBirthday, openEmail, openPhone, phoneHashes } from './personal.ts';
import { maskEmail, maskPhone } from '../privacy/masking.ts';
import { actorOfContext } from '../audit/service.ts';
import { countCustomers, findCustomerPage, type CustomerFilter } from './search.ts';
import { followMerges } from './merges.ts';
import { addInteraction, createCustomer, mergeCustomers, updateCustomer } from './service.ts';

type FilterArg = (Omit<CustomerFilter, 'homeStoreId'> & { homeStoreId?: { id: string } | null }) | null | undefined;
type PageArgs = { first?: number | null; last?: number | null; after?: string | null; before?: string | null };

/**
 * Whether a planned read (select mode) asks only for columns `row` already holds: then the row a
 * write returned answers it, without reading the customer again.
 */
function answeredBy(query: object, row: object) {
  const select = (query as { select?: Record<string, unknown> }).select;
  return Boolean(select) && Object.entries(select!).every(([key, wanted]) => wanted === true && key in row);
}

/** Whether the client asked the connection for totalCount. */
function selectsTotalCount(info: GraphQLResolveInfo) {
  return info.fieldNodes.some((node) =>
    node.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'totalCount'),
  );
}

/** Whether the client asked the connection for nothing but totalCount: then no page is read. */
function onlyTotalCount(info: GraphQLResolveInfo) {
  return info.fieldNodes.every((node) =>
    node.selectionSet?.selections.every(
      (s) => s.kind === Kind.FIELD && (s.name.value === 'totalCount' || s.name.value === '__typename'),
    ),
  );
}

/**
 * `customers`: one page of the search, in its order (see search.ts), with keyset cursors that
 * carry the position in that order, and the customers loaded with the query the response
 * shape plans (their relations in one statement per level).
 */
async function customersConnection(args: PageArgs & { filter?: FilterArg }, ctx: Context, info: GraphQLResolveInfo) {
  const filter: CustomerFilter = { ...args.filter, homeStoreId: args.filter?.homeStoreId?.id };
  const order = filter.query?.trim() ? 'relevance' : 'newest';
  // Without a filter the page's statement brings the tally along when totalCount is selected.
  let tally: number | undefined;
  const totalCount = async () => tally ?? countCustomers(ctx.db, filter);
  // The pairs a keyset cursor cannot serve, refused as the caller's mistake.
  for (const [a, b] of [
    ['after', 'before'],
    ['after', 'last'],
    ['before', 'first'],
  ] as const) {
    if (args[a] != null && args[b] != null) {
      throw new InvalidInputError('INVALID_INPUT', { detail: `${a} and ${b} cannot be used together` }, [b]);
    }
  }
  if (onlyTotalCount(info)) {
    return {
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      totalCount,
    };
  }
  const cursors = new Map<string, string>();
  const connection = await resolveCursorConnection<Promise<{ id: string }[]>>(
    { args, toCursor: (customer) => cursors.get(customer.id)!, defaultSize: 20, maxSize: 100 },
    async ({ before, after, limit, inverted }) => {
      const page = await findCustomerPage(ctx.db, filter, {
        order,
        cursor: after ?? before,
        cursorArg: after ? 'after' : 'before',
        backward: inverted,
        limit,
        withTally: selectsTotalCount(info),
      });
      tally = page[0]?.tally ?? undefined;
      if (!page.length) return [];
      for (const row of page) cursors.set(row.id, row.cursor);
      const query = await queryFromInfo({
        context: ctx,
        info,
        typeName: 'Customer',
        path: ['edges', 'node'],
        awaitSelections: true,
      });
      const rows = await ctx.db.customer.findMany({ ...query, where: { id: { in: page.map((r) => r.id) } } });
      // In the page's order, which `in` does not keep.
      const byId = new Map(rows.map((r) => [r.id, r]));
      return page.flatMap((r) => (byId.has(r.id) ? [byId.get(r.id)!] : []));
    },
  );
  // Like the other connections: no cursors on an empty page.
  if (!connection!.edges.length) Object.assign(connection!.pageInfo, { startCursor: null, endCursor: null });
  return { ...connection!, totalCount };
}

export function addCustomerTypes(builder: Builder) {
  const GenderEnum = builder.enumType(Gender, { name: 'Gender' });
  const ChannelEnum = builder.enumType(Channel, {
    name: 'Channel',
    description:
      'Where a customer came from or is known: store POS, WeChat, mini-program, e-commerce, web, or a data import.',
  });
  const ConsentChannelEnum = builder.enumType(ConsentChannel, { name: 'ConsentChannel' });
  const InteractionKindEnum = builder.enumType(InteractionKind, { name: 'InteractionKind' });

  const ImportedHistory = builder.simpleObject('ImportedPurchaseHistory', {
    description:
      "A previous system's purchase figures for a customer, brought in by a customer import. The customer's " +
      'visitCount, lifetimeSpend and purchase dates include them; sales recorded here add to them.',
    fields: (t) => ({
      firstPurchaseAt: t.field({ type: 'DateTime', nullable: true }),
      lastPurchaseAt: t.field({ type: 'DateTime', nullable: true }),
      visitCount: t.int(),
      spend: t.field({ type: 'Money' }),
    }),
  });

  const CustomerNode = builder.prismaNode('Customer', {
    id: { field: 'id' },
    // Select mode: a read loads the columns its fields need (each field says which), not the whole
    // row with its ciphertexts and imported figures.
    select: { id: true },
    // Checked on the type too, so every path to a customer (node(id:), a sale's customer) is covered.
    authScopes: { permission: 'customer:read' },
    description: 'One person, however many channels they reach the chain through (客户画像).',
    fields: (t) => ({
      name: t.exposeString('name'),
      // Stored encrypted (src/customers/personal.ts); decrypted only when selected, masked without customer:pii.
      phone: t.string({
        nullable: true,
        description:
          '11-digit mainland mobile number; masked (138****1234) for callers without the personal-data ' +
          'permission (customer:pii). See revealCustomerContact.',
        select: { phoneEnc: true },
        resolve: (c, _a, ctx) =>
          ctx.auth.can('customer:pii') ? openPhone(c.phoneEnc) : maskPhone(openPhone(c.phoneEnc)),
      }),
      email: t.string({
        nullable: true,
        description: 'Masked (z***@example.com) without customer:pii.',
        select: { emailEnc: true },
        resolve: (c, _a, ctx) =>
          ctx.auth.can('customer:pii') ? openEmail(c.emailEnc) : maskEmail(openEmail(c.emailEnc)),
      }),
      gender: t.expose('gender', { type: GenderEnum }),
      birthday: t.field({
        type: 'Date',
        nullable: true,
        description: 'Null without customer:pii (see personalDataMasked); revealCustomerContact shows it.',
        select: { birthdayEnc: true },
        resolve: (c, _a, ctx) => (ctx.auth.can('customer:pii') ? openBirthday(c.birthdayEnc) : null),
      }),
      personalDataMasked: t.boolean({
        description:
          'True when phone and e-mail are shown masked and birthday withheld: the caller lacks customer:pii.',
        resolve: (_c, _a, ctx) => !ctx.auth.can('customer:pii'),
      }),
      erasedAt: t.expose('erasedAt', {
        type: 'DateTime',
        nullable: true,
        description:
          'Set when the personal data was erased on request (eraseCustomer); the record stays for the books.',
      }),
      sourceChannel: t.expose('sourceChannel', { type: ChannelEnum }),
      tags: t.exposeStringList('tags'),
      notes: t.exposeString('notes', { nullable: true }),
      homeStore: t.relation('homeStore', { nullable: true }),
      firstPurchaseAt: t.expose('firstPurchaseAt', { type: 'DateTime', nullable: true }),
      lastPurchaseAt: t.expose('lastPurchaseAt', { type: 'DateTime', nullable: true }),
      visitCount: t.exposeInt('visitCount', { description: 'Number of sales (visits) recorded for this customer.' }),
      lifetimeSpend: t.expose('lifetimeSpend', { type: 'Money', description: 'Sum of sales less refunds.' }),
      averageOrderValue: t.field({
        type: 'Money',
        description: '客单价: lifetime spend divided by visits.',
        select: { lifetimeSpend: true, visitCount: true },
        resolve: (c) => (c.visitCount ? c.lifetimeSpend.div(c.visitCount).toDecimalPlaces(2) : new Prisma.Decimal(0)),
      }),
      importedHistory: t.field({
        type: ImportedHistory,
        nullable: true,
        description:
          'The part of the purchase figures carried over from a previous system by a customer import; null when ' +
          'none was.',
        select: {
          importedFirstPurchaseAt: true,
          importedLastPurchaseAt: true,
          importedVisitCount: true,
          importedSpend: true,
        },
        resolve: (c) =>
          c.importedVisitCount || !c.importedSpend.isZero() || c.importedFirstPurchaseAt || c.importedLastPurchaseAt
            ? {
                firstPurchaseAt: c.importedFirstPurchaseAt,
                lastPurchaseAt: c.importedLastPurchaseAt,
                visitCount: c.importedVisitCount,
                spend: c.importedSpend,
              }
            : null,
      }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      member: t.relation('member', { nullable: true }),
      identities: t.relation('identities'),
      consents: t.relation('consents'),
      interactions: t.relation('interactions', {
        args: { last: t.arg.int({ defaultValue: 20 }) },
        description: 'Most recent first.',
        query: (args) => ({ orderBy: { occurredAt: 'desc' }, take: Math.min(Math.max(args.last ?? 20, 1), 100) }),
      }),
      sales: t.relatedConnection('sales', {
        description: 'Most recent first; only sales of stores the caller may read.',
        cursor: 'id',
        totalCount: true,
        query: (_args, ctx) => ({
          orderBy: { id: 'desc' },
          where: { storeId: { in: ctx.auth.storesWith('sale:read') } },
        }),
      }),
      mergedInto: t.relation('mergedInto', {
        nullable: true,
        description: 'Set on a record that was merged into another.',
      }),
    }),
  });

  builder.prismaObject('CustomerIdentity', {
    description: 'The customer as known in another channel (an e-commerce account, a WeChat openid).',
    fields: (t) => ({
      channel: t.expose('channel', { type: ChannelEnum }),
      externalId: t.exposeString('externalId'),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

  builder.prismaObject('MarketingConsent', {
    description: 'Whether the customer agreed to marketing on a channel (PIPL: consent is per purpose and revocable).',
    fields: (t) => ({
      channel: t.expose('channel', { type: ConsentChannelEnum }),
      granted: t.exposeBoolean('granted'),
      updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    }),
  });

  builder.prismaNode('Interaction', {
    id: { field: 'id' },
    authScopes: { permission: 'customer:read' },
    description: "A call, message, visit, note or complaint in the customer's history.",
    fields: (t) => ({
      kind: t.expose('kind', { type: InteractionKindEnum }),
      summary: t.exposeString('summary'),
      occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
      staff: t.relation('staff', { nullable: true }),
      store: t.relation('store', { nullable: true }),
    }),
  });

  const CustomerFilter = builder.inputType('CustomerFilter', {
    fields: (t) => ({
      query: t.string({
        description:
          'Name fragment (any 1 or more characters, case-insensitive, taken literally), last 4 digits of the ' +
          'phone, whole phone, member code or e-mail. (Phones are stored encrypted: other pieces of a number ' +
          'are not searchable.)',
      }),
      phoneLast4: t.string(),
      tag: t.string(),
      channel: t.field({ type: ChannelEnum }),
      homeStoreId: t.globalID(),
      isMember: t.boolean(),
      lastPurchaseFrom: t.field({ type: 'DateTime', description: 'Inclusive' }),
      lastPurchaseTo: t.field({ type: 'DateTime', description: 'Exclusive' }),
    }),
  });

  builder.queryFields((t) => ({
    customer: t.prismaField({
      type: 'Customer',
      nullable: true,
      description: 'One customer by id, phone or member code. A merged id resolves to the surviving customer.',
      authScopes: { permission: 'customer:read' },
      args: {
        id: t.arg.globalID(),
        phone: t.arg.string(),
        memberCode: t.arg.string(),
      },
      resolve: async (query, _root, args, ctx) => {
        let id: string | undefined;
        if (args.id) id = args.id.id;
        else if (args.phone) {
          const phone = normalizePhone(args.phone);
          id = phone
            ? (
                await ctx.db.customer.findFirst({
                  where: { phoneHash: { in: phoneHashes(phone) } },
                  select: { id: true },
                })
              )?.id
            : undefined;
        } else if (args.memberCode) {
          id = (
            await ctx.db.member.findUnique({ where: { code: args.memberCode.trim() }, select: { customerId: true } })
          )?.customerId;
        }
        if (!id) return null;
        // The planned read, with mergedIntoId: an id merged away costs one more read per merge it went through.
        const withMerge =
          'select' in query && query.select ? { ...query, select: { ...query.select, mergedIntoId: true } } : query;
        const found = await followMerges(id, (at) => ctx.db.customer.findUnique({ ...withMerge, where: { id: at } }));
        return found?.mergedIntoId ? null : found;
      },
    }),
    customers: t.connection(
      {
        type: CustomerNode,
        description:
          'Search the shared customer base. With `filter.query`: exact matches first (whole name, whole phone, ' +
          'member code, e-mail), ' +
          'then by last purchase, most recent first, then customers who never bought, newest first. Without it: ' +
          'newest first. ' +
          'Cursors belong to one filter; totalCount is exact and computed only when asked for.',
        authScopes: { permission: 'customer:search' },
        args: { filter: t.arg({ type: CustomerFilter }) },
        resolve: (_root, args, ctx, info) => customersConnection(args, ctx, info) as never,
      },
      {
        fields: (c) => ({
          totalCount: c.int({
            resolve: (connection) => (connection as unknown as { totalCount: () => Promise<number> }).totalCount(),
          }),
        }),
      },
    ),
  }));

  const ConsentInput = builder.inputType('ConsentInput', {
    fields: (t) => ({
      channel: t.field({ type: ConsentChannelEnum, required: true }),
      granted: t.boolean({ required: true }),
    }),
  });
  const IdentityInput = builder.inputType('IdentityInput', {
    fields: (t) => ({
      channel: t.field({ type: ChannelEnum, required: true }),
      externalId: t.string({ required: true }),
    }),
  });
  const customerFields = (
    t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0],
    nameRequired: boolean,
  ) => ({
    name: t.string({ required: nameRequired }),
    phone: t.string({ description: 'Mainland mobile; +86, spaces and dashes are accepted.' }),
    email: t.string(),
    gender: t.field({ type: GenderEnum }),
    birthday: t.field({ type: 'Date' }),
    sourceChannel: t.field({ type: ChannelEnum }),
    homeStoreId: t.globalID(),
    tags: t.stringList(),
    notes: t.string(),
    consents: t.field({ type: [ConsentInput] }),
    identities: t.field({ type: [IdentityInput] }),
  });
  const CreateCustomerInput = builder.inputType('CreateCustomerInput', { fields: (t) => customerFields(t, true) });
  const UpdateCustomerInput = builder.inputType('UpdateCustomerInput', { fields: (t) => customerFields(t, false) });
  const InteractionInput = builder.inputType('AddInteractionInput', {
    fields: (t) => ({
      customerId: t.globalID({ required: true }),
      kind: t.field({ type: InteractionKindEnum, required: true }),
      summary: t.string({ required: true }),
      occurredAt: t.field({ type: 'DateTime' }),
      storeId: t.globalID(),
    }),
  });

  type CustomerArgs = { homeStoreId?: { id: string } | null } & Record<string, unknown>;
  const toServiceInput = (input: CustomerArgs) => ({
    ...input,
    homeStoreId: input.homeStoreId === undefined ? undefined : (input.homeStoreId?.id ?? null),
  });

  builder.mutationFields((t) => ({
    createCustomer: t.prismaField({
      type: 'Customer',
      authScopes: { permission: 'customer:write' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: CreateCustomerInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        const c = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          createCustomer(unit, toServiceInput(input) as never, actorOfContext(ctx)),
        );
        // The created row has every column; relations (identities, consents…) are read afterwards.
        return answeredBy(query, c) ? c : ctx.db.customer.findUniqueOrThrow({ ...query, where: { id: c.id } });
      },
    }),
    updateCustomer: t.prismaField({
      type: 'Customer',
      authScopes: { permission: 'customer:write' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true }), input: t.arg({ type: UpdateCustomerInput, required: true }) },
      resolve: async (query, _root, { id, input }, ctx) => {
        const c = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          updateCustomer(unit, id.id, toServiceInput(input) as never, actorOfContext(ctx)),
        );
        return answeredBy(query, c) ? c : ctx.db.customer.findUniqueOrThrow({ ...query, where: { id: c.id } });
      },
    }),
    mergeCustomers: t.prismaField({
      type: 'Customer',
      description: 'Merges a duplicate into the survivor, keeping all history. Returns the survivor.',
      authScopes: { permission: 'customer:merge' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        survivorId: t.arg.globalID({ required: true }),
        mergedId: t.arg.globalID({ required: true }),
      },
      resolve: async (query, _root, args, ctx) => {
        const c = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          mergeCustomers(unit, args.survivorId.id, args.mergedId.id, ctx.app.plugins.mergeSteps, actorOfContext(ctx)),
        );
        return ctx.db.customer.findUniqueOrThrow({ ...query, where: { id: c.id } });
      },
    }),
    addInteraction: t.prismaField({
      type: 'Interaction',
      authScopes: { permission: 'interaction:write' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: InteractionInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        const i = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          addInteraction(unit, {
            customerId: input.customerId.id,
            kind: input.kind,
            summary: input.summary,
            occurredAt: input.occurredAt,
            storeId: input.storeId?.id ?? null,
            staffId: ctx.auth.staffId,
          }),
        );
        return ctx.db.interaction.findUniqueOrThrow({ ...query, where: { id: i.id } });
      },
    }),
  }));
  return { CustomerNode, GenderEnum, ConsentChannelEnum };
}
