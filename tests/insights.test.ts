import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../src/staff/service.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, REFUND_SALE } from './helpers/queries.ts';
import { postImport } from './helpers/workbook.ts';

// A small chain whose every figure is worked out by hand below. Urumqi (UTC+6) is the main
// store: its business day differs from UTC's and from Shanghai's, so a sale at 00:10 local on
// 1 March is 28 February in UTC, and one at 00:30 local on 1 April is still 31 March in UTC.
//
// Products (price, cost): A 奶粉 100 (60), B 纸尿裤 50 (30), C 零食 10 (unknown), D 零食 20 (5, never sold).
// Customers: X (member), Y, Y2 (a duplicate of Y, merged into Y after its sale), Z (erased at the end).
//
// Urumqi sales (local time):
//   S0  X   2026-02-20 12:00  A                 100   (before the period: X is a returning customer)
//   S1  X   2026-03-01 00:10  A + 2 B           200   (Sunday, hour 0; UTC 28 Feb 18:10)
//   S2  Y   2026-03-01 23:50  B + C              60   (Sunday, hour 23)
//   S3  Y2  2026-03-05 10:00  A + B             150   (Thursday; Y2 merged into Y afterwards)
//   S4  –   2026-03-10 15:00  3 C                30   (anonymous, Tuesday)
//   S8  X   2026-03-15 12:00  B                  50   refunded in full (Sunday)
//   S5  X   2026-03-20 11:00  A + B             150   A refunded (100): net 50 (Friday)
//   S6  Z   2026-03-31 23:30  B                  50   (Tuesday, hour 23)
//   S7  Z   2026-04-01 00:30  C                  10   outside March here, though 31 March in UTC
//   SLY –   2025-03-10 12:00  C                  10   (same period last year)
//   SW  W   2026-05-01 00:10  A                 100   W's first purchase: 30 April in UTC
// Shanghai: SH1  X  2026-03-10 12:00  A  100.
//
// March in Urumqi: gross 690, refunds 150, revenue 540, 6 sales (S8 refunded in full is none),
// 12 units (3+2+2+3+1+1), 客单价 90.00, 连带率 2, refund rate 150/690 = 0.2174; customers X, Y
// (with Y2), Z: 3, of whom Y and Z are new (first purchase in March): new revenue 60+150+50 = 260,
// returning (X) 200+50+0 = 250, anonymous 30; members (X) 250: share 250/540 = 0.463.

const UR = '00000000-0000-7000-8000-0000000000a1';
const SH = '00000000-0000-7000-8000-0000000000a2';
const gUR = encodeGlobalID('Store', UR);
const gSH = encodeGlobalID('Store', SH);
const OWNER = { login: '13900001001', password: 'insights-owner-1' };
const MANAGER = { login: '13900001002', password: 'insights-manager-1' };

/** An instant from a local time in a zone with a fixed offset (Urumqi +6, Shanghai +8). */
const at = (local: string, offsetHours: number) =>
  new Date(Date.parse(`${local}:00Z`) - offsetHours * 3_600_000).toISOString();

let t: TestApp;
let ownerToken: string;
let managerToken: string;
let seq = 0;

async function signIn(login: string, password: string) {
  const r = await t.ok(
    `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } } }`,
    { l: login, p: password },
  );
  return r.signIn.token as string;
}
const owner = <T = any>(query: string, variables?: Record<string, unknown>) =>
  t.ok<T>(query, variables, { token: ownerToken });

async function sale(
  store: string,
  occurredAt: string,
  lines: { sku: string; quantity: number }[],
  who: { customerId?: string; memberCode?: string } = {},
) {
  const prices: Record<string, number> = { 'IN-A': 100, 'IN-B': 50, 'IN-C': 10, 'IN-D': 20 };
  const total = lines.reduce((n, l) => n + prices[l.sku]! * l.quantity, 0);
  const r = await owner(RECORD_SALE, {
    input: {
      storeId: store,
      externalId: `INS-${++seq}`,
      occurredAt,
      ...who,
      lines,
      payments: [{ method: 'CASH', amount: total.toFixed(2) }],
    },
  });
  expect(r.recordSale.__typename).toBe('RecordSalePayload');
  return r.recordSale.sale.id as string;
}

beforeAll(async () => {
  t = await startTestApp({ seed: false });
  const prisma = t.db.database.prisma;
  await prisma.store.createMany({
    data: [
      { id: UR, code: 'UR-01', name: '乌鲁木齐店', timezone: 'Asia/Urumqi' },
      { id: SH, code: 'SH-01', name: '上海店', timezone: 'Asia/Shanghai' },
    ],
  });
  await prisma.$transaction(async (tx) => {
    await createStaff(tx, {
      name: '店主',
      ...OWNER,
      roles: [
        { storeId: UR, role: 'OWNER' },
        { storeId: SH, role: 'OWNER' },
      ],
    });
    await createStaff(tx, { name: '店长', ...MANAGER, roles: [{ storeId: UR, role: 'MANAGER' }] });
  });
  ownerToken = await signIn(OWNER.login, OWNER.password);
  managerToken = await signIn(MANAGER.login, MANAGER.password);

  for (const [sku, name, category, price, cost] of [
    ['IN-A', '婴儿奶粉', '奶粉', '100.00', '60.00'],
    ['IN-B', '纸尿裤', '纸尿裤', '50.00', '30.00'],
    ['IN-C', '磨牙饼干', '零食', '10.00', null],
    ['IN-D', '果泥', '零食', '20.00', '5.00'],
  ] as const) {
    const r = await owner(`mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename } }`, {
      input: { sku, name, category, price, ...(cost ? { cost } : {}) },
    });
    expect(r.createProduct.__typename).toBe('Product');
  }
  const receive = `mutation($s: ID!, $lines: [StockLineInput!]!) { adjustStock(storeId: $s, type: RECEIPT, lines:
    $lines) { __typename } }`;
  await owner(receive, {
    s: gUR,
    lines: ['IN-A', 'IN-B', 'IN-C', 'IN-D'].map((sku) => ({ sku, quantity: 20 })),
  });
  await owner(receive, { s: gSH, lines: [{ sku: 'IN-A', quantity: 5 }] });

  const customer = async (name: string, phone: string) =>
    (
      await owner(
        `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id } } }`,
        {
          input: { name, phone },
        },
      )
    ).createCustomer.id as string;
  const x = await customer('王芳', '13711110001');
  const y = await customer('李娜', '13711110002');
  const y2 = await customer('李娜', '13711110003');
  const z = await customer('张伟', '13711110004');
  const w = await customer('赵敏', '13711110005');
  const member = await owner(
    `mutation($id: ID!) { enrollMember(input: { customerId: $id, code: "INS-X" }) { ... on Member { code } } }`,
    {
      id: x,
    },
  );
  const X = { memberCode: member.enrollMember.code as string };

  await sale(gUR, at('2026-02-20T12:00', 6), [{ sku: 'IN-A', quantity: 1 }], X); // S0
  await sale(
    gUR,
    at('2026-03-01T00:10', 6),
    [
      { sku: 'IN-A', quantity: 1 },
      { sku: 'IN-B', quantity: 2 },
    ],
    X,
  ); // S1
  await sale(
    gUR,
    at('2026-03-01T23:50', 6),
    [
      { sku: 'IN-B', quantity: 1 },
      { sku: 'IN-C', quantity: 1 },
    ],
    { customerId: y },
  ); // S2
  await sale(
    gUR,
    at('2026-03-05T10:00', 6),
    [
      { sku: 'IN-A', quantity: 1 },
      { sku: 'IN-B', quantity: 1 },
    ],
    { customerId: y2 },
  ); // S3
  await sale(gUR, at('2026-03-10T15:00', 6), [{ sku: 'IN-C', quantity: 3 }]); // S4
  const s8 = await sale(gUR, at('2026-03-15T12:00', 6), [{ sku: 'IN-B', quantity: 1 }], X);
  const s5 = await sale(
    gUR,
    at('2026-03-20T11:00', 6),
    [
      { sku: 'IN-A', quantity: 1 },
      { sku: 'IN-B', quantity: 1 },
    ],
    X,
  );
  await sale(gUR, at('2026-03-31T23:30', 6), [{ sku: 'IN-B', quantity: 1 }], { customerId: z }); // S6
  await sale(gUR, at('2026-04-01T00:30', 6), [{ sku: 'IN-C', quantity: 1 }], { customerId: z }); // S7
  await sale(gUR, at('2025-03-10T12:00', 6), [{ sku: 'IN-C', quantity: 1 }]); // SLY
  await sale(gSH, at('2026-03-10T12:00', 8), [{ sku: 'IN-A', quantity: 1 }], X); // SH1
  await sale(gUR, at('2026-05-01T00:10', 6), [{ sku: 'IN-A', quantity: 1 }], { customerId: w }); // SW

  const refund = async (saleId: string, lines?: { lineNo: number; quantity: number }[]) =>
    expect((await owner(REFUND_SALE, { saleId, externalId: `R-${++seq}`, lines })).refundSale.__typename).toBe(
      'RefundSalePayload',
    );
  await refund(s8);
  await refund(s5, [{ lineNo: 1, quantity: 1 }]);

  const merged = await owner(
    `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename } }`,
    { a: y, b: y2 },
  );
  expect(merged.mergeCustomers.__typename).toBe('Customer');
  const erased = await owner(`mutation($c: ID!) { eraseCustomer(customerId: $c, reason: "测试") { __typename } }`, {
    c: z,
  });
  expect(erased.eraseCustomer.__typename).toBe('CustomerErasure');
}, 60_000);

afterAll(() => t?.close());

const FIGURES = `storeCode grossSales refunds revenue saleCount refundedSaleCount averageSale units unitsPerSale
  refundRate
  customerCount newCustomerCount newCustomerRevenue returningCustomerRevenue anonymousRevenue memberRevenue memberShare
  repurchaseWithinDays repurchasingCustomers repurchaseRate purchaseIntervals { minDays maxDays count share }`;

const intervals = (counts: number[]) => {
  const total = counts.reduce((a, b) => a + b, 0);
  const bounds = [
    [0, 7],
    [8, 14],
    [15, 30],
    [31, 60],
    [61, 90],
    [91, 180],
    [181, null],
  ] as const;
  return bounds.map(([minDays, maxDays], i) => ({
    minDays,
    maxDays,
    count: counts[i] ?? 0,
    share: total ? Number(((counts[i] ?? 0) / total).toFixed(4)) : 0,
  }));
};

describe('KPIs', () => {
  it('adds up March in Urumqi by its own business dates, net of refunds, with the merged customer as one', async () => {
    const r = await owner(
      `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") {
        days kpis(repurchaseWithinDays: 7) { current { from to total { ${FIGURES} } stores { ${FIGURES} } } } } }`,
      { s: [gUR] },
    );
    expect(r.insights.days).toBe(31);
    const march = {
      grossSales: '690.00',
      refunds: '150.00',
      revenue: '540.00',
      saleCount: 6,
      refundedSaleCount: 2,
      averageSale: '90.00',
      units: 12,
      unitsPerSale: 2,
      refundRate: 0.2174,
      customerCount: 3,
      newCustomerCount: 2,
      newCustomerRevenue: '260.00',
      returningCustomerRevenue: '250.00',
      anonymousRevenue: '30.00',
      memberRevenue: '250.00',
      memberShare: 0.463,
      repurchaseWithinDays: 7,
      // X's next purchase (S5) is 19 days after S1 (S8 was refunded in full); Y (S2 → S3, the
      // merged duplicate's sale) and Z (S6 → S7, an hour later, after the period) bought again.
      repurchasingCustomers: 2,
      repurchaseRate: 0.6667,
      // S1 − S0 = 9 days, S5 − S1 = 19 (S8 refunded in full is no purchase), S3 − S2 = 4.
      purchaseIntervals: intervals([1, 1, 1]),
    };
    expect(r.insights.kpis.current).toEqual({
      from: '2026-03-01',
      to: '2026-03-31',
      total: { storeCode: null, ...march },
      stores: [{ storeCode: 'UR-01', ...march }],
    });
  });

  it("tells a new customer by their first purchase's business date in the store's time zone", async () => {
    // W's first purchase, 00:10 on 1 May in Urumqi, is 30 April in UTC: W is new in May.
    const r = await owner(
      `query($s: [ID!]) { insights(storeIds: $s, from: "2026-05-01", to: "2026-05-31") { kpis { current { total {
        newCustomerCount newCustomerRevenue returningCustomerRevenue } } } } }`,
      { s: [gUR] },
    );
    expect(r.insights.kpis.current.total).toEqual({
      newCustomerCount: 1,
      newCustomerRevenue: '100.00',
      returningCustomerRevenue: '0.00',
    });
  });

  it('counts a repurchase within 30 days, and compares with the period before and last year', async () => {
    const r = await owner(
      `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") {
        kpis { current { total { repurchaseRate repurchasingCustomers } }
          previousPeriod { from to total { revenue saleCount newCustomerCount newCustomerRevenue memberShare } }
          samePeriodLastYear { from to total { revenue saleCount anonymousRevenue customerCount } } } } }`,
      { s: [gUR] },
    );
    const k = r.insights.kpis;
    expect(k.current.total).toEqual({ repurchaseRate: 1, repurchasingCustomers: 3 });
    // 31 days before March: 29 January – 28 February, with S0 only, X's very first purchase.
    expect(k.previousPeriod).toEqual({
      from: '2026-01-29',
      to: '2026-02-28',
      total: { revenue: '100.00', saleCount: 1, newCustomerCount: 1, newCustomerRevenue: '100.00', memberShare: 1 },
    });
    expect(k.samePeriodLastYear).toEqual({
      from: '2025-03-01',
      to: '2025-03-31',
      total: { revenue: '10.00', saleCount: 1, anonymousRevenue: '10.00', customerCount: 0 },
    });
  });

  it('gives each store its own figures and the chain its total, repurchase and intervals across stores', async () => {
    const r = await owner(
      `{ insights(from: "2026-03-01", to: "2026-03-31") { storeIds kpis(repurchaseWithinDays: 7) { current {
        total { revenue saleCount memberShare repurchaseRate purchaseIntervals { count } }
        stores { storeCode revenue saleCount repurchaseRate purchaseIntervals { count } } } } } }`,
    );
    expect(new Set(r.insights.storeIds)).toEqual(new Set([gUR, gSH]));
    const counts = (list: { count: number }[]) => list.map((b) => b.count);
    const { total, stores } = r.insights.kpis.current;
    // With SH1 (X, 10 March in Shanghai): 640 over 7 sales, members 350. X's first purchase of
    // March (S1) is followed by SH1 9.4 days later: still no repurchase within 7 days.
    expect({ ...total, purchaseIntervals: counts(total.purchaseIntervals) }).toEqual({
      revenue: '640.00',
      saleCount: 7,
      memberShare: 0.5469,
      repurchaseRate: 0.6667,
      // Across stores: S1 − S0 = 9, SH1 − S1 = 9, S5 − SH1 = 10, S3 − S2 = 4.
      purchaseIntervals: [1, 3, 0, 0, 0, 0, 0],
    });
    const sh = stores.find((s: { storeCode: string }) => s.storeCode === 'SH-01');
    expect({ ...sh, purchaseIntervals: counts(sh.purchaseIntervals) }).toEqual({
      storeCode: 'SH-01',
      revenue: '100.00',
      saleCount: 1,
      repurchaseRate: 0,
      purchaseIntervals: [0, 0, 0, 0, 0, 0, 0],
    });
  });
});

describe('time', () => {
  it("puts each sale in its weekday and hour of the store's own time", async () => {
    const r = await owner(
      `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") { salesHeatMap { weekday hour
        saleCount revenue } } }`,
      { s: [gUR] },
    );
    const cells = r.insights.salesHeatMap;
    expect(cells).toHaveLength(168);
    expect(cells[0]).toEqual({ weekday: 1, hour: 0, saleCount: 0, revenue: '0.00' });
    expect(cells.filter((c: { saleCount: number; revenue: string }) => c.saleCount || c.revenue !== '0.00')).toEqual([
      { weekday: 2, hour: 15, saleCount: 1, revenue: '30.00' }, // S4
      { weekday: 2, hour: 23, saleCount: 1, revenue: '50.00' }, // S6, 23:30 on Tuesday 31 March
      { weekday: 4, hour: 10, saleCount: 1, revenue: '150.00' }, // S3
      { weekday: 5, hour: 11, saleCount: 1, revenue: '50.00' }, // S5 after its refund
      { weekday: 7, hour: 0, saleCount: 1, revenue: '200.00' }, // S1, 00:10 Sunday (Saturday 18:10 in UTC)
      { weekday: 7, hour: 23, saleCount: 1, revenue: '60.00' }, // S2
    ]);
  });

  it('totals by day, ISO week and month, empty buckets included', async () => {
    const q = `query($s: [ID!], $g: TrendGrain!) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") {
      salesTrend(grain: $g) { start saleCount grossSales refunds revenue averageSale } } }`;
    const days = (await owner(q, { s: [gUR], g: 'DAY' })).insights.salesTrend;
    expect(days).toHaveLength(31);
    expect(days[0]).toEqual({
      start: '2026-03-01',
      saleCount: 2,
      grossSales: '260.00',
      refunds: '0.00',
      revenue: '260.00',
      averageSale: '130.00',
    });
    expect(days[14]).toEqual({
      start: '2026-03-15',
      saleCount: 0,
      grossSales: '50.00',
      refunds: '50.00',
      revenue: '0.00',
      averageSale: '0.00',
    });
    expect(days[30]).toMatchObject({ start: '2026-03-31', saleCount: 1, revenue: '50.00' }); // not S7
    const weeks = (await owner(q, { s: [gUR], g: 'WEEK' })).insights.salesTrend;
    expect(
      weeks.map((w: { start: string; revenue: string; saleCount: number }) => [w.start, w.revenue, w.saleCount]),
    ).toEqual([
      ['2026-02-23', '260.00', 2], // the week of Sunday 1 March, March's part only
      ['2026-03-02', '150.00', 1],
      ['2026-03-09', '30.00', 1],
      ['2026-03-16', '50.00', 1],
      ['2026-03-23', '0.00', 0],
      ['2026-03-30', '50.00', 1],
    ]);
    const months = (await owner(q, { s: [gUR], g: 'MONTH' })).insights.salesTrend;
    expect(months).toEqual([
      {
        start: '2026-03-01',
        saleCount: 6,
        grossSales: '690.00',
        refunds: '150.00',
        revenue: '540.00',
        averageSale: '90.00',
      },
    ]);
  });
});

describe('products and stock', () => {
  const RANK = `query($s: [ID!], $by: ProductRankingOrder!) { insights(storeIds: $s, from: "2026-03-01", to:
    "2026-03-31") {
    productRanking(by: $by, topCustomers: 1) { sku units revenue cost margin marginRate saleCount topCustomerBuyers }
      } }`;
  // A: S1, S3 (S5's A refunded): 2 units, 200, cost 120. B: S1 ×2, S2, S3, S5, S6 (S8 refunded):
  // 6 units, 300, cost 180. C: S2, S4 ×3: 4 units, 40, cost unknown. X is the top customer (250).
  const A = {
    sku: 'IN-A',
    units: 2,
    revenue: '200.00',
    cost: '120.00',
    margin: '80.00',
    marginRate: 0.4,
    saleCount: 2,
    topCustomerBuyers: 1,
  };
  const B = {
    sku: 'IN-B',
    units: 6,
    revenue: '300.00',
    cost: '180.00',
    margin: '120.00',
    marginRate: 0.4,
    saleCount: 5,
    topCustomerBuyers: 1,
  };
  const C = {
    sku: 'IN-C',
    units: 4,
    revenue: '40.00',
    cost: null,
    margin: null,
    marginRate: null,
    saleCount: 2,
    topCustomerBuyers: 0,
  };

  it('ranks by revenue, units and margin, net of refunds', async () => {
    expect((await owner(RANK, { s: [gUR], by: 'REVENUE' })).insights.productRanking).toEqual([B, A, C]);
    expect((await owner(RANK, { s: [gUR], by: 'UNITS' })).insights.productRanking).toEqual([B, C, A]);
    expect((await owner(RANK, { s: [gUR], by: 'MARGIN' })).insights.productRanking).toEqual([B, A, C]);
  });

  const STOCK = (
    field: string,
    args = '',
  ) => `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") {
    ${field}(topCustomers: 1 ${args}) { storeCode sku onHand unitsSold dailyVelocity turnover daysOfCover lastSoldOn
      reorderPoint suggestedOrderQuantity boughtByTopCustomers } } }`;
  // On hand after everything: A 20 − 5 (S0, S1, S3, S5, SW) + 1 (refund) = 16; B 20 − 7 + 1 = 14;
  // C 20 − 6 (S2, S4 ×3, S7, last year's) = 14; D 20. Velocity over 31 days.
  const sA = {
    storeCode: 'UR-01',
    sku: 'IN-A',
    onHand: 16,
    unitsSold: 2,
    dailyVelocity: 0.065,
    turnover: 0.13, // 2 ÷ 16 = 0.125, rounded half up
    daysOfCover: 248,
    lastSoldOn: '2026-03-05',
  };
  const sB = {
    storeCode: 'UR-01',
    sku: 'IN-B',
    onHand: 14,
    unitsSold: 6,
    dailyVelocity: 0.194,
    turnover: 0.43,
    daysOfCover: 72.3,
    lastSoldOn: '2026-03-31',
  };
  const sC = {
    storeCode: 'UR-01',
    sku: 'IN-C',
    onHand: 14,
    unitsSold: 4,
    dailyVelocity: 0.129,
    turnover: 0.29,
    daysOfCover: 108.5,
    lastSoldOn: '2026-03-10',
  };
  const sD = {
    storeCode: 'UR-01',
    sku: 'IN-D',
    onHand: 20,
    unitsSold: 0,
    dailyVelocity: 0,
    turnover: 0,
    daysOfCover: null,
    lastSoldOn: null,
  };
  const pick = (rows: Record<string, unknown>[]) =>
    rows.map(({ reorderPoint: _r, suggestedOrderQuantity: _s, boughtByTopCustomers: _b, ...rest }) => rest);

  it('gives days of cover, turnover and slow movers per SKU and store', async () => {
    expect(pick((await owner(STOCK('stockCover'), { s: [gUR] })).insights.stockCover)).toEqual([sB, sC, sA]);
    expect(pick((await owner(STOCK('stockTurnover'), { s: [gUR] })).insights.stockTurnover)).toEqual([sB, sC, sA, sD]);
    expect(pick((await owner(STOCK('slowMovers'), { s: [gUR] })).insights.slowMovers)).toEqual([sD, sA, sC, sB]);
  });

  it('suggests reorders from velocity, lead time and safety days, flagging what top customers buy', async () => {
    // Defaults (7 days' lead + 3 safety): reorder points ⌈2×10/31⌉ = 1 (A), ⌈6×10/31⌉ = 2 (B),
    // ⌈4×10/31⌉ = 2 (C), far under what is on hand: nothing due.
    expect((await owner(STOCK('reorderSuggestions'), { s: [gUR] })).insights.reorderSuggestions).toEqual([]);
    const r = await owner(STOCK('reorderSuggestions', ', leadTimeDays: 90, safetyDays: 20'), { s: [gUR] });
    // 110 days: B ⌈6×110/31⌉ = 22 ≥ 14 on hand: order ⌈6×14/31⌉ + 22 − 14 = 11.
    // C ⌈4×110/31⌉ = 15 ≥ 14: order ⌈4×14/31⌉ + 15 − 14 = 3. A ⌈2×110/31⌉ = 8 < 16: not due.
    expect(r.insights.reorderSuggestions).toEqual([
      { ...sB, reorderPoint: 22, suggestedOrderQuantity: 11, boughtByTopCustomers: true },
      { ...sC, reorderPoint: 15, suggestedOrderQuantity: 3, boughtByTopCustomers: false },
    ]);
  });
});

describe('baskets and sequences', () => {
  // Baskets of March (refunded lines out, S8 no basket): S1 {A,B}, S2 {B,C}, S3 {A,B}, S4 {C},
  // S5 {B}, S6 {B}: 6 sales; A in 2, B in 5, C in 2.
  const PAIRS = `query($s: [ID!], $min: Float!, $level: BasketLevel!) { insights(storeIds: $s, from: "2026-03-01",
    to: "2026-03-31") {
    basketPairs(level: $level, minSupport: $min) { a { sku name } b { sku name } sales support confidenceAToB
      confidenceBToA lift } } }`;
  // Pairs come in item order; read them as "x with y" by name.
  const named = (rows: any[]) =>
    rows.map((p) => {
      const flip = p.a.name > p.b.name;
      const [x, y] = flip ? [p.b, p.a] : [p.a, p.b];
      return {
        pair: `${x.name}+${y.name}`,
        sales: p.sales,
        support: p.support,
        xToY: flip ? p.confidenceBToA : p.confidenceAToB,
        yToX: flip ? p.confidenceAToB : p.confidenceBToA,
        lift: p.lift,
      };
    });

  it('finds pairs with support, confidence and lift, above the minimum support', async () => {
    const r = await owner(PAIRS, { s: [gUR], min: 0.1, level: 'CATEGORY' });
    // 奶粉+纸尿裤 (A, B): 2 of 6 sales; 2/2 of A's, 2/5 of B's; lift 2×6 ÷ (2×5) = 1.2.
    // 纸尿裤+零食 (B, C): 1 of 6; 1/5 of B's, 1/2 of C's; lift 1×6 ÷ (5×2) = 0.6.
    expect(named(r.insights.basketPairs)).toEqual([
      { pair: '奶粉+纸尿裤', sales: 2, support: 0.3333, xToY: 1, yToX: 0.4, lift: 1.2 },
      { pair: '纸尿裤+零食', sales: 1, support: 0.1667, xToY: 0.2, yToX: 0.5, lift: 0.6 },
    ]);
    const products = await owner(PAIRS, { s: [gUR], min: 0.2, level: 'PRODUCT' });
    expect(products.insights.basketPairs.map((p: any) => [p.a.sku, p.b.sku].sort())).toEqual([['IN-A', 'IN-B']]);
  });

  it('counts customers who bought A, then B within N days', async () => {
    const q = `query($s: [ID!], $n: Int!, $to: Date! = "2026-03-31") {
      insights(storeIds: $s, from: "2026-03-01", to: $to) {
      purchaseSequences(level: CATEGORY, withinDays: $n, minCustomers: 1) { bought { name } thenBought { name }
        customers firstBuyers share } } }`;
    const flat = (rows: any[]) =>
      rows.map((s) => `${s.bought.name}>${s.thenBought.name} ${s.customers}/${s.firstBuyers} ${s.share}`).sort();
    // Y: S2 {纸尿裤, 零食} then S3 {奶粉, 纸尿裤} 3 days later; Z: S6 {纸尿裤} then S7 {零食} an
    // hour later (after the period, within the window). Buyers in March: 奶粉 X, Y; 纸尿裤 X, Y, Z; 零食 Y.
    expect(flat((await owner(q, { s: [gUR], n: 14 })).insights.purchaseSequences)).toEqual([
      '纸尿裤>奶粉 1/3 0.3333',
      '纸尿裤>零食 1/3 0.3333',
      '零食>奶粉 1/1 1',
      '零食>纸尿裤 1/1 1',
    ]);
    // Within 30 days (over the first half of March: the two span 45 days) X's S1 {奶粉, 纸尿裤} is
    // followed by S5 {纸尿裤}, 19 days later; Y bought 奶粉 in S3 and nothing after.
    const half = await owner(q, { s: [gUR], n: 30, to: '2026-03-15' });
    expect(flat(half.insights.purchaseSequences)).toContain('奶粉>纸尿裤 1/2 0.5');
  });
});

describe('cohorts', () => {
  it('follows customers from the month of their first purchase', async () => {
    const r = await owner(
      `query($s: [ID!]) { insights(storeIds: $s, from: "2026-02-01", to: "2026-03-31") {
        cohorts(followMonths: 2) { month customers retention { offset month customers rate } } } }`,
      { s: [gUR] },
    );
    // February: X (S0), back in March. March: Y (with Y2) and Z; Z back in April (S7).
    expect(r.insights.cohorts).toEqual([
      {
        month: '2026-02-01',
        customers: 1,
        retention: [
          { offset: 0, month: '2026-02-01', customers: 1, rate: 1 },
          { offset: 1, month: '2026-03-01', customers: 1, rate: 1 },
          { offset: 2, month: '2026-04-01', customers: 0, rate: 0 },
        ],
      },
      {
        month: '2026-03-01',
        customers: 2,
        retention: [
          { offset: 0, month: '2026-03-01', customers: 2, rate: 1 },
          { offset: 1, month: '2026-04-01', customers: 1, rate: 0.5 },
          { offset: 2, month: '2026-05-01', customers: 0, rate: 0 },
        ],
      },
    ]);
  });
});

describe('access and limits', () => {
  it("refuses a manager another store's insights, and gives them their own store by default", async () => {
    const q = `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") { storeIds kpis {
      current { total { revenue } } } } }`;
    const other = await t.gql(q, { s: [gSH] }, { token: managerToken });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const both = await t.gql(q, { s: [gUR, gSH] }, { token: managerToken });
    expect(both.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = await t.ok(q, {}, { token: managerToken });
    expect(own.insights).toEqual({ storeIds: [gUR], kpis: { current: { total: { revenue: '540.00' } } } });
    const anonymous = await t.gql(q, { s: [gUR] });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('bounds the period and every argument, in the caller’s language', async () => {
    const long = await t.gql(
      `{ insights(from: "2025-01-01", to: "2026-03-01") { days } }`,
      {},
      { token: ownerToken, locale: 'en' },
    );
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'INSIGHT_PERIOD' });
    expect(long.errors?.[0]?.message).toBe('Invalid period: from–to must span 1 to 366 days, both included');
    const page = await t.gql(
      `{ insights(from: "2026-03-01", to: "2026-03-31") { productRanking(first: 101) { sku } } }`,
      {},
      { token: ownerToken },
    );
    expect(page.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'INSIGHT_RANGE' });
    expect(page.errors?.[0]?.message).toBe('first 须在 1 至 100 之间');
    const baskets = await t.gql(
      `{ insights(from: "2026-01-01", to: "2026-06-30") { basketPairs { sales } } }`,
      {},
      { token: ownerToken },
    );
    expect(baskets.errors?.[0]?.extensions).toMatchObject({ errorCode: 'INSIGHT_PERIOD' });
    // 92 days by category; SKU pairs 62 (2026-03-01 – 2026-05-31 is 92 days).
    const quarter = (field: string) =>
      t.gql(`{ insights(from: "2026-03-01", to: "2026-05-31") { ${field} } }`, {}, { token: ownerToken, locale: 'en' });
    expect((await quarter('basketPairs(level: CATEGORY) { sales }')).errors).toBeUndefined();
    const skuPairs = await quarter('basketPairs(level: PRODUCT) { sales }');
    expect(skuPairs.errors?.[0]?.extensions).toMatchObject({ errorCode: 'INSIGHT_PERIOD' });
    expect(skuPairs.errors?.[0]?.message).toContain('1 to 62 days');
    const twoMonths = await t.gql(
      `{ insights(from: "2026-03-01", to: "2026-05-01") { basketPairs(level: PRODUCT) { sales } } }`,
      {},
      { token: ownerToken },
    );
    expect(twoMonths.errors).toBeUndefined();
    // Sequences: the period and the window together at most 45 days, at either level; the window
    // itself 1–44. March (31 days) takes the default 14 days, not 15.
    const march = (args: string, locale: 'en' | 'zh-CN' = 'en') =>
      t.gql(
        `{ insights(from: "2026-03-01", to: "2026-03-31") { purchaseSequences(${args}) { customers } } }`,
        {},
        { token: ownerToken, locale },
      );
    for (const level of ['CATEGORY', 'PRODUCT']) {
      expect((await march(`level: ${level}`)).errors, level).toBeUndefined();
      const refused = await march(`level: ${level}, withinDays: 15`);
      expect(refused.errors?.[0]?.extensions, level).toMatchObject({
        code: 'BAD_USER_INPUT',
        errorCode: 'INSIGHT_SEQUENCE_SPAN',
      });
      expect(refused.errors?.[0]?.message).toBe(
        'The period (31 days) and withinDays (15) may span at most 45 days together: ' +
          'with this window the period may be at most 30 days',
      );
      expect(refused.data?.insights?.purchaseSequences ?? null).toBeNull();
    }
    expect((await march('withinDays: 15', 'zh-CN')).errors?.[0]?.message).toBe(
      '期间（31 天）与 withinDays（15 天）合计最多 45 天：此窗口下期间最多 30 天',
    );
    const window = await march('withinDays: 45');
    expect(window.errors?.[0]?.extensions).toMatchObject({ errorCode: 'INSIGHT_RANGE' });
    expect(window.errors?.[0]?.message).toBe('withinDays must be between 1 and 44');
    const oneDay = await t.gql(
      `{ insights(from: "2026-03-31", to: "2026-03-31") { purchaseSequences(withinDays: 44) { customers } } }`,
      {},
      { token: ownerToken },
    );
    expect(oneDay.errors).toBeUndefined();
  });

  it('prices each insight in the query cost, so aliases cannot repeat one without bound', async () => {
    const many = Array.from({ length: 21 }, (_, i) => `h${i}: salesHeatMap { hour }`).join(' ');
    const r = await t.gql(`{ insights(from: "2026-03-01", to: "2026-03-31") { ${many} } }`, {}, { token: ownerToken });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
  });
});

describe('imported sales history', () => {
  it('counts as history: a sale imported from an old system is in the figures of its business date', async () => {
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    const csv = '门店,单号,销售时间,商品编码,数量,单价\nSH-01,OLD-1,2026-03-20 10:00,IN-A,2,40\n';
    const r = await postImport(base, 'sales-history', csv, ownerToken, { fileName: 'history.csv' });
    expect(r.status).toBe(200);
    const q = `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") {
      kpis { current { total { revenue saleCount units anonymousRevenue } } } salesHeatMap { weekday hour saleCount }
        } }`;
    const after = (await owner(q, { s: [gSH] })).insights;
    // SH1 (100, 1 unit) and the imported sale: 80, 2 units, no customer, Friday 20 March 10:00 in Shanghai.
    expect(after.kpis.current.total).toEqual({ revenue: '180.00', saleCount: 2, units: 3, anonymousRevenue: '80.00' });
    expect(after.salesHeatMap.filter((c: { saleCount: number }) => c.saleCount)).toEqual([
      { weekday: 2, hour: 12, saleCount: 1 },
      { weekday: 5, hour: 10, saleCount: 1 },
    ]);
  });
});

describe('comparisons', () => {
  it('gives the trend, heat map and ranking of the previous period and of the same period last year', async () => {
    const q = `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") {
      lastYear: salesTrend(grain: MONTH, period: SAME_PERIOD_LAST_YEAR) { start saleCount revenue }
      before: salesTrend(grain: DAY, period: PREVIOUS_PERIOD) { start saleCount revenue }
      heatLastYear: salesHeatMap(period: SAME_PERIOD_LAST_YEAR) { weekday hour saleCount revenue }
      rankBefore: productRanking(period: PREVIOUS_PERIOD) { sku units revenue }
      rankLastYear: productRanking(period: SAME_PERIOD_LAST_YEAR) { sku units revenue }
      now: productRanking(first: 1) { sku } } }`;
    const r = (await owner(q, { s: [gUR] })).insights;
    // March 2025 in Urumqi: SLY only (C, 10, Monday 10 March 12:00).
    expect(r.lastYear).toEqual([{ start: '2025-03-01', saleCount: 1, revenue: '10.00' }]);
    expect(r.heatLastYear.filter((c: { saleCount: number }) => c.saleCount)).toEqual([
      { weekday: 1, hour: 12, saleCount: 1, revenue: '10.00' },
    ]);
    expect(r.rankLastYear).toEqual([{ sku: 'IN-C', units: 1, revenue: '10.00' }]);
    // The 31 days before March: 29 January – 28 February, with S0 (A, 100) on 20 February.
    expect(r.before).toHaveLength(31);
    expect(r.before[0].start).toBe('2026-01-29');
    expect(r.before.at(-1).start).toBe('2026-02-28');
    expect(r.before.filter((p: { saleCount: number }) => p.saleCount)).toEqual([
      { start: '2026-02-20', saleCount: 1, revenue: '100.00' },
    ]);
    expect(r.rankBefore).toEqual([{ sku: 'IN-A', units: 1, revenue: '100.00' }]);
    expect(r.now).toEqual([{ sku: 'IN-B' }]);
  });
});

describe('daily summary', () => {
  const FIG = `storeCode grossSales refunds revenue saleCount refundedSaleCount averageSale units unitsPerSale
    refundRate
    customerCount newCustomerCount newCustomerRevenue returningCustomerRevenue anonymousRevenue memberRevenue
    memberShare repurchasingCustomers repurchaseRate purchaseIntervals { minDays count }`;
  const LONG = `query($s: [ID!], $from: Date!, $to: Date!) { insights(storeIds: $s, from: $from, to: $to) {
    kpis { current { asOf total { ${FIG} } stores { ${FIG} } } previousPeriod { asOf total { ${FIG} } }
           samePeriodLastYear { asOf total { ${FIG} } } }
    byRevenue: productRanking(by: REVENUE, topCustomers: 1) { asOf sku units revenue cost margin marginRate saleCount
      topCustomerBuyers }
    byMargin: productRanking(by: MARGIN, topCustomers: 2) { sku units revenue margin topCustomerBuyers } } }`;
  const both = { s: [gUR, gSH] };
  const periods = [
    { from: '2026-01-01', to: '2026-06-30' }, // everything of the fixture, refunds and the merge included
    { from: '2026-04-01', to: '2026-05-31' }, // starts on S7, 31 March in UTC but 1 April in Urumqi
    { from: '2026-02-21', to: '2026-03-31' }, // ends on S6 (23:30 local), starts the day after S0
  ];
  const RUN = `mutation { runScheduledJob(name: "insights.summary") { name processed } }`;
  /** What `fn` answers with the summary set aside as if never built (every figure live), then restored. */
  const asLive = async <T>(fn: () => Promise<T>): Promise<T> => {
    const prisma = t.db.database.prisma;
    const [state] = await prisma.$queryRaw<{ rebuiltAt: Date }[]>`
      SELECT "rebuiltAt" FROM "SalesSummaryState" WHERE id = 1`;
    await prisma.$executeRaw`UPDATE "SalesSummaryState" SET "rebuiltAt" = 'epoch' WHERE id = 1`;
    try {
      return await fn();
    } finally {
      await prisma.$executeRaw`UPDATE "SalesSummaryState" SET "rebuiltAt" = ${state!.rebuiltAt} WHERE id = 1`;
    }
  };
  const withoutAsOf = (r: any) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'asOf' ? undefined : v)));
  const APRIL_MAY = `query($s: [ID!]) { insights(storeIds: $s, from: "2026-04-01", to: "2026-05-31") {
    kpis { current { asOf total { grossSales refunds revenue saleCount refundedSaleCount units } } } } }`;
  const aprilMay = async () => (await owner(APRIL_MAY, { s: [gUR] })).insights.kpis.current;

  it('gives a long period the same figures from the summary as live, saying as of when', async () => {
    const live = [];
    for (const p of periods) live.push((await owner(LONG, { ...both, ...p })).insights);
    // Not built yet: computed live, no asOf.
    expect(live[0].kpis.current.asOf).toBeNull();
    expect(live[0].byRevenue[0].asOf).toBeNull();
    const before = Date.now();
    const run = await owner(RUN);
    expect(run.runScheduledJob.processed).toBeGreaterThan(0);
    for (const [i, p] of periods.entries()) {
      const summary = (await owner(LONG, { ...both, ...p })).insights;
      expect(new Date(summary.kpis.current.asOf).getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(summary.byRevenue[0].asOf).toBe(summary.kpis.current.asOf);
      expect(withoutAsOf(summary)).toEqual(withoutAsOf(live[i]));
    }
    // Worked out by hand: April and May in Urumqi are S7 (10, 00:30 on 1 April there) and SW (100).
    expect(await aprilMay()).toMatchObject({
      total: { grossSales: '110.00', refunds: '0.00', revenue: '110.00', saleCount: 2, refundedSaleCount: 0, units: 2 },
    });
    // A week or less reads it too once it ended before the run's last few days (this one did); the
    // week to today is live.
    const week = await owner(APRIL_MAY.replace('2026-05-31', '2026-04-07'), { s: [gUR] });
    expect(week.insights.kpis.current.asOf).toBe((await aprilMay()).asOf);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const recent = await owner(APRIL_MAY.replace('2026-04-01', day(-6)).replace('2026-05-31', day(0)), {
      s: [gUR],
    });
    expect(recent.insights.kpis.current.asOf).toBeNull();
  });

  // The customer figures and cohorts of long periods, read from the customer summary, against
  // the same queries answered live (the summary set aside as if never built, then restored).
  const CUST = `customerCount newCustomerCount newCustomerRevenue returningCustomerRevenue repurchasingCustomers
    repurchaseRate purchaseIntervals { minDays count share }`;
  const CUSTOMERS = `query($s: [ID!], $from: Date!, $to: Date!, $n: Int!) {
    insights(storeIds: $s, from: $from, to: $to) {
    kpis(repurchaseWithinDays: $n) { current { asOf total { ${CUST} } stores { storeCode ${CUST} } }
      previousPeriod { total { ${CUST} } } }
    cohorts(followMonths: 4) { asOf month customers retention { offset month customers rate } } } }`;
  // Pairs and sequences over the periods they take (SKU pairs at most 62 days, sequences at most
  // 45 with their window), from the baskets.
  const BASKETS = `query($s: [ID!], $from: Date!, $to: Date!, $n: Int!, $seq: Boolean!) {
    insights(storeIds: $s, from: $from, to: $to) {
      skus: basketPairs(level: PRODUCT, minSupport: 0.0001, first: 100) { asOf a { sku } b { sku } sales support
        confidenceAToB confidenceBToA lift }
      categories: basketPairs(level: CATEGORY, minSupport: 0.0001, orderBy: LIFT, first: 100) { asOf a { name }
        b { name } sales support lift }
      skuSequences: purchaseSequences(level: PRODUCT, withinDays: $n, minCustomers: 1, first: 100) @include(if: $seq)
        { asOf bought { sku } thenBought { sku } customers firstBuyers share }
      sequences: purchaseSequences(level: CATEGORY, withinDays: $n, minCustomers: 1, first: 100) @include(if: $seq)
        { asOf bought { name } thenBought { name } customers firstBuyers share } } }`;
  const basketPeriods = [
    ...periods.slice(1),
    { from: '2026-03-01', to: '2026-03-31' },
    { from: '2026-03-01', to: '2026-04-30' },
    { from: '2026-05-15', to: '2026-06-30' }, // the merged customer's June
    { from: '2026-06-01', to: '2026-06-30' },
  ];
  const spanDays = (p: { from: string; to: string }, n: number) =>
    (Date.parse(p.to) - Date.parse(p.from)) / 86_400_000 + 1 + n;
  const answers = async (scopes: string[][]) => {
    const out: any[] = [];
    for (const s of scopes) {
      for (const p of periods)
        for (const n of [7, 30]) out.push({ s, ...p, n, r: (await owner(CUSTOMERS, { s, ...p, n })).insights });
      for (const p of basketPeriods)
        for (const n of [7, 14]) {
          const seq = spanDays(p, n) <= 45;
          out.push({ s, ...p, n, seq, baskets: (await owner(BASKETS, { s, ...p, n, seq })).insights });
        }
    }
    return out;
  };
  const liveAnswers = (scopes: string[][]) => asLive(() => answers(scopes));
  /** Each store alone and both (cohorts from the chain's rows); then both in one time zone (the chain's KPIs). */
  const expectSummaryEqualsLive = async () => {
    const compare = async (scopes: string[][]) => {
      const live = await liveAnswers(scopes);
      const summary = await answers(scopes);
      for (const [i, a] of summary.entries()) {
        if (a.r) {
          expect(live[i]!.r.kpis.current.asOf).toBeNull();
          expect(a.r.kpis.current.asOf).not.toBeNull();
          for (const c of a.r.cohorts) expect(c.asOf).toBe(a.r.kpis.current.asOf);
        } else {
          // Pairs and sequences read the summary's baskets (category pairs its category days).
          expect(!!a.baskets.sequences).toBe(a.seq);
          for (const list of [a.baskets.skus, a.baskets.categories, a.baskets.skuSequences, a.baskets.sequences])
            for (const x of list ?? []) expect(x.asOf).not.toBeNull();
          for (const list of Object.values(live[i]!.baskets) as { asOf: string | null }[][])
            for (const x of list) expect(x.asOf).toBeNull();
        }
        expect(withoutAsOf(a)).toEqual(withoutAsOf(live[i]));
      }
      return summary;
    };
    const summary = await compare([[gUR], [gSH], [gUR, gSH]]);
    const prisma = t.db.database.prisma;
    await prisma.store.update({ where: { id: SH }, data: { timezone: 'Asia/Urumqi' } });
    try {
      await compare([[gUR, gSH]]);
    } finally {
      await prisma.store.update({ where: { id: SH }, data: { timezone: 'Asia/Shanghai' } });
    }
    return summary;
  };

  it('gives a long period the same customer figures and cohorts from the customer summary as live', async () => {
    const summary = await expectSummaryEqualsLive();
    // Not vacuous: Urumqi's first half of the year has customers, repurchases, intervals and cohorts.
    const ur = summary.find((a) => a.s[0] === gUR && a.s.length === 1 && a.from === '2026-01-01' && a.n === 30)!;
    // Pairs (A and B bought together in three sales, B and C in one) and sequences (Y: B, C, then A).
    const march = summary.find((a) => a.s.length === 2 && a.from === '2026-03-01' && a.n === 7 && a.seq)!.baskets;
    expect(march.skus.map((p: any) => [p.a.sku, p.b.sku, p.sales].sort())).toEqual(
      expect.arrayContaining([[2, 'IN-A', 'IN-B'].sort(), [1, 'IN-B', 'IN-C'].sort()]),
    );
    expect(march.skuSequences.length).toBeGreaterThan(0);
    expect(ur.r.kpis.current.total).toMatchObject({ customerCount: 4, newCustomerCount: 4, repurchasingCustomers: 3 });
    expect(ur.r.cohorts.map((c: { customers: number }) => c.customers)).toEqual([0, 1, 2, 0, 1, 0]);
    // And read from the summary: without its rows for Urumqi, Urumqi has no customers.
    const prisma = t.db.database.prisma;
    await prisma.$executeRaw`DELETE FROM "CustomerPurchaseSummary" WHERE "storeId" = ${UR}::uuid`;
    await prisma.$executeRaw`DELETE FROM "CustomerCohortSummary" WHERE "storeId" = ${UR}::uuid`;
    const emptied = (await owner(CUSTOMERS, { s: [gUR], from: '2026-01-01', to: '2026-06-30', n: 30 })).insights;
    expect(emptied.kpis.current.total.customerCount).toBe(0);
    expect(emptied.cohorts.every((c: { customers: number }) => c.customers === 0)).toBe(true);
    // A full rebuild brings them back.
    await prisma.$executeRaw`UPDATE "SalesSummaryState" SET "rebuiltAt" = 'epoch' WHERE id = 1`;
    await owner(RUN);
    const rebuilt = (await owner(CUSTOMERS, { s: [gUR], from: '2026-01-01', to: '2026-06-30', n: 30 })).insights;
    expect(withoutAsOf(rebuilt)).toEqual(withoutAsOf(ur.r));
  });

  it('brings the days a late sale, a refund of an old sale and a history import changed up to date', async () => {
    const asOf = (await aprilMay()).asOf;
    // A till sends a sale of 15 April months late: its day is marked, and the next run adds it.
    const late = await sale(gUR, at('2026-04-15T09:00', 6), [{ sku: 'IN-A', quantity: 1 }]);
    expect((await aprilMay()).total.revenue).toBe('110.00'); // the summary as of its last run
    await owner(RUN);
    const added = await aprilMay();
    expect(added.asOf > asOf).toBe(true);
    expect(added.total).toMatchObject({ grossSales: '210.00', revenue: '210.00', saleCount: 3, units: 3 });
    // Refunded in full now: the sale's own day loses it at the next run.
    const refunded = await owner(REFUND_SALE, { saleId: late, externalId: `R-${++seq}` });
    expect(refunded.refundSale.__typename).toBe('RefundSalePayload');
    await owner(RUN);
    expect((await aprilMay()).total).toMatchObject({
      grossSales: '210.00',
      refunds: '100.00',
      revenue: '110.00',
      saleCount: 2,
      refundedSaleCount: 1,
      units: 2,
    });
    // Sales history imported for 20 April (2 × 40).
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    const csv = '门店,单号,销售时间,商品编码,数量,单价\nUR-01,OLD-2,2026-04-20 10:00,IN-C,2,40\n';
    expect((await postImport(base, 'sales-history', csv, ownerToken, { fileName: 'history2.csv' })).status).toBe(200);
    await owner(RUN);
    expect((await aprilMay()).total).toMatchObject({ revenue: '190.00', saleCount: 3, units: 4 });
    // And every figure still equals the live one, each month's too.
    const months = [
      ['2026-04-01', '2026-04-30'],
      ['2026-05-01', '2026-05-31'],
    ];
    let revenue = 0;
    for (const [from, to] of months) {
      const q = APRIL_MAY.replace('2026-04-01', from!).replace('2026-05-31', to!);
      const m = (await owner(q, { s: [gUR] })).insights.kpis.current;
      const live = (await asLive(() => owner(q, { s: [gUR] }))).insights.kpis.current;
      expect(live.asOf).toBeNull();
      expect(m.asOf).not.toBeNull();
      expect(m.total).toEqual(live.total);
      revenue += Number(m.total.revenue);
    }
    expect(revenue).toBe(190);
  });

  it('keeps the customer summary equal to live after late sales, refunds, imports and a merge', async () => {
    await expectSummaryEqualsLive();
    // Two records of one person, each buying in June (late sales: their days are marked), then merged.
    const customer = async (phone: string) =>
      (
        await owner(
          `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id } } }`,
          {
            input: { name: '孙丽', phone },
          },
        )
      ).createCustomer.id as string;
    const m1 = await customer('13711110006');
    const m2 = await customer('13711110007');
    await sale(gUR, at('2026-06-02T10:00', 6), [{ sku: 'IN-B', quantity: 1 }], { customerId: m1 });
    await sale(gUR, at('2026-06-05T23:40', 6), [{ sku: 'IN-C', quantity: 1 }], { customerId: m2 });
    await sale(gSH, at('2026-06-06T00:20', 8), [{ sku: 'IN-A', quantity: 1 }], { customerId: m2 });
    const june = await sale(gUR, at('2026-06-20T12:00', 6), [{ sku: 'IN-C', quantity: 2 }], { customerId: m1 });
    await owner(RUN);
    await expectSummaryEqualsLive();
    const merged = await owner(
      `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename } }`,
      { a: m1, b: m2 },
    );
    expect(merged.mergeCustomers.__typename).toBe('Customer');
    await owner(RUN);
    await expectSummaryEqualsLive();
    const refunded = await owner(REFUND_SALE, { saleId: june, externalId: `R-${++seq}` });
    expect(refunded.refundSale.__typename).toBe('RefundSalePayload');
    await owner(RUN);
    const after = await expectSummaryEqualsLive();
    // One customer now, whose June purchases (2, 5 and 6 June; the 20th refunded in full) are 3 and 1 days apart.
    const ur = after.find((a) => a.s.length === 1 && a.s[0] === gUR && a.from === '2026-01-01' && a.n === 30)!;
    expect(ur.r.kpis.current.total).toMatchObject({ customerCount: 5, newCustomerCount: 5 });
    // Across both stores, the merged customer bought B on 2 June, then C (5th) and A (6th, Shanghai).
    const juneBaskets = after.find((a) => a.s.length === 2 && a.from === '2026-06-01' && a.n === 7)!.baskets;
    expect(
      juneBaskets.skuSequences
        .filter((q: any) => q.bought.sku === 'IN-B')
        .map((q: any) => q.thenBought.sku)
        .sort(),
    ).toEqual(['IN-A', 'IN-C']);
  });

  it('reads settled days of short periods from the summary; stock insights stay live between runs', async () => {
    await owner(RUN);
    // The last 7 days against the 7 before and last year's: those two are settled, read from the summary.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const k = (
      await owner(
        `query($s: [ID!], $from: Date!, $to: Date!) { insights(storeIds: $s, from: $from, to: $to) {
          kpis { current { asOf } previousPeriod { asOf } samePeriodLastYear { asOf } } } }`,
        { s: [gUR], from: day(-6), to: day(0) },
      )
    ).insights.kpis;
    expect(k.current.asOf).toBeNull();
    expect(k.previousPeriod.asOf).not.toBeNull();
    expect(k.samePeriodLastYear.asOf).toBe(k.previousPeriod.asOf);

    const STOCKS = `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-03-31") {
      cover: stockCover(topCustomers: 1, first: 100) { storeCode sku onHand unitsSold dailyVelocity turnover
        daysOfCover lastSoldOn boughtByTopCustomers }
      slow: slowMovers(topCustomers: 1, first: 100) { sku unitsSold lastSoldOn }
      reorder: reorderSuggestions(topCustomers: 1, leadTimeDays: 90, safetyDays: 20) { sku reorderPoint
        suggestedOrderQuantity } } }`;
    const stocks = async () => (await owner(STOCKS, { s: [gUR] })).insights;
    const sold = (r: any) => r.cover.map((c: any) => [c.sku, c.unitsSold, c.lastSoldOn]).sort();
    // March in Urumqi as worked out above (A 2, B 6, C 4), equal to the live answer in every field.
    const march = await stocks();
    expect(sold(march)).toEqual([
      ['IN-A', 2, '2026-03-05'],
      ['IN-B', 6, '2026-03-31'],
      ['IN-C', 4, '2026-03-10'],
    ]);
    expect(march).toEqual(await asLive(stocks));
    // Read from the summary: without Urumqi's March product days, nothing sold there in March.
    const prisma = t.db.database.prisma;
    await prisma.$executeRaw`DELETE FROM "ProductDaySummary" WHERE "storeId" = ${UR}::uuid`;
    expect((await stocks()).cover).toEqual([]);
    await prisma.$executeRaw`UPDATE "SalesSummaryState" SET "rebuiltAt" = 'epoch' WHERE id = 1`;
    await owner(RUN);
    expect(await stocks()).toEqual(march);
    // A till sends two C of 10 March late: the day is marked, and stock insights count them at
    // once, before any run (the marked day is read from the lines, not from its summary row too).
    await sale(gUR, at('2026-03-10T16:00', 6), [{ sku: 'IN-C', quantity: 2 }]);
    const late = await stocks();
    expect(sold(late)).toEqual([
      ['IN-A', 2, '2026-03-05'],
      ['IN-B', 6, '2026-03-31'],
      ['IN-C', 6, '2026-03-10'],
    ]);
    expect(late).toEqual(await asLive(stocks));
    await owner(RUN);
    expect(await stocks()).toEqual(late);
  });

  it('reads category pairs live after a product changes category, until the next run', async () => {
    const q = `query($s: [ID!]) { insights(storeIds: $s, from: "2026-03-01", to: "2026-04-30") {
      basketPairs(level: CATEGORY, minSupport: 0.0001, first: 100) { asOf a { name } b { name } sales support
        confidenceAToB confidenceBToA lift } } }`;
    const pairs = async () => (await owner(q, { s: [gUR, gSH] })).insights.basketPairs;
    const names = (r: any[]) => r.map((p) => [...[p.a.name, p.b.name].sort(), p.sales]);
    const before = await pairs();
    expect(before.every((p: any) => p.asOf !== null)).toBe(true);
    // March and April: 奶粉 with 纸尿裤 in two baskets (S1, S3; S5's 奶粉 was refunded), 纸尿裤 with 零食 in one (S2).
    expect(names(before)).toEqual([
      ['奶粉', '纸尿裤', 2],
      ['纸尿裤', '零食', 1],
    ]);
    // 磨牙饼干 (C) becomes 辅食: until the next run the pairs are live, and then equal the summary's.
    const prisma = t.db.database.prisma;
    await prisma.product.update({ where: { sku: 'IN-C' }, data: { category: '辅食' } });
    try {
      const live = await pairs();
      expect(live.every((p: any) => p.asOf === null)).toBe(true);
      expect(names(live)).toEqual([
        ['奶粉', '纸尿裤', 2],
        ['纸尿裤', '辅食', 1],
      ]);
      await owner(RUN);
      const rebuilt = await pairs();
      expect(rebuilt.every((p: any) => p.asOf !== null)).toBe(true);
      expect(withoutAsOf(rebuilt)).toEqual(withoutAsOf(live));
      // Renaming nothing (an update that leaves every category) keeps them in the summary.
      await prisma.product.update({ where: { sku: 'IN-C' }, data: { name: '磨牙饼干（新）' } });
      expect((await pairs())[0].asOf).not.toBeNull();
    } finally {
      await prisma.product.update({ where: { sku: 'IN-C' }, data: { category: '零食', name: '磨牙饼干' } });
      await owner(RUN);
    }
  });

  it("recomputes the recent days on every run without marks: today's sales and refunds", async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const q = `query($s: [ID!], $from: Date!, $to: Date!) { insights(storeIds: $s, from: $from, to: $to) {
      kpis { current { asOf total { revenue saleCount } } } } }`;
    const v = { s: [gSH], from: day(-40), to: day(1) };
    const before = (await owner(q, v)).insights.kpis.current;
    expect(before.asOf).not.toBeNull();
    await sale(gSH, new Date().toISOString(), [{ sku: 'IN-A', quantity: 1 }]);
    await owner(RUN);
    const after = (await owner(q, v)).insights.kpis.current;
    expect(Number(after.total.revenue) - Number(before.total.revenue)).toBe(100);
    expect(after.total.saleCount - before.total.saleCount).toBe(1);

    // A new customer's sale today and its refund mark nothing, yet each next run rewrites them.
    const customers = `query($s: [ID!], $from: Date!, $to: Date!) { insights(storeIds: $s, from: $from, to: $to) {
      kpis { current { asOf total { customerCount newCustomerCount newCustomerRevenue repurchasingCustomers
        purchaseIntervals { count } } } } } }`;
    const year = { s: [gSH], from: day(-300), to: day(1) };
    const figures = async () => (await owner(customers, year)).insights.kpis.current;
    const expectLive = async () => {
      const summary = await figures();
      expect(summary.asOf).not.toBeNull();
      expect(summary.total).toEqual((await asLive(figures)).total);
      return summary.total;
    };
    const start = await expectLive();
    const created = await owner(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id } } }`,
      { input: { name: '周敏', phone: '13711110008' } },
    );
    const today = await sale(gSH, new Date().toISOString(), [{ sku: 'IN-A', quantity: 1 }], {
      customerId: created.createCustomer.id,
    });
    await owner(RUN);
    expect(await expectLive()).toMatchObject({
      customerCount: start.customerCount + 1,
      newCustomerCount: start.newCustomerCount + 1,
    });
    const refunded = await owner(REFUND_SALE, { saleId: today, externalId: `R-${++seq}` });
    expect(refunded.refundSale.__typename).toBe('RefundSalePayload');
    const marks = await t.db.database.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "SalesSummaryDirtyDay"`;
    expect(marks[0]!.n).toBe(0);
    await owner(RUN);
    expect(await expectLive()).toMatchObject({
      customerCount: start.customerCount,
      newCustomerCount: start.newCustomerCount,
    });
  });
});
