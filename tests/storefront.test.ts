import { createHash } from 'node:crypto';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isAbstractType,
  isScalarType,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createRule, newMember, sell, stockUp } from './helpers/loyalty.ts';
import { productPrice, REFUND_SALE, uniqueId } from './helpers/queries.ts';

/**
 * Storefront access: a merchant's backend with an integration key exchanges a customer it
 * verified for a short-lived token; with it a storefront reads and changes that customer's own
 * account and reaches nothing else — proved here by trying every root field of the schema.
 */

const ISSUE = `mutation($input: IssueCustomerTokenInput!) { issueCustomerToken(input: $input) {
  ... on CustomerToken { token expiresAt enrolled } ... on UserError { errorCode message field } } }`;

/** The fields a customer token may call; every other root field must refuse it. */
const CUSTOMER_FIELDS = new Set([
  'Query.myAccount',
  'Mutation.updateMyProfile',
  'Mutation.setMyMarketingConsents',
  'Mutation.joinMembership',
  // Open to everyone: signing in, and who the credentials belong to (the customer's own name).
  'Mutation.signIn',
  'Query.viewer',
]);

/** Types only staff may reach; none may be reachable from what a customer token calls. */
const STAFF_TYPES = ['Customer', 'Sale', 'SaleLine', 'Staff', 'Interaction', 'Product', 'StockLevel', 'AuditEntry'];

describe('storefront access with customer tokens', () => {
  let t: TestApp;
  let integrationKey: string;
  let customer: { id: string; name: string; phone: string; member: { code: string }; sales: { totalCount: number } };
  let other: { id: string };
  let token: string;
  const me = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, { token });

  beforeAll(async () => {
    t = await startTestApp({ plugins: [pointsPlugin(), tiersPlugin()] });
    const key = await t.as('OWNER').ok(
      `mutation($s: [ID!]!) { createApiKey(name: "小程序后端", role: MANAGER, storeIds: $s) {
         ... on CreateApiKeyPayload { key } } }`,
      { s: [t.stores[0]!.id] },
    );
    integrationKey = key.createApiKey.key;
    const list = await t.as('OWNER').ok(`{ customers(first: 30) { edges { node {
      id name phone member { code } sales(first: 1) { totalCount } } } } }`);
    const nodes = list.customers.edges.map((e: any) => e.node);
    customer = nodes.find((c: any) => c.member && c.phone && c.sales.totalCount > 0);
    other = nodes.find((c: any) => c.id !== customer.id);
    const issued = await t.ok(ISSUE, { input: { phone: customer.phone } }, { apiKey: integrationKey });
    token = issued.issueCustomerToken.token;
  });
  afterAll(() => t?.close());

  it('issues a token only to an integration key that may, for a customer it names one way', async () => {
    const ttl = await t.ok(ISSUE, { input: { phone: customer.phone, ttlMinutes: 10 } }, { apiKey: integrationKey });
    const expires = new Date(ttl.issueCustomerToken.expiresAt).getTime() - Date.now();
    expect(expires).toBeGreaterThan(9 * 60_000);
    expect(expires).toBeLessThanOrEqual(10 * 60_000);

    const refusals = await Promise.all([
      t.gql(ISSUE, { input: { phone: customer.phone } }, { apiKey: t.posKey }), // a till's key (cashier)
      t.gql(ISSUE, { input: { phone: customer.phone } }, { token: await t.token('OWNER') }), // a person
      t.gql(ISSUE, { input: { phone: customer.phone } }), // nobody
      t.gql(ISSUE, { input: { phone: customer.phone } }, { token }), // a customer
    ]);
    expect(refusals.map((r) => r.errors?.[0]?.extensions?.code)).toEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'UNAUTHENTICATED',
      'FORBIDDEN',
    ]);

    const errors = async (input: Record<string, unknown>) =>
      (await t.ok(ISSUE, { input }, { apiKey: integrationKey })).issueCustomerToken;
    expect(await errors({})).toMatchObject({ errorCode: 'STOREFRONT_ONE_IDENTITY' });
    expect(await errors({ phone: customer.phone, identity: { channel: 'WECHAT', externalId: 'o-abc' } })).toMatchObject(
      { errorCode: 'STOREFRONT_ONE_IDENTITY' },
    );
    expect(await errors({ phone: customer.phone, ttlMinutes: 2 })).toMatchObject({
      errorCode: 'STOREFRONT_TOKEN_TTL',
      field: ['input', 'ttlMinutes'],
    });
    expect(await errors({ phone: '13800000000' })).toMatchObject({
      errorCode: 'STOREFRONT_NO_CUSTOMER',
      message: '没有这位顾客；如需同时入会，请传 enrol',
    });
    expect(await errors({ phone: '12345' })).toMatchObject({ errorCode: 'INVALID_PHONE' });
    expect(await errors({ identity: { channel: 'WECHAT', externalId: 'o-unknown' } })).toMatchObject({
      errorCode: 'STOREFRONT_NO_CUSTOMER',
    });
    // An enrolment names one of the key's stores, not another.
    expect(await errors({ phone: '13800000001', enrol: { name: '新会员', storeId: t.stores[1]!.id } })).toMatchObject({
      errorCode: 'NOT_FOUND',
      field: ['input', 'enrol', 'storeId'],
    });
  });

  it('shows the customer their own account: profile, card, purchases, points and tier, as staff see them', async () => {
    const mine = await me(`{ myAccount { name phone memberCard { code qrPayload status }
      purchases(first: 50) { edges { node { receiptNo storeName total lines { sku name quantity total }
        offers { label amount } } } }
      points { balance } pointsHistory(first: 5) { edges { node { kind points why } } }
      tier { tier { name } progress { spend nextTier { name } } } } }`);
    expect(mine.errors).toBeUndefined();
    const account = mine.data!.myAccount;
    expect(account).toMatchObject({
      name: customer.name,
      phone: customer.phone,
      memberCard: { code: customer.member.code, qrPayload: customer.member.code, status: 'ACTIVE' },
    });
    const staff = await t.as('OWNER').ok(
      `query($id: ID!) { node(id: $id) { ... on Customer { sales(first: 50) { totalCount edges { node { total } } }
        points { balance } } } }`,
      { id: customer.id },
    );
    expect(account.purchases.edges.map((e: any) => e.node.total)).toEqual(
      staff.node.sales.edges.map((e: any) => e.node.total),
    );
    expect(account.points?.balance ?? null).toBe(staff.node.points?.balance ?? null);
    for (const e of account.purchases.edges) expect(e.node.lines.length).toBeGreaterThan(0);
  });

  it('shows a refunded purchase, the points it earned and their reversal, each with its why', async () => {
    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['SN-001']);
    await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1', combine: 'HIGHEST_WINS' });
    const { customerId, memberCode } = await newMember(t, '退货会员');
    const sale = await sell(t, store, memberCode, [
      { sku: 'SN-001', quantity: 4, unitPrice: await productPrice(t, 'SN-001') },
    ]);
    const refund = await t.as('MANAGER').ok(REFUND_SALE, {
      saleId: sale.sale.id,
      externalId: uniqueId('R'),
      lines: [{ lineNo: 1, quantity: 1 }],
    });
    expect(refund.refundSale.__typename).toBe('RefundSalePayload');
    const phone = (
      await t.as('OWNER').ok(`query($id: ID!) { node(id: $id) { ... on Customer { phone } } }`, {
        id: customerId,
      })
    ).node.phone;
    const issued = await t.ok(ISSUE, { input: { phone } }, { apiKey: integrationKey });
    const mine = await t.gql(
      `{ myAccount { pointsHistory(first: 10) { edges { node { kind points why } } }
         purchases(first: 1) { edges { node { refundedTotal lines { quantity refundedQuantity } } } } } }`,
      {},
      { token: issued.issueCustomerToken.token },
    );
    expect(mine.errors).toBeUndefined();
    const history = mine.data!.myAccount.pointsHistory.edges.map((e: any) => e.node);
    expect(history.map((h: any) => h.kind)).toEqual(['REVERSE', 'EARN']);
    expect(history[1].why).toBe('基础 1 分/元');
    expect(mine.data!.myAccount.purchases.edges[0].node.lines[0]).toEqual({ quantity: 4, refundedQuantity: 1 });
  });

  it('changes only what a customer may change, audited as the customer', async () => {
    const changed = await me(
      `mutation { updateMyProfile(input: { name: "王小芳", email: "me@example.cn" }) {
        ... on CustomerAccount { name email } } }`,
    );
    expect(changed.data!.updateMyProfile).toEqual({ name: '王小芳', email: 'me@example.cn' });
    const consent = await me(
      `mutation { setMyMarketingConsents(consents: [
        { channel: SMS, granted: false }, { channel: WECHAT, granted: true }]) {
        ... on CustomerAccount { consents { channel granted } } } }`,
    );
    expect(consent.data!.setMyMarketingConsents.consents).toEqual(
      expect.arrayContaining([
        { channel: 'SMS', granted: false },
        { channel: 'WECHAT', granted: true },
      ]),
    );
    const staffView = await t
      .as('OWNER')
      .ok(`query($id: ID!) { node(id: $id) { ... on Customer { name consents { channel granted } } } }`, {
        id: customer.id,
      });
    expect(staffView.node.name).toBe('王小芳');
    expect(staffView.node.consents).toEqual(expect.arrayContaining([{ channel: 'SMS', granted: false }]));
    const log = await t
      .as('OWNER')
      .ok(
        `{ auditLog(first: 5, filter: { operation: "customer.update" }) { edges { node { actorKind actorName } } } }`,
      );
    expect(log.auditLog.edges[0].node).toEqual({ actorKind: 'CUSTOMER', actorName: '王小芳' });
    // The phone is the identity the merchant verified: not the customer's to change here.
    const phone = await me(`mutation { updateMyProfile(input: { phone: "13900000000" }) { __typename } }`);
    expect(phone.errors?.[0]?.message).toMatch(/phone/);
  });

  it('enrols a new customer from a storefront, once', async () => {
    const input = { phone: '13711112222', enrol: { name: '新会员', storeId: t.stores[0]!.id } };
    const first = await t.ok(ISSUE, { input }, { apiKey: integrationKey });
    expect(first.issueCustomerToken.enrolled).toBe(true);
    const again = await t.ok(ISSUE, { input }, { apiKey: integrationKey });
    expect(again.issueCustomerToken.enrolled).toBe(false);
    const account = await t.ok(
      `{ myAccount { name phone memberCard { code } } }`,
      {},
      {
        token: again.issueCustomerToken.token,
      },
    );
    expect(account.myAccount).toMatchObject({
      name: '新会员',
      phone: '13711112222',
      memberCard: { code: /^88\d{10}$/ },
    });
  });

  it('reaches nothing else: every other root field refuses a customer token; no staff type is reachable', async () => {
    const schema = t.app.schema;
    const refusedCodes = new Set(['FORBIDDEN', 'UNAUTHENTICATED']);
    const leaks: string[] = [];
    for (const root of ['Query', 'Mutation'] as const) {
      const type = root === 'Query' ? schema.getQueryType()! : schema.getMutationType()!;
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${root}.${field.name}`;
        if (CUSTOMER_FIELDS.has(coordinate)) continue;
        const args = field.args.filter((a) => isNonNullType(a.type));
        const variables: Record<string, unknown> = {};
        for (const a of args) variables[a.name] = sample(a.type, other.id);
        const definitions = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
        const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
        const selection = selectionOf(getNamedType(field.type));
        const doc = `${root === 'Query' ? 'query' : 'mutation'}${definitions ? `(${definitions})` : ''} {
          ${field.name}${call}${selection} }`;
        const result = await me(doc, variables);
        const code = result.errors?.[0]?.extensions?.code;
        const data = result.data?.[field.name];
        if (!refusedCodes.has(code as string) || (data !== null && data !== undefined))
          leaks.push(`${coordinate}: ${code ?? 'no error'} ${JSON.stringify(data)?.slice(0, 80)}`);
      }
    }
    expect(leaks).toEqual([]);

    const reachable = reachableTypes(schema, [
      schema.getQueryType()!.getFields().myAccount!.type,
      ...['updateMyProfile', 'setMyMarketingConsents', 'joinMembership'].map(
        (f) => schema.getMutationType()!.getFields()[f]!.type,
      ),
    ]);
    expect(STAFF_TYPES.filter((name) => reachable.has(name))).toEqual([]);
    const staffFields = [...reachable].flatMap((name) => {
      const type = schema.getType(name);
      if (!isObjectType(type)) return [];
      return Object.keys(type.getFields())
        .filter((f) => ['notes', 'tags', 'cost', 'unitCost', 'staff', 'staffId', 'interactions'].includes(f))
        .map((f) => `${name}.${f}`);
    });
    expect(staffFields).toEqual([]);
  });

  it('gives the customer a copy of their data without staff notes, and only to them', async () => {
    const app = t.app;
    const base = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
    const get = (auth?: string) =>
      fetch(`${base}/exports/my-data.json`, { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
    expect((await get()).status).toBe(401);
    expect((await get(await t.token('OWNER'))).status).toBe(403);
    const res = await get(token);
    expect(res.status).toBe(200);
    const copy = (await res.json()) as any;
    expect(copy.customer).toMatchObject({ name: '王小芳', phone: customer.phone });
    expect(copy.purchases).toHaveLength(customer.sales.totalCount);
    for (const key of ['notes', 'tags']) expect(copy.customer).not.toHaveProperty(key);
    expect(copy).not.toHaveProperty('interactions');
    expect(copy).not.toHaveProperty('guides');
  });

  it('ends a token when its customer is erased', async () => {
    const input = { phone: '13722223333', enrol: { name: '将删除' } };
    const issued = await t.ok(ISSUE, { input }, { apiKey: integrationKey });
    const gone = issued.issueCustomerToken.token;
    const mine = await t.gql(`{ myAccount { name } }`, {}, { token: gone });
    expect(mine.data?.myAccount.name).toBe('将删除');
    const found = await t
      .as('OWNER')
      .ok(`{ customers(first: 1, filter: { query: "13722223333" }) { edges { node { id } } } }`);
    await t.as('OWNER').ok(`mutation($id: ID!) { eraseCustomer(customerId: $id) { __typename } }`, {
      id: found.customers.edges[0].node.id,
    });
    const after = await t.gql(`{ myAccount { name } }`, {}, { token: gone });
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('persisted operations', () => {
  let t: TestApp;
  let token: string;
  const MY_NAME = 'query MyName { myAccount { name } }';

  beforeAll(async () => {
    t = await startTestApp({ plugins: [], app: { storefrontPersistedOnly: true } });
    const key = await t.as('OWNER').ok(
      `mutation($s: [ID!]!) { createApiKey(name: "storefront", role: MANAGER, storeIds: $s) {
         ... on CreateApiKeyPayload { key } } }`,
      { s: [t.stores[0]!.id] },
    );
    const list = await t.as('OWNER').ok(`{ customers(first: 5) { edges { node { phone } } } }`);
    const phone = list.customers.edges.find((e: any) => e.node.phone).node.phone;
    token = (await t.ok(ISSUE, { input: { phone } }, { apiKey: key.createApiKey.key })).issueCustomerToken.token;
  });
  afterAll(() => t?.close());

  const send = async (body: Record<string, unknown>, auth?: string) => {
    const res = await t.app.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await res.json()) as any;
  };
  const REGISTER = `mutation($ops: [PersistedOperationInput!]!) { registerPersistedOperations(operations: $ops) {
    ... on RegisterPersistedOperationsSuccess { data { documentId name } } ... on UserError { errorCode field } } }`;

  it('registers checked documents under their sha256, for owners only', async () => {
    const id = createHash('sha256').update(MY_NAME).digest('hex');
    const done = await t.as('OWNER').ok(REGISTER, { ops: [{ id, document: MY_NAME }] });
    expect(done.registerPersistedOperations.data).toEqual([{ documentId: id, name: 'MyName' }]);
    const again = await t.as('OWNER').ok(REGISTER, { ops: [{ document: MY_NAME }] });
    expect(again.registerPersistedOperations.data).toEqual([{ documentId: id, name: 'MyName' }]);
    expect(
      (await t.as('OWNER').ok(REGISTER, { ops: [{ document: '{ myAccount { nosuchfield } }' }] }))
        .registerPersistedOperations,
    ).toMatchObject({ errorCode: 'PERSISTED_OPERATION_INVALID', field: ['operations', '0', 'document'] });
    expect(
      (await t.as('OWNER').ok(REGISTER, { ops: [{ id: 'a'.repeat(64), document: MY_NAME }] }))
        .registerPersistedOperations,
    ).toMatchObject({ errorCode: 'PERSISTED_OPERATION_ID_MISMATCH' });
    const manager = await t.as('MANAGER').gql(REGISTER, { ops: [{ document: MY_NAME }] });
    expect(manager.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('takes only registered operations from customer tokens, by id; staff are not affected', async () => {
    const id = createHash('sha256').update(MY_NAME).digest('hex');
    const plain = await send({ query: MY_NAME }, token);
    expect(plain.errors[0].extensions.code).toBe('PERSISTED_OPERATIONS_ONLY');
    const byId = await send({ documentId: id }, token);
    expect(byId.errors).toBeUndefined();
    expect(byId.data.myAccount.name).toEqual(expect.any(String));
    const apollo = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } }, token);
    expect(apollo.data.myAccount.name).toBe(byId.data.myAccount.name);
    const unknown = await send({ documentId: 'b'.repeat(64) }, token);
    expect(unknown.errors[0].extensions.code).toBe('PERSISTED_OPERATION_NOT_FOUND');
    const staff = await send({ query: '{ stores { code } }' }, await t.token('OWNER'));
    expect(staff.data.stores.length).toBeGreaterThan(0);
  });
});

/** A value of an input type, for calling a field with its required arguments (ids: another customer's). */
function sample(type: GraphQLInputType, someId: string): unknown {
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return [sample(inner.ofType, someId)];
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isInputObjectType(inner)) {
    const value: Record<string, unknown> = {};
    for (const f of Object.values(inner.getFields())) if (isNonNullType(f.type)) value[f.name] = sample(f.type, someId);
    return value;
  }
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'ID':
        return someId;
      case 'Int':
        return 1;
      case 'Float':
        return 1;
      case 'Boolean':
        return true;
      case 'Money':
        return '1.00';
      case 'Date':
        return '2026-01-01';
      case 'DateTime':
        return '2026-01-01T00:00:00Z';
      default:
        return 'x';
    }
  }
  return null;
}

function selectionOf(type: GraphQLNamedType): string {
  return isObjectType(type) || isAbstractType(type) ? ' { __typename }' : '';
}

function reachableTypes(schema: GraphQLSchema, roots: Parameters<typeof getNamedType>[0][]): Set<string> {
  const seen = new Set<string>();
  const queue = roots.map((r) => getNamedType(r)!);
  while (queue.length) {
    const type = queue.pop()!;
    if (seen.has(type.name)) continue;
    seen.add(type.name);
    if (isObjectType(type)) for (const f of Object.values(type.getFields())) queue.push(getNamedType(f.type));
    if (isAbstractType(type)) queue.push(...schema.getPossibleTypes(type));
  }
  return seen;
}
