import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { postgresUrl } from '../helpers/database.ts';
import { exited, faultDatabase, gql, prepareSelling, runToExit, SALE, saleInput } from './api-process.ts';

/**
 * `npm run backup` of a running server's database (demo data: sales, points, tiers, stock), then
 * `npm run restore` into a fresh one: the same counts and sums. On the embedded database, and in
 * the PostgreSQL pass on PostgreSQL (pg_dump / pg_restore).
 */
const FIGURES = `SELECT
  (SELECT count(*) FROM "Sale")::int AS sales,
  (SELECT coalesce(sum(total), 0) FROM "Sale")::text AS "salesTotal",
  (SELECT count(*) FROM "SaleLine")::int AS "saleLines",
  (SELECT count(*) FROM "Payment")::int AS payments,
  (SELECT count(*) FROM "PointsLedgerEntry")::int AS "ledgerEntries",
  (SELECT coalesce(sum(points), 0) FROM "PointsLedgerEntry")::int AS "ledgerPoints",
  (SELECT coalesce(sum(balance), 0) FROM "PointsAccount")::int AS "pointsBalance",
  (SELECT count(*) FROM "MemberTier")::int AS "memberTiers",
  (SELECT count(*) FROM "TierChange")::int AS "tierChanges",
  (SELECT coalesce(sum("onHand"), 0) FROM "StockLevel")::int AS "onHand",
  (SELECT count(*) FROM "StockMovement")::int AS movements,
  (SELECT count(*) FROM "Customer")::int AS customers,
  (SELECT count(*) FROM "_prisma_migrations")::int AS migrations`;

type Figures = Record<string, number | string>;

describe('backup and restore', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it.skipIf(Boolean(process.env.DATABASE_URL))(
    'embedded: backs up while the server runs, restores into a fresh folder with the same figures',
    async () => {
      const source = await faultDatabase('embedded');
      cleanup.push(source.drop);
      const api = await source.start();
      cleanup.push(async () => void api.child.kill('SIGKILL'));
      await sellSome(api.port);
      const file = join(source.dir, 'backups', 'embedded.tar.gz');

      const backup = await runToExit(['src/cli/backup.ts', file], source.env);
      expect(backup.code, backup.output).toBe(0);
      // Restoring over a folder a server has open is refused.
      const over = await runToExit(['src/cli/restore.ts', file], source.env);
      expect(over.code).not.toBe(0);
      expect(over.output).toContain(`process ${api.child.pid}`);

      await api.stop();
      expect(await exited(api)).toBe(0);
      const before = await embeddedFigures(join(source.dir, 'pglite'));

      const target = await faultDatabase('embedded');
      cleanup.push(target.drop);
      const restore = await runToExit(['src/cli/restore.ts', file], target.env);
      expect(restore.code, restore.output).toBe(0);
      const after = await embeddedFigures(join(target.dir, 'pglite'));
      expect(after).toEqual(before);
      expectSubstance(before);
    },
  );

  it.skipIf(!process.env.DATABASE_URL)(
    'PostgreSQL: pg_dump while the server runs, pg_restore into an empty database with the same figures',
    async () => {
      const source = await faultDatabase();
      cleanup.push(source.drop);
      const api = await source.start();
      cleanup.push(async () => void api.child.kill('SIGKILL'));
      await sellSome(api.port);
      const file = join(source.dir, 'backups', 'postgres.dump');

      const backup = await runToExit(['src/cli/backup.ts', file], source.env);
      expect(backup.code, backup.output).toBe(0);
      await api.stop();
      const before = await postgresFigures(source.url!);

      // Into a database that is not empty: refused, nothing touched.
      const over = await runToExit(['src/cli/restore.ts', file], source.env);
      expect(over.code).not.toBe(0);
      expect(over.output).toContain('not empty');

      const name = `storecrm_restore_${randomBytes(5).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      cleanup.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      const url = new URL(postgresUrl);
      url.pathname = `/${name}`;
      const restore = await runToExit(['src/cli/restore.ts', file], { ...source.env, DATABASE_URL: url.toString() });
      expect(restore.code, restore.output).toBe(0);
      const after = await postgresFigures(url.toString());
      expect(after).toEqual(before);
      expectSubstance(before);
    },
  );
});

/** A few sales of its own on top of the demo data, so the backup holds writes made just before it. */
async function sellSome(port: number) {
  const { store, sku } = await prepareSelling(port);
  for (let i = 0; i < 5; i++) {
    const r = await gql(port, SALE, { input: saleInput(store, sku, `BACKUP-${i}`) });
    expect(r.data.recordSale.__typename).toBe('RecordSalePayload');
  }
}

function expectSubstance(f: Figures) {
  expect(f.sales).toBeGreaterThan(100);
  expect(f.ledgerEntries).toBeGreaterThan(10);
  expect(f.memberTiers).toBeGreaterThan(10);
  expect(f.movements).toBeGreaterThan(10);
}

async function embeddedFigures(folder: string): Promise<Figures> {
  const database = await openDatabase({ dataDir: folder, purpose: 'test' });
  try {
    return (await database.sql.query(FIGURES))[0] as Figures;
  } finally {
    await database.close();
  }
}

async function postgresFigures(url: string): Promise<Figures> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(FIGURES)).rows[0];
  } finally {
    await c.end();
  }
}

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: postgresUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
