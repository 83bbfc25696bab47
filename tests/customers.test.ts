import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

const CREATE = `mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    __typename
    ... on Customer { id name phone tags identities { channel externalId } consents { channel granted } }
    ... on UserError { errorCode message field }
  }
}`;
const MERGE = `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename ... on Customer { id } ... on UserError { errorCode field } } }`;
const PROFILE = `query($id: ID!) {
  customer(id: $id) {
    id name phone email tags visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt
    member { code status }
    identities { channel externalId }
    interactions(last: 50) { kind summary }
    sales(first: 50) { totalCount edges { node { id } } }
  }
}`;

describe('customers', () => {
  let t: TestApp;
  let store: string;
  const owner = () => t.as('OWNER');

  beforeAll(async () => {
    t = await startTestApp({ seed: { customers: 60, sales: 400, days: 90 } });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await owner().ok(`mutation($s: ID!) { adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "DR-001", quantity: 500 }]) { __typename } }`, { s: store });
  });
  afterAll(() => t?.close());

  async function buy(customerId: string, amount: string) {
    const r = await t.ok(RECORD_SALE, {
      input: { storeId: store, externalId: uniqueId(), customerId, lines: [{ sku: 'DR-001', quantity: 1, unitPrice: amount }], payments: [{ method: 'CASH', amount }] },
    }, { apiKey: t.posKey });
    expect(r.recordSale.__typename).toBe('RecordSalePayload');
    return r.recordSale.sale.id as string;
  }

  describe('creating', () => {
    it('normalises the phone and keeps identities and consents', async () => {
      const r = await owner().ok(CREATE, {
        input: { name: ' 刘晓梅 ', phone: '+86 130-1234-5678', tags: ['母婴', '母婴', ' 会员日 '], identities: [{ channel: 'ECOMMERCE', externalId: 'tmall-778899' }], consents: [{ channel: 'SMS', granted: true }] },
      });
      expect(r.createCustomer).toMatchObject({
        __typename: 'Customer',
        name: '刘晓梅',
        phone: '13012345678',
        tags: ['母婴', '会员日'],
        identities: [{ channel: 'ECOMMERCE', externalId: 'tmall-778899' }],
        consents: [{ channel: 'SMS', granted: true }],
      });
    });

    it('explains a bad phone in the caller\'s language', async () => {
      const zh = await owner().ok(CREATE, { input: { name: '张三', phone: '12345' } });
      expect(zh.createCustomer).toEqual({ __typename: 'InvalidInputError', errorCode: 'INVALID_PHONE', field: ['input', 'phone'], message: '手机号格式不正确，应为 11 位中国大陆手机号' });
      const en = await owner().ok(CREATE, { input: { name: '张三', phone: '12345' } }, { locale: 'en' });
      expect(en.createCustomer.message).toBe('Phone number must be an 11-digit mainland China mobile number');
    });

    it('refuses a phone or a channel identity that belongs to someone else, writing nothing', async () => {
      const dup = await owner().ok(CREATE, { input: { name: '李四', phone: '130 1234 5678' } });
      expect(dup.createCustomer).toMatchObject({ __typename: 'ConflictError', errorCode: 'DUPLICATE_PHONE', field: ['input', 'phone'] });
      const identity = await owner().ok(CREATE, { input: { name: '王五', phone: '13012340000', identities: [{ channel: 'ECOMMERCE', externalId: 'tmall-778899' }] } });
      expect(identity.createCustomer).toMatchObject({ __typename: 'ConflictError', errorCode: 'DUPLICATE_IDENTITY', field: ['input', 'identities', '0'] });
      const found = await owner().ok(`{ customer(phone: "13012340000") { id } }`);
      expect(found.customer).toBeNull();
    });
  });

  describe('finding', () => {
    it('looks a customer up by phone or member code, and a member by last 4 digits and name', async () => {
      const c = (await owner().ok(CREATE, { input: { name: '欧阳娜娜', phone: '13155551234' } })).createCustomer;
      const m = await owner().ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id, code: "VIP-0001" }) { ... on Member { code } } }`, { id: c.id });
      expect(m.enrollMember.code).toBe('VIP-0001');
      expect((await owner().ok(`{ customer(phone: "131-5555-1234") { id } }`)).customer.id).toBe(c.id);
      expect((await owner().ok(`{ customer(memberCode: "VIP-0001") { id } }`)).customer.id).toBe(c.id);
      const cashier = t.as('CASHIER');
      const byLast4 = await cashier.ok(`{ memberLookup(phoneLast4: "1234", name: "娜娜") { code customer { name } } }`);
      expect(byLast4.memberLookup).toEqual([{ code: 'VIP-0001', customer: { name: '欧阳娜娜' } }]);
      const incomplete = await cashier.gql(`{ memberLookup(phoneLast4: "1234") { code } }`);
      expect(incomplete.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', errorCode: 'INVALID_INPUT', field: ['phoneLast4'] });
      const again = await owner().ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id }) { __typename ... on UserError { errorCode } } }`, { id: c.id });
      expect(again.enrollMember).toEqual({ __typename: 'ConflictError', errorCode: 'ALREADY_MEMBER' });
    });

    it('searches by name, phone fragment, last 4, tag, channel and membership', async () => {
      const all = await owner().ok(`{ customers(first: 500) { edges { node { id name phone tags sourceChannel member { code } } } } }`);
      const people = all.customers.edges.map((e: any) => e.node);
      const ids = async (filter: object) =>
        (await owner().ok(`query($f: CustomerFilter) { customers(first: 500, filter: $f) { edges { node { id } } } }`, { f: filter })).customers.edges.map((e: any) => e.node.id).sort();
      const someone = people.find((p: any) => p.phone && p.tags.length);
      const expectIds = (pred: (p: any) => boolean) => people.filter(pred).map((p: any) => p.id).sort();

      expect(await ids({ query: someone.name.slice(1) })).toEqual(expectIds((p) => p.name.includes(someone.name.slice(1))));
      expect(await ids({ query: someone.phone.slice(2, 8) })).toEqual(expectIds((p) => p.phone?.includes(someone.phone.slice(2, 8))));
      expect(await ids({ phoneLast4: someone.phone.slice(-4) })).toEqual(expectIds((p) => p.phone?.endsWith(someone.phone.slice(-4))));
      expect(await ids({ tag: someone.tags[0] })).toEqual(expectIds((p) => p.tags.includes(someone.tags[0])));
      expect(await ids({ channel: 'WECHAT' })).toEqual(expectIds((p) => p.sourceChannel === 'WECHAT'));
      expect(await ids({ isMember: false })).toEqual(expectIds((p) => !p.member));
      expect((await ids({ tag: someone.tags[0] })).length).toBeGreaterThan(0);
    });

    it('filters by last purchase and pages with keyset cursors, counting only when asked', async () => {
      const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const filter = { lastPurchaseFrom: from };
      const whole = await owner().ok(`query($f: CustomerFilter) { customers(first: 500, filter: $f) { totalCount edges { node { id lastPurchaseAt } } } }`, { f: filter });
      expect(whole.customers.edges.length).toBe(whole.customers.totalCount);
      expect(whole.customers.edges.every((e: any) => e.node.lastPurchaseAt >= from)).toBe(true);

      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        t.db.statements.length = 0;
        const r: any = await owner().ok(`query($f: CustomerFilter, $after: String) { customers(first: 7, after: $after, filter: $f) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`, { f: filter, after });
        expect(t.db.statements.some((s) => /count\(/i.test(s))).toBe(false);
        seen.push(...r.customers.edges.map((e: any) => e.node.id));
        if (!r.customers.pageInfo.hasNextPage) break;
        after = r.customers.pageInfo.endCursor;
      }
      expect(seen).toEqual(whole.customers.edges.map((e: any) => e.node.id));
    });
  });

  describe('merging duplicates', () => {
    it('moves all history to the survivor and keeps the old id working', async () => {
      const a = (await owner().ok(CREATE, { input: { name: '赵敏', phone: '13211112222', tags: ['母婴'], identities: [{ channel: 'WECHAT', externalId: 'wx-a' }] } })).createCustomer;
      const b = (await owner().ok(CREATE, { input: { name: '赵敏', email: 'zhaomin@example.cn', tags: ['美妆'], identities: [{ channel: 'MINI_PROGRAM', externalId: 'mp-b' }] } })).createCustomer;
      await owner().ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id, code: "M-MERGE-B" }) { __typename } }`, { id: b.id });
      const saleA = await buy(a.id, '10.00');
      const saleB1 = await buy(b.id, '20.50');
      const saleB2 = await buy(b.id, '5.25');
      await owner().ok(`mutation($id: ID!) { addInteraction(input: { customerId: $id, kind: CALL, summary: "回访：满意" }) { __typename } }`, { id: b.id });

      expect((await owner().ok(MERGE, { a: a.id, b: b.id })).mergeCustomers).toEqual({ __typename: 'Customer', id: a.id });
      const merged = (await owner().ok(PROFILE, { id: a.id })).customer;
      expect(merged).toMatchObject({ phone: '13211112222', email: 'zhaomin@example.cn', visitCount: 3, lifetimeSpend: '35.75', member: { code: 'M-MERGE-B', status: 'ACTIVE' } });
      expect(merged.tags.sort()).toEqual(['母婴', '美妆']);
      expect(merged.identities.map((i: any) => i.externalId).sort()).toEqual(['mp-b', 'wx-a']);
      expect(merged.sales.edges.map((e: any) => e.node.id).sort()).toEqual([saleA, saleB1, saleB2].sort());
      expect(merged.interactions.map((i: any) => i.kind).sort()).toEqual(['CALL', 'NOTE']);

      // The merged id still resolves, to the survivor; it is gone from search; it cannot be merged again.
      expect((await owner().ok(PROFILE, { id: b.id })).customer.id).toBe(a.id);
      const search = await owner().ok(`{ customers(first: 50, filter: { query: "赵敏" }) { edges { node { id } } } }`);
      expect(search.customers.edges.map((e: any) => e.node.id)).toEqual([a.id]);
      const c = (await owner().ok(CREATE, { input: { name: '赵敏敏' } })).createCustomer;
      expect((await owner().ok(MERGE, { a: c.id, b: b.id })).mergeCustomers).toEqual({ __typename: 'InvalidStateError', errorCode: 'CUSTOMER_MERGED', field: ['mergedId'] });
      expect((await owner().ok(MERGE, { a: a.id, b: a.id })).mergeCustomers).toEqual({ __typename: 'InvalidInputError', errorCode: 'MERGE_SAME_CUSTOMER', field: ['mergedId'] });
    });

    it('keeps the survivor\'s card when both were members, and a cashier may not merge', async () => {
      const older = (await owner().ok(CREATE, { input: { name: '孙丽', phone: '13222223333' } })).createCustomer;
      const newer = (await owner().ok(CREATE, { input: { name: '孙丽', phone: '13222224444' } })).createCustomer;
      await owner().ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id, code: "OLD-CARD" }) { __typename } }`, { id: older.id });
      await owner().ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id, code: "NEW-CARD" }) { __typename } }`, { id: newer.id });
      const denied = await t.as('CASHIER').gql(MERGE, { a: newer.id, b: older.id });
      expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await owner().ok(MERGE, { a: newer.id, b: older.id });
      const survivor = (await owner().ok(PROFILE, { id: newer.id })).customer;
      expect(survivor.member).toEqual({ code: 'NEW-CARD', status: 'ACTIVE' });
      expect(survivor.phone).toBe('13222224444');
      const cancelled = await owner().ok(`{ memberLookup(code: "OLD-CARD") { status } }`);
      expect(cancelled.memberLookup).toEqual([{ status: 'CANCELLED' }]);
    });
  });

  describe('the 360° view', () => {
    const VIEW = `query($n: Int!) {
      customers(first: $n) { edges { node {
        name phone visitCount lifetimeSpend
        member { code status }
        consents { channel granted }
        interactions(last: 10) { kind summary staff { name } }
        sales(first: 20) { edges { node { total occurredAt store { name } lines { sku quantity total product { name category } } payments { method amount } } } }
      } } }
    }`;

    it('costs the same number of SQL statements for 1 customer as for 50', async () => {
      const count = async (n: number) => {
        t.db.statements.length = 0;
        const r = await owner().ok(VIEW, { n });
        expect(r.customers.edges).toHaveLength(n);
        return t.db.statements.length;
      };
      const one = await count(1);
      const fifty = await count(50);
      expect(fifty).toBe(one);
      expect(one).toBeLessThanOrEqual(12);
    });

    it('returns sales with their lines for one customer in a bounded number of statements', async () => {
      const c = (await owner().ok(CREATE, { input: { name: '周杰', phone: '13233334444' } })).createCustomer;
      for (const amount of ['1.00', '2.00', '3.00']) await buy(c.id, amount);
      t.db.statements.length = 0;
      const r = await owner().ok(`query($id: ID!) { customer(id: $id) { name sales(first: 20) { edges { node { total lines { sku } } } } } }`, { id: c.id });
      expect(r.customer.sales.edges.map((e: any) => e.node.total)).toEqual(['3.00', '2.00', '1.00']);
      expect(t.db.statements.length).toBeLessThanOrEqual(6);
    });
  });
});
