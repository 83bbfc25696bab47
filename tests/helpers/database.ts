import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { allMigrations, migrateDatabase } from '../../src/db/setup.ts';
import { TEMPLATE_PREFIX, TEMPLATE_RUN_VARIABLE } from './postgres-templates.ts';
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
  const template = await migratedTemplate(pluginMigrationDirs);
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  await admin.end();
  const database = await openDatabase({ url: databaseUrl(name), onQuery, poolSize: 20 });
  // On a copy of the template this finds every migration applied (and checks their checksums).
  await migrateDatabase(database, pluginMigrationDirs);
  await verifyDataKeys(database.prisma, keyring());
  return {
    database,
    url: databaseUrl(name),
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

function databaseUrl(name: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A database migrated once per test run and set of plugins, that each test's database is copied
 * from (CREATE DATABASE … TEMPLATE): a copy takes a fraction of running every migration again.
 * Named after the run (tests/helpers/postgres-templates.ts sets it and drops them at the end);
 * without a run id (a file run outside vitest's global setup) every database is migrated afresh.
 */
async function migratedTemplate(pluginMigrationDirs: string[]): Promise<string | null> {
  const run = process.env[TEMPLATE_RUN_VARIABLE];
  if (!run) return null;
  const migrations = allMigrations(pluginMigrationDirs);
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(`${m.name}\0${m.checksum}\0`);
  const name = `${TEMPLATE_PREFIX}${run}_${hash.digest('hex').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    // Test files run side by side: one makes the template while the others wait for it.
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) {
      await admin.query(`CREATE DATABASE ${name}`);
      const database = await openDatabase({ url: databaseUrl(name), poolSize: 1 });
      try {
        await migrateDatabase(database, pluginMigrationDirs);
      } catch (error) {
        await database.close();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        throw error;
      }
      // Closed before anything copies it: PostgreSQL copies only a database nobody is connected to.
      await database.close();
    }
  } finally {
    await admin.end(); // ends the session, and its advisory lock with it
  }
  return name;
}
