import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';

/**
 * Opens the database a command works on (DATABASE_URL, or the embedded one in DATA_DIR). An
 * embedded database a server (or another command) has open is refused with who holds it, and the
 * command exits non-zero: two processes on one embedded folder lose data.
 */
export async function openForCommand(config: Config, purpose: string): Promise<Database> {
  try {
    return await openDatabase({ url: config.DATABASE_URL, dataDir: join(config.DATA_DIR, 'pglite'), purpose });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
