import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_POS_KEY } from '../dataset.ts';
import { loadSaleFixtures } from '../fixtures.ts';
import type { CampaignPlan } from '../requests.ts';
import {
  graphql,
  notAvailable,
  runLength,
  type BenchContext,
  type Scenario,
  type ScenarioResult,
} from '../scenario.ts';
import { round } from '../stats.ts';
import { runWorker } from '../workers/protocol.ts';
import type { HttpLoadConfig, HttpLoadResult } from '../workers/http-load.ts';

const TARGET = 'with five active campaigns ≥ 80 % of the plain recordSale rate (same run), no errors';
const OK_SALES = 'storecrm_graphql_operations_total{operation="BenchRecordSale",type="mutation",outcome="ok"}';

/**
 * Five active campaigns of different kinds, tried on every sale in this order (priority), as a chain
 * would run them: 第二件半价 on one category, 95折 on the lines of another, 满200减20 / 满500减80 on the
 * whole basket with a money budget (so it locks its row when it applies), a members' 9折 on weekdays
 * other than today's (tried, never given), and 满100赠20积分 through the points plugin.
 */
function definitions(plan: CampaignPlan, notToday: number[]): Record<string, unknown>[] {
  return [
    {
      name: `${plan.nthCategory}第二件半价`,
      priority: 30,
      conditions: { categories: [plan.nthCategory] },
      action: { type: 'NTH_UNIT_PERCENT_OFF', nth: 2, percentOff: '50' },
    },
    {
      name: `${plan.linesCategory}95折`,
      priority: 20,
      conditions: { categories: [plan.linesCategory] },
      action: { type: 'PERCENT_OFF_LINES', percentOff: '5' },
    },
    {
      name: '全场满200减20，满500减80',
      priority: 10,
      action: {
        type: 'AMOUNT_OFF',
        thresholds: [
          { spend: '200', off: '20' },
          { spend: '500', off: '80' },
        ],
      },
      budgetAmount: '10000000',
    },
    {
      name: '会员日9折（不在今天）',
      priority: 5,
      conditions: { weekdays: notToday },
      action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' },
    },
    {
      name: '满100赠20积分',
      priority: 0,
      conditions: { minSpend: '100' },
      action: { type: 'BONUS_POINTS', points: 20 },
    },
  ];
}

const CREATE = `mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename
  ... on Campaign { id } ... on UserError { errorCode message } } }`;
const END = `mutation($id: ID!) { endCampaign(id: $id) { __typename } }`;
const PAUSE = `mutation($id: ID!) { pauseCampaign(id: $id) { __typename } }`;

interface Half {
  result: HttpLoadResult;
  cpuMs: number;
  recorded: number;
}

/** Two half runs as one: their sales over their seconds; each latency percentile the worse half's. */
function combine(halves: Half[]): HttpLoadResult {
  const results = halves.map((h) => h.result);
  const sum = (f: (r: HttpLoadResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const worst = (k: keyof HttpLoadResult['latency']) => Math.max(...results.map((r) => r.latency[k]));
  return {
    requests: sum((r) => r.requests),
    ok: sum((r) => r.ok),
    errors: sum((r) => r.errors),
    errorSamples: results.flatMap((r) => r.errorSamples).slice(0, 5),
    seconds: sum((r) => r.seconds),
    okPerSecond: sum((r) => r.ok) / sum((r) => r.seconds),
    latency: { mean: worst('mean'), p50: worst('p50'), p90: worst('p90'), p99: worst('p99'), max: worst('max') },
  };
}

const cpuPerSale = (halves: Half[]) =>
  round(
    halves.reduce((a, h) => a + h.cpuMs, 0) /
      Math.max(
        1,
        halves.reduce((a, h) => a + h.recorded, 0),
      ),
    1,
  );
const RESULTS = `query($id: ID!) { campaign(id: $id) { name results { redemptions discountGiven } } }`;

/**
 * recordSale through the API as in `record-sale` (a member, 3 lines, POS key), with no campaign
 * running and with five (definitions above), in the same run against the same server, in the
 * order plain, campaigns, campaigns, plain (the campaigns paused), each half a run, all by the
 * shared load worker (workers/http-load.ts). Each run reads the members' tiers as they
 * are when it starts, and again before it sells to a member twice; the worker works each payment
 * out as the till's quote would have it (requests.ts, campaignTotal), so every sale must be recorded.
 */
export const recordSaleCampaigns: Scenario = {
  name: 'record-sale-campaigns',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    if (!existsSync(join(ctx.root, 'plugins/campaigns/engine.ts')))
      return notAvailable('record-sale-campaigns', TARGET, 'this build has no campaigns plugin');
    const fixtures = await loadSaleFixtures(ctx.databaseUrl);
    const counts = new Map<string, number>();
    for (const s of fixtures.stores) for (const k of s.skus) counts.set(k.category, (counts.get(k.category) ?? 0) + 1);
    const [first, second] = [...counts].sort((a, b) => b[1] - a[1]).map(([c]) => c);
    if (!first || !second) throw new Error('the data set needs SKUs of two categories in stock');
    const plan: CampaignPlan = { nthCategory: first, linesCategory: second };
    // Today's ISO weekday in every store's time zone: the members' day campaign holds on none of them.
    const today = new Set(
      fixtures.stores.map(
        (s) =>
          ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(
            new Intl.DateTimeFormat('en-US', { timeZone: s.timezone, weekday: 'short' }).format(new Date()),
          ) + 1,
      ),
    );
    const notToday = [1, 2, 3, 4, 5, 6, 7].filter((d) => !today.has(d));
    const length = runLength(ctx.options, 0.5);
    // The shared load worker, as record-sale runs it; with campaigns, each payment what the till's quote would be.
    // Each run reads the members and their tiers just before it starts (the plain run upgraded some of those it
    // sold to), starts at the beginning of its own shuffled list, and reads their tiers again before it sells to
    // them a second time (a small data set): every payment is what the till would charge.
    const config = async (url: string, withPlan: boolean): Promise<HttpLoadConfig> => ({
      url,
      kind: 'recordSale',
      authorization: `Bearer ${BENCH_POS_KEY}`,
      connections: ctx.options.connections,
      saleFixtures: { ...fixtures, members: (await loadSaleFixtures(ctx.databaseUrl)).members },
      memberOffset: 0,
      tiersFrom: ctx.databaseUrl,
      ...(withPlan ? { campaignPlan: plan } : {}),
      ...length,
    });

    const server = await ctx.startServer();
    const ids: string[] = [];
    // The API process's CPU per sale recorded (warm-up included): what other work on the machine hardly moves.
    const measure = async (withPlan: boolean): Promise<Half> => {
      const load = await config(server.url, withPlan);
      const cpu = server.cpuSeconds();
      const sales = await server.metric(OK_SALES);
      const result = await runWorker<HttpLoadResult>('./http-load.ts', load);
      await server.settle();
      const recorded = (await server.metric(OK_SALES)) - sales;
      if (!result.ok) throw new Error(`no sale was recorded: ${result.errorSamples.join('; ')}`);
      return { result, cpuMs: (server.cpuSeconds() - cpu) * 1000, recorded };
    };
    const halves: { plain: Half[]; campaigns: Half[] } = { plain: [], campaigns: [] };
    const given: string[] = [];
    let auth = '';
    try {
      auth = `Bearer ${await ctx.ownerToken(server)}`;
      // Plain, campaigns, campaigns, plain, each half a run, on the same server: the machine's load
      // drifts from one minute to the next and the process warms up during the first run, and this
      // order puts both in each side's figures alike.
      ctx.log(`API: recordSale × ${ctx.options.connections} connections, no campaign (first half)`);
      halves.plain.push(await measure(false));
      for (const input of definitions(plan, notToday)) {
        const r = await graphql(server, CREATE, { input }, auth);
        const c = r.data?.createCampaign;
        if (c?.__typename !== 'Campaign') throw new Error(`createCampaign: ${JSON.stringify(r.errors ?? c)}`);
        ids.push(c.id);
      }
      ctx.log(`API: recordSale × ${ctx.options.connections} connections, five campaigns active (two halves)`);
      halves.campaigns.push(await measure(true));
      halves.campaigns.push(await measure(true));
      for (const id of ids) {
        const r = await graphql(server, RESULTS, { id }, auth);
        const c = r.data?.campaign;
        if (c) given.push(`${c.name}: ${c.results.redemptions} (¥${c.results.discountGiven})`);
      }
      for (const id of ids) {
        const r = await graphql(server, PAUSE, { id }, auth);
        if (r.data?.pauseCampaign?.__typename !== 'Campaign') throw new Error(`pauseCampaign: ${JSON.stringify(r)}`);
      }
      ctx.log(`API: recordSale × ${ctx.options.connections} connections, campaigns paused (second half)`);
      halves.plain.push(await measure(false));
    } finally {
      // The campaigns end with the scenario, so the scenarios after it price sales as before.
      for (const id of ids) await graphql(server, END, { id }, auth).catch(() => undefined);
      await server.stop();
    }
    const plain = combine(halves.plain);
    const campaigns = combine(halves.campaigns);
    const plainCpu = cpuPerSale(halves.plain);
    const campaignsCpu = cpuPerSale(halves.campaigns);

    const ratio = campaigns.okPerSecond / plain.okPerSecond;
    const errors = plain.errors + campaigns.errors;
    return {
      scenario: 'record-sale-campaigns',
      available: true,
      measured: {
        salesPerSecond: round(campaigns.okPerSecond, 1),
        p50Ms: campaigns.latency.p50,
        p99Ms: campaigns.latency.p99,
        errors: campaigns.errors,
        requests: campaigns.requests,
        errorSamples: campaigns.errorSamples,
        shareOfPlain: round(ratio, 3),
        apiCpuMsPerSale: campaignsCpu,
        redemptions: given,
      },
      baseline: {
        salesPerSecond: round(plain.okPerSecond, 1),
        p50Ms: plain.latency.p50,
        p99Ms: plain.latency.p99,
        errors: plain.errors,
        errorSamples: plain.errorSamples,
        apiCpuMsPerSale: plainCpu,
      },
      target: TARGET,
      pass: ratio >= 0.8 && errors === 0,
      summary: {
        measured:
          `${round(campaigns.okPerSecond, 1)} sales/s with five campaigns (${Math.round(ratio * 100)} % of plain), ` +
          `p50 ${campaigns.latency.p50} ms, p99 ${campaigns.latency.p99} ms, ${campaigns.errors} errors in ` +
          `${campaigns.requests}; ${campaignsCpu} ms of API CPU per sale; applied: ${given.join(', ')}`,
        baseline:
          `plain recordSale ${round(plain.okPerSecond, 1)} sales/s, p50 ${plain.latency.p50} ms, ` +
          `p99 ${plain.latency.p99} ms, ${plain.errors} errors; ${plainCpu} ms of API CPU per sale`,
      },
    };
  },
};
