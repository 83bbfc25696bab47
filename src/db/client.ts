import { mkdirSync } from 'node:fs';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { SqlRunner } from './migrate.ts';

export interface Database {
  prisma: PrismaClient;
  kind: 'pglite' | 'postgres';
  /** Runs raw SQL outside Prisma (migrations, benchmarks). */
  sql: SqlRunner;
  /** PostgreSQL pool figures for /metrics; null on the embedded database. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… ; when absent the embedded PGlite database is used. */
  url?: string | undefined;
  /** Folder for the embedded database; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  /** Called with every SQL statement Prisma sends (statement-count tests, debugging). */
  onQuery?: (sql: string) => void;
  poolSize?: number;
  /** An idle pooled connection failed (server restart, admin kill); the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

function prismaLog(onQuery?: (sql: string) => void) {
  return onQuery ? ([{ emit: 'event', level: 'query' }] as const) : undefined;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const { Pool } = (await import('pg')).default;
    const pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // Without a listener, an error on an idle connection would crash the process.
    pool.on('error', (error) => options.onConnectionError?.(error));
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool), log: prismaLog(options.onQuery) as never });
    attachQueryListener(prisma, options.onQuery);
    return {
      prisma,
      kind: 'postgres',
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
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
      },
    };
  }

  const dataDir = options.dataDir ?? '.data/pglite';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  // Loaded only when used: a server on PostgreSQL does not carry the embedded database's ~40 MB.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  const pglite = new PGlite(dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite), log: prismaLog(options.onQuery) as never });
  attachQueryListener(prisma, options.onQuery);
  return {
    prisma,
    kind: 'pglite',
    poolStats: () => null,
    sql: {
      exec: async (text) => {
        await pglite.exec(text);
      },
      query: async (text, params) => (await pglite.query(text, params as unknown[])).rows as Record<string, unknown>[],
      transaction: async (fn) => {
        await pglite.transaction(async (t) => {
          await fn({
            exec: async (text) => {
              await t.exec(text);
            },
            query: async (text, params) => (await t.query(text, params as unknown[])).rows as Record<string, unknown>[],
          });
        });
      },
    },
    close: async () => {
      await prisma.$disconnect();
      // The adapter may already have closed it on disconnect.
      if (!pglite.closed) await pglite.close();
    },
  };
}

function attachQueryListener(prisma: PrismaClient, onQuery?: (sql: string) => void) {
  if (!onQuery) return;
  (prisma as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) =>
    onQuery(e.query),
  );
}
