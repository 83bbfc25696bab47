import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { graphql, notAvailable, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { Latencies, round } from '../stats.ts';

const LIMIT_MS = 10_000;
const TARGET = `a 30-day what-if of one store ≤ ${LIMIT_MS / 1000} s (slowest of its runs)`;

const WHATIF = `query($storeId: ID!, $from: DateTime!, $to: DateTime!, $input: CampaignInput!) {
  campaignWhatIf(storeId: $storeId, from: $from, to: $to, input: $input) { __typename
    ... on CampaignWhatIf { sales salesTouched customersTouched cost couponsIssued stoppedByLimits }
    ... on UserError { errorCode message } } }`;

/**
 * Definitions of different kinds: a category action, thresholds with a budget and a per-customer limit, a weekday
 * percentage, and a first-purchase condition (an index look-up per sale).
 */
const DEFINITIONS: { label: string; input: Record<string, unknown> }[] = [
  {
    label: '饮料第二件半价',
    input: {
      name: '饮料第二件半价',
      conditions: { categories: ['饮料'] },
      action: { type: 'NTH_UNIT_PERCENT_OFF', nth: 2, percentOff: '50' },
    },
  },
  {
    label: '满200减20 / 满500减80, budget 20,000',
    input: {
      name: '满减',
      action: {
        type: 'AMOUNT_OFF',
        thresholds: [
          { spend: '200', off: '20' },
          { spend: '500', off: '80' },
        ],
      },
      budgetAmount: '20000',
      perCustomerLimit: 2,
    },
  },
  {
    label: 'Wednesday 95折',
    input: {
      name: '周三95折',
      conditions: { weekdays: [3] },
      action: { type: 'PERCENT_OFF_ORDER', percentOff: '5' },
    },
  },
  {
    label: 'first purchase 9折',
    input: {
      name: '首单9折',
      conditions: { firstPurchase: true },
      action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' },
    },
  },
];

/**
 * `campaignWhatIf` over the last 30 days of the first store, as the owner, one definition at a time:
 * a first run to warm the caches, then `runs` measured ones. The campaigns plugin is installed by
 * default (plugins/config.ts).
 */
export const campaignWhatIf: Scenario = {
  name: 'campaign-whatif',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    if (!existsSync(join(ctx.root, 'plugins/campaigns/whatif.ts')))
      return notAvailable('campaign-whatif', TARGET, 'this build has no campaign what-if');
    const runs = ctx.options.ci ? 1 : 3;
    const server = await ctx.startServer();
    const measured: Record<string, { p50: number; max: number; sales: number; touched: number }> = {};
    try {
      const auth = `Bearer ${await ctx.ownerToken(server)}`;
      const stores = await graphql<{ stores: { id: string }[] }>(server, `{ stores { id } }`, {}, auth);
      if (stores.errors?.length) throw new Error(`stores: ${stores.errors[0]!.message}`);
      const storeId = stores.data!.stores[0]!.id;
      const day = 86_400_000;
      const to = new Date(Math.floor(Date.now() / day) * day);
      const from = new Date(to.getTime() - 30 * day);
      for (const d of DEFINITIONS) {
        ctx.log(`API: campaignWhatIf ${d.label} × ${runs + 1}`);
        const latencies = new Latencies();
        let last: { sales: number; salesTouched: number } | null = null;
        for (let i = 0; i <= runs; i++) {
          const t0 = performance.now();
          const r = await graphql(server, WHATIF, { storeId, from, to, input: d.input }, auth);
          const ms = performance.now() - t0;
          if (r.errors?.length) throw new Error(`${d.label}: ${r.errors[0]!.message}`);
          const w = r.data.campaignWhatIf;
          if (w.__typename !== 'CampaignWhatIf') throw new Error(`${d.label}: ${w.errorCode} ${w.message}`);
          last = w;
          if (i > 0) latencies.record(ms);
        }
        const s = latencies.summary();
        measured[d.label] = {
          p50: round(s.p50, 0),
          max: round(s.max, 0),
          sales: last!.sales,
          touched: last!.salesTouched,
        };
      }
    } finally {
      await server.stop();
    }
    const slowest = Math.max(...Object.values(measured).map((m) => m.max));
    return {
      scenario: 'campaign-whatif',
      available: true,
      measured,
      baseline: null,
      target: TARGET,
      pass: slowest <= LIMIT_MS,
      summary: {
        measured: Object.entries(measured)
          .map(([label, m]) => `${label}: p50 ${m.p50} ms, max ${m.max} ms (${m.touched} of ${m.sales} sales)`)
          .join('; '),
        baseline: '—',
      },
    };
  },
};
