import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, readMigrations, type DataStep, type Migration } from './migrate.ts';
import { keyring } from '../crypto/keyring.ts';
import { encryptPlaintextCustomers } from '../customers/personal.ts';
import type { Database } from './client.ts';

export const CORE_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

/** Core migrations, then each plugin's, every list in timestamp order. */
export function allMigrations(pluginDirs: string[] = []): Migration[] {
  return [CORE_MIGRATIONS_DIR, ...pluginDirs].flatMap(readMigrations);
}

/** What SQL cannot do in a migration, by the migration it follows (see DataStep). */
const DATA_STEPS: Record<string, DataStep> = {
  // Existing customers' phone, e-mail and birthday encrypted with the process's data key.
  '20261201230000_customer_encryption': async (session) => {
    await encryptPlaintextCustomers(session, keyring);
  },
};

export async function migrateDatabase(db: Database, pluginDirs: string[] = []) {
  return migrate(db.sql, allMigrations(pluginDirs), DATA_STEPS);
}

/**
 * The JWT signing secret: JWT_SECRET when set (required when several machines serve one
 * database), otherwise one generated on first start and kept in the data folder.
 */
export function resolveJwtSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
