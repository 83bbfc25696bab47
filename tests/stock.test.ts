import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand, productPrice, RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { sseSubscribe } from './helpers/sse.ts';

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
    ... on StockTransfer { fromStore { code } toStore { code } note lines { quantity product { sku } } }
    ... on InsufficientStockError { sku requested available }
    ... on UserError { errorCode field }
  }
}`;
const MOVES = `query($s: ID!, $sku: String!, $n: Int!)
  { stockMovements(storeId: $s, sku: $sku, first: $n) { edges { node { id type quantity balanceAfter reason } } } }`;
const START = `mutation($s: ID!, $note: String) { startStocktake(storeId: $s, note: $note) { __typename
  ... on Stocktake { id status postedAt lines { counted } } } }`;
const COUNT = `mutation($id: ID!, $add: Boolean, $counts: [StocktakeCountInput!]!) {
  recordStocktakeCounts(stocktakeId: $id, add: $add, counts: $counts) {
    __typename
    ... on Stocktake { status lines { counted systemQuantity variance product { sku } } }
    ... on UserError { errorCode field }
  }
}`;
const POST = `mutation($id: ID!) {
  postStocktake(stocktakeId: $id) {
    __typename
    ... on Stocktake { status postedAt lines { counted systemQuantity variance product { sku } } }
    ... on UserError { errorCode field }
  }
}`;
const CANCEL = `mutation($id: ID!) { cancelStocktake(stocktakeId: $id) { __typename ... on Stocktake { status postedAt }
  ... on UserError { errorCode } } }`;
const SET_REORDER = `mutation($s: ID!, $sku: String!, $p: Int!) {
  setReorderPoint(storeId: $s, sku: $sku, reorderPoint: $p) { __typename
    ... on StockLevel { onHand reorderPoint isLow product { sku } } ... on UserError { errorCode field } }
}`;
const LEVELS = `query($s: ID!, $low: Boolean) {
  stockLevels(storeId: $s, lowOnly: $low, first: 500) { pageInfo { hasNextPage }
    edges { node { onHand reorderPoint isLow product { sku } } } }
}`;
const STOCK_LOW = `subscription($s: ID!) { stockLow(storeId: $s) { sku onHand reorderPoint } }`;

type Move = { id: string; type: string; quantity: number; balanceAfter: number; reason: string | null };
type Line = { counted: number; systemQuantity: number | null; variance: number | null; product: { sku: string } };

describe('stock', () => {
  let t: TestApp;
  let slt: string;
  let wdk: string;
  const manager = () => t.as('MANAGER');
  const owner = () => t.as('OWNER');

  /** Newest first. */
  const moves = async (storeId: string, sku: string, n = 5): Promise<Move[]> =>
    (await owner().ok(MOVES, { s: storeId, sku, n })).stockMovements.edges.map((e: { node: Move }) => e.node);
  /** Id of the newest movement of a product in a store, to tell later whether anything was written. */
  const newestMove = async (storeId: string, sku: string) => (await moves(storeId, sku, 1))[0]?.id ?? null;
  /** Movements written since `sinceId` (newest first). */
  const movesSince = async (storeId: string, sku: string, sinceId: string | null) => {
    const list = await moves(storeId, sku, 20);
    const at = list.findIndex((m) => m.id === sinceId);
    return sinceId === null ? list : list.slice(0, at < 0 ? list.length : at);
  };
  /** On-hand of several products in one store, by SKU. */
  const levelsOf = async <K extends string>(storeId: string, skus: readonly K[]) =>
    Object.fromEntries(
      await Promise.all(skus.map(async (sku) => [sku, await onHand(t, storeId, sku)] as const)),
    ) as Record<K, number>;
  /** One POS sale of `quantity` units at list price, through the demo till's API key. */
  const sellAtPos = async (storeId: string, sku: string, quantity: number) => {
    const price = await productPrice(t, sku);
    const r = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId,
          externalId: uniqueId('STK'),
          lines: [{ sku, quantity }],
          payments: [{ method: 'CASH', amount: ((Math.round(Number(price) * 100) * quantity) / 100).toFixed(2) }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.recordSale.__typename).toBe('RecordSalePayload');
    return r.recordSale.sale;
  };

  beforeAll(async () => {
    t = await startTestApp();
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    wdk = t.stores.find((s) => s.code === 'BJ-WDK')!.id;
  });
  afterAll(() => t?.close());

  describe('adjustStock', () => {
    it('receives goods: on-hand rises and a RECEIPT movement records the balance after it', async () => {
      const before = await onHand(t, slt, 'DH-001');
      const since = await newestMove(slt, 'DH-001');
      const received = await manager().ok(ADJUST, {
        s: slt,
        type: 'RECEIPT',
        lines: [{ sku: 'DH-001', quantity: 24 }],
      });
      expect(received.adjustStock).toEqual({ __typename: 'StockMovementsPayload', count: 1 });
      expect(await onHand(t, slt, 'DH-001')).toBe(before + 24);
      expect(await movesSince(slt, 'DH-001', since)).toEqual([
        { id: expect.any(String), type: 'RECEIPT', quantity: 24, balanceAfter: before + 24, reason: null },
      ]);

      // A signed correction with a reason is its own movement, its balance following on.
      const corrected = await manager().ok(ADJUST, {
        s: slt,
        type: 'ADJUSTMENT',
        reason: '破损',
        lines: [{ sku: 'DH-001', quantity: -2 }],
      });
      expect(corrected.adjustStock).toEqual({ __typename: 'StockMovementsPayload', count: 1 });
      expect(await onHand(t, slt, 'DH-001')).toBe(before + 22);
      expect((await movesSince(slt, 'DH-001', since)).map(({ id: _id, ...m }) => m)).toEqual([
        { type: 'ADJUSTMENT', quantity: -2, balanceAfter: before + 22, reason: '破损' },
        { type: 'RECEIPT', quantity: 24, balanceAfter: before + 24, reason: null },
      ]);
    });

    it('refuses an adjustment without a reason and writes nothing', async () => {
      const before = await onHand(t, slt, 'DH-002');
      const since = await newestMove(slt, 'DH-002');
      for (const reason of [undefined, null, '   ']) {
        const r = await manager().ok(ADJUST, {
          s: slt,
          type: 'ADJUSTMENT',
          reason,
          lines: [{ sku: 'DH-002', quantity: 1 }],
        });
        expect(r.adjustStock, `reason ${JSON.stringify(reason)}`).toEqual({
          __typename: 'InvalidInputError',
          errorCode: 'INVALID_INPUT',
          field: ['input', 'reason'],
        });
      }
      expect(await onHand(t, slt, 'DH-002')).toBe(before);
      expect(await newestMove(slt, 'DH-002')).toBe(since);
    });

    it('refuses to take stock below zero where the store forbids it, and writes nothing at all', async () => {
      const { stores } = await owner().ok(`{ stores { id allowNegativeStock } }`);
      expect(stores.find((s: { id: string }) => s.id === slt).allowNegativeStock).toBe(false);

      const [short, other] = [await onHand(t, slt, 'DH-002'), await onHand(t, slt, 'DH-003')];
      expect(short).toBeGreaterThan(0);
      const [shortSince, otherSince] = [await newestMove(slt, 'DH-002'), await newestMove(slt, 'DH-003')];
      // The first line alone would succeed: the whole adjustment is refused all the same.
      const below = await manager().ok(ADJUST, {
        s: slt,
        type: 'ADJUSTMENT',
        reason: '盘亏',
        lines: [
          { sku: 'DH-003', quantity: 1 },
          { sku: 'DH-002', quantity: -(short + 1) },
        ],
      });
      expect(below.adjustStock).toEqual({
        __typename: 'InsufficientStockError',
        errorCode: 'INSUFFICIENT_STOCK',
        field: ['input', 'lines', '1', 'quantity'],
        sku: 'DH-002',
        requested: short + 1,
        available: short,
      });
      expect(await onHand(t, slt, 'DH-002')).toBe(short);
      expect(await onHand(t, slt, 'DH-003')).toBe(other);
      expect(await newestMove(slt, 'DH-002')).toBe(shortSince);
      expect(await newestMove(slt, 'DH-003')).toBe(otherSince);

      // Taking exactly what is there is allowed: the refusal is about going below zero.
      const toZero = await manager().ok(ADJUST, {
        s: slt,
        type: 'ADJUSTMENT',
        reason: '盘亏',
        lines: [{ sku: 'DH-002', quantity: -short }],
      });
      expect(toZero.adjustStock).toEqual({ __typename: 'StockMovementsPayload', count: 1 });
      expect(await onHand(t, slt, 'DH-002')).toBe(0);
    });

    it('lets a store that allows negative stock go below zero', async () => {
      const created = await owner().ok(
        `mutation { createStore(input: { code: "TS-NEG", name: "测试负库存店", allowNegativeStock: true }) { __typename
           ... on Store { id allowNegativeStock } } }`,
      );
      expect(created.createStore).toMatchObject({ __typename: 'Store', allowNegativeStock: true });
      const store = created.createStore.id;
      const r = await owner().ok(ADJUST, {
        s: store,
        type: 'ADJUSTMENT',
        reason: '先卖后补',
        lines: [{ sku: 'DH-002', quantity: -3 }],
      });
      expect(r.adjustStock).toEqual({ __typename: 'StockMovementsPayload', count: 1 });
      expect(await onHand(t, store, 'DH-002')).toBe(-3);
      expect((await moves(store, 'DH-002', 1))[0]).toMatchObject({
        type: 'ADJUSTMENT',
        quantity: -3,
        balanceAfter: -3,
      });
    });

    it("changes a store's stock policy later, by its owners only, and the next movement follows it", async () => {
      const UPDATE = `mutation($id: ID!, $input: UpdateStoreInput!) { updateStore(id: $id, input: $input) {
        __typename ... on Store { name address allowNegativeStock } ... on UserError { errorCode field } } }`;
      const { stores } = await owner().ok(`{ stores { id code } }`);
      const store = stores.find((s: { code: string }) => s.code === 'TS-NEG').id;
      // A store manager runs the store but does not set its policies.
      const refused = await manager().gql(UPDATE, { id: store, input: { allowNegativeStock: false } });
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const bad = await owner().ok(UPDATE, { id: store, input: { name: '  ' } });
      expect(bad.updateStore).toMatchObject({ errorCode: 'INVALID_INPUT', field: ['input', 'name'] });

      const done = await owner().ok(UPDATE, { id: store, input: { allowNegativeStock: false, address: '朝阳区' } });
      expect(done.updateStore).toEqual({
        __typename: 'Store',
        name: '测试负库存店',
        address: '朝阳区',
        allowNegativeStock: false,
      });
      // Below zero already (-3): taking more is refused now, receiving is not.
      const more = await owner().ok(ADJUST, {
        s: store,
        type: 'ADJUSTMENT',
        reason: '盘亏',
        lines: [{ sku: 'DH-002', quantity: -1 }],
      });
      expect(more.adjustStock).toMatchObject({ __typename: 'InsufficientStockError', errorCode: 'INSUFFICIENT_STOCK' });
      expect(await onHand(t, store, 'DH-002')).toBe(-3);
      // Another type's id names no store.
      const { customers } = await owner().ok(`{ customers(first: 1) { edges { node { id } } } }`);
      const wrong = await owner().gql(UPDATE, { id: customers.edges[0].node.id, input: {} });
      expect(wrong.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('transferStock', () => {
    it('moves stock from one demo store to the other, with TRANSFER_OUT and TRANSFER_IN movements', async () => {
      const [fromBefore, toBefore] = [await onHand(t, slt, 'DH-004'), await onHand(t, wdk, 'DH-004')];
      const [fromSince, toSince] = [await newestMove(slt, 'DH-004'), await newestMove(wdk, 'DH-004')];
      expect(fromBefore).toBeGreaterThanOrEqual(3);
      const done = await manager().ok(TRANSFER, { from: slt, to: wdk, lines: [{ sku: 'DH-004', quantity: 3 }] });
      expect(done.transferStock).toEqual({
        __typename: 'StockTransfer',
        fromStore: { code: 'BJ-SLT' },
        toStore: { code: 'BJ-WDK' },
        note: '补货',
        lines: [{ quantity: 3, product: { sku: 'DH-004' } }],
      });
      expect(await onHand(t, slt, 'DH-004')).toBe(fromBefore - 3);
      expect(await onHand(t, wdk, 'DH-004')).toBe(toBefore + 3);
      expect(await movesSince(slt, 'DH-004', fromSince)).toEqual([
        { id: expect.any(String), type: 'TRANSFER_OUT', quantity: -3, balanceAfter: fromBefore - 3, reason: '补货' },
      ]);
      expect(await movesSince(wdk, 'DH-004', toSince)).toEqual([
        { id: expect.any(String), type: 'TRANSFER_IN', quantity: 3, balanceAfter: toBefore + 3, reason: '补货' },
      ]);
    });

    it('refuses the same store at both ends', async () => {
      const before = await onHand(t, slt, 'DH-004');
      const since = await newestMove(slt, 'DH-004');
      const same = await manager().ok(TRANSFER, { from: slt, to: slt, lines: [{ sku: 'DH-004', quantity: 1 }] });
      expect(same.transferStock).toEqual({
        __typename: 'InvalidInputError',
        errorCode: 'SAME_STORE_TRANSFER',
        field: ['input', 'toStoreId'],
      });
      expect(await onHand(t, slt, 'DH-004')).toBe(before);
      expect(await newestMove(slt, 'DH-004')).toBe(since);
    });

    it('moves nothing in either store when the sending store has too little', async () => {
      const skus = ['DH-004', 'DH-005'];
      const read = async () => Promise.all(skus.flatMap((sku) => [slt, wdk].map((s) => onHand(t, s, sku))));
      const newest = async () => Promise.all(skus.flatMap((sku) => [slt, wdk].map((s) => newestMove(s, sku))));
      const [levels, newestBefore] = [await read(), await newest()];
      const available = await onHand(t, slt, 'DH-004');
      expect(await onHand(t, slt, 'DH-005')).toBeGreaterThan(0);

      // DH-005 could go; DH-004 is asked for one more than there is.
      const tooMuch = await manager().ok(TRANSFER, {
        from: slt,
        to: wdk,
        lines: [
          { sku: 'DH-005', quantity: 1 },
          { sku: 'DH-004', quantity: available + 1 },
        ],
      });
      expect(tooMuch.transferStock).toEqual({
        __typename: 'InsufficientStockError',
        errorCode: 'INSUFFICIENT_STOCK',
        field: ['input', 'lines', '1', 'quantity'],
        sku: 'DH-004',
        requested: available + 1,
        available,
      });
      expect(await read()).toEqual(levels);
      expect(await newest()).toEqual(newestBefore);
    });
  });

  describe('stocktake', () => {
    it('counts by SKU and barcode, then posts the variance against on-hand at posting time', async () => {
      const m = manager();
      // replaced: counted by SKU, recounted; scanned: by barcode and SKU, adding up;
      // exact: counted at what the system has; untouched: not counted at all.
      const [replaced, scanned, exact, untouched] = ['SN-001', 'SN-002', 'SN-003', 'SN-005'] as const;
      const before = await levelsOf(slt, [replaced, scanned, exact, untouched]);
      expect(before[replaced]).toBeGreaterThan(0); // one is sold while counting

      const started = await m.ok(START, { s: slt, note: '月末盘点' });
      expect(started.startStocktake).toMatchObject({
        __typename: 'Stocktake',
        status: 'OPEN',
        postedAt: null,
        lines: [],
      });
      const id = started.startStocktake.id;
      const linesOf = (r: { recordStocktakeCounts: { lines: Line[] } }) =>
        Object.fromEntries(r.recordStocktakeCounts.lines.map((l) => [l.product.sku, l]));

      const first = await m.ok(COUNT, { id, counts: [{ sku: replaced, counted: 5 }] });
      expect(linesOf(first)).toEqual({
        [replaced]: { counted: 5, systemQuantity: null, variance: null, product: { sku: replaced } },
      });
      // A recount (add not given) replaces the first figure.
      const recount = await m.ok(COUNT, { id, counts: [{ sku: replaced, counted: before[replaced] + 2 }] });
      expect(linesOf(recount)[replaced]!.counted).toBe(before[replaced] + 2);

      // Item-by-item scanning: each scan adds, by barcode or by SKU alike.
      const barcode = (await m.ok(`query($sku: String!) { product(sku: $sku) { barcode } }`, { sku: scanned })).product
        .barcode;
      expect(barcode).toMatch(/^\d+$/);
      const scans1 = await m.ok(COUNT, {
        id,
        add: true,
        counts: [
          { sku: barcode, counted: 1 },
          { sku: barcode, counted: 1 },
        ],
      });
      expect(linesOf(scans1)[scanned]!.counted).toBe(2);
      const scans2 = await m.ok(COUNT, { id, add: true, counts: [{ sku: scanned, counted: 3 }] });
      expect(linesOf(scans2)[scanned]!.counted).toBe(5);
      expect(linesOf(scans2)[replaced]!.counted).toBe(before[replaced] + 2); // other lines untouched by scans

      const counts = await m.ok(COUNT, { id, counts: [{ sku: exact, counted: before[exact] }] });
      const counted = { [replaced]: before[replaced] + 2, [scanned]: 5, [exact]: before[exact] };
      expect(Object.fromEntries(Object.entries(linesOf(counts)).map(([sku, l]) => [sku, l.counted]))).toEqual(counted);

      // A sale lands after counting and before posting: the variance must take it into account.
      await sellAtPos(slt, replaced, 1);
      const atPosting: Record<string, number> = await levelsOf(slt, Object.keys(counted));
      expect(atPosting[replaced]).toBe(before[replaced] - 1);
      const since = Object.fromEntries(
        await Promise.all(
          [...Object.keys(counted), untouched].map(async (sku) => [sku, await newestMove(slt, sku)] as const),
        ),
      );

      const posted = await m.ok(POST, { id });
      expect(posted.postStocktake).toMatchObject({
        __typename: 'Stocktake',
        status: 'POSTED',
        postedAt: expect.any(String),
      });
      const lines = Object.fromEntries((posted.postStocktake.lines as Line[]).map((l) => [l.product.sku, l]));
      expect(Object.keys(lines).sort()).toEqual(Object.keys(counted).sort());
      for (const [sku, n] of Object.entries(counted)) {
        const variance = n - atPosting[sku]!;
        expect(lines[sku], sku).toEqual({ counted: n, systemQuantity: atPosting[sku], variance, product: { sku } });
        expect(await onHand(t, slt, sku), `${sku} on hand`).toBe(n);
        // One STOCKTAKE movement of exactly the variance; none where nothing differed.
        expect(
          (await movesSince(slt, sku, since[sku]!)).map(({ id: _id, ...mv }) => mv),
          `${sku} movements`,
        ).toEqual(
          variance === 0 ? [] : [{ type: 'STOCKTAKE', quantity: variance, balanceAfter: n, reason: '月末盘点' }],
        );
      }
      expect(lines[replaced]!.variance).toBe(3); // counted before + 2, one sold: three more than the system had
      expect(lines[exact]!.variance).toBe(0);
      expect(await onHand(t, slt, untouched)).toBe(before[untouched]);
      expect(await newestMove(slt, untouched)).toBe(since[untouched]);

      // Posted is final: no second posting, no more counts, no cancelling; stock stays as posted.
      const again = await m.ok(POST, { id });
      expect(again.postStocktake).toEqual({
        __typename: 'InvalidStateError',
        errorCode: 'STOCKTAKE_NOT_OPEN',
        field: ['stocktakeId'],
      });
      const late = await m.ok(COUNT, { id, counts: [{ sku: replaced, counted: 1 }] });
      expect(late.recordStocktakeCounts).toEqual({
        __typename: 'InvalidStateError',
        errorCode: 'STOCKTAKE_NOT_OPEN',
        field: ['stocktakeId'],
      });
      expect((await m.ok(CANCEL, { id })).cancelStocktake).toEqual({
        __typename: 'InvalidStateError',
        errorCode: 'STOCKTAKE_NOT_OPEN',
      });
      const st = await m.ok(`query($id: ID!) { stocktake(id: $id) { status lines { counted product { sku } } } }`, {
        id,
      });
      expect(st.stocktake.status).toBe('POSTED');
      expect(st.stocktake.lines.find((l: Line) => l.product.sku === replaced).counted).toBe(counted[replaced]);
      expect(await onHand(t, slt, replaced)).toBe(counted[replaced]);
    });

    it('cancels an open stocktake without touching stock; a cancelled one cannot be posted', async () => {
      const m = manager();
      const sku = 'SN-006';
      const before = await onHand(t, slt, sku);
      const since = await newestMove(slt, sku);
      const { startStocktake } = await m.ok(START, { s: slt });
      const counted = await m.ok(COUNT, { id: startStocktake.id, counts: [{ sku, counted: before + 7 }] });
      expect(counted.recordStocktakeCounts.status).toBe('OPEN');

      const cancelled = await m.ok(CANCEL, { id: startStocktake.id });
      expect(cancelled.cancelStocktake).toEqual({ __typename: 'Stocktake', status: 'CANCELLED', postedAt: null });
      expect(await onHand(t, slt, sku)).toBe(before);

      const post = await m.ok(POST, { id: startStocktake.id });
      expect(post.postStocktake).toEqual({
        __typename: 'InvalidStateError',
        errorCode: 'STOCKTAKE_NOT_OPEN',
        field: ['stocktakeId'],
      });
      expect(
        (await m.ok(COUNT, { id: startStocktake.id, counts: [{ sku, counted: 1 }] })).recordStocktakeCounts.errorCode,
      ).toBe('STOCKTAKE_NOT_OPEN');
      expect(await onHand(t, slt, sku)).toBe(before);
      expect(await newestMove(slt, sku)).toBe(since);
    });
  });

  describe('reorder points', () => {
    it('lists exactly the products at or below their reorder point', async () => {
      const m = manager();
      const [at, above, below] = ['BT-001', 'BT-002', 'BT-003'] as const;
      const level: Record<string, number> = await levelsOf(slt, [at, above, below]);
      expect(level[above]).toBeGreaterThan(0);
      const points = { [at]: level[at]!, [above]: level[above]! - 1, [below]: level[below]! + 5 };
      for (const [sku, p] of Object.entries(points)) {
        const r = await m.ok(SET_REORDER, { s: slt, sku, p });
        expect(r.setReorderPoint).toEqual({
          __typename: 'StockLevel',
          onHand: level[sku],
          reorderPoint: p,
          isLow: level[sku]! <= p,
          product: { sku },
        });
      }
      const bad = await m.ok(SET_REORDER, { s: slt, sku: at, p: -1 });
      expect(bad.setReorderPoint).toEqual({
        __typename: 'InvalidInputError',
        errorCode: 'INVALID_INPUT',
        field: ['input', 'reorderPoint'],
      });

      type Node = { onHand: number; reorderPoint: number; isLow: boolean; product: { sku: string } };
      const all = (await m.ok(LEVELS, { s: slt })).stockLevels;
      expect(all.pageInfo.hasNextPage).toBe(false);
      const nodes: Node[] = all.edges.map((e: { node: Node }) => e.node);
      for (const [sku, p] of Object.entries(points))
        expect(nodes.find((n) => n.product.sku === sku)).toMatchObject({ onHand: level[sku], reorderPoint: p });
      const expected = nodes
        .filter((n) => n.onHand <= n.reorderPoint)
        .map((n) => n.product.sku)
        .sort();
      expect(expected).toEqual(expect.arrayContaining([at, below]));
      expect(expected).not.toContain(above);
      expect(expected.length).toBeLessThan(nodes.length); // the filter must actually leave something out

      const low = (await m.ok(LEVELS, { s: slt, low: true })).stockLevels;
      expect(low.edges.map((e: { node: Node }) => e.node.product.sku).sort()).toEqual(expected);
      expect(low.edges.every((e: { node: Node }) => e.node.isLow)).toBe(true);
    });
  });

  describe('stockLow subscription', () => {
    it("publishes stockLow when a sale crosses a product's reorder point, once, for that store only", async () => {
      const [crossing, staysAbove, later, elsewhere] = ['FR-001', 'FR-002', 'FR-003', 'FR-004'] as const;
      // Enough stock that every step below is possible, whatever the demo left.
      await owner().ok(ADJUST, {
        s: slt,
        type: 'RECEIPT',
        lines: [crossing, staysAbove, later].map((sku) => ({ sku, quantity: 10 })),
      });
      await owner().ok(ADJUST, { s: wdk, type: 'RECEIPT', lines: [{ sku: elsewhere, quantity: 10 }] });
      const level = await levelsOf(slt, [crossing, staysAbove, later]);
      const wdkLevel = await onHand(t, wdk, elsewhere);
      // crossing: 3 sold takes it from 2 above its reorder point to 1 below it.
      await owner().ok(SET_REORDER, { s: slt, sku: crossing, p: level[crossing]! - 2 });
      await owner().ok(SET_REORDER, { s: slt, sku: staysAbove, p: 0 });
      await owner().ok(SET_REORDER, { s: slt, sku: later, p: level[later]! - 1 });
      await owner().ok(SET_REORDER, { s: wdk, sku: elsewhere, p: wdkLevel - 1 });

      const sub = await sseSubscribe(t, STOCK_LOW, { s: slt }, { token: await t.token('MANAGER') });
      try {
        await sellAtPos(slt, staysAbove, 1); // stays above its reorder point: no event
        await sellAtPos(slt, crossing, 3);
        const event = await sub.next(5000);
        expect(event.errors).toBeUndefined();
        expect(event.data!.stockLow).toEqual({
          sku: crossing,
          onHand: level[crossing]! - 3,
          reorderPoint: level[crossing]! - 2,
        });

        // Already low: selling more announces nothing. Nor does another store crossing its point.
        await sellAtPos(slt, crossing, 1);
        const other = await owner().ok(ADJUST, {
          s: wdk,
          type: 'ADJUSTMENT',
          reason: '破损',
          lines: [{ sku: elsewhere, quantity: -1 }],
        });
        expect(other.adjustStock.count).toBe(1);
        await sellAtPos(slt, later, 1);
        const next = await sub.next(5000);
        expect(next.data!.stockLow).toEqual({ sku: later, onHand: level[later]! - 1, reorderPoint: level[later]! - 1 });
      } finally {
        await sub.close();
      }
    });

    it('refuses a subscriber without stock:read in the store', async () => {
      const sz = t.stores.find((s) => s.code === 'SZ-NS')!.id;
      const sub = await sseSubscribe(t, STOCK_LOW, { s: sz }, { token: await t.token('MANAGER'), settleMs: 0 });
      try {
        const denied = await sub.next(5000);
        expect(denied.data?.stockLow ?? null).toBeNull();
        expect(JSON.stringify(denied.errors)).toMatch(/FORBIDDEN/);
      } finally {
        await sub.close();
      }
    });
  });
});
