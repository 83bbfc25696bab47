import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Db, Tx } from '../db/tx.ts';
import type { EventBus } from '../events/bus.ts';
import type { DomainEvent } from '../events/domain-events.ts';
import type { CacheRegion } from '../events/reference-cache.ts';
import { runInTransaction } from '../events/transaction.ts';
import type { Logger } from '../logger.ts';
import type { StorePlugin } from '../plugin-host/host.ts';
import { AddressPolicy, WebhookUrlError } from './addresses.ts';
import { webhookEventCatalog, type WebhookEventType } from './catalog.ts';
import { signingSecrets, writeOutbox } from './service.ts';
import { signatureHeader, WEBHOOK_HEADERS, WEBHOOK_SCHEMA_VERSION } from './signing.ts';

/** How deliveries are retried and where they may go (README's WEBHOOK_* variables). */
export interface WebhookSettings {
  /** Failed deliveries are retried for at least this long from their first attempt (default 24 h). */
  retryForMs: number;
  /** The first retry's delay; each next one doubles, with jitter (default 30 s). */
  backoffMs: number;
  /** The longest delay between two attempts (default 1 h). */
  backoffMaxMs: number;
  /** Deliveries given up in a row after which the endpoint is disabled (default 5). */
  disableAfterFailures: number;
  /** An attempt's whole request, connection to last byte read (default 10 s). */
  timeoutMs: number;
  /** How often each process looks for deliveries whose queued job was lost (default 60 s). */
  sweepMs: number;
  /** Settled events (and their deliveries and attempts) older than this leave the log (default 30 days). */
  logRetentionMs: number;
  /** Non-public networks deliveries may reach anyway (CIDR); src/webhooks/addresses.ts. */
  allowedNetworks: string[];
  /** http: to any allowed address, not only loopback. */
  allowHttp: boolean;
  /** How often the queue's workers look for due attempts, in seconds (pg-boss: at least 0.5). */
  pollSeconds?: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  retryForMs: 24 * 3600_000,
  backoffMs: 30_000,
  backoffMaxMs: 3600_000,
  disableAfterFailures: 5,
  timeoutMs: 10_000,
  sweepMs: 60_000,
  logRetentionMs: 30 * 86_400_000,
  allowedNetworks: [],
  allowHttp: false,
};

/** The job queue's name for delivery attempts. */
export const DELIVER_QUEUE = 'webhooks.deliver';
/** Characters of an answer kept in the delivery log. */
export const RESPONSE_EXCERPT_CHARS = 1024;

/** What the dispatcher needs from the job queue (src/jobs/scheduler.ts). */
export interface DeliveryQueue {
  send(name: string, data: object, startAfter?: Date): Promise<void>;
}

/** A queue worker the scheduler runs: attempts handed over in batches. */
export interface QueueWorker {
  name: string;
  batchSize: number;
  expireInSeconds: number;
  /** How often idle workers look for due attempts (default: the scheduler's). */
  pollSeconds?: number;
  handle(data: unknown[]): Promise<void>;
}

/**
 * Delivers webhooks: the outbox step every transaction runs (installed on the event bus), the
 * queue worker that makes one attempt per job, the retry schedule, and the sweeper that finds
 * deliveries whose job was lost (a process that died between its commit and queueing the job).
 * docs/webhooks.md describes the guarantees.
 */
export class WebhookDispatcher {
  readonly settings: WebhookSettings;
  /** Where deliveries may go; replaceable so a test can resolve names its own way. */
  policy: AddressPolicy;
  readonly catalog: WebhookEventType[];
  private readonly catalogTypes: Set<string>;
  private readonly wanted: CacheRegion<string[]>;
  private queue: DeliveryQueue | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly running = new Set<Promise<unknown>>();
  private lastPrune = 0;

  constructor(
    private readonly services: { db: Db; events: EventBus; logger: Logger },
    settings: Partial<WebhookSettings>,
    plugins: readonly StorePlugin[],
  ) {
    this.settings = { ...DEFAULT_WEBHOOK_SETTINGS, ...settings };
    this.policy = new AddressPolicy(this.settings.allowedNetworks, this.settings.allowHttp);
    this.catalog = webhookEventCatalog(plugins);
    this.catalogTypes = new Set(this.catalog.map((e) => e.type));
    this.wanted = services.events.cache.region<string[]>('webhook event types', ['webhook.endpoint.changed'], {
      max: 1,
    });
  }

  /**
   * The outbox step of runInTransaction: nothing at all when no active endpoint wants any of the
   * transaction's events (known from this process's cache), else one INSERT. Returns what to do
   * after commit: queue the first attempts.
   */
  readonly outbox = async (tx: Tx, events: readonly DomainEvent[]): Promise<(() => void) | null> => {
    const deliverable = events.filter((e) => this.catalogTypes.has(e.type));
    if (!deliverable.length) return null;
    // While Redis is away another process's new endpoint could not be heard of: the INSERT matches
    // endpoints itself, so it runs unfiltered (still one statement).
    if (this.services.events.coherent) {
      const wanted = await this.wanted.get('types', async () => {
        const rows = await tx.webhookEndpoint.findMany({ where: { status: 'ACTIVE' }, select: { eventTypes: true } });
        return [...new Set(rows.flatMap((r) => r.eventTypes))];
      });
      if (!deliverable.some((e) => wanted?.includes(e.type))) return null;
    }
    const ids = await writeOutbox(tx, deliverable);
    return ids.length ? () => void this.enqueue(ids) : null;
  };

  /** The worker the job scheduler runs for DELIVER_QUEUE. */
  get worker(): QueueWorker {
    return {
      name: DELIVER_QUEUE,
      batchSize: 10,
      expireInSeconds: Math.ceil(this.settings.timeoutMs / 1000) + 60,
      ...(this.settings.pollSeconds ? { pollSeconds: this.settings.pollSeconds } : {}),
      handle: async (jobs) => {
        await Promise.all(
          jobs.map((data) =>
            this.attempt((data as { deliveryId: string }).deliveryId).catch((err) =>
              this.services.logger.error({ err, data }, 'webhook attempt failed to run'),
            ),
          ),
        );
      },
    };
  }

  /** Starts taking attempts from the queue and sweeping for lost ones. */
  start(queue: DeliveryQueue) {
    this.queue = queue;
    const sweep = () => {
      const run = this.sweep().catch((err) => this.services.logger.warn({ err }, 'webhook sweep failed'));
      this.track(run);
    };
    sweep();
    this.sweeper = setInterval(sweep, this.settings.sweepMs);
    this.sweeper.unref();
  }

  async stop() {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.queue = null;
    await Promise.allSettled([...this.running]);
  }

  /** Queues attempts (now, or at `at`); without a running queue the sweeper of some process queues them. */
  async enqueue(ids: readonly string[], at?: Date) {
    const queue = this.queue;
    if (!queue) return;
    const sending = Promise.all(ids.map((deliveryId) => queue.send(DELIVER_QUEUE, { deliveryId }, at))).catch((err) =>
      this.services.logger.warn({ err }, 'webhook delivery not queued: the sweeper will queue it'),
    );
    this.track(sending);
    await sending;
  }

  /** The delay before attempt `attempt + 1`: doubling from backoffMs up to backoffMaxMs, half of it random (jitter). */
  delayAfter(attempt: number): number {
    const full = Math.min(this.settings.backoffMaxMs, this.settings.backoffMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(full / 2 + (Math.random() * full) / 2);
  }

  /** Deliveries due for a while and not held by any worker: their job was lost. Queued again. */
  async sweep() {
    const now = Date.now();
    const due = await this.services.db.webhookDelivery.findMany({
      where: {
        status: 'PENDING',
        nextAttemptAt: { lt: new Date(now - Math.max(2 * this.settings.sweepMs, 5_000)) },
        OR: [{ claimedUntil: null }, { claimedUntil: { lt: new Date(now) } }],
      },
      select: { id: true },
      orderBy: { nextAttemptAt: 'asc' },
      take: 500,
    });
    if (due.length) {
      this.services.logger.info({ deliveries: due.length }, 'webhook deliveries queued again by the sweeper');
      await this.enqueue(due.map((d) => d.id));
    }
    // The log is bounded in time: once an hour, what is settled and older than the retention goes.
    if (now - this.lastPrune >= 3600_000) {
      this.lastPrune = now;
      const removed = await this.pruneLog(new Date(now - this.settings.logRetentionMs));
      if (removed) this.services.logger.info({ events: removed }, 'old webhook events removed from the log');
    }
  }

  /**
   * Removes events that occurred before `before` and have no delivery still pending (their
   * deliveries and attempts go with them), a bounded batch at a time; returns how many.
   */
  async pruneLog(before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await this.services.db.$executeRawUnsafe(
        `DELETE FROM "WebhookEvent" WHERE id IN (
           SELECT e.id FROM "WebhookEvent" e
            WHERE e."occurredAt" < $1::timestamp
              AND NOT EXISTS (SELECT 1 FROM "WebhookDelivery" d WHERE d."eventId" = e.id AND d.status = 'PENDING')
            LIMIT 5000)`,
        before.toISOString(),
      );
      total += removed;
      if (removed < 5000) return total;
    }
  }

  /** Queues a delivery's next attempt now (a redelivery by hand). */
  async deliverSoon(deliveryId: string) {
    await this.enqueue([deliveryId]);
  }

  /**
   * One attempt of one delivery. Claimed first with a guarded UPDATE, so a job that runs twice
   * (the sweeper and a slow queue, two processes) makes one request; the claim lapses by itself
   * if this process dies mid-attempt, and the sweeper queues the delivery again.
   */
  async attempt(deliveryId: string): Promise<void> {
    const { db, events, logger } = this.services;
    const now = new Date();
    const claimed = await db.webhookDelivery.updateMany({
      where: {
        id: deliveryId,
        status: 'PENDING',
        nextAttemptAt: { lte: new Date(now.getTime() + 1_000) },
        OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }],
      },
      data: { claimedUntil: new Date(now.getTime() + this.settings.timeoutMs + 30_000) },
    });
    if (!claimed.count) return;
    const delivery = await db.webhookDelivery.findUniqueOrThrow({
      where: { id: deliveryId },
      include: { endpoint: true, event: true },
    });
    const { endpoint, event } = delivery;
    if (endpoint.status !== 'ACTIVE') {
      await db.webhookDelivery.update({
        where: { id: deliveryId },
        data: { status: 'CANCELLED', claimedUntil: null, lastError: `endpoint ${endpoint.status.toLowerCase()}` },
      });
      return;
    }
    const number = delivery.attemptCount + 1;
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      id: event.id,
      type: event.type,
      schemaVersion: WEBHOOK_SCHEMA_VERSION,
      occurredAt: event.occurredAt.toISOString(),
      storeId: event.storeId,
      data: event.payload,
    });
    const headers = {
      [WEBHOOK_HEADERS.eventId]: event.id,
      [WEBHOOK_HEADERS.eventType]: event.type,
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [WEBHOOK_HEADERS.signature]: signatureHeader(signingSecrets(endpoint), timestamp, body),
      [WEBHOOK_HEADERS.schemaVersion]: String(WEBHOOK_SCHEMA_VERSION),
      [WEBHOOK_HEADERS.deliveryId]: delivery.id,
      [WEBHOOK_HEADERS.attempt]: String(number),
    };
    const startedAt = new Date();
    const t0 = performance.now();
    const result = await post(endpoint.url, headers, body, this.policy, this.settings.timeoutMs);
    const durationMs = Math.round(performance.now() - t0);
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const lastError = ok ? null : (result.error ?? `HTTP ${result.statusCode}`);

    const next = await runInTransaction(db, events, async ({ tx, emit }) => {
      // The endpoint may have been deleted (with its log) while the request was out: nothing to record.
      // FOR SHARE: a deletion now waits for this transaction rather than racing its inserts.
      const exists = await tx.$queryRawUnsafe<unknown[]>(
        'SELECT 1 FROM "WebhookDelivery" WHERE id = $1::uuid FOR SHARE',
        deliveryId,
      );
      if (!exists.length) return null;
      await tx.webhookAttempt.create({
        data: {
          deliveryId,
          number,
          startedAt,
          durationMs,
          statusCode: result.statusCode,
          error: result.error,
          responseExcerpt: result.excerpt,
        },
      });
      const common = { attemptCount: number, claimedUntil: null, lastStatusCode: result.statusCode, lastError };
      if (ok) {
        await tx.webhookDelivery.update({
          where: { id: deliveryId },
          data: { ...common, status: 'DELIVERED', deliveredAt: new Date() },
        });
        await tx.webhookEndpoint.updateMany({
          where: { id: endpoint.id, consecutiveFailures: { gt: 0 } },
          data: { consecutiveFailures: 0 },
        });
        return null;
      }
      if (Date.now() < delivery.retryFrom.getTime() + this.settings.retryForMs) {
        const at = new Date(Date.now() + this.delayAfter(number));
        await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { ...common, nextAttemptAt: at } });
        return at;
      }
      // Retried for the whole window: given up, and one more failure in the endpoint's run.
      await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { ...common, status: 'FAILED' } });
      const after = await tx.webhookEndpoint.update({
        where: { id: endpoint.id },
        data: { consecutiveFailures: { increment: 1 } },
      });
      if (after.status === 'ACTIVE' && after.consecutiveFailures >= this.settings.disableAfterFailures) {
        await tx.webhookEndpoint.update({
          where: { id: endpoint.id },
          data: {
            status: 'DISABLED',
            disabledAt: new Date(),
            disabledReason: `${after.consecutiveFailures} deliveries in a row failed; last: ${lastError}`.slice(0, 500),
          },
        });
        emit('webhook.endpoint.changed', { endpointId: endpoint.id });
        logger.warn({ endpointId: endpoint.id, failures: after.consecutiveFailures }, 'webhook endpoint disabled');
      }
      return null;
    });
    logger.debug(
      { deliveryId, endpointId: endpoint.id, attempt: number, statusCode: result.statusCode, durationMs },
      'webhook attempt',
    );
    if (next) await this.enqueue([deliveryId], next);
  }

  private track(promise: Promise<unknown>) {
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise));
  }
}

interface PostResult {
  statusCode: number | null;
  excerpt: string | null;
  error: string | null;
}

/**
 * One POST, under the address policy: refused addresses are never connected to (literal ones
 * checked here, names at look-up), redirects not followed, the whole exchange bounded by
 * `timeoutMs` and the answer read only as far as the excerpt kept.
 */
function post(
  target: string,
  headers: Record<string, string>,
  body: string,
  policy: AddressPolicy,
  timeoutMs: number,
): Promise<PostResult> {
  let url: URL;
  try {
    // Checked again at each attempt: the policy may have been tightened since the endpoint was registered.
    url = policy.checkUrl(target);
  } catch (error) {
    if (error instanceof WebhookUrlError)
      return Promise.resolve({ statusCode: null, excerpt: null, error: `refused: ${error.message}` });
    throw error;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'storecrm-webhooks/1',
        },
        // A literal address was checked above; a name is checked on the addresses it resolves to.
        ...(isIP(host) ? {} : { lookup: policy.lookup as never }),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () =>
          finish({ statusCode: res.statusCode ?? null, excerpt: excerptOf(Buffer.concat(chunks)), error: null });
        res.on('data', (chunk: Buffer) => {
          if (size >= RESPONSE_EXCERPT_CHARS * 4) return;
          chunks.push(chunk);
          size += chunk.length;
          // Enough for the excerpt: the rest of a large answer is not read.
          if (size >= RESPONSE_EXCERPT_CHARS * 4) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      },
    );
    const timer = setTimeout(() => {
      finish({ statusCode: null, excerpt: null, error: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ statusCode: null, excerpt: null, error: `${err.code ?? 'error'}: ${err.message}`.slice(0, 500) }),
    );
    req.end(body);
  });
}

function excerptOf(raw: Buffer): string | null {
  if (!raw.length) return null;
  // Cut at a character, never mid-way through one (the replacement character a cut leaves is dropped).
  return raw
    .toString('utf8')
    .slice(0, RESPONSE_EXCERPT_CHARS)
    .replace(/\uFFFD$/, '')
    .replaceAll('\0', '');
}
