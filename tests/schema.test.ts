import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDatamodel } from '../src/generated/pothos-prisma-types.ts';
import { printSchemaSdl } from '../src/schema/print.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import configured from '../plugins/config.ts';

describe('published schema', () => {
  it('schema/schema.graphql is what the code builds (run `npm run schema:print` after API changes)', async () => {
    const committed = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(await printSchemaSdl());
  });
});

describe('migrations', () => {
  let db: TestDatabase;
  // The configured plugins (plugins/config.ts): the generated client holds exactly their models.
  const pluginMigrations = configured.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : []));
  // A plugin in the tree that the configuration does not install has no models in the client, but its tables
  // are in every embedded database (the template applies every migration of the tree); a plugin that keeps its
  // tables with plain SQL (campaigns) has none either: their own tests check those tables.
  const pluginsDir = fileURLToPath(new URL('../plugins', import.meta.url));
  const sqlOnly = configured.filter((p) => p.migrationsDir && !p.prismaSchema).map((p) => resolve(p.migrationsDir!));
  const tablesOutsideTheClient = new Set(
    readdirSync(pluginsDir, { withFileTypes: true })
      .map((d) => join(pluginsDir, d.name, 'migrations'))
      .filter((dir) => existsSync(dir) && (!pluginMigrations.some((m) => resolve(m) === dir) || sqlOnly.includes(dir)))
      .flatMap((dir) => readdirSync(dir).map((m) => readFileSync(join(dir, m, 'migration.sql'), 'utf8')))
      .flatMap((sql) => [...sql.matchAll(/CREATE TABLE "(\w+)"/g)].map((m) => m[1]!)),
  );
  beforeAll(async () => {
    db = await createTestDatabase('default', pluginMigrations);
  });
  afterAll(() => db?.drop());

  // Prisma's type for each scalar, as PostgreSQL reports it (udt_name) for our @db attributes.
  const udt: Record<string, string[]> = {
    String: ['text', 'uuid'],
    Int: ['int4'],
    BigInt: ['int8'],
    Boolean: ['bool'],
    DateTime: ['timestamp', 'date'],
    Decimal: ['numeric'],
    Json: ['jsonb'],
  };

  it('create every table and column of schema.prisma with matching type and nullability', async () => {
    const columns = await db.database.sql.query(
      `SELECT table_name, column_name, is_nullable, udt_name FROM information_schema.columns
       WHERE table_schema = 'public'`,
    );
    const byKey = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c]));
    const { models } = getDatamodel().datamodel as unknown as {
      models: Record<
        string,
        { fields: { name: string; kind: string; type: string; isRequired: boolean; isList: boolean }[] }
      >;
    };
    let checked = 0;
    for (const [model, { fields }] of Object.entries(models)) {
      for (const field of fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum')) {
        const column = byKey.get(`${model}.${field.name}`);
        expect(column, `${model}.${field.name} has a column`).toBeDefined();
        // Prisma leaves scalar-list columns nullable and treats NULL as an empty list.
        expect(column!.is_nullable, `${model}.${field.name} nullability`).toBe(
          field.isRequired && !field.isList ? 'NO' : 'YES',
        );
        const type = String(column!.udt_name).replace(/^_/, '');
        if (field.kind === 'enum') expect(type).toBe(field.type);
        else expect(udt[field.type], `${model}.${field.name} type ${type}`).toContain(type);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    const tables = new Set(columns.map((c) => c.table_name));
    expect(
      [...tables].filter((t) => t !== '_prisma_migrations' && !tablesOutsideTheClient.has(String(t))).sort(),
    ).toEqual(Object.keys(models).sort());
  });

  it('record each migration with its checksum and apply nothing twice', async () => {
    const { migrateDatabase } = await import('../src/db/setup.ts');
    expect(await migrateDatabase(db.database, pluginMigrations)).toEqual([]);
    const rows = await db.database.sql.query(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at).not.toBeNull();
    }
  });

  it('refuse to run when an applied migration was edited afterwards', async () => {
    const { migrate, readMigrations, MigrationChecksumError } = await import('../src/db/migrate.ts');
    const { CORE_MIGRATIONS_DIR } = await import('../src/db/setup.ts');
    const edited = readMigrations(CORE_MIGRATIONS_DIR).map((m, i) =>
      i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m,
    );
    await expect(migrate(db.database.sql, edited)).rejects.toBeInstanceOf(MigrationChecksumError);
  });
});
