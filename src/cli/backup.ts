// `npm run backup [-- file]`: the database as one file. PostgreSQL (DATABASE_URL): pg_dump's custom
// format. Embedded: a gzipped tar of DATA_DIR's database, taken by the running server if there is
// one. Default file: backups/storecrm-<kind>-<time>.(dump|tar.gz). See docs/deployment.md.
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { backupEmbedded, backupPostgres } from '../db/backup.ts';
import { openForCommand } from './open.ts';

const config = loadConfig();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const file =
  process.argv[2] ??
  join('backups', config.DATABASE_URL ? `storecrm-postgres-${stamp}.dump` : `storecrm-embedded-${stamp}.tar.gz`);
try {
  if (config.DATABASE_URL) {
    await backupPostgres(config.DATABASE_URL, file);
    process.stdout.write(`backup of the PostgreSQL database written to ${file}\n`);
  } else {
    const bytes = await backupEmbedded(join(config.DATA_DIR, 'pglite'), file, () => openForCommand(config, 'backup'));
    process.stdout.write(`backup of the embedded database (${bytes} bytes) written to ${file}\n`);
  }
} catch (error) {
  process.stderr.write(`backup failed: ${(error as Error).message}\n`);
  process.exit(1);
}
