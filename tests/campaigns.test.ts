import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignsPlugin } from '../plugins/campaigns/index.ts';
import { Prisma } from '../src/generated/prisma/client.ts';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { postgresUrl } from './helpers/database.ts';
import { checkLedger, newMember, stockUp } from './helpers/loyalty.ts';
import { onHand, RECORD_SALE, REFUND_SALE, rawId, uniqueId } from './helpers/queries.ts';

// Amounts in these tests are worked out by hand in the comments; every part adds up to the fen.

const CAMPAIGN = `id name status priority exclusive combinesWithTier usedAmount usedRedemptions
  conditions { minSpend skus categories storeIds weekdays timeFrom timeTo memberDay }
  action { type thresholds { spend off } every off maxOff percentOff nth buy get }`;
const CREATE = `mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename
  ... on Campaign { ${CAMPAIGN} } ... on UserError { errorCode message field } } }`;
const STATUS = (op: string) => `mutation($id: ID!) { ${op}(id: $id) { __typename
  ... on Campaign { id status } ... on UserError { errorCode message field } } }`;
const PREVIEW = `mutation($input: PreviewSaleInput!) { previewSale(input: $input) { __typename
  ... on SaleQuote { total discountTotal adjustments { source sourceId label amount lines { lineNo amount } }
    lines { lineNo total }
    campaignHints { campaignId missing label message } }
  ... on UserError { errorCode message field } } }`;
const RECORD = `mutation($input: RecordSaleInput!) { recordSale(input: $input) { __typename
  ... on RecordSalePayload { sale { id total discountTotal lines { lineNo total }
    adjustments { source sourceId label amount lines { lineNo amount } } } }
  ... on UserError { errorCode message field } } }`;

interface Line {
  sku: string;
  quantity: number;
  unitPrice: string;
}

async function create(t: TestApp, input: Record<string, unknown>) {
  const r = await t.as('OWNER').ok(CREATE, { input });
  if (r.createCampaign.__typename !== 'Campaign') throw new Error(JSON.stringify(r.createCampaign));
  return r.createCampaign as { id: string; [k: string]: unknown };
}

async function end(t: TestApp, id: string) {
  const r = await t.as('OWNER').ok(STATUS('endCampaign'), { id });
  expect(r.endCampaign.status).toBe('ENDED');
}

describe('campaigns with tiers and points installed', () => {
  let t: TestApp;
  let store: string;
  let other: string;

  beforeAll(async () => {
    t = await startTestApp({ plugins: [campaignsPlugin(), tiersPlugin({}), pointsPlugin({})] });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    other = t.stores.find((s) => s.code === 'SZ-NS')!.id;
    const skus = ['MB-001', 'MB-002', 'MB-005', 'SN-001', 'SN-002', 'SN-003', 'SN-004', 'DR-002', 'DR-003', 'DR-005'];
    await stockUp(t, store, [...skus, 'DH-004', 'DH-005']);
    await stockUp(t, other, skus);
  });
  afterAll(() => t?.close());

  const preview = async (lines: Line[], extra: Record<string, unknown> = {}, locale?: string) => {
    // The demo POS key is the first store's; the owner previews in the others.
    const caller = extra.storeId && extra.storeId !== store ? { token: await t.token('OWNER') } : { apiKey: t.posKey };
    const r = await t.ok(PREVIEW, { input: { storeId: store, lines, ...extra } }, { ...caller, locale });
    expect(r.previewSale.__typename, JSON.stringify(r.previewSale)).toBe('SaleQuote');
    return r.previewSale;
  };
  /** Records what the preview quoted, paying its total; the sale must equal the quote. */
  const record = async (lines: Line[], extra: Record<string, unknown> = {}) => {
    const quote = await preview(lines, extra);
    const r = await t.ok(
      RECORD,
      {
        input: {
          storeId: store,
          externalId: uniqueId('CP'),
          lines,
          payments: [{ method: 'CASH', amount: quote.total }],
          ...extra,
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
    const sale = r.recordSale.sale;
    expect({ total: sale.total, adjustments: sale.adjustments, lines: sale.lines }).toEqual({
      total: quote.total,
      adjustments: quote.adjustments,
      lines: quote.lines,
    });
    return sale;
  };
  const campaignAdjustments = (quote: { adjustments: any[] }) =>
    quote.adjustments.filter((a) => a.source === 'campaigns');

  describe('creating, validated', () => {
    const action = { type: 'AMOUNT_OFF', thresholds: [{ spend: '100', off: '10' }] };
    const refused = async (input: Record<string, unknown>) =>
      (await t.as('OWNER').ok(CREATE, { input: { name: '测试', action, ...input } })).createCampaign;

    it('names the unknown category, SKU, store and tier', async () => {
      expect(await refused({ conditions: { categories: ['母婴', '家电'] } })).toMatchObject({
        errorCode: 'CAMPAIGN_UNKNOWN_CATEGORY',
        field: ['input', 'conditions', 'categories', '1'],
        message: '活动条件中的品类“家电”不存在（conditions.categories.1）',
      });
      expect(await refused({ conditions: { skus: ['NO-SUCH'] } })).toMatchObject({
        errorCode: 'CAMPAIGN_UNKNOWN_SKU',
        field: ['input', 'conditions', 'skus', '0'],
      });
      expect(await refused({ conditions: { tierCodes: ['PLATINUM'] } })).toMatchObject({
        errorCode: 'CAMPAIGN_UNKNOWN_TIER',
        field: ['input', 'conditions', 'tierCodes', '0'],
      });
      const noStore = Buffer.from('Store:018f0000-0000-7000-8000-000000000000').toString('base64');
      expect(await refused({ conditions: { storeIds: [store, noStore] } })).toMatchObject({
        errorCode: 'CAMPAIGN_UNKNOWN_STORE',
        field: ['input', 'conditions', 'storeIds'],
      });
    });

    it('refuses an impossible window and malformed actions, naming the field', async () => {
      expect(await refused({ startsAt: '2027-01-10T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' })).toMatchObject({
        errorCode: 'CAMPAIGN_INVALID_WINDOW',
        field: ['input', 'endsAt'],
      });
      expect(await refused({ endsAt: '2020-01-01T00:00:00Z' })).toMatchObject({
        errorCode: 'CAMPAIGN_INVALID_WINDOW',
        field: ['input', 'endsAt'],
      });
      expect(await refused({ conditions: { timeFrom: '10:00' } })).toMatchObject({
        errorCode: 'CAMPAIGN_INVALID_WINDOW',
        field: ['input', 'conditions', 'timeTo'],
      });
      expect(await refused({ conditions: { timeFrom: '25:00', timeTo: '26:00' } })).toMatchObject({
        errorCode: 'CAMPAIGN_INVALID',
        field: ['input', 'conditions', 'timeFrom'],
      });
      expect(
        await refused({ action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '100', off: '120' }] } }),
      ).toMatchObject({ errorCode: 'CAMPAIGN_INVALID', field: ['input', 'action', 'thresholds', '0', 'off'] });
      expect(await refused({ action: { type: 'PERCENT_OFF_ORDER', percentOff: '0' } })).toMatchObject({
        errorCode: 'CAMPAIGN_INVALID',
        field: ['input', 'action', 'percentOff'],
      });
      expect(await refused({ action: { type: 'BUY_X_GET_Y', buy: 2 } })).toMatchObject({
        errorCode: 'CAMPAIGN_INVALID',
        field: ['input', 'action', 'get'],
      });
      const en = await t
        .as('OWNER')
        .ok(CREATE, { input: { name: 'x', action, conditions: { categories: ['家电'] } } }, { locale: 'en' });
      expect(en.createCampaign.message).toBe(
        'The campaign names the category "家电", which no product has (conditions.categories.0)',
      );
      // Nothing half-written.
      const list = await t.as('OWNER').ok(`{ campaigns { edges { node { id } } } }`);
      expect(list.campaigns.edges).toEqual([]);
    });

    it('for every store by owners; a store manager runs their own store’s; a cashier only reads', async () => {
      const input = { name: '满100减10', action };
      const manager = await t.as('MANAGER').gql(CREATE, { input });
      expect(manager.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const cashier = await t.as('CASHIER').gql(CREATE, { input });
      expect(cashier.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await t.as('CASHIER').ok(`{ campaigns { edges { node { id } } } }`)).campaigns.edges).toEqual([]);
      // The manager of 三里屯 (the first store) runs a campaign limited to it, not one reaching another store.
      const forbidden = async (r: { errors?: { extensions?: { code?: string } }[] }) =>
        expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await forbidden(await t.as('MANAGER').gql(CREATE, { input: { ...input, conditions: { storeIds: [other] } } }));
      await forbidden(
        await t.as('MANAGER').gql(CREATE, { input: { ...input, conditions: { storeIds: [store, other] } } }),
      );
      const own = await t.as('MANAGER').ok(CREATE, { input: { ...input, conditions: { storeIds: [store] } } });
      expect(own.createCampaign).toMatchObject({ __typename: 'Campaign', conditions: { storeIds: [store] } });
      const id = own.createCampaign.id;
      expect((await t.as('MANAGER').ok(STATUS('pauseCampaign'), { id })).pauseCampaign.status).toBe('PAUSED');
      // Nor may they move it beyond their store; the owner's chain-wide campaign is not theirs to stop.
      await forbidden(
        await t
          .as('MANAGER')
          .gql(`mutation($id: ID!, $input: CampaignInput!) { updateCampaign(id: $id, input: $input) { __typename } }`, {
            id,
            input,
          }),
      );
      const chain = await create(t, { ...input, name: '全店满100减10' });
      await forbidden(await t.as('MANAGER').gql(STATUS('pauseCampaign'), { id: chain.id }));
      await forbidden(
        await t.as('MANAGER').gql(`query($id: ID!) { campaign(id: $id) { results { redemptions } } }`, {
          id: chain.id,
        }),
      );
      const results = await t.as('MANAGER').ok(`query($id: ID!) { campaign(id: $id) { results { redemptions } } }`, {
        id,
      });
      expect(results.campaign.results).toEqual({ redemptions: 0 });
      expect((await t.as('MANAGER').ok(STATUS('endCampaign'), { id })).endCampaign.status).toBe('ENDED');
      await end(t, chain.id);
    });
  });

  it('满200减20 / 满500减80: the best threshold met, prorated to the fen; preview = record; hints the next', async () => {
    const c = await create(t, {
      name: '双十二满减',
      action: {
        type: 'AMOUNT_OFF',
        thresholds: [
          { spend: '500', off: '80' },
          { spend: '200', off: '20' },
        ],
      },
      budgetAmount: '1000',
    });
    expect(c.action).toMatchObject({
      thresholds: [
        { spend: '200.00', off: '20.00' },
        { spend: '500.00', off: '80.00' },
      ],
    });

    // 268 + 2 × 89 = 446: 满200减20. 20 × 268/446 = 12.0179 → 12.01 + the fen left over (largest remainder) = 12.02;
    // 20 × 178/446 = 7.9821 → 7.98. Next threshold: 500 − 446 = 54.
    const lines = [
      { sku: 'MB-001', quantity: 1, unitPrice: '268.00' },
      { sku: 'SN-001', quantity: 2, unitPrice: '89.00' },
    ];
    const quote = await preview(lines);
    expect(quote.total).toBe('426.00');
    expect(quote.adjustments).toEqual([
      {
        source: 'campaigns',
        sourceId: c.id,
        label: '满200减20',
        amount: '20.00',
        lines: [
          { lineNo: 1, amount: '12.02' },
          { lineNo: 2, amount: '7.98' },
        ],
      },
    ]);
    expect(quote.campaignHints).toEqual([
      { campaignId: c.id, missing: '54.00', label: '满500减80', message: '再买 ¥54.00 可享满500减80' },
    ]);
    const en = await preview(lines, {}, 'en');
    expect(en.adjustments[0].label).toBe('¥20 off ¥200');
    expect(en.campaignHints[0].message).toBe('Buy ¥54.00 more for ¥80 off ¥500');

    const first = await record(lines);
    // 268 + 238 = 506: 满500减80. 80 × 268/506 = 42.3715 → 42.37; 80 × 238/506 = 37.6284 → 37.62 + 1 fen = 37.63.
    const second = await record([
      { sku: 'MB-001', quantity: 1, unitPrice: '268.00' },
      { sku: 'MB-002', quantity: 1, unitPrice: '238.00' },
    ]);
    expect(second.adjustments[0]).toMatchObject({
      label: '满500减80',
      amount: '80.00',
      lines: [
        { lineNo: 1, amount: '42.37' },
        { lineNo: 2, amount: '37.63' },
      ],
    });
    expect(second.total).toBe('426.00');
    const read = async () =>
      (await t.as('OWNER').ok(`query($id: ID!) { campaign(id: $id) { usedAmount usedRedemptions } }`, { id: c.id }))
        .campaign;
    expect(await read()).toEqual({ usedAmount: '100.00', usedRedemptions: 2 });

    // A partial refund: one of the two SN-001 units. The line paid 178 − 7.98 = 170.02, half of it 85.01;
    // the campaign's 7.98 on the line falls half on the refunded unit: 3.99 back to the budget.
    const REFUND = `mutation($saleId: ID!, $x: String!, $lines: [RefundLineInput!]) {
      refundSale(saleId: $saleId, externalId: $x, lines: $lines, reason: "退货") { __typename
        ... on RefundSalePayload { refund { total sale { status } } } ... on UserError { errorCode message } } }`;
    const partial = await t
      .as('OWNER')
      .ok(REFUND, { saleId: first.id, x: uniqueId('R'), lines: [{ lineNo: 2, quantity: 1 }] });
    expect(partial.refundSale.refund.total).toBe('85.01');
    expect(await read()).toEqual({ usedAmount: '96.01', usedRedemptions: 2 });
    // The rest: 268 − 12.02 = 255.98 and the other SN-001 unit, 85.01: 340.99; the sale is wholly refunded,
    // its redemption given back (12.02 + 3.99 more to the money budget).
    const rest = await t.as('OWNER').ok(REFUND, { saleId: first.id, x: uniqueId('R') });
    expect(rest.refundSale.refund.total).toBe('340.99');
    expect(rest.refundSale.refund.sale.status).toBe('REFUNDED');
    expect(await read()).toEqual({ usedAmount: '80.00', usedRedemptions: 1 });
    await end(t, c.id);
  });

  it('每满300减50 with a cap, and the hint to the next step', async () => {
    const c = await create(t, {
      name: '每满300减50',
      action: { type: 'AMOUNT_OFF_EVERY', every: '300', off: '50', maxOff: '100' },
    });
    // 3 × 90 = 270: nothing yet, 30 more for the first step.
    const small = await preview([{ sku: 'SN-001', quantity: 3, unitPrice: '90.00' }]);
    expect(small.adjustments).toEqual([]);
    expect(small.campaignHints.map((h: { message: string }) => h.message)).toEqual(['再买 ¥30.00 可享每满300减50']);
    // 2 × 268 = 536: one step, 50 off; 64 more for the second.
    const one = await preview([{ sku: 'MB-001', quantity: 2, unitPrice: '268.00' }]);
    expect(one.adjustments.map((a: { amount: string }) => a.amount)).toEqual(['50.00']);
    expect(one.campaignHints[0].missing).toBe('64.00');
    // 4 × 268 = 1072: three steps would be 150, capped at 100; no hint once the cap is reached.
    const capped = await record([{ sku: 'MB-001', quantity: 4, unitPrice: '268.00' }]);
    expect(capped.adjustments).toMatchObject([{ label: '每满300减50', amount: '100.00' }]);
    expect(capped.total).toBe('972.00');
    await end(t, c.id);
  });

  it('9折 on the order, 95折 on a category line by line', async () => {
    const order = await create(t, { name: '全场9折', action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' } });
    // 3 × 19.90 = 59.70 and 6.50: 66.20 × 10 % = 6.62, prorated 5.97 and 0.65.
    const a = await record([
      { sku: 'SN-003', quantity: 3, unitPrice: '19.90' },
      { sku: 'SN-004', quantity: 1, unitPrice: '6.50' },
    ]);
    expect(a.adjustments).toMatchObject([
      {
        label: '9折',
        amount: '6.62',
        lines: [
          { lineNo: 1, amount: '5.97' },
          { lineNo: 2, amount: '0.65' },
        ],
      },
    ]);
    expect(a.total).toBe('59.58');
    await end(t, order.id);

    const lines = await create(t, {
      name: '零食95折',
      conditions: { categories: ['零食'] },
      action: { type: 'PERCENT_OFF_LINES', percentOff: '5' },
    });
    // Only the 零食 line: 35.90 × 5 % = 1.795 → 1.80 (half up); the drink pays 5.00.
    const b = await record([
      { sku: 'SN-002', quantity: 1, unitPrice: '35.90' },
      { sku: 'DR-003', quantity: 1, unitPrice: '5.00' },
    ]);
    expect(b.adjustments).toMatchObject([{ label: '95折', amount: '1.80', lines: [{ lineNo: 1, amount: '1.80' }] }]);
    expect(b.total).toBe('39.10');
    // Without a 零食 line the category campaign does not apply.
    expect(campaignAdjustments(await preview([{ sku: 'DR-003', quantity: 1, unitPrice: '5.00' }]))).toEqual([]);
    await end(t, lines.id);
  });

  it('第二件半价 on a category, and 买2送1 the cheapest unit free', async () => {
    const half = await create(t, {
      name: '饮料第二件半价',
      conditions: { categories: ['饮料'] },
      action: { type: 'NTH_UNIT_PERCENT_OFF', nth: 2, percentOff: '50' },
    });
    // DR-005 × 3 at 65.00: one second unit at half, 32.50; DR-002 × 2 at 5.50: 2.75; 零食 untouched.
    const a = await record([
      { sku: 'DR-005', quantity: 3, unitPrice: '65.00' },
      { sku: 'DR-002', quantity: 2, unitPrice: '5.50' },
      { sku: 'SN-004', quantity: 2, unitPrice: '6.50' },
    ]);
    expect(a.adjustments).toMatchObject([
      {
        label: '第二件半价',
        amount: '35.25',
        lines: [
          { lineNo: 1, amount: '32.50' },
          { lineNo: 2, amount: '2.75' },
        ],
      },
    ]);
    expect(a.total).toBe(String((195 + 11 + 13 - 35.25).toFixed(2)));
    await end(t, half.id);

    const bogo = await create(t, {
      name: '日用买2送1',
      conditions: { skus: ['DH-004', 'DH-005'] },
      action: { type: 'BUY_X_GET_Y', buy: 2, get: 1 },
    });
    // Four units (29.90 × 2, 19.90 × 2): one group of three, its cheapest unit (19.90, line 2) free.
    const b = await record([
      { sku: 'DH-004', quantity: 2, unitPrice: '29.90' },
      { sku: 'DH-005', quantity: 2, unitPrice: '19.90' },
    ]);
    expect(b.adjustments).toMatchObject([
      { label: '买2送1', amount: '19.90', lines: [{ lineNo: 2, amount: '19.90' }] },
    ]);
    expect(b.total).toBe('79.70');
    await end(t, bogo.id);
  });

  it('套餐价: each complete set at the bundle price, spread over its units to the fen', async () => {
    const c = await create(t, {
      name: '坚果配气泡水套餐',
      action: {
        type: 'BUNDLE_PRICE',
        bundle: [
          { sku: 'SN-001', quantity: 1 },
          { sku: 'DR-002', quantity: 2 },
        ],
        price: '90',
      },
    });
    expect(c.action).toMatchObject({ type: 'BUNDLE_PRICE' });
    // Two 坚果 and three 气泡水 make one set (the second 坚果 lacks two drinks): 89 + 2 × 5.50 = 100.00 for ¥90,
    // 10.00 off spread by value: 10 × 89/100 = 8.90 on the 坚果 line, 10 × 11/100 = 1.10 on the drinks.
    const sale = await record([
      { sku: 'SN-001', quantity: 2, unitPrice: '89.00' },
      { sku: 'DR-002', quantity: 3, unitPrice: '5.50' },
    ]);
    expect(campaignAdjustments(sale)).toMatchObject([
      {
        label: '套餐价¥90',
        amount: '10.00',
        lines: [
          { lineNo: 1, amount: '8.90' },
          { lineNo: 2, amount: '1.10' },
        ],
      },
    ]);
    expect(sale.total).toBe('184.50'); // 178 + 16.50 − 10
    // Without a whole set, nothing; a set worth less than the price gives nothing either.
    expect(campaignAdjustments(await preview([{ sku: 'DR-002', quantity: 2, unitPrice: '5.50' }]))).toEqual([]);
    expect(
      campaignAdjustments(
        await preview([
          { sku: 'SN-001', quantity: 1, unitPrice: '70.00' },
          { sku: 'DR-002', quantity: 2, unitPrice: '5.00' },
        ]),
      ),
    ).toEqual([]);
    const refused = await t.as('OWNER').ok(CREATE, {
      input: { name: '套餐', action: { type: 'BUNDLE_PRICE', bundle: [{ sku: 'NO-SUCH', quantity: 2 }], price: '9' } },
    });
    expect(refused.createCampaign).toMatchObject({
      errorCode: 'CAMPAIGN_UNKNOWN_SKU',
      field: ['input', 'action', 'bundle', '0', 'sku'],
    });
    await end(t, c.id);
  });

  it('赠品: the gift the till scans is free when the rest of the basket qualifies, and its stock is taken', async () => {
    const c = await create(t, {
      name: '母婴满100赠大面筋',
      conditions: { categories: ['母婴'], minSpend: '100' },
      action: { type: 'GIFT', giftSku: 'SN-004' },
    });
    const before = await onHand(t, store, 'SN-004');
    // 268 of 母婴 qualifies; one of the two 大面筋 (6.50) is the gift.
    const sale = await record([
      { sku: 'MB-001', quantity: 1, unitPrice: '268.00' },
      { sku: 'SN-004', quantity: 2, unitPrice: '6.50' },
    ]);
    expect(campaignAdjustments(sale)).toMatchObject([
      { label: '赠品：卫龙大面筋 106g', amount: '6.50', lines: [{ lineNo: 2, amount: '6.50' }] },
    ]);
    expect(sale.total).toBe('274.50');
    expect(await onHand(t, store, 'SN-004')).toBe(before - 2);
    // The gift's own line never counts toward the condition: 40 of 母婴 and 20 大面筋 do not make 100.
    expect(
      campaignAdjustments(
        await preview([
          { sku: 'MB-005', quantity: 1, unitPrice: '40.00' },
          { sku: 'SN-004', quantity: 3, unitPrice: '6.50' },
        ]),
      ),
    ).toEqual([]);
    await end(t, c.id);
  });

  it('赠品 not scanned: the quote says to scan it, or that the store has none left', async () => {
    const HINTS = `mutation($input: PreviewSaleInput!) { previewSale(input: $input) { ... on SaleQuote {
      adjustments { label amount } campaignHints { kind missing label giftSku giftQuantity message } } } }`;
    const quote = async (lines: Line[], locale?: string) =>
      (await t.ok(HINTS, { input: { storeId: store, lines } }, { apiKey: t.posKey, locale })).previewSale;
    const gift = await create(t, {
      name: '母婴满100赠大面筋',
      conditions: { categories: ['母婴'], minSpend: '100' },
      action: { type: 'GIFT', giftSku: 'SN-004', giftQuantity: 2 },
    });
    // 268 of 母婴 earns two 大面筋; none scanned.
    const none = await quote([{ sku: 'MB-001', quantity: 1, unitPrice: '268.00' }]);
    expect(none.adjustments).toEqual([]);
    expect(none.campaignHints).toEqual([
      {
        kind: 'GIFT',
        missing: '0.00',
        label: '赠品：卫龙大面筋 106g',
        giftSku: 'SN-004',
        giftQuantity: 2,
        message: '可领取赠品：卫龙大面筋 106g ×2，请扫码加入',
      },
    ]);
    // One scanned: it is free, and the quote asks for the second.
    const one = await quote(
      [
        { sku: 'MB-001', quantity: 1, unitPrice: '268.00' },
        { sku: 'SN-004', quantity: 1, unitPrice: '6.50' },
      ],
      'en',
    );
    expect(one.adjustments).toEqual([{ label: 'Free gift: 卫龙大面筋 106g', amount: '6.50' }]);
    expect(one.campaignHints).toMatchObject([
      { kind: 'GIFT', giftQuantity: 1, message: 'Free gift: scan 1 × 卫龙大面筋 106g' },
    ]);
    // Under the threshold: the spend it lacks, no gift yet.
    expect((await quote([{ sku: 'MB-005', quantity: 1, unitPrice: '39.90' }])).campaignHints).toMatchObject([
      { kind: 'SPEND', missing: '60.10', giftSku: null, message: '再买 ¥60.10 可享赠品：卫龙大面筋 106g' },
    ]);
    await end(t, gift.id);

    // A gift the store has none of: the till is told so.
    const left = await onHand(t, store, 'DH-001');
    if (left > 0)
      await t.as('OWNER').ok(
        `mutation($s: ID!, $lines: [StockLineInput!]!) {
           adjustStock(storeId: $s, type: ADJUSTMENT, reason: "破损", lines: $lines) { __typename } }`,
        { s: store, lines: [{ sku: 'DH-001', quantity: -left }] },
      );
    expect(await onHand(t, store, 'DH-001')).toBe(0);
    const gone = await create(t, {
      name: '满100赠抽纸',
      conditions: { minSpend: '100' },
      action: { type: 'GIFT', giftSku: 'DH-001' },
    });
    expect((await quote([{ sku: 'MB-001', quantity: 1, unitPrice: '268.00' }])).campaignHints).toEqual([
      {
        kind: 'GIFT_OUT_OF_STOCK',
        missing: '0.00',
        label: '赠品：维达超韧抽纸 3层130抽×24包',
        giftSku: 'DH-001',
        giftQuantity: 1,
        message: '赠品 维达超韧抽纸 3层130抽×24包 本店已无库存',
      },
    ]);
    await end(t, gone.id);
  });

  it('赠积分 and 双倍积分: points through the points plugin, each with its why, taken back on refunds', async () => {
    const rule = await t.as('OWNER').ok(
      `mutation { createPointsRule(input: { name: "基础 1 分/元", kind: BASE_RATE, pointsPerYuan: "1" }) {
         __typename ... on PointsRule { id } } }`,
    );
    expect(rule.createPointsRule.__typename).toBe('PointsRule');
    expect(
      (
        await t.as('OWNER').ok(CREATE, {
          input: { name: '坏倍数', action: { type: 'POINTS_MULTIPLIER', multiplier: '1' } },
        })
      ).createCampaign,
    ).toMatchObject({ errorCode: 'CAMPAIGN_INVALID', field: ['input', 'action', 'multiplier'] });
    const double = await create(t, {
      name: '母婴双倍积分',
      conditions: { categories: ['母婴'] },
      action: { type: 'POINTS_MULTIPLIER', multiplier: '2' },
    });
    const bonus = await create(t, {
      name: '满100赠50积分',
      conditions: { minSpend: '100' },
      action: { type: 'BONUS_POINTS', points: 50 },
    });
    expect(bonus.action).toMatchObject({ type: 'BONUS_POINTS' });
    const m = await newMember(t, '积分活动会员');
    const POINTS = `points { earned awards { reason points } lines { lineNo points contributions { rule points } } }`;
    const lines = [
      { sku: 'MB-001', quantity: 1, unitPrice: '268.00' },
      { sku: 'SN-003', quantity: 2, unitPrice: '10.00' },
    ];
    const input = { storeId: store, memberCode: m.memberCode, lines };
    const q = await t.ok(
      `mutation($input: PreviewSaleInput!) { previewSale(input: $input) { ... on SaleQuote { total ${POINTS} } } }`,
      { input },
      { apiKey: t.posKey },
    );
    // 288 paid: 288 by the rule; 母婴 doubled: +268 on line 1; 50 spread by what the lines paid:
    // 268/288 × 50 = 46.53 and 20/288 × 50 = 3.47, rounded down 46 + 3, the point left to the larger
    // remainder (line 1): 47 + 3. 288 + 268 + 50 = 606.
    const expected = {
      earned: 606,
      awards: [
        { reason: '双倍积分', points: 268 },
        { reason: '赠50积分', points: 50 },
      ],
      lines: [
        {
          lineNo: 1,
          points: 583,
          contributions: [
            { rule: '基础 1 分/元', points: 268 },
            { rule: '双倍积分', points: 268 },
            { rule: '赠50积分', points: 47 },
          ],
        },
        {
          lineNo: 2,
          points: 23,
          contributions: [
            { rule: '基础 1 分/元', points: 20 },
            { rule: '赠50积分', points: 3 },
          ],
        },
      ],
    };
    expect(q.previewSale.points).toEqual(expected);
    const r = await t.ok(
      `mutation($input: RecordSaleInput!) { recordSale(input: $input) { __typename
         ... on RecordSalePayload { sale { id total ${POINTS} } } ... on UserError { errorCode message } } }`,
      { input: { ...input, externalId: uniqueId('PT'), payments: [{ method: 'CASH', amount: '288.00' }] } },
      { apiKey: t.posKey },
    );
    const sale = r.recordSale.sale;
    expect(sale.total).toBe('288.00');
    expect(sale.points).toEqual(expected); // preview = record
    const LEDGER = `query($c: ID!) { pointsLedger(customerId: $c, first: 20) { edges { node { kind points why } } } }`;
    const ledger = async () =>
      (await t.as('OWNER').ok(LEDGER, { c: m.customerId })).pointsLedger.edges.map((e: { node: unknown }) => e.node);
    expect(await ledger()).toEqual([
      { kind: 'EARN', points: 50, why: '赠50积分' },
      { kind: 'EARN', points: 268, why: '双倍积分' },
      { kind: 'EARN', points: 288, why: '基础 1 分/元' },
    ]);
    const used = await t.as('OWNER').ok(`query($id: ID!) { campaign(id: $id) { results { redemptions } } }`, {
      id: bonus.id,
    });
    expect(used.campaign.results.redemptions).toBe(1);

    // One of the two 雪饼 back: half of line 2's points of each lot, rounded down: 10 of the rule's, 1 of the
    // bonus (the multiplier gave line 2 nothing).
    const part = await t.as('OWNER').ok(REFUND_SALE, {
      saleId: sale.id,
      externalId: uniqueId('R'),
      lines: [{ lineNo: 2, quantity: 1 }],
    });
    expect(part.refundSale.__typename).toBe('RefundSalePayload');
    expect((await ledger()).slice(0, 2)).toEqual([
      { kind: 'REVERSE', points: -1, why: '退货扣回积分（赠50积分）' },
      { kind: 'REVERSE', points: -10, why: '退货扣回积分' },
    ]);
    // The rest: every point the sale earned is taken back, each lot to its last point.
    const rest = await t.as('OWNER').ok(REFUND_SALE, { saleId: sale.id, externalId: uniqueId('R') });
    expect(rest.refundSale.refund.sale.status).toBe('REFUNDED');
    const { account, entries } = await checkLedger(t, m.customerId);
    expect(account.balance).toBe(0);
    expect(entries.filter((e) => e.kind === 'REVERSE').reduce((s, e) => s + e.points, 0)).toBe(-606);
    const after = await t
      .as('OWNER')
      .ok(`query($id: ID!) { node(id: $id) { ... on Sale { points { earned reversed } } } }`, {
        id: sale.id,
      });
    expect(after.node.points).toEqual({ earned: 606, reversed: 606 });

    // A walk-in sale gets neither (points go to members), and is not counted as a use.
    const walkIn = await preview(lines);
    expect(walkIn.total).toBe('288.00');
    const again = await t.as('OWNER').ok(`query($id: ID!) { campaign(id: $id) { results { redemptions } } }`, {
      id: bonus.id,
    });
    expect(again.campaign.results.redemptions).toBe(0); // the one sale was refunded in full
    await end(t, double.id);
    await end(t, bonus.id);
  });

  it('满额返券: a qualifying sale issues its buyer a code; a whole refund ends it if unused', async () => {
    const ISSUE = `mutation($input: IssueCouponsInput!) { issueCoupons(input: $input) { __typename
      ... on CouponBatch { id count validDays csvPath } ... on UserError { errorCode message field } } }`;
    const next = await create(t, {
      name: '下次满50减10',
      requiresCoupon: true,
      action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '50', off: '10' }] },
    });
    const batch = (
      await t.as('OWNER').ok(ISSUE, {
        input: { campaignId: next.id, count: 0, forRewards: true, prefix: 'NEXT', validDays: 30 },
      })
    ).issueCoupons;
    expect(batch).toMatchObject({ __typename: 'CouponBatch', count: 0, validDays: 30 });
    const reward = await create(t, {
      name: '满100返券',
      conditions: { minSpend: '100' },
      action: { type: 'ISSUE_COUPON', couponBatchId: batch.id },
    });
    expect(
      (
        await t.as('OWNER').ok(CREATE, {
          input: { name: 'x', requiresCoupon: true, action: { type: 'ISSUE_COUPON', couponBatchId: batch.id } },
        })
      ).createCampaign,
    ).toMatchObject({ errorCode: 'CAMPAIGN_INVALID', field: ['input', 'requiresCoupon'] });

    const m = await newMember(t, '返券会员');
    const wallet = async () =>
      (
        await t
          .as('OWNER')
          .ok(`query($id: ID!) { customer(id: $id) { coupons { code status validUntil } } }`, { id: m.customerId })
      ).customer.coupons as { code: string; status: string; validUntil: string }[];
    const big = [{ sku: 'MB-001', quantity: 1, unitPrice: '268.00' }];
    const occurredAt = new Date(Date.now() - 60_000).toISOString();
    const first = await record(big, { memberCode: m.memberCode, occurredAt });
    expect(campaignAdjustments(first)).toEqual([]); // no discount now
    const [issued] = await wallet();
    expect(issued!.code).toMatch(/^NEXT[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$/);
    expect(issued).toMatchObject({ status: 'AVAILABLE' });
    expect(new Date(issued!.validUntil).getTime()).toBe(new Date(occurredAt).getTime() + 30 * 86_400_000);
    // The customer sees it in their own wallet on their storefront (docs/storefront.md).
    const key = (
      await t.as('OWNER').ok(
        `mutation($s: [ID!]!) { createApiKey(name: "小程序", role: MANAGER, storeIds: $s) {
           ... on CreateApiKeyPayload { key } } }`,
        { s: [store] },
      )
    ).createApiKey.key;
    const phone = (await t.as('OWNER').ok(`query($id: ID!) { customer(id: $id) { phone } }`, { id: m.customerId }))
      .customer.phone;
    const token = (
      await t.ok(
        `mutation($p: String!) { issueCustomerToken(input: { phone: $p }) { ... on CustomerToken { token } } }`,
        { p: phone },
        { apiKey: key },
      )
    ).issueCustomerToken.token;
    const mine = await t.ok(`{ myAccount { coupons { code title usesLeft status } } }`, {}, { token });
    expect(mine.myAccount.coupons).toEqual([
      { code: issued!.code, title: '下次满50减10', usesLeft: 1, status: 'AVAILABLE' },
    ]);
    // A walk-in gets none (no one to give it to); under 100 none either.
    await record(big);
    await record([{ sku: 'SN-003', quantity: 1, unitPrice: '19.90' }], { memberCode: m.memberCode });
    expect(await wallet()).toHaveLength(1);
    const second = await record(big, { memberCode: m.memberCode });
    const codes = (await wallet()).map((k) => k.code);
    expect(codes).toHaveLength(2);
    // The first code is used; then both issuing sales are refunded in full: the used one stays used, the unused
    // one ends.
    await record([{ sku: 'SN-001', quantity: 1, unitPrice: '89.00' }], {
      memberCode: m.memberCode,
      couponCodes: [issued!.code],
    });
    const REFUND = `mutation($saleId: ID!, $x: String!) { refundSale(saleId: $saleId, externalId: $x, reason: "退货") {
      __typename } }`;
    for (const s of [first, second]) await t.as('OWNER').ok(REFUND, { saleId: s.id, x: uniqueId('R') });
    const after = Object.fromEntries((await wallet()).map((k) => [k.code, k.status]));
    const other = codes.find((k) => k !== issued!.code)!;
    expect(after).toEqual({ [issued!.code]: 'USED', [other]: 'EXPIRED' });

    // Both are nodes: a campaign for whoever may read campaigns, a batch (bearer codes) only for who may run it.
    const NODE = `query($id: ID!) { node(id: $id) { __typename id
      ... on CouponBatch { coupons { edges { node { code } } } } } }`;
    expect((await t.as('CASHIER').ok(NODE, { id: next.id })).node).toEqual({ __typename: 'Campaign', id: next.id });
    const owners = await t.as('OWNER').ok(NODE, { id: batch.id });
    expect(owners.node.coupons.edges.map((e: { node: { code: string } }) => e.node.code).sort()).toEqual(
      [...codes].sort(),
    );
    for (const role of ['CASHIER', 'MANAGER'] as const) {
      const r = await t.as(role).gql(NODE, { id: batch.id });
      expect(r.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }

    // The codes as CSV for printing: owners only, audited.
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    const get = async (role: 'OWNER' | 'MANAGER') =>
      fetch(`${base}${batch.csvPath}`, { headers: { authorization: `Bearer ${await t.token(role)}` } });
    expect((await get('MANAGER')).status).toBe(403);
    const res = await get('OWNER');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await res.text();
    const rows = text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(rows[0]).toBe('券码,活动,可用次数,已用次数,生效时间,失效时间');
    expect(
      rows
        .slice(1)
        .map((r) => r.split(',')[0])
        .sort(),
    ).toEqual(codes.map((k) => `"=""${k}"""`).sort());
    const [audited] = await t.db.database.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "AuditEntry" WHERE operation = 'campaign.exportCoupons'`;
    expect(audited!.n).toBe(1);
    await end(t, reward.id);
    await end(t, next.id);
  });

  describe('conditions', () => {
    const basket = [{ sku: 'MB-005', quantity: 1, unitPrice: '40.00' }];
    /** Whether a 9折 with these conditions applies to the basket (4.00 off 40.00). */
    const applies = async (id: string, extra: Record<string, unknown> = {}, lines: Line[] = basket) => {
      const quote = await preview(lines, extra);
      const mine = quote.adjustments.filter((a: { sourceId: string }) => a.sourceId === id);
      return mine.length ? mine[0].amount : null;
    };
    const with9zhe = (conditions: Record<string, unknown>, more: Record<string, unknown> = {}) =>
      create(t, { name: '条件测试', conditions, action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' }, ...more });

    it('stores, weekdays and a time window in the store’s time zone, 会员日, the date range', async () => {
      const c = await with9zhe({ storeIds: [other] });
      expect(await applies(c.id)).toBeNull();
      expect(await applies(c.id, { storeId: other })).toBe('4.00');
      await end(t, c.id);

      // 2026-11-25 was a Wednesday; 02:30Z is 10:30 in Beijing, 04:30Z is 12:30.
      const wed = await with9zhe({ weekdays: [3], timeFrom: '10:00', timeTo: '12:00' });
      expect(await applies(wed.id, { occurredAt: '2026-11-25T02:30:00Z' })).toBe('4.00');
      expect(await applies(wed.id, { occurredAt: '2026-11-25T04:30:00Z' })).toBeNull();
      expect(await applies(wed.id, { occurredAt: '2026-11-26T02:30:00Z' })).toBeNull();
      // 23:30 UTC on Tuesday the 24th is 07:30 on Wednesday in Beijing: before the window.
      expect(await applies(wed.id, { occurredAt: '2026-11-24T23:30:00Z' })).toBeNull();
      await end(t, wed.id);

      const night = await with9zhe({ timeFrom: '22:00', timeTo: '02:00' });
      expect(await applies(night.id, { occurredAt: '2026-11-25T17:30:00Z' })).toBe('4.00'); // 01:30 Beijing
      expect(await applies(night.id, { occurredAt: '2026-11-25T19:30:00Z' })).toBeNull(); // 03:30
      await end(t, night.id);

      await t
        .as('OWNER')
        .ok(`mutation($s: ID!) { setStoreCalendar(storeId: $s, input: { memberWeekdays: [3] }) { __typename } }`, {
          s: store,
        });
      const memberDay = await with9zhe({ memberDay: true });
      expect(await applies(memberDay.id, { occurredAt: '2026-11-25T02:30:00Z' })).toBe('4.00');
      expect(await applies(memberDay.id, { occurredAt: '2026-11-27T02:30:00Z' })).toBeNull();
      await end(t, memberDay.id);

      const later = await with9zhe({}, { startsAt: '2026-11-26T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' });
      expect(await applies(later.id, { occurredAt: '2026-11-25T02:30:00Z' })).toBeNull();
      expect(await applies(later.id, { occurredAt: '2026-11-27T02:30:00Z' })).toBe('4.00');
      await end(t, later.id);
    });

    it('SKUs with a quantity, a minimum spend after earlier adjustments', async () => {
      const c = await with9zhe({ skus: ['MB-005'], minQuantity: 2 });
      expect(await applies(c.id)).toBeNull();
      expect(await applies(c.id, {}, [{ sku: 'MB-005', quantity: 2, unitPrice: '40.00' }])).toBe('8.00');
      await end(t, c.id);

      // The till's own 10.00 line discount comes first: 40 − 10 = 30 is under the 35 minimum.
      const min = await with9zhe({ minSpend: '35' });
      expect(await applies(min.id)).toBe('4.00');
      expect(
        await applies(min.id, {}, [{ sku: 'MB-005', quantity: 1, unitPrice: '40.00', discount: '10.00' } as Line]),
      ).toBeNull();
      const hint = await preview([{ sku: 'MB-005', quantity: 1, unitPrice: '30.00' }]);
      expect(hint.campaignHints).toMatchObject([{ missing: '5.00', message: '再买 ¥5.00 可享9折' }]);
      await end(t, min.id);
    });

    it('birthday month, first purchase, a segment, a member tier', async () => {
      const born = await newMember(t, '十一月寿星', { birthday: '1990-11-03', tags: ['活动VIP'] });
      const plain = await newMember(t, '普通顾客');
      const birthday = await with9zhe({ birthdayMonth: true });
      const nov = { occurredAt: '2026-11-25T02:30:00Z' };
      expect(await applies(birthday.id, { memberCode: born.memberCode, ...nov })).toBe('4.00');
      expect(await applies(birthday.id, { memberCode: plain.memberCode, ...nov })).toBeNull();
      expect(await applies(birthday.id, nov)).toBeNull();
      await end(t, birthday.id);

      const seg = await t.as('OWNER').ok(
        `mutation { createSegment(input: { name: "活动VIP", conditions: { tagsAny: ["活动VIP"] } }) {
           __typename ... on Segment { id } } }`,
      );
      const inSegment = await with9zhe({ segmentId: seg.createSegment.id });
      expect(await applies(inSegment.id, { memberCode: born.memberCode })).toBe('4.00');
      expect(await applies(inSegment.id, { memberCode: plain.memberCode })).toBeNull();
      expect(await applies(inSegment.id)).toBeNull();
      await end(t, inSegment.id);

      const first = await with9zhe({ firstPurchase: true });
      expect(await applies(first.id, { memberCode: plain.memberCode })).toBe('4.00');
      await record(basket, { memberCode: plain.memberCode });
      expect(await applies(first.id, { memberCode: plain.memberCode })).toBeNull();
      await end(t, first.id);

      const tier = await t.as('OWNER').ok(
        `mutation { createTier(input: { code: "NORMAL", name: "普通会员", rank: 0, discountPercent: "0" }) {
           __typename } }`,
      );
      expect(tier.createTier.__typename).toBe('Tier');
      const members = await with9zhe({ tierCodes: ['NORMAL'] });
      expect(await applies(members.id, { memberCode: plain.memberCode })).toBe('4.00');
      expect(await applies(members.id)).toBeNull();
      await end(t, members.id);
    });
  });

  describe('stacking', () => {
    const lines = [{ sku: 'MB-005', quantity: 3, unitPrice: '39.90' }]; // 119.70

    it('in priority order, each on what the one before left; an exclusive one alone', async () => {
      const a = await create(t, {
        name: '满100减10',
        priority: 10,
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '100', off: '10' }] },
      });
      const b = await create(t, { name: '9折', priority: 5, action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' } });
      // 119.70 − 10 = 109.70; then 10 % of 109.70 = 10.97. Total 98.73.
      const both = await record(lines);
      expect(
        campaignAdjustments(both).map((x: { sourceId: string; amount: string }) => [x.sourceId, x.amount]),
      ).toEqual([
        [a.id, '10.00'],
        [b.id, '10.97'],
      ]);
      expect(both.total).toBe('98.73');

      // An exclusive 8折 tried first (priority 20) applies alone: 119.70 × 20 % = 23.94.
      const c = await create(t, {
        name: '独享8折',
        priority: 20,
        exclusive: true,
        action: { type: 'PERCENT_OFF_ORDER', percentOff: '20' },
      });
      const alone = await record(lines);
      expect(campaignAdjustments(alone).map((x: { sourceId: string }) => x.sourceId)).toEqual([c.id]);
      expect(alone.total).toBe('95.76');
      // An exclusive one tried after others have applied does not apply.
      await t.as('OWNER').ok(STATUS('pauseCampaign'), { id: c.id });
      const late = await create(t, {
        name: '独享7折',
        priority: 1,
        exclusive: true,
        action: { type: 'PERCENT_OFF_ORDER', percentOff: '30' },
      });
      const again = await preview(lines);
      expect(campaignAdjustments(again).map((x: { sourceId: string }) => x.sourceId)).toEqual([a.id, b.id]);
      for (const x of [a, b, c, late]) await end(t, x.id);
    });

    it('pauses, resumes and ends; an ended campaign is final', async () => {
      const c = await create(t, { name: '9折', action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' } });
      const owner = t.as('OWNER');
      expect((await owner.ok(STATUS('pauseCampaign'), { id: c.id })).pauseCampaign.status).toBe('PAUSED');
      expect(campaignAdjustments(await preview(lines))).toEqual([]);
      expect((await owner.ok(STATUS('resumeCampaign'), { id: c.id })).resumeCampaign.status).toBe('ACTIVE');
      expect(campaignAdjustments(await preview(lines))).toHaveLength(1);
      await end(t, c.id);
      expect(campaignAdjustments(await preview(lines))).toEqual([]);
      expect((await owner.ok(STATUS('resumeCampaign'), { id: c.id })).resumeCampaign).toMatchObject({
        errorCode: 'CAMPAIGN_ENDED',
      });
      const statuses = await owner.ok(`{ campaigns(status: [ACTIVE, PAUSED]) { edges { node { id } } } }`);
      expect(statuses.campaigns.edges).toEqual([]);
    });

    it('a campaign that does not combine with the member discount skips a sale that got it', async () => {
      const member = await newMember(t, '金卡会员');
      await t.as('OWNER').ok(`mutation { updateTier(code: "NORMAL", input: { discountPercent: "5" }) { __typename } }`);
      const solo = await create(t, {
        name: '非会员9折',
        combinesWithTier: false,
        action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' },
      });
      const withTier = await create(t, {
        name: '满100减10',
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '100', off: '10' }] },
      });
      // The member: 5 % of 119.70 = 5.985 → 5.99 (tiers), then 满100减10 on 113.71; the 9折 is skipped.
      const m = await record(lines, { memberCode: member.memberCode });
      expect(m.adjustments.map((x: { source: string; amount: string }) => [x.source, x.amount])).toEqual([
        ['tiers', '5.99'],
        ['campaigns', '10.00'],
      ]);
      expect(m.total).toBe('103.71');
      // Without a member both apply, 9折 first (older): 11.97, then 10.00 off 107.73.
      const anon = await record(lines);
      expect(anon.adjustments.map((x: { sourceId: string }) => x.sourceId)).toEqual([solo.id, withTier.id]);
      expect(anon.total).toBe('97.73');
      await end(t, solo.id);
      await end(t, withTier.id);
    });
  });

  describe('limits', () => {
    const lines = [{ sku: 'SN-003', quantity: 1, unitPrice: '20.00' }];
    const off = async (extra: Record<string, unknown> = {}) =>
      campaignAdjustments(await record(lines, extra)).map((a: { amount: string }) => a.amount);

    it('per customer, per day, redemptions and money budgets', async () => {
      const m = await newMember(t, '限领一次');
      const perCustomer = await create(t, {
        name: '每人一次减5',
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '5' }] },
        perCustomerLimit: 1,
      });
      expect(await off()).toEqual([]); // needs a customer
      expect(await off({ memberCode: m.memberCode })).toEqual(['5.00']);
      expect(await off({ memberCode: m.memberCode })).toEqual([]);
      await end(t, perCustomer.id);

      const perDay = await create(t, {
        name: '每日前两单',
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '3' }] },
        perDayLimit: 2,
      });
      const day = { occurredAt: '2026-11-20T03:00:00Z' };
      expect(await off(day)).toEqual(['3.00']);
      expect(await off(day)).toEqual(['3.00']);
      expect(await off(day)).toEqual([]);
      expect(await off({ occurredAt: '2026-11-21T03:00:00Z' })).toEqual(['3.00']);
      await end(t, perDay.id);

      const money = await create(t, {
        name: '预算10元',
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '4' }] },
        budgetAmount: '10',
      });
      // 4 + 4 = 8; a third 4 would make 12 > 10: the whole discount must fit.
      expect([...(await off()), ...(await off()), ...(await off())]).toEqual(['4.00', '4.00']);
      await end(t, money.id);

      const uses = await create(t, {
        name: '限量1单',
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '2' }] },
        budgetRedemptions: 1,
      });
      expect([...(await off()), ...(await off())]).toEqual(['2.00']);
      await end(t, uses.id);
    });
  });
  describe('coupons', () => {
    const ISSUE = `mutation($input: IssueCouponsInput!) { issueCoupons(input: $input) { __typename
      ... on CouponBatch { id count maxUses validUntil
        coupons(first: 10) { edges { node { code status uses maxUses customerId } } } }
      ... on UserError { errorCode message field } } }`;
    const lines = [{ sku: 'SN-001', quantity: 1, unitPrice: '60.00' }];
    const quoteOf = async (codes: string[], extra: Record<string, unknown> = {}, l: Line[] = lines) =>
      (await t.ok(PREVIEW, { input: { storeId: store, lines: l, couponCodes: codes, ...extra } }, { apiKey: t.posKey }))
        .previewSale;
    const couponOf = async (code: string) => {
      const r = await t.db.database.prisma.$queryRaw<
        { uses: number }[]
      >`SELECT uses FROM "Coupon" WHERE code = ${code}`;
      return r[0]!.uses;
    };

    it('issues unguessable codes and redeems each once, with a typed error for every refusal', async () => {
      const c = await create(t, {
        name: '满50减10券',
        requiresCoupon: true,
        conditions: { minSpend: '50' },
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '50', off: '10' }] },
      });
      const issued = (
        await t.as('OWNER').ok(ISSUE, { input: { campaignId: c.id, count: 3, prefix: 'save', validDays: 30 } })
      ).issueCoupons;
      expect(issued).toMatchObject({ __typename: 'CouponBatch', count: 3, maxUses: 1 });
      const codes = issued.coupons.edges.map((e: { node: { code: string } }) => e.node.code);
      expect(new Set(codes).size).toBe(3);
      for (const code of codes) expect(code).toMatch(/^SAVE[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$/);
      const [code, second, third] = codes as [string, string, string];

      // Without a code the coupon campaign gives nothing; with one (as typed, lower case) 10 off 60.
      expect(campaignAdjustments(await preview(lines))).toEqual([]);
      const quote = await quoteOf([code.toLowerCase()]);
      expect(quote).toMatchObject({
        total: '50.00',
        adjustments: [{ sourceId: c.id, label: '满50减10', amount: '10.00' }],
      });
      const sale = await record(lines, { couponCodes: [code] });
      expect(sale.total).toBe('50.00');
      expect(await couponOf(code)).toBe(1);

      const refusal = async (codesGiven: string[], extra: Record<string, unknown> = {}, l: Line[] = lines) => {
        const q = await quoteOf(codesGiven, extra, l);
        const r = await t.ok(
          RECORD,
          {
            input: {
              storeId: store,
              externalId: uniqueId('CPN'),
              lines: l,
              couponCodes: codesGiven,
              payments: [{ method: 'CASH', amount: '50.00' }],
              ...extra,
            },
          },
          { apiKey: t.posKey },
        );
        expect(r.recordSale).toEqual(q); // recordSale refuses exactly as previewSale does
        return q;
      };
      expect(await refusal([code])).toEqual({
        __typename: 'InvalidStateError',
        errorCode: 'COUPON_USED',
        message: `券码 ${code} 已使用`,
        field: ['input', 'couponCodes', '0'],
      });
      expect(await refusal([second, 'NOPE'])).toMatchObject({
        errorCode: 'COUPON_UNKNOWN',
        message: '券码 NOPE 不存在',
        field: ['input', 'couponCodes', '1'],
      });
      // Under the minimum spend: not eligible, naming the condition.
      expect(await refusal([second], {}, [{ sku: 'SN-001', quantity: 1, unitPrice: '40.00' }])).toMatchObject({
        errorCode: 'COUPON_NOT_ELIGIBLE',
        message: `券码 ${second} 不满足使用条件（minSpend）`,
      });
      // Expired: its validity moved into the past.
      await t.db.database.prisma.$executeRaw`
        UPDATE "Coupon" SET "validUntil" = now() - interval '1 day' WHERE code = ${third}`;
      expect(await refusal([third])).toMatchObject({
        errorCode: 'COUPON_EXPIRED',
        field: ['input', 'couponCodes', '0'],
      });
      // A paused campaign's coupons are not eligible.
      await t.as('OWNER').ok(STATUS('pauseCampaign'), { id: c.id });
      expect(await refusal([second])).toMatchObject({
        errorCode: 'COUPON_NOT_ELIGIBLE',
        message: expect.stringContaining('status'),
      });
      await t.as('OWNER').ok(STATUS('resumeCampaign'), { id: c.id });
      // A sale the till priced takes no discount from here: its coupon would be used for nothing.
      expect(await refusal([second], { pricedBy: 'TILL' })).toMatchObject({
        errorCode: 'COUPON_NOT_ELIGIBLE',
        message: `券码 ${second} 不满足使用条件（pricedBy）`,
      });
      expect(await couponOf(second)).toBe(0);
      // An exclusive campaign tried first applies alone: the coupon's campaign is cut off.
      const exclusive = await create(t, {
        name: '独享95折',
        priority: 100,
        exclusive: true,
        action: { type: 'PERCENT_OFF_ORDER', percentOff: '5' },
      });
      expect(await refusal([second])).toMatchObject({
        errorCode: 'COUPON_NOT_ELIGIBLE',
        message: `券码 ${second} 不满足使用条件（exclusive）`,
      });
      await end(t, exclusive.id);

      // A whole refund gives a single-use coupon back; the partial one before it does not.
      const two = await record([{ sku: 'SN-001', quantity: 2, unitPrice: '60.00' }], { couponCodes: [second] });
      expect(two.total).toBe('110.00');
      const REFUND = `mutation($saleId: ID!, $x: String!, $lines: [RefundLineInput!]) {
        refundSale(saleId: $saleId, externalId: $x, lines: $lines, reason: "退货") { __typename } }`;
      await t.as('OWNER').ok(REFUND, { saleId: two.id, x: uniqueId('R'), lines: [{ lineNo: 1, quantity: 1 }] });
      expect(await couponOf(second)).toBe(1);
      await t.as('OWNER').ok(REFUND, { saleId: two.id, x: uniqueId('R') });
      expect(await couponOf(second)).toBe(0);
      expect((await quoteOf([second])).total).toBe('50.00');
      await end(t, c.id);
    });

    it('a coupon issued to a customer: only theirs, in their wallet', async () => {
      const m = await newMember(t, '券包会员');
      const c = await create(t, {
        name: '生日券',
        requiresCoupon: true,
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '30', off: '15' }] },
      });
      const issued = (
        await t
          .as('OWNER')
          .ok(ISSUE, { input: { campaignId: c.id, count: 1, customerId: m.customerId, validDays: 30 } })
      ).issueCoupons;
      const code = issued.coupons.edges[0].node.code as string;
      expect(await quoteOf([code])).toMatchObject({
        errorCode: 'COUPON_NOT_ELIGIBLE',
        message: expect.stringContaining('customer'),
      });
      // 60 − 3.00 (the member tier's 5 % since the stacking test) − 15 = 42.00.
      expect((await quoteOf([code], { memberCode: m.memberCode })).total).toBe('42.00');
      const wallet = await t
        .as('OWNER')
        .ok(`query($id: ID!) { customer(id: $id) { coupons { code status } } }`, { id: m.customerId });
      expect(wallet.customer.coupons).toEqual([{ code, status: 'AVAILABLE' }]);
      // A merge moves the wallet: the survivor holds the coupon, and only the survivor's sales may use it.
      const survivor = await newMember(t, '券包合并');
      const merged = await t
        .as('OWNER')
        .ok(`mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename } }`, {
          a: survivor.customerId,
          b: m.customerId,
        });
      expect(merged.mergeCustomers.__typename).toBe('Customer');
      const moved = await t
        .as('OWNER')
        .ok(`query($id: ID!) { customer(id: $id) { coupons { code } } }`, { id: survivor.customerId });
      expect(moved.customer.coupons).toEqual([{ code }]);
      expect((await quoteOf([code], { memberCode: survivor.memberCode })).total).toBe('42.00');
      // Issuing for a campaign that takes no coupon, or an impossible validity, is refused by field.
      const plain = await create(t, { name: '普通', action: { type: 'PERCENT_OFF_ORDER', percentOff: '1' } });
      expect((await t.as('OWNER').ok(ISSUE, { input: { campaignId: plain.id, count: 1 } })).issueCoupons).toMatchObject(
        { errorCode: 'COUPON_BATCH_INVALID', field: ['input', 'campaignId'] },
      );
      expect(
        (
          await t.as('OWNER').ok(ISSUE, {
            input: {
              campaignId: c.id,
              count: 1,
              validFrom: '2027-02-01T00:00:00Z',
              validUntil: '2027-01-01T00:00:00Z',
            },
          })
        ).issueCoupons,
      ).toMatchObject({ errorCode: 'COUPON_BATCH_INVALID', field: ['input', 'validUntil'] });
      await end(t, plain.id);
      await end(t, c.id);
    });
  });
});

describe('campaigns without the tiers plugin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ plugins: [campaignsPlugin()], seed: { customers: 2, sales: 0, days: 1 } });
  });
  afterAll(() => t?.close());

  it('refuses a tier condition, naming the field and the plugin', async () => {
    const r = await t.as('OWNER').ok(CREATE, {
      input: {
        name: '金卡专享',
        conditions: { tierCodes: ['GOLD'] },
        action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' },
      },
    });
    expect(r.createCampaign).toMatchObject({
      errorCode: 'CAMPAIGN_CONDITION_UNAVAILABLE',
      field: ['input', 'conditions', 'tierCodes'],
      message: '活动条件 conditions.tierCodes 需要安装 tiers 插件',
    });
  });

  it('refuses a points action without the points plugin, naming the field and the plugin', async () => {
    for (const action of [
      { type: 'BONUS_POINTS', points: 50 },
      { type: 'POINTS_MULTIPLIER', multiplier: '2' },
    ]) {
      const r = await t.as('OWNER').ok(CREATE, { input: { name: '积分活动', action } });
      expect(r.createCampaign).toMatchObject({
        __typename: 'InvalidInputError',
        errorCode: 'CAMPAIGN_ACTION_UNAVAILABLE',
        field: ['input', 'action', 'type'],
        message: '活动优惠 action.type 需要安装 points 插件',
      });
    }
  });
});

describe('the demo campaigns', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The demo at the size the API creates (src/demo/seed.ts): its 60 days of history hold birthday-month sales of
    // ¥100 or more on any date (8 to 23 customers over the dates of a year, worked out from the seed); the tests'
    // small demo may hold none.
    t = await startTestApp({
      plugins: [campaignsPlugin(), tiersPlugin({}), pointsPlugin({})],
      seed: { customers: 200, sales: 2000, days: 365 },
    });
  });
  afterAll(() => t?.close());

  it('run: a 满减, 饮料第二件半价, the members’ Wednesday 95折, a birthday coupon', async () => {
    await t.app.services.plugins.seedDemo();
    await t.app.services.plugins.seedDemo(); // once only
    const list = await t.as('OWNER').ok(`{ campaigns(status: [ACTIVE]) { edges { node { name requiresCoupon
      conditions { categories weekdays tierCodes birthdayMonth } action { type } } } } }`);
    const running = list.campaigns.edges.map((e: { node: { name: string } }) => e.node);
    expect(running.map((c: { name: string }) => c.name)).toEqual([
      '生日券 满100减20',
      '饮料第二件半价',
      '全场满200减20，满500减80',
      '会员周三95折',
    ]);
    expect(running[3].conditions).toMatchObject({
      weekdays: [3],
      tierCodes: ['REGULAR', 'SILVER', 'GOLD', 'DIAMOND'],
    });
    // The list is a Relay connection: two pages of two give the same four, in the same order.
    const PAGE = `query($after: String) { campaigns(status: [ACTIVE], first: 2, after: $after) {
      edges { node { name } } pageInfo { hasNextPage endCursor } } }`;
    const page1 = (await t.as('OWNER').ok(PAGE, { after: null })).campaigns;
    const page2 = (await t.as('OWNER').ok(PAGE, { after: page1.pageInfo.endCursor })).campaigns;
    expect([page1.pageInfo.hasNextPage, page2.pageInfo.hasNextPage]).toEqual([true, false]);
    expect([...page1.edges, ...page2.edges].map((e: { node: { name: string } }) => e.node.name)).toEqual(
      running.map((c: { name: string }) => c.name),
    );
    // Two 特仑苏 in the first store: the second at half, 32.50.
    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['DR-005']);
    const quote = await t.ok(
      PREVIEW,
      { input: { storeId: store, lines: [{ sku: 'DR-005', quantity: 2, unitPrice: '65.00' }] } },
      { apiKey: t.posKey },
    );
    expect(quote.previewSale.adjustments).toMatchObject([{ label: '第二件半价', amount: '32.50' }]);
    // Each customer born in a month since the campaigns started (60 days) holds one birthday coupon, valid
    // through that month; no one else holds one. This month's are still available unless used.
    const [held] = await t.db.database.prisma.$queryRaw<{ coupons: number; customers: number }[]>`
      SELECT count(*)::int AS coupons, count(DISTINCT "customerId")::int AS customers FROM "Coupon"`;
    expect(held!.coupons).toBe(held!.customers);
    const people = await t.as('OWNER').ok(`{ customers(first: 200) { edges { node { birthday
      coupons { code status validFrom validUntil } } } } }`);
    const monthOf = (d: Date) =>
      Number(new Intl.DateTimeFormat('en', { month: 'numeric', timeZone: 'Asia/Shanghai' }).format(d));
    const month = monthOf(new Date());
    const months = new Set([0, 20, 40, 60].map((days) => monthOf(new Date(Date.now() - days * 86_400_000))));
    type Held = { code: string; status: string; validFrom: string; validUntil: string };
    const nodes = people.customers.edges.map((e: { node: { birthday: string | null; coupons: Held[] } }) => e.node);
    for (const n of nodes) {
      const born = n.birthday ? Number(n.birthday.slice(5, 7)) : null;
      expect(n.coupons.length, n.birthday ?? 'no birthday').toBe(born && months.has(born) ? 1 : 0);
      const [k] = n.coupons;
      if (!k) continue;
      // Valid from the 1st of their birthday month (or the campaign's start) to the 1st of the next, Beijing time.
      expect(monthOf(new Date(k.validUntil)), n.birthday!).toBe((born! % 12) + 1);
      expect(new Date(k.validUntil).toISOString()).toMatch(/-\d\dT16:00:00\.000Z$/);
      expect(monthOf(new Date(k.validFrom))).toBe(born);
      if (born === month) expect(['AVAILABLE', 'USED']).toContain(k.status);
      else expect(['EXPIRED', 'USED']).toContain(k.status);
    }
  });

  it('have a history: the demo’s sales since they started carry their discounts, redemptions and results', async () => {
    const db = t.db.database.prisma;
    const count = async (query: ReturnType<typeof Prisma.sql>) =>
      (await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM (${query}) q`)[0]!.n;
    // Every sale still adds up: lines to the total, payments to the total, each line's discount to
    // its shares of the adjustments, a refund to the sale.
    expect(
      await count(Prisma.sql`SELECT 1 FROM "Sale" s
        WHERE s.total <> (SELECT sum(total) FROM "SaleLine" WHERE "saleId" = s.id)
           OR s.total <> (SELECT sum(amount) FROM "Payment" WHERE "saleId" = s.id)
           OR s."discountTotal" <> (SELECT sum(discount) FROM "SaleLine" WHERE "saleId" = s.id)
           OR (s.status = 'REFUNDED' AND (s."refundedTotal" <> s.total
               OR s.total <> (SELECT sum(total) FROM "Refund" WHERE "saleId" = s.id)))`),
    ).toBe(0);
    expect(
      await count(Prisma.sql`SELECT 1 FROM "SaleLine" l
        WHERE l.total <> l."unitPrice" * l.quantity - l.discount
           OR (EXISTS (SELECT 1 FROM "SaleAdjustment" a WHERE a."saleId" = l."saleId")
               AND l.discount <> (SELECT coalesce(sum(x.share), 0) FROM "SaleAdjustment" a,
                 unnest(a."lineNos", a.shares) AS x(line, share)
                 WHERE a."saleId" = l."saleId" AND x.line = l."lineNo"))`),
    ).toBe(0);
    expect(
      await count(Prisma.sql`SELECT 1 FROM "RefundLine" rl JOIN "SaleLine" l ON l.id = rl."saleLineId"
        WHERE rl.amount <> l.total`),
    ).toBe(0);
    // Points were earned on what the sales charge once discounted, and every account is its ledger's sum.
    expect(
      await count(Prisma.sql`SELECT 1 FROM "PointsLedgerEntry" e
        CROSS JOIN LATERAL jsonb_to_recordset(e.explanation -> 'lines') AS x("lineNo" int, paid numeric)
        JOIN "SaleLine" l ON l."saleId" = e."saleId" AND l."lineNo" = x."lineNo"
        WHERE e.kind = 'EARN' AND x.paid <> l.total`),
    ).toBe(0);
    expect(
      await count(Prisma.sql`SELECT 1 FROM "PointsAccount" a
        WHERE a.balance + a.pending <> (SELECT coalesce(sum(points), 0) FROM "PointsLedgerEntry" e
                                        WHERE e."customerId" = a."customerId")
           OR a."lifetimeEarned" <> (SELECT coalesce(sum(points), 0) FROM "PointsLedgerEntry" e
                                     WHERE e."customerId" = a."customerId" AND e.kind = 'EARN')`),
    ).toBe(0);

    // The campaigns' results show the history: what the sales' adjustments say each gave.
    const list = await t.as('OWNER').ok(`{ campaigns(status: [ACTIVE]) { edges { node { id name startsAt
      usedAmount results { redemptions discountGiven revenue } } } } }`);
    const byName = new Map(
      list.campaigns.edges.map((e: { node: unknown }) => e.node).map((c: { name: string }) => [c.name, c]),
    );
    const given = await db.$queryRaw<{ sourceId: string; sales: number; amount: string; revenue: string }[]>`
      SELECT a."sourceId", count(*)::int AS sales, sum(a.amount)::text AS amount, sum(s.total)::text AS revenue
      FROM "SaleAdjustment" a JOIN "Sale" s ON s.id = a."saleId"
      WHERE a.source = 'campaigns' AND s.status <> 'REFUNDED' GROUP BY a."sourceId"`;
    const full = byName.get('全场满200减20，满500减80') as any;
    const drinks = byName.get('饮料第二件半价') as any;
    const birthday = byName.get('生日券 满100减20') as any;
    const wednesday = byName.get('会员周三95折') as any;
    for (const c of [full, drinks, birthday, wednesday]) {
      const g = given.find((x) => x.sourceId === c.id)!;
      expect(g, c.name).toBeDefined();
      expect(c.results.redemptions).toBe(g.sales);
      expect(c.results.redemptions).toBeGreaterThan(0);
      expect(c.results.discountGiven).toBe(Number(g.amount).toFixed(2));
      expect(c.results.revenue).toBe(Number(g.revenue).toFixed(2));
      expect(new Date(c.startsAt).getTime()).toBeLessThan(Date.now() - 59 * 86_400_000);
    }
    // The 满减's budget counts what it gave, net of the sales refunded in full.
    expect(full.usedAmount).toBe(full.results.discountGiven);
    // Birthday coupons were redeemed: each by its holder, on a sale in their birthday month within the coupon's
    // validity, of ¥100 or more before the coupon's ¥20 (it is tried first), each coupon used once and marked so.
    const redeemed = await db.$queryRaw<
      { uses: number; ok: boolean; amount: string; before: string; reversed: boolean }[]
    >`
      SELECT k.uses, r."customerId" = k."customerId" AND s."customerId" = k."customerId"
          AND s."occurredAt" >= k."validFrom" AND s."occurredAt" < k."validUntil" AS ok,
        r.amount::text AS amount, r.reversed,
        ((SELECT sum(l."unitPrice" * l.quantity) FROM "SaleLine" l WHERE l."saleId" = s.id)
          - coalesce((SELECT sum(a.amount) FROM "SaleAdjustment" a WHERE a."saleId" = s.id AND a.source = 'pos'), 0)
        )::text AS before
      FROM "CampaignRedemption" r JOIN "Coupon" k ON k.id = r."couponId" JOIN "Sale" s ON s.id = r."saleId"`;
    expect(redeemed.length).toBeGreaterThan(0);
    expect(redeemed.length).toBe(birthday.results.redemptions);
    for (const r of redeemed) expect(r).toMatchObject({ uses: 1, ok: true, amount: '20.00', reversed: false });
    for (const r of redeemed) expect(Number(r.before)).toBeGreaterThanOrEqual(100);
    const [coupons] = await db.$queryRaw<{ used: number }[]>`
      SELECT count(*) FILTER (WHERE uses > 0)::int AS used FROM "Coupon"`;
    expect(coupons!.used).toBe(redeemed.length);
    // A sale it applied to shows it, after the till's own discount when there was one.
    const [one] = await db.$queryRaw<{ id: string }[]>`
      SELECT s.id::text AS id FROM "Sale" s JOIN "SaleAdjustment" a ON a."saleId" = s.id
      WHERE a."labelZh" LIKE '满%' ORDER BY s."occurredAt" LIMIT 1`;
    const sale = await t.as('OWNER').ok(
      `query($id: ID!) { node(id: $id) { ... on Sale { total discountTotal
      adjustments { source label amount } } } }`,
      { id: Buffer.from(`Sale:${one!.id}`).toString('base64') },
    );
    const campaignsGave = sale.node.adjustments.filter((a: { source: string }) => a.source === 'campaigns');
    expect(campaignsGave.some((a: { label: string }) => /^满(200减20|500减80)$/.test(a.label))).toBe(true);
    expect(
      sale.node.adjustments.reduce((s: number, a: { amount: string }) => s + Math.round(Number(a.amount) * 100), 0),
    ).toBe(Math.round(Number(sale.node.discountTotal) * 100));
  });
});

// PGlite runs one transaction at a time; races only show on a real server.
describe.skipIf(!postgresUrl)('budgets and coupons under concurrent sales on PostgreSQL', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', plugins: [campaignsPlugin(), tiersPlugin({}), pointsPlugin({})] });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['SN-003']);
  });
  afterAll(() => t?.close());

  it('never gives more than the budget: 20 sales at once against room for one more discount', async () => {
    const c = await create(t, {
      name: '预算30元',
      action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '10' }] },
      budgetAmount: '30',
    });
    const sale = (paid: string) => ({
      storeId: store,
      externalId: uniqueId('CC'),
      lines: [{ sku: 'SN-003', quantity: 2, unitPrice: '20.00' }],
      payments: [{ method: 'CASH', amount: paid }],
    });
    for (let i = 0; i < 2; i++) {
      const r = await t.ok(RECORD_SALE, { input: sale('30.00') }, { apiKey: t.posKey });
      expect(r.recordSale.__typename).toBe('RecordSalePayload');
    }
    // Every till saw the discount in its preview and pays 30.00; only one sale can still have it. The
    // others are refused (the total is 40.00 without it): the till previews again.
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.gql(RECORD_SALE, { input: sale('30.00') }, { apiKey: t.posKey })),
    );
    const kinds = results.map((r) => r.data?.recordSale?.errorCode ?? r.data?.recordSale?.__typename ?? r.errors);
    expect(kinds.filter((k) => k === 'RecordSalePayload')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'PAYMENT_MISMATCH')).toHaveLength(19);
    const read = await t
      .as('OWNER')
      .ok(`query($id: ID!) { campaign(id: $id) { usedAmount usedRedemptions } }`, { id: c.id });
    expect(read.campaign).toEqual({ usedAmount: '30.00', usedRedemptions: 3 });
    const [given] = await t.db.database.prisma.$queryRaw<{ sum: string }[]>`
      SELECT sum(amount)::text AS sum FROM "CampaignRedemption"`;
    expect(given!.sum).toBe('30.00');
    await end(t, c.id);
  });

  it('issues no more reward coupons than its budget of uses when 10 qualifying sales arrive at once', async () => {
    const next = await create(t, {
      name: '下次立减5元',
      requiresCoupon: true,
      action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '5' }] },
    });
    const batch = await t
      .as('OWNER')
      .ok(`mutation($input: IssueCouponsInput!) { issueCoupons(input: $input) { ... on CouponBatch { id } } }`, {
        input: { campaignId: next.id, count: 0, forRewards: true, validDays: 7 },
      });
    const reward = await create(t, {
      name: '前三单返券',
      action: { type: 'ISSUE_COUPON', couponBatchId: batch.issueCoupons.id },
      budgetRedemptions: 3,
    });
    const members = await Promise.all(Array.from({ length: 10 }, (_, i) => newMember(t, `返券并发${i}`)));
    const results = await Promise.all(
      members.map((m) =>
        t.gql(
          RECORD_SALE,
          {
            input: {
              storeId: store,
              externalId: uniqueId('CR'),
              memberCode: m.memberCode,
              lines: [{ sku: 'SN-003', quantity: 1, unitPrice: '20.00' }],
              payments: [{ method: 'CASH', amount: '20.00' }],
            },
          },
          { apiKey: t.posKey },
        ),
      ),
    );
    expect(results.map((r) => r.data?.recordSale?.__typename ?? r.errors)).toEqual(Array(10).fill('RecordSalePayload'));
    const [issued] = await t.db.database.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "Coupon" WHERE "batchId" = ${rawId(batch.issueCoupons.id)}::uuid`;
    expect(issued!.n).toBe(3);
    const read = await t.as('OWNER').ok(`query($id: ID!) { campaign(id: $id) { usedRedemptions } }`, { id: reward.id });
    expect(read.campaign.usedRedemptions).toBe(3);
  });

  it('redeems a single-use coupon once when 10 tills present it at the same moment', async () => {
    const c = await create(t, {
      name: '立减5元券',
      requiresCoupon: true,
      action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '5' }] },
    });
    const issued = await t.as('OWNER').ok(
      `mutation($input: IssueCouponsInput!) {
         issueCoupons(input: $input) { ... on CouponBatch { coupons { edges { node { code } } } } } }`,
      { input: { campaignId: c.id, count: 1 } },
    );
    const code = issued.issueCoupons.coupons.edges[0].node.code;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.gql(
          RECORD_SALE,
          {
            input: {
              storeId: store,
              externalId: uniqueId('CQ'),
              lines: [{ sku: 'SN-003', quantity: 1, unitPrice: '20.00' }],
              couponCodes: [code],
              payments: [{ method: 'CASH', amount: '15.00' }],
            },
          },
          { apiKey: t.posKey },
        ),
      ),
    );
    const kinds = results.map((r) => r.data?.recordSale?.errorCode ?? r.data?.recordSale?.__typename ?? r.errors);
    expect(kinds.filter((k) => k === 'RecordSalePayload')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'COUPON_USED')).toHaveLength(9);
    const [row] = await t.db.database.prisma.$queryRaw<
      { uses: number }[]
    >`SELECT uses FROM "Coupon" WHERE code = ${code}`;
    expect(row!.uses).toBe(1);
  });
});
