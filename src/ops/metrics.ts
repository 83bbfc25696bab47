import type { Plugin } from '@envelop/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DocumentNode } from 'graphql';
import type { Context } from '../schema/context.ts';
import { describeOperation } from './operation.ts';

export interface MetricsSources {
  /** PostgreSQL pool figures per pool (none on the embedded database). */
  pool?: () => { pool: string; total: number; idle: number; waiting: number }[];
  /** Open graphql-ws connections. */
  websockets?: () => number;
  /** Jobs waiting, running and failed in the job queue, per job. */
  jobQueue?: () => Promise<{ job: string; queued: number; active: number; failed: number }[]>;
  /** SQL statements sent so far (only when DB_STATEMENT_METRICS=on). */
  sqlStatements?: () => number;
  /** What Redis and the read replica look like now ('not configured' ones are left out). */
  dependencies?: () => Promise<{ redis: string; replica: string }>;
  /** Events published while Redis was away, so heard only in this process. */
  unsharedEvents?: () => number;
}

/**
 * Prometheus metrics of one API process, served at /metrics. A registry per app (not the
 * library's global one), so several apps in one test process do not share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'operation' | 'type' | 'outcome'>;
  readonly duration: Histogram<'operation' | 'type'>;
  readonly subscriptions: Gauge<'operation'>;
  readonly jobRuns: Counter<'job' | 'outcome'>;
  readonly jobDuration: Histogram<'job'>;

  constructor(sources: MetricsSources = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'storecrm_' });
    this.requests = new Counter({
      name: 'storecrm_graphql_operations_total',
      help: 'GraphQL operations executed, by operation name, type and outcome (ok, error).',
      labelNames: ['operation', 'type', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'storecrm_graphql_operation_duration_seconds',
      help: 'Time to execute a GraphQL operation (subscriptions: to set up).',
      labelNames: ['operation', 'type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.subscriptions = new Gauge({
      name: 'storecrm_graphql_subscriptions_active',
      help: 'GraphQL subscriptions open now (graphql-ws and SSE), by operation name.',
      labelNames: ['operation'],
      registers: [this.registry],
    });
    this.jobRuns = new Counter({
      name: 'storecrm_job_runs_total',
      help: 'Scheduled job runs, by job and outcome.',
      labelNames: ['job', 'outcome'],
      registers: [this.registry],
    });
    this.jobDuration = new Histogram({
      name: 'storecrm_job_duration_seconds',
      help: 'Duration of scheduled job runs.',
      labelNames: ['job'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 30, 120],
      registers: [this.registry],
    });
    const pool = sources.pool;
    if (pool) {
      new Gauge({
        name: 'storecrm_db_pool_connections',
        help: 'PostgreSQL pool connections by pool (primary, replica) and state (total, idle, waiting clients).',
        labelNames: ['pool', 'state'],
        registers: [this.registry],
        collect() {
          for (const stats of pool()) {
            this.set({ pool: stats.pool, state: 'total' }, stats.total);
            this.set({ pool: stats.pool, state: 'idle' }, stats.idle);
            this.set({ pool: stats.pool, state: 'waiting' }, stats.waiting);
          }
        },
      });
    }
    const jobQueue = sources.jobQueue;
    if (jobQueue) {
      new Gauge({
        name: 'storecrm_job_queue_jobs',
        help:
          'Jobs in the job queue by job and state (queued: waiting to run, active: running, failed: retained ' +
          'failures).',
        labelNames: ['job', 'state'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const q of await jobQueue()) {
            this.set({ job: q.job, state: 'queued' }, q.queued);
            this.set({ job: q.job, state: 'active' }, q.active);
            this.set({ job: q.job, state: 'failed' }, q.failed);
          }
        },
      });
    }
    const sqlStatements = sources.sqlStatements;
    if (sqlStatements) {
      let reported = 0;
      new Counter({
        name: 'storecrm_db_statements_total',
        help:
          'SQL statements sent to the database (DB_STATEMENT_METRICS=on): statements per request = rise / ' +
          'requests.',
        registers: [this.registry],
        collect() {
          const now = sqlStatements();
          this.inc(now - reported);
          reported = now;
        },
      });
    }
    const dependencies = sources.dependencies;
    if (dependencies) {
      new Gauge({
        name: 'storecrm_dependency_up',
        help:
          'Redis and the read replica as this process sees them: 1 up, 0 down (or the replica lagging). Summed ' +
          'over a cluster: processes that see it up.',
        labelNames: ['dependency'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const [name, status] of Object.entries(await dependencies())) {
            if (status !== 'not configured') this.set({ dependency: name }, status === 'up' ? 1 : 0);
          }
        },
      });
    }
    const unsharedEvents = sources.unsharedEvents;
    if (unsharedEvents) {
      let reported = 0;
      new Counter({
        name: 'storecrm_events_unshared_total',
        help:
          'Events published while Redis was unreachable: delivered to this process only (live subscriptions on ' +
          'other processes missed them).',
        registers: [this.registry],
        collect() {
          const now = unsharedEvents();
          this.inc(now - reported);
          reported = now;
        },
      });
    }
    const websockets = sources.websockets;
    new Gauge({
      name: 'storecrm_websocket_connections',
      help: 'Open graphql-ws connections (live dashboards, POS screens).',
      registers: [this.registry],
      collect() {
        this.set(websockets ? websockets() : 0);
      },
    });
  }

  /** Times a job run and counts its outcome. */
  async timeJob<T>(job: string, run: () => Promise<T>): Promise<T> {
    const end = this.jobDuration.startTimer({ job });
    try {
      const result = await run();
      this.jobRuns.inc({ job, outcome: 'ok' });
      return result;
    } catch (error) {
      this.jobRuns.inc({ job, outcome: 'error' });
      throw error;
    } finally {
      end();
    }
  }

  /** Envelop plugin: counts and times every operation, over HTTP, SSE and WebSockets alike. */
  plugin(): Plugin<Context> {
    const observe = (args: { operationName?: string | null; document: DocumentNode }, outcomeOf: () => string) => {
      const { name, type } = describeOperation(args.document, args.operationName);
      const labels = { operation: name, type };
      const end = this.duration.startTimer(labels);
      return {
        operation: labels.operation,
        done: () => {
          end();
          this.requests.inc({ ...labels, outcome: outcomeOf() });
        },
      };
    };
    return {
      onExecute: ({ args }) => {
        let outcome = 'ok';
        const { done } = observe(args, () => outcome);
        return {
          onExecuteDone: ({ result }) => {
            if (!(Symbol.asyncIterator in result) && result.errors?.length) outcome = 'error';
            done();
          },
        };
      },
      // A subscription is counted once, when it is set up (refused ones as errors).
      onSubscribe: ({ args }) => {
        let outcome = 'ok';
        const { done, operation } = observe(args, () => outcome);
        return {
          onSubscribeResult: ({ result }) => {
            const live = Symbol.asyncIterator in result;
            if (!live && result.errors?.length) outcome = 'error';
            done();
            if (!live) return;
            const labels = { operation };
            this.subscriptions.inc(labels);
            return { onEnd: () => this.subscriptions.dec(labels) };
          },
        };
      },
    };
  }
}
