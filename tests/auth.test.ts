import { SignJWT } from 'jose';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type CallOptions, type GqlResult, type TestApp } from './helpers/app.ts';
import { onHand, RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';
import { subscribe, wsClient } from './helpers/ws.ts';

/**
 * Who may do what, through real GraphQL requests: sign-in, anonymous and forged credentials,
 * store scoping (a Beijing cashier and the Beijing POS key against Shenzhen), role limits, denial
 * messages in the caller's language, API keys, and request ids.
 */

const SIGN_IN = `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { __typename
  ... on SignInPayload { token name staffId } ... on UserError { errorCode message field } } }`;
const CUSTOMERS = `{ customers(first: 1) { edges { node { id } } } }`;
const SALES = `query($s: ID!) { sales(storeId: $s, first: 50) { totalCount edges { node { id store { code } } } } }`;
const SALE_BY_ID = `query($id: ID!) { sale(id: $id) { id total store { code } } }`;
const SALE_BY_EXTERNAL_ID = `query($s: ID!, $e: String!) { sale(storeId: $s, externalId: $e) { id status } }`;
const SALES_BY_DAY = `query($s: ID!) { salesByDay(storeId: $s, from: "2026-01-01", to: "2026-01-03") { date saleCount }
  }`;
const SALE_RECORDED = `subscription($stores: [ID!]) { saleRecorded(storeIds: $stores) { id externalId store { code } }
  }`;
const CREATE_KEY = `mutation($name: String!, $role: StaffRoleKind!, $s: [ID!]!) {
  createApiKey(name: $name, role: $role, storeIds: $s) {
    __typename
    ... on CreateApiKeyPayload { key apiKey { id name prefix role revokedAt } }
    ... on UserError { errorCode message }
  }
}`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) { __typename ... on ApiKey { id revokedAt }
  ... on UserError { errorCode } } }`;
const MERGE = `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename
  ... on Customer { id } ... on UserError { errorCode } } }`;

const FORBIDDEN_ZH = '当前账号无权执行此操作';
const FORBIDDEN_EN = 'Your account is not allowed to do this';
const UNAUTHENTICATED_ZH = '请先登录或提供 API 密钥';
const UNAUTHENTICATED_EN = 'Sign in or send an API key first';

type Errors = Pick<GqlResult, 'errors'>;
const code = (r: Errors) => r.errors?.[0]?.extensions?.code;
/** The one error of a denied request: its code, and no data leaked alongside it. */
function expectDenied(r: GqlResult, expected: 'FORBIDDEN' | 'UNAUTHENTICATED') {
  expect(r.errors, JSON.stringify(r)).toHaveLength(1);
  expect(code(r)).toBe(expected);
  const values = Object.values(r.data ?? {});
  expect(values.every((v) => v === null)).toBe(true);
}

describe('authentication and access control', () => {
  let t: TestApp;
  let slt: string; // BJ-SLT: where the manager, cashier, associate and POS key work
  let sz: string; // SZ-NS: only the owner (and the Shenzhen cashier) work there
  let wsUrl: string;
  const clients: Client[] = [];
  let phoneCounter = 0;

  /** A one-line cash sale of DR-001 (stocked in every store in beforeAll). */
  const sale = (storeId: string, extra: Record<string, unknown> = {}) => ({
    storeId,
    externalId: uniqueId('AUTH'),
    lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
    payments: [{ method: 'CASH', amount: '2.00' }],
    ...extra,
  });
  const recordAsOwner = async (storeId: string, extra: Record<string, unknown> = {}) => {
    const r = await t.as('OWNER').ok(RECORD_SALE, { input: sale(storeId, extra) });
    expect(r.recordSale.__typename).toBe('RecordSalePayload');
    return r.recordSale.sale as { id: string; status: string };
  };
  const newCustomer = async (name: string) => {
    phoneCounter += 1;
    const phone = `1305555${String(phoneCounter).padStart(4, '0')}`;
    const r = await t.as('OWNER').ok(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename ... on Customer { id }
           ... on UserError { errorCode } } }`,
      {
        input: { name, phone },
      },
    );
    expect(r.createCustomer.__typename).toBe('Customer');
    return r.createCustomer.id as string;
  };
  const saleStatus = async (storeId: string, externalId: string) =>
    (await t.as('OWNER').ok(SALE_BY_EXTERNAL_ID, { s: storeId, e: externalId })).sale as {
      id: string;
      status: string;
    } | null;
  /** A raw request through Yoga's fetch, for headers the helper does not set or read. */
  const raw = (body: unknown, headers: Record<string, string> = {}) =>
    t.app.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const ws = (params: Record<string, unknown>) => {
    const c = wsClient(wsUrl, params);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp();
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    sz = t.stores.find((s) => s.code === 'SZ-NS')!.id;
    for (const storeId of [slt, sz]) {
      await t.as('OWNER').ok(
        `mutation($s: ID!) { adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "DR-001", quantity: 500 }])
             { __typename } }`,
        { s: storeId },
      );
    }
    const port = await t.app.listen(0, '127.0.0.1');
    wsUrl = `ws://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.close();
  });

  // ───────────────────────────────────────────────────────────────────────────────────────────
  describe('1. signIn', () => {
    it('with the right password returns a token that works as a Bearer token', async () => {
      const r = await t.ok(SIGN_IN, { l: '13800000003', p: 'demo-cashier-1' });
      expect(r.signIn).toMatchObject({ __typename: 'SignInPayload', name: '王小红' });
      expect(r.signIn.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const me = await t.ok(
        `{ viewer { kind name staffId storeRoles { storeId role } } }`,
        {},
        { token: r.signIn.token },
      );
      expect(me.viewer).toEqual({
        kind: 'staff',
        name: '王小红',
        staffId: r.signIn.staffId,
        storeRoles: [{ storeId: expect.any(String), role: 'CASHIER' }],
      });
      // And a protected operation goes through with it.
      const sold = await t.ok(RECORD_SALE, { input: sale(slt) }, { token: r.signIn.token });
      expect(sold.recordSale.__typename).toBe('RecordSalePayload');
    });

    it('answers a wrong password and an unknown login with the same INVALID_CREDENTIALS error', async () => {
      const wrong = await t.gql(SIGN_IN, { l: '13800000001', p: 'demo-owner-2' });
      const unknown = await t.gql(SIGN_IN, { l: '13899999999', p: 'demo-owner-1' });
      expect(wrong.errors).toBeUndefined();
      expect(wrong.data.signIn).toEqual({
        __typename: 'InvalidInputError',
        errorCode: 'INVALID_CREDENTIALS',
        message: '账号或密码错误',
        field: ['password'],
      });
      // Nothing tells the caller which of the two was wrong.
      expect(unknown).toEqual(wrong);
      const en = await t.gql(SIGN_IN, { l: 'nobody@example.com', p: 'x' }, { locale: 'en' });
      expect(en.data.signIn).toEqual({
        __typename: 'InvalidInputError',
        errorCode: 'INVALID_CREDENTIALS',
        message: 'Wrong sign-in name or password',
        field: ['password'],
      });
    });

    it('accepts the login as "+86 138 0000 0001" and other usual phone forms', async () => {
      for (const login of ['+86 138 0000 0001', '+86-138-0000-0001', '0086 13800000001', ' 138 0000 0001 ']) {
        const r = await t.ok(SIGN_IN, { l: login, p: 'demo-owner-1' });
        expect(r.signIn, login).toMatchObject({ __typename: 'SignInPayload', name: '周建国' });
        const me = await t.ok(`{ viewer { kind name storeRoles { role } } }`, {}, { token: r.signIn.token });
        expect(me.viewer).toMatchObject({ kind: 'staff', name: '周建国' });
        expect(me.viewer.storeRoles).toHaveLength(3);
      }
    });
  });

  // ───────────────────────────────────────────────────────────────────────────────────────────
  describe('2. missing and bad credentials', () => {
    it('refuses customers, sales and recordSale without credentials: UNAUTHENTICATED, nothing written', async () => {
      expectDenied(await t.gql(CUSTOMERS), 'UNAUTHENTICATED');
      expectDenied(await t.gql(SALES, { s: slt }), 'UNAUTHENTICATED');
      const before = await onHand(t, slt, 'DR-001');
      const input = sale(slt);
      const r = await t.gql(RECORD_SALE, { input });
      expectDenied(r, 'UNAUTHENTICATED');
      expect(r.errors![0]!.message).toBe(UNAUTHENTICATED_ZH);
      expect(await onHand(t, slt, 'DR-001')).toBe(before);
      expect(await saleStatus(slt, input.externalId)).toBeNull();
      const me = await t.ok(`{ viewer { kind storeRoles { role } } }`);
      expect(me.viewer).toEqual({ kind: 'anonymous', storeRoles: [] });
    });

    it('treats a garbage, tampered or foreign-signed token as no credentials', async () => {
      const owner = await t.token('OWNER');
      const [header, payload] = owner.split('.');
      const ownerId = (await t.as('OWNER').ok(`{ viewer { staffId } }`)).viewer.staffId;
      // A token for the owner, well-formed, but signed with a key the server does not have.
      const foreign = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ownerId)
        .setIssuer('storecrm')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('not-the-server-secret-not-the-server-secret'));
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
      for (const token of ['not-a-jwt', `${owner}x`, `${header}.${payload}.`, unsigned, foreign, 'sk_made_up_key']) {
        for (const query of [CUSTOMERS, RECORD_SALE]) {
          const r = await t.gql(query, { input: sale(slt) }, { token });
          expect(code(r), `${token.slice(0, 20)}… on ${query.slice(0, 20)}`).toBe('UNAUTHENTICATED');
        }
      }
      expect(code(await t.gql(RECORD_SALE, { input: sale(slt) }, { apiKey: 'sk_made_up_key' }))).toBe(
        'UNAUTHENTICATED',
      );
    });

    it('treats a revoked API key as no credentials, in either header', async () => {
      const created = (await t.as('OWNER').ok(CREATE_KEY, { name: '作废测试', role: 'CASHIER', s: [slt] }))
        .createApiKey;
      expect(created.__typename).toBe('CreateApiKeyPayload');
      expect((await t.ok(RECORD_SALE, { input: sale(slt) }, { apiKey: created.key })).recordSale.__typename).toBe(
        'RecordSalePayload',
      );
      await t.as('OWNER').ok(REVOKE_KEY, { id: created.apiKey.id });
      const before = await onHand(t, slt, 'DR-001');
      expectDenied(await t.gql(RECORD_SALE, { input: sale(slt) }, { apiKey: created.key }), 'UNAUTHENTICATED');
      expectDenied(await t.gql(RECORD_SALE, { input: sale(slt) }, { token: created.key }), 'UNAUTHENTICATED');
      expectDenied(await t.gql(SALES, { s: slt }, { apiKey: created.key }), 'UNAUTHENTICATED');
      expect((await t.ok(`{ viewer { kind } }`, {}, { apiKey: created.key })).viewer.kind).toBe('anonymous');
      expect(await onHand(t, slt, 'DR-001')).toBe(before);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────────────────────
  describe('3. store scoping', () => {
    const callers = [
      ['the BJ-SLT cashier', async (): Promise<CallOptions> => ({ token: await t.token('CASHIER') })],
      ['the BJ-SLT POS key', async (): Promise<CallOptions> => ({ apiKey: t.posKey })],
    ] as const;

    for (const [label, credentials] of callers) {
      it(`${label} records a sale in BJ-SLT but is FORBIDDEN to record or read sales of SZ-NS`, async () => {
        const who = await credentials();
        const own = await t.ok(RECORD_SALE, { input: sale(slt) }, who);
        expect(own.recordSale.__typename).toBe('RecordSalePayload');
        // Reading its own store's sales works…
        expect((await t.ok(SALE_BY_ID, { id: own.recordSale.sale.id }, who)).sale.store.code).toBe('BJ-SLT');
        expect((await t.ok(SALES, { s: slt }, who)).sales.edges.length).toBeGreaterThan(0);

        // …Shenzhen's does not.
        const shenzhen = await recordAsOwner(sz);
        const before = await onHand(t, sz, 'DR-001');
        const input = sale(sz);
        expectDenied(await t.gql(RECORD_SALE, { input }, who), 'FORBIDDEN');
        expect(await onHand(t, sz, 'DR-001')).toBe(before);
        expect(await saleStatus(sz, input.externalId)).toBeNull();

        expectDenied(await t.gql(SALES, { s: sz }, who), 'FORBIDDEN');
        expectDenied(await t.gql(SALE_BY_ID, { id: shenzhen.id }, who), 'FORBIDDEN');
        const byExternal = await t.gql(
          SALE_BY_EXTERNAL_ID,
          {
            s: sz,
            e: (await t.as('OWNER').ok(`query($id: ID!) { sale(id: $id) { externalId } }`, { id: shenzhen.id })).sale
              .externalId,
          },
          who,
        );
        expectDenied(byExternal, 'FORBIDDEN');
        expectDenied(
          await t.gql(`query($id: ID!) { node(id: $id) { id ... on Sale { total } } }`, { id: shenzhen.id }, who),
          'FORBIDDEN',
        );
        expectDenied(await t.gql(SALES_BY_DAY, { s: sz }, who), 'FORBIDDEN');
      });

      it(`${label} cannot subscribe to saleRecorded for SZ-NS, and without storeIds hears BJ-SLT only`, async () => {
        const who = await credentials();
        const params = who.token ? { authorization: `Bearer ${who.token}` } : { 'x-api-key': who.apiKey };
        const denied = subscribe(ws(params), SALE_RECORDED, { stores: [sz] });
        const refusal = await denied.next();
        expect(refusal.data ?? null).toBeNull();
        expect((refusal.errors as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('FORBIDDEN');
        denied.close();

        const mixed = subscribe(ws(params), SALE_RECORDED, { stores: [slt, sz] });
        expect(((await mixed.next()).errors as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe(
          'FORBIDDEN',
        );
        mixed.close();

        const all = subscribe(ws(params), SALE_RECORDED, {});
        await new Promise((r) => setTimeout(r, 300)); // let the subscription register
        await recordAsOwner(sz);
        const mine = await recordAsOwner(slt);
        const event = await all.next();
        expect(event.errors).toBeUndefined();
        expect(event.data).toMatchObject({ saleRecorded: { id: mine.id, store: { code: 'BJ-SLT' } } });
        all.close();
      });
    }

    it('the OWNER records, reads, reports on and subscribes to sales of SZ-NS and BJ-SLT', async () => {
      const owner = t.as('OWNER');
      const sub = subscribe(ws({ authorization: `Bearer ${await t.token('OWNER')}` }), SALE_RECORDED, { stores: [sz] });
      await new Promise((r) => setTimeout(r, 300));
      const inSz = await recordAsOwner(sz);
      const inSlt = await recordAsOwner(slt);
      const event = await sub.next();
      expect(event.errors).toBeUndefined();
      expect(event.data).toMatchObject({ saleRecorded: { id: inSz.id, store: { code: 'SZ-NS' } } });
      sub.close();

      expect((await owner.ok(SALE_BY_ID, { id: inSz.id })).sale.store.code).toBe('SZ-NS');
      expect((await owner.ok(SALE_BY_ID, { id: inSlt.id })).sale.store.code).toBe('BJ-SLT');
      expect((await owner.ok(SALES, { s: sz })).sales.edges.map((e: any) => e.node.id)).toContain(inSz.id);
      expect((await owner.ok(SALES_BY_DAY, { s: sz })).salesByDay).toHaveLength(3);
    });

    it('the BJ-SLT manager reads reports of BJ-SLT but not of SZ-NS', async () => {
      expect((await t.as('MANAGER').ok(SALES_BY_DAY, { s: slt })).salesByDay).toHaveLength(3);
      expectDenied(await t.as('MANAGER').gql(SALES_BY_DAY, { s: sz }), 'FORBIDDEN');
    });

    it("a customer's sales, seen by the BJ-SLT cashier or POS key, are only those of BJ-SLT", async () => {
      const customerId = await newCustomer('跨店顾客');
      const inSlt = await recordAsOwner(slt, { customerId });
      const inSz = await recordAsOwner(sz, { customerId });
      const history = `query($id: ID!) { customer(id: $id)
        { visitCount sales(first: 10) { totalCount edges { node { id store { code } } } } } }`;

      const owner = await t.as('OWNER').ok(history, { id: customerId });
      expect(owner.customer.sales.totalCount).toBe(2);
      expect(owner.customer.sales.edges.map((e: any) => e.node.id).sort()).toEqual([inSlt.id, inSz.id].sort());

      for (const who of [{ token: await t.token('CASHIER') }, { apiKey: t.posKey }]) {
        const seen = await t.ok(history, { id: customerId }, who);
        expect(seen.customer.sales.edges.map((e: any) => e.node)).toEqual([
          { id: inSlt.id, store: { code: 'BJ-SLT' } },
        ]);
        expect(seen.customer.sales.totalCount).toBe(1);
      }
    });
  });

  // ───────────────────────────────────────────────────────────────────────────────────────────
  describe('4. role limits', () => {
    it('a CASHIER can look up one customer but cannot list or search customers', async () => {
      const customerId = await newCustomer('收银查询');
      const cashier = t.as('CASHIER');
      expect((await cashier.ok(`query($id: ID!) { customer(id: $id) { id } }`, { id: customerId })).customer.id).toBe(
        customerId,
      );
      expectDenied(await cashier.gql(CUSTOMERS), 'FORBIDDEN');
      expectDenied(await cashier.gql(`{ customers(first: 5, filter: { query: "收银" }) { totalCount } }`), 'FORBIDDEN');
      expectDenied(await t.gql(CUSTOMERS, {}, { apiKey: t.posKey }), 'FORBIDDEN');
    });

    it('a CASHIER cannot merge customers; nothing is merged', async () => {
      const a = await newCustomer('合并甲');
      const b = await newCustomer('合并乙');
      expectDenied(await t.as('CASHIER').gql(MERGE, { a, b }), 'FORBIDDEN');
      const after = await t
        .as('OWNER')
        .ok(`query($id: ID!) { node(id: $id) { ... on Customer { id mergedInto { id } } } }`, { id: b });
      expect(after.node).toEqual({ id: b, mergedInto: null });
      // The same merge by a manager goes through: the denial was about the role.
      expect((await t.as('MANAGER').ok(MERGE, { a, b })).mergeCustomers).toEqual({ __typename: 'Customer', id: a });
    });

    it('a CASHIER cannot refund, not even a sale of her own store; nothing is refunded', async () => {
      const mine = (await t.as('CASHIER').ok(RECORD_SALE, { input: sale(slt) })).recordSale.sale;
      const before = await onHand(t, slt, 'DR-001');
      expectDenied(await t.as('CASHIER').gql(REFUND_SALE, { saleId: mine.id, externalId: uniqueId('R') }), 'FORBIDDEN');
      expectDenied(
        await t.gql(REFUND_SALE, { saleId: mine.id, externalId: uniqueId('R') }, { apiKey: t.posKey }),
        'FORBIDDEN',
      );
      expect((await t.as('OWNER').ok(SALE_BY_ID.replace('total', 'total status'), { id: mine.id })).sale.status).toBe(
        'COMPLETED',
      );
      expect(await onHand(t, slt, 'DR-001')).toBe(before);
    });

    it('a SALES_ASSOCIATE can search customers but cannot record a sale', async () => {
      const associate = t.as('SALES_ASSOCIATE');
      const found = await associate.ok(`{ customers(first: 3) { totalCount edges { node { id } } } }`);
      expect(found.customers.edges).toHaveLength(3);
      expect(found.customers.totalCount).toBeGreaterThan(3);
      const before = await onHand(t, slt, 'DR-001');
      const input = sale(slt);
      expectDenied(await associate.gql(RECORD_SALE, { input }), 'FORBIDDEN');
      expect(await onHand(t, slt, 'DR-001')).toBe(before);
      expect(await saleStatus(slt, input.externalId)).toBeNull();
    });

    it('a MANAGER refunds in BJ-SLT but not a sale the OWNER recorded in SZ-NS', async () => {
      const manager = t.as('MANAGER');
      const local = (await t.as('CASHIER').ok(RECORD_SALE, { input: sale(slt) })).recordSale.sale;
      const refunded = await manager.ok(REFUND_SALE, { saleId: local.id, externalId: uniqueId('R') });
      expect(refunded.refundSale).toMatchObject({
        __typename: 'RefundSalePayload',
        refund: { total: '2.00', sale: { status: 'REFUNDED' } },
      });

      const input = sale(sz);
      const shenzhen = (await t.as('OWNER').ok(RECORD_SALE, { input })).recordSale.sale;
      const before = await onHand(t, sz, 'DR-001');
      const denied = await manager.gql(REFUND_SALE, { saleId: shenzhen.id, externalId: uniqueId('R') });
      expectDenied(denied, 'FORBIDDEN');
      expect(denied.errors![0]!.message).toBe(FORBIDDEN_ZH);
      expect((await saleStatus(sz, input.externalId))!.status).toBe('COMPLETED');
      expect(await onHand(t, sz, 'DR-001')).toBe(before);
      // The owner can refund it.
      expect(
        (await t.as('OWNER').ok(REFUND_SALE, { saleId: shenzhen.id, externalId: uniqueId('R') })).refundSale.__typename,
      ).toBe('RefundSalePayload');
    });

    it('Product.cost is null for a CASHIER and the POS key, and set for a MANAGER and the OWNER', async () => {
      const q = `{ product(sku: "DR-001") { price cost } products(first: 3) { edges { node { sku cost } } } }`;
      const cashier = await t.as('CASHIER').gql(q);
      expect(cashier.errors).toBeUndefined();
      expect(cashier.data.product.cost).toBeNull();
      expect(cashier.data.product.price).toMatch(/^\d+\.\d{2}$/);
      expect(cashier.data.products.edges.every((e: any) => e.node.cost === null)).toBe(true);
      expect((await t.ok(q, {}, { apiKey: t.posKey })).product.cost).toBeNull();

      const manager = await t.as('MANAGER').ok(q);
      expect(manager.product.cost).toMatch(/^\d+\.\d{2}$/);
      expect(manager.products.edges.every((e: any) => /^\d+\.\d{2}$/.test(e.node.cost))).toBe(true);
      expect((await t.as('OWNER').ok(q)).product.cost).toBe(manager.product.cost);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────────────────────
  describe("5. denials in the caller's language", () => {
    it('says FORBIDDEN in Chinese when no language is asked for', async () => {
      const res = await raw({ query: CUSTOMERS }, { authorization: `Bearer ${await t.token('CASHIER')}` });
      const body = (await res.json()) as GqlResult;
      expect(body.errors).toEqual([
        expect.objectContaining({ message: FORBIDDEN_ZH, extensions: { code: 'FORBIDDEN' } }),
      ]);
      const anon = (await (await raw({ query: CUSTOMERS })).json()) as GqlResult;
      expect(anon.errors).toEqual([
        expect.objectContaining({ message: UNAUTHENTICATED_ZH, extensions: { code: 'UNAUTHENTICATED' } }),
      ]);
      expect((await t.as('CASHIER').gql(CUSTOMERS, {}, { locale: 'zh-CN' })).errors?.[0]?.message).toBe(FORBIDDEN_ZH);
    });

    it('says it in English with accept-language "en"', async () => {
      for (const locale of ['en', 'en-GB,en;q=0.8', 'fr-FR,en;q=0.5']) {
        const r = await t.as('CASHIER').gql(CUSTOMERS, {}, { locale });
        expect(r.errors?.[0]?.message, locale).toBe(FORBIDDEN_EN);
        expect(code(r)).toBe('FORBIDDEN');
      }
      // Denials raised inside a resolver (refund in another store) and at the field (sale in another store) alike.
      const shenzhen = await recordAsOwner(sz);
      expect(
        (await t.as('MANAGER').gql(REFUND_SALE, { saleId: shenzhen.id, externalId: uniqueId('R') }, { locale: 'en' }))
          .errors?.[0]?.message,
      ).toBe(FORBIDDEN_EN);
      expect((await t.as('CASHIER').gql(SALE_BY_ID, { id: shenzhen.id }, { locale: 'en' })).errors?.[0]?.message).toBe(
        FORBIDDEN_EN,
      );
      expect((await t.gql(CUSTOMERS, {}, { locale: 'en' })).errors?.[0]?.message).toBe(UNAUTHENTICATED_EN);
    });

    it('a denied recordSale writes nothing (no sale, stock unchanged); the caller still sells at home', async () => {
      const before = { sz: await onHand(t, sz, 'DR-001'), slt: await onHand(t, slt, 'DR-001') };
      const input = sale(sz, {
        lines: [{ sku: 'DR-001', quantity: 3, unitPrice: '2.00' }],
        payments: [{ method: 'CASH', amount: '6.00' }],
      });
      const r = await t.as('CASHIER').gql(RECORD_SALE, { input }, { locale: 'en' });
      expectDenied(r, 'FORBIDDEN');
      expect(r.errors![0]!.message).toBe(FORBIDDEN_EN);
      expect(await onHand(t, sz, 'DR-001')).toBe(before.sz);
      expect(await onHand(t, slt, 'DR-001')).toBe(before.slt);
      expect(await saleStatus(sz, input.externalId)).toBeNull();
      // The same externalId is still free in Shenzhen: the owner records it as new.
      const owner = await t.as('OWNER').ok(RECORD_SALE, { input });
      expect(owner.recordSale).toMatchObject({ __typename: 'RecordSalePayload', replayed: false });
      expect(await onHand(t, sz, 'DR-001')).toBe(before.sz - 3);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────────────────────
  describe('6. API keys', () => {
    it("an OWNER's CASHIER key for SZ-NS sells in SZ-NS, is FORBIDDEN in BJ-SLT, stops when revoked", async () => {
      const created = (await t.as('OWNER').ok(CREATE_KEY, { name: '深圳 POS-02', role: 'CASHIER', s: [sz] }))
        .createApiKey;
      expect(created).toMatchObject({
        __typename: 'CreateApiKeyPayload',
        apiKey: { name: '深圳 POS-02', role: 'CASHIER', revokedAt: null },
      });
      expect(created.key.startsWith('sk_')).toBe(true);
      expect(created.key.startsWith(created.apiKey.prefix)).toBe(true);
      const key = created.key as string;

      const viewer = await t.ok(`{ viewer { kind name storeRoles { role } } }`, {}, { apiKey: key });
      expect(viewer.viewer).toEqual({ kind: 'apiKey', name: '深圳 POS-02', storeRoles: [{ role: 'CASHIER' }] });

      const before = await onHand(t, sz, 'DR-001');
      const sold = await t.ok(RECORD_SALE, { input: sale(sz) }, { apiKey: key });
      expect(sold.recordSale.__typename).toBe('RecordSalePayload');
      expect(await onHand(t, sz, 'DR-001')).toBe(before - 1);
      // As a Bearer token too.
      expect((await t.ok(RECORD_SALE, { input: sale(sz) }, { token: key })).recordSale.__typename).toBe(
        'RecordSalePayload',
      );

      const sltBefore = await onHand(t, slt, 'DR-001');
      expectDenied(await t.gql(RECORD_SALE, { input: sale(slt) }, { apiKey: key }), 'FORBIDDEN');
      expectDenied(await t.gql(SALES, { s: slt }, { apiKey: key }), 'FORBIDDEN');
      expect(await onHand(t, slt, 'DR-001')).toBe(sltBefore);
      // A CASHIER key gets a cashier's rights, not more.
      expectDenied(await t.gql(CUSTOMERS, {}, { apiKey: key }), 'FORBIDDEN');
      expectDenied(
        await t.gql(REFUND_SALE, { saleId: sold.recordSale.sale.id, externalId: uniqueId('R') }, { apiKey: key }),
        'FORBIDDEN',
      );

      const revoked = await t.as('OWNER').ok(REVOKE_KEY, { id: created.apiKey.id });
      expect(revoked.revokeApiKey).toMatchObject({
        __typename: 'ApiKey',
        id: created.apiKey.id,
        revokedAt: expect.any(String),
      });
      const afterRevoke = await onHand(t, sz, 'DR-001');
      expectDenied(await t.gql(RECORD_SALE, { input: sale(sz) }, { apiKey: key }), 'UNAUTHENTICATED');
      expectDenied(await t.gql(RECORD_SALE, { input: sale(sz) }, { token: key }), 'UNAUTHENTICATED');
      expect(await onHand(t, sz, 'DR-001')).toBe(afterRevoke);
    });

    it('a MANAGER of BJ-SLT cannot create a key for SZ-NS (nor for her own store), and none is created', async () => {
      const keys = () => t.db.database.prisma.apiKey.count();
      const before = await keys();
      for (const s of [[sz], [slt], [slt, sz]]) {
        const r = await t.as('MANAGER').gql(CREATE_KEY, { name: '越权', role: 'OWNER', s });
        expectDenied(r, 'FORBIDDEN');
        expect(r.errors![0]!.message).toBe(FORBIDDEN_ZH);
      }
      expect(await keys()).toBe(before);
    });

    it('no one without staff:manage can create a key, not even one for no store', async () => {
      const keys = () => t.db.database.prisma.apiKey.count();
      const before = await keys();
      for (const who of [
        { token: await t.token('MANAGER') },
        { token: await t.token('CASHIER') },
        { apiKey: t.posKey },
      ]) {
        const r = await t.gql(CREATE_KEY, { name: '无门店', role: 'CASHIER', s: [] }, who);
        expect(code(r), JSON.stringify(who)).toBe('FORBIDDEN');
      }
      // Even an owner gets no key that belongs to no store.
      const owner = await t.as('OWNER').ok(CREATE_KEY, { name: '无门店', role: 'CASHIER', s: [] });
      expect(owner.createApiKey).toMatchObject({ __typename: 'InvalidInputError', errorCode: 'INVALID_INPUT' });
      expect(await keys()).toBe(before);
    });

    it('an OWNER of BJ-SLT alone issues and revokes keys for BJ-SLT, not for SZ-NS', async () => {
      const created = await t.as('OWNER').ok(
        `mutation($s: ID!) { createStaff(name: "三里屯店主", login: "slt-owner@example.cn", password: "slt-owner-1",
             roles: [{ storeId: $s, role: OWNER }]) { __typename ... on Staff { id }
             ... on UserError { errorCode } } }`,
        { s: slt },
      );
      expect(created.createStaff.__typename).toBe('Staff');
      const signIn = await t.ok(SIGN_IN, { l: 'SLT-Owner@example.cn', p: 'slt-owner-1' });
      const storeOwner = { token: signIn.signIn.token as string };
      const keys = () => t.db.database.prisma.apiKey.count();

      const before = await keys();
      for (const s of [[sz], [slt, sz]])
        expectDenied(await t.gql(CREATE_KEY, { name: '越店', role: 'CASHIER', s }, storeOwner), 'FORBIDDEN');
      expect(await keys()).toBe(before);

      const own = (await t.ok(CREATE_KEY, { name: '三里屯 POS-03', role: 'CASHIER', s: [slt] }, storeOwner))
        .createApiKey;
      expect(own.__typename).toBe('CreateApiKeyPayload');
      expect(await keys()).toBe(before + 1);
      expect((await t.ok(REVOKE_KEY, { id: own.apiKey.id }, storeOwner)).revokeApiKey.revokedAt).toEqual(
        expect.any(String),
      );

      // A key that also works in Shenzhen is not hers to revoke.
      const shared = (await t.as('OWNER').ok(CREATE_KEY, { name: '两店通用', role: 'CASHIER', s: [slt, sz] }))
        .createApiKey;
      expectDenied(await t.gql(REVOKE_KEY, { id: shared.apiKey.id }, storeOwner), 'FORBIDDEN');
      expect((await t.ok(RECORD_SALE, { input: sale(sz) }, { apiKey: shared.key })).recordSale.__typename).toBe(
        'RecordSalePayload',
      );
    });

    it('only someone who manages every store of a key can revoke it', async () => {
      const created = (await t.as('OWNER').ok(CREATE_KEY, { name: '撤销权限', role: 'CASHIER', s: [slt] }))
        .createApiKey;
      expectDenied(await t.as('MANAGER').gql(REVOKE_KEY, { id: created.apiKey.id }), 'FORBIDDEN');
      expectDenied(await t.gql(REVOKE_KEY, { id: created.apiKey.id }, { apiKey: t.posKey }), 'FORBIDDEN');
      expect((await t.ok(RECORD_SALE, { input: sale(slt) }, { apiKey: created.key })).recordSale.__typename).toBe(
        'RecordSalePayload',
      );
    });
  });

  // ───────────────────────────────────────────────────────────────────────────────────────────
  describe('7. request ids', () => {
    it('every response carries an x-request-id, a fresh one for each request', async () => {
      const a = await raw({ query: '{ viewer { kind } }' });
      const b = await raw({ query: CUSTOMERS }); // a denied request too
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      expect(a.headers.get('x-request-id')).toMatch(uuid);
      expect(b.headers.get('x-request-id')).toMatch(uuid);
      expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
      expect(((await b.json()) as GqlResult).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('echoes a caller-provided X-Request-Id, and replaces one that is not a safe token', async () => {
      const own = await raw({ query: '{ viewer { kind } }' }, { 'X-Request-Id': 'pos-01.abc_123' });
      expect(own.headers.get('x-request-id')).toBe('pos-01.abc_123');
      for (const bad of ['has spaces in it', 'x'.repeat(65), 'a/b']) {
        const res = await raw({ query: '{ viewer { kind } }' }, { 'x-request-id': bad });
        expect(res.headers.get('x-request-id')).not.toBe(bad);
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('what ids and staff details a caller sees', () => {
    it('gives store ids as global ids a client can pass back', async () => {
      const me = await t.as('CASHIER').ok(`{ viewer { storeRoles { storeId role } } }`);
      expect(me.viewer.storeRoles).toEqual([{ storeId: slt, role: 'CASHIER' }]);
      const key = await t.as('OWNER').ok(
        `mutation($s: [ID!]!) { createApiKey(name: "ids", role: CASHIER, storeIds: $s) {
             ... on CreateApiKeyPayload { apiKey { storeIds } } } }`,
        { s: [sz] },
      );
      expect(key.createApiKey.apiKey.storeIds).toEqual([sz]);
    });

    it('shows staff sign-in names only to those who manage staff', async () => {
      const q = `query($id: ID!) { sale(id: $id) { staff { name login } } }`;
      const mine = (await t.as('CASHIER').ok(RECORD_SALE, { input: sale(slt) })).recordSale.sale.id;
      expect((await t.as('CASHIER').ok(q, { id: mine })).sale.staff).toEqual({ name: '王小红', login: null });
      expect((await t.as('OWNER').ok(q, { id: mine })).sale.staff).toEqual({ name: '王小红', login: '13800000003' });
    });
  });
});

describe('staff tokens', () => {
  it('are accepted until they expire, however often the same token was checked before', async () => {
    const { TokenService } = await import('../src/auth/tokens.ts');
    const tokens = new TokenService('a-secret-of-at-least-thirty-two-characters!', 1);
    const { token } = await tokens.issue('01a20000-0000-7000-8000-000000000001');
    expect(await tokens.verify(token)).toBe('01a20000-0000-7000-8000-000000000001');
    expect(await tokens.verify(token)).toBe('01a20000-0000-7000-8000-000000000001'); // remembered
    // a forged signature is never remembered as valid
    expect(await tokens.verify(`${token.slice(0, -2)}xx`)).toBeNull();
    await new Promise((r) => setTimeout(r, 2100)); // exp has second resolution
    expect(await tokens.verify(token)).toBeNull();
  });
});
