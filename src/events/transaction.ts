import { isDeadlock, isSerializationFailure, isTransient, isUnavailable } from '../db/errors.ts';
import { TryAgainError } from '../errors/index.ts';
import type { Db, Tx } from '../db/tx.ts';
import type { EventBus } from './bus.ts';
import type { ReferenceCache } from './reference-cache.ts';
import type { DomainEvent, DomainEvents, EventType } from './domain-events.ts';

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
 * is announced. A transaction PostgreSQL aborts to break a deadlock (or a serialization failure)
 * is run again, up to five times with a short random pause: `fn` must only touch the database and
 * `emit`, which domain functions do. A transient failure that outlasts that (or a wait for a
 * connection that timed out) becomes a TryAgainError: the caller gets a typed, retryable error,
 * never a masked internal one. So does a database that cannot be reached or drops the connection
 * (`reason: 'unavailable'`).
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
      let afterCommit: (() => void) | null = null;
      const result = await db.$transaction(
        async (tx) => {
          const value = await fn({ tx, emit, cache: bus.cache });
          // The outbox (webhooks): what must be delivered is written with the change, so a process
          // that dies right after the commit loses nothing. No statement when nothing is wanted.
          if (pending.length && bus.outbox) afterCommit = await bus.outbox(tx, pending);
          return value;
        },
        { timeout: options.timeoutMs ?? 30_000, maxWait: 20_000 },
      );
      for (const event of pending) if (event.type === 'sale.recorded') event.payload.committedAt = Date.now();
      // Queues the first delivery attempts; never awaited, so a sale's answer does not wait for the queue.
      (afterCommit as (() => void) | null)?.();
      await bus.publish(pending);
      return result;
    } catch (error) {
      // PostgreSQL broke a deadlock by aborting this transaction: nothing of it was kept, so it runs again.
      if (attempt < MAX_ATTEMPTS && (isDeadlock(error) || isSerializationFailure(error))) {
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        continue;
      }
      if (!(error instanceof TryAgainError) && isTransient(error)) throw new TryAgainError(error);
      // The database restarted or failed over under the transaction: not run again here (a COMMIT
      // in flight may have been kept); the caller's idempotent retry settles it.
      if (!(error instanceof TryAgainError) && isUnavailable(error)) throw new TryAgainError(error, 'unavailable');
      throw error;
    }
  }
}

const MAX_ATTEMPTS = 5;
