import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import type { Tx } from '../db/tx.ts';
import type { Logger } from '../logger.ts';
import { RedisLink } from './redis-link.ts';
import { ReferenceCache } from './reference-cache.ts';
import type { DomainEvent, DomainEvents, EventType } from './domain-events.ts';

type Handler<K extends EventType> = (payload: DomainEvents[K]) => void | Promise<void>;
type Topics = { [K in EventType]: [DomainEvents[K]] };

export interface EventBusOptions {
  /** When set, events travel through Redis pub/sub so every API process sees every event. */
  redisUrl?: string | undefined;
  /** Prefix for Redis channel names: lets several deployments or test runs share one Redis. */
  channelPrefix?: string;
  onHandlerError?: (type: EventType, error: unknown) => void;
  /** Where the Redis link says it lost or found Redis. */
  logger?: Logger;
}

/**
 * Run by runInTransaction inside every transaction that emitted events, before it commits: writes
 * what must outlive the process (webhook deliveries, src/webhooks/) and returns what to do once
 * committed, or null.
 */
export type Outbox = (tx: Tx, events: readonly DomainEvent[]) => Promise<(() => void) | null>;

/** What /readyz and /metrics say about Redis. */
export type RedisStatus = 'up' | 'down' | 'not configured';

/**
 * The one event bus. Events are published only after the transaction that produced them has
 * committed (see runInTransaction), so no subscriber ever sees a sale that was rolled back.
 *
 * - `subscribe` feeds GraphQL subscriptions; with Redis it receives events from every process.
 * - `on` registers an in-process handler (plugins, webhooks) that runs once, in the process
 *   that committed the change.
 */
export class EventBus {
  private readonly pubsub: PubSub<Topics>;
  private readonly handlers = new Map<EventType, Handler<EventType>[]>();
  private readonly redis: RedisLink | null = null;
  private readonly prefix: string;
  /** Reference data cached in this process, kept coherent by this bus's events (src/events/reference-cache.ts). */
  readonly cache: ReferenceCache;
  /** The transactional outbox step, when webhooks are set up (src/webhooks/delivery.ts). */
  outbox: Outbox | null = null;

  constructor(private readonly options: EventBusOptions = {}) {
    this.prefix = options.channelPrefix ?? 'storecrm:';
    this.cache = new ReferenceCache(this);
    if (options.redisUrl) {
      // Redis may be away at start or go away later: the process serves all the same (redis-link.ts).
      // While it is away, other processes' invalidations cannot arrive, so the caches are bypassed
      // (ReferenceCache asks `coherent`); on both edges they are dropped: nothing read before an
      // outage, or while one was under way, outlives it.
      this.redis = new RedisLink({
        url: options.redisUrl,
        logger: options.logger,
        onStateChange: () => this.cache.clearAll(),
      });
      this.pubsub = createPubSub<Topics>({ eventTarget: this.redis as unknown as EventTarget });
    } else {
      this.pubsub = createPubSub<Topics>();
    }
  }

  /** True when events also travel to and from other processes (Redis configured). */
  get distributed() {
    return this.redis !== null;
  }

  /**
   * True when every change committed anywhere reaches this process: always without Redis (one
   * process), and with Redis only while the link is up. The reference caches trust themselves only then.
   */
  get coherent() {
    return this.redis === null || this.redis.state === 'up';
  }

  /** Events published while Redis was away (delivered in this process only), for /metrics. */
  get unsharedEvents() {
    return this.redis?.unshared ?? 0;
  }

  on<K extends EventType>(type: K, handler: Handler<K>): void {
    const list = this.handlers.get(type) ?? [];
    list.push(handler as Handler<EventType>);
    this.handlers.set(type, list);
  }

  /** Publishes committed events, then runs local handlers; a failing handler never loses the event for others. */
  async publish(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      this.pubsub.publish(this.topic(event.type), event.payload as never);
      for (const handler of this.handlers.get(event.type) ?? []) {
        try {
          await handler(event.payload);
        } catch (error) {
          this.options.onHandlerError?.(event.type, error);
        }
      }
    }
  }

  subscribe<K extends EventType>(type: K): AsyncIterable<DomainEvents[K]> {
    return this.pubsub.subscribe(this.topic(type)) as AsyncIterable<DomainEvents[K]>;
  }

  /**
   * Resolves true once Redis (if used) is connected with every channel subscribed, or false after
   * `timeoutMs`: a process never waits for Redis longer than that, it serves without it.
   */
  async ready(timeoutMs = 10_000): Promise<boolean> {
    return this.redis ? this.redis.waitUntilUp(timeoutMs) : true;
  }

  /** For /readyz and /metrics: Redis answers now, does not, or is not used. */
  async redisStatus(): Promise<RedisStatus> {
    if (!this.redis) return 'not configured';
    return this.redis.state === 'up' && (await this.redis.ping()) ? 'up' : 'down';
  }

  async close(): Promise<void> {
    await this.cache.close();
    await this.redis?.close();
  }

  private topic(type: EventType): EventType {
    return `${this.prefix}${type}` as EventType;
  }
}
