import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { rfmPlugin } from '../plugins/rfm/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import type { SegmentService } from '../src/segments/service.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { newMember, runJob } from './helpers/loyalty.ts';
import { RECORD_SALE, REFUND_SALE, rawId, uniqueId } from './helpers/queries.ts';

// Saved customer segments (docs/segments.md): conditions checked at creation, membership worked
// out by hand for a small fixture (a merged customer, an erased one, a refunded purchase), the
// paginated list, the CSV export and the service plugins call.

const database = process.env.DATABASE_URL ? 'postgres' : 'default';
const DAY = 86_400_000;

const CREATE = `mutation($i: CreateSegmentInput!) {
  createSegment(input: $i) {
    __typename
    ... on Segment { id name customerCount csvPath conditions { tagsAll spendMin homeStoreIds consentGranted } }
    ... on UserError { errorCode field message }
  }
}`;
const MEMBERS = `query($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Segment {
      customerCount
      customers(first: $first, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } }
    }
  }
}`;

describe(`customer segments (${database})`, () => {
  let t: TestApp;
  let base: string;
  let home: string;
  let other: string;
  const tag = `SEG${process.pid}`;
  const milk = `SEG奶粉${process.pid}`;
  const diaper = `SEG尿裤${process.pid}`;
  const c: Record<string, string> = {};

  async function customer(name: string, input: Record<string, unknown>) {
    const r = await t.as('OWNER').ok(
      `mutation($i: CreateCustomerInput!) {
          createCustomer(input: $i) { ... on Customer { id } ... on UserError { message } }
        }`,
      { i: { name, ...input } },
    );
    if (!r.createCustomer.id) throw new Error(JSON.stringify(r));
    return r.createCustomer.id as string;
  }
  async function buy(customerId: string, sku: string, quantity: number, total: string, daysAgo: number) {
    const r = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: home,
          externalId: uniqueId('SEG'),
          customerId,
          occurredAt: new Date(Date.now() - daysAgo * DAY).toISOString(),
          lines: [{ sku, quantity }],
          payments: [{ method: 'CASH', amount: total }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
    return r.recordSale.sale.id as string;
  }
  const segment = async (name: string, conditions: Record<string, unknown>) => {
    const r = await t.as('MANAGER').ok(CREATE, { i: { name: `${name}-${process.pid}`, conditions } });
    expect(r.createSegment.__typename, JSON.stringify(r.createSegment)).toBe('Segment');
    return r.createSegment;
  };
  const members = async (id: string) => {
    const r = await t.as('MANAGER').ok(MEMBERS, { id, first: 100 });
    return { count: r.node.customerCount, ids: r.node.customers.edges.map((e: any) => e.node.id) };
  };

  beforeAll(async () => {
    t = await startTestApp({ database });
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    home = t.stores[0]!.id;
    other = t.stores[1]!.id;
    const owner = t.as('OWNER');
    for (const [sku, category, price] of [
      ['SEG-MILK', milk, '100.00'],
      ['SEG-DIAPER', diaper, '50.00'],
    ]) {
      await owner.ok(`mutation($i: CreateProductInput!) { createProduct(input: $i) { __typename } }`, {
        i: { sku: `${sku}-${process.pid}`, name: sku, category, price },
      });
    }
    await owner.ok(
      `mutation($s: ID!, $l: [StockLineInput!]!) { adjustStock(storeId: $s, type: RECEIPT, lines: $l) { __typename } }`,
      {
        s: home,
        l: [
          { sku: `SEG-MILK-${process.pid}`, quantity: 100 },
          { sku: `SEG-DIAPER-${process.pid}`, quantity: 100 },
        ],
      },
    );
    const MILK = `SEG-MILK-${process.pid}`;
    const DIAPER = `SEG-DIAPER-${process.pid}`;
    const granted = (sms: boolean, wechat?: boolean) => [
      { channel: 'SMS', granted: sms },
      ...(wechat === undefined ? [] : [{ channel: 'WECHAT', granted: wechat }]),
    ];
    // The fixture, in order of creation (a segment lists the newest first):
    //   A [tag, VIP]  home, SMS+WeChat; milk ×2 (200.00) 10 days ago, diaper (50.00) 3 days ago: spend 250, 2 visits
    //   B [tag]       other store, SMS refused; diaper 100 days ago: spend 50, 1 visit
    //   C [tag, VIP]  home, SMS; never bought
    //   D [tag, VIP]  home; merged into A (its tombstone keeps its tags)
    //   E [tag, VIP]  home, SMS; milk 5 days ago, then erased (its tags go, its sale stays)
    //   F [other tag] home; milk 20 days ago, refunded in full
    c.A = await customer('甲', { tags: [tag, 'VIP'], homeStoreId: home, consents: granted(true, true) });
    c.B = await customer('乙', { tags: [tag], homeStoreId: other, consents: granted(false) });
    c.C = await customer('丙', {
      tags: [tag, 'VIP'],
      homeStoreId: home,
      consents: granted(true),
      phone: '13011112222',
    });
    c.D = await customer('丁', { tags: [tag, 'VIP'], homeStoreId: home });
    c.E = await customer('戊', { tags: [tag, 'VIP'], homeStoreId: home, consents: granted(true) });
    c.F = await customer('己', { tags: [`${tag}F`], homeStoreId: home });
    await buy(c.A, MILK, 2, '200.00', 10);
    await buy(c.A, DIAPER, 1, '50.00', 3);
    await buy(c.B, DIAPER, 1, '50.00', 100);
    await buy(c.E, MILK, 1, '100.00', 5);
    const refunded = await buy(c.F, MILK, 1, '100.00', 20);
    await t.as('OWNER').ok(REFUND_SALE, { saleId: refunded, externalId: uniqueId('R') });
    await owner.ok(`mutation($s: ID!, $m: ID!) { mergeCustomers(survivorId: $s, mergedId: $m) { __typename } }`, {
      s: c.A,
      m: c.D,
    });
    await owner.ok(`mutation($c: ID!) { eraseCustomer(customerId: $c) { __typename } }`, { c: c.E });
  });
  afterAll(() => t?.close());

  it('evaluates each kind of condition, leaving out merged and erased customers', async () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      // D's tombstone still has both tags; E's tags were erased. Newest first: C, then A.
      ['vip', { tagsAll: [tag, 'VIP'] }, ['C', 'A']],
      ['any', { tagsAny: [tag, `${tag}F`], tagsNone: ['VIP'] }, ['F', 'B']],
      // E bought milk but is erased; F's milk was refunded in full.
      ['milk', { categoriesBought: [milk] }, ['A']],
      ['diaper-30', { categoriesBought: [diaper], categoriesWithinDays: 30 }, ['A']],
      ['diaper-ever', { categoriesBought: [diaper] }, ['B', 'A']],
      ['spend', { tagsAll: [tag], spendMin: '100', spendMax: '300.00' }, ['A']],
      ['one-visit', { tagsAll: [tag], visitsMin: 1, visitsMax: 1 }, ['B']],
      ['recent', { tagsAll: [tag], lastPurchaseWithinDays: 7 }, ['A']],
      ['win-back', { tagsAll: [tag], lastPurchaseNotWithinDays: 30 }, ['B']],
      ['home-sms', { tagsAll: [tag], homeStoreIds: [home], consentGranted: ['SMS'] }, ['C', 'A']],
      ['sms-wechat', { tagsAll: [tag], consentGranted: ['SMS', 'WECHAT'] }, ['A']],
      ['other-store', { tagsAll: [tag], homeStoreIds: [other] }, ['B']],
    ];
    for (const [name, conditions, expected] of cases) {
      const s = await segment(name, conditions);
      const got = await members(s.id);
      expect(got.ids, name).toEqual(expected.map((k) => c[k]));
      expect(got.count, name).toBe(expected.length);
      expect(s.customerCount, name).toBe(expected.length);
    }
  });

  it('pages the list like every connection', async () => {
    const s = await segment('paged', { tagsAll: [tag, 'VIP'] });
    const first = (await t.as('MANAGER').ok(MEMBERS, { id: s.id, first: 1 })).node.customers;
    expect(first.edges.map((e: any) => e.node.id)).toEqual([c.C]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await t.as('MANAGER').ok(MEMBERS, { id: s.id, first: 1, after: first.pageInfo.endCursor })).node
      .customers;
    expect(second.edges.map((e: any) => e.node.id)).toEqual([c.A]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const list = await t.as('MANAGER').ok(`{ segments(first: 100) { totalCount edges { node { name } } } }`);
    expect(list.segments.edges.map((e: any) => e.node.name)).toContain(`paged-${process.pid}`);
    // Cost: a segment's customers are a connection the query limits count.
    const heavy = await t
      .as('MANAGER')
      .gql(`{ segments(first: 100) { edges { node { customers(first: 100) { edges { node { id } } } } } } }`);
    expect(heavy.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
  });

  it('checks conditions when a segment is saved, naming the field', async () => {
    const refused = async (conditions: Record<string, unknown>, name = `bad-${uniqueId()}`) =>
      (await t.as('MANAGER').ok(CREATE, { i: { name, conditions } })).createSegment;
    expect(await refused({})).toMatchObject({ errorCode: 'SEGMENT_EMPTY', field: ['input', 'conditions'] });
    expect(await refused({ spendMin: '300', spendMax: '100' })).toMatchObject({
      errorCode: 'SEGMENT_CONDITION_INVALID',
      field: ['input', 'conditions', 'spendMax'],
    });
    expect(await refused({ categoriesBought: ['没有这个品类'] })).toMatchObject({
      field: ['input', 'conditions', 'categoriesBought'],
    });
    expect(await refused({ lastPurchaseWithinDays: 0 })).toMatchObject({
      field: ['input', 'conditions', 'lastPurchaseWithinDays'],
    });
    expect(await refused({ categoriesWithinDays: 30 })).toMatchObject({
      field: ['input', 'conditions', 'categoriesWithinDays'],
    });
    expect(await refused({ tagsAny: Array.from({ length: 51 }, (_, i) => `t${i}`) })).toMatchObject({
      field: ['input', 'conditions', 'tagsAny'],
    });
    // Tier and RFM conditions need their plugins, which this deployment does not have.
    const tier = await refused({ tierCodes: ['GOLD'] });
    expect(tier).toMatchObject({
      errorCode: 'SEGMENT_CONDITION_UNAVAILABLE',
      field: ['input', 'conditions', 'tierCodes'],
    });
    expect(tier.message).toContain('tiers');
    expect(await refused({ rfmSegments: ['CHAMPIONS'] })).toMatchObject({
      errorCode: 'SEGMENT_CONDITION_UNAVAILABLE',
      field: ['input', 'conditions', 'rfmSegments'],
    });
    expect(await refused({ tagsAll: [tag] }, `vip-${process.pid}`)).toMatchObject({ errorCode: 'DUPLICATE_CODE' });
    // Saving needs segment:manage; reading, customer:search.
    const cashier = await t.as('CASHIER').gql(CREATE, { i: { name: 'x', conditions: { tagsAll: [tag] } } });
    expect(cashier.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.as('CASHIER').gql(`{ segments(first: 1) { totalCount } }`)).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
  });

  it('exports the members as CSV, masked without customer:pii, audited', async () => {
    const s = await segment('export', { tagsAll: [tag, 'VIP'] });
    const get = (who: 'OWNER' | 'MANAGER' | 'CASHIER') =>
      t.token(who).then((token) => fetch(`${base}${s.csvPath}`, { headers: { authorization: `Bearer ${token}` } }));
    const owner = await get('OWNER');
    expect(owner.status).toBe(200);
    const rows: string[][] = parse(await owner.text(), { bom: true });
    expect(rows[0]!.slice(0, 3)).toEqual(['顾客编号', '姓名', '手机号']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
      [rawId(c.C!), '丙', '="13011112222"'],
      [rawId(c.A!), '甲', ''],
    ]);
    const header = rows[0]!;
    const a = rows[2]!;
    expect(a[header.indexOf('消费次数')]).toBe('2');
    expect(a[header.indexOf('累计消费')]).toBe('250.00');
    expect(a[header.indexOf('短信营销授权')]).toBe('是');
    const manager: string[][] = parse(await (await get('MANAGER')).text(), { bom: true });
    expect(manager[1]![2]).toBe('="130****2222"');
    expect((await get('CASHIER')).status).toBe(403);
    const log = await t
      .as('OWNER')
      .ok(`{ auditLog(first: 5, filter: { operation: "export.segment" }) { edges { node { entityId details } } } }`);
    expect(log.auditLog.edges.map((e: any) => e.node.entityId)).toContain(s.id);
    expect(log.auditLog.edges.map((e: any) => JSON.parse(e.node.details).masked).sort()).toEqual([false, true]);
  });

  it("says what is wrong with a condition in the caller's language", async () => {
    const refused = async (conditions: Record<string, unknown>, locale?: 'en') =>
      (await t.as('MANAGER').ok(CREATE, { i: { name: `bad-${uniqueId()}`, conditions } }, { locale })).createSegment
        .message;
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { spendMin: '300', spendMax: '100' },
        '分群条件 spendMax 有误：不能小于 spendMin',
        'Segment condition spendMax: below spendMin',
      ],
      [
        { lastPurchaseWithinDays: 0 },
        '分群条件 lastPurchaseWithinDays 有误：应为 1 到 3650 之间的整天数',
        'Segment condition lastPurchaseWithinDays: a whole number of days from 1 to 3650',
      ],
      [
        { categoriesBought: ['没有这个品类'] },
        '分群条件 categoriesBought 有误：没有商品属于品类 没有这个品类',
        'Segment condition categoriesBought: no product has the category 没有这个品类',
      ],
      [
        { categoriesWithinDays: 30 },
        '分群条件 categoriesWithinDays 有误：需要同时设置 categoriesBought',
        'Segment condition categoriesWithinDays: needs categoriesBought',
      ],
      [
        { tagsAny: Array.from({ length: 51 }, (_, i) => `t${i}`) },
        '分群条件 tagsAny 有误：最多 50 个值',
        'Segment condition tagsAny: at most 50 values',
      ],
      [{ tagsAll: [] }, '分群条件 tagsAll 有误：列表不能为空', 'Segment condition tagsAll: empty list'],
    ];
    for (const [conditions, zh, en] of cases) {
      expect(await refused(conditions)).toBe(zh);
      expect(await refused(conditions, 'en')).toBe(en);
    }
    const name = await t.as('MANAGER').ok(CREATE, { i: { name: ' ', conditions: { tagsAll: [tag] } } });
    expect(name.createSegment.message).toBe('输入有误：名称应为 1–100 个字符');
  });

  it('updates a segment with the checks, permission and audit of creating one', async () => {
    const UPDATE = `mutation($i: UpdateSegmentInput!) {
      updateSegment(input: $i) {
        __typename
        ... on Segment { id name description customerCount conditions { tagsAll spendMin } }
        ... on UserError { errorCode field message }
      }
    }`;
    const s = await segment('editable', { tagsAll: [tag] });
    const other = await segment('taken', { tagsAll: [tag] });
    const update = (i: Record<string, unknown>, role: 'MANAGER' | 'CASHIER' = 'MANAGER', locale?: 'en') =>
      t.as(role).gql(UPDATE, { i: { id: s.id, ...i } }, { locale });
    // The conditions are replaced, and the members follow: tagged VIP as well, A and C (see above).
    const renamed = (await update({ name: `vip-edited-${process.pid}`, conditions: { tagsAll: [tag, 'VIP'] } })).data
      ?.updateSegment;
    expect(renamed).toMatchObject({
      __typename: 'Segment',
      id: s.id,
      name: `vip-edited-${process.pid}`,
      customerCount: 2,
      conditions: { tagsAll: [tag, 'VIP'], spendMin: null },
    });
    // A field left out stays; a description is set, then removed with null.
    expect((await update({ description: '  高价值  ' })).data?.updateSegment).toMatchObject({
      name: `vip-edited-${process.pid}`,
      description: '高价值',
      customerCount: 2,
    });
    expect((await update({ description: null })).data?.updateSegment.description).toBeNull();
    // The checks of createSegment, naming the field, and nothing changed.
    expect((await update({ conditions: { spendMin: '300', spendMax: '100' } })).data?.updateSegment).toMatchObject({
      errorCode: 'SEGMENT_CONDITION_INVALID',
      field: ['input', 'conditions', 'spendMax'],
      message: '分群条件 spendMax 有误：不能小于 spendMin',
    });
    expect((await update({ conditions: {} }, 'MANAGER', 'en')).data?.updateSegment).toMatchObject({
      errorCode: 'SEGMENT_EMPTY',
      message: 'A segment needs at least one condition',
    });
    expect((await update({ name: other.name })).data?.updateSegment).toMatchObject({
      errorCode: 'DUPLICATE_CODE',
      field: ['input', 'name'],
    });
    expect((await update({ name: '' })).data?.updateSegment).toMatchObject({ field: ['input', 'name'] });
    const unchanged = await t.as('MANAGER').ok(
      `query($id: ID!) { node(id: $id) { ... on Segment { name conditions {
      tagsAll } } } }`,
      { id: s.id },
    );
    expect(unchanged.node).toEqual({ name: `vip-edited-${process.pid}`, conditions: { tagsAll: [tag, 'VIP'] } });
    // Another node's id is not a segment; a deleted segment is not found.
    expect((await t.as('MANAGER').gql(UPDATE, { i: { id: c.A, name: 'x' } })).data?.updateSegment).toMatchObject({
      errorCode: 'INVALID_ID',
      field: ['input', 'id'],
    });
    const gone = await segment('gone', { tagsAll: [tag] });
    await t
      .as('MANAGER')
      .ok(`mutation($id: ID!) { deleteSegment(id: $id) { ... on DeleteSegmentPayload { deletedId } } }`, {
        id: gone.id,
      });
    expect((await t.as('MANAGER').gql(UPDATE, { i: { id: gone.id, name: 'x' } })).data?.updateSegment).toMatchObject({
      errorCode: 'NOT_FOUND',
      field: ['input', 'id'],
    });
    // Saving needs segment:manage.
    expect((await update({ name: 'x' }, 'CASHIER')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Audited with the fields that changed, before and after; the refused updates left nothing.
    const log = await t.as('OWNER').ok(
      `query($id: ID!) { auditLog(first: 10, filter: { operation: "segment.update", entityId: $id }) { edges { node {
        before after } } } }`,
      { id: s.id },
    );
    const entries = log.auditLog.edges.map((e: any) => ({
      before: JSON.parse(e.node.before),
      after: JSON.parse(e.node.after),
    }));
    expect(entries).toEqual([
      { before: { description: '高价值' }, after: { description: null } },
      { before: { description: null }, after: { description: '高价值' } },
      {
        before: { name: `editable-${process.pid}`, conditions: { tagsAll: [tag] } },
        after: { name: `vip-edited-${process.pid}`, conditions: { tagsAll: [tag, 'VIP'] } },
      },
    ]);
  });

  it('answers a plugin asking who is in a segment', async () => {
    const s = await segment('service', { tagsAll: [tag, 'VIP'] });
    const service = t.app.services.plugins.services.get<SegmentService>('segments');
    const db = t.app.services.db;
    const ids = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, rawId(v)]));
    const inside = await service.contains(db, rawId(s.id), Object.values(ids));
    expect([...inside].sort()).toEqual([ids.A, ids.C].sort());
    const batches: string[][] = [];
    for await (const batch of service.allCustomerIds(db, rawId(s.id), 1)) batches.push(batch);
    expect(batches).toEqual([[ids.C], [ids.A]]);
    expect(await service.count(db, rawId(s.id))).toBe(2);
  });
});

describe(`segments with the tiers and rfm plugins (${database})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database, plugins: [pointsPlugin({}), tiersPlugin(), rfmPlugin()] });
  });
  afterAll(() => t?.close());

  it('reads tiers and RFM layers through the conditions the plugins define', async () => {
    const owner = t.as('OWNER');
    const create = `mutation($input: TierInput!) { createTier(input: $input) { __typename } }`;
    await owner.ok(create, { input: { code: 'REGULAR', name: '普通会员', rank: 0 } });
    await owner.ok(create, { input: { code: 'GOLD', name: '金卡会员', rank: 1, minSpend: '100000.00' } });
    const tag = `TIER${process.pid}`;
    const { customerId } = await newMember(t, '会员甲', { tags: [tag] });
    await newMember(t, '会员乙', { tags: [`${tag}X`] });
    const save = (name: string, conditions: Record<string, unknown>) =>
      owner.ok(CREATE, { i: { name, conditions } }).then((r) => r.createSegment);
    // The member buys, the RFM job scores the base; their layer holds them, another does not.
    const store = t.stores[0]!.id;
    await owner.ok(
      `mutation($s: ID!) {
        adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "SN-001", quantity: 10 }]) { __typename }
      }`,
      { s: store },
    );
    const price = (await owner.ok(`{ product(sku: "SN-001") { price } }`)).product.price;
    await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId('RFM'),
          customerId,
          lines: [{ sku: 'SN-001', quantity: 1 }],
          payments: [{ method: 'CASH', amount: price }],
        },
      },
      { apiKey: t.posKey },
    );
    // The sale placed the member in the entry tier.
    const regular = await save('regular', { tagsAll: [tag], tierCodes: ['REGULAR'] });
    expect(regular.__typename).toBe('Segment');
    expect(regular.customerCount).toBe(1);
    expect((await save('gold', { tagsAll: [tag], tierCodes: ['GOLD'] })).customerCount).toBe(0);
    expect(await save('nope', { tierCodes: ['NOPE'] })).toMatchObject({
      errorCode: 'SEGMENT_CONDITION_INVALID',
      field: ['input', 'conditions', 'tierCodes'],
    });
    expect(await save('bogus', { rfmSegments: ['BOGUS'] })).toMatchObject({
      field: ['input', 'conditions', 'rfmSegments'],
    });

    await runJob(t, 'rfm.score', new Date());
    const layer = (await owner.ok(`query($id: ID!) { customer(id: $id) { rfm { segment } } }`, { id: customerId }))
      .customer.rfm.segment as string;
    expect((await save('layer', { tagsAll: [tag], rfmSegments: [layer] })).customerCount).toBe(1);
    const another = layer === 'CHAMPIONS' ? 'HIBERNATING' : 'CHAMPIONS';
    expect((await save('another', { tagsAll: [tag], rfmSegments: [another] })).customerCount).toBe(0);
  });
});
