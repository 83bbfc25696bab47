import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { readEmbeddedTemplate, treeMigrations } from '../src/db/embedded-template.ts';
import { migrateDatabase } from '../src/db/setup.ts';

// `npm install` prepares an embedded cluster with every migration of the tree applied; a new
// embedded database starts as a copy of it instead of running initdb and the migrations.
describe('the embedded template', () => {
  it('exists for this tree once npm install has run', () => {
    expect(readEmbeddedTemplate(), 'no template for this tree: run npm install').not.toBeNull();
  });

  it('gives a new database on disk every migration already applied, and the job queue schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storecrm-template-'));
    try {
      const dataDir = join(dir, 'pglite');
      const database = await openDatabase({ dataDir });
      try {
        const recorded = await database.sql.query(
          `SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`,
        );
        expect(recorded).toEqual(treeMigrations().map((m) => ({ migration_name: m.name, checksum: m.checksum })));
        expect(await migrateDatabase(database, [])).toEqual([]); // nothing left to apply for core
        const schemas = await database.sql.query(
          `SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'jobqueue'`,
        );
        expect(schemas).toHaveLength(1);
        expect(await database.prisma.store.count()).toBe(0); // a copy of the template, not of anyone's data
        await database.sql.exec(
          `INSERT INTO "Store" (id, code, name, "updatedAt") VALUES (gen_random_uuid(), 'KEEP', '保留', now())`,
        );
      } finally {
        await database.close();
      }
      // An existing database is opened as it is, never replaced by the template.
      const reopened = await openDatabase({ dataDir });
      try {
        expect(await reopened.prisma.store.findMany({ select: { code: true } })).toEqual([{ code: 'KEEP' }]);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
