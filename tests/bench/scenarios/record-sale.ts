import { BENCH_POS_KEY } from '../dataset.ts';
import { loadSaleFixtures } from '../fixtures.ts';
import { SaleMaker, failureOf, recordSaleBody } from '../requests.ts';
import { graphql, runLength, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { round } from '../stats.ts';
import { runWorker } from '../workers/protocol.ts';
import type { HttpLoadConfig, HttpLoadResult } from '../workers/http-load.ts';
import type { SqlSalesConfig } from '../workers/sql-sales.ts';

type SqlSalesResult = HttpLoadResult & { retries: number };

const OK_SALES = 'storecrm_graphql_operations_total{operation="BenchRecordSale",type="mutation",outcome="ok"}';
// Performance round 2's targets: the rate and latency, and the memory of a production API process.
const TARGET = 'API ≥ 60 % of the baseline rate, p99 ≤ 100 ms, no errors; API RSS ≤ 150 MiB idle, ≤ 250 MiB under load';

/**
 * recordSale through the API (a member, 3 lines, default plugins, POS key) at the configured
 * concurrency, against the same rows written by hand-written SQL at the same concurrency; then,
 * one sale at a time, the SQL statements a sale costs.
 */
export const recordSale: Scenario = {
  name: 'record-sale',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { options } = ctx;
    const fixtures = await loadSaleFixtures(ctx.databaseUrl);
    const members = fixtures.members.length;
    const length = runLength(options);

    const server = await ctx.startServer();
    let api: HttpLoadResult;
    let statementsPerSale: number;
    let cpuMsPerSale: number;
    // Resident memory of the API before its first request, and the most it held under the load.
    const rssIdleMB = Math.round(server.rss() / 2 ** 20);
    let rssPeakMB: number;
    try {
      ctx.log(`API: recordSale × ${options.connections} connections`);
      const cpu = server.cpuSeconds();
      const rss = server.watchRss();
      const sales = await server.metric(OK_SALES);
      api = await runWorker<HttpLoadResult>('./http-load.ts', {
        url: server.url,
        kind: 'recordSale',
        authorization: `Bearer ${BENCH_POS_KEY}`,
        connections: options.connections,
        saleFixtures: fixtures,
        memberOffset: 0,
        ...length,
      } satisfies HttpLoadConfig);
      rssPeakMB = Math.round(rss.stop() / 2 ** 20);
      if (!api.ok) throw new Error(`no sale was recorded through the API: ${api.errorSamples.join('; ')}`);
      await server.settle(); // requests in flight when the load stopped
      // The API process's own CPU per sale (warm-up included): a figure other work on the machine hardly moves.
      cpuMsPerSale = round(
        ((server.cpuSeconds() - cpu) * 1000) / Math.max(1, (await server.metric(OK_SALES)) - sales),
        1,
      );

      // Statements per sale: one sale at a time, the rise of the server's statement counter.
      // Each run takes its own slice of the shuffled members, so no sale finds a member whose tier
      // (and so discount) an earlier sale of this scenario changed.
      const n = 10;
      // just before the baseline's slice
      const maker = new SaleMaker(fixtures, Math.max(0, Math.floor(members / 2) - n));
      const send = async () => {
        const body = recordSaleBody(maker.make());
        const failure = failureOf(
          'recordSale',
          JSON.stringify(await graphql(server, body.query, body.variables, `Bearer ${BENCH_POS_KEY}`)),
        );
        if (failure) throw new Error(`recordSale failed: ${failure}`);
      };
      const before = await server.metric('storecrm_db_statements_total');
      for (let i = 0; i < n; i++) await send();
      statementsPerSale = round(((await server.metric('storecrm_db_statements_total')) - before) / n, 1);
    } finally {
      await server.stop();
    }

    ctx.log(`baseline: the same rows by hand-written SQL × ${options.connections} connections`);
    const baseline = await runWorker<SqlSalesResult>('./sql-sales.ts', {
      databaseUrl: ctx.databaseUrl,
      connections: options.connections,
      saleFixtures: fixtures,
      memberOffset: Math.floor(members / 2),
      // As plugins/config.ts installs them.
      excludedCategories: ['礼品'],
      expiryMonths: 12,
      windowMonths: 12,
      reviewMonths: 12,
      ...length,
    } satisfies SqlSalesConfig);
    if (!baseline.ok) throw new Error(`the SQL baseline recorded no sale: ${baseline.errorSamples.join('; ')}`);

    const ratio = api.okPerSecond / baseline.okPerSecond;
    return {
      scenario: 'record-sale',
      available: true,
      measured: {
        salesPerSecond: round(api.okPerSecond, 1),
        p50Ms: api.latency.p50,
        p99Ms: api.latency.p99,
        errors: api.errors,
        requests: api.requests,
        errorSamples: api.errorSamples,
        shareOfBaseline: round(ratio, 3),
        sqlStatementsPerSale: statementsPerSale,
        apiCpuMsPerSale: cpuMsPerSale,
        apiRssIdleMB: rssIdleMB,
        apiRssPeakMB: rssPeakMB,
      },
      baseline: {
        salesPerSecond: round(baseline.okPerSecond, 1),
        p50Ms: baseline.latency.p50,
        p99Ms: baseline.latency.p99,
        errors: baseline.errors,
        errorSamples: baseline.errorSamples,
        deadlockRetries: baseline.retries,
        sqlStatementsPerSale: 4,
      },
      target: TARGET,
      pass: ratio >= 0.6 && api.latency.p99 <= 100 && api.errors === 0 && rssIdleMB <= 150 && rssPeakMB <= 250,
      summary: {
        measured:
          `${round(api.okPerSecond, 1)} sales/s (${Math.round(ratio * 100)} % of baseline), p50 ` +
          `${api.latency.p50} ms, p99 ${api.latency.p99} ms, ${api.errors} errors in ${api.requests}; ` +
          `${statementsPerSale} SQL statements and ${cpuMsPerSale} ms of API CPU per sale; ` +
          `API RSS ${rssIdleMB} MiB idle, ${rssPeakMB} MiB at most under load`,
        baseline:
          `${round(baseline.okPerSecond, 1)} sales/s, p50 ${baseline.latency.p50} ms, p99 ${baseline.latency.p99} ` +
          `ms, ${baseline.errors} errors; 4 statements per sale`,
      },
    };
  },
};
