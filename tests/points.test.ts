import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createRule, newMember, pointsOf, runJob, sell, setRuleActive, stockUp } from './helpers/loyalty.ts';
import { REFUND_SALE } from './helpers/queries.ts';

const SKUS = ['SN-001', 'SN-002', 'DR-001', 'DR-004', 'MB-001', 'MB-003', 'GF-001', 'BT-001'];
// 2026-11-18 is a Wednesday; 12:00 in Beijing.
const WEDNESDAY = '2026-11-18T04:00:00Z';
const THURSDAY = '2026-11-19T04:00:00Z';

async function app(options: Parameters<typeof pointsPlugin>[0] = {}) {
  const t = await startTestApp({ plugins: [pointsPlugin({ excludedCategories: ['礼品'], ...options })] });
  const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  await stockUp(t, store, SKUS);
  return { t, store };
}

const ADJUST = `mutation($c: ID!, $p: Int!, $r: String!)
  { adjustPoints(customerId: $c, points: $p, reason: $r) { __typename ... on PointsLedgerEntry { points }
    ... on UserError { errorCode message } } }`;

describe('earning rules', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    ({ t, store } = await app());
    await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1', combine: 'HIGHEST_WINS' });
  });
  afterAll(() => t?.close());

  it('earns the base rate per line, rounded down, and explains it', async () => {
    const { customerId, memberCode } = await newMember(t);
    const r = await sell(
      t,
      store,
      memberCode,
      [
        { sku: 'SN-001', quantity: 1, unitPrice: '99.90' },
        { sku: 'DR-001', quantity: 3, unitPrice: '2.50' },
      ],
      { occurredAt: THURSDAY },
    );
    expect(r.sale.points).toEqual({
      earned: 106,
      redeemed: 0,
      reversed: 0,
      lines: [
        { lineNo: 1, sku: 'SN-001', paid: '99.90', points: 99, contributions: [{ rule: '基础 1 分/元', points: 99 }] },
        { lineNo: 2, sku: 'DR-001', paid: '7.50', points: 7, contributions: [{ rule: '基础 1 分/元', points: 7 }] },
      ],
    });
    expect(await pointsOf(t, customerId)).toEqual({ balance: 106, pending: 0, lifetimeEarned: 106 });
  });

  it('gives no points to excluded categories or to customers who are not members', async () => {
    const { memberCode } = await newMember(t);
    const r = await sell(
      t,
      store,
      memberCode,
      [
        { sku: 'GF-001', quantity: 1, unitPrice: '168.00' },
        { sku: 'DR-001', quantity: 1, unitPrice: '2.00' },
      ],
      { occurredAt: THURSDAY },
    );
    expect(r.sale.points.lines.map((l: { points: number }) => l.points)).toEqual([0, 2]);
    const anonymous = await sell(t, store, null, [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }]);
    expect(anonymous.sale.points).toBeNull();
  });

  it('combines: the highest of the highest-wins rules, plus every additive one', async () => {
    const rules = [
      await createRule(t, {
        name: '零食 2 分/元',
        kind: 'BASE_RATE',
        pointsPerYuan: '2',
        combine: 'HIGHEST_WINS',
        categories: ['零食'],
      }),
      await createRule(t, { name: '加赠 0.5 分/元', kind: 'BASE_RATE', pointsPerYuan: '0.5', combine: 'ADDITIVE' }),
      await createRule(t, {
        name: '周三双倍',
        kind: 'MULTIPLIER',
        multiplier: '2',
        combine: 'ADDITIVE',
        weekdays: [3],
      }),
      await createRule(t, {
        name: '零食 3 倍',
        kind: 'MULTIPLIER',
        multiplier: '3',
        combine: 'HIGHEST_WINS',
        categories: ['零食'],
      }),
      await createRule(t, { name: '全场 1.5 倍', kind: 'MULTIPLIER', multiplier: '1.5', combine: 'HIGHEST_WINS' }),
    ];
    try {
      const { memberCode } = await newMember(t);
      const r = await sell(
        t,
        store,
        memberCode,
        [
          { sku: 'SN-002', quantity: 1, unitPrice: '10.00' },
          { sku: 'DR-004', quantity: 1, unitPrice: '10.00' },
        ],
        { occurredAt: WEDNESDAY },
      );
      const [snack, drink] = r.sale.points.lines;
      // Snack: base max(1, 2)=20 + additive 5 = 25; ×2 (additive) adds 25; ×3 beats ×1.5 and adds 50.
      expect(snack.contributions).toEqual([
        { rule: '零食 2 分/元', points: 20 },
        { rule: '加赠 0.5 分/元', points: 5 },
        { rule: '周三双倍', points: 25 },
        { rule: '零食 3 倍', points: 50 },
      ]);
      // Drink: base 10 + 5 = 15; ×2 adds 15; ×1.5 (the only highest-wins multiplier here) adds 7.
      expect(drink.contributions).toEqual([
        { rule: '基础 1 分/元', points: 10 },
        { rule: '加赠 0.5 分/元', points: 5 },
        { rule: '周三双倍', points: 15 },
        { rule: '全场 1.5 倍', points: 7 },
      ]);
      expect(r.sale.points.earned).toBe(100 + 37);
      // On a Thursday the Wednesday rule does not apply.
      const thursday = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '10.00' }], {
        occurredAt: THURSDAY,
      });
      expect(thursday.sale.points.lines[0].contributions.map((c: { rule: string }) => c.rule)).not.toContain(
        '周三双倍',
      );
    } finally {
      for (const id of rules) await setRuleActive(t, id, false);
    }
  });

  it('caps a rule per sale and per customer per business day', async () => {
    const perSale = await createRule(t, {
      name: '母婴 5 倍（每单 50 分封顶）',
      kind: 'MULTIPLIER',
      multiplier: '5',
      categories: ['母婴'],
      capPerSale: 50,
    });
    const perDay = await createRule(t, {
      name: '美妆加赠（每天 30 分封顶）',
      kind: 'BASE_RATE',
      pointsPerYuan: '1',
      combine: 'ADDITIVE',
      categories: ['美妆'],
      capPerDay: 30,
    });
    try {
      const { memberCode } = await newMember(t);
      const first = await sell(
        t,
        store,
        memberCode,
        [
          { sku: 'MB-003', quantity: 1, unitPrice: '20.00' },
          { sku: 'MB-001', quantity: 1, unitPrice: '20.00' },
        ],
        { occurredAt: THURSDAY },
      );
      // ×5 would add 80 per line; the cap lets the first line have 50 and the second none.
      expect(
        first.sale.points.lines.map(
          (l: any) => l.contributions.find((c: any) => c.rule.startsWith('母婴'))?.points ?? 0,
        ),
      ).toEqual([50, 0]);
      const day = (n: number) =>
        sell(t, store, memberCode, [{ sku: 'BT-001', quantity: 1, unitPrice: '20.00' }], {
          occurredAt: `2026-11-19T0${n}:00:00Z`,
        });
      const bonus = (r: any) =>
        r.sale.points.lines[0].contributions.find((c: any) => c.rule.startsWith('美妆'))?.points ?? 0;
      expect(bonus(await day(1))).toBe(20);
      expect(bonus(await day(2))).toBe(10);
      expect(bonus(await day(3))).toBe(0);
      // Next business day in Beijing (16:30 UTC is 00:30 on the 20th there): the cap starts again.
      const nextDay = await sell(t, store, memberCode, [{ sku: 'BT-001', quantity: 1, unitPrice: '20.00' }], {
        occurredAt: '2026-11-19T16:30:00Z',
      });
      expect(bonus(nextDay)).toBe(20);
    } finally {
      await setRuleActive(t, perSale, false);
      await setRuleActive(t, perDay, false);
    }
  });

  it('honours minimum spend, dates and the birthday month', async () => {
    const rules = [
      await createRule(t, {
        name: '满 100 加赠',
        kind: 'BASE_RATE',
        pointsPerYuan: '1',
        combine: 'ADDITIVE',
        minSpend: '100.00',
      }),
      await createRule(t, {
        name: '双十一',
        kind: 'MULTIPLIER',
        multiplier: '2',
        startsAt: '2026-11-11T00:00:00+08:00',
        endsAt: '2026-11-12T00:00:00+08:00',
      }),
      await createRule(t, {
        name: '生日月三倍',
        kind: 'MULTIPLIER',
        multiplier: '3',
        combine: 'HIGHEST_WINS',
        birthdayMonth: true,
      }),
    ];
    try {
      const { memberCode } = await newMember(t, '十一月寿星', { birthday: '1990-11-05' });
      const names = (r: any) => r.sale.points.lines[0].contributions.map((c: any) => c.rule);
      expect(
        names(
          await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '99.99' }], {
            occurredAt: THURSDAY,
          }),
        ),
      ).toEqual(['基础 1 分/元', '生日月三倍']);
      expect(
        names(
          await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '100.00' }], {
            occurredAt: '2026-11-11T10:00:00+08:00',
          }),
        ),
      ).toEqual(['基础 1 分/元', '满 100 加赠', '双十一', '生日月三倍']);
      const other = await newMember(t, '五月寿星', { birthday: '1990-05-05' });
      expect(
        names(
          await sell(t, store, other.memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '10.00' }], {
            occurredAt: THURSDAY,
          }),
        ),
      ).toEqual(['基础 1 分/元']);
    } finally {
      for (const id of rules) await setRuleActive(t, id, false);
    }
  });

  it('validates rules', async () => {
    const r = await t.as('OWNER').ok(
      `mutation { createPointsRule(input: { name: "坏规则", kind: MULTIPLIER, multiplier: "1" }) { __typename
           ... on UserError { errorCode field } } }`,
    );
    expect(r.createPointsRule).toEqual({
      __typename: 'InvalidInputError',
      errorCode: 'INVALID_POINTS_RULE',
      field: ['input'],
    });
    const cashier = await t.as('CASHIER').gql(`{ pointsRules { id } }`);
    expect(cashier.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('points as payment and refunds', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    ({ t, store } = await app({ redemption: { pointsPerYuan: 100, maxShareOfSale: 0.5 } }));
    await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1' });
  });
  afterAll(() => t?.close());

  it('previewSale tells the till the points the sale earns and the most points can pay, before charging', async () => {
    const { customerId, memberCode } = await newMember(t);
    await t.as('MANAGER').ok(ADJUST, { c: customerId, p: 800, r: '开卡礼' });
    const QUOTE = `mutation($input: PreviewSaleInput!)
      { previewSale(input: $input) { ... on SaleQuote {
        total points { earned redeemed balance maxRedeemablePoints maxRedeemableAmount lines { sku points } } } } }`;
    const lines = [{ sku: 'SN-001', quantity: 3, unitPrice: '10.00' }];
    const quote = async (payments: { method: string; amount: string }[], code: string | null = memberCode) =>
      (await t.ok(QUOTE, { input: { storeId: store, memberCode: code, lines, payments } }, { apiKey: t.posKey }))
        .previewSale;

    // ¥30.00 at 1 point per yuan; half of it (¥15.00 = 1,500 points) could be paid in points, but
    // the balance covers only 800 points = ¥8.00.
    expect(await quote([])).toEqual({
      total: '30.00',
      points: {
        earned: 30,
        redeemed: 0,
        balance: 800,
        maxRedeemablePoints: 800,
        maxRedeemableAmount: '8.00',
        lines: [{ sku: 'SN-001', points: 30 }],
      },
    });
    // Paying ¥8.00 with points: 800 used, and only the ¥22.00 paid in money earns.
    const withPoints = await quote([{ method: 'POINTS', amount: '8.00' }]);
    expect(withPoints.points).toMatchObject({ earned: 22, redeemed: 800, balance: 800 });
    // Nothing was recorded by either quote; the sale then earns exactly what was quoted.
    expect(await pointsOf(t, customerId)).toMatchObject({ balance: 800 });
    const sold = await sell(t, store, memberCode, lines, { points: '8.00' });
    expect(sold.sale.points).toMatchObject({ earned: withPoints.points.earned, redeemed: 800 });
    // No member, no points.
    expect((await quote([], null)).points).toBeNull();
  });

  it('pays up to the maximum share, earns only on the money part, and refuses more than the balance', async () => {
    const { customerId, memberCode } = await newMember(t);
    await t.as('MANAGER').ok(ADJUST, { c: customerId, p: 1500, r: '开卡礼' });

    const tooMuch = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '20.00' }], {
      points: '10.01',
    });
    expect(tooMuch).toMatchObject({
      __typename: 'InvalidInputError',
      errorCode: 'POINTS_SHARE_TOO_LARGE',
      message: '积分最多抵扣订单金额的 50%（本单最多 ¥10.00）',
    });

    const ok = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '20.00' }], {
      points: '10.00',
    });
    expect(ok.sale.points).toMatchObject({ redeemed: 1000, earned: 10 });
    expect(await pointsOf(t, customerId)).toMatchObject({ balance: 1500 - 1000 + 10 });

    const before = await pointsOf(t, customerId);
    const short = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '20.00' }], {
      points: '6.00',
    });
    expect(short).toMatchObject({
      __typename: 'InvalidStateError',
      errorCode: 'INSUFFICIENT_POINTS',
      field: ['input', 'payments', '0', 'amount'],
    });
    expect(short.message).toBe('积分不足：需要 600，可用 510');
    expect(await pointsOf(t, customerId)).toEqual(before);

    const stranger = await sell(t, store, null, [{ sku: 'DR-004', quantity: 1, unitPrice: '20.00' }], {
      points: '1.00',
    });
    expect(stranger).toMatchObject({ errorCode: 'POINTS_NEED_MEMBER' });
  });

  it('takes back earned and gives back redeemed points in proportion, exactly over several refunds', async () => {
    const { customerId, memberCode } = await newMember(t);
    await t.as('MANAGER').ok(ADJUST, { c: customerId, p: 1000, r: '活动赠送' });
    const sale = await sell(
      t,
      store,
      memberCode,
      [
        { sku: 'SN-001', quantity: 3, unitPrice: '10.00' },
        { sku: 'DR-001', quantity: 1, unitPrice: '5.00' },
      ],
      { points: '7.00' },
    );
    // Paid 35.00, 7.00 of it with points: each line earns on 80 % of its total.
    expect(sale.sale.points).toMatchObject({ earned: 24 + 4, redeemed: 700 });
    expect(await pointsOf(t, customerId)).toMatchObject({ balance: 1000 - 700 + 28 });

    const manager = t.as('MANAGER');
    const one = await manager.ok(REFUND_SALE, {
      saleId: sale.sale.id,
      externalId: 'R1',
      lines: [{ lineNo: 1, quantity: 1 }],
    });
    expect(one.refundSale.__typename).toBe('RefundSalePayload');
    // 1 of 3 units: floor(24/3)=8 back; 10.00 of 35.00 refunded: floor(700 × 10/35)=200 returned.
    expect(await pointsOf(t, customerId)).toMatchObject({ balance: 328 - 8 + 200 });
    await manager.ok(REFUND_SALE, { saleId: sale.sale.id, externalId: 'R2' });
    // Everything refunded: all 28 earned taken back, all 700 redeemed returned.
    expect(await pointsOf(t, customerId)).toMatchObject({ balance: 1000 });
    const after = await t
      .as('OWNER')
      .ok(`query($id: ID!) { sale(id: $id) { points { earned reversed redeemed } } }`, { id: sale.sale.id });
    expect(after.sale.points).toEqual({ earned: 28, reversed: 28, redeemed: 700 });
    // A retried refund changes nothing.
    await manager.ok(REFUND_SALE, { saleId: sale.sale.id, externalId: 'R2' });
    expect(await pointsOf(t, customerId)).toMatchObject({ balance: 1000 });
  });

  it('lists the ledger newest first in the order entries were written, even when written together', async () => {
    const { customerId, memberCode } = await newMember(t);
    await t.as('MANAGER').ok(ADJUST, { c: customerId, p: 5000, r: '活动赠送' });
    const expected: string[] = ['ADJUST'];
    // Each sale writes REDEEM then EARN in one transaction, each full refund REVERSE (earned points
    // back) then REVERSE (redeemed points returned): the same timestamp, so only the write order
    // tells them apart. Eight rounds: ids that merely sort at random would show it.
    for (let i = 0; i < 8; i++) {
      const sale = await sell(t, store, memberCode, [{ sku: 'SN-001', quantity: 1, unitPrice: '10.00' }], {
        points: '1.00',
      });
      await t.as('MANAGER').ok(REFUND_SALE, { saleId: sale.sale.id, externalId: `R-${i}` });
      expected.push('REDEEM', 'EARN', 'REVERSE-', 'REVERSE+');
    }
    const page = await t
      .as('OWNER')
      .ok(`query($c: ID!) { pointsLedger(customerId: $c, first: 50) { edges { node { kind points } } } }`, {
        c: customerId,
      });
    const kinds = page.pointsLedger.edges.map(({ node }: { node: { kind: string; points: number } }) =>
      node.kind === 'REVERSE' ? `REVERSE${node.points < 0 ? '-' : '+'}` : node.kind,
    );
    expect(kinds).toEqual(expected.reverse());
  });

  it('explains an adjustment and refuses taking away more than the balance', async () => {
    const { customerId } = await newMember(t);
    const r = await t.as('MANAGER').ok(ADJUST, { c: customerId, p: -1, r: '纠错' });
    expect(r.adjustPoints).toMatchObject({ __typename: 'InvalidStateError', errorCode: 'INSUFFICIENT_POINTS' });
    const cashier = await t.as('CASHIER').gql(ADJUST, { c: customerId, p: 100, r: '自己加分' });
    expect(cashier.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('return window and expiry', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    ({ t, store } = await app({ pendingDays: 7, expiryMonths: 1 }));
    await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1' });
  });
  afterAll(() => t?.close());

  it('keeps points pending until the window closes, then expires them FIFO; each job is safe to rerun', async () => {
    const { customerId, memberCode } = await newMember(t);
    const now = Date.now();
    await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '50.00' }], {
      occurredAt: new Date(now - 60_000).toISOString(),
    });
    expect(await pointsOf(t, customerId)).toEqual({ balance: 0, pending: 50, lifetimeEarned: 50 });

    expect(await runJob(t, 'points.release', new Date(now + 6 * 86_400_000))).toBe(0);
    expect(await runJob(t, 'points.release', new Date(now + 8 * 86_400_000))).toBe(1);
    expect(await runJob(t, 'points.release', new Date(now + 8 * 86_400_000))).toBe(0);
    expect(await pointsOf(t, customerId)).toEqual({ balance: 50, pending: 0, lifetimeEarned: 50 });

    // Expiry is a month after the points became available (7 days after the sale).
    expect(await runJob(t, 'points.expire', new Date(now + 30 * 86_400_000))).toBe(0);
    expect(await runJob(t, 'points.expire', new Date(now + 40 * 86_400_000))).toBe(1);
    expect(await runJob(t, 'points.expire', new Date(now + 40 * 86_400_000))).toBe(0);
    expect(await pointsOf(t, customerId)).toEqual({ balance: 0, pending: 0, lifetimeEarned: 50 });

    const ledger = await t
      .as('OWNER')
      .ok(`query($c: ID!) { pointsLedger(customerId: $c, first: 10) { edges { node { kind points } } } }`, {
        c: customerId,
      });

    expect(ledger.pointsLedger.edges.map((e: any) => e.node)).toEqual([
      { kind: 'EXPIRE', points: -50 },
      { kind: 'EARN', points: 50 },
    ]);
  });

  it('names an unknown job', async () => {
    const r = await t.as('OWNER').gql(`mutation { runScheduledJob(name: "nope") { processed } }`);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'NOT_FOUND' });
  });
});
