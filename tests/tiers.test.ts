import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { PluginHost } from '../src/plugin-host/host.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createRule, newMember, pointsOf, runJob, sell, stockUp } from './helpers/loyalty.ts';
import { rawId, REFUND_SALE } from './helpers/queries.ts';
import { subscribe, wsClient } from './helpers/ws.ts';

const TIER = `query($id: ID!) { customer(id: $id) { tier { tier { code } graceUntil reviewAt progress { spend visits } }
  tierHistory { reason from { code } to { code } } } }`;
const DAY = 86_400_000;

async function tierApp(options: Parameters<typeof tiersPlugin>[0] = {}) {
  const t = await startTestApp({ plugins: [tiersPlugin(options), pointsPlugin({})] });
  const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  await stockUp(t, store, ['DR-004', 'SN-001']);
  await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1' });
  const create = `mutation($input: TierInput!) { createTier(input: $input) { __typename ... on UserError { errorCode } }
    }`;
  for (const input of [
    { code: 'REGULAR', name: '普通会员', rank: 0 },
    { code: 'SILVER', name: '银卡会员', rank: 1, minSpend: '500.00', discountPercent: '2', pointsMultiplier: '1.5' },
    {
      code: 'GOLD',
      name: '金卡会员',
      rank: 2,
      minSpend: '1000.00',
      minVisits: 3,
      qualifyWhen: 'ALL',
      discountPercent: '5',
      pointsMultiplier: '2',
    },
  ]) {
    expect((await t.as('OWNER').ok(create, { input })).createTier.__typename).toBe('Tier');
  }
  return { t, store };
}

describe('tiers', () => {
  let t: TestApp;
  let store: string;
  let url: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    ({ t, store } = await tierApp({ graceDays: 30, reviewMonths: 12 }));
    url = `ws://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.close();
  });

  it('upgrades right after the qualifying sale, announces it, and the next sale gets the benefits', async () => {
    const { customerId, memberCode } = await newMember(t);
    const client = wsClient(url, { authorization: `Bearer ${await t.token('MANAGER')}` });
    clients.push(client);
    const events = subscribe(
      client,
      `subscription($c: ID) { tierChanged(customerId: $c) { fromTier toTier reason } }`,
      { c: customerId },
    );
    await new Promise((r) => setTimeout(r, 200));

    const first = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '300.00' }]);
    expect(first.sale.total).toBe('300.00'); // entry tier: no discount
    expect((await events.next()).data).toEqual({
      tierChanged: { fromTier: null, toTier: 'REGULAR', reason: 'INITIAL' },
    });

    const second = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '300.00' }]);
    expect((await events.next()).data).toEqual({
      tierChanged: { fromTier: 'REGULAR', toTier: 'SILVER', reason: 'UPGRADE' },
    });
    expect(second.sale.total).toBe('300.00'); // the upgrade comes after the sale that qualified

    const third = await t.ok(
      `mutation($input: RecordSaleInput!) { recordSale(input: $input) {
         ... on RecordSalePayload { sale { total discountTotal memberBenefit { tierCode discountPercent discountAmount }
           points { earned lines { contributions { rule points } } } } } } }`,
      {
        input: {
          storeId: store,
          externalId: `T3-${customerId}`,
          memberCode,
          lines: [{ sku: 'SN-001', quantity: 1, unitPrice: '100.00' }],
          payments: [{ method: 'CASH', amount: '98.00' }],
        },
      },
      { apiKey: t.posKey },
    );
    const sale = third.recordSale.sale;
    expect(sale).toMatchObject({
      total: '98.00',
      discountTotal: '2.00',
      memberBenefit: { tierCode: 'SILVER', discountPercent: '2', discountAmount: '2.00' },
    });
    // 98 base points, and the silver multiplier ×1.5 adds 49.
    expect(sale.points.lines[0].contributions).toEqual([
      { rule: '基础 1 分/元', points: 98 },
      { rule: '会员等级 银卡会员 ×1.5', points: 49 },
    ]);
    const history = await t.as('OWNER').ok(TIER, { id: customerId });
    expect(history.customer.tierHistory).toEqual([
      { reason: 'UPGRADE', from: { code: 'REGULAR' }, to: { code: 'SILVER' } },
      { reason: 'INITIAL', from: null, to: { code: 'REGULAR' } },
    ]);
    events.close();
  });

  it('needs every threshold when a tier says ALL', async () => {
    const { customerId, memberCode } = await newMember(t);
    await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '1200.00' }]);
    expect((await t.as('OWNER').ok(TIER, { id: customerId })).customer.tier.tier.code).toBe('SILVER'); // 1 visit < 3
    await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '1.00' }]);
    await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '1.00' }]);
    expect((await t.as('OWNER').ok(TIER, { id: customerId })).customer.tier.tier.code).toBe('GOLD');
  });

  it('counts refunds against qualification and downgrades only after the grace period', async () => {
    const { customerId, memberCode } = await newMember(t);
    const big = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 2, unitPrice: '300.00' }]);
    expect((await t.as('OWNER').ok(TIER, { id: customerId })).customer.tier.tier.code).toBe('SILVER');
    await t
      .as('MANAGER')
      .ok(REFUND_SALE, { saleId: big.sale.id, externalId: 'R-big', lines: [{ lineNo: 1, quantity: 1 }] });
    const status = (await t.as('OWNER').ok(TIER, { id: customerId })).customer.tier;
    expect(status.progress.spend).toBe('300.00');

    const review = new Date(new Date(status.reviewAt).getTime() + 1000);
    expect(await runJob(t, 'tiers.review', new Date(review.getTime() - 2 * DAY))).toBe(0); // not yet due
    expect(await runJob(t, 'tiers.review', review)).toBeGreaterThanOrEqual(1); // due: grace starts
    expect(await runJob(t, 'tiers.review', review)).toBe(0); // the same moment again changes nothing
    const graced = (await t.as('OWNER').ok(TIER, { id: customerId })).customer.tier;
    expect(graced.tier.code).toBe('SILVER');
    expect(new Date(graced.graceUntil).getTime()).toBe(review.getTime() + 30 * DAY);

    expect(await runJob(t, 'tiers.review', new Date(review.getTime() + 29 * DAY))).toBe(0);
    await runJob(t, 'tiers.review', new Date(review.getTime() + 31 * DAY));
    const after = (await t.as('OWNER').ok(TIER, { id: customerId })).customer;
    expect(after.tier.tier.code).toBe('REGULAR');
    expect(after.tier.graceUntil).toBeNull();
    expect(after.tierHistory[0]).toEqual({ reason: 'DOWNGRADE', from: { code: 'SILVER' }, to: { code: 'REGULAR' } });
    expect(await runJob(t, 'tiers.review', new Date(review.getTime() + 31 * DAY))).toBe(0);
  });
});

describe('tier reviews', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    ({ t, store } = await tierApp({ reviewMonths: 6, windowMonths: 12 }));
  });
  afterAll(() => t?.close());

  it('keeps a member who still qualifies at review, until the next period', async () => {
    const { customerId, memberCode } = await newMember(t);
    await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 2, unitPrice: '300.00' }]);
    const status = (await t.as('OWNER').ok(TIER, { id: customerId })).customer.tier;
    expect(status.tier.code).toBe('SILVER');
    // Six months on, the sale is inside the 12-month window: the tier is kept for another period.
    expect(await runJob(t, 'tiers.review', new Date(status.reviewAt))).toBe(1);
    const kept = (await t.as('OWNER').ok(TIER, { id: customerId })).customer.tier;
    expect(kept.tier.code).toBe('SILVER');
    expect(kept.graceUntil).toBeNull();
    expect(new Date(kept.reviewAt).getTime()).toBeGreaterThan(new Date(status.reviewAt).getTime() + 150 * DAY);
  });
});

describe('installing and removing plugins', () => {
  it('refuses tiers without points, naming the missing plugin', () => {
    expect(() => new PluginHost([tiersPlugin()])).toThrow(
      'Plugin "tiers" needs plugin "points", which is not installed.',
    );
  });

  it('refuses invalid options with the option named', () => {
    expect(() => tiersPlugin({ graceDays: -1 })).toThrow(/Invalid options for plugin "tiers":\n {2}graceDays:/);
    expect(() => pointsPlugin({ redemption: { pointsPerYuan: 100, maxShareOfSale: 2 } })).toThrow(
      /redemption\.maxShareOfSale/,
    );
  });

  it('with tiers removed, its schema is gone while points still work', async () => {
    const t = await startTestApp({ plugins: [pointsPlugin({})] });
    try {
      const r = await t.as('OWNER').gql(`{ tiers { code } }`);
      expect(r.errors?.[0]?.message).toMatch(/Cannot query field "tiers"/);
      const c = await t.as('OWNER').gql(`{ customers(first: 1) { edges { node { tier { since } } } } }`);
      expect(c.errors?.[0]?.message).toMatch(/Cannot query field "tier" on type "Customer"/);
      const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
      await stockUp(t, store, ['DR-004']);
      await createRule(t, { name: '基础', kind: 'BASE_RATE', pointsPerYuan: '1' });
      const { customerId, memberCode } = await newMember(t);
      await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '10.00' }]);
      expect(await pointsOf(t, customerId)).toMatchObject({ balance: 10 });
      expect(rawId(customerId)).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await t.close();
    }
  });
});
