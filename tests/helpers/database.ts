import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/setup.ts';
import { installKeyring, Keyring, keyring, parseDataKey } from '../../src/crypto/keyring.ts';
import { verifyDataKeys } from '../../src/crypto/keys.ts';

/**
 * The data key of tests: customers' phone, e-mail and birthday are encrypted with it, in this
 * process and in the API processes tests start (they inherit the environment).
 */
export const TEST_DATA_KEY = `test1:${createHash('sha256').update('storecrm test data key').digest('base64')}`;
process.env.DATA_ENCRYPTION_KEY ||= TEST_DATA_KEY;
installKeyring(new Keyring(parseDataKey(process.env.DATA_ENCRYPTION_KEY, 'DATA_ENCRYPTION_KEY')));

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
    await verifyDataKeys(database.prisma, keyring());
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
  await verifyDataKeys(database.prisma, keyring());
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
