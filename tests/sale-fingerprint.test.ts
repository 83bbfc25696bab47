import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand, RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';

/**
 * The same externalId sent again is a replay only when it is the same request (same store, buyer,
 * cashier, time, lines and payments: src/sales/fingerprint.ts); a different sale under a used id
 * is a typed conflict naming the sale that has it, and nothing is recorded.
 */
describe('recordSale: same receipt id, different content', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp();
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  });
  afterAll(() => t?.close());

  const input = (externalId: string, quantity = 1, price = '3.50') => ({
    storeId: store,
    externalId,
    lines: [{ sku: 'SN-002', quantity, unitPrice: price }],
    payments: [{ method: 'CASH', amount: (quantity * Number(price)).toFixed(2) }],
  });

  it('replays the same request, with money written either way', async () => {
    const id = uniqueId('FP');
    const first = await t.ok(RECORD_SALE, { input: input(id) }, { apiKey: t.posKey });
    const again = await t.ok(
      RECORD_SALE,
      { input: { ...input(id, 1, '3.5'), payments: [{ method: 'CASH', amount: 3.5 }] } },
      { apiKey: t.posKey },
    );
    expect(again.recordSale).toMatchObject({
      __typename: 'RecordSalePayload',
      replayed: true,
      sale: { id: first.recordSale.sale.id },
    });
  });

  it('answers a different sale under a used id with a conflict naming the recorded sale; records nothing', async () => {
    const id = uniqueId('FP');
    const first = await t.ok(RECORD_SALE, { input: input(id) }, { apiKey: t.posKey });
    const stock = await onHand(t, store, 'SN-002');
    for (const different of [input(id, 2), input(id, 1, '4.00')]) {
      const r = await t.ok(RECORD_SALE, { input: different }, { apiKey: t.posKey, locale: 'en' });
      expect(r.recordSale).toMatchObject({
        __typename: 'ConflictError',
        errorCode: 'EXTERNAL_ID_CONFLICT',
        field: ['input', 'externalId'],
      });
      expect(r.recordSale.message).toContain(first.recordSale.sale.id);
    }
    expect(await onHand(t, store, 'SN-002')).toBe(stock);
  });

  it('answers a refund id reused for other lines with a conflict, and refunds nothing more', async () => {
    const sold = await t.as('OWNER').ok(RECORD_SALE, {
      input: {
        storeId: store,
        externalId: uniqueId('FR'),
        lines: [
          { sku: 'DR-001', quantity: 2, unitPrice: '2.00' },
          { sku: 'SN-001', quantity: 1, unitPrice: '9.90' },
        ],
        payments: [{ method: 'CASH', amount: '13.90' }],
      },
    });
    const saleId = sold.recordSale.sale.id;
    const refund = (lines: { lineNo: number; quantity: number }[]) =>
      t.as('OWNER').ok(REFUND_SALE, { saleId, externalId: 'R-1', lines });
    expect((await refund([{ lineNo: 1, quantity: 1 }])).refundSale.__typename).toBe('RefundSalePayload');
    // The same refund again (a till's retry) is a replay.
    expect((await refund([{ lineNo: 1, quantity: 1 }])).refundSale).toMatchObject({ replayed: true });
    expect((await refund([{ lineNo: 2, quantity: 1 }])).refundSale).toMatchObject({
      __typename: 'ConflictError',
      errorCode: 'REFUND_ID_CONFLICT',
      field: ['input', 'externalId'],
    });
    const after = await t
      .as('OWNER')
      .ok(`query($id: ID!) { sale(id: $id) { refunds { externalId } lines { lineNo refundedQuantity } } }`, {
        id: saleId,
      });
    expect(after.sale.refunds).toHaveLength(1);
    expect(after.sale.lines).toEqual([
      { lineNo: 1, refundedQuantity: 1 },
      { lineNo: 2, refundedQuantity: 0 },
    ]);
  });
});
