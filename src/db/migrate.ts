import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface SqlSession {
  exec(sql: string): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}
export interface SqlRunner extends SqlSession {
  transaction(fn: (session: SqlSession) => Promise<void>): Promise<void>;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/**
 * Reads migrations in Prisma's layout (<dir>/<timestamp>_<name>/migration.sql), oldest first.
 * Core and plugins each keep their own directory; names sort by their timestamp prefix.
 */
export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => {
      const sql = readFileSync(join(dir, d.name, 'migration.sql'), 'utf8');
      return { name: d.name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

// The same table `prisma migrate deploy` keeps, so either tool can take over from the other.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

// Any fixed number works, as long as every process that migrates uses the same one.
const MIGRATION_LOCK_KEY = 72707369;

export class MigrationChecksumError extends Error {
  constructor(name: string) {
    super(`Migration ${name} was changed after it was applied; write a new migration instead of editing it.`);
  }
}

/**
 * A data step that must run right after a migration's SQL, in its transaction (what SQL alone
 * cannot do, like encrypting rows with a key only the application holds).
 */
export type DataStep = (session: SqlSession) => Promise<void>;

/**
 * Applies every migration not yet recorded, each in its own transaction, under an advisory
 * lock so that several API processes starting at once migrate exactly once. A migration named in
 * `dataSteps` has its step run after its SQL, before it is recorded.
 * Returns the names applied.
 */
export async function migrate(
  sql: SqlRunner,
  migrations: Migration[],
  dataSteps: Record<string, DataStep> = {},
): Promise<string[]> {
  const applied: string[] = [];
  await sql.transaction(async (session) => {
    await session.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await session.exec(CREATE_TABLE);
  });
  for (const migration of migrations) {
    await sql.transaction(async (session) => {
      await session.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const rows = await session.query(
        `SELECT checksum FROM "_prisma_migrations" WHERE migration_name = $1 AND rolled_back_at IS NULL
           AND finished_at IS NOT NULL`,
        [migration.name],
      );
      if (rows.length > 0) {
        if (rows[0]!.checksum !== migration.checksum) throw new MigrationChecksumError(migration.name);
        return;
      }
      await session.exec(migration.sql);
      await dataSteps[migration.name]?.(session);
      await session.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      applied.push(migration.name);
    });
  }
  return applied;
}
