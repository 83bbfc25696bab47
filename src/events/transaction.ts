import { isDeadlock } from '../db/errors.ts';
import type { Db, Tx } from '../db/types.ts';
import type { EventBus } from './bus.ts';
import type { ReferenceCache } from './reference-cache.ts';
import type { DomainEvent, DomainEvents, EventType } from './types.ts';

export type Emit = <K extends EventType>(type: K, payload: DomainEvents[K]) => void;

/**
 * What a domain function receives: the transaction, a way to announce what it changed, and the
 * process's cache of reference data (stores, products by code, rules) for reads that need not hit
 * the database on every sale.
 */
export interface Unit {
  tx: Tx;
  emit: Emit;
  cache: ReferenceCache;
}

/**
 * Runs `fn` in one database transaction. Events it emits are held back and published only
 * once the transaction has committed; if `fn` throws, everything is rolled back and nothing
 * is announced. A transaction PostgreSQL aborts to break a deadlock is run again (up to three
 * times): `fn` must only touch the database and `emit`, which domain functions do.
 */
export async function runInTransaction<T>(
  db: Db,
  bus: EventBus,
  fn: (unit: Unit) => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const pending: DomainEvent[] = [];
    const emit: Emit = (type, payload) => {
      pending.push({ type, payload } as DomainEvent);
    };
    try {
      // Generous limits: under a burst (many sales for one member or one SKU queue on the same row
      // locks) waiting a little longer beats failing a sale the POS would only have to resend.
      const result = await db.$transaction((tx) => fn({ tx, emit, cache: bus.cache }), {
        timeout: options.timeoutMs ?? 30_000,
        maxWait: 20_000,
      });
      for (const event of pending) if (event.type === 'sale.recorded') event.payload.committedAt = Date.now();
      await bus.publish(pending);
      return result;
    } catch (error) {
      // PostgreSQL broke a deadlock by aborting this transaction: nothing of it was kept, so it runs again.
      if (attempt >= MAX_ATTEMPTS || !isDeadlock(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

const MAX_ATTEMPTS = 3;
