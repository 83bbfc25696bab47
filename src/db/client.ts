import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyEmbeddedTemplate, readEmbeddedTemplate } from './embedded-template.ts';
import { PrismaPg } from '@prisma/adapter-pg';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { SqlRunner } from './migrate.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';

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
  /** For /readyz: the replica answers (true when there is none). */
  replicaHealthy(): Promise<boolean>;
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
  /** An idle pooled connection failed (server restart, admin kill); the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

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
    const pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // Without a listener, an error on an idle connection would crash the process.
    pool.on('error', (error) => options.onConnectionError?.(error));
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool), log: prismaLog(options.onQuery) as never });
    attachQueryListener(prisma, options.onQuery);
    const replicaPool = options.replicaUrl
      ? new Pool({ connectionString: options.replicaUrl, max: options.poolSize ?? 10 })
      : null;
    replicaPool?.on('error', (error) => options.onConnectionError?.(error));
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
      replicaHealthy: async () =>
        replicaPool
          ? replicaPool.query('SELECT 1').then(
              () => true,
              () => false,
            )
          : true,
      sql: {
        exec: async (text) => {
          await pool.query(text);
        },
        query: async (text, params) => (await pool.query(text, params as unknown[])).rows,
        transaction: async (fn) => {
          const conn = await pool.connect();
          try {
            await conn.query('BEGIN');
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
    if (!inMemory && !existsSync(join(dataDir, 'PG_VERSION'))) copyEmbeddedTemplate(dataDir);
    const template = inMemory ? readEmbeddedTemplate() : null;
    const pglite = new PGlite(dataDir, template ? { loadDataDir: template } : {});
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
      replicaHealthy: async () => true,
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
