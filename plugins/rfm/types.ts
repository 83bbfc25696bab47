import { getRefFromModel, queryFromInfo } from '@pothos/plugin-prisma';
import { resolveCursorConnection } from '@pothos/plugin-relay';
import type { RfmScore } from '../../src/generated/prisma/client.ts';
import type { RfmSegment } from '../../src/generated/prisma/enums.ts';
import type { Builder } from '../../src/schema/builder.ts';
import { requestLoader } from '../../src/schema/loaders.ts';
import { SEGMENT_TEXT, SEGMENTS } from './messages.ts';
import {
  countInSegment,
  decodeCursor,
  encodeCursor,
  lastRun,
  segmentPage,
  segmentSummary,
  type SegmentCursor,
} from './reports.ts';

export function addRfmTypes(builder: Builder) {
  const SegmentEnum = builder.enumType('RfmSegment', {
    description:
      'The eight RFM value layers (RFM 客户价值分层): recency, frequency and monetary value each high or low against ' +
      'the customer base.',
    values: Object.fromEntries(
      SEGMENTS.map((s) => [
        s,
        { value: s, description: `${SEGMENT_TEXT[s].name['zh-CN']}: ${SEGMENT_TEXT[s].description.en}.` },
      ]),
    ) as Record<RfmSegment, { value: RfmSegment; description: string }>,
  });

  const ScoreRef = builder.prismaObject('RfmScore', {
    description:
      "A customer's RFM score from the last scoring run. Scores are 1–5, 5 best, by quintile of the customer base.",
    fields: (t) => ({
      recencyScore: t.exposeInt('recencyScore', {
        description: '1–5: the fewer days since the last purchase, the higher.',
      }),
      frequencyScore: t.exposeInt('frequencyScore', {
        description: '1–5: the more purchases in the window, the higher.',
      }),
      monetaryScore: t.exposeInt('monetaryScore', {
        description: '1–5: the more net spend in the window, the higher.',
      }),
      code: t.string({
        description: 'The three scores as one code, R then F then M: "545".',
        resolve: (s) => `${s.recencyScore}${s.frequencyScore}${s.monetaryScore}`,
      }),
      recencyDays: t.exposeInt('recencyDays', {
        description: 'Whole days from the last purchase to the moment of scoring.',
      }),
      lastPurchaseAt: t.expose('lastPurchaseAt', { type: 'DateTime' }),
      frequency: t.exposeInt('frequency', { description: 'Purchases in the window (sales not refunded in full).' }),
      monetary: t.expose('monetary', {
        type: 'Money',
        description: 'Net spend in the window: sale totals less refunds.',
      }),
      segment: t.expose('segment', { type: SegmentEnum }),
      segmentName: t.string({
        description: "The segment as a person reads it (重要价值客户 / Champions), in the caller's language.",
        resolve: (s, _a, ctx) => SEGMENT_TEXT[s.segment].name[ctx.locale],
      }),
      computedAt: t.expose('computedAt', {
        type: 'DateTime',
        description: 'The moment the score stands for; the window ends here.',
      }),
    }),
  });

  builder.prismaObjectField('Customer', 'rfm', (t) =>
    t.field({
      type: ScoreRef,
      nullable: true,
      description:
        'RFM value layer. Null for a customer with no purchase in the window of the last scoring run (or before ' +
        'the first run).',
      select: { id: true },
      resolve: (c, _a, ctx) =>
        requestLoader<RfmScore>(
          ctx,
          'rfm.score',
          async (ids) =>
            new Map(
              (await ctx.db.rfmScore.findMany({ where: { customerId: { in: [...ids] } } })).map((s) => [
                s.customerId,
                s,
              ]),
            ),
        ).load(c.id),
    }),
  );

  builder.prismaObject('RfmRunSegment', {
    fields: (t) => ({
      segment: t.expose('segment', { type: SegmentEnum }),
      name: t.string({ resolve: (s, _a, ctx) => SEGMENT_TEXT[s.segment].name[ctx.locale] }),
      customers: t.exposeInt('customers'),
      spend: t.expose('spend', { type: 'Money' }),
      purchases: t.exposeInt('purchases'),
    }),
  });

  const RunRef = builder.prismaNode('RfmRun', {
    id: { field: 'id' },
    authScopes: { permission: 'report:read' },
    description: 'One scoring run: its window, how many customers it scored, and the segments it found.',
    fields: (t) => ({
      asOf: t.expose('asOf', {
        type: 'DateTime',
        description: 'The moment scored for; the window is (windowStart, asOf].',
      }),
      windowStart: t.expose('windowStart', { type: 'DateTime' }),
      startedAt: t.expose('startedAt', { type: 'DateTime' }),
      finishedAt: t.expose('finishedAt', { type: 'DateTime' }),
      customersScored: t.exposeInt('customersScored'),
      customersWithoutPurchase: t.exposeInt('customersWithoutPurchase', {
        description: 'Customers with no purchase in the window, so without a score.',
      }),
      recencyAverage: t.float({
        description: 'The base\'s average recency score; above it is "high" unless fixed thresholds are configured.',
        resolve: (r) => r.recencyAverage.toNumber(),
      }),
      frequencyAverage: t.float({ resolve: (r) => r.frequencyAverage.toNumber() }),
      monetaryAverage: t.float({ resolve: (r) => r.monetaryAverage.toNumber() }),
      segments: t.relation('segments', {
        description: 'Every segment with customers, in display order.',
        query: { orderBy: { segment: 'asc' } },
      }),
    }),
  });

  const SegmentSummary = builder.simpleObject('RfmSegmentSummary', {
    fields: (t) => ({
      segment: t.field({ type: SegmentEnum }),
      name: t.string({ description: "In the caller's language." }),
      description: t.string({ description: "What the layer means and the usual next step, in the caller's language." }),
      customers: t.int(),
      customerShare: t.float({ description: 'Share of the scored customers, 0–1.' }),
      spend: t.field({ type: 'Money', description: 'Net spend of these customers in the window.' }),
      spendShare: t.float({ description: "Share of the scored customers' spend, 0–1." }),
      purchases: t.int(),
      averageOrderValue: t.field({ type: 'Money', description: '客单价: spend divided by purchases.' }),
      averageRecencyDays: t.float({
        nullable: true,
        description: 'Average days since the last purchase; null for an empty segment.',
      }),
    }),
  });

  const Dashboard = builder.simpleObject('RfmDashboard', {
    description: 'The customer base by RFM value layer, as of the last scoring run.',
    fields: (t) => ({
      lastRun: t.field({ type: RunRef, nullable: true, description: 'Null until the first run.' }),
      customersScored: t.int({ description: 'Customers with a score (in the home store, when one was given).' }),
      spend: t.field({ type: 'Money', description: 'Their net spend in the window.' }),
      segments: t.field({
        type: [SegmentSummary],
        description: 'All eight segments in display order, empty ones included.',
      }),
    }),
  });

  builder.queryFields((t) => ({
    rfmDashboard: t.field({
      type: Dashboard,
      description:
        'Segment counts, shares of customers and spend, and 客单价 per segment: for the whole chain, or for the ' +
        'customers of one home store.',
      args: { homeStoreId: t.arg.globalID({ description: 'Only customers whose home store this is.' }) },
      authScopes: (_r, args) =>
        args.homeStoreId
          ? { storePermission: { storeId: args.homeStoreId.id, permission: 'report:read' } }
          : { permission: 'report:read' },
      resolve: async (_r, args, ctx) => {
        const [summary, run] = await Promise.all([
          segmentSummary(ctx.app.analytics, args.homeStoreId?.id ?? null),
          lastRun(ctx.app.analytics),
        ]);
        return {
          lastRun: run,
          customersScored: summary.customers,
          spend: summary.spend,
          segments: summary.segments.map((s) => ({
            ...s,
            name: SEGMENT_TEXT[s.segment].name[ctx.locale],
            description: SEGMENT_TEXT[s.segment].description[ctx.locale],
          })),
        };
      },
    }),
    rfmRuns: t.prismaConnection({
      type: 'RfmRun',
      cursor: 'id',
      description: 'Scoring runs, newest first, with their segment counts: trends over time.',
      authScopes: { permission: 'report:read' },
      resolve: (query, _r, _a, ctx) => ctx.app.analytics.rfmRun.findMany({ ...query, orderBy: { id: 'desc' } }),
    }),
  }));

  const CustomerRef = getRefFromModel('Customer', builder);
  builder.queryField('rfmSegmentCustomers', (t) =>
    t.connection(
      {
        type: CustomerRef,
        description: 'Customers in one segment, highest net spend first: for a campaign list or a call list.',
        authScopes: { permission: 'customer:search' },
        args: {
          segment: t.arg({ type: SegmentEnum, required: true }),
          homeStoreId: t.arg.globalID({ description: 'Only customers whose home store this is.' }),
        },
        resolve: async (_r, args, ctx, info) => {
          const filter = { segment: args.segment, homeStoreId: args.homeStoreId?.id ?? null };
          const page = await resolveCursorConnection<Promise<SegmentCursor[]>>(
            { args, toCursor: encodeCursor },
            ({ before, after, limit, inverted }) =>
              segmentPage(ctx.app.analytics, filter, {
                after: after ? decodeCursor(after, 'after') : null,
                before: before ? decodeCursor(before, 'before') : null,
                limit,
                inverted,
              }),
          );
          // One statement for every customer of the page, shaped by what the client selected.
          const query = queryFromInfo({ context: ctx, info, typeName: 'Customer', path: ['edges', 'node'] });
          const ids = page.edges.map((e) => e.node.customerId);
          const customers = ids.length
            ? await ctx.db.customer.findMany({ ...query, where: { id: { in: ids } } } as {
                where: { id: { in: string[] } };
              })
            : [];
          const byId = new Map(customers.map((c) => [c.id, c]));
          return {
            pageInfo: page.pageInfo,
            edges: page.edges.flatMap((e) => {
              const node = byId.get(e.node.customerId);
              return node ? [{ cursor: e.cursor, node }] : [];
            }),
            totalCount: () => countInSegment(ctx.app.analytics, filter),
          };
        },
      },
      {
        fields: (c) => ({
          totalCount: c.int({
            description: 'Customers in the segment; computed only when asked for.',
            resolve: (conn) => (conn as unknown as { totalCount: () => Promise<number> }).totalCount(),
          }),
        }),
      },
    ),
  );
}
