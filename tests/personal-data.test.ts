import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

// Personal data (docs/security.md, "Personal data: masking and reveal"): phone, e-mail and
// birthday are masked for roles without customer:pii; a reveal is permissioned and audited; the
// staff directory is for managers and owners.

const PHONE = '13912345678';
const CREATE = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id }
  ... on UserError { errorCode } } }`;
const BY_PHONE = `query($p: String!) { customer(phone: $p) { id name phone email birthday personalDataMasked } }`;
const REVEAL = `mutation($c: ID!, $r: String) { revealCustomerContact(customerId: $c, reason: $r) { __typename
  ... on CustomerContact { phone email birthday } ... on UserError { errorCode } } }`;
const REVEALS = `query($c: ID!) { auditLog(first: 10, filter: { entityId: $c, operation: "customer.reveal" })
  { totalCount edges { node { actorName actorKind details } } } }`;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

describe('personal data', () => {
  let t: TestApp;
  let slt: string;
  let customerId: string;
  beforeAll(async () => {
    t = await startTestApp();
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const c = await t.as('CASHIER').ok(CREATE, {
      input: { name: '陈静', phone: `+86 ${PHONE}`, email: 'chen.jing@example.cn', birthday: '1990-05-12' },
    });
    customerId = c.createCustomer.id;
    await t
      .as('OWNER')
      .ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id, code: "M-PD-1" }) { __typename } }`, {
        id: customerId,
      });
  });
  afterAll(() => t?.close());

  describe('masking', () => {
    it('a cashier finds a customer by the whole phone number, and sees it masked', async () => {
      const found = (await t.as('CASHIER').ok(BY_PHONE, { p: PHONE })).customer;
      expect(found).toEqual({
        id: customerId,
        name: '陈静',
        phone: '139****5678',
        email: 'c***@example.cn',
        birthday: null,
        personalDataMasked: true,
      });
      // Nothing in the response carries the number in full.
      expect(JSON.stringify(await t.as('CASHIER').gql(BY_PHONE, { p: PHONE }))).not.toContain(PHONE);
    });

    it('so does the checkout look-up by phone, and a sale read back by the POS key', async () => {
      const lookup = await t
        .as('CASHIER')
        .ok(`query($p: String!) { memberLookup(phone: $p) { code customer { phone } } }`, { p: PHONE });
      expect(lookup.memberLookup).toEqual([{ code: 'M-PD-1', customer: { phone: '139****5678' } }]);
      const sale = await t.ok(
        RECORD_SALE.replace('customer { id }', 'customer { id phone email birthday }'),
        {
          input: {
            storeId: slt,
            externalId: uniqueId('PD'),
            memberCode: 'M-PD-1',
            lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
            payments: [{ method: 'CASH', amount: '2.00' }],
          },
        },
        { apiKey: t.posKey },
      );
      expect(sale.recordSale.sale.customer).toEqual({
        id: customerId,
        phone: '139****5678',
        email: 'c***@example.cn',
        birthday: null,
      });
    });

    it('managers and sales associates see it masked too; the owner (customer:pii) in full', async () => {
      for (const role of ['MANAGER', 'SALES_ASSOCIATE'] as const)
        expect((await t.as(role).ok(BY_PHONE, { p: PHONE })).customer.phone).toBe('139****5678');
      const search = await t
        .as('SALES_ASSOCIATE')
        .ok(`{ customers(first: 5, filter: { query: "${PHONE}" }) { edges { node { phone } } } }`);
      expect(search.customers.edges).toEqual([{ node: { phone: '139****5678' } }]);
      expect((await t.as('OWNER').ok(BY_PHONE, { p: PHONE })).customer).toMatchObject({
        phone: PHONE,
        email: 'chen.jing@example.cn',
        birthday: '1990-05-12',
        personalDataMasked: false,
      });
    });

    it("a manager's CSV export is masked; the owner's is whole", async () => {
      const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
      const rowOf = async (role: 'MANAGER' | 'OWNER') => {
        const res = await fetch(`${base}/exports/customers.csv?query=${PHONE}`, {
          headers: { authorization: `Bearer ${await t.token(role)}` },
        });
        expect(res.status).toBe(200);
        const rows: string[][] = parse(await res.text(), { bom: true });
        return rows[1]!;
      };
      const managers = await rowOf('MANAGER');
      // Phones are written as ="…" so that Excel keeps them as text (src/csv/cells.ts).
      expect(managers.slice(2, 6)).toEqual(['="139****5678"', 'c***@example.cn', '', '']);
      expect(managers.join(',')).not.toContain(PHONE);
      expect((await rowOf('OWNER')).slice(2, 6)).toEqual([`="${PHONE}"`, 'chen.jing@example.cn', '', '1990-05-12']);
    });
  });

  describe('revealCustomerContact', () => {
    it('is refused to a cashier and records nothing', async () => {
      expect(code(await t.as('CASHIER').gql(REVEAL, { c: customerId }))).toBe('FORBIDDEN');
      expect(code(await t.gql(REVEAL, { c: customerId }, { apiKey: t.posKey }))).toBe('FORBIDDEN');
      expect((await t.as('OWNER').ok(REVEALS, { c: customerId })).auditLog.totalCount).toBe(0);
    });

    it('shows a sales associate the contact in full, and the audit log says who and why', async () => {
      const r = await t.as('SALES_ASSOCIATE').ok(REVEAL, { c: customerId, r: '生日回访电话' }, { locale: 'en' });
      expect(r.revealCustomerContact).toEqual({
        __typename: 'CustomerContact',
        phone: PHONE,
        email: 'chen.jing@example.cn',
        birthday: '1990-05-12',
      });
      const log = (await t.as('OWNER').ok(REVEALS, { c: customerId })).auditLog;
      expect(log.totalCount).toBe(1);
      expect(log.edges[0].node).toMatchObject({ actorName: '陈志强', actorKind: 'STAFF' });
      expect(JSON.parse(log.edges[0].node.details)).toEqual({
        fields: ['phone', 'email', 'birthday'],
        reason: '生日回访电话',
      });
    });

    it('answers an unknown customer with a typed error', async () => {
      const r = await t
        .as('MANAGER')
        .ok(REVEAL, { c: Buffer.from('Customer:00000000-0000-7000-8000-000000000000').toString('base64') });
      expect(r.revealCustomerContact).toMatchObject({ __typename: 'NotFoundError', errorCode: 'NOT_FOUND' });
    });
  });

  describe('the staff directory', () => {
    const STAFF = `{ staffMembers { name roles { role store { code } } } }`;

    it('is refused to cashiers, sales associates and POS keys', async () => {
      for (const role of ['CASHIER', 'SALES_ASSOCIATE'] as const)
        expect(code(await t.as(role).gql(STAFF))).toBe('FORBIDDEN');
      expect(code(await t.gql(STAFF, {}, { apiKey: t.posKey }))).toBe('FORBIDDEN');
    });

    it("shows a manager their own store's staff, the owner everyone", async () => {
      const mine = (await t.as('MANAGER').ok(STAFF)).staffMembers as { roles: { store: { code: string } }[] }[];
      expect(mine.length).toBeGreaterThan(1);
      expect(mine.every((s) => s.roles.length > 0 && s.roles.every((r) => r.store.code === 'BJ-SLT'))).toBe(true);
      const all = (await t.as('OWNER').ok(STAFF)).staffMembers as { roles: { store: { code: string } }[] }[];
      expect(all.length).toBeGreaterThan(mine.length);
      expect(new Set(all.flatMap((s) => s.roles.map((r) => r.store.code))).size).toBeGreaterThan(1);
    });

    it("a cashier sees who served a sale, not that person's roles", async () => {
      const sale = await t.as('CASHIER').ok(RECORD_SALE, {
        input: {
          storeId: slt,
          externalId: uniqueId('PD'),
          lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
          payments: [{ method: 'CASH', amount: '2.00' }],
        },
      });
      const q = `query($id: ID!) { sale(id: $id) { staff { name roles { role } } } }`;
      const id = sale.recordSale.sale.id;
      expect((await t.as('CASHIER').ok(q, { id })).sale.staff).toEqual({ name: '王小红', roles: [] });
      expect((await t.as('MANAGER').ok(q, { id })).sale.staff.roles).toEqual([{ role: 'CASHIER' }]);
    });
  });
});
