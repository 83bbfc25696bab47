import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POS_KEY } from '../../src/demo/seed.ts';
import plugins from '../../plugins/config.ts';
import { seedDemoData } from '../../src/demo/seed.ts';
import { SMALL_DEMO } from '../helpers/app.ts';
import { createTestDatabase, postgresUrl, type TestDatabase } from '../helpers/database.ts';
import { startApiProcess, type ApiProcess } from '../helpers/process.ts';
import { subscribe, wsClient } from '../helpers/ws.ts';
import { gql, post, prepareSelling, SALE, saleInput } from './api-process.ts';
import { ownRedis, sql, type OwnRedis } from './servers.ts';

const SALE_AT_LIST_PRICE = `mutation($input: RecordSaleInput!)
  { recordSale(input: $input) { __typename ... on RecordSalePayload { sale { total } }
    ... on UserError { errorCode message } } }`;
const PRICE = `mutation($sku: String!, $price: Money!)
  { updateProduct(sku: $sku, input: { price: $price }) { __typename } }`;
const SALES_FEED = `subscription($s: [ID!]) { saleRecorded(storeIds: $s) { externalId } }`;

/**
 * Redis carries events and cache invalidations between API processes; it must never decide
 * whether a till can sell. Two API processes on one database and a Redis of the test's own, which
 * the test kills under a sales load and starts again; then a third process started while Redis is
 * down. Two processes cannot share the embedded database, so this runs once, in the PostgreSQL
 * pass (DATABASE_URL set), on a database of its own on that server, which it never stops.
 */
describe.skipIf(!process.env.DATABASE_URL || !postgresUrl)('Redis outages', () => {
  let redis: OwnRedis;
  let url: string;
  let db: TestDatabase;
  const processes: ApiProcess[] = [];
  let a: ApiProcess;
  let b: ApiProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await ownRedis();
    await redis.start();
    // Migrated and seeded here (a small demo), so the processes only start.
    db = await createTestDatabase(
      'postgres',
      plugins.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
    );
    await seedDemoData(db.database.prisma, SMALL_DEMO);
    url = db.url!;
    env = {
      DATABASE_URL: url,
      REDIS_URL: redis.url,
      REDIS_CHANNEL_PREFIX: `faults:${randomBytes(4).toString('hex')}:`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DB_POOL_SIZE: '4',
      DEMO_DATA: 'off',
    };
    [a, b] = await Promise.all([startApiProcess(env, 120_000), startApiProcess(env, 120_000)]);
    processes.push(a, b);
  });
  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await redis?.kill();
    await db?.drop();
  });

  const readyz = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const waitForRedis = async (port: number, state: 'up' | 'down') => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await readyz(port);
      if (r.body.redis === state || Date.now() > deadline) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('sells on both processes while Redis is killed and restarted; changes made meanwhile hold in both', async () => {
    const { store, sku, token } = await prepareSelling(a.port);
    const listPriceSku = 'DR-001';
    await prepareSelling(a.port, listPriceSku);
    const atListPrice = (port: number, amount: string, apiKey = DEMO_POS_KEY) =>
      post(
        port,
        {
          query: SALE_AT_LIST_PRICE,
          variables: {
            input: {
              storeId: store,
              externalId: `LIST-${randomBytes(6).toString('hex')}`,
              lines: [{ sku: listPriceSku, quantity: 1 }],
              payments: [{ method: 'CASH', amount }],
            },
          },
        },
        apiKey,
      );
    // A key for a till, used on B so that B caches it.
    const key = (
      await gql(
        a.port,
        `mutation($s: [ID!]!) { createApiKey(name: "断线测试", role: CASHIER, storeIds: $s) {
           ... on CreateApiKeyPayload { key apiKey { id } } } }`,
        { s: [store] },
        token,
      )
    ).data.createApiKey;
    expect((await gql(a.port, PRICE, { sku: listPriceSku, price: '4.00' }, token)).data.updateProduct.__typename).toBe(
      'Product',
    );
    for (const port of [b.port, b.port]) {
      expect((await atListPrice(port, '4.00', key.key)).json.data.recordSale.sale.total).toBe('4.00');
    }

    // A dashboard on B follows the store's sales.
    const client = wsClient(`ws://127.0.0.1:${b.port}/graphql`, { authorization: `Bearer ${token}` });
    const feed = subscribe<{ saleRecorded: { externalId: string } }>(client, SALES_FEED, { s: [store] });
    await new Promise((r) => setTimeout(r, 300));

    // Six tills, alternating between the two processes, never stop selling.
    const acknowledged: string[] = [];
    const failed: { externalId: string; answer: unknown }[] = [];
    let stop = false;
    let n = 0;
    const till = async (t: number) => {
      while (!stop) {
        const externalId = `REDIS-${t}-${++n}`;
        const port = n % 2 ? a.port : b.port;
        try {
          const r = await post(
            port,
            { query: SALE, variables: { input: saleInput(store, sku, externalId) } },
            DEMO_POS_KEY,
            15_000,
          );
          if (r.json?.data?.recordSale?.__typename === 'RecordSalePayload') acknowledged.push(externalId);
          else failed.push({ externalId, answer: r.json ?? r.status });
        } catch (error) {
          failed.push({ externalId, answer: String(error) });
        }
      }
    };
    const tills = Array.from({ length: 6 }, (_, t) => till(t));
    const waitForSales = async (count: number) => {
      const target = acknowledged.length + count;
      while (acknowledged.length < target && !failed.length) await new Promise((r) => setTimeout(r, 20));
    };
    await waitForSales(20);

    // Redis dies under the load.
    await redis.kill();
    for (const p of [a, b]) {
      const r = await waitForRedis(p.port, 'down');
      // Still in rotation: the database answers, only the shared part is degraded.
      expect(r).toEqual({
        status: 200,
        body: { status: 'degraded', database: 'up', redis: 'down', replica: 'not configured' },
      });
    }
    await waitForSales(30);

    // During the outage: a price change and a key revocation through A hold on B at once.
    await gql(a.port, PRICE, { sku: listPriceSku, price: '4.60' }, token);
    expect((await atListPrice(b.port, '4.60', key.key)).json.data.recordSale.sale.total).toBe('4.60');
    await gql(a.port, `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: key.apiKey.id }, token);
    expect((await atListPrice(b.port, '4.60', key.key)).json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const metrics = await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text();
    expect(metrics).toMatch(/^storecrm_dependency_up\{dependency="redis"\} 0$/m);
    expect(metrics).toMatch(/^storecrm_events_unshared_total [1-9]/m);

    // Redis comes back (empty): both processes reconnect by themselves.
    await redis.start();
    for (const p of [a, b]) {
      expect(await waitForRedis(p.port, 'up')).toEqual({
        status: 200,
        body: { status: 'ready', database: 'up', redis: 'up', replica: 'not configured' },
      });
    }
    await waitForSales(30);
    stop = true;
    await Promise.all(tills);
    expect(failed).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(80);

    // Events flow between the processes again: B's dashboard, subscribed before the outage, hears a sale made on A.
    const marker = `AFTER-${randomBytes(4).toString('hex')}`;
    expect(
      (await post(a.port, { query: SALE, variables: { input: saleInput(store, sku, marker) } }, DEMO_POS_KEY)).json.data
        .recordSale.__typename,
    ).toBe('RecordSalePayload');
    let heard = false;
    for (const deadline = Date.now() + 10_000; !heard && Date.now() < deadline; ) {
      const event = await feed.next(10_000);
      heard = event.data?.saleRecorded.externalId === marker;
    }
    expect(heard).toBe(true);
    feed.close();
    await client.dispose();

    // …and cache invalidations too: B caches the price again, and A's next change reaches it.
    expect((await atListPrice(b.port, '4.60')).json.data.recordSale.sale.total).toBe('4.60');
    expect((await atListPrice(b.port, '4.60')).json.data.recordSale.sale.total).toBe('4.60');
    await gql(a.port, PRICE, { sku: listPriceSku, price: '4.80' }, token);
    let answer: any = null;
    for (const deadline = Date.now() + 2_000; answer?.sale?.total !== '4.80' && Date.now() < deadline; ) {
      answer = (await atListPrice(b.port, '4.80')).json.data.recordSale;
    }
    expect(answer.sale?.total, JSON.stringify(answer)).toBe('4.80');

    // Every acknowledged sale is in the database; neither process crashed or logged an unhandled error.
    const [{ count }] = await sql(url, `SELECT count(*)::int AS count FROM "Sale" WHERE "externalId" = ANY($1)`, [
      acknowledged,
    ]);
    expect(count).toBe(acknowledged.length);
    for (const p of [a, b]) {
      expect(p.child.exitCode).toBeNull();
      expect(p.output()).toContain('Redis unreachable');
      expect(p.output()).toContain('Redis reachable again');
      expect(p.output()).not.toMatch(/unhandled promise rejection|uncaught exception/);
    }
  });

  it('notices a Redis that stops answering without closing its connections, and keeps selling', async () => {
    const { store, sku, token } = await prepareSelling(a.port, 'DR-002');
    const atListPrice = (port: number, amount: string) =>
      post(
        port,
        {
          query: SALE_AT_LIST_PRICE,
          variables: {
            input: {
              storeId: store,
              externalId: `FROZEN-${randomBytes(6).toString('hex')}`,
              lines: [{ sku, quantity: 1 }],
              payments: [{ method: 'CASH', amount }],
            },
          },
        },
        DEMO_POS_KEY,
      );
    await gql(a.port, PRICE, { sku, price: '6.00' }, token);
    expect((await atListPrice(b.port, '6.00')).json).toMatchObject({
      data: { recordSale: { sale: { total: '6.00' } } },
    }); // B caches it

    redis.freeze(); // SIGSTOP: connections stay open, nothing answers (as behind a network partition)
    try {
      // Sales go on meanwhile: a publish that gets no answer never holds a sale.
      expect((await atListPrice(a.port, '6.00')).json).toMatchObject({
        data: { recordSale: { sale: { total: '6.00' } } },
      });
      // Each process notices by itself (its heartbeat: no readiness probe asked yet) within a few seconds.
      for (const p of [a, b]) {
        const deadline = Date.now() + 15_000;
        while (!p.output().includes('Redis does not answer') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        expect(p.output()).toContain('Redis does not answer: reconnecting');
      }
      await gql(a.port, PRICE, { sku, price: '6.30' }, token);
      expect((await atListPrice(b.port, '6.30')).json).toMatchObject({
        data: { recordSale: { sale: { total: '6.30' } } },
      });
      expect((await readyz(b.port)).body).toMatchObject({ status: 'degraded', redis: 'down' });
    } finally {
      redis.thaw();
    }
    for (const p of [a, b]) expect((await waitForRedis(p.port, 'up')).body.status).toBe('ready');
  });

  it('starts and sells while Redis is down, and shares events once Redis is up', async () => {
    await redis.kill();
    const c = await startApiProcess(env, 120_000);
    processes.push(c);
    expect(c.output()).toContain('Redis is not reachable at start');
    expect(await readyz(c.port)).toEqual({
      status: 200,
      body: { status: 'degraded', database: 'up', redis: 'down', replica: 'not configured' },
    });
    const { store, sku, token } = await prepareSelling(c.port);
    const sold = await post(
      c.port,
      { query: SALE, variables: { input: saleInput(store, sku, `DOWN-${randomBytes(4).toString('hex')}`) } },
      DEMO_POS_KEY,
    );
    expect(sold.json.data.recordSale.__typename).toBe('RecordSalePayload');

    await redis.start();
    for (const p of [a, c]) expect((await waitForRedis(p.port, 'up')).body.redis).toBe('up');
    const client = wsClient(`ws://127.0.0.1:${c.port}/graphql`, { authorization: `Bearer ${token}` });
    const feed = subscribe<{ saleRecorded: { externalId: string } }>(client, SALES_FEED, { s: [store] });
    await new Promise((r) => setTimeout(r, 300));
    const marker = `UP-${randomBytes(4).toString('hex')}`;
    await post(a.port, { query: SALE, variables: { input: saleInput(store, sku, marker) } }, DEMO_POS_KEY);
    expect((await feed.next(10_000)).data?.saleRecorded.externalId).toBe(marker);
    feed.close();
    await client.dispose();
    expect(c.output()).not.toMatch(/unhandled promise rejection|uncaught exception/);
  });
});
