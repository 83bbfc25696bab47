import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { BENCH_POS_KEY } from '../dataset.ts';
import { loadSaleFixtures, type SaleFixtures } from '../fixtures.ts';
import { SaleMaker, failureOf, recordSaleBody, type PlannedSale } from '../requests.ts';
import {
  graphql,
  notAvailable,
  runLength,
  type BenchContext,
  type Scenario,
  type ScenarioResult,
} from '../scenario.ts';
import { round } from '../stats.ts';
import { runWorker, warmUpThenReport, workerConfig, type LoadLength, type RunLength } from '../workers/protocol.ts';
import type { HttpLoadResult } from '../workers/http-load.ts';

const TARGET = 'with five active campaigns ≥ 80 % of the plain recordSale rate (same run), no errors';
const OK_SALES = 'storecrm_graphql_operations_total{operation="BenchRecordSale",type="mutation",outcome="ok"}';

/** The categories the two line campaigns name: the two with the most SKUs in stock (different ones). */
interface CampaignPlan {
  /** 第二件半价 on this category (priority 30). */
  nthCategory: string;
  /** 95折 line by line on this category (priority 20). */
  linesCategory: string;
}

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

/** Half up to the fen, of a whole number of fen times a fraction num/den. */
const halfUp = (cents: number, num: number, den: number) => Math.floor((cents * num * 2 + den) / (den * 2));

/**
 * What the till charges once the campaigns applied, worked out as the campaigns plugin does it
 * (docs/plugins/campaigns.md): each line's due after the member discount; 第二件半价 on a line of two
 * (half of one unit's due, to the fen, half up); 95折 per line (5 % of its due, half up); the best
 * threshold met by what the lines still charge. Order amounts are prorated, which leaves the total
 * as is.
 */
export function campaignTotal(sale: PlannedSale, plan: CampaignPlan): number {
  let total = 0;
  for (const l of sale.lines) {
    let due = l.priceCents * l.quantity - l.discountCents;
    if (l.category === plan.nthCategory && l.quantity >= 2)
      due -= Math.min(due, halfUp(due, Math.floor(l.quantity / 2), l.quantity * 2));
    else if (l.category === plan.linesCategory) due -= Math.min(due, halfUp(due, 5, 100));
    total += due;
  }
  const off = total >= 50_000 ? 8_000 : total >= 20_000 ? 2_000 : 0;
  return total - off;
}

interface LoadConfig extends RunLength {
  url: string;
  connections: number;
  saleFixtures: SaleFixtures;
  memberOffset: number;
  /** With campaigns: how the payment is worked out. */
  plan: CampaignPlan | null;
}

/** In the worker: recordSale under load, each payment what the till would charge. */
async function load(config: LoadConfig) {
  const maker = new SaleMaker(config.saleFixtures, config.memberOffset);
  const body = () => {
    const sale = maker.make();
    if (config.plan) sale.totalCents = campaignTotal(sale, config.plan);
    return JSON.stringify(recordSaleBody(sale));
  };
  await warmUpThenReport(config, async (length: LoadLength) => {
    let ok = 0;
    let failed = 0;
    const samples: string[] = [];
    const result = await autocannon({
      url: `${config.url}/graphql`,
      connections: config.connections,
      ...('requests' in length ? { amount: length.requests } : { duration: length.seconds }),
      timeout: 30,
      requests: [
        {
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_POS_KEY}` },
          setupRequest: (req) => ({ ...req, body: body() }),
          onResponse: (status, text) => {
            const failure = status === 200 ? failureOf('recordSale', text) : `HTTP ${status}: ${text.slice(0, 200)}`;
            if (failure === null) ok += 1;
            else {
              failed += 1;
              if (samples.length < 5) samples.push(failure);
            }
          },
        },
      ],
    });
    const errors = failed + result.errors + result.timeouts;
    const lat = result.latency;
    return {
      requests: ok + errors,
      ok,
      errors,
      errorSamples: samples,
      seconds: result.duration,
      okPerSecond: ok / result.duration,
      latency: { mean: lat.mean, p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max },
    } satisfies HttpLoadResult;
  });
}

const CREATE = `mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename
  ... on Campaign { id } ... on UserError { errorCode message } } }`;
const END = `mutation($id: ID!) { endCampaign(id: $id) { __typename } }`;
const RESULTS = `query($id: ID!) { campaign(id: $id) { name results { redemptions discountGiven } } }`;

/**
 * recordSale through the API as in `record-sale` (a member, 3 lines, POS key), first with no
 * campaign running, then with five (definitions above), in the same run against the same server,
 * each run with its own slice of the members. The payments are worked out by the load worker as
 * the till's quote would have them, so every sale must be recorded.
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
    const length = runLength(ctx.options);
    const members = fixtures.members.length;
    const config = (memberOffset: number, withPlan: boolean): LoadConfig => ({
      url: '',
      connections: ctx.options.connections,
      saleFixtures: fixtures,
      memberOffset,
      plan: withPlan ? plan : null,
      ...length,
    });

    const server = await ctx.startServer();
    const ids: string[] = [];
    let plain: HttpLoadResult;
    let campaigns: HttpLoadResult;
    // The API process's CPU per sale recorded (warm-up included): what other work on the machine hardly moves.
    const cpuPerSale = async (during: () => Promise<HttpLoadResult>) => {
      const cpu = server.cpuSeconds();
      const sales = await server.metric(OK_SALES);
      const result = await during();
      await server.settle();
      const ms = ((server.cpuSeconds() - cpu) * 1000) / Math.max(1, (await server.metric(OK_SALES)) - sales);
      return { result, ms: round(ms, 1) };
    };
    let plainCpu = 0;
    let campaignsCpu = 0;
    const given: string[] = [];
    let auth = '';
    try {
      auth = `Bearer ${await ctx.ownerToken(server)}`;
      ctx.log(`API: recordSale × ${ctx.options.connections} connections, no campaign`);
      ({ result: plain, ms: plainCpu } = await cpuPerSale(() =>
        runWorker<HttpLoadResult>(WORKER, { ...config(0, false), url: server.url }),
      ));
      if (!plain.ok) throw new Error(`no sale was recorded: ${plain.errorSamples.join('; ')}`);

      for (const input of definitions(plan, notToday)) {
        const r = await graphql(server, CREATE, { input }, auth);
        const c = r.data?.createCampaign;
        if (c?.__typename !== 'Campaign') throw new Error(`createCampaign: ${JSON.stringify(r.errors ?? c)}`);
        ids.push(c.id);
      }
      ctx.log(`API: recordSale × ${ctx.options.connections} connections, five campaigns active`);
      ({ result: campaigns, ms: campaignsCpu } = await cpuPerSale(() =>
        runWorker<HttpLoadResult>(WORKER, { ...config(Math.floor(members / 2), true), url: server.url }),
      ));
      if (!campaigns.ok) throw new Error(`no sale was recorded with campaigns: ${campaigns.errorSamples.join('; ')}`);
      for (const id of ids) {
        const r = await graphql(server, RESULTS, { id }, auth);
        const c = r.data?.campaign;
        if (c) given.push(`${c.name}: ${c.results.redemptions} (¥${c.results.discountGiven})`);
      }
    } finally {
      // The campaigns end with the scenario, so the scenarios after it price sales as before.
      for (const id of ids) await graphql(server, END, { id }, auth).catch(() => undefined);
      await server.stop();
    }

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

/** This file is also its own load worker (run by runWorker, relative to tests/bench/workers/). */
const WORKER = '../scenarios/record-sale-campaigns.ts';
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  await load(workerConfig<LoadConfig>());
}
