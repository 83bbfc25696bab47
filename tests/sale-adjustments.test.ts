import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../src/generated/prisma/client.ts';
import { definePlugin, PluginConfigError, PluginHost } from '../src/plugin-host/host.ts';
import type { WrittenRefund } from '../src/sales/refund-pipeline.ts';
import { lineDue } from '../src/sales/pricing.ts';
import { buildSchema } from '../src/schema/index.ts';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createRule, newMember, stockUp } from './helpers/loyalty.ts';
import { uniqueId } from './helpers/queries.ts';

/**
 * A campaign-like plugin as a third party would write it: a coupon code on the sale (its own
 * input), ¥30 off an order of ¥100 or more (an order-level adjustment core prorates), after the
 * tier discount (runsAfter). The code BROKEN makes it write a line discount by hand, which core
 * must refuse. Its refund step keeps what it was shown.
 */
const seenRefunds: WrittenRefund[] = [];
const couponPlugin = definePlugin({
  name: 'test-coupons',
  runsAfter: ['tiers'],
  saleInputs: (t) => ({ couponCode: t.string({ description: '券码' }) }),
  saleSteps: [
    {
      name: 'test-coupons',
      beforeWrite(draft) {
        const code = draft.inputs.couponCode as string | undefined;
        if (code === 'BROKEN') {
          draft.lines[0]!.discount = draft.lines[0]!.discount.add(1);
          return;
        }
        const due = draft.lines.reduce((s, l) => s.add(lineDue(l)), new Prisma.Decimal(0));
        if (code === 'MAN100' && due.gte(100))
          draft.adjust({
            source: 'test-coupons',
            sourceId: code,
            label: { 'zh-CN': '满100减30', en: '¥30 off ¥100' },
            amount: new Prisma.Decimal(30),
          });
      },
    },
  ],
  refundSteps: [{ name: 'test-coupons', afterWrite: (refund) => void seenRefunds.push(refund) }],
});

const ADJUSTMENTS = `adjustments { position source sourceId label scope amount lines { lineNo amount } }`;
const PREVIEW = `mutation($input: PreviewSaleInput!) { previewSale(input: $input) { __typename
  ... on SaleQuote { subtotal discountTotal total ${ADJUSTMENTS}
    lines { lineNo discount total adjustments { position source label amount } } }
  ... on UserError { errorCode message } } }`;
const RECORD = `mutation($input: RecordSaleInput!) { recordSale(input: $input) { __typename
  ... on RecordSalePayload { replayed sale { id discountTotal total ${ADJUSTMENTS}
    lines { lineNo discount total adjustments { source amount } } } }
  ... on UserError { errorCode message } } }`;

describe('pricing with adjustments', () => {
  let t: TestApp;
  let store: string;
  let tierId: string;
  beforeAll(async () => {
    // The coupon plugin is listed first: order comes from runsAfter, not from the list.
    t = await startTestApp({ plugins: [couponPlugin, tiersPlugin({}), pointsPlugin({})] });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['DR-004', 'SN-001']);
    const tier = await t
      .as('OWNER')
      .ok(`mutation($input: TierInput!) { createTier(input: $input) { ... on Tier { id } } }`, {
        input: { code: 'REGULAR', name: '普通会员', rank: 0, discountPercent: '5' },
      });
    tierId = tier.createTier.id;
  });
  afterAll(() => t?.close());

  const lines = [
    { sku: 'DR-004', quantity: 2, unitPrice: '100.00', discount: '10.00' },
    { sku: 'SN-001', quantity: 1, unitPrice: '20.00' },
  ];
  // Till 10.00 on line 1 (due 190, 20); tier 5 % per line: 9.50 and 1.00 (due 180.50, 19.00);
  // ¥30 prorated by what is still due: 30 × 180.5/199.5 = 27.142… and 2.857… → 27.14, 2.86.
  const expected = (tierLabel: string, couponLabel: string, tillLabel: string) => [
    {
      position: 1,
      source: 'pos',
      sourceId: null,
      label: tillLabel,
      scope: 'LINE',
      amount: '10.00',
      lines: [{ lineNo: 1, amount: '10.00' }],
    },
    {
      position: 2,
      source: 'tiers',
      sourceId: tierId,
      label: tierLabel,
      scope: 'LINE',
      amount: '10.50',
      lines: [
        { lineNo: 1, amount: '9.50' },
        { lineNo: 2, amount: '1.00' },
      ],
    },
    {
      position: 3,
      source: 'test-coupons',
      sourceId: 'MAN100',
      label: couponLabel,
      scope: 'ORDER',
      amount: '30.00',
      lines: [
        { lineNo: 1, amount: '27.14' },
        { lineNo: 2, amount: '2.86' },
      ],
    },
  ];

  it('previewSale shows each adjustment with its source and label, in the caller language, to the fen', async () => {
    const { memberCode } = await newMember(t);
    const input = { storeId: store, memberCode, lines, couponCode: 'MAN100' };
    const zh = (await t.ok(PREVIEW, { input }, { apiKey: t.posKey })).previewSale;
    expect(zh).toMatchObject({ subtotal: '220.00', discountTotal: '50.50', total: '169.50' });
    expect(zh.adjustments).toEqual(expected('普通会员 9.5折', '满100减30', '收银折扣'));
    expect(zh.lines).toEqual([
      {
        lineNo: 1,
        discount: '46.64',
        total: '153.36',
        adjustments: [
          { position: 1, source: 'pos', label: '收银折扣', amount: '10.00' },
          { position: 2, source: 'tiers', label: '普通会员 9.5折', amount: '9.50' },
          { position: 3, source: 'test-coupons', label: '满100减30', amount: '27.14' },
        ],
      },
      {
        lineNo: 2,
        discount: '3.86',
        total: '16.14',
        adjustments: [
          { position: 2, source: 'tiers', label: '普通会员 9.5折', amount: '1.00' },
          { position: 3, source: 'test-coupons', label: '满100减30', amount: '2.86' },
        ],
      },
    ]);
    const en = (await t.ok(PREVIEW, { input }, { apiKey: t.posKey, locale: 'en' })).previewSale;
    expect(en.adjustments).toEqual(expected('普通会员 member discount 5 %', '¥30 off ¥100', 'Discount at the till'));
    // Without the coupon, only the till's and the tier's.
    const plain = (await t.ok(PREVIEW, { input: { ...input, couponCode: null } }, { apiKey: t.posKey })).previewSale;
    expect(plain.adjustments.map((a: { source: string }) => a.source)).toEqual(['pos', 'tiers']);
    expect(plain.total).toBe('199.50');
  });

  it('recordSale stores them with the sale and lines; a partial refund returns what the units cost', async () => {
    const { memberCode } = await newMember(t);
    const externalId = uniqueId();
    const input = {
      storeId: store,
      externalId,
      memberCode,
      lines,
      couponCode: 'MAN100',
      payments: [{ method: 'CASH', amount: '169.50' }],
    };
    const r = await t.ok(RECORD, { input }, { apiKey: t.posKey });
    const sale = r.recordSale.sale;
    expect(sale).toMatchObject({ discountTotal: '50.50', total: '169.50' });
    expect(sale.adjustments).toEqual(expected('普通会员 9.5折', '满100减30', '收银折扣'));
    expect(sale.lines[0]).toMatchObject({ discount: '46.64', total: '153.36' });
    expect(sale.lines[0].adjustments).toEqual([
      { source: 'pos', amount: '10.00' },
      { source: 'tiers', amount: '9.50' },
      { source: 'test-coupons', amount: '27.14' },
    ]);
    // The tier's sourceId is its global id: node(id:) fetches it.
    const node = await t.as('OWNER').ok(`query($id: ID!) { node(id: $id) { __typename } }`, { id: tierId });
    expect(node.node.__typename).toBe('Tier');

    // Sent again with another coupon: a different sale under a used receipt number.
    const other = await t.ok(RECORD, { input: { ...input, couponCode: 'OTHER' } }, { apiKey: t.posKey });
    expect(other.recordSale.errorCode).toBe('EXTERNAL_ID_CONFLICT');
    const again = await t.ok(RECORD, { input }, { apiKey: t.posKey });
    expect(again.recordSale.replayed).toBe(true);

    seenRefunds.length = 0;
    const refund = await t.as('MANAGER').ok(
      `mutation($s: ID!, $e: String!) { refundSale(saleId: $s, externalId: $e, lines: [{ lineNo: 1, quantity: 1 }]) {
        ... on RefundSalePayload { refund { total } } ... on UserError { errorCode message } } }`,
      { s: sale.id, e: uniqueId() },
    );
    expect(refund.refundSale.refund.total).toBe('76.68');
    expect(seenRefunds).toHaveLength(1);
    expect(seenRefunds[0]!.adjustments.map((a) => [a.position, a.source, a.amount.toFixed(2)])).toEqual([
      [1, 'pos', '5.00'],
      [2, 'tiers', '4.75'],
      [3, 'test-coupons', '13.57'],
    ]);
    // The rest of the line returns the rest of what was paid for it, to the fen.
    const rest = await t.as('MANAGER').ok(
      `mutation($s: ID!, $e: String!) { refundSale(saleId: $s, externalId: $e, lines: [{ lineNo: 1, quantity: 1 }]) {
        ... on RefundSalePayload { refund { total } } } }`,
      { s: sale.id, e: uniqueId() },
    );
    expect(rest.refundSale.refund.total).toBe('76.68');
  });

  it("a sale the till priced keeps the till's prices: no step's reduction, points on what was paid", async () => {
    const { memberCode } = await newMember(t);
    await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1' });
    // The till gave its own 10.00 on line 1 and charged 210.00; the CRM would add 5 % and the coupon.
    const till = { storeId: store, memberCode, lines, couponCode: 'MAN100', pricedBy: 'TILL' };
    const quote = (
      await t.ok(
        PREVIEW.replace('discountTotal total ', 'discountTotal total points { earned } '),
        { input: till },
        {
          apiKey: t.posKey,
        },
      )
    ).previewSale;
    expect(quote).toMatchObject({ subtotal: '220.00', discountTotal: '10.00', total: '210.00' });
    expect(quote.adjustments.map((a: { source: string }) => a.source)).toEqual(['pos']);
    expect(quote.points.earned).toBe(210);

    const externalId = uniqueId();
    const paid = [{ method: 'CASH', amount: '210.00' }];
    // Priced by the CRM, those payments are more than it asks (5 % and the coupon off).
    const crm = await t.ok(
      RECORD,
      { input: { ...till, pricedBy: 'CRM', externalId, payments: paid } },
      {
        apiKey: t.posKey,
      },
    );
    expect(crm.recordSale.errorCode).toBe('PAYMENT_MISMATCH');
    const r = await t.ok(RECORD, { input: { ...till, externalId, payments: paid } }, { apiKey: t.posKey });
    expect(r.recordSale.sale).toMatchObject({ discountTotal: '10.00', total: '210.00' });
    expect(r.recordSale.sale.adjustments.map((a: { source: string }) => a.source)).toEqual(['pos']);
    // The member earned on the 210.00 paid, as the quote said.
    const account = await t
      .as('OWNER')
      .ok(`query($c: String!) { customer(memberCode: $c) { points { balance pending } } }`, { c: memberCode });
    const { balance, pending } = account.customer.points;
    expect(balance + pending).toBe(quote.points.earned);
    // The same receipt priced by the CRM is another sale; the till's again is a replay.
    const other = await t.ok(
      RECORD,
      { input: { ...till, pricedBy: 'CRM', externalId, payments: [{ method: 'CASH', amount: '169.50' }] } },
      { apiKey: t.posKey },
    );
    expect(other.recordSale.errorCode).toBe('EXTERNAL_ID_CONFLICT');
    const again = await t.ok(RECORD, { input: { ...till, externalId, payments: paid } }, { apiKey: t.posKey });
    expect(again.recordSale.replayed).toBe(true);
  });

  it('refuses a step that changes a discount without draft.adjust, and writes nothing', async () => {
    const externalId = uniqueId();
    const r = await t.gql(
      RECORD,
      {
        input: {
          storeId: store,
          externalId,
          lines: [{ sku: 'SN-001', quantity: 1, unitPrice: '20.00' }],
          couponCode: 'BROKEN',
          payments: [{ method: 'CASH', amount: '19.00' }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    const found = await t
      .as('OWNER')
      .ok(`query($s: ID!, $e: String!) { sale(storeId: $s, externalId: $e) { id } }`, { s: store, e: externalId });
    expect(found.sale).toBeNull();
  });
});

describe('sale inputs from plugins', () => {
  it('refuses a name core or another plugin uses', () => {
    const clash = definePlugin({ name: 'clash', saleInputs: (t) => ({ lines: t.string() }) });
    expect(() => buildSchema(new PluginHost([clash]))).toThrow(
      new PluginConfigError('Plugin "clash" declares the sale input "lines", which core uses.'),
    );
    const a = definePlugin({ name: 'a', saleInputs: (t) => ({ couponCode: t.string() }) });
    const b = definePlugin({ name: 'b', saleInputs: (t) => ({ couponCode: t.string() }) });
    expect(() => buildSchema(new PluginHost([a, b]))).toThrow(
      /"b" declares the sale input "couponCode", which plugin "a"/,
    );
  });
});
