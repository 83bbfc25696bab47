import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { readMigrations, type Migration } from './migrate.ts';

/**
 * An initialised embedded cluster, made once by `npm install` (src/cli/embedded-template.ts):
 * initdb done, every migration in the tree applied (core's and every plugin folder's), the job
 * queue's schema created. Creating a PGlite database from nothing runs initdb inside WebAssembly,
 * about two seconds of a first start (and of every in-memory test database); unpacking this copy
 * takes a fraction of it. Its name is a fingerprint of the PGlite version and of those migrations:
 * after a migration is added or edited, or PGlite upgraded, no template matches and a new database
 * is created the slow way until `npm install` makes a new one.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_DIR = join(root, 'node_modules/.cache/storecrm');

/**
 * Core's migrations and those of every plugin folder, whether installed or not, in the order they
 * were written (their names begin with a timestamp): a plugin's tables come after what they refer to.
 */
export function treeMigrations(): Migration[] {
  const pluginsDir = join(root, 'plugins');
  const pluginDirs = existsSync(pluginsDir)
    ? readdirSync(pluginsDir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(pluginsDir, e.name, 'migrations')))
        .map((e) => join(pluginsDir, e.name, 'migrations'))
        .sort()
    : [];
  return [join(root, 'prisma/migrations'), ...pluginDirs]
    .flatMap(readMigrations)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The template for this tree, as an archive (for in-memory databases) and unpacked (copied for one on disk). */
function templatePaths(): { archive: string; dir: string } {
  const pglite = (
    JSON.parse(readFileSync(join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const hash = createHash('sha256').update(pglite);
  for (const m of treeMigrations()) hash.update(`\n${m.name}:${m.checksum}`);
  const name = `pglite-cluster-${hash.digest('hex').slice(0, 16)}`;
  return { archive: join(CACHE_DIR, `${name}.tgz`), dir: join(CACHE_DIR, name) };
}

/** For an in-memory database: the template matching this tree, when `npm install` made one. */
export function readEmbeddedTemplate(): Blob | null {
  const { archive } = templatePaths();
  return existsSync(archive) ? new Blob([readFileSync(archive)]) : null;
}

/**
 * For a new database on disk: copies the unpacked template into `dataDir` (a plain file copy is
 * faster than unpacking the archive there). False when there is no template for this tree.
 */
export function copyEmbeddedTemplate(dataDir: string): boolean {
  const { dir } = templatePaths();
  if (!existsSync(join(dir, 'PG_VERSION'))) return false;
  cpSync(dir, dataDir, { recursive: true });
  return true;
}

/** `prepare` brings the new cluster up to date (migrations, the job queue's schema) before it is saved. */
export async function writeEmbeddedTemplate(
  prepare: (pglite: PGlite, migrations: Migration[]) => Promise<void>,
): Promise<string> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite('memory://');
  await db.waitReady;
  await prepare(db, treeMigrations());
  const dump = await db.dumpDataDir('gzip');
  await db.close();
  const { archive, dir } = templatePaths();
  mkdirSync(CACHE_DIR, { recursive: true });
  // Templates of an earlier tree can never match again.
  for (const old of readdirSync(CACHE_DIR))
    if (old.startsWith('pglite-')) rmSync(join(CACHE_DIR, old), { recursive: true, force: true });
  writeFileSync(archive, Buffer.from(await dump.arrayBuffer()));
  const unpacked = new PGlite(dir, { loadDataDir: new Blob([readFileSync(archive)]) });
  await unpacked.waitReady;
  await unpacked.close();
  return archive;
}
