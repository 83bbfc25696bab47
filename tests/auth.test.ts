import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand, RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';

const SIGN_IN = `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { __typename ... on SignInPayload { token name } ... on UserError { errorCode message field } } }`;

describe('authentication and access', () => {
  let t: TestApp;
  let slt: string;
  let sz: string;
  let saleInShenzhen: string;
  const sale = (storeId: string) => ({ storeId, externalId: uniqueId(), lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }], payments: [{ method: 'CASH', amount: '2.00' }] });
  const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    t = await startTestApp();
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    sz = t.stores.find((s) => s.code === 'SZ-NS')!.id;
    for (const storeId of [slt, sz]) {
      await t.as('OWNER').ok(`mutation($s: ID!) { adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "DR-001", quantity: 100 }]) { __typename } }`, { s: storeId });
    }
    saleInShenzhen = (await t.as('OWNER').ok(RECORD_SALE, { input: sale(sz) })).recordSale.sale.id;
  });
  afterAll(() => t?.close());

  describe('signing in', () => {
    it('accepts the phone in any usual form and gives a working token', async () => {
      const r = await t.ok(SIGN_IN, { l: '+86 138-0000-0001', p: 'demo-owner-1' });
      expect(r.signIn).toMatchObject({ __typename: 'SignInPayload', name: '周建国' });
      const me = await t.ok(`{ viewer { kind name storeRoles { role } } }`, {}, { token: r.signIn.token });
      expect(me.viewer).toMatchObject({ kind: 'staff', name: '周建国' });
      expect(me.viewer.storeRoles).toHaveLength(3);
    });

    it('gives the same answer for a wrong password and an unknown login', async () => {
      const wrong = await t.ok(SIGN_IN, { l: '13800000001', p: 'nope-nope' });
      const unknown = await t.ok(SIGN_IN, { l: '13899999999', p: 'nope-nope' });
      expect(wrong.signIn).toEqual({ __typename: 'InvalidInputError', errorCode: 'INVALID_CREDENTIALS', message: '账号或密码错误', field: ['password'] });
      expect(unknown.signIn).toEqual(wrong.signIn);
    });

    it('treats missing, forged and revoked credentials as anonymous', async () => {
      for (const token of [null, 'not-a-jwt', `${await t.token('OWNER')}x`]) {
        const r = await t.gql(`{ customers(first: 1) { edges { node { id } } } }`, {}, { token });
        expect(code(r)).toBe('UNAUTHENTICATED');
      }
      const r = await t.gql(RECORD_SALE, { input: sale(slt) }, { apiKey: 'sk_made_up' });
      expect(code(r)).toBe('UNAUTHENTICATED');
    });
  });

  describe('store scoping', () => {
    it('lets a Beijing cashier and the Beijing POS key sell in Beijing only', async () => {
      for (const who of [{ token: await t.token('CASHIER') }, { apiKey: t.posKey }]) {
        expect((await t.ok(RECORD_SALE, { input: sale(slt) }, who)).recordSale.__typename).toBe('RecordSalePayload');
        const before = await onHand(t, sz, 'DR-001');
        expect(code(await t.gql(RECORD_SALE, { input: sale(sz) }, who))).toBe('FORBIDDEN');
        expect(await onHand(t, sz, 'DR-001')).toBe(before);
        expect(code(await t.gql(`query($s: ID!) { sales(storeId: $s, first: 1) { edges { node { id } } } }`, { s: sz }, who))).toBe('FORBIDDEN');
        expect(code(await t.gql(`query($id: ID!) { sale(id: $id) { total } }`, { id: saleInShenzhen }, who))).toBe('FORBIDDEN');
      }
      expect(code(await t.as('MANAGER').gql(`query($s: ID!) { salesByDay(storeId: $s, from: "2026-01-01", to: "2026-01-31") { date } }`, { s: sz }))).toBe('FORBIDDEN');
    });

    it('shows a cashier only the sales of her own store in a customer\'s history', async () => {
      const c = await t.as('OWNER').ok(`mutation { createCustomer(input: { name: "跨店顾客", phone: "13077778888" }) { ... on Customer { id } } }`);
      const customerId = c.createCustomer.id;
      await t.as('OWNER').ok(RECORD_SALE, { input: { ...sale(slt), customerId } });
      await t.as('OWNER').ok(RECORD_SALE, { input: { ...sale(sz), customerId } });
      const history = `query($id: ID!) { customer(id: $id) { visitCount sales(first: 10) { edges { node { store { code } } } } } }`;
      const owner = await t.as('OWNER').ok(history, { id: customerId });
      expect(owner.customer.sales.edges.map((e: any) => e.node.store.code).sort()).toEqual(['BJ-SLT', 'SZ-NS']);
      const cashier = await t.as('CASHIER').ok(history, { id: customerId });
      expect(cashier.customer.visitCount).toBe(2);
      expect(cashier.customer.sales.edges.map((e: any) => e.node.store.code)).toEqual(['BJ-SLT']);
    });
  });

  describe('roles', () => {
    it('keeps cashiers out of browsing, merging and refunds', async () => {
      const cashier = t.as('CASHIER');
      expect(code(await cashier.gql(`{ customers(first: 1) { edges { node { id } } } }`))).toBe('FORBIDDEN');
      const mine = (await cashier.ok(RECORD_SALE, { input: sale(slt) })).recordSale.sale.id;
      expect(code(await cashier.gql(REFUND_SALE, { saleId: mine, externalId: 'R-cashier' }))).toBe('FORBIDDEN');
      expect((await t.as('MANAGER').ok(REFUND_SALE, { saleId: mine, externalId: 'R-manager' })).refundSale.__typename).toBe('RefundSalePayload');
    });

    it('lets a sales associate search customers but not sell', async () => {
      const associate = t.as('SALES_ASSOCIATE');
      expect((await associate.ok(`{ customers(first: 1) { edges { node { id } } } }`)).customers.edges).toHaveLength(1);
      expect(code(await associate.gql(RECORD_SALE, { input: sale(slt) }))).toBe('FORBIDDEN');
    });

    it('lets a manager refund in her store only', async () => {
      expect(code(await t.as('MANAGER').gql(REFUND_SALE, { saleId: saleInShenzhen, externalId: 'R-x' }))).toBe('FORBIDDEN');
      const s = await t.as('MANAGER').ok(`query($id: ID!) { node(id: $id) { id } }`, { id: saleInShenzhen }).catch((e: Error) => e.message);
      expect(String(s)).toMatch(/FORBIDDEN/);
    });

    it('shows product cost to managers, not to cashiers', async () => {
      const q = `{ product(sku: "DR-001") { price cost } }`;
      expect((await t.as('CASHIER').ok(q)).product.cost).toBeNull();
      expect((await t.as('MANAGER').ok(q)).product.cost).toMatch(/^\d+\.\d{2}$/);
    });

    it('says no in the caller\'s language', async () => {
      const zh = await t.as('CASHIER').gql(`{ customers(first: 1) { edges { node { id } } } }`);
      expect(zh.errors?.[0]?.message).toBe('当前账号无权执行此操作');
      const en = await t.as('CASHIER').gql(`{ customers(first: 1) { edges { node { id } } } }`, {}, { locale: 'en-GB,en;q=0.8' });
      expect(en.errors?.[0]?.message).toBe('Your account is not allowed to do this');
    });
  });

  describe('API keys', () => {
    const CREATE_KEY = `mutation($s: [ID!]!) { createApiKey(name: "深圳 POS-02", role: CASHIER, storeIds: $s) { __typename ... on CreateApiKeyPayload { key apiKey { id prefix role } } ... on UserError { errorCode } } }`;

    it('an owner issues a store-bound key; revoking it stops it at once', async () => {
      const created = (await t.as('OWNER').ok(CREATE_KEY, { s: [sz] })).createApiKey;
      expect(created.key.startsWith(created.apiKey.prefix)).toBe(true);
      expect((await t.ok(RECORD_SALE, { input: sale(sz) }, { apiKey: created.key })).recordSale.__typename).toBe('RecordSalePayload');
      expect(code(await t.gql(RECORD_SALE, { input: sale(slt) }, { apiKey: created.key }))).toBe('FORBIDDEN');
      await t.as('OWNER').ok(`mutation($id: ID!) { revokeApiKey(id: $id) { ... on ApiKey { revokedAt } } }`, { id: created.apiKey.id });
      expect(code(await t.gql(RECORD_SALE, { input: sale(sz) }, { apiKey: created.key }))).toBe('UNAUTHENTICATED');
    });

    it('a manager cannot issue keys for another store', async () => {
      expect(code(await t.as('MANAGER').gql(CREATE_KEY, { s: [sz] }))).toBe('FORBIDDEN');
    });
  });

  describe('request ids', () => {
    it('are returned on every response, keeping one the caller sent', async () => {
      const own = await t.app.yoga.fetch('http://test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'pos-01-abc' }, body: JSON.stringify({ query: '{ viewer { kind } }' }) });
      expect(own.headers.get('x-request-id')).toBe('pos-01-abc');
      const fresh = await t.app.yoga.fetch('http://test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ viewer { kind } }' }) });
      expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
