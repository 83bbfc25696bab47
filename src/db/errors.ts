import { Prisma } from '../generated/prisma/client.ts';

/** True for the unique-violation Prisma reports when two requests insert the same key at once. */
export function isUniqueViolation(error: unknown): boolean {
  return (
    (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') ||
    (error instanceof Error && /unique constraint|duplicate key/i.test(error.message))
  );
}

/** True when PostgreSQL aborted the transaction to break a deadlock: nothing of it was kept. */
export function isDeadlock(error: unknown): boolean {
  const e = error as { code?: string; message?: string; meta?: { code?: string } };
  return e?.code === 'P2034' || e?.meta?.code === '40P01' || /deadlock detected/i.test(e?.message ?? '');
}

/**
 * True when the transaction failed only because of other transactions or the moment, and the same
 * request run again would succeed: a deadlock victim, a serialization failure, a lock or pool wait
 * that timed out. Nothing of the transaction was kept.
 */
export function isTransient(error: unknown): boolean {
  if (isDeadlock(error)) return true;
  const e = error as { code?: string; message?: string; meta?: { code?: string }; cause?: { code?: string } };
  const sqlState = e?.meta?.code ?? e?.cause?.code ?? e?.code;
  // 40001 serialization failure, 55P03 lock not available; Prisma: P2034 write conflict,
  // P2024 no pool connection in time, P2028 the interactive transaction timed out or was closed.
  return (
    ['40001', '55P03', 'P2034', 'P2024', 'P2028'].includes(sqlState ?? '') ||
    /could not serialize access|lock timeout|Unable to start a transaction in the given time|Transaction already closed/i.test(
      e?.message ?? '',
    )
  );
}
