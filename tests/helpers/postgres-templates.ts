import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Names of the migrated template databases of one test run (tests/helpers/database.ts). */
export const TEMPLATE_PREFIX = 'storecrm_tpl_';
export const TEMPLATE_RUN_VARIABLE = 'STORECRM_TEST_TEMPLATE_RUN';

/**
 * Vitest global setup: gives the run an id (the test files' processes inherit it) under which
 * they share migrated template databases on the PostgreSQL server, and drops this run's templates
 * at the end. Another run at the same time (another checkout) has templates of its own.
 */
export default function postgresTemplates() {
  const server = process.env.TEST_POSTGRES_URL || process.env.DATABASE_URL;
  if (!server) return;
  const run = randomBytes(4).toString('hex');
  process.env[TEMPLATE_RUN_VARIABLE] = run;
  return async () => {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
        `${TEMPLATE_PREFIX}${run}\\_%`,
      ]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
}
