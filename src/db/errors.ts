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
