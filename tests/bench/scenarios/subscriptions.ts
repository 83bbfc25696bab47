import { BENCH_POS_KEY } from '../dataset.ts';
import { loadSaleFixtures } from '../fixtures.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { runWorker } from '../workers/protocol.ts';
import type { SubscribersConfig, SubscribersResult } from '../workers/subscribers.ts';

const TARGET = 'delivery p99 ≤ 100 ms';
/** A busy chain's dashboards: ten sales a second. */
const SALES_PER_SECOND = 10;

/**
 * Live dashboards: N graphql-ws subscribers to saleRecorded (as the owner, all stores) while
 * sales are recorded at a steady pace. Delivery latency is reported from the moment the sale's
 * mutation response arrived (what a person at the till and a dashboard beside it would compare)
 * and from the moment the mutation was sent (which adds the sale's own processing; the event is
 * published at commit, before the response is written, so deliveries can beat the response).
 */
export const subscriptions: Scenario = {
  name: 'subscriptions',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { options } = ctx;
    const fixtures = await loadSaleFixtures(ctx.databaseUrl);
    const server = await ctx.startServer();
    let r: SubscribersResult;
    try {
      const token = await ctx.ownerToken(server);
      ctx.log(
        `API: ${options.timing.subscribers} subscribers, ${options.timing.fanoutSales} sales at ${SALES_PER_SECOND}/s`,
      );
      r = await runWorker<SubscribersResult>('./subscribers.ts', {
        url: server.url,
        serverPid: server.pid,
        token,
        posKey: BENCH_POS_KEY,
        subscribers: options.timing.subscribers,
        sales: options.timing.fanoutSales,
        salesPerSecond: SALES_PER_SECOND,
        saleFixtures: fixtures,
        memberOffset: Math.floor(fixtures.members.length / 3),
      } satisfies SubscribersConfig);
    } finally {
      await server.stop();
    }
    if (!r.deliveries) throw new Error('no sale reached any subscriber');
    const kb = Math.round(r.rssPerSubscriber / 1024);
    return {
      scenario: 'subscriptions',
      available: true,
      measured: {
        subscribers: r.subscribers,
        sales: r.sales,
        salesPerSecond: SALES_PER_SECOND,
        deliveries: r.deliveries,
        missing: r.missing,
        fromResponse: r.fromResponse,
        fromSent: r.fromSent,
        deliveredBeforeResponse: r.beforeResponse,
        mutationLatency: r.mutation,
        rssBeforeMB: Math.round(r.rssBefore / 2 ** 20),
        rssAfterMB: Math.round(r.rssAfter / 2 ** 20),
        rssPerIdleSubscriberKB: kb,
      },
      baseline: null,
      target: TARGET,
      pass: r.missing === 0 && r.fromResponse.p99 <= 100,
      summary: {
        measured:
          `from response p50 ${r.fromResponse.p50} ms / p99 ${r.fromResponse.p99} ms; from sent p50 ` +
          `${r.fromSent.p50} ms / p99 ${r.fromSent.p99} ms` +
          ` (${r.subscribers} subscribers × ${r.sales} sales at ${SALES_PER_SECOND}/s, ${r.missing} missing); ` +
          `${kb} KB RSS per idle subscriber`,
        baseline: '—',
      },
    };
  },
};
