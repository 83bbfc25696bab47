import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import { ReferenceCache } from './reference-cache.ts';
import type { DomainEvent, DomainEvents, EventType } from './types.ts';

type Handler<K extends EventType> = (payload: DomainEvents[K]) => void | Promise<void>;
type Topics = { [K in EventType]: [DomainEvents[K]] };

export interface EventBusOptions {
  /** When set, events travel through Redis pub/sub so every API process sees every event. */
  redisUrl?: string | undefined;
  /** Prefix for Redis channel names: lets several deployments or test runs share one Redis. */
  channelPrefix?: string;
  onHandlerError?: (type: EventType, error: unknown) => void;
}

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
  private readonly redisClients: Redis[] = [];
  private readonly prefix: string;
  /** Reference data cached in this process, kept coherent by this bus's events (src/events/reference-cache.ts). */
  readonly cache: ReferenceCache;

  constructor(private readonly options: EventBusOptions = {}) {
    this.prefix = options.channelPrefix ?? 'storecrm:';
    this.cache = new ReferenceCache(this);
    if (options.redisUrl) {
      const publishClient = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
      const subscribeClient = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
      // Events published while this process was cut off from Redis are lost to it: start its caches afresh.
      let connectedBefore = false;
      subscribeClient.on('ready', () => {
        if (connectedBefore) this.cache.clearAll();
        connectedBefore = true;
      });
      this.redisClients.push(publishClient, subscribeClient);
      this.pubsub = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
    } else {
      this.pubsub = createPubSub<Topics>();
    }
  }

  get distributed() {
    return this.redisClients.length > 0;
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

  /** Resolves when Redis (if used) is connected and subscribed-ready. */
  async ready(): Promise<void> {
    await Promise.all(
      this.redisClients.map((c) =>
        c.status === 'ready' ? Promise.resolve() : new Promise((res, rej) => c.once('ready', res).once('error', rej)),
      ),
    );
  }

  /** For /readyz: Redis answers (always true without Redis). */
  async healthy(): Promise<boolean> {
    if (!this.redisClients.length) return true;
    try {
      return (await this.redisClients[0]!.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.cache.close();
    await Promise.all(this.redisClients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private topic(type: EventType): EventType {
    return `${this.prefix}${type}` as EventType;
  }
}
