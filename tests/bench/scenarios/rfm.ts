import { graphql, notAvailable, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { round } from '../stats.ts';

const JOB = 'rfm.score';
const TARGET = '≤ 10 s';

/**
 * RFM scoring of the whole customer base, started by hand through
 * `runScheduledJob(name: "rfm.score")` as an owner. Not available until a plugin installs the job.
 */
export const rfm: Scenario = {
  name: 'rfm',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const server = await ctx.startServer();
    try {
      const auth = `Bearer ${await ctx.ownerToken(server)}`;
      const installed = await graphql<{ installedPlugins: { name: string; jobs: string[] }[] }>(
        server,
        `{ installedPlugins { name jobs } }`,
        {},
        auth,
      );
      if (installed.errors?.length) throw new Error(`installedPlugins: ${installed.errors[0]!.message}`);
      if (!installed.data!.installedPlugins.some((p) => p.jobs.includes(JOB))) {
        return notAvailable('rfm', TARGET, `no installed plugin defines the job "${JOB}"`);
      }
      ctx.log(`API: runScheduledJob("${JOB}")`);
      const t0 = performance.now();
      const r = await graphql<{ runScheduledJob: { processed: number } }>(
        server,
        `mutation($n: String!) { runScheduledJob(name: $n) { processed } }`,
        { n: JOB },
        auth,
      );
      const seconds = round((performance.now() - t0) / 1000, 2);
      if (r.errors?.length) throw new Error(`runScheduledJob("${JOB}"): ${r.errors[0]!.message}`);
      const processed = r.data!.runScheduledJob.processed;
      return {
        scenario: 'rfm',
        available: true,
        measured: { seconds, processed },
        baseline: null,
        target: TARGET,
        pass: seconds <= 10,
        summary: { measured: `${seconds} s (${processed} processed)`, baseline: '—' },
      };
    } finally {
      await server.stop();
    }
  },
};
