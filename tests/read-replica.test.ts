import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { DEMO_ACCOUNTS, DEMO_POS_KEY, seedDemoData } from '../src/demo/seed.ts';
import { createLogger } from '../src/logger.ts';
import { createApp, type App } from '../src/server.ts';
import { SMALL_DEMO } from './helpers/app.ts';
import { createTestDatabase, postgresUrl, type TestDatabase } from './helpers/database.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

/**
 * DATABASE_REPLICA_URL: reports and exports read the replica, everything else the primary.
 * The "replica" here is a copy of the primary taken before the test writes, standing in for a
 * replica that has not caught up yet: what a query returns shows which database it read.
 */
describe.skipIf(!postgresUrl)('analytics on a read replica (PostgreSQL)', () => {
  let primary: TestDatabase;
  let database: Database;
  let app: App;
  let base: string;
  const replicaName = `storecrm_test_replica_${randomBytes(6).toString('hex')}`;
  const replicaUrl = (() => {
    const u = new URL(postgresUrl || 'postgres://localhost/x');
    u.pathname = `/${replicaName}`;
    return u.toString();
  })();
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: postgresUrl });
    await c.connect();
    await c.query(sql);
    await c.end();
  };

  beforeAll(async () => {
    primary = await createTestDatabase('postgres');
    await seedDemoData(primary.database.prisma, SMALL_DEMO);
    await primary.database.close(); // a template database must have no sessions
    await admin(`CREATE DATABASE ${replicaName} TEMPLATE ${new URL(primary.url!).pathname.slice(1)}`);
    database = await openDatabase({ url: primary.url!, replicaUrl });
    app = await createApp({ database, jwtSecret: randomBytes(32).toString('hex'), logger: createLogger('silent') });
    base = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await primary?.drop();
    await admin(`DROP DATABASE IF EXISTS ${replicaName} WITH (FORCE)`);
  });

  const gql = async (query: string, variables: object, headers: Record<string, string>) =>
    (await (
      await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      })
    ).json()) as any;

  it('reads reports and exports from the replica, and sales and look-ups from the primary', async () => {
    const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
    const signIn = await gql(
      `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } } }`,
      { l: owner.login, p: owner.password },
      {},
    );
    const auth = { authorization: `Bearer ${signIn.data.signIn.token}` };
    const store = (await gql(`{ stores { id code } }`, {}, auth)).data.stores.find(
      (s: { code: string }) => s.code === 'BJ-SLT',
    ).id;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const report = async () =>
      (
        await gql(
          `query($s: ID!, $d: Date!) { salesByDay(storeId: $s, from: $d, to: $d) { saleCount } }`,
          { s: store, d: today },
          auth,
        )
      ).data.salesByDay[0].saleCount;
    const before = await report();

    const externalId = uniqueId('R');
    const recorded = await gql(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId,
          lines: [{ sku: 'DR-002', quantity: 1 }],
          payments: [{ method: 'CASH', amount: '5.50' }],
        },
      },
      { 'x-api-key': DEMO_POS_KEY },
    );
    const saleId = recorded.data.recordSale.sale.id;
    // The sale is on the primary, and read back from it at once…
    expect(
      (await gql(`query($id: ID!) { node(id: $id) { ... on Sale { externalId } } }`, { id: saleId }, auth)).data.node,
    ).toEqual({ externalId });
    // …while the report reads the replica, which has not seen it.
    expect(await report()).toBe(before);

    const created = await gql(
      `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename ... on Customer { id } } }`,
      { i: { name: '复制延迟', phone: '13912345678' } },
      auth,
    );
    expect(created.data.createCustomer.__typename).toBe('Customer');
    const csv = await (await fetch(`${base}/exports/customers.csv?query=13912345678`, { headers: auth })).text();
    expect(csv.trim().split('\n')).toHaveLength(1); // the header only: the export reads the replica

    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'up', redis: 'not configured', replica: 'up' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^storecrm_db_pool_connections\{pool="replica",state="total"\} [1-9]/m);
  });
});
