import { LRUCache } from 'lru-cache';
import type { EventType } from './domain-events.ts';

/** What the cache needs from the event bus: local handlers and the shared (cross-process) stream. */
export interface InvalidationSource {
  on(type: EventType, handler: () => void): void;
  subscribe(type: EventType): AsyncIterable<unknown>;
  /** True when events also come from other processes (Redis). */
  readonly distributed: boolean;
  /** True when every process's changes are known to arrive (false while Redis is away). */
  readonly coherent: boolean;
}

export interface RegionOptions {
  /** Entries kept (least recently used go first). */
  max?: number;
  /** A safety net, not the mechanism: Redis pub/sub delivers at most once, so a lost message is bounded by this. */
  ttlMs?: number;
}

/** What a region asks before it answers from memory. */
type Trust = () => boolean;

/**
 * Process-local caches of reference data that every sale reads and almost nothing writes: stores,
 * products by code, API keys, loyalty rules, tier definitions. A region is dropped whole when one
 * of the events named for it is published — at once in the process that committed the change
 * (before its mutation answers), and in every other API process as the event arrives through
 * Redis. A load that was under way when the region was dropped is not kept, so a value read
 * before a change never outlives the change's event.
 *
 * While Redis is away (the bus is not `coherent`), another process's change could not be heard,
 * so every region is bypassed: reads go to the database, nothing is kept, and a price change or a
 * revoked API key made anywhere takes effect at once. The bus drops every region when Redis goes
 * and again when it is back (and subscribed), after which the caches are trusted again.
 */
export class ReferenceCache {
  private readonly regions = new Map<string, CacheRegion<unknown>>();
  private readonly streams: AsyncIterator<unknown>[] = [];
  private closed = false;

  constructor(private readonly source: InvalidationSource) {}

  /** The region `name`, created on first use; `invalidatedBy` lists the events that drop it. */
  region<V>(name: string, invalidatedBy: EventType[], options: RegionOptions = {}): CacheRegion<V> {
    const existing = this.regions.get(name);
    if (existing) return existing as CacheRegion<V>;
    const region = new CacheRegion<V>(options, () => this.source.coherent);
    this.regions.set(name, region as CacheRegion<unknown>);
    for (const type of invalidatedBy) {
      this.source.on(type, () => region.clear());
      // Other processes' changes arrive only through Redis; alone, the handler above sees everything.
      if (this.source.distributed) void this.follow(type, region as CacheRegion<unknown>);
    }
    return region;
  }

  /** Drops everything (after a reconnect to Redis, when invalidations may have been missed). */
  clearAll(): void {
    for (const region of this.regions.values()) region.clear();
  }

  /** Stops following other processes' events (before the Redis connection closes). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.streams.map((stream) => stream.return?.()));
  }

  private async follow(type: EventType, region: CacheRegion<unknown>) {
    const stream = this.source.subscribe(type)[Symbol.asyncIterator]();
    this.streams.push(stream);
    while (!this.closed) {
      const next = await stream.next().catch(() => ({ done: true as const, value: undefined }));
      if (next.done) return;
      region.clear();
    }
  }
}

export class CacheRegion<V> {
  private readonly entries: LRUCache<string, { value: V }>;
  private generation = 0;

  constructor(
    options: RegionOptions,
    private readonly trusted: Trust = () => true,
  ) {
    this.entries = new LRUCache({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 5 * 60_000 });
  }

  /** The cached value, or `load()`'s (kept unless it is null or the region was dropped meanwhile). */
  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    if (!this.trusted()) return load();
    const hit = this.entries.get(key);
    if (hit) return hit.value;
    const generation = this.generation;
    const value = await load();
    if (value !== null && generation === this.generation) this.entries.set(key, { value });
    return value;
  }

  /** Several values at once: the ones not cached are loaded together by `loadMissing`. */
  async getMany(keys: string[], loadMissing: (missing: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    if (!this.trusted()) return loadMissing(keys);
    const found = new Map<string, V>();
    const missing: string[] = [];
    for (const key of keys) {
      const hit = this.entries.get(key);
      if (hit) found.set(key, hit.value);
      else missing.push(key);
    }
    if (!missing.length) return found;
    const generation = this.generation;
    const loaded = await loadMissing(missing);
    for (const [key, value] of loaded) {
      found.set(key, value);
      if (generation === this.generation) this.entries.set(key, { value });
    }
    return found;
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
