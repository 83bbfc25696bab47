import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

// node(id:) reaches any object by id; the type's own checks must still apply.
describe('node(id:) respects store access', () => {
  let t: TestApp;
  let saleInShenzhen: string;
  beforeAll(async () => {
    t = await startTestApp();
    const sz = t.stores.find((s) => s.code === 'SZ-NS')!.id;
    const r = await t.as('OWNER').ok(RECORD_SALE, {
      input: { storeId: sz, externalId: uniqueId(), lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }], payments: [{ method: 'CASH', amount: '2.00' }] },
    });
    saleInShenzhen = r.recordSale.sale.id;
  });
  afterAll(() => t?.close());

  const query = `query($id: ID!) { node(id: $id) { id ... on Sale { total store { code } } } }`;

  it('lets the owner read a Shenzhen sale by id', async () => {
    const r = await t.as('OWNER').ok(query, { id: saleInShenzhen });
    expect(r.node).toMatchObject({ id: saleInShenzhen, total: '2.00', store: { code: 'SZ-NS' } });
  });

  it('refuses it to a Beijing cashier and to anonymous callers', async () => {
    const cashier = await t.as('CASHIER').gql(query, { id: saleInShenzhen });
    expect(cashier.data?.node ?? null).toBeNull();
    expect(cashier.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
    const anonymous = await t.gql(query, { id: saleInShenzhen });
    expect(anonymous.data?.node ?? null).toBeNull();
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toContain('UNAUTHENTICATED');
  });
});
