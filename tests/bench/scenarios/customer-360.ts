import { globalId, loadBuyers, withClient } from '../fixtures.ts';
import { CUSTOMER_360, failureOf } from '../requests.ts';
import { graphql, runLength, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { median, round } from '../stats.ts';
import { runWorker } from '../workers/protocol.ts';
import type { HttpLoadConfig, HttpLoadResult } from '../workers/http-load.ts';
import type { Sql360Config } from '../workers/sql-360.ts';

const OK_VIEWS = 'storecrm_graphql_operations_total{operation="BenchCustomer360",type="query",outcome="ok"}';
const TARGET = '≥ 50 % of the baseline rate; SQL statements per view the same for few and many sales';

/**
 * The customer 360° view (profile, member card, points, tier, last 20 sales with lines and
 * payments) for random buyers, through the API with an owner's token and by hand-written SQL;
 * then the statements one view costs, for a member with the fewest sales and one with the most.
 */
export const customer360: Scenario = {
  name: 'customer-360',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { options } = ctx;
    const buyers = await loadBuyers(ctx.databaseUrl, 5_000);
    const load = { connections: options.connections, ...runLength(options) };
    // Members with the fewest and the most sales: the statement count must not depend on it.
    const [few, many] = await withClient(ctx.databaseUrl, async (c) => {
      const pick = (order: 'ASC' | 'DESC') =>
        c.query<{ id: string; visitCount: number }>(
          `SELECT c.id, c."visitCount" FROM "Customer" c JOIN "Member" m ON m."customerId" = c.id
           WHERE c."visitCount" > 0 AND c."mergedIntoId" IS NULL ORDER BY c."visitCount" ${order} LIMIT 1`,
        );
      return [(await pick('ASC')).rows[0]!, (await pick('DESC')).rows[0]!];
    });

    const server = await ctx.startServer();
    let api: HttpLoadResult;
    let statements: { few: number; many: number };
    let cpuMsPerView: number;
    try {
      const auth = `Bearer ${await ctx.ownerToken(server)}`;
      ctx.log(`API: 360° view × ${options.connections} connections`);
      const cpu = server.cpuSeconds();
      const views = await server.metric(OK_VIEWS);
      api = await runWorker<HttpLoadResult>('./http-load.ts', {
        url: server.url,
        kind: 'customer360',
        authorization: auth,
        customerIds: buyers.map((b) => b.globalId),
        ...load,
      } satisfies HttpLoadConfig);
      if (!api.ok) throw new Error(`no 360° view answered: ${api.errorSamples.join('; ')}`);
      await server.settle(); // requests in flight when the load stopped
      // The API process's own CPU per view (warm-up included): a figure other work on the machine hardly moves.
      cpuMsPerView = round(
        ((server.cpuSeconds() - cpu) * 1000) / Math.max(1, (await server.metric(OK_VIEWS)) - views),
        1,
      );

      // One view at a time: the rise of the server's statement counter (median of five).
      const count = async (id: string) => {
        const samples: number[] = [];
        for (let i = 0; i < 5; i++) {
          const before = await server.metric('storecrm_db_statements_total');
          const failure = failureOf(
            'customer360',
            JSON.stringify(await graphql(server, CUSTOMER_360, { id: globalId('Customer', id) }, auth)),
          );
          if (failure) throw new Error(`360° view failed: ${failure}`);
          samples.push((await server.metric('storecrm_db_statements_total')) - before);
        }
        return median(samples);
      };
      statements = { few: await count(few.id), many: await count(many.id) };
    } finally {
      await server.stop();
    }

    ctx.log('baseline: the same data by hand-written SQL');
    const baseline = await runWorker<HttpLoadResult>('./sql-360.ts', {
      databaseUrl: ctx.databaseUrl,
      customerIds: buyers.map((b) => b.id),
      ...load,
    } satisfies Sql360Config);
    if (!baseline.ok) throw new Error(`the SQL baseline read nothing: ${baseline.errorSamples.join('; ')}`);

    const ratio = api.okPerSecond / baseline.okPerSecond;
    const constant = statements.few === statements.many;
    return {
      scenario: 'customer-360',
      available: true,
      measured: {
        viewsPerSecond: round(api.okPerSecond, 1),
        p50Ms: api.latency.p50,
        p99Ms: api.latency.p99,
        errors: api.errors,
        errorSamples: api.errorSamples,
        shareOfBaseline: round(ratio, 3),
        sqlStatementsPerView: statements.few,
        sqlStatementsPerViewManySales: statements.many,
        salesFew: few.visitCount,
        salesMany: many.visitCount,
        apiCpuMsPerView: cpuMsPerView,
      },
      baseline: {
        viewsPerSecond: round(baseline.okPerSecond, 1),
        p50Ms: baseline.latency.p50,
        p99Ms: baseline.latency.p99,
        sqlStatementsPerView: 2,
      },
      target: TARGET,
      pass: ratio >= 0.5 && constant && api.errors === 0,
      summary: {
        measured:
          `${round(api.okPerSecond, 1)} views/s (${Math.round(ratio * 100)} % of baseline), p50 ` +
          `${api.latency.p50} ms, p99 ${api.latency.p99} ms, ${api.errors} errors; ${statements.few} SQL ` +
          `statements (${few.visitCount} sale${few.visitCount === 1 ? '' : 's'}) vs ${statements.many} ` +
          `(${many.visitCount} sales); ${cpuMsPerView} ms of API CPU per view`,
        baseline:
          `${round(baseline.okPerSecond, 1)} views/s, p50 ${baseline.latency.p50} ms, p99 ${baseline.latency.p99} ` +
          'ms; 2 statements',
      },
    };
  },
};
