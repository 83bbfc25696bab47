import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignsPlugin } from '../plugins/campaigns/index.ts';
import { pointsPlugin } from '../plugins/points/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { newMember, stockUp } from './helpers/loyalty.ts';
import { rawId, uniqueId } from './helpers/queries.ts';

// A small history whose figures are worked out by hand in the comments: a campaign's results with a
// holdout, and what-ifs of two definitions over a past month of one store.

const CREATE = `mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename
  ... on Campaign { id } ... on UserError { errorCode message field } } }`;
const PREVIEW = `mutation($input: PreviewSaleInput!) { previewSale(input: $input) { __typename
  ... on SaleQuote { total adjustments { source amount } } ... on UserError { errorCode message field } } }`;
const RECORD = `mutation($input: RecordSaleInput!) { recordSale(input: $input) { __typename
  ... on RecordSalePayload { sale { id total } } ... on UserError { errorCode message field } } }`;
const REFUND = `mutation($saleId: ID!, $x: String!) {
  refundSale(saleId: $saleId, externalId: $x, reason: "退货") { __typename } }`;
const RESULTS = `query($id: ID!) { campaign(id: $id) { results {
  redemptions discountGiven revenue averageOrderValue customers newCustomers returningCustomers pointsAwarded
  holdout { holdoutPercent targetedCustomers heldOutCustomers targetedSpendPerCustomer heldOutSpendPerCustomer
    uplift upliftPercent } } } }`;
const WHATIF = `query($storeId: ID!, $from: DateTime!, $to: DateTime!, $input: CampaignInput!) {
  campaignWhatIf(storeId: $storeId, from: $from, to: $to, input: $input) { __typename
    ... on CampaignWhatIf { sales salesTouched customersTouched cost revenueTouched couponsIssued stoppedByLimits
      pointsAwarded }
    ... on UserError { errorCode message field } } }`;

/** The holdout's bucket, worked out here independently of the plugin: md5("campaign:customer"), 32 bits, mod 100. */
const heldOut = (campaignId: string, customerId: string, percent: number) =>
  Number.parseInt(createHash('md5').update(`${campaignId}:${customerId}`).digest('hex').slice(0, 8), 16) % 100 <
  percent;

describe('campaign results and what-if', () => {
  let t: TestApp;
  let store: string;
  let other: string;

  beforeAll(async () => {
    t = await startTestApp({ plugins: [campaignsPlugin()], seed: { customers: 2, sales: 0, days: 1 } });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    other = t.stores.find((s) => s.code === 'SZ-NS')!.id;
    for (const s of [store, other]) await stockUp(t, s, ['MB-001', 'SN-001', 'SN-003', 'DR-002', 'DR-005']);
  });
  afterAll(() => t?.close());

  /** Records a sale at `occurredAt` paying what the preview quoted (owner's token: any store). */
  const sell = async (
    storeId: string,
    occurredAt: string,
    lines: { sku: string; quantity: number; unitPrice: string }[],
    memberCode: string | null = null,
  ) => {
    const caller = { token: await t.token('OWNER') };
    const input = { storeId, occurredAt, lines, memberCode };
    const quote = (await t.ok(PREVIEW, { input }, caller)).previewSale;
    const r = await t.ok(
      RECORD,
      { input: { ...input, externalId: uniqueId('RS'), payments: [{ method: 'CASH', amount: quote.total }] } },
      caller,
    );
    expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
    return { id: r.recordSale.sale.id as string, total: r.recordSale.sale.total as string, quote };
  };

  it('counts redemptions, discount, revenue, 客单价, new and returning customers, the uplift over a holdout', async () => {
    const created = await t.as('OWNER').ok(CREATE, {
      input: {
        name: '满100减10（留出组50%）',
        startsAt: '2026-11-01T00:00:00Z',
        holdoutPercent: 50,
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '100', off: '10' }] },
      },
    });
    expect(created.createCampaign.__typename).toBe('Campaign');
    const id = created.createCampaign.id as string;
    // Members until two fall in each group (the hash decides; the test works it out the same way).
    const targeted: { customerId: string; memberCode: string }[] = [];
    const held: { customerId: string; memberCode: string }[] = [];
    while (targeted.length < 2 || held.length < 2) {
      const m = await newMember(t, '结果测试');
      const group = heldOut(rawId(id), rawId(m.customerId), 50) ? held : targeted;
      if (group.length < 2) group.push(m);
    }
    const [a, b] = targeted as [(typeof targeted)[0], (typeof targeted)[0]];
    const [c, d] = held as [(typeof held)[0], (typeof held)[0]];
    const at = (day: string) => `2026-${day}T02:00:00Z`; // 10:00 in Beijing

    // A bought before the campaign (¥50, nothing off): a returning customer. B's first purchase is with it.
    await sell(store, at('10-20'), [{ sku: 'SN-003', quantity: 1, unitPrice: '50.00' }], a.memberCode);
    expect(
      (await sell(store, at('11-05'), [{ sku: 'MB-001', quantity: 1, unitPrice: '120.00' }], a.memberCode)).total,
    ).toBe('110.00');
    expect(
      (await sell(store, at('11-06'), [{ sku: 'MB-001', quantity: 1, unitPrice: '200.00' }], b.memberCode)).total,
    ).toBe('190.00');
    await sell(store, at('11-07'), [{ sku: 'SN-003', quantity: 1, unitPrice: '80.00' }], b.memberCode); // under 100
    // C is held out: ¥150 and nothing off, at the till as in the results. D spends ¥60.
    const cSale = await sell(store, at('11-05'), [{ sku: 'MB-001', quantity: 1, unitPrice: '150.00' }], c.memberCode);
    expect(cSale.quote.adjustments).toEqual([]);
    expect(cSale.total).toBe('150.00');
    await sell(store, at('11-08'), [{ sku: 'SN-003', quantity: 1, unitPrice: '60.00' }], d.memberCode);
    // A walk-in is in neither group and gets the campaign: ¥100 − 10 = 90.
    expect((await sell(store, at('11-09'), [{ sku: 'SN-003', quantity: 1, unitPrice: '100.00' }])).total).toBe('90.00');
    // A walk-in's ¥130 − 10 refunded in full: not counted.
    const refunded = await sell(store, at('11-10'), [{ sku: 'MB-001', quantity: 1, unitPrice: '130.00' }]);
    expect(refunded.total).toBe('120.00');
    expect((await t.as('OWNER').ok(REFUND, { saleId: refunded.id, x: uniqueId('R') })).refundSale.__typename).toBe(
      'RefundSalePayload',
    );

    const r = (await t.as('OWNER').ok(RESULTS, { id })).campaign.results;
    // Redemptions: A's 110, B's 190, the walk-in's 90: three, 30.00 off, 390.00 of revenue, 客单价 130.00.
    // Customers who used it: A (returning: the October sale) and B (new).
    // Holdout, customers who bought since Nov 1: targeted A (110) and B (190 + 80): (110 + 270) / 2 = 190.00;
    // held out C (150) and D (60): 210 / 2 = 105.00. Uplift 85.00, 85 / 105 = 80.952…% → 80.95.
    expect(r).toEqual({
      redemptions: 3,
      discountGiven: '30.00',
      revenue: '390.00',
      averageOrderValue: '130.00',
      customers: 2,
      newCustomers: 1,
      returningCustomers: 1,
      pointsAwarded: null, // not a points campaign (and no points plugin here)
      holdout: {
        holdoutPercent: 50,
        targetedCustomers: 2,
        heldOutCustomers: 2,
        targetedSpendPerCustomer: '190.00',
        heldOutSpendPerCustomer: '105.00',
        uplift: '85.00',
        upliftPercent: '80.95',
      },
    });
    // Results are the owners'; a cashier may read campaigns, not their results.
    const cashier = await t.as('CASHIER').gql(RESULTS, { id });
    expect(cashier.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await t.as('OWNER').ok(`mutation($id: ID!) { endCampaign(id: $id) { __typename } }`, { id });
  });

  it('what-if: a definition on a past month of one store, nothing written', async () => {
    const p = await newMember(t, '假设P');
    const q = await newMember(t, '假设Q');
    const at = (day: string) => `2026-${day}T02:00:00Z`; // 10:00 in Beijing; 10-07 and 10-14 are Wednesdays
    // October in 深圳南山 (the other store):
    await sell(other, at('10-03'), [{ sku: 'DR-005', quantity: 3, unitPrice: '65.00' }]); // S1 walk-in, 195
    await sell(
      other,
      at('10-07'),
      [
        { sku: 'SN-001', quantity: 2, unitPrice: '89.00' },
        { sku: 'DR-002', quantity: 2, unitPrice: '5.50' },
      ],
      p.memberCode,
    ); // S2 P, Wednesday, 189
    await sell(other, at('10-08'), [{ sku: 'DR-002', quantity: 1, unitPrice: '5.50' }], p.memberCode); // S3 P, 5.50
    await sell(other, at('10-14'), [{ sku: 'MB-001', quantity: 1, unitPrice: '268.00' }], q.memberCode); // S4 Q, Wed
    const gone = await sell(other, at('10-15'), [{ sku: 'DR-005', quantity: 2, unitPrice: '65.00' }], q.memberCode);
    await t.as('OWNER').ok(REFUND, { saleId: gone.id, x: uniqueId('R') }); // refunded in full: not a sale
    // Outside the period or the store: not looked at.
    await sell(other, at('11-02'), [{ sku: 'DR-005', quantity: 1, unitPrice: '65.00' }]);
    await sell(store, at('10-10'), [{ sku: 'DR-005', quantity: 2, unitPrice: '65.00' }]);

    const db = t.db.database.prisma;
    const counts = async () =>
      (
        await db.$queryRaw<{ n: string }[]>`
          SELECT (SELECT count(*) FROM "Campaign") || '/' || (SELECT count(*) FROM "CampaignRedemption")
            || '/' || (SELECT count(*) FROM "Sale") AS n`
      )[0]!.n;
    const before = await counts();
    const period = { storeId: other, from: '2026-09-30T16:00:00Z', to: '2026-10-31T16:00:00Z' }; // October, Beijing
    const whatIf = async (input: Record<string, unknown>, over = period) =>
      (await t.as('OWNER').ok(WHATIF, { ...over, input })).campaignWhatIf;

    // 饮料第二件半价: S1's three 特仑苏, one at half: 32.50; S2's two 气泡水, one at half: 2.75; S3 has one unit,
    // S4 no drink. Two sales, one customer (S1 is a walk-in), 35.25, on sales that came to 195 + 189 = 384.00.
    expect(
      await whatIf({
        name: '饮料第二件半价',
        conditions: { categories: ['饮料'] },
        action: { type: 'NTH_UNIT_PERCENT_OFF', nth: 2, percentOff: '50' },
      }),
    ).toEqual({
      __typename: 'CampaignWhatIf',
      sales: 4,
      salesTouched: 2,
      customersTouched: 1,
      cost: '35.25',
      revenueTouched: '384.00',
      couponsIssued: 0,
      stoppedByLimits: 0,
      pointsAwarded: null,
    });
    // Wednesday 95折 with a ¥15 budget: S2 189 × 5 % = 9.45 fits; S4's 268 × 5 % = 13.40 would make 22.85.
    expect(
      await whatIf({
        name: '周三95折',
        conditions: { weekdays: [3] },
        action: { type: 'PERCENT_OFF_ORDER', percentOff: '5' },
        budgetAmount: '15',
      }),
    ).toMatchObject({ sales: 4, salesTouched: 1, customersTouched: 1, cost: '9.45', stoppedByLimits: 1 });
    // A definition is checked as at creation; the period must be past and at most 92 days.
    expect(
      await whatIf({
        name: 'x',
        conditions: { categories: ['家电'] },
        action: { type: 'PERCENT_OFF_ORDER', percentOff: '5' },
      }),
    ).toMatchObject({ errorCode: 'CAMPAIGN_UNKNOWN_CATEGORY', field: ['input', 'conditions', 'categories', '0'] });
    const nineZhe = { name: '9折', action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' } };
    expect(await whatIf(nineZhe, { ...period, to: '2099-01-01T00:00:00Z' })).toMatchObject({
      errorCode: 'CAMPAIGN_INVALID_WINDOW',
      field: ['to'],
    });
    expect(await whatIf(nineZhe, { ...period, from: '2026-01-01T00:00:00Z' })).toMatchObject({
      errorCode: 'CAMPAIGN_INVALID_WINDOW',
    });
    expect(await counts()).toBe(before);
    // Owners, and a store's manager for their store (三里屯) only.
    const manager = await t.as('MANAGER').gql(WHATIF, { ...period, input: nineZhe });
    expect(manager.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = await t.as('MANAGER').ok(WHATIF, { ...period, storeId: store, input: nineZhe });
    // 三里屯 in October: A's ¥50 on the 20th and the walk-in's ¥130 of drinks on the 10th (9折: 5.00 + 13.00).
    expect(own.campaignWhatIf).toMatchObject({ sales: 2, salesTouched: 2, customersTouched: 1, cost: '18.00' });
  });
});

describe('points campaigns: results and what-if', () => {
  let t: TestApp;
  let store: string;

  beforeAll(async () => {
    t = await startTestApp({
      plugins: [campaignsPlugin(), pointsPlugin({})],
      seed: { customers: 2, sales: 0, days: 1 },
    });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['MB-001', 'SN-003']);
    const rule = await t.as('OWNER').ok(
      `mutation { createPointsRule(input: { name: "基础 1 分/元", kind: BASE_RATE, pointsPerYuan: "1" }) {
         __typename } }`,
    );
    expect(rule.createPointsRule.__typename).toBe('PointsRule');
  });
  afterAll(() => t?.close());

  const sell = async (
    occurredAt: string,
    lines: { sku: string; quantity: number; unitPrice: string }[],
    memberCode: string | null = null,
  ) => {
    const r = await t.as('OWNER').ok(
      `mutation($input: RecordSaleInput!) { recordSale(input: $input) { __typename
         ... on RecordSalePayload { sale { id total points { earned awards { reason points } } } }
         ... on UserError { errorCode message field } } }`,
      {
        input: {
          storeId: store,
          occurredAt,
          lines,
          memberCode,
          externalId: uniqueId('PS'),
          payments: [
            { method: 'CASH', amount: lines.reduce((s, l) => s + l.quantity * Number(l.unitPrice), 0).toFixed(2) },
          ],
        },
      },
    );
    expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
    return r.recordSale.sale as { id: string; total: string; points: { earned: number; awards: unknown[] } | null };
  };
  const refund = async (saleId: string, lines?: { lineNo: number; quantity: number }[]) => {
    const r = await t.as('OWNER').ok(
      `mutation($saleId: ID!, $x: String!, $lines: [RefundLineInput!]) {
         refundSale(saleId: $saleId, externalId: $x, reason: "退货", lines: $lines) { __typename } }`,
      { saleId, x: uniqueId('R'), lines },
    );
    expect(r.refundSale.__typename).toBe('RefundSalePayload');
  };

  it('counts the sales it awarded points to as its redemptions, and the points net of refunds', async () => {
    const create = async (input: Record<string, unknown>) => {
      const r = await t.as('OWNER').ok(CREATE, { input: { startsAt: '2026-11-01T00:00:00Z', ...input } });
      expect(r.createCampaign.__typename, JSON.stringify(r.createCampaign)).toBe('Campaign');
      return r.createCampaign.id as string;
    };
    // The bonus is tried first (higher priority); the multiplier doubles what a line earns by itself, not the bonus.
    const bonus = await create({
      name: '满100赠50积分',
      priority: 10,
      conditions: { minSpend: '100' },
      action: { type: 'BONUS_POINTS', points: 50 },
    });
    const double = await create({
      name: '母婴双倍积分',
      conditions: { categories: ['母婴'] },
      action: { type: 'POINTS_MULTIPLIER', multiplier: '2' },
    });
    const p = await newMember(t, '积分结果P');
    const q = await newMember(t, '积分结果Q');
    const at = (day: string) => `2026-${day}T02:00:00Z`;

    // S1, P's first purchase: 268 of 母婴 + 2 × 10 of 零食 = 288. By the rule 268 + 20; the bonus 50 spread by what
    // the lines paid (46.53 + 3.47: 47 + 3); the multiplier doubles line 1's own 268: 288 + 50 + 268 = 606.
    const s1 = await sell(
      at('11-05'),
      [
        { sku: 'MB-001', quantity: 1, unitPrice: '268.00' },
        { sku: 'SN-003', quantity: 2, unitPrice: '10.00' },
      ],
      p.memberCode,
    );
    expect(s1.points).toEqual({
      earned: 606,
      awards: [
        { reason: '赠50积分', points: 50 },
        { reason: '双倍积分', points: 268 },
      ],
    });
    // S2, Q: 80 of 零食: under 100, no 母婴: neither campaign.
    expect(
      (await sell(at('11-06'), [{ sku: 'SN-003', quantity: 1, unitPrice: '80.00' }], q.memberCode)).points,
    ).toEqual({ earned: 80, awards: [] });
    // S3, Q (returning: S2 before): two 母婴 at 75 = 150: bonus 50, multiplier 150. One unit back: half of each
    // lot, rounded down: 25 of the bonus, 75 of the multiplier; the sale comes to 75.
    const s3 = await sell(at('11-07'), [{ sku: 'MB-001', quantity: 2, unitPrice: '75.00' }], q.memberCode);
    expect(s3.points?.earned).toBe(150 + 50 + 150);
    await refund(s3.id, [{ lineNo: 1, quantity: 1 }]);
    // S4, a walk-in's 200 of 母婴: points go to members, neither campaign applies.
    expect((await sell(at('11-08'), [{ sku: 'MB-001', quantity: 1, unitPrice: '200.00' }])).points).toBeNull();
    // S5, P: 120 of 母婴 (bonus 50, multiplier 120), refunded in full: not counted, every point taken back.
    const s5 = await sell(at('11-09'), [{ sku: 'MB-001', quantity: 1, unitPrice: '120.00' }], p.memberCode);
    expect(s5.points?.earned).toBe(120 + 50 + 120);
    await refund(s5.id);

    const results = async (id: string) => (await t.as('OWNER').ok(RESULTS, { id })).campaign.results;
    // Each: S1 and S3, no money off, 288 + 75 = 363.00, 客单价 181.50; P new (S1 was P's first purchase), Q
    // returning. Points: the bonus 50 + (50 − 25) = 75; the multiplier 268 + (150 − 75) = 343.
    const common = {
      redemptions: 2,
      discountGiven: '0.00',
      revenue: '363.00',
      averageOrderValue: '181.50',
      customers: 2,
      newCustomers: 1,
      returningCustomers: 1,
      holdout: null,
    };
    expect(await results(bonus)).toEqual({ ...common, pointsAwarded: 75 });
    expect(await results(double)).toEqual({ ...common, pointsAwarded: 343 });

    // What-if over November in this store: S1–S4 (S5 was refunded in full), each as it was sold.
    const period = { storeId: store, from: '2026-10-31T16:00:00Z', to: '2026-11-30T16:00:00Z' };
    const whatIf = async (input: Record<string, unknown>) =>
      (await t.as('OWNER').ok(WHATIF, { ...period, input })).campaignWhatIf;
    // 满150赠30积分: S1 (288) and S3 (150 as sold); S4's 200 is a walk-in's. 60 points on 288 + 150 = 438.00.
    expect(
      await whatIf({
        name: '满150赠30积分',
        conditions: { minSpend: '150' },
        action: { type: 'BONUS_POINTS', points: 30 },
      }),
    ).toEqual({
      __typename: 'CampaignWhatIf',
      sales: 4,
      salesTouched: 2,
      customersTouched: 2,
      cost: '0.00',
      revenueTouched: '438.00',
      couponsIssued: 0,
      stoppedByLimits: 0,
      pointsAwarded: 60,
    });
    // 零食三倍积分 (×3: twice more) on what the 零食 lines earned: S1's 20 → 40, S2's 80 → 160: 200 points.
    const triple = {
      name: '零食三倍积分',
      conditions: { categories: ['零食'] },
      action: { type: 'POINTS_MULTIPLIER', multiplier: '3' },
    };
    expect(await whatIf(triple)).toMatchObject({
      sales: 4,
      salesTouched: 2,
      customersTouched: 2,
      revenueTouched: '368.00',
      pointsAwarded: 200,
    });
    // With room for one use: S1's 40, then S2 is stopped.
    expect(await whatIf({ ...triple, budgetRedemptions: 1 })).toMatchObject({
      salesTouched: 1,
      stoppedByLimits: 1,
      pointsAwarded: 40,
    });
    // A campaign that gives no points has none to count.
    expect(
      (await whatIf({ name: '9折', action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' } })).pointsAwarded,
    ).toBeNull();
  });
});
