import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { postImport } from './helpers/workbook.ts';

// The audit log (docs/security.md, "Audit log"): append-only, written in the transaction of the
// change, queryable by owners of the chain with filters and connection paging, unalterable.

const LOG = `query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id at actorKind actorId actorName clientAddress forwardedFor requestId operation entityType entityId
      storeId before after details } }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { __typename
  ... on UserError { errorCode } } }`;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

describe('audit log', () => {
  let t: TestApp;
  let base: string;
  let customerId: string;
  let owner: string;
  /** A GraphQL request over real HTTP, so the client's address is that of a real connection. */
  const http = async (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data: any; errors?: unknown[] };
  };
  const log = async (filter: Record<string, unknown>, first = 20) =>
    (await t.as('OWNER').ok(LOG, { filter, first })).auditLog;

  beforeAll(async () => {
    t = await startTestApp();
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    owner = await t.token('OWNER');
    const c = await t.as('OWNER').ok(
      `mutation { createCustomer(input: { name: "郭美玲", phone: "13700001111", email: "guo@example.cn" }) {
           ... on Customer { id } } }`,
    );
    customerId = c.createCustomer.id;
  });
  afterAll(() => t?.close());

  it('records who, when, from where, what, which record, before and after (personal fields masked)', async () => {
    const r = await http(
      UPDATE,
      { id: customerId, input: { phone: '13700002222', tags: ['VIP'] } },
      { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'audit-test-1' },
    );
    expect(r.data.updateCustomer.__typename).toBe('Customer');
    const { edges, totalCount } = await log({ entityId: customerId, operation: 'customer.update' });
    expect(totalCount).toBe(1);
    const entry = edges[0].node;
    expect(entry).toMatchObject({
      actorKind: 'STAFF',
      actorName: '周建国',
      clientAddress: expect.stringMatching(/127\.0\.0\.1/),
      forwardedFor: '203.0.113.7',
      requestId: 'audit-test-1',
      operation: 'customer.update',
      entityType: 'Customer',
      entityId: customerId,
    });
    expect(Date.now() - new Date(entry.at).getTime()).toBeLessThan(60_000);
    const viewer = (await t.as('OWNER').ok(`{ viewer { staffId } }`)).viewer;
    expect(entry.actorId).toBe(viewer.staffId);
    expect(JSON.parse(entry.before)).toEqual({ phone: '137****1111', tags: [] });
    expect(JSON.parse(entry.after)).toEqual({ phone: '137****2222', tags: ['VIP'] });
    // The log never holds the number in full.
    expect(JSON.stringify(edges)).not.toMatch(/13700001111|13700002222/);
    // The entry is a node with a global id like everything else.
    const node = await t.as('OWNER').ok(`query($id: ID!) { node(id: $id) { ... on AuditEntry { operation } } }`, {
      id: entry.id,
    });
    expect(node.node.operation).toBe('customer.update');
  });

  it('names an API key as the actor of what a POS does', async () => {
    const c = await t.ok(
      `mutation { createCustomer(input: { name: "柜台新客", phone: "13700003333" }) { ... on Customer { id } } }`,
      {},
      { apiKey: t.posKey },
    );
    const entry = (await log({ entityId: c.createCustomer.id })).edges[0].node;
    expect(entry).toMatchObject({
      operation: 'customer.create',
      actorKind: 'API_KEY',
      actorName: '三里屯店收银机 POS-01',
    });
    expect(Buffer.from(entry.actorId, 'base64').toString()).toMatch(/^ApiKey:/);
    expect(JSON.parse(entry.after)).toMatchObject({ name: '柜***', phone: '137****3333' });
    expect((await log({ actorId: entry.actorId })).totalCount).toBeGreaterThanOrEqual(1);
  });

  it('writes nothing for a change that did not happen (same transaction)', async () => {
    const before = (await log({ entityId: customerId })).totalCount;
    const r = await t.as('OWNER').ok(UPDATE, { id: customerId, input: { phone: '12345' } });
    expect(r.updateCustomer.errorCode).toBe('INVALID_PHONE');
    expect((await log({ entityId: customerId })).totalCount).toBe(before);
  });

  it('records permission changes, exports and imports', async () => {
    const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const staff = await t.as('OWNER').ok(
      `mutation($s: ID!) { createStaff(name: "新店员", login: "13711112222", password: "new-staff-1",
           roles: [{ storeId: $s, role: CASHIER }]) { ... on Staff { id } } }`,
      { s: slt },
    );
    const created = (await log({ operation: 'staff.create' })).edges[0].node;
    expect(created.entityId).toBe(staff.createStaff.id);
    expect(JSON.parse(created.after).roles).toEqual([{ storeId: expect.any(String), role: 'CASHIER' }]);
    const key = await t.as('OWNER').ok(
      `mutation($s: [ID!]!) { createApiKey(name: "POS-A", role: CASHIER, storeIds: $s) {
           ... on CreateApiKeyPayload { key apiKey { id } } } }`,
      { s: [slt] },
    );
    await t
      .as('OWNER')
      .ok(`mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: key.createApiKey.apiKey.id });
    expect((await log({ operation: 'apiKey.' })).edges.map((e: any) => e.node.operation)).toEqual([
      'apiKey.revoke',
      'apiKey.create',
    ]);
    expect(JSON.stringify(await log({ operation: 'apiKey.' }))).not.toContain(key.createApiKey.key);

    const res = await fetch(`${base}/exports/customers.csv?tag=VIP`, {
      headers: { authorization: `Bearer ${await t.token('MANAGER')}` },
    });
    expect(res.status).toBe(200);
    await res.text();
    const exported = (await log({ operation: 'export.customers' })).edges[0].node;
    expect(exported).toMatchObject({ actorName: '林晓燕', clientAddress: expect.stringMatching(/127\.0\.0\.1/) });
    expect(JSON.parse(exported.details)).toMatchObject({ format: 'csv', masked: true, filter: { tag: 'VIP' } });

    const file = '商品编码,商品名称,分类,售价\r\nAUD-1,审计测试,零食,1\r\n';
    expect((await postImport(base, 'products', file, owner, { dryRun: true })).status).toBe(200);
    expect((await postImport(base, 'products', file, owner)).status).toBe(200);
    const imports = (await log({ operation: 'import.products' })).edges.map((e: any) => JSON.parse(e.node.details));
    expect(imports).toEqual([
      expect.objectContaining({ dryRun: false, outcome: 'APPLIED', created: 1 }),
      expect.objectContaining({ dryRun: true, outcome: 'CHECKED' }),
    ]);
  });

  it('filters by actor, operation prefix and time, and pages like every connection', async () => {
    const manager = (await t.as('MANAGER').ok(`{ viewer { staffId } }`)).viewer.staffId;
    const mine = await log({ actorId: manager });
    expect(mine.totalCount).toBeGreaterThan(0);
    expect(mine.edges.every((e: any) => e.node.actorName === '林晓燕')).toBe(true);
    expect((await log({ to: '2000-01-01T00:00:00Z' })).totalCount).toBe(0);
    const all = await log({ operation: 'customer.' }, 100);
    expect(all.totalCount).toBeGreaterThanOrEqual(2);
    const first = (await t.as('OWNER').ok(LOG, { filter: { operation: 'customer.' }, first: 1 })).auditLog;
    const second = (
      await t.as('OWNER').ok(LOG, { filter: { operation: 'customer.' }, first: 1, after: first.pageInfo.endCursor })
    ).auditLog;
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect([first.edges[0].node.id, second.edges[0].node.id]).toEqual(all.edges.slice(0, 2).map((e: any) => e.node.id));
    const bad = await t.as('OWNER').gql(LOG, { filter: { actorId: 'nonsense' } });
    expect(code(bad)).toBe('BAD_USER_INPUT');
  });

  it('is for owners of the chain: managers, cashiers and POS keys are refused', async () => {
    for (const role of ['MANAGER', 'CASHIER', 'SALES_ASSOCIATE'] as const)
      expect(code(await t.as(role).gql(LOG, { first: 1 }))).toBe('FORBIDDEN');
    expect(code(await t.gql(LOG, { first: 1 }, { apiKey: t.posKey }))).toBe('FORBIDDEN');
    const id = (await log({}, 1)).edges[0].node.id;
    const r = await t
      .as('MANAGER')
      .gql(`query($id: ID!) { node(id: $id) { ... on AuditEntry { operation } } }`, { id });
    expect(r.data?.node ?? null).toBeNull();
  });

  it('cannot be altered: no mutation touches it, and the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const mutations = t.app.schema.getMutationType()!.getFields();
    expect(Object.keys(mutations).filter((name) => /audit/i.test(name))).toEqual([]);
    const db = t.db.database.prisma;
    const count = await db.auditEntry.count();
    expect(count).toBeGreaterThan(0);
    await expect(db.$executeRawUnsafe(`UPDATE "AuditEntry" SET "actorName" = 'nobody'`)).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe(`DELETE FROM "AuditEntry"`)).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe(`TRUNCATE "AuditEntry"`)).rejects.toThrow(/append-only/);
    await expect(db.auditEntry.deleteMany({})).rejects.toThrow();
    expect(await db.auditEntry.count()).toBe(count);
    expect(await db.auditEntry.count({ where: { actorName: 'nobody' } })).toBe(0);
  });

  it('leaves sales out: a sale is its own record (who, where, when, every line), and stays cheap', async () => {
    const before = await t.db.database.prisma.auditEntry.count();
    const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const sale = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: slt,
          externalId: uniqueId('AUD'),
          lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
          payments: [{ method: 'CASH', amount: '2.00' }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(sale.recordSale.__typename).toBe('RecordSalePayload');
    expect(await t.db.database.prisma.auditEntry.count()).toBe(before);
  });
});
