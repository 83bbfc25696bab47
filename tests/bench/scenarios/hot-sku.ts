import { BENCH_POS_KEY } from '../dataset.ts';
import { loadSaleFixtures, withClient } from '../fixtures.ts';
import { runLength, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { round } from '../stats.ts';
import { runWorker } from '../workers/protocol.ts';
import type { HttpLoadConfig, HttpLoadResult } from '../workers/http-load.ts';

const TARGET = 'hot-SKU rate ≥ 70 % of the spread-SKU rate (same server, same run), no errors';

/**
 * Contention: recordSale as in record-sale (a member, 3 lines), but every sale includes the same
 * SKU of its store — a shopping bag, a membership fee, a best seller — so every till queues on that
 * one stock level. Measured against the same API with spread SKUs, back to back on one server: the
 * hot row may cost some throughput, never errors.
 */
export const hotSku: Scenario = {
  name: 'hot-sku',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { options } = ctx;
    const fixtures = await loadSaleFixtures(ctx.databaseUrl);
    const members = fixtures.members.length;
    // Each store's cheapest SKU plays the shopping bag, with stock for any length of run.
    const hot: Record<string, string> = {};
    await withClient(ctx.databaseUrl, async (c) => {
      for (const store of fixtures.stores) {
        const bag = [...store.skus].sort((a, b) => a.priceCents - b.priceCents)[0];
        if (!bag) continue;
        hot[store.id] = bag.sku;
        await c.query(
          `UPDATE "StockLevel" SET "onHand" = "onHand" + 10000000
           WHERE "storeId" = $1 AND "productId" = $2 AND "onHand" < 10000000`,
          [store.id, bag.productId],
        );
      }
    });
    const length = runLength(options);
    const load = (memberOffset: number, hotSku?: Record<string, string>) =>
      runWorker<HttpLoadResult>('./http-load.ts', {
        url: server.url,
        kind: 'recordSale',
        authorization: `Bearer ${BENCH_POS_KEY}`,
        connections: options.connections,
        saleFixtures: fixtures,
        memberOffset,
        hotSku,
        ...length,
      } satisfies HttpLoadConfig);

    const server = await ctx.startServer();
    let spread: HttpLoadResult;
    let hotRun: HttpLoadResult;
    try {
      ctx.log(`spread SKUs: recordSale × ${options.connections} connections`);
      spread = await load(Math.floor(members / 4));
      await server.settle();
      ctx.log(`hot SKU in every sale: recordSale × ${options.connections} connections`);
      hotRun = await load(Math.floor((members * 3) / 4), hot);
      await server.settle();
    } finally {
      await server.stop();
    }
    if (!spread.ok || !hotRun.ok) {
      throw new Error(`no sale was recorded: ${[...spread.errorSamples, ...hotRun.errorSamples].join('; ')}`);
    }
    const ratio = hotRun.okPerSecond / spread.okPerSecond;
    return {
      scenario: 'hot-sku',
      available: true,
      measured: {
        salesPerSecond: round(hotRun.okPerSecond, 1),
        p50Ms: hotRun.latency.p50,
        p90Ms: hotRun.latency.p90,
        p99Ms: hotRun.latency.p99,
        errors: hotRun.errors,
        requests: hotRun.requests,
        errorSamples: hotRun.errorSamples,
        shareOfSpread: round(ratio, 3),
      },
      baseline: {
        salesPerSecond: round(spread.okPerSecond, 1),
        p50Ms: spread.latency.p50,
        p90Ms: spread.latency.p90,
        p99Ms: spread.latency.p99,
        errors: spread.errors,
        errorSamples: spread.errorSamples,
      },
      target: TARGET,
      pass: ratio >= 0.7 && hotRun.errors === 0 && spread.errors === 0,
      summary: {
        measured:
          `${round(hotRun.okPerSecond, 1)} sales/s with one SKU in every sale (${Math.round(ratio * 100)} % of ` +
          `spread), p50 ${hotRun.latency.p50} ms, p90 ${hotRun.latency.p90} ms, p99 ${hotRun.latency.p99} ms, ` +
          `${hotRun.errors} errors in ${hotRun.requests}`,
        baseline:
          `spread SKUs on the same server: ${round(spread.okPerSecond, 1)} sales/s, p50 ${spread.latency.p50} ms, ` +
          `p90 ${spread.latency.p90} ms, p99 ${spread.latency.p99} ms, ${spread.errors} errors`,
      },
    };
  },
};
