import { BENCH_POS_KEY } from '../dataset.ts';
import { loadSaleFixtures } from '../fixtures.ts';
import { SaleMaker, failureOf, recordSaleBody } from '../requests.ts';
import { graphql, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { round } from '../stats.ts';
import { runWorker } from '../workers/protocol.ts';
import type { HttpLoadConfig, HttpLoadResult } from '../workers/http-load.ts';
import type { SqlSalesConfig } from '../workers/sql-sales.ts';

type SqlSalesResult = HttpLoadResult & { retries: number };

const TARGET = 'API ≥ 40 % of the baseline rate, p99 ≤ 100 ms, no errors';

/**
 * recordSale through the API (a member, 3 lines, default plugins, POS key) at the configured
 * concurrency, against the same rows written by hand-written SQL at the same concurrency; then,
 * on a server counting statements, the SQL statements one sale costs.
 */
export const recordSale: Scenario = {
  name: 'record-sale',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { options } = ctx;
    const fixtures = await loadSaleFixtures(ctx.databaseUrl);
    const members = fixtures.members.length;
    const load = { connections: options.connections, warmupSeconds: options.timing.warmup, durationSeconds: options.timing.duration };

    const server = await ctx.startServer();
    let api: HttpLoadResult;
    try {
      ctx.log(`API: recordSale × ${options.connections} connections for ${load.durationSeconds} s`);
      api = await runWorker<HttpLoadResult>('./http-load.ts', {
        url: server.url,
        kind: 'recordSale',
        authorization: `Bearer ${BENCH_POS_KEY}`,
        saleFixtures: fixtures,
        memberOffset: 0,
        ...load,
      } satisfies HttpLoadConfig);
    } finally {
      await server.stop();
    }
    if (!api.ok) throw new Error(`no sale was recorded through the API: ${api.errorSamples.join('; ')}`);

    ctx.log(`baseline: the same rows by hand-written SQL × ${options.connections} connections`);
    const baseline = await runWorker<SqlSalesResult>('./sql-sales.ts', {
      databaseUrl: ctx.databaseUrl,
      saleFixtures: fixtures,
      memberOffset: Math.floor(members / 2),
      // As plugins/config.ts installs them.
      excludedCategories: ['礼品'],
      expiryMonths: 12,
      windowMonths: 12,
      reviewMonths: 12,
      ...load,
    } satisfies SqlSalesConfig);
    if (!baseline.ok) throw new Error(`the SQL baseline recorded no sale: ${baseline.errorSamples.join('; ')}`);

    // Statements per sale, one sale at a time on a server that counts them.
    const counting = await ctx.startServer({ statementMetrics: true });
    let statementsPerSale: number;
    try {
      const maker = new SaleMaker(fixtures, Math.floor((members * 3) / 4));
      const auth = `Bearer ${BENCH_POS_KEY}`;
      const send = async () => {
        const body = recordSaleBody(maker.make());
        const r = await graphql(counting, body.query, body.variables, auth);
        const failure = failureOf('recordSale', JSON.stringify(r));
        if (failure) throw new Error(`recordSale failed: ${failure}`);
      };
      await send(); // warms the process; not counted
      const n = options.ci ? 5 : 20;
      const before = await counting.metric('storecrm_db_statements_total');
      for (let i = 0; i < n; i++) await send();
      statementsPerSale = round((await counting.metric('storecrm_db_statements_total') - before) / n, 1);
    } finally {
      await counting.stop();
    }

    const ratio = api.okPerSecond / baseline.okPerSecond;
    const measured = {
      salesPerSecond: round(api.okPerSecond, 1),
      p50Ms: api.latency.p50,
      p99Ms: api.latency.p99,
      errors: api.errors,
      requests: api.requests,
      errorSamples: api.errorSamples,
      shareOfBaseline: round(ratio, 3),
      sqlStatementsPerSale: statementsPerSale,
    };
    return {
      scenario: 'record-sale',
      available: true,
      measured,
      baseline: {
        salesPerSecond: round(baseline.okPerSecond, 1),
        p50Ms: baseline.latency.p50,
        p99Ms: baseline.latency.p99,
        errors: baseline.errors,
        deadlockRetries: baseline.retries,
        sqlStatementsPerSale: 4,
      },
      target: TARGET,
      pass: ratio >= 0.4 && api.latency.p99 <= 100 && api.errors === 0,
      summary: {
        measured: `${measured.salesPerSecond} sales/s (${Math.round(ratio * 100)} % of baseline), p50 ${api.latency.p50} ms, p99 ${api.latency.p99} ms, ${api.errors} errors / ${api.requests}; ${statementsPerSale} SQL statements per sale`,
        baseline: `${round(baseline.okPerSecond, 1)} sales/s, p50 ${baseline.latency.p50} ms, p99 ${baseline.latency.p99} ms, ${baseline.errors} errors; 4 round trips per sale`,
      },
    };
  },
};
