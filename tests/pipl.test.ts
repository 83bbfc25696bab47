import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createRule, sell, stockUp } from './helpers/loyalty.ts';
import { onHand, RECORD_SALE, uniqueId } from './helpers/queries.ts';

// PIPL requests (docs/security.md, "PIPL requests"): a machine-readable copy of everything held
// about one customer, and erasure on request that keeps the books.

const PHONE = '13655556666';
const ERASE = `mutation($c: ID!, $r: String) { eraseCustomer(customerId: $c, reason: $r) { __typename
  ... on CustomerErasure { customerId erasedAt alreadyErased } ... on UserError { errorCode } } }`;
const PROFILE = `query($id: ID!) {
  customer(id: $id) {
    id name phone email birthday gender tags notes erasedAt visitCount lifetimeSpend
    identities { channel } consents { channel granted }
    member { code status }
    interactions { summary }
    points { balance }
    sales(first: 10) { totalCount edges { node { total } } }
  }
}`;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

describe('PIPL requests', () => {
  let t: TestApp;
  let base: string;
  let slt: string;
  let customerId: string;
  let memberCode: string;
  let saleTotal: string;
  const exportOf = async (id: string, role: 'OWNER' | 'MANAGER' | 'CASHIER' = 'OWNER') =>
    fetch(`${base}/exports/customer-data/${encodeURIComponent(id)}.json`, {
      headers: { authorization: `Bearer ${await t.token(role)}` },
    });

  beforeAll(async () => {
    t = await startTestApp({ plugins: [pointsPlugin(), tiersPlugin()] });
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, slt, ['SN-001']);
    await createRule(t, { name: '基础', kind: 'BASE_RATE', pointsPerYuan: '1', combine: 'HIGHEST_WINS' });
    await t
      .as('OWNER')
      .ok(`mutation { createTier(input: { code: "REGULAR", name: "普通会员", rank: 0 }) { __typename } }`);
    const c = await t
      .as('OWNER')
      .ok(`mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id } } }`, {
        input: {
          name: '许文博',
          phone: PHONE,
          email: 'xu.wenbo@example.cn',
          birthday: '1985-03-02',
          gender: 'MALE',
          tags: ['母婴'],
          notes: '住朝阳区，常买奶粉',
          identities: [{ channel: 'WECHAT', externalId: 'wx-openid-xwb' }],
          consents: [
            { channel: 'SMS', granted: true },
            { channel: 'WECHAT', granted: true },
          ],
        },
      });
    customerId = c.createCustomer.id;
    memberCode = (
      await t
        .as('OWNER')
        .ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id }) { ... on Member { code } } }`, {
          id: customerId,
        })
    ).enrollMember.code;
    const sale = await sell(t, slt, memberCode, [{ sku: 'SN-001', quantity: 2, unitPrice: '89.00' }]);
    saleTotal = sale.sale.total;
    await t
      .as('OWNER')
      .ok(`mutation($c: ID!) { adjustPoints(customerId: $c, points: 20, reason: "许文博投诉补偿") { __typename } }`, {
        c: customerId,
      });
    await t.as('OWNER').ok(
      `mutation($c: ID!) { addInteraction(input: { customerId: $c, kind: COMPLAINT, summary: "电话 13655556666 投诉配送慢" })
           { __typename } }`,
      { c: customerId },
    );
  });
  afterAll(() => t?.close());

  it('exports everything held about the customer as one JSON file, for owners of the chain, audited', async () => {
    expect((await exportOf(customerId, 'MANAGER')).status).toBe(403);
    expect((await exportOf(customerId, 'CASHIER')).status).toBe(403);
    expect((await exportOf('not-an-id')).status).toBe(400);
    expect(
      (await exportOf(Buffer.from('Customer:00000000-0000-7000-8000-000000000000').toString('base64'))).status,
    ).toBe(404);
    const res = await exportOf(customerId);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="customer-.*\.json"/);
    const doc = await res.json();
    expect(doc).toMatchObject({
      format: 'storecrm.customer-data/1',
      customer: {
        name: '许文博',
        phone: PHONE,
        email: 'xu.wenbo@example.cn',
        birthday: '1985-03-02',
        tags: ['母婴'],
        notes: '住朝阳区，常买奶粉',
        purchases: { visitCount: 1, lifetimeSpend: saleTotal },
      },
      identities: [{ channel: 'WECHAT', externalId: 'wx-openid-xwb' }],
      memberships: [{ code: memberCode, status: 'ACTIVE' }],
      interactions: [{ kind: 'COMPLAINT', summary: '电话 13655556666 投诉配送慢' }],
    });
    expect(doc.consents).toHaveLength(2);
    expect(doc.purchases).toHaveLength(1);
    expect(doc.purchases[0]).toMatchObject({
      store: 'BJ-SLT',
      total: saleTotal,
      lines: [{ sku: 'SN-001', quantity: 2, unitPrice: '89.00' }],
    });
    // Each plugin's part: the points ledger, the member tier.
    expect(doc.plugins.points.ledger.map((e: { kind: string }) => e.kind).sort()).toEqual(['ADJUST', 'EARN']);
    expect(doc.plugins.tiers.tiers).toHaveLength(1);
    const audit = await t.as('OWNER').ok(
      `query($c: ID!) { auditLog(first: 5, filter: { entityId: $c, operation: "customer.data_export" }) { totalCount }
           }`,
      {
        c: customerId,
      },
    );
    expect(audit.auditLog.totalCount).toBe(1);
  });

  describe('erasure', () => {
    let before: { sales: number; report: unknown; stock: number; points: number };
    // The last year up to tomorrow (the test's sales are today's).
    const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const from = new Date(Date.now() - 360 * 86_400_000).toISOString().slice(0, 10);
    const report = async () =>
      (
        await t.as('OWNER').ok(
          `query($s: ID!, $f: Date!, $t: Date!) { salesByDay(storeId: $s, from: $f, to: $t)
               { date netSales saleCount } }`,
          {
            s: slt,
            f: from,
            t: to,
          },
        )
      ).salesByDay;

    beforeAll(async () => {
      before = {
        sales: await t.db.database.prisma.sale.count(),
        report: await report(),
        stock: await onHand(t, slt, 'SN-001'),
        points: (await t.as('OWNER').ok(PROFILE, { id: customerId })).customer.points.balance,
      };
    });

    it('is refused to managers and cashiers, changing nothing', async () => {
      expect(code(await t.as('MANAGER').gql(ERASE, { c: customerId }))).toBe('FORBIDDEN');
      expect(code(await t.as('CASHIER').gql(ERASE, { c: customerId }))).toBe('FORBIDDEN');
      expect((await t.as('OWNER').ok(PROFILE, { id: customerId })).customer.erasedAt).toBeNull();
    });

    it('anonymises the person, withdraws consents, and keeps sales, stock, totals and points', async () => {
      const r = await t.as('OWNER').ok(ERASE, { c: customerId, r: '工单 PIPL-2026-001' });
      expect(r.eraseCustomer).toMatchObject({ __typename: 'CustomerErasure', customerId, alreadyErased: false });
      const after = (await t.as('OWNER').ok(PROFILE, { id: customerId })).customer;
      expect(after).toMatchObject({
        name: '（已删除）',
        phone: null,
        email: null,
        birthday: null,
        gender: 'UNKNOWN',
        tags: [],
        notes: null,
        identities: [],
        member: { status: 'CANCELLED' },
        interactions: [{ summary: '（已删除）' }],
        visitCount: 1,
        lifetimeSpend: saleTotal,
        points: { balance: before.points },
        sales: { totalCount: 1, edges: [{ node: { total: saleTotal } }] },
      });
      expect(after.erasedAt).not.toBeNull();
      expect(after.consents.every((c: { granted: boolean }) => !c.granted)).toBe(true);
      expect(after.member.code).not.toBe(memberCode);
      expect(await t.db.database.prisma.sale.count()).toBe(before.sales);
      expect(await report()).toEqual(before.report);
      expect(await onHand(t, slt, 'SN-001')).toBe(before.stock);
      // The points ledger stays; the note written by hand, which named the person, does not.
      const ledger = await t
        .as('OWNER')
        .ok(`query($c: ID!) { pointsLedger(customerId: $c, first: 10) { edges { node { kind reason } } } }`, {
          c: customerId,
        });
      expect(ledger.pointsLedger.edges.find((e: any) => e.node.kind === 'ADJUST').node.reason).toBe('（已删除）');
      // Nothing of the person is left in the database, the audit log included.
      const db = t.db.database.prisma;
      const dump = JSON.stringify(
        [
          await db.customer.findMany(),
          await db.customerIdentity.findMany(),
          await db.interaction.findMany(),
          await db.member.findMany(),
          await db.auditEntry.findMany(),
          await db.pointsLedgerEntry.findMany(),
        ],
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
      );
      for (const trace of [PHONE, '许文博', 'xu.wenbo', 'wx-openid-xwb', '朝阳区', '1985-03-02'])
        expect(dump).not.toContain(trace);
    });

    it('is no longer found by phone, name, member code or at the checkout', async () => {
      const owner = t.as('OWNER');
      expect((await owner.ok(`query($p: String!) { customer(phone: $p) { id } }`, { p: PHONE })).customer).toBeNull();
      for (const query of ['许文博', PHONE, '6666', '已删除'])
        expect(
          (
            await owner.ok(`query($q: String!) { customers(first: 5, filter: { query: $q }) { totalCount } }`, {
              q: query,
            })
          ).customers.totalCount,
        ).toBe(0);
      expect(
        (await owner.ok(`query($c: String!) { memberLookup(code: $c) { code } }`, { c: memberCode })).memberLookup,
      ).toEqual([]);
      expect((await owner.ok(`{ memberLookup(phoneLast4: "6666", name: "许") { code } }`)).memberLookup).toEqual([]);
    });

    it('cannot be undone or used: no update, no sale, no merge', async () => {
      const upd = await t.as('OWNER').ok(
        `mutation($id: ID!) { updateCustomer(id: $id, input: { name: "许文博", phone: "${PHONE}" }) { __typename
             ... on UserError { errorCode } } }`,
        {
          id: customerId,
        },
      );
      expect(upd.updateCustomer).toEqual({ __typename: 'InvalidStateError', errorCode: 'CUSTOMER_ERASED' });
      const sale = await t.ok(
        RECORD_SALE,
        {
          input: {
            storeId: slt,
            externalId: uniqueId('ERASED'),
            customerId,
            lines: [{ sku: 'SN-001', quantity: 1, unitPrice: '89.00' }],
            payments: [{ method: 'CASH', amount: '89.00' }],
          },
        },
        { apiKey: t.posKey },
      );
      expect(sale.recordSale.errorCode).toBe('CUSTOMER_ERASED');
      const other = await t
        .as('OWNER')
        .ok(`mutation { createCustomer(input: { name: "路人" }) { ... on Customer { id } } }`);
      const merge = await t.as('OWNER').ok(
        `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename
             ... on UserError { errorCode } } }`,
        {
          a: other.createCustomer.id,
          b: customerId,
        },
      );
      expect(merge.mergeCustomers.errorCode).toBe('CUSTOMER_ERASED');
    });

    it('is idempotent: erasing again changes nothing and records nothing more', async () => {
      const again = await t.as('OWNER').ok(ERASE, { c: customerId });
      expect(again.eraseCustomer).toMatchObject({ customerId, alreadyErased: true });
      const entries = await t.as('OWNER').ok(
        `query($c: ID!) { auditLog(first: 5, filter: { entityId: $c, operation: "customer.erase" })
             { totalCount edges { node { details before } } } }`,
        {
          c: customerId,
        },
      );
      expect(entries.auditLog.totalCount).toBe(1);
      expect(JSON.parse(entries.auditLog.edges[0].node.details)).toMatchObject({ reason: '工单 PIPL-2026-001' });
      expect(JSON.parse(entries.auditLog.edges[0].node.before)[0]).toMatchObject({
        name: '许**',
        phone: '136****6666',
      });
    });

    it('a person who comes back with the same phone is a new customer, with none of the old history', async () => {
      const back = await t.as('CASHIER').ok(
        `mutation($p: String!) { createCustomer(input: { name: "许文博", phone: $p }) { __typename
             ... on Customer { id visitCount lifetimeSpend member { code } } } }`,
        { p: PHONE },
      );
      expect(back.createCustomer).toMatchObject({
        __typename: 'Customer',
        visitCount: 0,
        lifetimeSpend: '0.00',
        member: null,
      });
      expect(back.createCustomer.id).not.toBe(customerId);
    });
  });
});
