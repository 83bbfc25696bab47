import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POS_KEY } from '../../src/demo/seed.ts';
import type { ApiProcess } from '../helpers/process.ts';
import { exited, faultDatabase, gql, post, prepareSelling, SALE, saleInput } from './api-process.ts';

/**
 * SIGKILL under a sales load, twice: the process gets no chance to flush or close anything. Every
 * sale it acknowledged is there after the restart, the database opens again, and the POS's retry of
 * a sale it never got an answer for is recorded once. On the embedded database, and on PostgreSQL
 * in the PostgreSQL pass.
 */
describe('SIGKILL under load loses no acknowledged sale', () => {
  let db: Awaited<ReturnType<typeof faultDatabase>>;
  let api: ApiProcess;
  beforeAll(async () => {
    db = await faultDatabase();
    api = await db.start();
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    await db?.drop();
  });

  it('keeps every acknowledged sale across two kills', async () => {
    const { store, sku, token } = await prepareSelling(api.port);
    const acknowledged = new Map<string, string>(); // externalId → sale id
    const unanswered: string[] = [];
    let n = 0;
    for (const round of [1, 2]) {
      const port = api.port;
      let stop = false;
      const till = async (t: number) => {
        while (!stop) {
          const externalId = `KILL-${round}-${t}-${++n}`;
          try {
            const r = await post(
              port,
              { query: SALE, variables: { input: saleInput(store, sku, externalId) } },
              DEMO_POS_KEY,
            );
            if (r.json?.data?.recordSale?.__typename === 'RecordSalePayload')
              acknowledged.set(externalId, r.json.data.recordSale.sale.id);
            else unanswered.push(externalId);
          } catch {
            unanswered.push(externalId); // the connection died with the process: no answer
          }
        }
      };
      const tills = Array.from({ length: 6 }, (_, t) => till(t));
      // Let sales flow, then kill in the middle of them.
      const before = acknowledged.size;
      while (acknowledged.size < before + 40) await new Promise((r) => setTimeout(r, 50));
      api.child.kill('SIGKILL');
      await exited(api);
      stop = true;
      await Promise.all(tills);
      api = await db.start();
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(80);

    const ids = [...acknowledged.values()];
    for (let i = 0; i < ids.length; i += 50) {
      const slice = ids.slice(i, i + 50);
      const r = await gql(api.port, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: slice }, token);
      expect(r.errors).toBeUndefined();
      for (const [k, id] of slice.entries()) expect(r.data.nodes[k]?.id, `acknowledged sale ${id}`).toBe(id);
    }

    // The POS resends what it never got an answer for: each is recorded at most once.
    for (const externalId of unanswered.slice(0, 10)) {
      const first = await gql(api.port, SALE, { input: saleInput(store, sku, externalId) });
      const second = await gql(api.port, SALE, { input: saleInput(store, sku, externalId) });
      expect(first.data.recordSale.__typename).toBe('RecordSalePayload');
      expect(second.data.recordSale).toMatchObject({ replayed: true, sale: { id: first.data.recordSale.sale.id } });
    }
  });
});
