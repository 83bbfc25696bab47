// Applies pending migrations (core, then installed plugins') to DATABASE_URL or the embedded database.
import { loadConfig } from '../config.ts';
import { installKeyring, keyring } from '../crypto/keyring.ts';
import { resolveDataKeys, verifyDataKeys } from '../crypto/keys.ts';
import { openForCommand } from './open.ts';
import { migrateDatabase } from '../db/setup.ts';
import { loadInstalledPlugins } from '../plugin-host/config.ts';

const config = loadConfig();
// The data key encrypts customers a migration finds in plaintext (20261201230000_customer_encryption).
installKeyring(resolveDataKeys(config).keyring);
const db = await openForCommand(config, 'migrate');
const applied = await migrateDatabase(
  db,
  (await loadInstalledPlugins()).flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
);
await verifyDataKeys(db.prisma, keyring());
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
await db.close();
