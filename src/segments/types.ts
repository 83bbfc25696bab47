import { NIL_UUID } from '../db/ids.ts';
import { encodeGlobalID, resolveCursorConnection } from '@pothos/plugin-relay';
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import { actorOfContext } from '../audit/service.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { InvalidInputError } from '../errors/index.ts';
import { runInTransaction } from '../events/transaction.ts';
import { ConsentChannel } from '../generated/prisma/enums.ts';
import type { Segment } from '../generated/prisma/client.ts';
import type { Builder } from '../schema/builder.ts';
import type { Context } from '../schema/context.ts';
import type { addCustomerTypes } from '../customers/types.ts';
import type { SegmentConditions } from './conditions.ts';
import { createSegment, deleteSegment, segmentPage, updateSegment } from './service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type CustomerNodeRef = ReturnType<typeof addCustomerTypes>['CustomerNode'];
type PageArgs = { first?: number | null; last?: number | null; after?: string | null; before?: string | null };

/** A page of the segment's customers, newest first, loaded with the query the response shape plans. */
async function segmentCustomers(segment: Segment, args: PageArgs, ctx: Context, info: GraphQLResolveInfo) {
  const where = ctx.app.plugins.segments.where(segment);
  const db = ctx.app.analytics;
  // Cursors are customer ids; anything else would only fail as a cast in SQL.
  for (const key of ['after', 'before'] as const) {
    const cursor = args[key];
    if (cursor && !UUID.test(cursor))
      throw new InvalidInputError('INVALID_CURSOR', { cursor: cursor.slice(0, 100) }, [key]);
  }
  const connection = await resolveCursorConnection<Promise<{ id: string }[]>>(
    { args, toCursor: (c) => c.id, defaultSize: 20, maxSize: 100 },
    async ({ before, after, limit, inverted }) => {
      if (inverted && !before) {
        // `last` without a cursor: the oldest customers, read upwards.
        const ids = await segmentPage(db, where, { after: NIL_UUID, limit });
        return load(ids.slice(0, limit).reverse());
      }
      // Pothos reads pages in its own direction: `after` goes down (older), `before` up (newer).
      const ids = inverted
        ? (await segmentPage(db, where, { after: before, limit })).reverse()
        : await segmentPage(db, where, { before: after, limit });
      return load(ids);
    },
  );
  async function load(ids: string[]) {
    if (!ids.length) return [];
    const query = await queryFromInfo({ context: ctx, info, typeName: 'Customer', path: ['edges', 'node'] });
    const rows = await db.customer.findMany({ ...query, where: { id: { in: ids } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
  }
  if (!connection!.edges.length) Object.assign(connection!.pageInfo, { startCursor: null, endCursor: null });
  return connection!;
}

export function addSegmentTypes(builder: Builder, customerNode: CustomerNodeRef) {
  const SegmentConditionsRef = builder.objectRef<SegmentConditions>('SegmentConditions').implement({
    description: 'What a customer must meet to be in a segment: every condition that is set.',
    fields: (t) => ({
      tagsAny: t.stringList({ nullable: true, resolve: (c) => c.tagsAny ?? null }),
      tagsAll: t.stringList({ nullable: true, resolve: (c) => c.tagsAll ?? null }),
      tagsNone: t.stringList({ nullable: true, resolve: (c) => c.tagsNone ?? null }),
      tierCodes: t.stringList({ nullable: true, resolve: (c) => c.tierCodes ?? null }),
      rfmSegments: t.stringList({ nullable: true, resolve: (c) => c.rfmSegments ?? null }),
      spendMin: t.field({ type: 'Money', nullable: true, resolve: (c) => c.spendMin ?? null }),
      spendMax: t.field({ type: 'Money', nullable: true, resolve: (c) => c.spendMax ?? null }),
      visitsMin: t.int({ nullable: true, resolve: (c) => c.visitsMin ?? null }),
      visitsMax: t.int({ nullable: true, resolve: (c) => c.visitsMax ?? null }),
      lastPurchaseWithinDays: t.int({ nullable: true, resolve: (c) => c.lastPurchaseWithinDays ?? null }),
      lastPurchaseNotWithinDays: t.int({ nullable: true, resolve: (c) => c.lastPurchaseNotWithinDays ?? null }),
      categoriesBought: t.stringList({ nullable: true, resolve: (c) => c.categoriesBought ?? null }),
      categoriesWithinDays: t.int({ nullable: true, resolve: (c) => c.categoriesWithinDays ?? null }),
      homeStoreIds: t.idList({
        nullable: true,
        description: 'Global ids, as Store.id.',
        resolve: (c) => c.homeStoreIds?.map((id) => encodeGlobalID('Store', id)) ?? null,
      }),
      consentGranted: t.field({
        type: [ConsentChannel],
        nullable: true,
        resolve: (c) => c.consentGranted ?? null,
      }),
    }),
  });

  const SegmentNode = builder.prismaNode('Segment', {
    id: { field: 'id' },
    authScopes: { permission: 'customer:search' },
    description:
      'A saved, named customer segment (客户分群): conditions kept as data, evaluated against the live customer base ' +
      'whenever it is read. Merged and erased customers are never in one.',
    fields: (t) => ({
      name: t.exposeString('name'),
      description: t.exposeString('description', { nullable: true }),
      conditions: t.field({ type: SegmentConditionsRef, resolve: (s) => s.conditions as SegmentConditions }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      customerCount: t.int({
        description: 'How many customers are in the segment now (one count over the customer base).',
        resolve: async (s, _args, ctx) => {
          const [row] = await ctx.app.analytics.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM "Customer" c WHERE ${ctx.app.plugins.segments.where(s)}`;
          return row?.n ?? 0;
        },
      }),
      csvPath: t.string({
        description:
          'Where the segment downloads as CSV (GET, with the same credentials; customer:export; personal fields ' +
          'masked without customer:pii).',
        resolve: (s) => `/exports/segments/${s.id}.csv`,
      }),
    }),
  });

  builder.objectField(SegmentNode, 'customers', (t) =>
    t.connection({
      type: customerNode,
      description: 'The customers in the segment now, newest customer first.',
      resolve: (s, args, ctx, info) => segmentCustomers(s, args, ctx, info) as never,
    }),
  );

  const ConditionsInput = builder.inputType('SegmentConditionsInput', {
    description:
      'Conditions of a segment; every one that is set must hold. tierCodes needs the tiers plugin, rfmSegments ' +
      'the rfm plugin: without it the field is refused (SEGMENT_CONDITION_UNAVAILABLE).',
    fields: (t) => ({
      tagsAny: t.stringList({ description: 'Has at least one of these tags.' }),
      tagsAll: t.stringList({ description: 'Has every one of these tags.' }),
      tagsNone: t.stringList({ description: 'Has none of these tags.' }),
      tierCodes: t.stringList({ description: 'Member of one of these tiers (Tier.code; tiers plugin).' }),
      rfmSegments: t.stringList({ description: 'In one of these RFM layers (RfmSegment; rfm plugin).' }),
      spendMin: t.field({ type: 'Money', description: 'Lifetime spend at least (net of refunds).' }),
      spendMax: t.field({ type: 'Money', description: 'Lifetime spend at most.' }),
      visitsMin: t.int({ description: 'Visits at least.' }),
      visitsMax: t.int({ description: 'Visits at most.' }),
      lastPurchaseWithinDays: t.int({ description: 'Bought within the last N days (1–3650).' }),
      lastPurchaseNotWithinDays: t.int({
        description: 'Bought before, but not within the last N days: customers to win back.',
      }),
      categoriesBought: t.stringList({ description: 'Bought a product of one of these categories (not refunded).' }),
      categoriesWithinDays: t.int({ description: 'With categoriesBought: within the last N days.' }),
      homeStoreIds: t.globalIDList({ description: 'Home store is one of these.' }),
      consentGranted: t.field({
        type: [ConsentChannel],
        description: 'Has granted marketing consent on every one of these channels.',
      }),
    }),
  });
  const CreateSegmentInput = builder.inputType('CreateSegmentInput', {
    fields: (t) => ({
      name: t.string({ required: true, description: '1–100 characters, unique.' }),
      description: t.string({ extensions: { maxLength: 500 } }),
      conditions: t.field({ type: ConditionsInput, required: true }),
    }),
  });

  const UpdateSegmentInput = builder.inputType('UpdateSegmentInput', {
    description: 'What to change of a saved segment; a field left out stays as it is.',
    fields: (t) => ({
      id: t.globalID({ required: true, description: 'The segment.' }),
      name: t.string({ description: '1–100 characters, unique.' }),
      description: t.string({ extensions: { maxLength: 500 }, description: 'null or blank removes it.' }),
      conditions: t.field({
        type: ConditionsInput,
        description: 'Replaces every condition (not merged with the old ones), checked as when created.',
      }),
    }),
  });

  /** Store ids of homeStoreIds as database ids, refusing an id of another type. */
  const homeStores = (conditions: { homeStoreIds?: { typename: string; id: string }[] | null }) =>
    conditions.homeStoreIds?.map((g) => {
      if (g.typename !== 'Store')
        throw new InvalidInputError('INVALID_ID', { id: g.id }, ['input', 'conditions', 'homeStoreIds']);
      return g.id;
    });

  builder.queryFields((t) => ({
    segments: t.prismaConnection({
      type: 'Segment',
      cursor: 'id',
      description: 'Saved segments, newest first.',
      authScopes: { permission: 'customer:search' },
      totalCount: (_root, _args, ctx) => ctx.db.segment.count(),
      resolve: (query, _root, _args, ctx) => ctx.db.segment.findMany({ ...query, orderBy: { id: 'desc' } }),
    }),
  }));

  const DeletedSegment = builder.simpleObject('DeleteSegmentPayload', {
    fields: (t) => ({ deletedId: t.id({ description: 'The deleted Segment.id.' }) }),
  });

  builder.mutationFields((t) => ({
    createSegment: t.prismaField({
      type: 'Segment',
      description: 'Saves a segment. Its conditions are checked now; each problem names its field.',
      authScopes: { permission: 'segment:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: CreateSegmentInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        const created = await runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          createSegment(tx, ctx.app.plugins.segments, actorOfContext(ctx), ctx.auth.staffId, {
            name: input.name,
            description: input.description,
            conditions: { ...input.conditions, homeStoreIds: homeStores(input.conditions) },
          }),
        );
        return ctx.db.segment.findUniqueOrThrow({ ...query, where: { id: created.id } });
      },
    }),
    updateSegment: t.prismaField({
      type: 'Segment',
      description:
        'Renames a saved segment or changes its description or conditions, with the checks of createSegment; ' +
        'audited with what it was.',
      authScopes: { permission: 'segment:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: UpdateSegmentInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        if (input.id.typename !== 'Segment')
          throw new InvalidInputError('INVALID_ID', { id: input.id.id }, ['input', 'id']);
        const updated = await runInTransaction(ctx.db, ctx.app.events, ({ tx }) =>
          updateSegment(tx, ctx.app.plugins.segments, actorOfContext(ctx), input.id.id, {
            name: input.name,
            description: input.description,
            conditions: input.conditions && { ...input.conditions, homeStoreIds: homeStores(input.conditions) },
          }),
        );
        return ctx.db.segment.findUniqueOrThrow({ ...query, where: { id: updated.id } });
      },
    }),
    deleteSegment: t.field({
      type: DeletedSegment,
      description: 'Deletes a saved segment.',
      authScopes: { permission: 'segment:manage' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true }) },
      resolve: async (_root, { id }, ctx) => {
        if (id.typename !== 'Segment') throw new InvalidInputError('INVALID_ID', { id: id.id }, ['id']);
        await runInTransaction(ctx.db, ctx.app.events, ({ tx }) => deleteSegment(tx, actorOfContext(ctx), id.id));
        return { deletedId: encodeGlobalID('Segment', id.id) };
      },
    }),
  }));
}
