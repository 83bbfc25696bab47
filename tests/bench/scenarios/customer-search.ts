import { GIVEN_FEMALE, GIVEN_MALE, SURNAMES } from '../../../src/demo/catalog.ts';
import { benchKeyring, customersEncrypted, withClient } from '../fixtures.ts';
import { openPhone } from '../../../src/customers/personal.ts';
import { runLength, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { round } from '../stats.ts';
import { runWorker } from '../workers/protocol.ts';
import type { HttpLoadConfig, HttpLoadResult } from '../workers/http-load.ts';

const TARGET = 'p99 ≤ 20 ms for both searches';
/** Searches come from tills and service desks, a few at a time. */
const CONNECTIONS = 4;

/**
 * The counter look-ups: customers by the last 4 digits of their phone (taken from real
 * customers), and by a name fragment of one or two Chinese characters (a surname, a given name
 * or part of one), first 20 results, as an owner.
 */
export const customerSearch: Scenario = {
  name: 'customer-search',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { options } = ctx;
    // Phones are encrypted since 20261201230000_customer_encryption; a build before it (--compare)
    // keeps them, and their last four digits, in plaintext.
    const last4 = await withClient(ctx.databaseUrl, async (c) => {
      if (!(await customersEncrypted(c)))
        return (
          await c.query<{ l: string }>(
            `SELECT "phoneLast4" AS l FROM "Customer" WHERE "phoneLast4" IS NOT NULL ORDER BY random() LIMIT 500`,
          )
        ).rows.map((r) => r.l);
      const rows = await c.query<{ p: string }>(
        `SELECT "phoneEnc" AS p FROM "Customer" WHERE "phoneEnc" IS NOT NULL ORDER BY random() LIMIT 500`,
      );
      const keys = benchKeyring();
      return rows.rows.map((r) => openPhone(r.p, keys)!.slice(-4));
    });
    const given = [...GIVEN_FEMALE, ...GIVEN_MALE];
    const fragments = [...SURNAMES, ...given.filter((g) => g.length === 2), ...given.map((g) => g[0]!)];
    const load = { connections: CONNECTIONS, ...runLength(options, 0.5) };

    const server = await ctx.startServer();
    const results: Record<'last4' | 'name', HttpLoadResult> = {} as never;
    try {
      const authorization = `Bearer ${await ctx.ownerToken(server)}`;
      for (const [key, filters] of [
        ['last4', last4.map((l) => ({ phoneLast4: l }))],
        ['name', fragments.map((q) => ({ query: q }))],
      ] as const) {
        ctx.log(`API: search by ${key} × ${CONNECTIONS} connections`);
        results[key] = await runWorker<HttpLoadResult>('./http-load.ts', {
          url: server.url,
          kind: 'search',
          authorization,
          filters: [...filters],
          ...load,
        } satisfies HttpLoadConfig);
        if (!results[key].ok) throw new Error(`no search by ${key} answered: ${results[key].errorSamples.join('; ')}`);
      }
    } finally {
      await server.stop();
    }
    const figures = (r: HttpLoadResult) => ({
      perSecond: round(r.okPerSecond, 1),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      errors: r.errors,
      errorSamples: r.errorSamples,
    });
    const line = (r: HttpLoadResult) =>
      `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms (${round(r.okPerSecond, 1)}/s, ${r.errors} errors)`;
    return {
      scenario: 'customer-search',
      available: true,
      measured: { connections: CONNECTIONS, byLast4: figures(results.last4), byName: figures(results.name) },
      baseline: null,
      target: TARGET,
      pass:
        results.last4.latency.p99 <= 20 &&
        results.name.latency.p99 <= 20 &&
        !results.last4.errors &&
        !results.name.errors,
      summary: {
        measured: `last 4 digits: ${line(results.last4)}; name fragment: ${line(results.name)}`,
        baseline: '—',
      },
    };
  },
};
