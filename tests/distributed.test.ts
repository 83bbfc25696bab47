import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/server.ts';
import { createLogger } from '../src/logger.ts';
import { DEMO_ACCOUNTS, DEMO_POS_KEY, seedDemoData } from '../src/demo/seed.ts';
import { createTestDatabase, postgresUrl, redisUrl, type TestDatabase } from './helpers/database.ts';
import { startApiProcess, type ApiProcess } from './helpers/process.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { subscribe, wsClient } from './helpers/ws.ts';
import { SMALL_DEMO } from './helpers/app.ts';

// Two API processes on one PostgreSQL and one Redis: what one commits, the other's subscribers see.
describe.skipIf(!postgresUrl || !redisUrl)('several API processes (PostgreSQL + Redis)', () => {
  let db: TestDatabase;
  let other: ApiProcess;
  const jwtSecret = randomBytes(32).toString('hex');
  const prefix = `test:${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await seedDemoData(db.database.prisma, SMALL_DEMO);
    other = await startApiProcess({ DATABASE_URL: db.url!, REDIS_URL: redisUrl, REDIS_CHANNEL_PREFIX: prefix, JWT_SECRET: jwtSecret, DEMO_DATA: 'off' });
  });
  afterAll(async () => {
    await other?.stop();
    await db?.drop();
  });

  it('a subscriber on one process receives a sale recorded through another', async () => {
    const here = await createApp({ database: db.database, jwtSecret, logger: createLogger('silent'), redisUrl, redisChannelPrefix: prefix });
    await here.services.events.ready();
    try {
      const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
      const call = async (query: string, variables: object, headers: Record<string, string> = {}) =>
        (await (await here.yoga.fetch('http://test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) })).json()) as any;
      const signIn = await call(`mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } } }`, { l: owner.login, p: owner.password });
      const token = signIn.data.signIn.token;
      const stores = await call(`{ stores { id code } }`, {}, { authorization: `Bearer ${token}` });
      const slt = stores.data.stores.find((s: { code: string }) => s.code === 'BJ-SLT').id;

      // The token was issued by this process; the other process accepts it (shared JWT_SECRET).
      const client = wsClient(`ws://127.0.0.1:${other.port}/graphql`, { authorization: `Bearer ${token}` });
      const sub = subscribe(client, `subscription($s: [ID!]) { saleRecorded(storeIds: $s) { externalId total } }`, { s: [slt] });
      await new Promise((r) => setTimeout(r, 300));

      const externalId = uniqueId('X');
      const recorded = await call(RECORD_SALE, { input: { storeId: slt, externalId, lines: [{ sku: 'DR-002', quantity: 2 }], payments: [{ method: 'WECHAT_PAY', amount: '11.00' }] } }, { 'x-api-key': DEMO_POS_KEY });
      expect(recorded.data.recordSale.__typename).toBe('RecordSalePayload');

      const event = await sub.next(5000);
      expect(event.data).toEqual({ saleRecorded: { externalId, total: '11.00' } });
      sub.close();
      await client.dispose();
    } finally {
      await here.close();
    }
  });
});
