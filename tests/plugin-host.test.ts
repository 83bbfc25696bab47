import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, PluginConfigError, PluginHost } from '../src/plugin-host/host.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { rawId, RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { roundDownPlugin } from './fixtures/round-down-plugin.ts';

describe('a plugin from outside src/', () => {
  let t: TestApp;
  const { plugin, committed } = roundDownPlugin({ bigSpenderFrom: '100.00' });
  beforeAll(async () => {
    t = await startTestApp({ plugins: [plugin] });
  });
  afterAll(() => t?.close());

  it('adds a field to a core type', async () => {
    const data = await t.as('OWNER').ok(`{ customers(first: 5) { edges { node { lifetimeSpend isBigSpender } } } }`);
    for (const { node } of data.customers.edges) expect(node.isBigSpender).toBe(Number(node.lifetimeSpend) >= 100);
  });

  it('adjusts the sale inside the pipeline and hears about it only after commit', async () => {
    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const input = {
      storeId: store,
      externalId: uniqueId(),
      lines: [{ sku: 'DR-002', quantity: 1, unitPrice: '12.34' }],
      payments: [{ method: 'CASH', amount: '12.00' }],
    };
    const r = await t.ok(RECORD_SALE, { input }, { apiKey: t.posKey });
    expect(r.recordSale.sale).toMatchObject({ total: '12.00', discountTotal: '0.34' });
    expect(committed).toEqual([rawId(r.recordSale.sale.id)]);

    const failing = await t.ok(
      RECORD_SALE,
      { input: { ...input, externalId: uniqueId(), payments: [{ method: 'CASH', amount: '12.34' }] } },
      { apiKey: t.posKey },
    );
    expect(failing.recordSale.errorCode).toBe('PAYMENT_MISMATCH');
    expect(committed).toHaveLength(1);
  });
});

describe('without the plugin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ seed: false });
  });
  afterAll(() => t?.close());

  it('its schema is gone and core still answers', async () => {
    const r = await t.gql(`{ customers(first: 1) { edges { node { isBigSpender } } } }`);
    expect(r.errors?.[0]?.message).toMatch(/Cannot query field "isBigSpender" on type "Customer"/);
    expect((await t.gql(`{ viewer { kind } }`)).data).toEqual({ viewer: { kind: 'anonymous' } });
  });
});

describe('plugin order and dependencies', () => {
  it('orders plugins after what they depend on', () => {
    const tiers = definePlugin({ name: 'tiers', dependsOn: ['points'] });
    const points = definePlugin({ name: 'points' });
    expect(new PluginHost([tiers, points]).plugins.map((p) => p.name)).toEqual(['points', 'tiers']);
  });

  it('names a missing dependency and a circle', () => {
    expect(() => new PluginHost([definePlugin({ name: 'tiers', dependsOn: ['points'] })])).toThrow(
      new PluginConfigError('Plugin "tiers" needs plugin "points", which is not installed.'),
    );
    const a = definePlugin({ name: 'a', dependsOn: ['b'] });
    const b = definePlugin({ name: 'b', dependsOn: ['a'] });
    expect(() => new PluginHost([a, b])).toThrow(/in a circle: a \(after b\); b \(after a\)/);
    const c = definePlugin({ name: 'c', runsAfter: ['d'] });
    const d = definePlugin({ name: 'd', runsAfter: ['c'] });
    expect(() => new PluginHost([c, d])).toThrow(/in a circle: c \(after d\); d \(after c\)/);
  });

  it('orders by runsAfter and runsBefore, then by name, never by the order of the list', () => {
    const campaigns = definePlugin({ name: 'campaigns', runsAfter: ['tiers', 'not-installed'] });
    const tiers = definePlugin({ name: 'tiers', dependsOn: ['points'] });
    const points = definePlugin({ name: 'points' });
    const audit = definePlugin({ name: 'zz-audit', runsBefore: ['points'] });
    const rfm = definePlugin({ name: 'rfm' });
    const lists = [
      [campaigns, tiers, points, audit, rfm],
      [rfm, audit, points, tiers, campaigns],
      [points, rfm, campaigns, audit, tiers],
    ];
    for (const list of lists) {
      expect(new PluginHost(list).plugins.map((p) => p.name)).toEqual([
        'rfm',
        'zz-audit',
        'points',
        'tiers',
        'campaigns',
      ]);
    }
  });
});
