import { CronExpressionParser } from 'cron-parser';
import { PgBoss, fromPglite, type ConstructorOptions } from 'pg-boss';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { ScheduledJob } from '../plugin-host/host.ts';
import type { DeliveryQueue, QueueWorker } from '../webhooks/delivery.ts';

export interface JobSchedulerOptions {
  database: Database;
  logger: Logger;
  jobs: readonly ScheduledJob[];
  /** Runs one occurrence of a job; `asOf` is the moment the occurrence stands for. */
  run(name: string, asOf: Date): Promise<{ processed: number }>;
  /** Time zone the cron expressions are read in (a chain's "03:00" is its own 03:00). */
  timezone: string;
  /** How often idle workers and the cron pass look for due work, in seconds (tests shorten it). */
  pollSeconds?: number;
  /** Queues of one-off jobs sent with `send` (webhook delivery attempts), each with its worker. */
  workers?: readonly QueueWorker[];
}

export interface JobQueueDepth {
  job: string;
  queued: number;
  active: number;
  failed: number;
}

/** pg-boss keeps its tables in a schema of their own, away from Prisma's. */
export const QUEUE_SCHEMA = 'jobqueue';

/**
 * Scheduled jobs through pg-boss, a job queue kept in the system of record: on PostgreSQL when
 * DATABASE_URL is set, on the embedded database otherwise. Every API process starts one; pg-boss
 * claims each cron occurrence once across all of them and hands its job to exactly one worker
 * (SKIP LOCKED), retries a failed run, and catches up once on an occurrence missed while every
 * process was down; our own claim per occurrence (`claim`) turns away a second job pg-boss may
 * forward for an occurrence already run. Jobs stay idempotent all the same: a run that crashes after committing its
 * work but before pg-boss records completion is run again.
 */
export class JobScheduler implements DeliveryQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(private readonly options: JobSchedulerOptions) {
    const poll = options.pollSeconds;
    const backend: ConstructorOptions =
      options.database.backend.kind === 'postgres'
        ? // A small pool of its own: the queue's polling never waits behind API requests for a connection.
          { connectionString: options.database.backend.url, max: 3, application_name: 'storecrm-jobs' }
        : { db: fromPglite(options.database.backend.pglite), backend: 'pglite' };
    this.boss = new PgBoss({
      ...backend,
      schema: QUEUE_SCHEMA,
      ...(poll ? { cronMonitorIntervalSeconds: poll, cronWorkerIntervalSeconds: poll } : {}),
    });
    this.boss.on('error', (err) => options.logger.error({ err }, 'job queue error'));
  }

  get jobNames(): string[] {
    return this.options.jobs.map((j) => j.name);
  }

  async start(): Promise<void> {
    if (this.started) return;
    const { logger, timezone } = this.options;
    await this.boss.start();
    this.started = true;
    const installed = new Set(this.jobNames);
    for (const job of this.options.jobs) {
      const queue = { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: job.timeoutSeconds ?? 900 };
      // Updated when it exists, so a changed timeout in a new release takes effect.
      if (await this.boss.getQueue(job.name)) await this.boss.updateQueue(job.name, queue);
      else await this.boss.createQueue(job.name, queue);
      await this.boss.schedule(job.name, job.cron, {}, { tz: timezone, missed: 'once' });
      await this.boss.work(
        job.name,
        {
          includeMetadata: true,
          batchSize: 1,
          ...(this.options.pollSeconds ? { pollingIntervalSeconds: this.options.pollSeconds } : {}),
        },
        async ([queued]) => {
          if (!queued) return;
          const asOf = occurrenceBefore(job.cron, timezone, queued.createdOn);
          if (!(await this.claim(job.name, asOf, queued.id))) {
            logger.info({ job: job.name, jobId: queued.id, asOf }, 'scheduled job occurrence already run; skipped');
            return { processed: 0 };
          }
          const result = await this.options.run(job.name, asOf);
          logger.info(
            { job: job.name, jobId: queued.id, asOf, attempt: queued.retryCount + 1, processed: result.processed },
            'scheduled job done',
          );
          return result;
        },
      );
    }
    for (const worker of this.options.workers ?? []) {
      // Retries are the worker's own business (a webhook's schedule is its own): a job is one attempt.
      // Its record (the delivery log keeps what matters) is not kept past an hour: one per attempt adds up.
      const queue = { retryLimit: 0, expireInSeconds: worker.expireInSeconds, deleteAfterSeconds: 3600 };
      if (await this.boss.getQueue(worker.name)) await this.boss.updateQueue(worker.name, queue);
      else await this.boss.createQueue(worker.name, queue);
      await this.boss.work(
        worker.name,
        {
          batchSize: worker.batchSize,
          ...((worker.pollSeconds ?? this.options.pollSeconds)
            ? { pollingIntervalSeconds: worker.pollSeconds ?? this.options.pollSeconds }
            : {}),
        },
        async (jobs) => {
          await worker.handle(jobs.map((j) => j.data));
        },
      );
    }
    // A plugin that was removed leaves its schedule behind; without this it would keep queueing work nobody takes.
    for (const schedule of await this.boss.getSchedules()) {
      if (!installed.has(schedule.name)) await this.boss.unschedule(schedule.name, schedule.key);
    }
    logger.info(
      { jobs: this.options.jobs.map((j) => ({ name: j.name, cron: j.cron })), timezone },
      'job scheduler started',
    );
  }

  /**
   * Claims one occurrence of a job for the pg-boss job about to run it. pg-boss forwards a caught-up
   * occurrence as a job created whenever its forwarding ran, which can be after the next occurrence
   * began: two jobs then stand for the same occurrence. The first to claim it runs it; a retry of
   * that same job (a crash, a timeout) claims it again; any other job for it is a duplicate.
   */
  private async claim(job: string, occurrence: Date, jobId: string): Promise<boolean> {
    const { sql } = this.options.database;
    const rows = await sql.query(
      `INSERT INTO "ScheduledJobRun" ("job", "occurrence", "jobId", "claimedAt") VALUES ($1, $2, $3, now())
       ON CONFLICT ("job", "occurrence") DO UPDATE SET "claimedAt" = now()
         WHERE "ScheduledJobRun"."jobId" = EXCLUDED."jobId"
       RETURNING 1 AS claimed`,
      [job, occurrence.toISOString(), jobId],
    );
    // Claims only matter while an occurrence can still be forwarded twice: a month is plenty.
    await sql.query(`DELETE FROM "ScheduledJobRun" WHERE "claimedAt" < now() - interval '30 days'`);
    return rows.length === 1;
  }

  /** Queues a one-off job for one of the `workers`, to run now or from `startAfter` (nothing before start). */
  async send(name: string, data: object, startAfter?: Date): Promise<void> {
    if (!this.started) return;
    await this.boss.send(name, data, startAfter ? { startAfter } : {});
  }

  /** Jobs waiting, running and failed per job, for /metrics. */
  async depth(): Promise<JobQueueDepth[]> {
    const names = [...this.jobNames, ...(this.options.workers ?? []).map((w) => w.name)];
    if (!this.started || !names.length) return [];
    const queues = await this.boss.getQueues(names);
    return queues.map((q) => ({ job: q.name, queued: q.queuedCount, active: q.activeCount, failed: q.failedCount }));
  }

  /** Stops taking work and waits (up to `timeoutMs`, default 20 s) for running jobs to finish. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: Math.max(1_000, timeoutMs) });
  }
}

/**
 * The occurrence a queued run stands for: the latest time the cron expression names at or before
 * the job was queued. pg-boss queues an occurrence's job within seconds of it (or, after downtime,
 * one catch-up job standing for the latest missed occurrence) but does not hand the occurrence over.
 */
export function occurrenceBefore(cron: string, timezone: string, queuedAt: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: new Date(queuedAt.getTime() + 1) })
    .prev()
    .toDate();
}
