import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiProcess } from '../helpers/process.ts';
import { exited, faultDatabase, gql, ownerToken, prepareSelling, runToExit, SALE, saleInput } from './api-process.ts';

/**
 * One process per embedded data folder: a second server, `npm run migrate` beside a running
 * server, and a server that cannot bind its port all exit non-zero and say why; a folder whose
 * server was killed opens again with every acknowledged sale.
 */
// The embedded pass runs it; the PostgreSQL pass (DATABASE_URL set) has no embedded folder to guard.
describe.skipIf(Boolean(process.env.DATABASE_URL))('one process per embedded data folder (embedded pass)', () => {
  const started: ApiProcess[] = [];
  const databases: Awaited<ReturnType<typeof faultDatabase>>[] = [];
  afterAll(async () => {
    for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    for (const d of databases) await d.drop();
  });

  it('refuses a second server and migrate on a folder in use, and reopens it after a kill', async () => {
    const db = await faultDatabase('embedded');
    databases.push(db);
    const first = await db.start();
    started.push(first);
    const { store, sku } = await prepareSelling(first.port);
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await gql(first.port, SALE, { input: saleInput(store, sku, `FOLDER-${i}`) });
      expect(r.data.recordSale.__typename).toBe('RecordSalePayload');
      acknowledged.push(r.data.recordSale.sale.id);
    }

    const second = await runToExit(['src/main.ts'], db.env, 60_000);
    expect(second.code).not.toBe(0);
    expect(second.output).toContain(db.dir);
    expect(second.output).toContain(`process ${first.child.pid}`);
    expect(second.output).not.toContain('store-crm API ready');

    const migrate = await runToExit(['src/cli/migrate.ts'], db.env, 60_000);
    expect(migrate.code).not.toBe(0);
    expect(migrate.output).toContain(db.dir);
    expect(migrate.output).toContain(`process ${first.child.pid}`);

    // The first server never noticed: it still sells.
    const after = await gql(first.port, SALE, { input: saleInput(store, sku, 'FOLDER-after') });
    expect(after.data.recordSale.__typename).toBe('RecordSalePayload');
    acknowledged.push(after.data.recordSale.sale.id);

    // Killed without a chance to clean up, its lock is left behind; the next start takes it over.
    first.child.kill('SIGKILL');
    await exited(first);
    const third = await db.start();
    started.push(third);
    const owner = await ownerToken(third.port);
    for (const id of acknowledged) {
      const r = await gql(third.port, `query($id: ID!) { sale(id: $id) { id } }`, { id }, owner);
      expect(r.data?.sale?.id, `sale ${id} after the kill`).toBe(id);
    }
    await third.stop();
    expect(third.child.exitCode).toBe(0);
  });

  it('exits non-zero, releasing the folder, when the port is taken', async () => {
    const db = await faultDatabase('embedded');
    databases.push(db);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runToExit(['src/main.ts'], { ...db.env, PORT: String(port) }, 120_000);
      expect(run.code).not.toBe(0);
      expect(run.output).toContain(`Port ${port}`);
    } finally {
      blocker.close();
    }
    // The folder was released: a server starts on it at once.
    const api = await db.start();
    started.push(api);
    await api.stop();
  });
});
