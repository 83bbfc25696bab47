import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PgBoss, fromPglite } from 'pg-boss';
import { QUEUE_SCHEMA } from '../src/jobs/scheduler.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { definePlugin, PluginHost } from '../src/plugin-host/host.ts';
import { startTestApp } from './helpers/app.ts';
import { createTestDatabase, postgresUrl, type TestDatabase } from './helpers/database.ts';
import { startApiProcess, type ApiProcess } from './helpers/process.ts';
import { PROBE_MIGRATIONS } from './fixtures/job-probe/config.ts';

describe('scheduled jobs', () => {
  it('refuses two jobs of the same name and a schedule that is not cron', () => {
    const job = { name: 'same', cron: '0 * * * *', run: async () => ({ processed: 0 }) };
    expect(
      () => new PluginHost([definePlugin({ name: 'a', jobs: [job] }), definePlugin({ name: 'b', jobs: [job] })]),
    ).toThrow('Two plugins define the job "same".');
    expect(() => new PluginHost([definePlugin({ name: 'a', jobs: [{ ...job, cron: 'every hour' }] })])).toThrow(
      /Schedule of "same" is not a cron expression: "every hour"/,
    );
    expect(() => new PluginHost([definePlugin({ name: 'a', jobs: [{ ...job, cron: '61 * * * *' }] })])).toThrow(
      /not a cron expression/,
    );
    expect(() => new PluginHost([definePlugin({ name: 'a', jobs: [{ ...job, name: 'a job' }] })])).toThrow(
      /may only hold letters/,
    );
  });

  it('runs each occurrence through the job queue, on the minute it stands for, and stops with the app', async () => {
    const runs: Date[] = [];
    const ticker = definePlugin({
      name: 'ticker',
      jobs: [
        {
          name: 'ticker.tick',
          cron: '* * * * *',
          run: async (_ctx, now) => {
            runs.push(now);
            return { processed: 1 };
          },
        },
      ],
    });
    const t = await startTestApp({ plugins: [ticker], seed: false });
    try {
      const started = Date.now();
      await t.app.startJobs({ pollSeconds: 1 });
      // The minute under way is due at start, so a run comes within a few polls, not at the next minute.
      while (!runs.length && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 200));
      expect(runs).toHaveLength(1);
      const occurrence = runs[0]!;
      expect(occurrence.getUTCSeconds()).toBe(0);
      expect(occurrence.getUTCMilliseconds()).toBe(0);
      expect(started - occurrence.getTime()).toBeLessThan(61_000);
      expect(occurrence.getTime()).toBeLessThanOrEqual(Date.now());

      const metrics = await t.app.metrics.registry.metrics();
      expect(metrics).toMatch(/storecrm_job_runs_total\{job="ticker.tick",outcome="ok"\} 1/);
      expect(metrics).toMatch(/storecrm_job_queue_jobs\{job="ticker.tick",state="queued"\} 0/);

      // Two more queued jobs stand for an occurrence already run (as pg-boss can forward a caught-up
      // occurrence after the next one began): each occurrence still runs once.
      const backend = t.db.database.backend;
      const queueOptions = { schema: QUEUE_SCHEMA, schedule: false, supervise: false } as const;
      const boss = new PgBoss(
        backend.kind === 'postgres'
          ? { connectionString: backend.url, ...queueOptions }
          : { db: fromPglite(backend.pglite), backend: 'pglite', ...queueOptions },
      );
      await boss.start();
      await boss.send('ticker.tick', {});
      await boss.send('ticker.tick', {});
      await boss.stop({ graceful: false, close: backend.kind === 'postgres' });
      await new Promise((r) => setTimeout(r, 5_000)); // a few polls: time for a duplicate to run, if one would
      const occurrences = runs.map((r) => r.getTime());
      expect(new Set(occurrences).size, `runs: ${runs.map((r) => r.toISOString()).join(', ')}`).toBe(runs.length);

      // Run by hand as of another moment: the same job, outside the queue.
      expect(await t.app.services.plugins.runJob('ticker.tick', new Date('2030-01-01T00:00:00Z'))).toEqual({
        processed: 1,
      });
      expect(runs.at(-1)).toEqual(new Date('2030-01-01T00:00:00Z'));
    } finally {
      await t.close();
    }
  });
});

// Three API processes on one PostgreSQL, each with the job queue running: every occurrence of a
// per-minute job runs once, in one of them, however many processes are polling.
describe.skipIf(!postgresUrl)('scheduled jobs across three API processes (PostgreSQL)', () => {
  let db: TestDatabase;
  const processes: ApiProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await db?.drop();
  });

  it('runs each occurrence exactly once', async () => {
    db = await createTestDatabase('postgres', [PROBE_MIGRATIONS]);
    const config = fileURLToPath(new URL('./fixtures/job-probe/config.ts', import.meta.url));
    const env = { DATABASE_URL: db.url!, STORE_CONFIG: config, DEMO_DATA: 'off', JOB_POLL_SECONDS: '1' };
    processes.push(...(await Promise.all([1, 2, 3].map(() => startApiProcess(env)))));
    for (const p of processes) expect(p.output()).toContain('job scheduler started');

    const client = new pg.Client({ connectionString: db.url! });
    await client.connect();
    try {
      const occurrences = async () =>
        (
          await client.query<{ occurrence: Date; runs: number }>(
            `SELECT "occurrence", count(*)::int AS runs FROM "JobProbeRun" GROUP BY 1 ORDER BY 1`,
          )
        ).rows;
      // The minute under way runs at start; wait for the next one too, so a boundary is crossed with all three up.
      const deadline = Date.now() + 100_000;
      while ((await occurrences()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      await new Promise((r) => setTimeout(r, 4000)); // time for a duplicate to show up, if there were one
      const seen = await occurrences();
      expect(seen.length).toBeGreaterThanOrEqual(2);
      for (const o of seen) {
        expect(o.runs, `runs of ${o.occurrence.toISOString()}`).toBe(1);
        expect(o.occurrence.getUTCSeconds()).toBe(0);
      }
      expect(seen[1]!.occurrence.getTime() - seen[0]!.occurrence.getTime()).toBe(60_000);
    } finally {
      await client.end();
    }
  }, 150_000);
});
