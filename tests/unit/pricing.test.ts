import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.ts';
import {
  applyAdjustment,
  discountsByLine,
  lineDue,
  prorate,
  refundedShares,
  type PricedLine,
} from '../../src/sales/pricing.ts';

const d = (v: string | number) => new Prisma.Decimal(v);
const fen = (shares: { amount: Prisma.Decimal }[]) => shares.map((s) => s.amount.toFixed(2));
const label = { 'zh-CN': '满300减50', en: '¥50 off ¥300' };
const lines = (...prices: [string, number][]): PricedLine[] =>
  prices.map(([unitPrice, quantity], i) => ({ lineNo: i + 1, unitPrice: d(unitPrice), quantity, discount: d(0) }));

describe('prorate: an order amount over lines, to the fen', () => {
  it.each([
    // amount, weights, shares
    ['50.00', ['100.00', '200.00'], ['16.67', '33.33']],
    ['0.01', ['1.00', '1.00', '1.00'], ['0.01', '0.00', '0.00']],
    ['0.02', ['1.00', '1.00', '1.00'], ['0.01', '0.01', '0.00']],
    ['10.00', ['3.00', '3.00', '3.00'], ['3.34', '3.33', '3.33']],
    ['9.00', ['3.00', '3.00', '3.00'], ['3.00', '3.00', '3.00']],
    ['1.00', ['0.01', '99.99'], ['0.00', '1.00']],
    ['100.00', ['33.33', '33.33', '33.34'], ['33.33', '33.33', '33.34']],
    ['4.00', ['0.00', '5.00'], ['0.00', '4.00']],
  ])('%s over %j → %j', (amount, weights, expected) => {
    const shares = prorate(
      d(amount),
      weights.map((w, i) => ({ lineNo: i + 1, weight: d(w) })),
    );
    expect(fen(shares)).toEqual(expected);
    expect(shares.reduce((s, x) => s.add(x.amount), d(0)).toFixed(2)).toBe(d(amount).toFixed(2));
  });

  it('always adds up exactly and never gives a line more than its weight (random cases)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 500; n++) {
      const weights = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, i) => ({
        lineNo: i + 1,
        weight: d((Math.floor(random() * 100_000) / 100).toFixed(2)),
      }));
      const total = weights.reduce((s, w) => s.add(w.weight), d(0));
      const amount = d(((Math.floor(random() * total.mul(100).toNumber()) + 1) / 100).toFixed(2));
      if (amount.gt(total) || total.isZero()) continue;
      const shares = prorate(amount, weights);
      expect(shares.reduce((s, x) => s.add(x.amount), d(0)).eq(amount)).toBe(true);
      for (const [i, s] of shares.entries()) expect(s.amount.lte(weights[i]!.weight)).toBe(true);
    }
  });
});

describe('applyAdjustment', () => {
  it('spreads an order amount over the lines by what each still charges, and keeps each line discount its sum', () => {
    const sale = lines(['100.00', 1], ['50.00', 4]);
    const first = applyAdjustment(sale, { source: 'tiers', label, lines: [{ lineNo: 2, amount: d('20.00') }] }, 1)!;
    const second = applyAdjustment(sale, { source: 'campaigns', sourceId: 'c1', label, amount: d('50.00') }, 2)!;
    expect(first.scope).toBe('LINE');
    expect(second).toMatchObject({ scope: 'ORDER', source: 'campaigns', sourceId: 'c1', position: 2 });
    // Line 1 still charged 100, line 2 180: 50 × 100/280 = 17.857… → 17.86; 32.14.
    expect(fen(second.shares)).toEqual(['17.86', '32.14']);
    expect(sale.map((l) => l.discount.toFixed(2))).toEqual(['17.86', '52.14']);
    expect(discountsByLine([first, second]).get(2)!.toFixed(2)).toBe('52.14');
    expect(sale.map((l) => lineDue(l).toFixed(2))).toEqual(['82.14', '147.86']);
  });

  it('caps at what is still due, so no line goes below zero; the amount recorded is what was given', () => {
    const sale = lines(['30.00', 1], ['10.00', 1]);
    const order = applyAdjustment(sale, { source: 'x', label, amount: d('100.00') }, 1)!;
    expect(order.amount.toFixed(2)).toBe('40.00');
    expect(sale.every((l) => lineDue(l).isZero())).toBe(true);
    expect(applyAdjustment(sale, { source: 'x', label, amount: d('5.00') }, 2)).toBeNull();
    const perLine = lines(['10.00', 1]);
    expect(
      applyAdjustment(perLine, { source: 'x', label, lines: [{ lineNo: 1, amount: d('12.00') }] }, 1)!.amount.toFixed(
        2,
      ),
    ).toBe('10.00');
  });

  it('prorates over the named lines only, and rounds half up to the fen', () => {
    const sale = lines(['10.00', 1], ['20.00', 1], ['30.00', 1]);
    const some = applyAdjustment(sale, { source: 'x', label, amount: d('3.005'), lineNos: [2, 3] }, 1)!;
    expect(some.shares.map((s) => s.lineNo)).toEqual([2, 3]);
    expect(some.amount.toFixed(2)).toBe('3.01');
    expect(sale[0]!.discount.toFixed(2)).toBe('0.00');
  });

  it('refuses what is a plugin mistake: an unknown line, a negative amount', () => {
    const sale = lines(['10.00', 1]);
    expect(() => applyAdjustment(sale, { source: 'x', label, lines: [{ lineNo: 9, amount: d(1) }] }, 1)).toThrow(
      /line 9/,
    );
    expect(() => applyAdjustment(sale, { source: 'x', label, amount: d(-1) }, 1)).toThrow(/negative/);
    expect(applyAdjustment(sale, { source: 'x', label, amount: d(0) }, 1)).toBeNull();
  });
});

describe('refundedShares', () => {
  it("gives each adjustment's part on the refunded units", () => {
    const adjustments = [
      { position: 1, source: 'tiers', sourceId: 't', lineNos: [1, 2], shares: [d('5.00'), d('3.00')] },
      { position: 2, source: 'campaigns', sourceId: null, lineNos: [2], shares: [d('10.00')] },
    ];
    expect(
      refundedShares(adjustments, [{ lineNo: 2, quantity: 1, soldQuantity: 3 }]).map((a) => [
        a.source,
        a.amount.toFixed(2),
      ]),
    ).toEqual([
      ['tiers', '1.00'],
      ['campaigns', '3.33'],
    ]);
    expect(refundedShares(adjustments, [{ lineNo: 3, quantity: 1, soldQuantity: 1 }])).toEqual([]);
  });
});
