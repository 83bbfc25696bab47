import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/setup.ts';

/** PostgreSQL server for tests that need one: TEST_POSTGRES_URL, else DATABASE_URL. */
export const postgresUrl = process.env.TEST_POSTGRES_URL || process.env.DATABASE_URL || '';
export const redisUrl = process.env.REDIS_URL || '';

export interface TestDatabase {
  database: Database;
  /** Connection string, for child processes (PostgreSQL only). */
  url: string | null;
  /** Every SQL statement Prisma sent, in order; clear it to count a block's statements. */
  statements: string[];
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own: PostgreSQL (a new database on the server, dropped
 * afterwards) when `kind` is 'postgres' or DATABASE_URL is set, otherwise in-memory PGlite.
 */
export async function createTestDatabase(
  kind: 'default' | 'postgres' = 'default',
  pluginMigrationDirs: string[] = [],
): Promise<TestDatabase> {
  const statements: string[] = [];
  const onQuery = (sql: string) => statements.push(sql);
  const usePostgres = kind === 'postgres' || Boolean(process.env.DATABASE_URL);
  if (!usePostgres) {
    const database = await openDatabase({ dataDir: 'memory://', onQuery });
    await migrateDatabase(database, pluginMigrationDirs);
    return { database, url: null, statements, drop: () => database.close() };
  }
  if (!postgresUrl) throw new Error('Set TEST_POSTGRES_URL or DATABASE_URL to run PostgreSQL tests.');
  const name = `storecrm_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), onQuery, poolSize: 20 });
  await migrateDatabase(database, pluginMigrationDirs);
  return {
    database,
    url: url.toString(),
    statements,
    drop: async () => {
      await database.close().catch(() => {}); // a test may have closed it already
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
