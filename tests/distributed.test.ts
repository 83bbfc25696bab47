import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/server.ts';
import { createLogger } from '../src/logger.ts';
import { DEMO_ACCOUNTS, DEMO_POS_KEY, seedDemoData } from '../src/demo/seed.ts';
import { createTestDatabase, postgresUrl, redisUrl, type TestDatabase } from './helpers/database.ts';
import { startApiProcess, type ApiProcess } from './helpers/process.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { subscribe, wsClient } from './helpers/ws.ts';
import { SMALL_DEMO, startTestApp, type TestApp } from './helpers/app.ts';
import { createServer } from 'node:net';

// Two API processes on one PostgreSQL and one Redis: what one commits, the other's subscribers see.
describe.skipIf(!postgresUrl || !redisUrl)('several API processes (PostgreSQL + Redis)', () => {
  let db: TestDatabase;
  let other: ApiProcess;
  const jwtSecret = randomBytes(32).toString('hex');
  const prefix = `test:${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await seedDemoData(db.database.prisma, SMALL_DEMO);
    other = await startApiProcess({
      DATABASE_URL: db.url!,
      REDIS_URL: redisUrl,
      REDIS_CHANNEL_PREFIX: prefix,
      JWT_SECRET: jwtSecret,
      DEMO_DATA: 'off',
    });
  });
  afterAll(async () => {
    await other?.stop();
    await db?.drop();
  });

  it('a subscriber on one process receives a sale recorded through another', async () => {
    const here = await createApp({
      database: db.database,
      jwtSecret,
      logger: createLogger('silent'),
      redisUrl,
      redisChannelPrefix: prefix,
    });
    await here.services.events.ready();
    try {
      const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
      const call = async (query: string, variables: object, headers: Record<string, string> = {}) =>
        (await (
          await here.yoga.fetch('http://test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ query, variables }),
          })
        ).json()) as any;
      const signIn = await call(
        `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } } }`,
        { l: owner.login, p: owner.password },
      );
      const token = signIn.data.signIn.token;
      const stores = await call(`{ stores { id code } }`, {}, { authorization: `Bearer ${token}` });
      const slt = stores.data.stores.find((s: { code: string }) => s.code === 'BJ-SLT').id;

      // The token was issued by this process; the other process accepts it (shared JWT_SECRET).
      const client = wsClient(`ws://127.0.0.1:${other.port}/graphql`, { authorization: `Bearer ${token}` });
      const sub = subscribe(client, `subscription($s: [ID!]) { saleRecorded(storeIds: $s) { externalId total } }`, {
        s: [slt],
      });
      await new Promise((r) => setTimeout(r, 300));

      const externalId = uniqueId('X');
      const recorded = await call(
        RECORD_SALE,
        {
          input: {
            storeId: slt,
            externalId,
            lines: [{ sku: 'DR-002', quantity: 2 }],
            payments: [{ method: 'WECHAT_PAY', amount: '11.00' }],
          },
        },
        { 'x-api-key': DEMO_POS_KEY },
      );
      expect(recorded.data.recordSale.__typename).toBe('RecordSalePayload');

      const event = await sub.next(5000);
      expect(event.data).toEqual({ saleRecorded: { externalId, total: '11.00' } });
      sub.close();
      await client.dispose();
    } finally {
      await here.close();
    }
  });

  // Each process caches products and API keys; a change committed through one reaches the other's cache through Redis.
  it('a price change and a key revocation made through one process hold at once in the other', async () => {
    const here = await createApp({
      database: db.database,
      jwtSecret,
      logger: createLogger('silent'),
      redisUrl,
      redisChannelPrefix: prefix,
    });
    await here.services.events.ready();
    try {
      const local = async (query: string, variables: object, headers: Record<string, string> = {}) =>
        (await (
          await here.yoga.fetch('http://test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ query, variables }),
          })
        ).json()) as any;
      const remote = async (query: string, variables: object, headers: Record<string, string> = {}) =>
        (await (
          await fetch(`http://127.0.0.1:${other.port}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ query, variables }),
          })
        ).json()) as any;
      const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
      const token = (
        await local(
          `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } } }`,
          { l: owner.login, p: owner.password },
        )
      ).data.signIn.token;
      const auth = { authorization: `Bearer ${token}` };
      const slt = (await local(`{ stores { id code } }`, {}, auth)).data.stores.find(
        (s: { code: string }) => s.code === 'BJ-SLT',
      ).id;
      const key = (
        await local(
          `mutation($s: [ID!]!) { createApiKey(name: "两进程", role: CASHIER, storeIds: $s) {
             ... on CreateApiKeyPayload { key apiKey { id } } } }`,
          { s: [slt] },
          auth,
        )
      ).data.createApiKey;
      const saleThere = (amount: string, apiKey: string) =>
        remote(
          RECORD_SALE,
          {
            input: {
              storeId: slt,
              externalId: uniqueId('X'),
              lines: [{ sku: 'DR-001', quantity: 1 }],
              payments: [{ method: 'CASH', amount }],
            },
          },
          { 'x-api-key': apiKey },
        );

      // The other process reads the product and the key once, and keeps them.
      await local(`mutation { updateProduct(sku: "DR-001", input: { price: "4.00" }) { __typename } }`, {}, auth);
      expect((await saleThere('4.00', key.key)).data.recordSale.__typename).toBe('RecordSalePayload');
      expect((await saleThere('4.00', key.key)).data.recordSale.__typename).toBe('RecordSalePayload');

      await local(`mutation { updateProduct(sku: "DR-001", input: { price: "4.20" }) { __typename } }`, {}, auth);
      const afterChange = await waitFor(
        async () => (await saleThere('4.20', key.key)).data.recordSale,
        (r) => r.__typename === 'RecordSalePayload',
      );
      expect(afterChange.sale.total).toBe('4.20');

      await local(`mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: key.apiKey.id }, auth);
      const refused = await waitFor(
        () => saleThere('4.20', key.key),
        (r) => r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
      );
      expect(refused.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    } finally {
      await here.close();
    }
  });
});

/** A port nothing listens on: Redis "down". */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// Redis unreachable (tests/faults/outages-redis.test.ts kills a real one under load): the process
// still starts, sells and answers readiness, and its own subscribers still hear its sales.
describe('Redis configured but unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ redisUrl: `redis://127.0.0.1:${await deadPort()}` });
  });
  afterAll(() => t?.close());

  it('a sale is recorded at once and announced in this process; readiness says Redis is down', async () => {
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'degraded',
      database: 'up',
      redis: 'down',
      replica: 'not configured',
    });
    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const client = wsClient(`${base.replace('http', 'ws')}/graphql`, {
      authorization: `Bearer ${await t.token('OWNER')}`,
    });
    const sub = subscribe(client, `subscription($s: [ID!]) { saleRecorded(storeIds: $s) { externalId } }`, {
      s: [store],
    });
    await new Promise((r) => setTimeout(r, 300));
    const externalId = uniqueId('NOREDIS');
    const sold = await t.gql(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId,
          lines: [{ sku: 'DR-002', quantity: 1 }],
          payments: [{ method: 'CASH', amount: '5.50' }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(sold.data.recordSale.__typename).toBe('RecordSalePayload');
    expect((await sub.next(5000)).data).toEqual({ saleRecorded: { externalId } });
    sub.close();
    await client.dispose();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^storecrm_dependency_up\{dependency="redis"\} 0$/m);
    expect(metrics).toMatch(/^storecrm_events_unshared_total [1-9]/m);
  });
});

/**
 * Retries `attempt` until `done` holds, for at most one second: the time allowed for an event to
 * cross Redis. Without the cross-process invalidation the cached value would last five minutes.
 */
async function waitFor<T>(attempt: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 1000;
  for (;;) {
    const value = await attempt();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}
