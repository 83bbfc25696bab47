import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand, RECORD_SALE, uniqueId } from './helpers/queries.ts';

const ADJUST = `mutation($s: ID!, $type: StockAdjustmentType!, $reason: String, $lines: [StockLineInput!]!) {
  adjustStock(storeId: $s, type: $type, reason: $reason, lines: $lines) {
    __typename
    ... on StockMovementsPayload { count }
    ... on InsufficientStockError { sku requested available }
    ... on UserError { errorCode field }
  }
}`;
const TRANSFER = `mutation($from: ID!, $to: ID!, $lines: [StockLineInput!]!) {
  transferStock(fromStoreId: $from, toStoreId: $to, lines: $lines, note: "补货") {
    __typename
    ... on StockTransfer { fromStore { code } toStore { code } lines { quantity product { sku } } }
    ... on InsufficientStockError { sku requested available }
    ... on UserError { errorCode field }
  }
}`;
const MOVES = `query($s: ID!, $sku: String!, $n: Int!) { stockMovements(storeId: $s, sku: $sku, first: $n) { edges { node { type quantity balanceAfter reason } } } }`;

describe('stock', () => {
  let t: TestApp;
  let slt: string;
  let wdk: string;
  const manager = () => t.as('MANAGER');
  const owner = () => t.as('OWNER');
  const lastMoves = async (storeId: string, sku: string, n: number) =>
    (await owner().ok(MOVES, { s: storeId, sku, n })).stockMovements.edges.map((e: { node: unknown }) => e.node);

  beforeAll(async () => {
    t = await startTestApp();
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    wdk = t.stores.find((s) => s.code === 'BJ-WDK')!.id;
  });
  afterAll(() => t?.close());

  it('receives goods and corrects stock with a reason, each a movement with the balance after it', async () => {
    const before = await onHand(t, slt, 'DH-001');
    expect((await manager().ok(ADJUST, { s: slt, type: 'RECEIPT', lines: [{ sku: 'DH-001', quantity: 24 }] })).adjustStock).toEqual({ __typename: 'StockMovementsPayload', count: 1 });
    expect((await manager().ok(ADJUST, { s: slt, type: 'ADJUSTMENT', reason: '破损', lines: [{ sku: 'DH-001', quantity: -2 }] })).adjustStock.count).toBe(1);
    expect(await onHand(t, slt, 'DH-001')).toBe(before + 22);
    expect(await lastMoves(slt, 'DH-001', 2)).toEqual([
      { type: 'ADJUSTMENT', quantity: -2, balanceAfter: before + 22, reason: '破损' },
      { type: 'RECEIPT', quantity: 24, balanceAfter: before + 24, reason: null },
    ]);
  });

  it('refuses an adjustment without a reason, a receipt of nothing, and going below zero', async () => {
    const before = await onHand(t, slt, 'DH-002');
    const noReason = await manager().ok(ADJUST, { s: slt, type: 'ADJUSTMENT', lines: [{ sku: 'DH-002', quantity: -1 }] });
    expect(noReason.adjustStock).toEqual({ __typename: 'InvalidInputError', errorCode: 'INVALID_INPUT', field: ['input', 'reason'] });
    const zero = await manager().ok(ADJUST, { s: slt, type: 'RECEIPT', lines: [{ sku: 'DH-002', quantity: 0 }] });
    expect(zero.adjustStock).toMatchObject({ errorCode: 'INVALID_INPUT', field: ['input', 'lines', '0', 'quantity'] });
    const below = await manager().ok(ADJUST, { s: slt, type: 'ADJUSTMENT', reason: '盘亏', lines: [{ sku: 'DH-003', quantity: 1 }, { sku: 'DH-002', quantity: -(before + 1) }] });
    expect(below.adjustStock).toEqual({ __typename: 'InsufficientStockError', errorCode: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '1', 'quantity'], sku: 'DH-002', requested: before + 1, available: before });
    expect(await onHand(t, slt, 'DH-002')).toBe(before);
  });

  it('transfers between stores in one step, or not at all', async () => {
    const [fromBefore, toBefore] = [await onHand(t, slt, 'DH-004'), await onHand(t, wdk, 'DH-004')];
    const done = await manager().ok(TRANSFER, { from: slt, to: wdk, lines: [{ sku: 'DH-004', quantity: 3 }] });
    expect(done.transferStock).toEqual({ __typename: 'StockTransfer', fromStore: { code: 'BJ-SLT' }, toStore: { code: 'BJ-WDK' }, lines: [{ quantity: 3, product: { sku: 'DH-004' } }] });
    expect(await onHand(t, slt, 'DH-004')).toBe(fromBefore - 3);
    expect(await onHand(t, wdk, 'DH-004')).toBe(toBefore + 3);
    expect((await lastMoves(slt, 'DH-004', 1))[0]).toMatchObject({ type: 'TRANSFER_OUT', quantity: -3, balanceAfter: fromBefore - 3 });
    expect((await lastMoves(wdk, 'DH-004', 1))[0]).toMatchObject({ type: 'TRANSFER_IN', quantity: 3, balanceAfter: toBefore + 3 });

    const tooMuch = await manager().ok(TRANSFER, { from: slt, to: wdk, lines: [{ sku: 'DH-005', quantity: 1 }, { sku: 'DH-004', quantity: fromBefore }] });
    expect(tooMuch.transferStock).toMatchObject({ __typename: 'InsufficientStockError', sku: 'DH-004', available: fromBefore - 3 });
    expect(await onHand(t, slt, 'DH-004')).toBe(fromBefore - 3);
    expect(await onHand(t, wdk, 'DH-004')).toBe(toBefore + 3);

    const same = await manager().ok(TRANSFER, { from: slt, to: slt, lines: [{ sku: 'DH-004', quantity: 1 }] });
    expect(same.transferStock).toMatchObject({ errorCode: 'SAME_STORE_TRANSFER' });
    // The manager of 三里屯 cannot send 五道口's stock away.
    const foreign = await manager().gql(TRANSFER, { from: wdk, to: slt, lines: [{ sku: 'DH-004', quantity: 1 }] });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('posts a stocktake: variance against on-hand at posting, counted products only', async () => {
    const m = manager();
    const [tissues, detergent, untouched] = [await onHand(t, slt, 'DH-003'), await onHand(t, slt, 'DH-006'), await onHand(t, slt, 'DH-005')];
    const started = await m.ok(`mutation($s: ID!) { startStocktake(storeId: $s, note: "月末盘点") { ... on Stocktake { id status } } }`, { s: slt });
    const id = started.startStocktake.id;
    expect(started.startStocktake.status).toBe('OPEN');

    const count = `mutation($id: ID!, $add: Boolean, $counts: [StocktakeCountInput!]!) { recordStocktakeCounts(stocktakeId: $id, add: $add, counts: $counts) { __typename ... on Stocktake { lines { counted product { sku } } } ... on UserError { errorCode } } }`;
    const barcode = (await m.ok(`{ product(sku: "DH-006") { barcode } }`)).product.barcode;
    await m.ok(count, { id, counts: [{ sku: 'DH-003', counted: 5 }] });
    await m.ok(count, { id, counts: [{ sku: 'DH-003', counted: tissues + 2 }] }); // a recount replaces
    await m.ok(count, { id, add: true, counts: [{ sku: barcode, counted: 1 }] }); // scanning by barcode adds
    const counted = await m.ok(count, { id, add: true, counts: [{ sku: barcode, counted: 1 }] });
    expect(counted.recordStocktakeCounts.lines).toEqual(expect.arrayContaining([{ counted: tissues + 2, product: { sku: 'DH-003' } }, { counted: 2, product: { sku: 'DH-006' } }]));

    // A sale while counting: the variance is taken against on-hand when posting.
    const price = (await m.ok(`{ product(sku: "DH-003") { price } }`)).product.price;
    await t.ok(RECORD_SALE, { input: { storeId: slt, externalId: uniqueId(), lines: [{ sku: 'DH-003', quantity: 1 }], payments: [{ method: 'CASH', amount: price }] } }, { apiKey: t.posKey });

    const posted = await m.ok(`mutation($id: ID!) { postStocktake(stocktakeId: $id) { ... on Stocktake { status postedAt lines { product { sku } counted systemQuantity variance } } } }`, { id });
    expect(posted.postStocktake.status).toBe('POSTED');
    const bySku = Object.fromEntries(posted.postStocktake.lines.map((l: { product: { sku: string } }) => [l.product.sku, l]));
    expect(bySku['DH-003']).toMatchObject({ counted: tissues + 2, systemQuantity: tissues - 1, variance: 3 });
    expect(bySku['DH-006']).toMatchObject({ counted: 2, systemQuantity: detergent, variance: 2 - detergent });
    expect(await onHand(t, slt, 'DH-003')).toBe(tissues + 2);
    expect(await onHand(t, slt, 'DH-006')).toBe(2);
    expect(await onHand(t, slt, 'DH-005')).toBe(untouched);
    expect((await lastMoves(slt, 'DH-003', 1))[0]).toMatchObject({ type: 'STOCKTAKE', quantity: 3, balanceAfter: tissues + 2 });

    const again = await m.ok(`mutation($id: ID!) { postStocktake(stocktakeId: $id) { __typename ... on UserError { errorCode message } } }`, { id });
    expect(again.postStocktake).toEqual({ __typename: 'InvalidStateError', errorCode: 'STOCKTAKE_NOT_OPEN', message: '盘点单已过账，不能再修改' });
    expect((await m.ok(count, { id, counts: [{ sku: 'DH-003', counted: 1 }] })).recordStocktakeCounts.errorCode).toBe('STOCKTAKE_NOT_OPEN');
  });

  it('cancels an open stocktake without touching stock', async () => {
    const m = manager();
    const before = await onHand(t, slt, 'DH-005');
    const { startStocktake } = await m.ok(`mutation($s: ID!) { startStocktake(storeId: $s) { ... on Stocktake { id } } }`, { s: slt });
    await m.ok(`mutation($id: ID!) { recordStocktakeCounts(stocktakeId: $id, counts: [{ sku: "DH-005", counted: 0 }]) { __typename } }`, { id: startStocktake.id });
    const cancelled = await m.ok(`mutation($id: ID!) { cancelStocktake(stocktakeId: $id) { ... on Stocktake { status } } }`, { id: startStocktake.id });
    expect(cancelled.cancelStocktake.status).toBe('CANCELLED');
    expect(await onHand(t, slt, 'DH-005')).toBe(before);
  });

  it('lists exactly the products at or below their reorder point', async () => {
    const m = manager();
    const level = await onHand(t, slt, 'BT-001');
    await m.ok(`mutation($s: ID!, $p: Int!) { setReorderPoint(storeId: $s, sku: "BT-001", reorderPoint: $p) { __typename } }`, { s: slt, p: level });
    const all = await m.ok(`query($s: ID!) { stockLevels(storeId: $s, first: 100) { edges { node { onHand reorderPoint isLow product { sku } } } } }`, { s: slt });
    const expected = all.stockLevels.edges.map((e: any) => e.node).filter((n: any) => n.onHand <= n.reorderPoint).map((n: any) => n.product.sku).sort();
    expect(expected).toContain('BT-001');
    const low = await m.ok(`query($s: ID!) { stockLevels(storeId: $s, lowOnly: true, first: 100) { edges { node { isLow product { sku } } } } }`, { s: slt });
    expect(low.stockLevels.edges.map((e: any) => e.node.product.sku).sort()).toEqual(expected);
    expect(low.stockLevels.edges.every((e: any) => e.node.isLow)).toBe(true);
  });
});
