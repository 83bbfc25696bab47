// `npm run restore -- file`: a file `npm run backup` wrote, into DATABASE_URL (which must be an
// empty database) or into DATA_DIR's embedded database (no server may have it open; its previous
// content is moved aside, not deleted). Then `npm start`: migrations bring an older backup up to date.
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../config.ts';
import { restoreEmbedded, restorePostgres } from '../db/backup.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';

const config = loadConfig();
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npm run restore -- <backup file>\n');
  process.exit(2);
}
try {
  if (config.DATABASE_URL) {
    const client = new pg.Client({ connectionString: config.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    await client.end();
    await restorePostgres(config.DATABASE_URL, file, rows[0].n);
    process.stdout.write(`${file} restored into the PostgreSQL database\n`);
  } else {
    const kept = await restoreEmbedded(join(config.DATA_DIR, 'pglite'), file);
    process.stdout.write(
      `${file} restored into ${join(config.DATA_DIR, 'pglite')}${kept ? `; what it held before is in ${kept}` : ''}\n`,
    );
  }
} catch (error) {
  process.stderr.write(
    `restore failed: ${error instanceof DataDirLockedError ? error.message : (error as Error).message}\n`,
  );
  process.exit(1);
}
