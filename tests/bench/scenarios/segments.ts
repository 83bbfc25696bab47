import { graphql } from '../scenario.ts';
import { insightScenario } from './insights.ts';

/**
 * Saved segments (docs/segments.md) over the whole customer base, timed like the insights: each
 * read evaluates the conditions in one statement, so what costs is the condition that reads the
 * sales (categories bought) and the ones that read every customer (spend, last purchase).
 */
const SEGMENTS: Record<string, Record<string, unknown>> = {
  // Lifetime figures and tags: read from "Customer" alone.
  loyal: { tagsAny: ['母婴', '健身'], spendMin: '500.00', visitsMin: 3 },
  // 奶粉老客召回: bought baby products, but not in the last 90 days, and may be texted.
  winBack: { categoriesBought: ['母婴'], lastPurchaseNotWithinDays: 90, consentGranted: ['SMS'] },
  // Recent drink buyers: categories bought within 30 days (an index probe per customer).
  recentDrinks: { categoriesBought: ['饮料'], categoriesWithinDays: 30, lastPurchaseWithinDays: 30 },
};

const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) {
  ... on Segment { id } ... on UserError { errorCode message } } }`;

const COUNT_AND_PAGE = `query($id: ID!) { node(id: $id) { ... on Segment { customerCount
  customers(first: 50) { edges { node { id name lastPurchaseAt } } pageInfo { hasNextPage } } } } }`;

export const segmentsScenario = insightScenario(
  'segments',
  'segments',
  Object.keys(SEGMENTS).map((key) => ({
    label: `segment ${key}: customerCount + first 50`,
    query: COUNT_AND_PAGE,
    variables: (prepared) => ({ id: prepared[key] }),
  })),
  async (server, auth) => {
    const ids: Record<string, string> = {};
    const suffix = Date.now().toString(36); // a kept database may hold an earlier run's segments
    for (const [key, conditions] of Object.entries(SEGMENTS)) {
      const r = await graphql(server, CREATE, { input: { name: `bench ${key} ${suffix}`, conditions } }, auth);
      const saved = r.data?.createSegment;
      if (!saved?.id) throw new Error(`createSegment ${key}: ${JSON.stringify(r.errors ?? saved)}`);
      ids[key] = saved.id;
    }
    return ids;
  },
);
