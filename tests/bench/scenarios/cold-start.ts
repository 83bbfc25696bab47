import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { freePort, stopProcess, treeRss } from '../server.ts';
import { round } from '../stats.ts';

const TARGET = 'first start ≤ 3 s, restart ≤ 1.5 s; ≤ 250 MiB RSS idle';

/**
 * `npm start` as a newcomer runs it: the embedded database in a fresh folder, migrations and demo
 * data on the first start. Timed from spawning npm to the first answered GraphQL query; then
 * again on the existing folder (a restart). PostgreSQL and Redis settings are left out.
 */
export const coldStart: Scenario = {
  name: 'cold-start',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    if (ctx.options.ci) {
      // Demo data on the embedded database takes far longer than the rest of the CI run; .ci/run's
      // smoke step already starts `npm start` on a fresh folder and queries it.
      const why = 'skipped at --scale=ci (the CI smoke step starts npm start on a fresh folder)';
      return {
        scenario: 'cold-start',
        available: true,
        skipped: true,
        measured: {},
        baseline: null,
        target: TARGET,
        pass: null,
        summary: { measured: why, baseline: '—' },
      };
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'storecrm-bench-cold-'));
    try {
      ctx.log('npm start on a fresh data folder');
      const { seconds: first } = await timeStart(ctx.root, dataDir, ctx.cpuProfileDir);
      ctx.log('npm start again on the same folder');
      const { seconds: restart, rssIdleMB } = await timeStart(ctx.root, dataDir, ctx.cpuProfileDir);
      return {
        scenario: 'cold-start',
        available: true,
        measured: { firstStartSeconds: first, restartSeconds: restart, rssIdleMB },
        baseline: null,
        target: TARGET,
        pass: first <= 3 && restart <= 1.5 && rssIdleMB <= 250,
        summary: {
          measured: `first start (migrations, demo data) ${first} s; restart ${restart} s; ${rssIdleMB} MiB RSS idle`,
          baseline: '—',
        },
      };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

/** Seconds to the first answer; then the API process's resident memory two seconds later, idle. */
async function timeStart(
  root: string,
  dataDir: string,
  cpuProfileDir: string | null,
): Promise<{ seconds: number; rssIdleMB: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'DEMO_DATA', 'JWT_SECRET', 'WEB_CONCURRENCY'])
    delete env[name];
  const t0 = performance.now();
  // Its own process group, so npm, its shell and the API all stop together. Node refuses --cpu-prof
  // in NODE_OPTIONS, so a profiled start runs what `npm start` runs (src/cli/start.mjs) directly.
  const entry = existsSync(join(root, 'src/cli/start.mjs'))
    ? ['src/cli/start.mjs']
    : ['--import', 'tsx', 'src/main.ts'];
  const command = cpuProfileDir
    ? [process.execPath, '--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, ...entry]
    : ['npm', 'start'];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-10_000)));
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-10_000)));
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`npm start did not answer within 180 s:\n${out}`);
      const answered = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }).then(
        async (r) => r.ok && ((await r.json()) as { data?: { __typename?: string } }).data?.__typename === 'Query',
        () => false,
      );
      if (answered) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const seconds = round((performance.now() - t0) / 1000, 2);
    await new Promise((r) => setTimeout(r, 2_000));
    // The API process itself (npm and its shell are not what a deployment runs), by the pid it reports.
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { pid: number };
    return { seconds, rssIdleMB: Math.round(treeRss(health.pid) / 2 ** 20) };
  } finally {
    await stopProcess(child, true);
  }
}
