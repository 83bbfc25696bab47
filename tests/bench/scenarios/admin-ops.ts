import { loadBuyers } from '../fixtures.ts';
import {
  CREATE_CUSTOMER,
  CUSTOMER_LIST,
  CUSTOMER_READ,
  failureOf,
  newCustomerInput,
  newPhoneStart,
  phonesUsed,
  type LoadKind,
} from '../requests.ts';
import { graphql, runLength, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import type { ApiServer } from '../server.ts';
import { median, round } from '../stats.ts';
import { runWorker } from '../workers/protocol.ts';
import type { HttpLoadConfig, HttpLoadResult } from '../workers/http-load.ts';

/**
 * The floor and the plain operations every integrator calls, each judged as a share of the floor's
 * rate: `{ __typename }` (no resolver, no database, no token), `createCustomer`, `customer(id:)`
 * with its last 20 sales and `customers(first: 20)` with `totalCount`, as the owner. Each
 * operation's scenario measures the floor on its own server right before the operation.
 */

const P99_MS = 100;

interface Figures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorSamples: string[];
  /** CPU time of the API process per answered request (warm-up included). */
  apiCpuMs: number;
  /** Successful requests and seconds measured, and the API's CPU milliseconds, to combine runs. */
  ok: number;
  seconds: number;
  cpuMs: number;
  answered: number;
}

/**
 * Two runs of one kind as one: the rate over both, the worse p50 and p99 (a run's percentiles
 * cannot be merged exactly), CPU per request over both.
 */
function combine(a: Figures, b: Figures): Figures {
  const ok = a.ok + b.ok;
  const seconds = a.seconds + b.seconds;
  const cpuMs = a.cpuMs + b.cpuMs;
  const answered = a.answered + b.answered;
  return {
    perSecond: round(ok / seconds, 1),
    p50Ms: Math.max(a.p50Ms, b.p50Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    errors: a.errors + b.errors,
    errorSamples: [...a.errorSamples, ...b.errorSamples].slice(0, 5),
    apiCpuMs: round(cpuMs / Math.max(1, answered), 2),
    ok,
    seconds,
    cpuMs,
    answered,
  };
}

async function measure(
  ctx: BenchContext,
  server: ApiServer,
  kind: LoadKind,
  operation: string,
  type: 'query' | 'mutation',
  extra: Partial<HttpLoadConfig> = {},
  authorization = '',
  share = 1,
): Promise<Figures> {
  const ok = `storecrm_graphql_operations_total{operation="${operation}",type="${type}",outcome="ok"}`;
  ctx.log(`API: ${operation} × ${ctx.options.connections} connections`);
  const cpu = server.cpuSeconds();
  const before = await server.metric(ok);
  const r = await runWorker<HttpLoadResult>('./http-load.ts', {
    url: server.url,
    kind,
    authorization,
    connections: ctx.options.connections,
    ...runLength(ctx.options, share),
    ...(kind === 'createCustomer' ? { phoneStart: newPhoneStart() } : {}),
    ...extra,
  } satisfies HttpLoadConfig);
  phonesUsed(r.phonesUsed ?? 0);
  if (!r.ok) throw new Error(`no ${operation} answered: ${r.errorSamples.join('; ')}`);
  await server.settle();
  const answered = Math.max(1, (await server.metric(ok)) - before);
  const cpuMs = (server.cpuSeconds() - cpu) * 1000;
  return {
    perSecond: round(r.okPerSecond, 1),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors,
    errorSamples: r.errorSamples,
    apiCpuMs: round(cpuMs / answered, 2),
    ok: r.ok,
    seconds: r.seconds,
    cpuMs,
    answered,
  };
}

const floorLine = (f: Figures) =>
  `${f.perSecond}/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.errors} errors; ${f.apiCpuMs} ms of API CPU per request`;

const measureFloor = (ctx: BenchContext, server: ApiServer, share = 1) =>
  measure(ctx, server, 'floor', 'BenchFloor', 'query', {}, '', share);

export const floor: Scenario = {
  name: 'floor',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const server = await ctx.startServer();
    let figures: Figures;
    try {
      figures = await measureFloor(ctx, server);
    } finally {
      await server.stop();
    }
    return {
      scenario: 'floor',
      available: true,
      measured: { connections: ctx.options.connections, ...figures },
      baseline: null,
      target: 'none: the rate the admin operations are judged against',
      pass: figures.errors === 0,
      summary: { measured: `\`{ __typename }\` without a token: ${floorLine(figures)}`, baseline: '—' },
    };
  },
};

interface AdminOp {
  name: string;
  kind: LoadKind;
  operation: string;
  type: 'query' | 'mutation';
  /** Share of the floor's rate to reach. */
  share: number;
  what: string;
  /** One request, for the statements it costs. */
  sample(ids: string[]): { query: string; variables: Record<string, unknown> };
}

function adminOpScenario(op: AdminOp): Scenario {
  const target = `≥ ${op.share * 100} % of the floor's rate, p99 ≤ ${P99_MS} ms, no errors`;
  return {
    name: op.name,
    async run(ctx: BenchContext): Promise<ScenarioResult> {
      const ids = op.kind === 'customerRead' ? (await loadBuyers(ctx.databaseUrl, 5_000)).map((b) => b.globalId) : [];
      const server = await ctx.startServer();
      let figures: Figures;
      let floorFigures: Figures;
      let statements: number;
      try {
        const auth = `Bearer ${await ctx.ownerToken(server)}`;
        // The floor on the same server, in the order floor, operation, operation, floor (each half
        // the run length): on a shared machine the load changes from one minute to the next, and
        // a ratio of two rates taken minutes apart, or one after the other, would measure that.
        const opRun = () => measure(ctx, server, op.kind, op.operation, op.type, { customerIds: ids }, auth, 0.5);
        const floorFirst = await measureFloor(ctx, server, 0.5);
        const opFirst = await opRun();
        figures = combine(opFirst, await opRun());
        floorFigures = combine(floorFirst, await measureFloor(ctx, server, 0.5));
        // One request at a time: the rise of the server's statement counter (median of five).
        const samples: number[] = [];
        for (let i = 0; i < 5; i++) {
          const before = await server.metric('storecrm_db_statements_total');
          const { query, variables } = op.sample(ids);
          const failure = failureOf(op.kind, JSON.stringify(await graphql(server, query, variables, auth)));
          if (failure) throw new Error(`${op.operation} failed: ${failure}`);
          samples.push((await server.metric('storecrm_db_statements_total')) - before);
        }
        statements = median(samples);
      } finally {
        await server.stop();
      }
      const ratio = figures.perSecond / floorFigures.perSecond;
      return {
        scenario: op.name,
        available: true,
        measured: {
          connections: ctx.options.connections,
          ...figures,
          shareOfFloor: round(ratio, 3),
          sqlStatements: statements,
          floor: { perSecond: floorFigures.perSecond, p99Ms: floorFigures.p99Ms, apiCpuMs: floorFigures.apiCpuMs },
          cpuShareOfFloor: round(floorFigures.apiCpuMs / figures.apiCpuMs, 3),
        },
        baseline: { floorPerSecond: floorFigures.perSecond },
        target,
        pass: ratio >= op.share && figures.p99Ms <= P99_MS && figures.errors === 0,
        summary: {
          measured:
            `${op.what}: ${figures.perSecond}/s (${Math.round(ratio * 100)} % of the floor), p50 ${figures.p50Ms} ` +
            `ms, p99 ${figures.p99Ms} ms, ${figures.errors} errors; ${statements} SQL statements and ` +
            `${figures.apiCpuMs} ms of API CPU per request`,
          baseline:
            `floor on the same server, before and after: ${floorFigures.perSecond}/s, ${floorFigures.apiCpuMs} ms ` +
            'of API CPU per request',
        },
      };
    },
  };
}

const pickOne = (ids: string[]) => ids[Math.floor(Math.random() * ids.length)]!;

export const createCustomerOp = adminOpScenario({
  name: 'create-customer',
  kind: 'createCustomer',
  operation: 'BenchCreateCustomer',
  type: 'mutation',
  share: 0.15,
  what: '`createCustomer`',
  sample: () => {
    const input = newCustomerInput(newPhoneStart());
    phonesUsed(1);
    return { query: CREATE_CUSTOMER, variables: { input } };
  },
});

export const customerReadOp = adminOpScenario({
  name: 'customer-read',
  kind: 'customerRead',
  operation: 'BenchCustomerRead',
  type: 'query',
  share: 0.4,
  what: '`customer(id:)` with its last 20 sales',
  sample: (ids) => ({ query: CUSTOMER_READ, variables: { id: pickOne(ids) } }),
});

export const customerListOp = adminOpScenario({
  name: 'customer-list',
  kind: 'customerList',
  operation: 'BenchCustomerList',
  type: 'query',
  share: 0.35,
  what: '`customers(first: 20)` with `totalCount`',
  sample: () => ({ query: CUSTOMER_LIST, variables: {} }),
});
