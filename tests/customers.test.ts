import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { inSearchOrder, phoneNumbers, RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';

// Everything here goes through GraphQL requests, as a client would: expectations are computed
// from what the API said before the action, never from demo-data constants.

const CREATE = `mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    __typename
    ... on Customer { id name phone email tags identities { channel externalId } consents { channel granted } }
    ... on UserError { errorCode message field }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, input: $input) { __typename ... on Customer { id identities { channel externalId } }
    ... on UserError { errorCode field } }
}`;
const ENROLL = `mutation($id: ID!, $code: String) { enrollMember(input: { customerId: $id, code: $code }) { __typename
  ... on Member { code } ... on UserError { errorCode field } } }`;
const INTERACT = `mutation($id: ID!, $kind: InteractionKind!, $summary: String!) {
  addInteraction(input: { customerId: $id, kind: $kind, summary: $summary }) { __typename ... on Interaction { id }
    ... on UserError { errorCode } }
}`;
const MERGE = `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename
  ... on Customer { id } ... on UserError { errorCode field message } } }`;
const COUNT = `{ customers(first: 1) { totalCount } }`;
/** Everything a merge must carry over, read the same way before and after. */
const PROFILE = `query($id: ID!) {
  customer(id: $id) {
    id name phone email tags visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt
    member { code status }
    identities { channel externalId }
    interactions(last: 100) { id kind summary }
    sales(first: 100) { totalCount edges { node { id total refundedTotal member { code } } } }
  }
}`;
const SEARCH_FIELDS = 'id name phone email tags sourceChannel lastPurchaseAt member { code }';

type Person = {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  tags: string[];
  sourceChannel: string;
  lastPurchaseAt: string | null;
  member: { code: string } | null;
};

const cents = (money: string) => Math.round(Number(money) * 100);
const money = (c: number) => (c / 100).toFixed(2);
const sorted = <T>(list: T[]) => [...list].sort();

describe('customers', () => {
  let t: TestApp;
  let store: string;
  const owner = () => t.as('OWNER');

  const freshPhone = phoneNumbers();

  beforeAll(async () => {
    t = await startTestApp({ seed: { customers: 60, sales: 400, days: 90 } });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await owner().ok(
      `mutation($s: ID!, $lines: [StockLineInput!]!) {
         adjustStock(storeId: $s, type: RECEIPT, lines: $lines) { __typename } }`,
      {
        s: store,
        lines: ['DR-001', 'DR-002', 'SN-001', 'MB-005', 'DH-004', 'BT-004'].map((sku) => ({ sku, quantity: 10_000 })),
      },
    );
  }, 120_000);
  afterAll(() => t?.close());

  async function create(input: Record<string, unknown>) {
    const r = await owner().ok(CREATE, { input });
    expect(r.createCustomer.__typename, JSON.stringify(r.createCustomer)).toBe('Customer');
    return r.createCustomer as { id: string; name: string; phone: string | null };
  }
  async function enroll(id: string, code?: string) {
    const r = await owner().ok(ENROLL, { id, code });
    expect(r.enrollMember.__typename).toBe('Member');
    return r.enrollMember.code as string;
  }
  async function interact(id: string, kind: string, summary: string) {
    const r = await owner().ok(INTERACT, { id, kind, summary });
    expect(r.addInteraction.__typename).toBe('Interaction');
    return r.addInteraction.id as string;
  }
  async function customerCount() {
    return (await owner().ok(COUNT)).customers.totalCount as number;
  }

  /** A sale through the store's POS key; payments add up to the lines, so it always records. */
  async function record(
    who: { customerId?: string; memberCode?: string },
    lines: { sku: string; quantity: number; unitPrice: string }[],
    options: { occurredAt?: Date; split?: boolean } = {},
  ) {
    const total = lines.reduce((s, l) => s + cents(l.unitPrice) * l.quantity, 0);
    const half = Math.floor(total / 2);
    const payments =
      options.split && half > 0
        ? [
            { method: 'CASH', amount: money(half) },
            { method: 'WECHAT_PAY', amount: money(total - half) },
          ]
        : [{ method: 'ALIPAY', amount: money(total) }];
    const r = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId('CUST'),
          ...who,
          lines,
          payments,
          ...(options.occurredAt ? { occurredAt: options.occurredAt.toISOString() } : {}),
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
    expect(r.recordSale.sale.total).toBe(money(total));
    return r.recordSale.sale as {
      id: string;
      total: string;
      member: { code: string } | null;
      customer: { id: string } | null;
      lines: unknown[];
      payments: unknown[];
    };
  }

  async function profile(id: string) {
    return (await owner().ok(PROFILE, { id })).customer;
  }

  /** Every live customer, newest first, walking pages of the maximum size (100). */
  async function everyone(): Promise<Person[]> {
    const people: Person[] = [];
    let after: string | null = null;
    let total = 0;
    for (let page = 0; page < 50; page++) {
      const r: any = await owner().ok(
        `query($after: String) { customers(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
           edges { node { ${SEARCH_FIELDS} } } } }`,
        { after },
      );
      total = r.customers.totalCount;
      people.push(...r.customers.edges.map((e: any) => e.node));
      if (!r.customers.pageInfo.hasNextPage) break;
      after = r.customers.pageInfo.endCursor;
    }
    expect(people).toHaveLength(total);
    return people;
  }

  describe('the 360° view', () => {
    const VIEW = `query($n: Int!) {
      customers(first: $n) { edges { node {
        id name phone
        member { code }
        interactions { kind summary staff { name } }
        sales(first: 3) { edges { node { total store { name } lines { sku quantity product { name category } }
          payments { method amount } } } }
      } } }
    }`;
    const ONE = `query($id: ID!) {
      customer(id: $id) {
        id name phone visitCount lifetimeSpend
        member { code }
        interactions { kind summary staff { name } }
        sales(first: 20) { totalCount edges { node { total store { name }
          lines { sku quantity product { name category } } payments { method amount } } } }
      }
    }`;

    /** The newest customer, with every part of the view filled, so N=1 walks every relation too. */
    async function fullCustomer(name: string, sales: number) {
      const c = await create({ name, phone: freshPhone() });
      const code = await enroll(c.id);
      await interact(c.id, 'CALL', `${name}：电话回访`);
      await interact(c.id, 'NOTE', `${name}：偏好晚上到店`);
      const recorded = [];
      for (let i = 0; i < sales; i++) {
        recorded.push(
          await record(
            { memberCode: code },
            [
              { sku: 'DR-001', quantity: 1 + i, unitPrice: '2.00' },
              { sku: 'SN-001', quantity: 1, unitPrice: '89.00' },
              ...(i % 2 ? [{ sku: 'BT-004', quantity: 1, unitPrice: '89.00' }] : []),
            ],
            { split: true },
          ),
        );
      }
      return { ...c, code, recorded };
    }

    it('costs the same, small number of SQL statements for 1 customer as for 50 (no N+1)', async () => {
      const c = await fullCustomer('三六零顾客', 3);
      const count = async (n: number) => {
        t.db.statements.length = 0;
        const r = await owner().ok(VIEW, { n });
        const statements = t.db.statements.length;
        expect(r.customers.edges).toHaveLength(n);
        return { statements, nodes: r.customers.edges.map((e: any) => e.node) };
      };
      const { viewer, stores } = await owner().ok(`{ viewer { name } stores { id name } }`);
      const storeName = stores.find((s: { id: string }) => s.id === store).name;
      const one = await count(1);
      // 50 customers × 3 sales each keeps the page under the default query cost limit (docs/security.md).
      const fifty = await count(50);
      console.info(`360° view: ${one.statements} SQL statements for 1 customer, ${fifty.statements} for 50`);

      // N=1 is the customer just made: the view shows what was recorded.
      const node = one.nodes[0];
      expect(node.id).toBe(c.id);
      expect(node.member).toEqual({ code: c.code });
      expect(sorted(node.interactions.map((i: any) => `${i.kind}:${i.summary}:${i.staff?.name}`))).toEqual(
        sorted([`CALL:三六零顾客：电话回访:${viewer.name}`, `NOTE:三六零顾客：偏好晚上到店:${viewer.name}`]),
      );
      expect(node.sales.edges).toHaveLength(3);
      const newestFirst = [...c.recorded].reverse();
      node.sales.edges.forEach((e: any, i: number) => {
        expect(e.node.total).toBe(newestFirst[i]!.total);
        expect(e.node.store.name).toBe(storeName);
        expect(e.node.lines.map((l: any) => l.sku)).toEqual((newestFirst[i]!.lines as any[]).map((l) => l.sku));
        expect(e.node.lines.every((l: any) => l.product.name && l.product.category)).toBe(true);
        expect(sorted(e.node.payments.map((p: any) => p.method))).toEqual(['CASH', 'WECHAT_PAY']);
        expect(e.node.payments.reduce((s: number, p: any) => s + cents(p.amount), 0)).toBe(cents(e.node.total));
      });
      // The 50 really exercise every level: many with sales, lines, products, payments, interactions and cards.
      const nodes = fifty.nodes;
      expect(nodes.filter((n: any) => n.sales.edges.length > 1).length).toBeGreaterThan(10);
      expect(nodes.filter((n: any) => n.interactions.some((i: any) => i.staff)).length).toBeGreaterThan(5);
      expect(nodes.filter((n: any) => n.member).length).toBeGreaterThan(10);
      expect(
        nodes
          .flatMap((n: any) => n.sales.edges)
          .every((e: any) => e.node.lines.length > 0 && e.node.payments.length > 0 && e.node.store.name),
      ).toBe(true);

      expect(fifty.statements).toBe(one.statements);
      expect(one.statements).toBeLessThanOrEqual(12);
    });

    it('one customer by id (or merged id) in a bounded number of statements, however long its history', async () => {
      const small = await fullCustomer('三六零小', 1);
      const big = await fullCustomer('三六零大', 6);
      const measure = async (id: string) => {
        t.db.statements.length = 0;
        const r = await owner().ok(ONE, { id });
        return { statements: t.db.statements.length, customer: r.customer };
      };
      const s = await measure(small.id);
      const b = await measure(big.id);
      console.info(`single 360° view: ${s.statements} statements (1 sale), ${b.statements} (6 sales)`);
      expect(s.customer.sales.totalCount).toBe(1);
      expect(b.customer.sales.totalCount).toBe(6);
      expect(b.customer.sales.edges.map((e: any) => e.node.total)).toEqual(
        [...big.recorded].reverse().map((x) => x.total),
      );
      expect(b.customer.lifetimeSpend).toBe(money(big.recorded.reduce((sum, x) => sum + cents(x.total), 0)));
      expect(b.customer.visitCount).toBe(6);
      expect(b.statements).toBe(s.statements);
      expect(s.statements).toBeLessThanOrEqual(2); // the customer with every relation in one statement (lateral joins)

      // Through an old id: one more look-up to follow the merge, no more.
      await owner().ok(MERGE, { a: big.id, b: small.id });
      const viaOld = await measure(small.id);
      expect(viaOld.customer.id).toBe(big.id);
      expect(viaOld.customer.sales.totalCount).toBe(7);
      console.info(`single 360° view through a merged id: ${viaOld.statements} statements`);
      expect(viaOld.statements).toBe(s.statements + 1);
    });

    it('shows a manager only the sales of the stores they may read', async () => {
      // The demo manager has a role in one store only: this file's store.
      const roles = (await t.as('MANAGER').ok(`{ viewer { storeRoles { storeId } } }`)).viewer.storeRoles;
      expect(roles.map((r: { storeId: string }) => r.storeId)).toEqual([store]);
      const q = `query($id: ID!) { customer(id: $id) {
        sales(first: 100) { totalCount edges { node { id store { id } } } } } }`;
      const people = await everyone();
      let checked = 0;
      for (const p of people.slice(0, 40)) {
        const all = (await owner().ok(q, { id: p.id })).customer.sales;
        const stores = new Set(all.edges.map((e: any) => e.node.store.id));
        if (stores.size < 2 || !stores.has(store)) continue;
        const mine = (await t.as('MANAGER').ok(q, { id: p.id })).customer.sales;
        const expected = all.edges.filter((e: any) => e.node.store.id === store).map((e: any) => e.node.id);
        expect(mine.edges.map((e: any) => e.node.id)).toEqual(expected);
        expect(mine.totalCount).toBe(expected.length);
        checked += 1;
      }
      expect(checked).toBeGreaterThan(0);
    });
  });

  describe('createCustomer', () => {
    it('normalises a formatted phone to its 11 digits and finds the customer by it', async () => {
      const r = await owner().ok(CREATE, {
        input: {
          name: ' 刘晓梅 ',
          phone: '+86 139-1234-5678',
          tags: ['母婴', '母婴', ' 会员日 '],
          consents: [{ channel: 'SMS', granted: true }],
        },
      });
      expect(r.createCustomer).toMatchObject({
        __typename: 'Customer',
        name: '刘晓梅',
        phone: '13912345678',
        tags: ['母婴', '会员日'],
        consents: [{ channel: 'SMS', granted: true }],
      });
      // Stored normalised: the plain number, and other spellings of it, find the same customer.
      for (const spelling of ['13912345678', '0086 139 1234 5678', '139-1234-5678']) {
        expect(
          (await owner().ok(`query($p: String!) { customer(phone: $p) { id phone } }`, { p: spelling })).customer,
        ).toEqual({ id: r.createCustomer.id, phone: '13912345678' });
      }
      // …and its last four digits were kept for the counter look-up.
      const last4 = await owner().ok(
        `{ customers(first: 100, filter: { phoneLast4: "5678" }) { edges { node { id } } } }`,
      );
      expect(last4.customers.edges.map((e: any) => e.node.id)).toContain(r.createCustomer.id);
    });

    it('rejects a bad phone: INVALID_PHONE on input.phone, zh by default, en on request, writes nothing', async () => {
      const before = await customerCount();
      for (const phone of ['12345', '+86 129-1234-5678', '1391234567', '139123456789', 'abc13912345678']) {
        const zh = await owner().ok(CREATE, { input: { name: '张三', phone } });
        expect(zh.createCustomer, phone).toEqual({
          __typename: 'InvalidInputError',
          errorCode: 'INVALID_PHONE',
          field: ['input', 'phone'],
          message: '手机号格式不正确，应为 11 位中国大陆手机号',
        });
      }
      // No language preference at all (an empty Accept-Language) is Chinese too.
      const none = await owner().ok(CREATE, { input: { name: '张三', phone: '12345' } }, { locale: '' });
      expect(none.createCustomer.message).toBe('手机号格式不正确，应为 11 位中国大陆手机号');
      const en = await owner().ok(CREATE, { input: { name: '张三', phone: '12345' } }, { locale: 'en' });
      expect(en.createCustomer).toEqual({
        __typename: 'InvalidInputError',
        errorCode: 'INVALID_PHONE',
        field: ['input', 'phone'],
        message: 'Phone number must be an 11-digit mainland China mobile number',
      });
      expect(await customerCount()).toBe(before);
    });

    it('refuses a phone that belongs to someone else, however it is written', async () => {
      const phone = freshPhone();
      const first = await create({ name: '李四', phone });
      const before = await customerCount();
      const spaced = `+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
      const dup = await owner().ok(CREATE, { input: { name: '李四（重复）', phone: spaced } });
      expect(dup.createCustomer).toMatchObject({
        __typename: 'ConflictError',
        errorCode: 'DUPLICATE_PHONE',
        field: ['input', 'phone'],
      });
      expect(dup.createCustomer.message).toContain(phone);
      expect(await customerCount()).toBe(before);
      expect(
        (await owner().ok(`query($p: String!) { customer(phone: $p) { id name } }`, { p: phone })).customer,
      ).toEqual({ id: first.id, name: '李四' });
    });

    it('keeps channel identities unique across customers, and a refused create leaves nothing behind', async () => {
      const tmall = uniqueId('tmall');
      const wx = uniqueId('wx');
      const first = await create({
        name: '王芳',
        phone: freshPhone(),
        identities: [
          { channel: 'ECOMMERCE', externalId: tmall },
          { channel: 'WECHAT', externalId: wx },
        ],
      });
      expect(sorted((first as any).identities.map((i: any) => `${i.channel}:${i.externalId}`))).toEqual(
        sorted([`ECOMMERCE:${tmall}`, `WECHAT:${wx}`]),
      );

      const before = await customerCount();
      const phone = freshPhone();
      const mp = uniqueId('mp');
      // The first identity is new and would be written before the second one collides.
      const clash = await owner().ok(CREATE, {
        input: {
          name: '王五',
          phone,
          tags: ['新客'],
          consents: [{ channel: 'SMS', granted: true }],
          identities: [
            { channel: 'MINI_PROGRAM', externalId: mp },
            { channel: 'ECOMMERCE', externalId: ` ${tmall} ` },
          ],
        },
      });
      expect(clash.createCustomer).toMatchObject({
        __typename: 'ConflictError',
        errorCode: 'DUPLICATE_IDENTITY',
        field: ['input', 'identities', '1'],
      });
      expect(clash.createCustomer.message).toContain(tmall);

      // Nothing half-written: no customer, no phone taken, and the first identity is still free.
      expect(await customerCount()).toBe(before);
      expect((await owner().ok(`query($p: String!) { customer(phone: $p) { id } }`, { p: phone })).customer).toBeNull();
      const search = await owner().ok(`{ customers(first: 100, filter: { query: "王五" }) { edges { node { id } } } }`);
      expect(search.customers.edges).toEqual([]);
      const retry = await create({ name: '王五', phone, identities: [{ channel: 'MINI_PROGRAM', externalId: mp }] });
      expect((retry as any).identities).toEqual([{ channel: 'MINI_PROGRAM', externalId: mp }]);

      // The pair is what is unique: the same external id in another channel is someone else's account.
      const other = await create({ name: '赵六', identities: [{ channel: 'WEB', externalId: tmall }] });
      expect((other as any).identities).toEqual([{ channel: 'WEB', externalId: tmall }]);
      // Adding someone else's identity later is refused the same way, and changes nothing.
      const update = await owner().ok(UPDATE, {
        id: other.id,
        input: { identities: [{ channel: 'WECHAT', externalId: wx }] },
      });
      expect(update.updateCustomer).toEqual({
        __typename: 'ConflictError',
        errorCode: 'DUPLICATE_IDENTITY',
        field: ['input', 'identities', '0'],
      });
      expect((await profile(other.id)).identities).toEqual([{ channel: 'WEB', externalId: tmall }]);
    });
  });

  describe('looking customers and members up', () => {
    it('finds a customer by id, by phone in any spelling, and by member code', async () => {
      const phone = freshPhone();
      const c = await create({ name: '欧阳娜娜', phone });
      const code = await enroll(c.id, `VIP-${process.pid}-1`);
      const byId = await owner().ok(`query($id: ID!) { customer(id: $id) { id name phone member { code } } }`, {
        id: c.id,
      });
      expect(byId.customer).toEqual({ id: c.id, name: '欧阳娜娜', phone, member: { code } });
      const dashed = `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`;
      expect((await owner().ok(`query($p: String!) { customer(phone: $p) { id } }`, { p: dashed })).customer).toEqual({
        id: c.id,
      });
      expect(
        (await owner().ok(`query($m: String!) { customer(memberCode: $m) { id } }`, { m: ` ${code} ` })).customer,
      ).toEqual({ id: c.id });
      // Unknown or unusable keys find nobody rather than failing.
      expect((await owner().ok(`{ customer(phone: "13100000000") { id } }`)).customer).toBeNull();
      expect((await owner().ok(`{ customer(phone: "12345") { id } }`)).customer).toBeNull();
      expect((await owner().ok(`{ customer(memberCode: "NO-SUCH-CARD") { id } }`)).customer).toBeNull();
      expect((await owner().ok(`{ customer { id } }`)).customer).toBeNull();
    });

    it('memberLookup finds by code, phone, or last 4 digits and a name fragment (several if ambiguous)', async () => {
      const tag = String(process.pid % 10000).padStart(4, '0');
      const a = await create({ name: `测试林一${tag}`, phone: freshPhone('7777') });
      const b = await create({ name: `测试林二${tag}`, phone: freshPhone('7777') });
      const notMember = await create({ name: `测试林三${tag}`, phone: freshPhone('7777') });
      const otherDigits = await create({ name: `测试林四${tag}`, phone: freshPhone('8888') });
      const codeA = await enroll(a.id);
      const codeB = await enroll(b.id);
      await enroll(otherDigits.id);
      expect(notMember.phone!.slice(-4)).toBe('7777');

      const cashier = t.as('CASHIER');
      const q = `query($code: String, $phone: String, $last4: String, $name: String)
        { memberLookup(code: $code, phone: $phone, phoneLast4: $last4, name: $name) { code status customer { id name } }
          }`;
      expect((await cashier.ok(q, { code: codeA })).memberLookup).toEqual([
        { code: codeA, status: 'ACTIVE', customer: { id: a.id, name: a.name } },
      ]);
      expect((await cashier.ok(q, { code: 'NO-SUCH-CARD' })).memberLookup).toEqual([]);
      const spelled = `+86 ${b.phone!.slice(0, 3)} ${b.phone!.slice(3)}`;
      expect((await cashier.ok(q, { phone: spelled })).memberLookup).toEqual([
        { code: codeB, status: 'ACTIVE', customer: { id: b.id, name: b.name } },
      ]);
      expect((await cashier.ok(q, { phone: notMember.phone })).memberLookup).toEqual([]);

      const one = await cashier.ok(q, { last4: '7777', name: `林一${tag}` });
      expect(one.memberLookup.map((m: any) => m.code)).toEqual([codeA]);
      // Ambiguous: both members ending 7777 whose name has the fragment; the non-member and the 8888 member are not.
      const several = await cashier.ok(q, { last4: '7777', name: '测试林' });
      expect(sorted(several.memberLookup.map((m: any) => m.code))).toEqual(sorted([codeA, codeB]));
      expect((await cashier.ok(q, { last4: '7778', name: '测试林' })).memberLookup).toEqual([]);
      // The name is matched literally: a LIKE wildcard typed at the till does not stand for any name.
      for (const wildcard of ['%', '_', '__'])
        expect((await cashier.ok(q, { last4: '7777', name: wildcard })).memberLookup, wildcard).toEqual([]);
    });

    it('memberLookup without enough to go on is a typed BAD_USER_INPUT error naming the argument', async () => {
      const cashier = t.as('CASHIER');
      const q = `query($code: String, $phone: String, $last4: String, $name: String)
        { memberLookup(code: $code, phone: $phone, phoneLast4: $last4, name: $name) { code } }`;
      for (const args of [
        {},
        { last4: '1234' },
        { name: '娜娜' },
        { last4: '12a4', name: '娜娜' },
        { last4: '123', name: '娜娜' },
        { code: '  ', last4: '1234', name: ' ' },
      ]) {
        const r = await cashier.gql(q, args);
        expect(r.data?.memberLookup ?? null, JSON.stringify(args)).toBeNull();
        expect(r.errors, JSON.stringify(args)).toHaveLength(1);
        expect(r.errors![0]!.extensions).toEqual({
          code: 'BAD_USER_INPUT',
          errorCode: 'INVALID_INPUT',
          field: ['phoneLast4'],
        });
        expect(r.errors![0]!.message).toMatch(/^输入有误：/);
      }
      const en = await cashier.gql(q, { last4: '1234' }, { locale: 'en' });
      expect(en.errors![0]!.message).toMatch(/^Invalid input: /);
      const badPhone = await cashier.gql(q, { phone: '12345' });
      expect(badPhone.errors![0]!.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        errorCode: 'INVALID_PHONE',
        field: ['phone'],
      });
      expect(badPhone.errors![0]!.message).toBe('手机号格式不正确，应为 11 位中国大陆手机号');
    });
  });

  describe('mergeCustomers', () => {
    const DAY = 86_400_000;
    const now = Date.now();

    /** Two records of one person, each with sales, interactions, identities and tags. */
    async function duplicates(label: string, members: { survivor: boolean; merged: boolean }) {
      const survivor = await create({
        name: `${label}甲`,
        phone: freshPhone(),
        tags: ['母婴', '高价值'],
        identities: [{ channel: 'WECHAT', externalId: uniqueId('wx') }],
      });
      const merged = await create({
        name: `${label}乙`,
        phone: freshPhone(),
        email: `${uniqueId('dup').toLowerCase()}@example.cn`,
        tags: ['母婴', '美妆'],
        identities: [
          { channel: 'MINI_PROGRAM', externalId: uniqueId('mp') },
          { channel: 'ECOMMERCE', externalId: uniqueId('tmall') },
        ],
      });
      const survivorCode = members.survivor ? await enroll(survivor.id) : null;
      const mergedCode = members.merged ? await enroll(merged.id) : null;
      const who = (c: { id: string }, code: string | null) => (code ? { memberCode: code } : { customerId: c.id });

      // Sales at different times, so first/last purchase come from different records.
      await record(who(survivor, survivorCode), [{ sku: 'DR-001', quantity: 3, unitPrice: '2.00' }], {
        occurredAt: new Date(now - 10 * DAY),
      });
      await record(
        who(survivor, survivorCode),
        [
          { sku: 'SN-001', quantity: 1, unitPrice: '89.00' },
          { sku: 'DR-002', quantity: 2, unitPrice: '5.50' },
        ],
        { occurredAt: new Date(now - 3 * DAY) },
      );
      const refunded = await record(who(merged, mergedCode), [{ sku: 'MB-005', quantity: 2, unitPrice: '39.90' }], {
        occurredAt: new Date(now - 20 * DAY),
      });
      await record(who(merged, mergedCode), [{ sku: 'BT-004', quantity: 1, unitPrice: '89.00' }], {
        occurredAt: new Date(now - 1 * DAY),
        split: true,
      });
      await record(who(merged, mergedCode), [{ sku: 'DH-004', quantity: 1, unitPrice: '29.90' }], {
        occurredAt: new Date(now - 5 * DAY),
      });
      // A partial refund: lifetime spend is net of it, before and after the merge.
      const refund = await t
        .as('MANAGER')
        .ok(REFUND_SALE, { saleId: refunded.id, externalId: uniqueId('R'), lines: [{ lineNo: 1, quantity: 1 }] });
      expect(refund.refundSale.__typename).toBe('RefundSalePayload');

      await interact(survivor.id, 'CALL', '电话回访：满意');
      await interact(merged.id, 'VISIT', '到店咨询纸尿裤');
      await interact(merged.id, 'COMPLAINT', '投诉：排队太久');
      return { survivor, merged, survivorCode, mergedCode };
    }

    /** What must hold after merging `before.b` into `before.a`, computed from both as read before. */
    function expectMergedProfile(after: any, a: any, b: any) {
      expect(after.id).toBe(a.id);
      expect(after.visitCount).toBe(a.visitCount + b.visitCount);
      expect(after.lifetimeSpend).toBe(money(cents(a.lifetimeSpend) + cents(b.lifetimeSpend)));
      expect(after.firstPurchaseAt).toBe([a.firstPurchaseAt, b.firstPurchaseAt].sort()[0]);
      expect(after.lastPurchaseAt).toBe([a.lastPurchaseAt, b.lastPurchaseAt].sort()[1]);
      // The figures agree with the sales the survivor now has.
      const saleNodes = after.sales.edges.map((e: any) => e.node);
      expect(after.sales.totalCount).toBe(a.sales.totalCount + b.sales.totalCount);
      expect(sorted(saleNodes.map((s: any) => s.id))).toEqual(
        sorted([...a.sales.edges, ...b.sales.edges].map((e: any) => e.node.id)),
      );
      expect(after.lifetimeSpend).toBe(
        money(saleNodes.reduce((s: number, n: any) => s + cents(n.total) - cents(n.refundedTotal), 0)),
      );
      // Interactions: all of both, plus one merge note naming the merged record.
      const beforeIds = [...a.interactions, ...b.interactions].map((i: any) => i.id);
      expect(after.interactions).toHaveLength(beforeIds.length + 1);
      expect(after.interactions.map((i: any) => i.id)).toEqual(expect.arrayContaining(beforeIds));
      const note = after.interactions.find((i: any) => !beforeIds.includes(i.id));
      expect(note.kind).toBe('NOTE');
      expect(note.summary).toContain(b.name);
      expect(sorted(after.identities.map((i: any) => `${i.channel}:${i.externalId}`))).toEqual(
        sorted([...a.identities, ...b.identities].map((i: any) => `${i.channel}:${i.externalId}`)),
      );
      expect(sorted(after.tags)).toEqual(sorted([...new Set([...a.tags, ...b.tags])]));
      // The survivor keeps its own values and takes the other's where it had none.
      expect(after.name).toBe(a.name);
      expect(after.phone).toBe(a.phone ?? b.phone);
      expect(after.email).toBe(a.email ?? b.email);
    }

    it('one member only: moves sales, interactions, identities, tags and the card to the survivor', async () => {
      const { survivor, merged, mergedCode } = await duplicates('合并测试', { survivor: false, merged: true });
      const a = await profile(survivor.id);
      const b = await profile(merged.id);
      expect(a.sales.totalCount).toBeGreaterThan(0);
      expect(b.sales.totalCount).toBeGreaterThan(0);
      expect(b.member).toEqual({ code: mergedCode, status: 'ACTIVE' });
      const countBefore = await customerCount();

      expect((await owner().ok(MERGE, { a: survivor.id, b: merged.id })).mergeCustomers).toEqual({
        __typename: 'Customer',
        id: survivor.id,
      });
      const after = await profile(survivor.id);
      expectMergedProfile(after, a, b);
      expect(after.member).toEqual({ code: mergedCode, status: 'ACTIVE' });
      // Sales made with the card still name it.
      for (const e of after.sales.edges.filter((e: any) => b.sales.edges.some((x: any) => x.node.id === e.node.id)))
        expect(e.node.member).toEqual({ code: mergedCode });

      // The merged id still resolves, to the survivor; lookups by the card find the survivor too.
      expect(await profile(merged.id)).toEqual(after);
      expect(
        (await owner().ok(`query($m: String!) { customer(memberCode: $m) { id } }`, { m: mergedCode })).customer,
      ).toEqual({ id: survivor.id });
      expect(
        (
          await t
            .as('CASHIER')
            .ok(`query($p: String!) { memberLookup(phone: $p) { code customer { id } } }`, { p: survivor.phone })
        ).memberLookup,
      ).toEqual([{ code: mergedCode, customer: { id: survivor.id } }]);
      // The merged record is gone from search, by name, by phone and in the full list; the count drops by one.
      expect(await customerCount()).toBe(countBefore - 1);
      const byName = await owner().ok(
        `query($q: String!) { customers(first: 100, filter: { query: $q }) { edges { node { id } } } }`,
        { q: '合并测试' },
      );
      expect(byName.customers.edges.map((e: any) => e.node.id)).toEqual([survivor.id]);
      const byPhone = await owner().ok(
        `query($q: String!) { customers(first: 100, filter: { query: $q }) { edges { node { id } } } }`,
        { q: merged.phone },
      );
      expect(byPhone.customers.edges).toEqual([]);
      expect((await everyone()).map((p) => p.id)).not.toContain(merged.id);

      // A sale for the old id now counts for the survivor, with the card it took over.
      const sale = await record({ customerId: merged.id }, [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }]);
      expect(sale.customer).toEqual({ id: survivor.id });
      expect(sale.member).toEqual({ code: mergedCode });
      const later = await profile(survivor.id);
      expect(later.visitCount).toBe(after.visitCount + 1);
      expect(later.lifetimeSpend).toBe(money(cents(after.lifetimeSpend) + 200));
    });

    it('both members: the survivor keeps its card; the other is cancelled, its sales count for the first', async () => {
      const { survivor, merged, survivorCode, mergedCode } = await duplicates('双卡测试', {
        survivor: true,
        merged: true,
      });
      const a = await profile(survivor.id);
      const b = await profile(merged.id);
      const cashierMerge = await t.as('CASHIER').gql(MERGE, { a: survivor.id, b: merged.id });
      expect(cashierMerge.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await profile(merged.id)).toEqual(b);

      expect((await t.as('MANAGER').ok(MERGE, { a: survivor.id, b: merged.id })).mergeCustomers).toEqual({
        __typename: 'Customer',
        id: survivor.id,
      });
      const after = await profile(survivor.id);
      expectMergedProfile(after, a, b);
      expect(after.member).toEqual({ code: survivorCode, status: 'ACTIVE' });
      expect(after.sales.edges.every((e: any) => e.node.member?.code === survivorCode)).toBe(true);
      const old = await owner().ok(
        `query($c: String!) { memberLookup(code: $c) { status } customer(memberCode: $c) { id } }`,
        { c: mergedCode },
      );
      expect(old).toEqual({ memberLookup: [{ status: 'CANCELLED' }], customer: { id: survivor.id } });
      // A till that still scans the cancelled card: the sale counts for the survivor's card.
      const scanned = await record({ memberCode: mergedCode! }, [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }]);
      expect(scanned).toMatchObject({ customer: { id: survivor.id }, member: { code: survivorCode } });
    });

    it('refuses to merge a customer into itself or to merge a merged record again, changing nothing', async () => {
      const a = await create({ name: '重复合并甲', phone: freshPhone() });
      const b = await create({ name: '重复合并乙', phone: freshPhone() });
      const c = await create({ name: '重复合并丙', phone: freshPhone() });
      await record({ customerId: b.id }, [{ sku: 'DR-002', quantity: 1, unitPrice: '5.50' }]);

      const self = await owner().ok(MERGE, { a: a.id, b: a.id });
      expect(self.mergeCustomers).toMatchObject({
        __typename: 'InvalidInputError',
        errorCode: 'MERGE_SAME_CUSTOMER',
        field: ['mergedId'],
      });
      expect(self.mergeCustomers.message).toBe('不能将顾客与自身合并');

      await owner().ok(MERGE, { a: a.id, b: b.id });
      const settled = await profile(a.id);
      const cBefore = await profile(c.id);

      for (const [survivorId, mergedId] of [
        [a.id, b.id],
        [c.id, b.id],
      ]) {
        const again = await owner().ok(MERGE, { a: survivorId, b: mergedId });
        expect(again.mergeCustomers).toMatchObject({
          __typename: 'InvalidStateError',
          errorCode: 'CUSTOMER_MERGED',
          field: ['mergedId'],
        });
      }
      // The old id names the survivor, so "merge a into b" is a merge into itself.
      const viaOldId = await owner().ok(MERGE, { a: b.id, b: a.id });
      expect(viaOldId.mergeCustomers).toMatchObject({
        __typename: 'InvalidInputError',
        errorCode: 'MERGE_SAME_CUSTOMER',
      });
      // Nothing changed: no extra merge note, no sales moved, figures as they were.
      expect(await profile(a.id)).toEqual(settled);
      expect(await profile(c.id)).toEqual(cBefore);
    });

    it('concurrent merges sharing a customer never leave history on a merged record', async () => {
      // "b into a" and "a into c" at once: whichever waits for the other's row lock must see
      // what the other did (a merged away, or a now holding b's tags), not what it read before.
      const triples = [];
      for (let i = 0; i < 6; i++) {
        const make = async (part: string) => {
          const c = await create({ name: `并发合并${i}${part}`, phone: freshPhone(), tags: [`并发${i}${part}`] });
          await record({ customerId: c.id }, [{ sku: 'DR-001', quantity: 1, unitPrice: `${i + 1}.00` }]);
          return c.id;
        };
        triples.push({ a: await make('甲'), b: await make('乙'), c: await make('丙'), i });
      }
      const results = await Promise.all(
        triples.flatMap(({ a, b, c }) => [owner().gql(MERGE, { a, b }), owner().gql(MERGE, { a: c, b: a })]),
      );
      for (const r of results) {
        // Each either merged or was refused with a typed error; never an unexpected failure.
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
        expect(['Customer', 'InvalidStateError', 'InvalidInputError']).toContain(r.data.mergeCustomers.__typename);
      }
      for (const { a, b, c, i } of triples) {
        const live = new Map<string, any>();
        for (const id of [a, b, c]) {
          const p = await profile(id);
          live.set(p.id, p);
        }
        // Every sale is on a live customer: the live ones together hold all three.
        expect([...live.values()].reduce((n, p) => n + p.sales.totalCount, 0)).toBe(3);
        const tags = [];
        for (const p of live.values()) {
          expect(p.visitCount).toBe(p.sales.totalCount);
          expect(p.lifetimeSpend).toBe(money(p.sales.edges.reduce((s: number, e: any) => s + cents(e.node.total), 0)));
          tags.push(...p.tags);
        }
        // Nothing a merged record had was lost on the way.
        expect(sorted(tags)).toEqual(sorted(['甲', '乙', '丙'].map((part) => `并发${i}${part}`)));
      }
    });
  });

  describe('searching', () => {
    /** Ids matching `filter`, in the order the API gives them, over as many pages of 100 as it takes. */
    const ids = async (filter: object) => {
      const found: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const r: any = await owner().ok(
          `query($f: CustomerFilter, $after: String) {
             customers(first: 100, after: $after, filter: $f) { pageInfo { hasNextPage endCursor } edges { node { id } }
               } }`,
          { f: filter, after },
        );
        found.push(...r.customers.edges.map((e: any) => e.node.id));
        if (!r.customers.pageInfo.hasNextPage) break;
        after = r.customers.pageInfo.endCursor;
      }
      return found;
    };

    it('filters by name part, phone, last 4, tag, channel, membership; newest first, ranked by a query', async () => {
      const latin = await create({ name: 'Alice Wang', phone: freshPhone() });
      // Names with LIKE's special characters, and one the unescaped pattern "li_na" would also match.
      for (const name of ['li_na', 'lixna', '五折%会员', 'back\\slash']) await create({ name });
      const people = await everyone();
      const expectIds = (pred: (p: Person) => boolean) => people.filter(pred).map((p) => p.id);
      /**
       * The filter returns exactly the matching customers, in the same order (a search with
       * `query` in its own order), and actually narrows the list.
       */
      const check = async (filter: { query?: string; [key: string]: unknown }, pred: (p: Person) => boolean) => {
        const expected = filter.query
          ? inSearchOrder(people.filter(pred), filter.query).map((p) => p.id)
          : expectIds(pred);
        expect(expected.length, JSON.stringify(filter)).toBeGreaterThan(0);
        expect(expected.length, JSON.stringify(filter)).toBeLessThan(people.length);
        expect(await ids(filter), JSON.stringify(filter)).toEqual(expected);
      };
      const someone = people.find((p) => p.phone && p.member && p.name.length >= 2)!;
      // The most common tag, so that combined with another filter it still finds someone.
      const tagCounts = new Map<string, number>();
      for (const tag of people.flatMap((p) => p.tags)) tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + 1);
      const tag = [...tagCounts].sort((x, y) => y[1] - x[1])[0]![0];

      await check({ query: someone.name.slice(1) }, (p) => p.name.includes(someone.name.slice(1)));
      await check({ query: someone.name }, (p) => p.name.includes(someone.name));
      expect(await ids({ query: 'alice' })).toEqual([latin.id]);
      // A fragment is literal text: % and _ are not wildcards, nor is a backslash an escape.
      for (const fragment of ['%', '_', 'li_na', '五折%', '\\'])
        await check({ query: fragment }, (p) => p.name.toLowerCase().includes(fragment.toLowerCase()));
      // The whole phone, as people write it; other pieces of a phone are not searchable (it is encrypted).
      const phone = someone.phone!;
      await check({ query: `${phone.slice(0, 3)} ${phone.slice(3, 7)}-${phone.slice(7)}` }, (p) => p.phone === phone);
      const last4 = someone.phone!.slice(-4);
      await check({ phoneLast4: last4 }, (p) => Boolean(p.phone?.endsWith(last4)));
      await check({ query: last4 }, (p) => Boolean(p.phone?.endsWith(last4)));
      await check({ tag }, (p) => p.tags.includes(tag));
      for (const channel of [...new Set(people.map((p) => p.sourceChannel))])
        await check({ channel }, (p) => p.sourceChannel === channel);
      await check({ isMember: true }, (p) => p.member !== null);
      await check({ isMember: false }, (p) => p.member === null);
      await check({ tag, isMember: true }, (p) => p.tags.includes(tag) && p.member !== null);
      const code = people.find((p) => p.member)!.member!.code;
      await check({ query: code }, (p) => p.member?.code === code);
    });

    it('filters by last purchase: from inclusive, to exclusive', async () => {
      const people = await everyone();
      const times = sorted([...new Set(people.flatMap((p) => (p.lastPurchaseAt ? [p.lastPurchaseAt] : [])))]);
      expect(times.length).toBeGreaterThan(10);
      const from = times[Math.floor(times.length / 4)]!;
      const to = times[Math.floor((times.length * 3) / 4)]!;
      const expectIds = (pred: (at: string) => boolean) =>
        people.filter((p) => p.lastPurchaseAt && pred(p.lastPurchaseAt)).map((p) => p.id);

      const window = await ids({ lastPurchaseFrom: from, lastPurchaseTo: to });
      expect(window).toEqual(expectIds((at) => at >= from && at < to));
      expect(window).toContain(people.find((p) => p.lastPurchaseAt === from)!.id);
      expect(window).not.toContain(people.find((p) => p.lastPurchaseAt === to)!.id);
      expect(await ids({ lastPurchaseFrom: to })).toEqual(expectIds((at) => at >= to));
      expect(await ids({ lastPurchaseTo: from })).toEqual(expectIds((at) => at < from));
    });

    it('pages with keyset cursors: every result exactly once, even when customers are added meanwhile', async () => {
      // Members and non-members: together every customer, each set small enough for one page of 100.
      for (const filter of [{ isMember: true }, { isMember: false }]) {
        const whole = await owner().ok(
          `query($f: CustomerFilter) { customers(first: 100, filter: $f) { totalCount pageInfo { hasNextPage }
             edges { node { id } } } }`,
          { f: filter },
        );
        expect(whole.customers.pageInfo.hasNextPage).toBe(false);
        const all = whole.customers.edges.map((e: any) => e.node.id);
        expect(all.length).toBe(whole.customers.totalCount);
        expect(all.length).toBeGreaterThan(20);

        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (; pages < 100; pages++) {
          const r: any = await owner().ok(
            `query($f: CustomerFilter, $after: String)
               { customers(first: 7, after: $after, filter: $f) { pageInfo { hasNextPage endCursor }
                 edges { node { id } } } }`,
            { f: filter, after },
          );
          seen.push(...r.customers.edges.map((e: any) => e.node.id));
          if (pages === 0) {
            // A newcomer sorts first (newest): a keyset cursor is not shifted by it, an offset would be.
            const c = await create({ name: '翻页插入', phone: freshPhone() });
            if (filter.isMember) await enroll(c.id);
          }
          if (!r.customers.pageInfo.hasNextPage) break;
          expect(r.customers.edges).toHaveLength(7);
          after = r.customers.pageInfo.endCursor;
        }
        expect(pages).toBe(Math.ceil(all.length / 7) - 1);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toEqual(all);
      }
    });

    it('counts only when totalCount is asked for', async () => {
      const filter = { isMember: true };
      const people = await everyone();
      const members = people.filter((p) => p.member).length;
      const page = `query($f: CustomerFilter, $after: String)
        { customers(first: 10, after: $after, filter: $f) { pageInfo { hasNextPage endCursor }
          edges { node { id name } } } }`;
      const counted = `query($f: CustomerFilter) { customers(first: 10, filter: $f) { totalCount edges { node { id } } }
        }`;
      const isCount = (sql: string) => /\bcount\s*\(/i.test(sql);

      t.db.statements.length = 0;
      const withCount = await owner().ok(counted, { f: filter });
      expect(withCount.customers.totalCount).toBe(members);
      expect(t.db.statements.filter(isCount)).toHaveLength(1);

      let after: string | null = null;
      for (let i = 0; i < 3; i++) {
        t.db.statements.length = 0;
        const r: any = await owner().ok(page, { f: filter, after });
        expect(r.customers.edges.length).toBeGreaterThan(0);
        expect(t.db.statements.length).toBeGreaterThan(0);
        expect(t.db.statements.filter(isCount), t.db.statements.join('\n')).toEqual([]);
        after = r.customers.pageInfo.endCursor;
      }
    });

    it('counts everyone from the tally, no row counted, as counting does after creates, merges, erasures', async () => {
      // Members plus non-members are counted row by row (a filter); no filter reads the tally.
      const counted = async () => {
        const q = `query($f: CustomerFilter) { customers(filter: $f) { totalCount } }`;
        const m = await owner().ok(q, { f: { isMember: true } });
        const n = await owner().ok(q, { f: { isMember: false } });
        return (m.customers.totalCount as number) + (n.customers.totalCount as number);
      };
      const isCount = (sql: string) => /\bcount\s*\(/i.test(sql);
      t.db.statements.length = 0;
      const before = await customerCount();
      expect(t.db.statements.filter(isCount), t.db.statements.join('\n')).toEqual([]);
      expect(before).toBe(await counted());
      expect(before).toBe((await everyone()).length);

      const a = await create({ name: '计数甲', phone: freshPhone() });
      const b = await create({ name: '计数乙', phone: freshPhone() });
      const c = await create({ name: '计数丙' });
      expect(await customerCount()).toBe(before + 3);
      const merged = await owner().ok(MERGE, { a: a.id, b: b.id });
      expect(merged.mergeCustomers.__typename).toBe('Customer');
      expect(await customerCount()).toBe(before + 2);
      const erased = await owner().ok(`mutation($c: ID!) { eraseCustomer(customerId: $c) { __typename } }`, {
        c: c.id,
      });
      expect(erased.eraseCustomer.__typename).toBe('CustomerErasure');
      expect(await customerCount()).toBe(before + 1);
      expect(await customerCount()).toBe(await counted());
      expect(await customerCount()).toBe((await everyone()).length);
      // A page with totalCount: the tally comes with the page's ids, in one statement.
      t.db.statements.length = 0;
      const page = await owner().ok(`{ customers(first: 5) { totalCount edges { node { id } } } }`);
      expect(page.customers.totalCount).toBe(before + 1);
      const tallies = t.db.statements.filter((sql) => sql.includes('CustomerTally'));
      expect(tallies, t.db.statements.join('\n')).toHaveLength(1);
      expect(tallies[0]).toMatch(/ORDER BY/);
    });
  });
});
