import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { postgresUrl } from './helpers/database.ts';
import { onHand, RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';

// PGlite runs one transaction at a time, so races only show on a real server (see environment notes).
describe.skipIf(!postgresUrl)('concurrent writes on PostgreSQL', () => {
  let t: TestApp;
  let store: string;

  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  });
  afterAll(() => t?.close());

  const saleOf = (sku: string, quantity: number, extra: object = {}) => ({
    storeId: store,
    externalId: uniqueId('C'),
    lines: [{ sku, quantity, unitPrice: '1.00' }],
    payments: [{ method: 'CASH', amount: `${quantity}.00` }],
    ...extra,
  });

  it('never oversells: 50 one-unit sales against 30 in stock leave exactly 30 sold and 0 on hand', async () => {
    const have = await onHand(t, store, 'SN-005');
    const owner = t.as('OWNER');
    // Bring stock to exactly 30.
    await owner.ok(
      `mutation($s: ID!, $q: Int!) { adjustStock(storeId: $s, type: ADJUSTMENT, reason: "test",
         lines: [{ sku: "SN-005", quantity: $q }]) { __typename } }`,
      { s: store, q: 30 - have },
    );
    expect(await onHand(t, store, 'SN-005')).toBe(30);

    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.gql(RECORD_SALE, { input: saleOf('SN-005', 1) }, { apiKey: t.posKey })),
    );
    const kinds = results.map((r) => r.data?.recordSale?.__typename ?? JSON.stringify(r.errors));
    expect(kinds.filter((k) => k === 'RecordSalePayload')).toHaveLength(30);
    expect(kinds.filter((k) => k === 'InsufficientStockError')).toHaveLength(20);
    expect(await onHand(t, store, 'SN-005')).toBe(0);
    // Each sale's movement saw a distinct balance: 29, 28, … 0.
    const moves = await owner.ok(
      `query($s: ID!) { stockMovements(storeId: $s, sku: "SN-005", first: 31)
         { edges { node { type quantity balanceAfter } } } }`,
      { s: store },
    );
    const sales = moves.stockMovements.edges.map((e: any) => e.node).filter((m: any) => m.type === 'SALE');
    expect(sales).toHaveLength(30);
    expect(sales.map((m: any) => m.balanceAfter).sort((a: number, b: number) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  it('records a sale once when the POS sends it 20 times at once', async () => {
    const before = await onHand(t, store, 'SN-006');
    const input = saleOf('SN-006', 2);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.gql(RECORD_SALE, { input }, { apiKey: t.posKey })),
    );
    const ids = new Set(results.map((r) => r.data?.recordSale?.sale?.id ?? JSON.stringify(r.errors)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.data.recordSale.replayed === false)).toHaveLength(1);
    expect(await onHand(t, store, 'SN-006')).toBe(before - 2);
  });

  it("counts every one of 40 simultaneous sales in the customer's figures", async () => {
    const c = await t
      .as('OWNER')
      .ok(`mutation { createCustomer(input: { name: "并发测试", phone: "13000000099" }) { ... on Customer { id } } }`);
    const customerId = c.createCustomer.id;
    await t.as('OWNER').ok(
      `mutation($s: ID!) { adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "DR-001", quantity: 200 }])
           { __typename } }`,
      { s: store },
    );
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.gql(RECORD_SALE, { input: saleOf('DR-001', 1 + (i % 3), { customerId }) }, { apiKey: t.posKey }),
      ),
    );
    expect(results.map((r) => r.data?.recordSale?.__typename ?? JSON.stringify(r.errors))).toEqual(
      Array(40).fill('RecordSalePayload'),
    );
    const expectedSpend = Array.from({ length: 40 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    const after = await t
      .as('OWNER')
      .ok(`query($id: ID!) { customer(id: $id) { visitCount lifetimeSpend } }`, { id: customerId });
    expect(after.customer).toEqual({ visitCount: 40, lifetimeSpend: `${expectedSpend}.00` });
  });

  it('never refunds a line twice when refunds of it race', async () => {
    const sale = await t.ok(RECORD_SALE, { input: saleOf('DR-003', 5) }, { apiKey: t.posKey });
    const saleId = sale.recordSale.sale.id;
    const manager = t.as('MANAGER');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        manager.gql(REFUND_SALE, { saleId, externalId: `race-${i}`, lines: [{ lineNo: 1, quantity: 1 }] }),
      ),
    );
    const done = results.filter((r) => r.data?.refundSale?.__typename === 'RefundSalePayload');
    expect(done).toHaveLength(5);
    const final = await manager.ok(
      `query($id: ID!) { sale(id: $id) { status refundedTotal lines { refundedQuantity } } }`,
      { id: saleId },
    );
    expect(final.sale).toEqual({ status: 'REFUNDED', refundedTotal: '5.00', lines: [{ refundedQuantity: 5 }] });
  });

  it('loses no refund or late sale to the daily summary job running at the same time', async () => {
    const owner = t.as('OWNER');
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const RUN = `mutation { runScheduledJob(name: "insights.summary") { processed } }`;
    const FIGURES = `grossSales refunds revenue saleCount refundedSaleCount units`;
    const kpis = async (from: string, to: string) =>
      (
        await owner.ok(
          `query($s: [ID!], $from: Date!, $to: Date!) { insights(storeIds: $s, from: $from, to: $to) {
            kpis { current { asOf total { ${FIGURES} } } } } }`,
          { s: [store], from, to },
        )
      ).insights.kpis.current;
    // Sales a till sends late, 100 to 98 days ago (past the summary's recent days), then the summary.
    const late = (i: number) =>
      t.ok(
        RECORD_SALE,
        {
          input: saleOf('DR-003', 1, { occurredAt: new Date(Date.now() - (100 - (i % 3)) * 86_400_000).toISOString() }),
        },
        { apiKey: t.posKey },
      );
    const sales = [];
    for (let i = 0; i < 20; i++) sales.push((await late(i)).recordSale.sale.id as string);
    await owner.ok(RUN);
    // Refunds of them, more late sales and runs of the job, all at once.
    const manager = t.as('MANAGER');
    const results = await Promise.all([
      ...sales.map((saleId, i) =>
        manager.gql(REFUND_SALE, { saleId, externalId: uniqueId('SUMR') }).then((r) => ['refund', i, r] as const),
      ),
      ...Array.from({ length: 10 }, (_, i) => late(i).then((r) => ['sale', i, r] as const)),
      ...Array.from({ length: 6 }, (_, i) => owner.gql(RUN).then((r) => ['run', i, r] as const)),
    ]);
    for (const [kind, , r] of results) {
      const data = 'data' in r ? r.data : r;
      if (kind === 'refund') expect(data?.refundSale?.__typename).toBe('RefundSalePayload');
      if (kind === 'sale') expect(data?.recordSale?.__typename).toBe('RecordSalePayload');
      if (kind === 'run') expect(data?.runScheduledJob?.processed, JSON.stringify(r)).toBeGreaterThan(0);
    }
    await owner.ok(RUN);
    // 61 days from the summary against the same days live (the summary set aside), in two periods.
    const summary = await kpis(day(-130), day(-70));
    expect(summary.asOf).not.toBeNull();
    const prisma = t.db.database.prisma;
    const [state] = await prisma.$queryRaw<{ rebuiltAt: Date }[]>`
      SELECT "rebuiltAt" FROM "SalesSummaryState" WHERE id = 1`;
    await prisma.$executeRaw`UPDATE "SalesSummaryState" SET "rebuiltAt" = 'epoch' WHERE id = 1`;
    const [a, b] = await Promise.all([kpis(day(-130), day(-100)), kpis(day(-99), day(-70))]).finally(
      () => prisma.$executeRaw`UPDATE "SalesSummaryState" SET "rebuiltAt" = ${state!.rebuiltAt} WHERE id = 1`,
    );
    expect(a.asOf).toBeNull();
    const sum = (k: string) => Number(a.total[k]) + Number(b.total[k]);
    expect({
      grossSales: Number(summary.total.grossSales),
      refunds: Number(summary.total.refunds),
      saleCount: summary.total.saleCount,
      refundedSaleCount: summary.total.refundedSaleCount,
      units: summary.total.units,
    }).toEqual({
      grossSales: sum('grossSales'),
      refunds: sum('refunds'),
      saleCount: sum('saleCount'),
      refundedSaleCount: sum('refundedSaleCount'),
      units: sum('units'),
    });
    expect(summary.total.refundedSaleCount).toBeGreaterThanOrEqual(20);
    expect(summary.total.saleCount).toBeGreaterThanOrEqual(10);
  });

  it('runs a transaction again when PostgreSQL aborts it to break a deadlock', async () => {
    const { runInTransaction } = await import('../src/events/transaction.ts');
    const levels = await t.db.database.prisma.stockLevel.findMany({
      where: { storeId: rawStoreId() },
      take: 2,
      orderBy: { productId: 'asc' },
    });
    const [a, b] = levels.map((l) => l.productId);
    let attempts = 0;
    let arrived = 0;
    let release!: () => void;
    const bothLocked = new Promise<void>((r) => (release = r));
    // Two transactions lock the same two levels in opposite orders: a deadlock on the first try.
    const lockBoth = (first: string, second: string) =>
      runInTransaction(t.db.database.prisma, t.app.services.events, async ({ tx }) => {
        attempts += 1;
        const lock = (productId: string) =>
          tx.$queryRaw`SELECT 1 FROM "StockLevel" WHERE "storeId" = ${rawStoreId()}::uuid
            AND "productId" = ${productId}::uuid FOR UPDATE`;
        await lock(first);
        if (++arrived === 2) release();
        await bothLocked;
        await lock(second);
        return 'done';
      });
    expect(await Promise.all([lockBoth(a!, b!), lockBoth(b!, a!)])).toEqual(['done', 'done']);
    expect(attempts).toBe(3); // one of the two was aborted once and ran again
  });

  function rawStoreId() {
    return Buffer.from(store, 'base64').toString('utf8').split(':')[1]!;
  }
});
