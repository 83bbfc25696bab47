import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand, RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { sseSubscribe } from './helpers/sse.ts';
import { subscribe, wsClient, openSubscriptions, untilOpenSubscriptions } from './helpers/ws.ts';
import { fieldProbePlugin } from './fixtures/field-probe-plugin.ts';

const SALE_RECORDED = `subscription($stores: [ID!]) { saleRecorded(storeIds: $stores)
  { id externalId total store { code } lines { sku quantity } } }`;

describe('subscriptions over graphql-ws', () => {
  let t: TestApp;
  let url: string;
  const clients: Client[] = [];
  const client = async (params: Record<string, unknown>) => {
    const c = wsClient(url, params);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp();
    const port = await t.app.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.close();
  });

  const sale = (storeId: string, externalId = uniqueId()) => ({
    storeId,
    externalId,
    lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
    payments: [{ method: 'CASH', amount: '2.00' }],
  });

  it('delivers sales of the subscribed stores only, after commit', async () => {
    const [slt, wdk] = [t.stores.find((s) => s.code === 'BJ-SLT')!.id, t.stores.find((s) => s.code === 'BJ-WDK')!.id];
    const sub = subscribe(await client({ authorization: `Bearer ${await t.token('OWNER')}` }), SALE_RECORDED, {
      stores: [slt],
    });
    await new Promise((r) => setTimeout(r, 200)); // let the subscription register

    await t.as('OWNER').ok(RECORD_SALE, { input: sale(wdk) });
    const mine = sale(slt);
    await t.as('OWNER').ok(RECORD_SALE, { input: mine });
    const event = await sub.next();
    expect(event.errors).toBeUndefined();
    expect(event.data!.saleRecorded).toMatchObject({
      externalId: mine.externalId,
      total: '2.00',
      store: { code: 'BJ-SLT' },
      lines: [{ sku: 'DR-001', quantity: 1 }],
    });

    // A sale that fails (and rolls back) is never announced.
    const failed = await t.as('OWNER').ok(RECORD_SALE, {
      input: {
        ...sale(slt),
        lines: [{ sku: 'DR-001', quantity: 99_999, unitPrice: '2.00' }],
        payments: [{ method: 'CASH', amount: '199998.00' }],
      },
    });
    expect(failed.recordSale.__typename).toBe('InsufficientStockError');
    await expect(sub.next(500)).rejects.toThrow(/no subscription event/);
    sub.close();
  });

  it('reads a sale once for all its subscribers, and forgets subscribers as soon as they close', async () => {
    const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const active = () => openSubscriptions(t.app);
    const until = (check: (n: number) => boolean) => untilOpenSubscriptions(t.app, check);
    const saleReads = async (subscribers: number) => {
      const before = await active();
      const subs = await Promise.all(
        Array.from({ length: subscribers }, async () =>
          subscribe(await client({ authorization: `Bearer ${await t.token('OWNER')}` }), SALE_RECORDED, {
            stores: [slt],
          }),
        ),
      );
      await until((n) => n >= before + subscribers);
      const mine = sale(slt);
      t.db.statements.length = 0;
      await t.as('OWNER').ok(RECORD_SALE, { input: mine });
      for (const sub of subs) expect((await sub.next()).data!.saleRecorded.externalId).toBe(mine.externalId);
      for (const sub of subs) sub.close();
      await until((n) => n <= before);
      return t.db.statements.filter((s) => /FROM "public"\."Sale"/.test(s)).length;
    };
    const six = await saleReads(6);
    const afterThemClosed = await saleReads(0);
    const alone = await saleReads(0);
    expect(six).toBe(alone + 1); // one read for all six
    expect(afterThemClosed).toBe(alone); // closed subscriptions stop listening at once, not at the next event
  });

  it('refuses a cashier subscribing to another store, and anonymous callers', async () => {
    const sz = t.stores.find((s) => s.code === 'SZ-NS')!.id;
    const cashier = subscribe(await client({ authorization: `Bearer ${await t.token('CASHIER')}` }), SALE_RECORDED, {
      stores: [sz],
    });
    const denied = await cashier.next();
    expect(JSON.stringify(denied.errors)).toMatch(/FORBIDDEN|无权/);

    const anonymous = subscribe(await client({}), SALE_RECORDED, {});
    const refused = await anonymous.next();
    expect(JSON.stringify(refused.errors)).toMatch(/UNAUTHENTICATED|登录/);
  });

  it('streams stockLow over server-sent events as well', async () => {
    const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const owner = t.as('OWNER');
    const before = await onHand(t, slt, 'SN-004');
    expect(before).toBeGreaterThan(0);
    // One unit sold takes the product from just above its reorder point to on it.
    await owner.ok(
      `mutation($s: ID!, $p: Int!) { setReorderPoint(storeId: $s, sku: "SN-004", reorderPoint: $p) { __typename } }`,
      { s: slt, p: before - 1 },
    );
    const sub = await sseSubscribe(
      t,
      `subscription($s: ID!) { stockLow(storeId: $s) { sku onHand reorderPoint } }`,
      { s: slt },
      { token: await t.token('MANAGER') },
    );
    await owner.ok(RECORD_SALE, {
      input: {
        ...sale(slt),
        lines: [{ sku: 'SN-004', quantity: 1, unitPrice: '6.50' }],
        payments: [{ method: 'CASH', amount: '6.50' }],
      },
    });
    const payload = await sub.next(5000);
    await sub.close();
    expect(payload.data.stockLow).toEqual({ sku: 'SN-004', onHand: before - 1, reorderPoint: before - 1 });
  });
});

describe('a sale delivered to many subscribers', () => {
  let t: TestApp;
  let url: string;
  const probe = fieldProbePlugin();
  beforeAll(async () => {
    t = await startTestApp({ plugins: [probe.plugin] });
    url = `ws://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(() => t?.close());

  it('is executed once per kind of caller, not once per subscriber', async () => {
    const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const query = `subscription($s: [ID!]) { saleRecorded(storeIds: $s) { externalId probe } }`;
    const as = async (role: 'OWNER' | 'MANAGER') => wsClient(url, { authorization: `Bearer ${await t.token(role)}` });
    const clients = [...(await Promise.all([1, 2, 3, 4, 5].map(() => as('OWNER')))), await as('MANAGER')];
    const subs = clients.map((c) => subscribe(c, query, { s: [slt] }));
    await new Promise((r) => setTimeout(r, 300));
    const externalId = uniqueId('FAN');
    await t.as('OWNER').ok(RECORD_SALE, {
      input: {
        storeId: slt,
        externalId,
        lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
        payments: [{ method: 'CASH', amount: '2.00' }],
      },
    });
    for (const sub of subs) expect((await sub.next()).data).toEqual({ saleRecorded: { externalId, probe: 'seen' } });
    // Five owners share one execution; the manager, whose roles differ, gets one of their own.
    expect(probe.resolved).toHaveLength(2);
    for (const sub of subs) sub.close();
    await Promise.all(clients.map((c) => c.dispose()));
  });
});
