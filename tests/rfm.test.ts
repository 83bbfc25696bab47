import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rfmPlugin } from '../plugins/rfm/index.ts';
import { PluginConfigError } from '../src/plugin-host/host.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { newMember, runJob, stockUp } from './helpers/loyalty.ts';
import { RECORD_SALE, REFUND_SALE, rawId, uniqueId } from './helpers/queries.ts';

const DAY = 86_400_000;
const SKU = 'SN-001';
const RFM =
  'rfm { recencyScore frequencyScore monetaryScore code recencyDays lastPurchaseAt frequency monetary segment ' +
  'segmentName computedAt }';
const CUSTOMER_RFM = `query($id: ID!) { customer(id: $id) { id ${RFM} } }`;
const DASHBOARD = `query($store: ID) { rfmDashboard(homeStoreId: $store) {
  customersScored spend
  lastRun { id asOf windowStart startedAt finishedAt customersScored customersWithoutPurchase recencyAverage
    frequencyAverage monetaryAverage segments { segment customers spend purchases } }
  segments { segment name description customers customerShare spend spendShare purchases averageOrderValue
    averageRecencyDays }
} }`;
const SEGMENT_LIST = `query($segment: RfmSegment!, $store: ID, $first: Int, $after: String, $last: Int,
    $before: String) {
  rfmSegmentCustomers(segment: $segment, homeStoreId: $store, first: $first, after: $after, last: $last,
    before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name member { code } rfm { segment monetary } } }
  }
}`;

/** Each scenario has its own moment, years apart, so no scenario's sales fall in another's 12-month window. */
const at = (iso: string) => new Date(iso);

let t: TestApp;
let store: string;
let otherStore: string;

async function customer(name: string, homeStoreId: string | null = null, app = t) {
  return (await newMember(app, name, homeStoreId ? { homeStoreId } : {})).customerId;
}

/** A sale of `amount` yuan for the customer at `when`, recorded through the API as a till does. */
async function sale(customerId: string, when: Date, amount: number, quantity = 1, app = t) {
  const unitPrice = (amount / quantity).toFixed(2);
  const r = await app.as('OWNER').ok(RECORD_SALE, {
    input: {
      storeId: app.stores.find((s) => s.code === 'BJ-SLT')!.id,
      externalId: uniqueId('RFM'),
      customerId,
      occurredAt: when.toISOString(),
      lines: [{ sku: SKU, quantity, unitPrice }],
      payments: [{ method: 'CASH', amount: amount.toFixed(2) }],
    },
  });
  expect(r.recordSale.__typename).toBe('RecordSalePayload');
  return r.recordSale.sale.id as string;
}

async function rfmOf(id: string, locale = 'zh-CN', app = t) {
  return (await app.as('OWNER').ok(CUSTOMER_RFM, { id }, { locale })).customer.rfm;
}

async function score(asOf: Date) {
  return runJob(t, 'rfm.score', asOf);
}

async function dashboard(role: 'OWNER' | 'MANAGER' = 'OWNER', homeStoreId: string | null = null, locale = 'zh-CN') {
  return (await t.as(role).ok(DASHBOARD, { store: homeStoreId }, { locale })).rfmDashboard;
}

beforeAll(async () => {
  t = await startTestApp({ plugins: [rfmPlugin()] });
  store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  otherStore = t.stores.find((s) => s.code !== 'BJ-SLT')!.id;
  await stockUp(t, store, [SKU]);
});
afterAll(() => t?.close());

describe('scoring a known customer base', () => {
  // Ten customers whose ranks are chosen so that every one of the eight segments appears. With
  // ten distinct values per dimension, percent-rank quintiles give the ranks 1–10 the scores
  // 1,1,2,2,3,3,4,4,5,5; every average is 3.0, so "high" means 4 or 5.
  const asOf = at('2016-06-01T04:00:00Z');
  const plan = [
    // name, purchases, net spend, days since last purchase, expected code and segment
    { name: '冠军顾客', f: 10, m: 1000, d: 1, code: '555', segment: 'CHAMPIONS' },
    { name: '发展顾客', f: 6, m: 900, d: 2, code: '535', segment: 'POTENTIAL_LOYALISTS' },
    { name: '保持顾客', f: 9, m: 800, d: 5, code: '354', segment: 'AT_RISK' },
    { name: '挽留顾客', f: 5, m: 700, d: 6, code: '334', segment: 'WIN_BACK' },
    { name: '一般价值', f: 8, m: 600, d: 3, code: '443', segment: 'LOYAL' },
    { name: '一般发展', f: 4, m: 500, d: 4, code: '423', segment: 'PROMISING' },
    { name: '一般保持', f: 7, m: 400, d: 7, code: '242', segment: 'NEED_ATTENTION' },
    { name: '一般挽留甲', f: 3, m: 300, d: 8, code: '222', segment: 'HIBERNATING' },
    { name: '一般挽留乙', f: 2, m: 200, d: 9, code: '111', segment: 'HIBERNATING' },
    { name: '一般挽留丙', f: 1, m: 100, d: 10, code: '111', segment: 'HIBERNATING' },
  ];
  const ids: string[] = [];
  let noPurchase: string;

  beforeAll(async () => {
    for (const [i, p] of plan.entries()) {
      // The first four live in this file's store, the rest in another one.
      const id = await customer(p.name, i < 4 ? store : otherStore);
      ids.push(id);
      // The last purchase carries most of the spend; earlier ones ¥10 each, three days apart.
      await sale(id, new Date(asOf.getTime() - p.d * DAY), p.m - (p.f - 1) * 10);
      for (let k = 1; k < p.f; k++) await sale(id, new Date(asOf.getTime() - (p.d + 3 * k) * DAY), 10);
    }
    noPurchase = await customer('未消费顾客');
  });

  it('scores each dimension by quintile, and runScheduledJob reports the customers scored', async () => {
    expect(await score(asOf)).toBe(plan.length);
    for (const [i, p] of plan.entries()) {
      const rfm = await rfmOf(ids[i]!);
      expect(rfm, p.name).toMatchObject({
        code: p.code,
        segment: p.segment,
        frequency: p.f,
        monetary: p.m.toFixed(2),
        recencyDays: p.d,
        lastPurchaseAt: new Date(asOf.getTime() - p.d * DAY).toISOString(),
        computedAt: asOf.toISOString(),
      });
      expect(`${rfm.recencyScore}${rfm.frequencyScore}${rfm.monetaryScore}`).toBe(p.code);
    }
    expect(await rfmOf(noPurchase)).toBeNull();
  });

  it("names segments in the caller's language", async () => {
    expect((await rfmOf(ids[0]!)).segmentName).toBe('重要价值客户');
    expect((await rfmOf(ids[0]!, 'en')).segmentName).toBe('Champions');
    expect((await rfmOf(ids[3]!)).segmentName).toBe('重要挽留客户');
    expect((await rfmOf(ids[9]!)).segmentName).toBe('一般挽留客户');
  });

  it('summarises the run and every segment on the dashboard', async () => {
    const d = await dashboard();
    expect(d.customersScored).toBe(10);
    expect(d.spend).toBe('5500.00');
    expect(d.lastRun).toMatchObject({
      asOf: asOf.toISOString(),
      windowStart: '2015-06-01T04:00:00.000Z',
      customersScored: 10,
      recencyAverage: 3,
      frequencyAverage: 3,
      monetaryAverage: 3,
    });
    // Every live customer without a purchase in the window: the demo customers, this file's others.
    const live = (await t.as('OWNER').ok(`{ customers(first: 1) { totalCount } }`)).customers.totalCount;
    expect(d.lastRun.customersWithoutPurchase).toBe(live - 10);
    expect(new Date(d.lastRun.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(d.lastRun.startedAt).getTime());
    expect(d.segments.map((s: any) => s.segment)).toEqual([
      'CHAMPIONS',
      'POTENTIAL_LOYALISTS',
      'AT_RISK',
      'WIN_BACK',
      'LOYAL',
      'PROMISING',
      'NEED_ATTENTION',
      'HIBERNATING',
    ]);
    const hibernating = d.segments.find((s: any) => s.segment === 'HIBERNATING');
    expect(hibernating).toEqual({
      segment: 'HIBERNATING',
      name: '一般挽留客户',
      description: expect.stringContaining('近期未到店'),
      customers: 3,
      customerShare: 0.3,
      spend: '600.00',
      spendShare: 0.1091, // 600 / 5500
      purchases: 6,
      averageOrderValue: '100.00',
      averageRecencyDays: 9,
    });
    expect(d.segments.find((s: any) => s.segment === 'CHAMPIONS')).toMatchObject({
      customers: 1,
      spend: '1000.00',
      purchases: 10,
      averageOrderValue: '100.00',
      customerShare: 0.1,
    });
    expect(d.segments.find((s: any) => s.segment === 'AT_RISK')).toMatchObject({
      customers: 1,
      spend: '800.00',
      purchases: 9,
      averageOrderValue: '88.89',
    });
    expect(d.segments.reduce((n: number, s: any) => n + s.customers, 0)).toBe(10);
    // The run keeps the counts for trends.
    expect(d.lastRun.segments).toEqual(
      expect.arrayContaining([
        { segment: 'HIBERNATING', customers: 3, spend: '600.00', purchases: 6 },
        { segment: 'CHAMPIONS', customers: 1, spend: '1000.00', purchases: 10 },
      ]),
    );
    expect(d.lastRun.segments).toHaveLength(8);
    const english = await dashboard('OWNER', null, 'en');
    expect(english.segments[0]).toMatchObject({ name: 'Champions', description: expect.stringContaining('recently') });
  });

  it('narrows the dashboard to the customers of one home store', async () => {
    const d = await dashboard('OWNER', store);
    expect(d.customersScored).toBe(4);
    expect(d.spend).toBe('3400.00');
    expect(d.segments.filter((s: any) => s.customers > 0).map((s: any) => s.segment)).toEqual([
      'CHAMPIONS',
      'POTENTIAL_LOYALISTS',
      'AT_RISK',
      'WIN_BACK',
    ]);
    expect(d.segments.find((s: any) => s.segment === 'CHAMPIONS').spendShare).toBe(0.2941); // 1000 / 3400
  });

  it("lists a segment's customers by net spend, keyset-paginated both ways, optionally by home store", async () => {
    const first = (await t.as('OWNER').ok(SEGMENT_LIST, { segment: 'HIBERNATING', first: 2 })).rfmSegmentCustomers;
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((e: any) => e.node.name)).toEqual(['一般挽留甲', '一般挽留乙']);
    expect(first.edges[0].node.rfm).toEqual({ segment: 'HIBERNATING', monetary: '300.00' });
    expect(first.edges[0].node.member.code).toBeTruthy();
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = (
      await t.as('OWNER').ok(SEGMENT_LIST, { segment: 'HIBERNATING', first: 2, after: first.pageInfo.endCursor })
    ).rfmSegmentCustomers;
    expect(second.edges.map((e: any) => e.node.name)).toEqual(['一般挽留丙']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const back = (
      await t.as('OWNER').ok(SEGMENT_LIST, { segment: 'HIBERNATING', last: 2, before: second.edges[0].cursor })
    ).rfmSegmentCustomers;
    expect(back.edges.map((e: any) => e.node.name)).toEqual(['一般挽留甲', '一般挽留乙']);

    const ofStore = (await t.as('OWNER').ok(SEGMENT_LIST, { segment: 'AT_RISK', store })).rfmSegmentCustomers;
    expect(ofStore.edges.map((e: any) => e.node.id)).toEqual([ids[2]]);
    expect((await t.as('OWNER').ok(SEGMENT_LIST, { segment: 'HIBERNATING', store })).rfmSegmentCustomers).toMatchObject(
      { totalCount: 0, edges: [] },
    );

    const bad = await t.as('OWNER').gql(SEGMENT_LIST, { segment: 'HIBERNATING', after: 'bm90IGEgY3Vyc29y' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'RFM_INVALID_CURSOR' });
  });

  it('runs again for the same moment with the same result, also two runs at once', async () => {
    const before = await Promise.all(ids.map((id) => rfmOf(id)));
    const runsBefore = (await t.as('OWNER').ok(`{ rfmRuns(first: 100) { edges { node { id } } } }`)).rfmRuns.edges
      .length;
    const [a, b] = await Promise.all([score(asOf), score(asOf)]);
    expect([a, b]).toEqual([10, 10]);
    expect(await Promise.all(ids.map((id) => rfmOf(id)))).toEqual(before);
    const runs = (await t.as('OWNER').ok(`{ rfmRuns(first: 100) { edges { node { id asOf customersScored } } } }`))
      .rfmRuns.edges;
    expect(runs).toHaveLength(runsBefore + 2);
    expect(runs[0].node).toMatchObject({ asOf: asOf.toISOString(), customersScored: 10 });
    expect((await dashboard()).customersScored).toBe(10);
  });

  it('remembers a change of layer: the one before, the run that made it; runs that keep it leave both', async () => {
    const layer = (i: number) =>
      t.db.database.prisma.rfmScore.findUniqueOrThrow({
        where: { customerId: rawId(ids[i]!) },
        select: { segment: true, previousSegment: true, segmentSince: true },
      });
    await score(asOf);
    const first = await layer(9);
    expect(first).toMatchObject({ segment: 'HIBERNATING', previousSegment: null });
    expect(first.segmentSince.getTime()).toBeLessThanOrEqual(asOf.getTime());
    // An hour later nobody's layer changed: nothing moved.
    await score(new Date(asOf.getTime() + 3_600_000));
    expect(await layer(9)).toEqual(first);
    // 一般挽留丙 comes back and spends big: a move, dated by the run that saw it; the next run keeps it.
    await sale(ids[9]!, new Date(asOf.getTime() + 12 * 3_600_000), 5000);
    const moved = new Date(asOf.getTime() + DAY);
    await score(moved);
    const after = await layer(9);
    expect(after.segment).not.toBe('HIBERNATING');
    expect(after).toMatchObject({ previousSegment: 'HIBERNATING', segmentSince: moved });
    await score(new Date(asOf.getTime() + DAY + 3_600_000));
    expect(await layer(9)).toEqual(after);
  });

  it('scores a customer base that moved on: a later run drops customers whose purchases left the window', async () => {
    const later = new Date(asOf.getTime() + 366 * DAY);
    expect(await score(later)).toBe(0);
    expect(await rfmOf(ids[0]!)).toBeNull();
    const d = await dashboard();
    expect(d.customersScored).toBe(0);
    expect(
      d.segments.every(
        (s: any) => s.customers === 0 && s.spend === '0.00' && s.customerShare === 0 && s.averageRecencyDays === null,
      ),
    ).toBe(true);
  });
});

describe('what counts as a purchase', () => {
  // Runs "as of" a past moment see refunds made since (docs/plugins.md): these refunds are made
  // today, years after asOf, and still count.
  it('refunds lower net spend; a sale refunded in full is no purchase (frequency, recency) at all', async () => {
    const asOf = at('2018-06-01T04:00:00Z');
    const buyer = await customer('退货顾客');
    const returnedAll = await customer('全退顾客');
    const twoUnits = await sale(buyer, new Date(asOf.getTime() - 10 * DAY), 300, 2);
    await sale(buyer, new Date(asOf.getTime() - 5 * DAY), 200);
    const latest = await sale(buyer, new Date(asOf.getTime() - 1 * DAY), 100);
    const only = await sale(returnedAll, new Date(asOf.getTime() - 2 * DAY), 80);

    expect(await score(asOf)).toBe(2);
    expect(await rfmOf(buyer)).toMatchObject({ frequency: 3, monetary: '600.00', recencyDays: 1 });

    const refund = async (saleId: string, lines?: { lineNo: number; quantity: number }[]) =>
      expect(
        (await t.as('OWNER').ok(REFUND_SALE, { saleId, externalId: uniqueId('RR'), lines })).refundSale.__typename,
      ).toBe('RefundSalePayload');
    await refund(twoUnits, [{ lineNo: 1, quantity: 1 }]); // ¥150 back, the sale still counts
    await refund(latest); // all of it: no longer a purchase
    await refund(only);

    expect(await score(asOf)).toBe(1);
    expect(await rfmOf(buyer)).toMatchObject({
      frequency: 2,
      monetary: '350.00',
      recencyDays: 5,
      lastPurchaseAt: new Date(asOf.getTime() - 5 * DAY).toISOString(),
    });
    expect(await rfmOf(returnedAll)).toBeNull();
  });

  it("starts the window on the same day months earlier, or a shorter month's last day (29 Feb → 28 Feb)", async () => {
    await score(at('2028-02-29T04:00:00Z'));
    expect((await dashboard()).lastRun).toMatchObject({
      asOf: '2028-02-29T04:00:00.000Z',
      windowStart: '2027-02-28T04:00:00.000Z',
    });
    await score(at('2029-03-31T04:00:00Z'));
    expect((await dashboard()).lastRun.windowStart).toBe('2028-03-31T04:00:00.000Z');
  });

  it('takes purchases after the window start up to and including the moment scored, not one second more', async () => {
    const asOf = at('2020-06-01T04:00:00Z');
    const yearBefore = at('2019-06-01T04:00:00Z');
    const atStart = await customer('窗口起点');
    const justInside = await customer('窗口内');
    const atEnd = await customer('窗口终点');
    const after = await customer('窗口之后');
    await sale(atStart, yearBefore, 50);
    await sale(justInside, new Date(yearBefore.getTime() + 1000), 60);
    await sale(atEnd, asOf, 70);
    await sale(after, new Date(asOf.getTime() + 1000), 80);

    expect(await score(asOf)).toBe(2);
    expect(await rfmOf(atStart)).toBeNull();
    expect(await rfmOf(justInside)).toMatchObject({ recencyDays: 365, monetary: '60.00', frequency: 1 });
    expect(await rfmOf(atEnd)).toMatchObject({ recencyDays: 0, monetary: '70.00', frequency: 1, recencyScore: 5 });
    expect(await rfmOf(after)).toBeNull();
    // Equal values share a score: both have one purchase.
    expect((await rfmOf(justInside)).frequencyScore).toBe((await rfmOf(atEnd)).frequencyScore);
  });

  it('gives tied customers the same score and the lowest value a 1', async () => {
    const asOf = at('2022-06-01T04:00:00Z');
    // Purchases 1, 1, 1, 2, 2, 3: percent ranks 0, 0, 0, 0.6, 0.6, 1.
    const counts = [1, 1, 1, 2, 2, 3];
    const ids: string[] = [];
    for (const [i, n] of counts.entries()) {
      const id = await customer(`并列${i}`);
      ids.push(id);
      for (let k = 0; k < n; k++) await sale(id, new Date(asOf.getTime() - (1 + i + k * 7) * DAY), 100);
    }
    expect(await score(asOf)).toBe(6);
    const scores = await Promise.all(ids.map(async (id) => (await rfmOf(id)).frequencyScore));
    expect(scores).toEqual([1, 1, 1, 4, 4, 5]);
  });
});

describe('merged customers', () => {
  it('lose their score at the merge, never scored again; the survivor is scored with both histories', async () => {
    const asOf = at('2024-06-01T04:00:00Z');
    const survivor = await customer('合并保留');
    const merged = await customer('合并重复');
    await sale(survivor, new Date(asOf.getTime() - 3 * DAY), 100);
    await sale(merged, new Date(asOf.getTime() - 2 * DAY), 200);
    const extraSale = await sale(merged, new Date(asOf.getTime() - 1 * DAY), 300);
    expect(await score(asOf)).toBe(2);

    const merge = await t
      .as('OWNER')
      .ok(`mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename } }`, {
        a: survivor,
        b: merged,
      });
    expect(merge.mergeCustomers.__typename).toBe('Customer');
    // At once: the merged record's score is gone, so it drops out of the counts and lists.
    expect((await dashboard()).customersScored).toBe(1);
    const listed = async () => {
      const all = await Promise.all(
        [
          'CHAMPIONS',
          'POTENTIAL_LOYALISTS',
          'AT_RISK',
          'WIN_BACK',
          'LOYAL',
          'PROMISING',
          'NEED_ATTENTION',
          'HIBERNATING',
        ].map(async (segment) =>
          (await t.as('OWNER').ok(SEGMENT_LIST, { segment, first: 100 })).rfmSegmentCustomers.edges.map(
            (e: any) => e.node.id,
          ),
        ),
      );
      return all.flat();
    };
    expect(await listed()).toEqual([survivor]);

    // A sale still pointing at the merged record (say, an import written with the old id) is not
    // enough to score a merged record again.
    const rawMerged = Buffer.from(merged, 'base64').toString('utf8').split(':')[1]!;
    const rawSale = Buffer.from(extraSale, 'base64').toString('utf8').split(':')[1]!;
    await t.db.database.sql.query(`UPDATE "Sale" SET "customerId" = $1 WHERE id = $2`, [rawMerged, rawSale]);
    expect(await score(asOf)).toBe(1);
    expect(await listed()).toEqual([survivor]);
    expect(await rfmOf(survivor)).toMatchObject({ frequency: 2, monetary: '300.00', recencyDays: 2 });
    expect((await dashboard()).lastRun.customersScored).toBe(1);
  });
});

describe('access', () => {
  it('needs report:read for dashboard and runs, in the home store asked about; customer:search for lists', async () => {
    const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
    expect(code(await t.gql(DASHBOARD, {}))).toBe('UNAUTHENTICATED');
    expect(code(await t.as('CASHIER').gql(DASHBOARD, {}))).toBe('FORBIDDEN');
    expect(code(await t.as('SALES_ASSOCIATE').gql(DASHBOARD, {}))).toBe('FORBIDDEN');
    expect((await t.as('MANAGER').gql(DASHBOARD, {})).errors).toBeUndefined();
    expect((await t.as('MANAGER').gql(DASHBOARD, { store })).errors).toBeUndefined();
    expect(code(await t.as('MANAGER').gql(DASHBOARD, { store: otherStore }))).toBe('FORBIDDEN');
    expect(code(await t.as('CASHIER').gql(`{ rfmRuns(first: 1) { edges { node { id } } } }`))).toBe('FORBIDDEN');

    expect((await t.as('SALES_ASSOCIATE').gql(SEGMENT_LIST, { segment: 'CHAMPIONS' })).errors).toBeUndefined();
    expect(code(await t.as('CASHIER').gql(SEGMENT_LIST, { segment: 'CHAMPIONS' }))).toBe('FORBIDDEN');

    // Running the job is for operators only.
    expect(code(await t.as('MANAGER').gql(`mutation { runScheduledJob(name: "rfm.score") { processed } }`))).toBe(
      'FORBIDDEN',
    );
  });

  it("shows a customer's score wherever the customer may be read, the counter included", async () => {
    const asOf = at('2025-01-10T04:00:00Z');
    const id = await customer('柜台顾客');
    await sale(id, new Date(asOf.getTime() - DAY), 99);
    await score(asOf);
    const r = await t.as('CASHIER').ok(CUSTOMER_RFM, { id });
    expect(r.customer.rfm).toMatchObject({ frequency: 1, monetary: '99.00', recencyDays: 1 });
  });
});

describe('demo data, and what reading scores costs', () => {
  it('scores the demo customers when demo data is created', async () => {
    const before = Date.now();
    await t.app.services.plugins.seedDemo();
    const d = await dashboard();
    expect(d.customersScored).toBeGreaterThan(10);
    expect(d.lastRun.customersScored).toBe(d.customersScored);
    expect(new Date(d.lastRun.asOf).getTime()).toBeGreaterThanOrEqual(before);
  });

  it('reads Customer.rfm for a page of customers in one statement, however long the page', async () => {
    const VIEW = `query($n: Int!, $since: DateTime) { customers(first: $n, filter: { lastPurchaseFrom: $since })
      { edges { node { id rfm { segment segmentName monetary } } } } }`;
    const since = new Date(Date.now() - 90 * DAY).toISOString();
    const count = async (n: number) => {
      t.db.statements.length = 0;
      const r = await t.as('OWNER').ok(VIEW, { n, since });
      const statements = t.db.statements.length;
      expect(r.customers.edges).toHaveLength(n);
      return { statements, scored: r.customers.edges.filter((e: any) => e.node.rfm).length };
    };
    const one = await count(1);
    const many = await count(25);
    expect(many.scored).toBeGreaterThan(10);
    expect(many.statements).toBe(one.statements);
    expect(t.db.statements.filter((s) => s.includes('"RfmScore"'))).toHaveLength(1);
  });

  it('lists a segment page with its customers and their cards in the same statements for 1 row or many', async () => {
    const d = await dashboard();
    const big = d.segments.reduce((a: any, b: any) => (b.customers > a.customers ? b : a));
    expect(big.customers).toBeGreaterThan(3);
    const count = async (first: number) => {
      t.db.statements.length = 0;
      const r = await t.as('OWNER').ok(SEGMENT_LIST.replace('totalCount', ''), { segment: big.segment, first });
      expect(r.rfmSegmentCustomers.edges).toHaveLength(first);
      expect(r.rfmSegmentCustomers.edges.every((e: any) => e.node.rfm.segment === big.segment)).toBe(true);
      if (first > 1) expect(r.rfmSegmentCustomers.edges.some((e: any) => e.node.member)).toBe(true);
      return t.db.statements.length;
    };
    expect(await count(big.customers)).toBe(await count(1));
  });
});

describe('options', () => {
  it("uses the configured window and fixed thresholds instead of the base's averages", async () => {
    const app = await startTestApp({
      plugins: [rfmPlugin({ windowMonths: 3, highScore: { recency: 5, frequency: 5, monetary: 5 } })],
    });
    try {
      await stockUp(app, app.stores.find((s) => s.code === 'BJ-SLT')!.id, [SKU]);
      const asOf = at('2023-03-01T04:00:00Z');
      // Five customers, k purchases of ¥100·k each, the last 6 − k days ago: scores k, k, k.
      const ids: string[] = [];
      for (let k = 1; k <= 5; k++) {
        const id = await customer(`阈值${k}`, null, app);
        ids.push(id);
        for (let n = 0; n < k; n++) await sale(id, new Date(asOf.getTime() - (6 - k + n * 5) * DAY), 100, 1, app);
      }
      const old = await customer('三个月前', null, app);
      await sale(old, new Date(asOf.getTime() - 100 * DAY), 500, 1, app); // outside a 3-month window
      expect(await runJob(app, 'rfm.score', asOf)).toBe(5);
      expect(await rfmOf(old, 'zh-CN', app)).toBeNull();
      const rfm = await Promise.all(ids.map((id) => rfmOf(id, 'zh-CN', app)));
      expect(rfm.map((r) => r.code)).toEqual(['111', '222', '333', '444', '555']);
      // Only a 5 is high here; with the default ("above the average of 3") 444 would be a champion too.
      expect(rfm.map((r) => r.segment)).toEqual([
        'HIBERNATING',
        'HIBERNATING',
        'HIBERNATING',
        'HIBERNATING',
        'CHAMPIONS',
      ]);
      const run = (await app.as('OWNER').ok(`{ rfmDashboard { lastRun { windowStart } } }`)).rfmDashboard.lastRun;
      expect(run.windowStart).toBe('2022-12-01T04:00:00.000Z');
    } finally {
      await app.close();
    }
  });

  it('refuses a window or threshold out of range, naming the option', () => {
    expect(() => rfmPlugin({ windowMonths: 0 })).toThrow(PluginConfigError);
    expect(() => rfmPlugin({ windowMonths: 0 })).toThrow(/windowMonths/);
    expect(() => rfmPlugin({ highScore: { recency: 6, frequency: 3, monetary: 3 } })).toThrow(/highScore/);
  });
});
