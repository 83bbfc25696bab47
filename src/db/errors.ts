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

/** True when PostgreSQL refused a serializable transaction's outcome (40001, Prisma's P2034): nothing was kept. */
export function isSerializationFailure(error: unknown): boolean {
  const e = error as { code?: string; meta?: { code?: string } };
  return e?.code === 'P2034' || e?.meta?.code === '40001';
}

/** PostgreSQL's class 22 (data exception: numeric out of range, invalid text…), however the driver wraps it. */
export function isDataException(error: Error): boolean {
  const e = error as {
    code?: string;
    meta?: { code?: string; driverAdapterError?: { cause?: { originalCode?: string } } };
    cause?: { code?: string; originalCode?: string };
  };
  const codes = [
    e.code,
    e.meta?.code,
    e.meta?.driverAdapterError?.cause?.originalCode,
    e.cause?.code,
    e.cause?.originalCode,
  ];
  return (
    codes.some((c) => typeof c === 'string' && /^22[0-9A-Z]{3}$/.test(c)) ||
    ['P2000', 'P2020', 'P2033'].includes(e.code ?? '')
  );
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
    ['40001', '55P03', 'P2034', 'P2024', 'P2028'].includes(sqlState ?? '') || TRANSIENT_MESSAGE.test(e?.message ?? '')
  );
}

const TRANSIENT_MESSAGE =
  /could not serialize access|lock timeout|Unable to start a transaction in the given time|Transaction already closed/i;

/**
 * True when the database could not be reached or the connection broke: the server is restarting
 * or failing over, refuses connections, or cut this one (PostgreSQL's class 08 and 57P0x, the
 * socket's ECONNREFUSED/ECONNRESET…, Prisma's P1001/P1017, pg's "Connection terminated"). What the
 * statement did is unknown only for a COMMIT in flight: an idempotent retry (a sale's `externalId`)
 * settles it. Looked for through the error's causes, however the driver and Prisma wrapped it.
 */
export function isUnavailable(error: unknown): boolean {
  for (let e = error as Failure | undefined, depth = 0; e && depth < 6; depth++) {
    const codes = [e.code, e.meta?.code, e.cause?.originalCode, e.meta?.driverAdapterError?.cause?.originalCode];
    if (codes.some((c) => typeof c === 'string' && (UNAVAILABLE_CODES.has(c) || /^08[0-9A-Z]{3}$/.test(c))))
      return true;
    const kind = e.kind ?? e.cause?.kind ?? e.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === 'string' && UNAVAILABLE_KINDS.has(kind)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    e = e.cause ?? e.meta?.driverAdapterError;
  }
  return false;
}

/** The shapes pg, the driver adapter and Prisma give a failure, as far as isUnavailable reads them. */
interface Failure {
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  originalCode?: unknown;
  cause?: Failure;
  meta?: { code?: unknown; driverAdapterError?: Failure };
}

const UNAVAILABLE_CODES = new Set([
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now (starting up, shutting down), too many connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // the socket
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  // Prisma: cannot reach the server, timed out, the server closed the connection
  'P1001',
  'P1002',
  'P1008',
  'P1017',
]);
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const UNAVAILABLE_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'terminating connection',
    'connection (?:timeout|is closed)',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error',
    'the database system is (?:starting up|shutting down|in recovery)',
    "Can't reach database server",
    'Server has closed the connection',
    'Cannot use a pool after calling end',
  ].join('|'),
  'i',
);
