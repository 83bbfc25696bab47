import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyEmbeddedTemplate, readEmbeddedTemplate } from './embedded-template.ts';
import { PrismaPg } from '@prisma/adapter-pg';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { SqlRunner } from './migrate.ts';
import { hasRequestScope, trackStatement } from './cancel.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { isUnavailable } from './errors.ts';

/** What /readyz says about the read replica. */
export type ReplicaStatus = 'up' | 'down' | 'lagging' | 'not configured';

export interface Database {
  prisma: PrismaClient;
  /**
   * For read-only analytics (reports, exports, dashboards): a client on DATABASE_REPLICA_URL when
   * one is set, else the same client as `prisma`. A replica may lag the primary by a moment, so
   * nothing that must read its own writes (a sale, then its points) uses it.
   */
  analytics: PrismaClient;
  kind: 'pglite' | 'postgres';
  /** What else may connect to the same database (the job queue): the server's URL, or the embedded instance. */
  backend: { kind: 'postgres'; url: string } | { kind: 'pglite'; pglite: PGlite };
  /** Runs raw SQL outside Prisma (migrations, benchmarks). */
  sql: SqlRunner;
  /** The embedded database's folder lock (null on PostgreSQL and in memory). */
  lock: DataDirLock | null;
  /** PostgreSQL pool figures for /metrics, per pool (primary, replica); empty on the embedded database. */
  poolStats(): { pool: 'primary' | 'replica'; total: number; idle: number; waiting: number }[];
  /** SQL statements sent so far, when opened with `countStatements` (DB_STATEMENT_METRICS=on). */
  statementCount?: () => number;
  /**
   * For /readyz: the replica answers and is no more than `replicaMaxLagSeconds` behind (asked now).
   * While it is `down` or `lagging`, `analytics` reads the primary.
   */
  replicaStatus(): Promise<ReplicaStatus>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… ; when absent the embedded PGlite database is used. */
  url?: string | undefined;
  /** postgres://… of a read replica for analytics queries (only with `url`). */
  replicaUrl?: string | undefined;
  /** Folder for the embedded database; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  /** Who opens the embedded database (`server`, `migrate`, `backup`…), named in its lock file. */
  purpose?: string;
  /** Called with every SQL statement Prisma sends (statement-count tests, debugging). */
  onQuery?: (sql: string) => void;
  /** Count statements for /metrics; it needs Prisma's query events, which cost a little on every statement. */
  countStatements?: boolean;
  poolSize?: number;
  /** false: a new embedded database starts empty (initdb), not from the migrated template (tests of migrations). */
  template?: boolean;
  /** An idle pooled connection failed (server restart, admin kill); the pool replaces it. */
  onConnectionError?: (error: Error) => void;
  /** A replica further behind than this (seconds) is not read (default 30). */
  replicaMaxLagSeconds?: number;
  /** The replica went down, started lagging, or is back: analytics moved to the primary or back. */
  onReplicaStatus?: (status: ReplicaStatus, detail: { error?: unknown; lagSeconds?: number }) => void;
  /**
   * PostgreSQL: longest a statement may run (ms) before the server cancels it; 0 for no limit.
   * Imports and migrations (`sql.transaction`) lift it for their own transaction.
   */
  statementTimeoutMs?: number;
}

/**
 * PostgreSQL settings of the embedded database. PGlite keeps PostgreSQL's default buffer cache of
 * 128 MB inside the process's WebAssembly memory, where every page read stays resident; the data
 * folder's files are in the operating system's page cache anyway, so a small cache costs little
 * speed and saves the process about 100 MiB (docs/benchmarks.md).
 */
export const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=16MB'];

function prismaLog(onQuery?: (sql: string) => void) {
  return onQuery ? ([{ emit: 'event', level: 'query' }] as const) : undefined;
}

export async function openDatabase(given: DatabaseOptions): Promise<Database> {
  let statements = 0;
  const options: DatabaseOptions = given.countStatements
    ? {
        ...given,
        onQuery: (sql) => {
          statements++;
          given.onQuery?.(sql);
        },
      }
    : given;
  const database = await open(options);
  return given.countStatements ? { ...database, statementCount: () => statements } : database;
}

async function open(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const { Pool } = (await import('pg')).default;
    // A server that does not answer (a failover under way) fails a request after 10 s instead of
    // holding it; keep-alive notices a connection whose server vanished.
    const pool = new Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    });
    // Without a listener, an error on an idle connection would crash the process.
    pool.on('error', (error) => options.onConnectionError?.(error));
    keepLentConnectionErrors(pool);
    cancelWithRequests(pool, options.url);
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool), log: prismaLog(options.onQuery) as never });
    attachQueryListener(prisma, options.onQuery);
    const replicaPool = options.replicaUrl
      ? new Pool({
          connectionString: options.replicaUrl,
          max: options.poolSize ?? 10,
          connectionTimeoutMillis: 3_000,
          keepAlive: true,
        })
      : null;
    replicaPool?.on('error', (error) => options.onConnectionError?.(error));
    if (replicaPool) keepLentConnectionErrors(replicaPool);
    const replica = replicaPool ? routeReplica(replicaPool, pool, options) : null;
    const analytics = replicaPool
      ? new PrismaClient({ adapter: new PrismaPg(replicaPool), log: prismaLog(options.onQuery) as never })
      : prisma;
    if (replicaPool) attachQueryListener(analytics, options.onQuery);
    const stats = (name: 'primary' | 'replica', p: InstanceType<typeof Pool>) => ({
      pool: name,
      total: p.totalCount,
      idle: p.idleCount,
      waiting: p.waitingCount,
    });
    return {
      prisma,
      analytics,
      kind: 'postgres',
      backend: { kind: 'postgres', url: options.url },
      lock: null,
      poolStats: () => [stats('primary', pool), ...(replicaPool ? [stats('replica', replicaPool)] : [])],
      replicaStatus: async () => (replica ? replica.check() : 'not configured'),
      sql: {
        exec: async (text) => {
          await pool.query(text);
        },
        query: async (text, params) => (await pool.query(text, params as unknown[])).rows,
        transaction: async (fn) => {
          const conn = await pool.connect();
          try {
            await conn.query('BEGIN');
            // Imports and migrations run long set-based statements by design.
            if (options.statementTimeoutMs) await conn.query('SET LOCAL statement_timeout = 0');
            await fn({
              exec: async (text) => {
                await conn.query(text);
              },
              query: async (text, params) => (await conn.query(text, params as unknown[])).rows,
            });
            await conn.query('COMMIT');
          } catch (error) {
            await conn.query('ROLLBACK');
            throw error;
          } finally {
            conn.release();
          }
        },
      },
      close: async () => {
        replica?.stop();
        await prisma.$disconnect();
        await pool.end();
        if (replicaPool) {
          await analytics.$disconnect();
          await replicaPool.end();
        }
      },
    };
  }

  const dataDir = options.dataDir ?? '.data/pglite';
  const inMemory = dataDir.startsWith('memory://');
  // Taken before PGlite touches the folder: a second process must not even read it (data-dir-lock.ts).
  const lock = inMemory ? null : lockDataDir(dataDir, options.purpose ?? 'server');
  try {
    if (!inMemory) mkdirSync(dataDir, { recursive: true });
    // Loaded only when used: a server on PostgreSQL does not carry the embedded database's ~40 MB.
    const [{ PGlite }, { PrismaPGlite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('pglite-prisma-adapter'),
    ]);
    // A new database starts from the cluster `npm install` initialised, instead of running initdb now.
    const useTemplate = options.template ?? true;
    if (useTemplate && !inMemory && !existsSync(join(dataDir, 'PG_VERSION'))) copyEmbeddedTemplate(dataDir);
    const template = useTemplate && inMemory ? readEmbeddedTemplate() : null;
    const pglite = new PGlite(dataDir, {
      ...(template ? { loadDataDir: template } : {}),
      startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS],
    });
    await pglite.waitReady;
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite), log: prismaLog(options.onQuery) as never });
    attachQueryListener(prisma, options.onQuery);
    return {
      prisma,
      analytics: prisma,
      kind: 'pglite',
      backend: { kind: 'pglite', pglite },
      lock,
      poolStats: () => [],
      replicaStatus: async () => 'not configured',
      sql: pgliteRunner(pglite),
      close: async () => {
        try {
          await prisma.$disconnect();
          // The adapter may already have closed it on disconnect.
          if (!pglite.closed) await pglite.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/**
 * Routes the replica pool's connections: while the replica answers and keeps up, they are the
 * replica's; while it is down or lagging, the primary's, so reports and exports keep working (on
 * the primary) instead of failing. A connection the replica refuses marks it down at once; a check
 * every few seconds (and every /readyz) measures its lag and brings it back.
 */
function routeReplica(
  replica: InstanceType<typeof import('pg').Pool>,
  primary: typeof replica,
  options: DatabaseOptions,
) {
  const maxLag = options.replicaMaxLagSeconds ?? 30;
  let status: ReplicaStatus = 'up';
  const set = (next: ReplicaStatus, detail: { error?: unknown; lagSeconds?: number }) => {
    if (next === status) return;
    status = next;
    options.onReplicaStatus?.(next, detail);
  };
  const replicaConnect = replica.connect.bind(replica) as () => Promise<import('pg').PoolClient>;
  const connect = async (): Promise<import('pg').PoolClient> => {
    if (status !== 'up') return primary.connect();
    try {
      return await replicaConnect();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      set('down', { error });
      return primary.connect();
    }
  };
  // pg-pool calls connect with a callback from query(), without one from callers like Prisma's adapter.
  replica.connect = ((callback?: (err: Error | undefined, client?: unknown, release?: unknown) => void) => {
    if (!callback) return connect();
    connect().then(
      (client) => callback(undefined, client, client.release),
      (err) => callback(err),
    );
  }) as typeof replica.connect;

  const check = async (): Promise<ReplicaStatus> => {
    let client: import('pg').PoolClient | null = null;
    try {
      client = await replicaConnect();
      // Caught up when it has replayed all it received; else how old its last replayed commit is.
      const { rows } = await client.query(
        `SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8 AS lag`,
      );
      const lagSeconds = Number(rows[0]?.lag ?? 0);
      set(lagSeconds > maxLag ? 'lagging' : 'up', { lagSeconds });
      client.release();
    } catch (error) {
      client?.release(error as Error); // a broken connection is not given back to the pool
      set('down', { error });
    }
    return status;
  };
  const timer = setInterval(() => void check(), 5_000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

type PgPool = InstanceType<typeof import('pg')['default']['Pool']>;
type PgClient = InstanceType<typeof import('pg')['default']['Client']>;

/**
 * The pool listens for errors only on idle connections. A connection lent out but between two
 * statements (a transaction's gap, the wait for a cancel below) that the server cuts (a restart, a
 * failover) would emit an error nobody listens for: an uncaught exception. Its next statement fails
 * instead (the request is told to try again) and pg-pool drops the broken connection on release.
 */
function keepLentConnectionErrors(pool: PgPool) {
  pool.on('connect', (client: PgClient) => {
    client.on('error', () => {});
  });
}

/**
 * Ties the pool's statements to the request that sent them (src/db/cancel.ts): a request whose
 * client has gone sends no further statement, and the one it is running is cancelled with
 * `pg_cancel_backend` from a connection of its own (the pool may be exhausted). The connection
 * is not given back to the pool before the cancel has been delivered, so it never hits another
 * request's statement.
 */
function cancelWithRequests(pool: PgPool, url: string) {
  const cancelling = new Map<number, Promise<void>>();
  const cancel = (pid: number, stillRunning: () => boolean) => {
    if (cancelling.has(pid)) return;
    const done = (async () => {
      const { Client } = (await import('pg')).default;
      const admin = new Client({ connectionString: url });
      try {
        await admin.connect();
        if (stillRunning()) await admin.query('SELECT pg_cancel_backend($1)', [pid]);
      } catch {
        // The statement ends by itself (or by statement_timeout).
      } finally {
        await admin.end().catch(() => {});
      }
    })();
    cancelling.set(pid, done);
    void done.finally(() => cancelling.delete(pid));
  };
  pool.on('connect', (client: PgClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const pid = (client as unknown as { processID?: number }).processID;
      const callback = typeof args.at(-1) === 'function' ? (args.at(-1) as (e: unknown, r?: unknown) => void) : null;
      let finished: (() => void) | null = null;
      try {
        // A ROLLBACK always goes out: the connection must not go back to the pool inside a transaction.
        if (!isRollback(args[0])) finished = trackStatement(pid, cancel);
      } catch (error) {
        if (callback) {
          process.nextTick(() => callback(error));
          return undefined;
        }
        return Promise.reject(error);
      }
      if (!finished) return query(...args);
      const end = async () => {
        finished!();
        await cancelling.get(pid!);
      };
      if (callback) {
        args[args.length - 1] = (e: unknown, r: unknown) => void end().then(() => callback(e, r));
        return query(...args);
      }
      return (query(...args) as Promise<unknown>).then(
        async (r) => {
          await end();
          return r;
        },
        async (e) => {
          await end();
          throw e;
        },
      );
    };
  });
  // pool.query takes a connection in a callback that may run in another request's async context:
  // within a request, take the connection here (this context), then query it.
  const poolQuery = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (!hasRequestScope() || typeof args.at(-1) === 'function') return poolQuery(...args);
    return (async () => {
      const client = await pool.connect();
      try {
        const result = await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
        client.release();
        return result;
      } catch (error) {
        // As pg's own pool.query does: a connection that failed a statement is not reused.
        client.release(error as Error);
        throw error;
      }
    })();
  };
}

function isRollback(query: unknown): boolean {
  const text = typeof query === 'string' ? query : (query as { text?: unknown } | null)?.text;
  return typeof text === 'string' && /^\s*ROLLBACK\b/i.test(text);
}

function attachQueryListener(prisma: PrismaClient, onQuery?: (sql: string) => void) {
  if (!onQuery) return;
  (prisma as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) =>
    onQuery(e.query),
  );
}

/** Raw SQL on an embedded database, outside Prisma (migrations, the embedded template). */
export function pgliteRunner(pglite: PGlite): SqlRunner {
  const session = (db: Pick<PGlite, 'exec' | 'query'>) => ({
    exec: async (text: string) => {
      await db.exec(text);
    },
    query: async (text: string, params?: unknown[]) => (await db.query(text, params)).rows as Record<string, unknown>[],
  });
  return {
    ...session(pglite),
    transaction: async (fn) => {
      await pglite.transaction((t) => fn(session(t)));
    },
  };
}
