import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand, productPrice, RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';

let t: TestApp;
let store: string;

beforeAll(async () => {
  t = await startTestApp();
  store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
});
afterAll(() => t?.close());

async function createMember(name: string, phone: string) {
  const owner = t.as('OWNER');
  const c = await owner.ok(
    `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id }
       ... on UserError { errorCode } } }`,
    {
      input: { name, phone },
    },
  );
  const m = await owner.ok(
    `mutation($id: ID!) { enrollMember(input: { customerId: $id }) { ... on Member { code }
       ... on UserError { errorCode } } }`,
    {
      id: c.createCustomer.id,
    },
  );
  return { customerId: c.createCustomer.id as string, memberCode: m.enrollMember.code as string };
}

describe('recordSale', () => {
  it('writes the sale, takes stock, updates the member and is idempotent on the POS id', async () => {
    const { customerId, memberCode } = await createMember('测试顾客甲', '13011110001');
    const price = await productPrice(t, 'SN-001');
    const before = await onHand(t, store, 'SN-001');
    const input = {
      storeId: store,
      externalId: uniqueId('POS'),
      memberCode,
      lines: [{ sku: 'SN-001', quantity: 2, discount: '10.00' }],
      payments: [{ method: 'WECHAT_PAY', amount: (Number(price) * 2 - 10).toFixed(2) }],
    };
    const first = await t.gql(RECORD_SALE, { input }, { apiKey: t.posKey });
    expect(first.errors).toBeUndefined();
    const sale = first.data.recordSale;
    expect(sale.__typename).toBe('RecordSalePayload');
    expect(sale.replayed).toBe(false);
    expect(sale.sale.total).toBe((Number(price) * 2 - 10).toFixed(2));
    expect(sale.sale.customer.id).toBe(customerId);
    expect(sale.sale.member.code).toBe(memberCode);
    expect(await onHand(t, store, 'SN-001')).toBe(before - 2);

    const again = await t.gql(RECORD_SALE, { input }, { apiKey: t.posKey });
    expect(again.data.recordSale.replayed).toBe(true);
    expect(again.data.recordSale.sale.id).toBe(sale.sale.id);
    expect(await onHand(t, store, 'SN-001')).toBe(before - 2);

    const c = await t
      .as('OWNER')
      .ok(`query($id: ID!) { customer(id: $id) { visitCount lifetimeSpend sales(first: 5) { totalCount } } }`, {
        id: customerId,
      });
    expect(c.customer).toEqual({ visitCount: 1, lifetimeSpend: sale.sale.total, sales: { totalCount: 1 } });

    // A POS resending it after the price changed still gets the recorded sale back, not a mismatch.
    await t.as('OWNER').ok(`mutation { updateProduct(sku: "SN-001", input: { price: "99.00" }) { __typename } }`);
    const late = await t.gql(RECORD_SALE, { input }, { apiKey: t.posKey });
    expect(late.data.recordSale).toMatchObject({
      __typename: 'RecordSalePayload',
      replayed: true,
      sale: { id: sale.sale.id, total: sale.sale.total },
    });
    await t
      .as('OWNER')
      .ok(`mutation($p: Money!) { updateProduct(sku: "SN-001", input: { price: $p }) { __typename } }`, { p: price });
  });

  it('keeps money exact: 0.1 + 0.2 is 0.30 and three lines of 33.33 are 99.99', async () => {
    const input = {
      storeId: store,
      externalId: uniqueId(),
      lines: [
        { sku: 'DR-001', quantity: 1, unitPrice: '0.10' },
        { sku: 'DR-002', quantity: 1, unitPrice: '0.20' },
        { sku: 'DR-003', quantity: 3, unitPrice: '33.33' },
      ],
      payments: [{ method: 'CASH', amount: '100.29' }],
    };
    const r = await t.ok(RECORD_SALE, { input }, { apiKey: t.posKey });
    expect(r.recordSale.sale.total).toBe('100.29');
    expect(r.recordSale.sale.lines.map((l: { total: string }) => l.total)).toEqual(['0.10', '0.20', '99.99']);
  });

  it('rejects amounts with more than two decimals before anything runs', async () => {
    const input = {
      storeId: store,
      externalId: uniqueId(),
      lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '1.005' }],
      payments: [{ method: 'CASH', amount: '1.01' }],
    };
    const r = await t.gql(RECORD_SALE, { input }, { apiKey: t.posKey });
    expect(r.errors?.[0]?.message).toMatch(/two places/);
  });

  it('returns typed errors with the field at fault and writes nothing', async () => {
    const before = await onHand(t, store, 'SN-002');
    const externalId = uniqueId();
    const unknown = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId,
          lines: [
            { sku: 'SN-002', quantity: 1 },
            { sku: 'NO-SUCH', quantity: 1 },
          ],
          payments: [{ method: 'CASH', amount: '1.00' }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(unknown.recordSale).toMatchObject({
      __typename: 'NotFoundError',
      errorCode: 'UNKNOWN_SKU',
      field: ['input', 'lines', '1', 'sku'],
    });
    expect(unknown.recordSale.message).toBe('未知商品编码：NO-SUCH');

    const price = await productPrice(t, 'SN-002');
    const mismatch = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId,
          lines: [{ sku: 'SN-002', quantity: 1 }],
          payments: [{ method: 'CASH', amount: '1.00' }],
        },
      },
      { apiKey: t.posKey, locale: 'en-US,en;q=0.9' },
    );
    expect(mismatch.recordSale).toMatchObject({
      __typename: 'InvalidInputError',
      errorCode: 'PAYMENT_MISMATCH',
      field: ['input', 'payments'],
    });
    expect(mismatch.recordSale.message).toBe(`Payments add up to 1.00 but the sale total is ${price}`);

    const tooMany = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId,
          lines: [{ sku: 'SN-002', quantity: before + 1 }],
          payments: [{ method: 'CASH', amount: (Number(price) * (before + 1)).toFixed(2) }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(tooMany.recordSale).toMatchObject({
      __typename: 'InsufficientStockError',
      errorCode: 'INSUFFICIENT_STOCK',
      sku: 'SN-002',
      requested: before + 1,
      available: before,
    });

    expect(await onHand(t, store, 'SN-002')).toBe(before);
    const sale = await t
      .as('OWNER')
      .ok(`query($s: ID!, $e: String!) { sale(storeId: $s, externalId: $e) { id } }`, { s: store, e: externalId });
    expect(sale.sale).toBeNull();
  });

  it("previews a sale's total without recording anything", async () => {
    const before = await onHand(t, store, 'SN-003');
    const preview = `mutation($input: PreviewSaleInput!)
      { previewSale(input: $input) { __typename ... on SaleQuote
        { subtotal discountTotal total lines { sku quantity total } } ... on InsufficientStockError { available } } }`;
    const quote = await t.ok(
      preview,
      { input: { storeId: store, lines: [{ sku: 'SN-003', quantity: 2, unitPrice: '19.90', discount: '0.80' }] } },
      { apiKey: t.posKey },
    );
    expect(quote.previewSale).toEqual({
      __typename: 'SaleQuote',
      subtotal: '39.80',
      discountTotal: '0.80',
      total: '39.00',
      lines: [{ sku: 'SN-003', quantity: 2, total: '39.00' }],
    });
    expect(await onHand(t, store, 'SN-003')).toBe(before);
    const sales = await t
      .as('OWNER')
      .ok(`query($s: ID!) { sales(storeId: $s, first: 1) { totalCount } }`, { s: store });
    const tooMany = await t.ok(
      preview,
      { input: { storeId: store, lines: [{ sku: 'SN-003', quantity: before + 1 }] } },
      { apiKey: t.posKey },
    );
    expect(tooMany.previewSale).toEqual({ __typename: 'InsufficientStockError', available: before });
    const after = await t
      .as('OWNER')
      .ok(`query($s: ID!) { sales(storeId: $s, first: 1) { totalCount } }`, { s: store });
    expect(after.sales.totalCount).toBe(sales.sales.totalCount);
  });

  it('refuses points as payment when no installed plugin settles them', async () => {
    const input = {
      storeId: store,
      externalId: uniqueId(),
      lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
      payments: [{ method: 'POINTS', amount: '2.00' }],
    };
    // PaymentMethod holds the installed plugins' tenders only: GraphQL refuses it before any SQL
    // (recordSale refuses it again for other callers, tests/plugin-extension-points.test.ts).
    const r = await t.gql(RECORD_SALE, { input }, { apiKey: t.posKey });
    expect(r.errors?.[0]).toMatchObject({
      message: expect.stringContaining('Value "POINTS" does not exist in "PaymentMethod" enum'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(r.data).toBeUndefined();
  });

  it("dates the sale by the store's own calendar day", async () => {
    // 00:30 on 2 March in Beijing is 16:30 UTC on 1 March: the business date is 2 March.
    const r = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId(),
          occurredAt: '2026-03-01T16:30:00Z',
          lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
          payments: [{ method: 'CASH', amount: '2.00' }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.recordSale.sale.businessDate).toBe('2026-03-02');
    const days = await t.as('MANAGER').ok(
      `query($s: ID!) { salesByDay(storeId: $s, from: "2026-03-01", to: "2026-03-02") { date saleCount grossSales }
           }`,
      { s: store },
    );
    expect(days.salesByDay).toEqual([
      { date: '2026-03-01', saleCount: 0, grossSales: '0.00' },
      { date: '2026-03-02', saleCount: 1, grossSales: '2.00' },
    ]);
  });
});

describe('refundSale', () => {
  it("refunds some lines, then the rest, returning stock and reducing the customer's spend exactly", async () => {
    const { customerId, memberCode } = await createMember('测试顾客乙', '13011110002');
    const stockBefore = await onHand(t, store, 'MB-005');
    const sale = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId(),
          memberCode,
          lines: [
            { sku: 'MB-005', quantity: 3, unitPrice: '10.00', discount: '0.01' },
            { sku: 'DR-001', quantity: 1, unitPrice: '2.00' },
          ],
          payments: [{ method: 'ALIPAY', amount: '31.99' }],
        },
      },
      { apiKey: t.posKey },
    );
    const saleId = sale.recordSale.sale.id;
    const manager = t.as('MANAGER');

    const one = await manager.ok(REFUND_SALE, { saleId, externalId: 'R1', lines: [{ lineNo: 1, quantity: 1 }] });
    expect(one.refundSale.refund.total).toBe('10.00'); // 29.99 × 1/3, rounded half-up
    expect(one.refundSale.refund.sale).toEqual({ status: 'PARTIALLY_REFUNDED', refundedTotal: '10.00' });
    expect(await onHand(t, store, 'MB-005')).toBe(stockBefore - 2);

    const replay = await manager.ok(REFUND_SALE, { saleId, externalId: 'R1', lines: [{ lineNo: 1, quantity: 1 }] });
    expect(replay.refundSale.replayed).toBe(true);
    expect(await onHand(t, store, 'MB-005')).toBe(stockBefore - 2);

    const tooMany = await manager.ok(REFUND_SALE, { saleId, externalId: 'R2', lines: [{ lineNo: 1, quantity: 3 }] });
    expect(tooMany.refundSale).toMatchObject({
      __typename: 'InvalidInputError',
      errorCode: 'REFUND_EXCEEDS_SOLD',
      field: ['input', 'lines', '0', 'quantity'],
    });

    const rest = await manager.ok(REFUND_SALE, { saleId, externalId: 'R3' });
    // The last units take what is left of the line, so the parts add up to what was paid.
    expect(rest.refundSale.refund.total).toBe('21.99');
    expect(rest.refundSale.refund.sale).toEqual({ status: 'REFUNDED', refundedTotal: '31.99' });
    expect(await onHand(t, store, 'MB-005')).toBe(stockBefore);

    const again = await manager.ok(REFUND_SALE, { saleId, externalId: 'R4' });
    expect(again.refundSale).toMatchObject({ __typename: 'InvalidStateError', errorCode: 'SALE_ALREADY_REFUNDED' });

    const c = await manager.ok(`query($id: ID!) { customer(id: $id) { lifetimeSpend visitCount } }`, {
      id: customerId,
    });
    expect(c.customer).toEqual({ lifetimeSpend: '0.00', visitCount: 1 });

    const moves = await manager.ok(
      `query($s: ID!) { stockMovements(storeId: $s, sku: "MB-005", first: 3) { edges { node { type quantity } } } }`,
      { s: store },
    );
    expect(moves.stockMovements.edges.map((e: any) => e.node)).toEqual([
      { type: 'RETURN', quantity: 2 },
      { type: 'RETURN', quantity: 1 },
      { type: 'SALE', quantity: -3 },
    ]);
  });
});
