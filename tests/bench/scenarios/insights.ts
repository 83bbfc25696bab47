import { graphql, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import type { ApiServer } from '../server.ts';
import { Latencies, round } from '../stats.ts';

/** Every insight should answer within this, over the full data set (docs/insights.md). */
const LIMIT_MS = 2_000;
const TARGET = `each query ≤ ${LIMIT_MS / 1000} s (slowest of its runs)`;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const monthStart = (monthsAgo: number) => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsAgo, 1)).toISOString().slice(0, 10);
};

export interface Query {
  label: string;
  query: string;
  /** From what `prepare` returned, when the scenario has a preparation step. */
  variables: (prepared: Record<string, string>) => Record<string, unknown>;
}

/**
 * Times each query one at a time (an owner's dashboard opening, not a load test): a first run
 * to warm the caches, then `runs` measured ones, as the benchmark's owner over all 3 stores.
 */
export function insightScenario(
  name: string,
  what: string,
  queries: Query[],
  /** Run once before the queries (e.g. saving what they read); not timed. */
  prepare?: (server: ApiServer, auth: string) => Promise<Record<string, string>>,
): Scenario {
  return {
    name,
    async run(ctx: BenchContext): Promise<ScenarioResult> {
      const runs = ctx.options.ci ? 2 : 5;
      const server = await ctx.startServer();
      const measured: Record<string, { p50: number; max: number }> = {};
      const jobRuns: string[] = [];
      try {
        const auth = `Bearer ${await ctx.ownerToken(server)}`;
        // The daily summary long periods read (docs/insights.md): brought up to date first, as the
        // scheduled job does every quarter of an hour; the first run on a new database builds it
        // from every sale, the second is an ordinary incremental run. Timed, not judged.
        for (let i = 0; i < 2; i++) {
          const t0 = performance.now();
          const r = await graphql(server, RUN_SUMMARY, {}, auth);
          if (r.errors?.length) throw new Error(`insights.summary: ${r.errors[0]!.message}`);
          const ms = round(performance.now() - t0, 0);
          jobRuns.push(`${ms} ms (${r.data.runScheduledJob.processed} store-days)`);
          ctx.log(`API: insights.summary run ${i + 1}: ${jobRuns.at(-1)}`);
        }
        const prepared = prepare ? await prepare(server, auth) : {};
        for (const q of queries) {
          ctx.log(`API: ${what}: ${q.label} × ${runs + 1}`);
          const latencies = new Latencies();
          for (let i = 0; i <= runs; i++) {
            const t0 = performance.now();
            const r = await graphql(server, q.query, q.variables(prepared), auth);
            const ms = performance.now() - t0;
            if (r.errors?.length) throw new Error(`${q.label}: ${r.errors[0]!.message}`);
            if (i > 0) latencies.record(ms);
          }
          const s = latencies.summary();
          measured[q.label] = { p50: round(s.p50, 0), max: round(s.max, 0) };
        }
      } finally {
        await server.stop();
      }
      const slowest = Math.max(...Object.values(measured).map((m) => m.max));
      return {
        scenario: name,
        available: true,
        measured: { ...measured, summaryJobRuns: jobRuns },
        baseline: null,
        target: TARGET,
        pass: slowest <= LIMIT_MS,
        summary: {
          measured: [
            ...Object.entries(measured).map(([label, m]) => `${label}: p50 ${m.p50} ms, max ${m.max} ms`),
            `summary job runs (not judged): ${jobRuns.join(', ')}`,
          ].join('; '),
          baseline: '—',
        },
      };
    },
  };
}

export const RUN_SUMMARY = `mutation { runScheduledJob(name: "insights.summary") { processed } }`;

const SALE_FIGURES = `revenue saleCount averageSale unitsPerSale refundRate memberShare anonymousRevenue`;
const FIGURES = `${SALE_FIGURES} customerCount newCustomerRevenue returningCustomerRevenue repurchaseRate
  purchaseIntervals { count share }`;

/**
 * KPIs of the last 7 days (live) and 30 days with both comparisons, per store and in total; and
 * the same for a year.
 */
export const insightsKpis = insightScenario('insights-kpis', 'KPIs', [
  {
    label: 'kpis 7 days + comparisons',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { kpis(repurchaseWithinDays: 30) {
      current { total { ${FIGURES} } stores { ${FIGURES} } }
      previousPeriod { total { ${FIGURES} } stores { ${FIGURES} } }
      samePeriodLastYear { total { ${FIGURES} } } } } }`,
    variables: () => ({ from: day(-6), to: day(0) }),
  },
  {
    label: 'kpis 30 days + comparisons',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { kpis(repurchaseWithinDays: 30) {
      current { total { ${FIGURES} } stores { ${FIGURES} } }
      previousPeriod { total { ${FIGURES} } stores { ${FIGURES} } }
      samePeriodLastYear { total { ${FIGURES} } } } } }`,
    variables: () => ({ from: day(-30), to: day(-1) }),
  },
  {
    label: 'kpis 366 days, sale figures + comparisons',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { kpis { current { asOf
      total { ${SALE_FIGURES} } stores { ${SALE_FIGURES} } } previousPeriod { total { ${SALE_FIGURES} } }
      samePeriodLastYear { total { ${SALE_FIGURES} } } } } }`,
    variables: () => ({ from: day(-366), to: day(-1) }),
  },
  {
    label: 'kpis 366 days with customer figures',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { kpis { current { total { ${FIGURES} }
      stores { ${FIGURES} } } } } }`,
    variables: () => ({ from: day(-366), to: day(-1) }),
  },
]);

/**
 * Pairs over the longest period each level takes (92 days by category, 62 by SKU); sequences over
 * their costliest span, a month and the default two weeks' window after it, all of it in the past
 * (the window of a period ending yesterday would hold almost no sales).
 */
export const insightsBaskets = insightScenario('insights-baskets', 'baskets', [
  {
    label: 'basketPairs CATEGORY 92 days',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { basketPairs(level: CATEGORY,
      minSupport: 0.001, first: 100) { a { name } b { name } sales support lift } } }`,
    variables: () => ({ from: day(-92), to: day(-1) }),
  },
  {
    label: 'basketPairs PRODUCT 62 days',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { basketPairs(level: PRODUCT,
      minSupport: 0.0001, first: 100) { a { sku } b { sku } sales support lift } } }`,
    variables: () => ({ from: day(-62), to: day(-1) }),
  },
  {
    label: 'purchaseSequences CATEGORY 31 days within 14',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { purchaseSequences(level: CATEGORY,
      withinDays: 14, first: 100) { bought { name } thenBought { name } customers share } } }`,
    variables: () => ({ from: day(-45), to: day(-15) }),
  },
  {
    label: 'purchaseSequences PRODUCT 31 days within 14',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { purchaseSequences(level: PRODUCT,
      withinDays: 14, first: 100) { bought { sku } thenBought { sku } customers share } } }`,
    variables: () => ({ from: day(-45), to: day(-15) }),
  },
]);

/** Cohorts of the last 12 months followed to today, the year's product ranking and slow movers, and reorders. */
export const insightsCohorts = insightScenario('insights-cohorts', 'cohorts, products and time', [
  {
    label: 'cohorts 12 months',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { cohorts(followMonths: 12) { month
      customers retention { offset rate } } } }`,
    variables: () => ({ from: monthStart(11), to: day(-1) }),
  },
  {
    label: 'productRanking MARGIN 366 days',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { productRanking(by: MARGIN, first: 100)
      { sku units revenue margin topCustomerBuyers } } }`,
    variables: () => ({ from: day(-366), to: day(-1) }),
  },
  {
    label: 'reorderSuggestions 28 days',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { reorderSuggestions(first: 100) { sku
      storeCode onHand daysOfCover suggestedOrderQuantity boughtByTopCustomers } } }`,
    variables: () => ({ from: day(-28), to: day(-1) }),
  },
  {
    label: 'salesHeatMap 366 days',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { salesHeatMap { weekday hour saleCount
      revenue } } }`,
    variables: () => ({ from: day(-366), to: day(-1) }),
  },
  {
    label: 'salesTrend DAY 366 days, and last year',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { salesTrend(grain: DAY) { start saleCount
      revenue averageSale } lastYear: salesTrend(grain: DAY, period: SAME_PERIOD_LAST_YEAR) { start revenue } } }`,
    variables: () => ({ from: day(-366), to: day(-1) }),
  },
  {
    label: 'slowMovers 366 days',
    query: `query($from: Date!, $to: Date!) { insights(from: $from, to: $to) { slowMovers(first: 100) { sku
      storeCode onHand unitsSold lastSoldOn boughtByTopCustomers } } }`,
    variables: () => ({ from: day(-366), to: day(-1) }),
  },
]);
