import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { checkLedger, createRule, newMember, runJob, sell, stockUp } from './helpers/loyalty.ts';
import { REFUND_SALE } from './helpers/queries.ts';

/** Small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the points ledger under thousands of random operations', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins: [pointsPlugin({ pendingDays: 3, expiryMonths: 1 })] });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['DR-004', 'SN-001', 'MB-001']);
    await createRule(t, { name: '基础', kind: 'BASE_RATE', pointsPerYuan: '1' });
    await createRule(t, {
      name: '母婴 ×2',
      kind: 'MULTIPLIER',
      multiplier: '2',
      categories: ['母婴'],
      capPerSale: 100,
    });
  });
  afterAll(() => t?.close());

  it('always balances', { timeout: 300_000 }, async () => {
    const rnd = prng(42);
    const members = [await newMember(t, '甲'), await newMember(t, '乙')];
    const sales: { id: string; lines: number[] }[] = [];
    const clock = Date.now();
    let jobTime = clock;
    const counts: Record<string, number> = {};
    const done = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
    for (let i = 0; i < 1200; i++) {
      const m = members[Math.floor(rnd() * members.length)]!;
      const r = rnd();
      if (r < 0.45) {
        const lines = [
          {
            sku: 'DR-004',
            quantity: 1 + Math.floor(rnd() * 3),
            unitPrice: (1 + Math.floor(rnd() * 5000) / 100).toFixed(2),
          },
          ...(rnd() < 0.5 ? [{ sku: 'MB-001', quantity: 1 + Math.floor(rnd() * 2), unitPrice: '88.00' }] : []),
        ];
        const points = rnd() < 0.3 ? (Math.floor(rnd() * 500) / 100).toFixed(2) : undefined;
        const res = await sell(t, store, m.memberCode, lines, { points });
        if (res.__typename === 'RecordSalePayload') {
          sales.push({ id: res.sale.id, lines: lines.map((l) => l.quantity) });
          done(points ? 'sale+points' : 'sale');
        } else done(`refused:${res.errorCode}`);
      } else if (r < 0.65 && sales.length) {
        const sale = sales[Math.floor(rnd() * sales.length)]!;
        const lineNo = 1 + Math.floor(rnd() * sale.lines.length);
        const res = await t.as('MANAGER').ok(REFUND_SALE, {
          saleId: sale.id,
          externalId: `r${i}`,
          lines: rnd() < 0.3 ? null : [{ lineNo, quantity: 1 }],
        });
        done(res.refundSale.__typename === 'RefundSalePayload' ? 'refund' : `refused:${res.refundSale.errorCode}`);
      } else if (r < 0.85) {
        const points = Math.floor(rnd() * 400) - 150 || 1;
        const res = await t.as('MANAGER').ok(
          `mutation($c: ID!, $p: Int!) { adjustPoints(customerId: $c, points: $p, reason: "随机") { __typename
               ... on UserError { errorCode } } }`,
          { c: m.customerId, p: points },
        );
        done(res.adjustPoints.__typename === 'PointsLedgerEntry' ? 'adjust' : `refused:${res.adjustPoints.errorCode}`);
      } else {
        jobTime += Math.floor(rnd() * 10) * 86_400_000;
        await runJob(t, rnd() < 0.5 ? 'points.release' : 'points.expire', new Date(jobTime));
        done('job');
      }
      if (i % 200 === 199) for (const mm of members) await checkLedger(t, mm.customerId);
    }
    const totals = [];
    for (const m of members) totals.push((await checkLedger(t, m.customerId)).entries.length);
    // The mix really happened: every kind of operation ran many times.
    expect(counts.sale).toBeGreaterThan(200);
    expect(counts['sale+points']).toBeGreaterThan(50);
    expect(counts.refund).toBeGreaterThan(100);
    expect(counts.adjust).toBeGreaterThan(100);
    expect(counts.job).toBeGreaterThan(100);
    expect(totals.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });
});
