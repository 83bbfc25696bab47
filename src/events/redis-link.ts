import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';

/** Where the link to Redis stands: `up` only when publishing works and every channel is subscribed. */
export type RedisState = 'connecting' | 'up' | 'down';

type Callback = (event: CustomEvent) => void;
type Listener = Callback | { handleEvent: Callback };

export interface RedisLinkOptions {
  url: string;
  logger?: Logger;
  /** Called on every change of `state` (the event bus drops its reference caches on both edges). */
  onStateChange?: (state: RedisState) => void;
  /** How often a connected link checks that Redis still answers (default 2 s). */
  heartbeatMs?: number;
}

/**
 * The event target graphql-yoga's pub/sub runs on, through Redis, built so that Redis can come and
 * go without the API noticing more than a log line:
 *
 * - Neither connection queues commands while Redis is away (`enableOfflineQueue: false`) nor
 *   retries one that was in flight when the connection dropped (`maxRetriesPerRequest: 0`), and
 *   every command is bounded by `commandTimeout`: a publish never waits for Redis. Every error
 *   is caught here; ioredis's `error` events are logged, never left to crash the process.
 * - Publishing is fire-and-forget. While Redis is away an event is delivered to this process's own
 *   subscribers directly (other processes miss it: live subscriptions there skip it) and counted.
 * - Both connections reconnect by themselves, forever, backing off to every 2 s. On reconnect the
 *   subscriber subscribes every channel again before the link reports `up`: from then on, events
 *   flow between processes again.
 * - A Redis that stops answering without closing its connections (frozen, or cut off by the
 *   network) is found by a PING every `heartbeatMs`: one that gets no answer within the command
 *   timeout drops both connections, so the link reports `down` (caches bypassed) and reconnects.
 */
export class RedisLink {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  private readonly callbacks = new Map<string, Set<Callback>>();
  /** The pub/sub removes by the listener it added: which callback stands for it. */
  private readonly wrapped = new WeakMap<object, Callback>();
  private subscribed = false;
  private closing = false;
  private current: RedisState = 'connecting';
  private lastError: unknown = null;
  private readonly heartbeat: NodeJS.Timeout;
  /** Events published while Redis was away: delivered in this process only. */
  unshared = 0;

  constructor(private readonly options: RedisLinkOptions) {
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      commandTimeout: 1_500,
      keepAlive: 5_000,
      autoResubscribe: false,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    };
    this.publisher = connectRedis(options.url, { ...common, connectionName: 'storecrm-publish' });
    this.subscriber = connectRedis(options.url, { ...common, connectionName: 'storecrm-subscribe' });
    this.subscriber.on('message', (topic: string, message: string) => this.deliver(topic, message));
    for (const [role, client] of [
      ['publish', this.publisher],
      ['subscribe', this.subscriber],
    ] as const) {
      client.on('error', (err) => {
        // ioredis repeats the error on every reconnect attempt: log it once per outage.
        const first = this.lastError === null;
        this.lastError = err;
        if (first) options.logger?.warn({ err, redis: role }, 'Redis connection error');
        else options.logger?.debug({ err, redis: role }, 'Redis connection error');
      });
      client.on('close', () => {
        if (client === this.subscriber) this.subscribed = false;
        this.update();
      });
      client.on('ready', () => {
        if (client === this.subscriber) void this.resubscribe();
        else this.update();
      });
    }
    this.heartbeat = setInterval(() => void this.checkAlive(), options.heartbeatMs ?? 2_000);
    this.heartbeat.unref();
  }

  get state(): RedisState {
    return this.current;
  }

  /** Resolves true once the link is up, or false after `timeoutMs`. */
  async waitUntilUp(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.current !== 'up' && Date.now() < deadline && !this.closing) {
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.current === 'up';
  }

  /** For /readyz: Redis answers a PING now (bounded by the command timeout). */
  async ping(): Promise<boolean> {
    if (this.publisher.status !== 'ready') return false;
    return this.publisher.ping().then(
      (r) => r === 'PONG',
      (err) => {
        this.drop(err);
        return false;
      },
    );
  }

  // The EventTarget graphql-yoga's createPubSub uses.
  addEventListener(topic: string, listener: Listener | null) {
    if (!listener) return;
    const callback = 'handleEvent' in listener ? listener.handleEvent.bind(listener) : listener;
    let set = this.callbacks.get(topic);
    if (!set) {
      set = new Set();
      this.callbacks.set(topic, set);
      // While Redis is away the channel is subscribed by resubscribe() when it returns.
      if (this.subscriber.status === 'ready') this.subscriber.subscribe(topic).catch(() => {});
    }
    this.wrapped.set(listener, callback);
    set.add(callback);
  }

  removeEventListener(topic: string, listener: Listener | null) {
    if (!listener) return;
    const set = this.callbacks.get(topic);
    const callback = this.wrapped.get(listener);
    if (!set || !callback) return;
    set.delete(callback);
    if (set.size) return;
    this.callbacks.delete(topic);
    if (this.subscriber.status === 'ready') this.subscriber.unsubscribe(topic).catch(() => {});
  }

  dispatchEvent(event: Event): boolean {
    const detail = (event as CustomEvent).detail;
    const message = detail === undefined ? '' : JSON.stringify(detail);
    const local = () => this.deliver(event.type, message);
    if (this.publisher.status === 'ready') {
      this.publisher.publish(event.type, message).then(
        // This process's subscriber hears it through Redis, unless that connection is the one down.
        () => {
          if (!this.subscribed) local();
        },
        (err) => {
          this.unshared++;
          this.options.logger?.debug({ err, topic: event.type }, 'event not shared through Redis');
          local();
        },
      );
    } else {
      this.unshared++;
      local();
    }
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    await Promise.all(
      [this.publisher, this.subscriber].map((c) =>
        c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : Promise.resolve(c.disconnect()),
      ),
    );
  }

  private deliver(topic: string, message: string) {
    const set = this.callbacks.get(topic);
    if (!set) return;
    const event = new CustomEvent(topic, { detail: message === '' ? null : JSON.parse(message) });
    for (const callback of set) callback(event);
  }

  private async checkAlive() {
    if (this.current !== 'up' || this.closing) return;
    // A subscriber connection may only send (P)(UN)SUBSCRIBE, PING and QUIT: both can be asked.
    const answered = await Promise.all([this.publisher.ping(), this.subscriber.ping()]).then(
      () => true,
      (err) => {
        this.lastError = err;
        return false;
      },
    );
    if (!answered) this.drop(this.lastError);
  }

  /** Redis does not answer on connections that look open: report `down` now and reconnect. */
  private drop(err: unknown) {
    if (this.current !== 'up' || this.closing) return;
    this.lastError = err;
    this.options.logger?.warn({ err }, 'Redis does not answer: reconnecting');
    this.subscribed = false;
    this.update();
    this.publisher.disconnect(true);
    this.subscriber.disconnect(true);
  }

  private async resubscribe() {
    const channels = [...this.callbacks.keys()];
    try {
      if (channels.length) await this.subscriber.subscribe(...channels);
      this.subscribed = true;
    } catch (err) {
      // The connection dropped again meanwhile: the next 'ready' tries again.
      this.options.logger?.debug({ err }, 'Redis resubscribe failed');
    }
    this.update();
  }

  private update() {
    if (this.closing) return;
    const next: RedisState =
      this.publisher.status === 'ready' && this.subscribed
        ? 'up'
        : this.current === 'connecting' && this.lastError === null
          ? 'connecting'
          : 'down';
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    if (next === 'up') {
      this.lastError = null;
      if (previous === 'down')
        this.options.logger?.info('Redis reachable again: events are shared between processes again');
    } else if (next === 'down') {
      this.options.logger?.warn(
        { err: this.lastError ?? undefined },
        'Redis unreachable: this process keeps serving; events reach only its own subscribers and reference ' +
          'caches are bypassed until Redis returns',
      );
    }
    this.options.onStateChange?.(next);
  }
}

/**
 * A Redis connection. ioredis (some 15 MiB of a process) is loaded by the first connection, so a
 * process without REDIS_URL never loads it; it is CommonJS, so this can stay synchronous.
 */
export function connectRedis(url: string, options: RedisOptions): Redis {
  const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  return new Client(url, options);
}
