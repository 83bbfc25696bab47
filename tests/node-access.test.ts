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
      input: {
        storeId: sz,
        externalId: uniqueId(),
        lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
        payments: [{ method: 'CASH', amount: '2.00' }],
      },
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

describe('malformed ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ seed: false });
  });
  afterAll(() => t?.close());

  it("are the caller's mistake (BAD_USER_INPUT, INVALID_ID), in queries and mutations alike", async () => {
    const notUuid = Buffer.from('Sale:not-a-uuid').toString('base64');
    for (const [query, variables] of [
      [`query($id: ID!) { sale(id: $id) { id } }`, { id: notUuid }],
      [`query($id: ID!) { node(id: $id) { id } }`, { id: '!!!' }],
      [`mutation($id: ID!) { refundSale(saleId: $id, externalId: "R") { __typename } }`, { id: notUuid }],
    ] as const) {
      const r = await t.gql(query, variables);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'INVALID_ID' });
    }
  });
});
