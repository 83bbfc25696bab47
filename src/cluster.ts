import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from './logger.ts';

/**
 * WEB_CONCURRENCY > 1: the primary process prepares the database once, then forks that many API
 * processes sharing one port (the kernel's connections are handed out round-robin by Node's
 * cluster module). It restarts a process that dies, forwards SIGTERM/SIGINT so every process
 * drains before the primary exits, and answers /metrics for the whole cluster.
 */

type Message =
  | { type: 'storecrm:ready'; port: number }
  | { type: 'storecrm:metrics'; id: number }
  | { type: 'storecrm:metrics-reply'; id: number; text: string; contentType: string };

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** How long each worker may drain on SIGTERM (SHUTDOWN_DRAIN_SECONDS). */
  drainMs: number;
  /** Environment every worker gets in addition to the primary's (the JWT secret the primary resolved). */
  env: Record<string, string>;
  /** Called once, when every worker has started listening. */
  onReady(port: number): void;
}

export function runPrimary({ workers, logger, env, onReady, drainMs }: ClusterOptions): void {
  const metrics = new AggregatorRegistry();
  const ready = new Set<number>();
  let announced = false;
  let stopping = false;
  let restartDelayMs = 1000;
  let lastStart = Date.now();

  const fork = () => {
    lastStart = Date.now();
    const worker = cluster.fork(env);
    worker.on('message', (message: Message) => onMessage(worker, message));
  };

  const onMessage = (worker: Worker, message: Message) => {
    if (message?.type === 'storecrm:ready') {
      ready.add(worker.id);
      if (!announced && ready.size >= workers) {
        announced = true;
        onReady(message.port);
      }
    } else if (message?.type === 'storecrm:metrics') {
      metrics.clusterMetrics().then(
        (text) =>
          worker.send({
            type: 'storecrm:metrics-reply',
            id: message.id,
            text,
            contentType: metrics.contentType,
          } satisfies Message),
        (err) => {
          logger.error({ err }, 'cluster metrics failed');
          worker.send({
            type: 'storecrm:metrics-reply',
            id: message.id,
            text: '',
            contentType: 'text/plain',
          } satisfies Message);
        },
      );
    }
  };

  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) return;
    // A process that dies soon after starting is likely to die again: back off instead of spinning.
    restartDelayMs = Date.now() - lastStart < 10_000 ? Math.min(restartDelayMs * 2, 30_000) : 1000;
    logger.error(
      { worker: worker.process.pid, code, signal, restartInMs: restartDelayMs },
      'API process exited; starting another',
    );
    setTimeout(() => !stopping && fork(), restartDelayMs).unref();
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down the cluster');
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w && !w.isDead()));
      let left = alive.length;
      if (!left) process.exit(0);
      for (const w of alive) {
        w.once('exit', () => --left === 0 && process.exit(0));
        w.process.kill('SIGTERM');
      }
      // A process that cannot drain in time is not allowed to hold the deployment hostage.
      setTimeout(() => process.exit(1), drainMs + 10_000).unref();
    });
  }

  for (let i = 0; i < workers; i++) fork();
}

/** In a worker: tell the primary this process is listening. */
export function reportReady(port: number): void {
  process.send?.({ type: 'storecrm:ready', port } satisfies Message);
}

let nextRequest = 0;

/**
 * /metrics in a cluster: the primary gathers every worker's registry over IPC and sums them, so a
 * scrape that lands on any one process sees the whole cluster (request counts, pool connections,
 * job runs). Outside a cluster: this process's own registry.
 */
export function metricsForScrape(registry: Registry): Promise<{ text: string; contentType: string }> {
  if (!cluster.isWorker) return registry.metrics().then((text) => ({ text, contentType: registry.contentType }));
  const id = ++nextRequest;
  return new Promise((resolve) => {
    const onReply = (message: Message) => {
      if (message?.type !== 'storecrm:metrics-reply' || message.id !== id) return;
      process.off('message', onReply);
      resolve({ text: message.text, contentType: message.contentType });
    };
    process.on('message', onReply);
    process.send!({ type: 'storecrm:metrics', id } satisfies Message);
  });
}

/** In a worker: the registries the primary's aggregator collects from this process. */
export function shareMetrics(registry: Registry): void {
  if (!cluster.isWorker) return;
  // Constructing one is what makes prom-client answer the primary's requests in this process.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}
