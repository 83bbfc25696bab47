// Applies pending migrations (core, then installed plugins') to DATABASE_URL or the embedded database.
import { loadConfig } from '../config.ts';
import { openForCommand } from './open.ts';
import { migrateDatabase } from '../db/setup.ts';
import { loadInstalledPlugins } from '../plugin-host/config.ts';

const config = loadConfig();
const db = await openForCommand(config, 'migrate');
const applied = await migrateDatabase(
  db,
  (await loadInstalledPlugins()).flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
);
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
await db.close();
