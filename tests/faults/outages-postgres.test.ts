import { randomBytes } from 'node:crypto';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugins from '../../plugins/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/setup.ts';
import { DEMO_POS_KEY, seedDemoData } from '../../src/demo/seed.ts';
import { QUEUE_SCHEMA } from '../../src/jobs/scheduler.ts';
import { SMALL_DEMO } from '../helpers/app.ts';
import { startApiProcess, type ApiProcess } from '../helpers/process.ts';
import { gql, post, prepareSelling, SALE, saleInput } from './api-process.ts';
import { ownPostgres, sql, type OwnPostgres } from './servers.ts';

const REPORT = `query($s: ID!, $d: Date!) { salesByDay(storeId: $s, from: $d, to: $d) { saleCount } }`;

/**
 * The database blinks: a PostgreSQL cluster of the test's own (initdb on a spare port) with a
 * streaming replica, which the test stops, holds back and restarts under load. These bring their
 * own servers, so they run once, in the PostgreSQL pass (DATABASE_URL set).
 */
describe.skipIf(!process.env.DATABASE_URL)('PostgreSQL and replica outages', () => {
  let primary: OwnPostgres;
  let replica: OwnPostgres;
  let api: ApiProcess;
  let store: string;
  let sku: string;
  let token: string;
  const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

  beforeAll(async () => {
    primary = await ownPostgres();
    await sql(primary.url(), 'CREATE DATABASE storecrm');
    const database = await openDatabase({ url: primary.url('storecrm') });
    await migrateDatabase(
      database,
      plugins.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
    );
    await seedDemoData(database.prisma, SMALL_DEMO);
    await database.close();
    replica = await primary.replica();
    api = await startApiProcess(
      {
        DATABASE_URL: primary.url('storecrm'),
        DATABASE_REPLICA_URL: replica.url('storecrm'),
        REPLICA_MAX_LAG_SECONDS: '1',
        REDIS_URL: '',
        DEMO_DATA: 'off',
        DB_POOL_SIZE: '6',
        JOB_POLL_SECONDS: '1',
        JWT_SECRET: randomBytes(32).toString('hex'),
      },
      120_000,
    );
    ({ store, sku, token } = await prepareSelling(api.port));
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    await replica?.remove();
    await primary?.remove();
  });

  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${api.port}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const waitForReplica = async (state: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await readyz();
      if (r.body.replica === state || Date.now() > deadline) return r;
      await new Promise((res) => setTimeout(res, 200));
    }
  };
  const report = async () => gql(api.port, REPORT, { s: store, d: today() }, token);
  const sell = async (externalId: string) =>
    (await post(api.port, { query: SALE, variables: { input: saleInput(store, sku, externalId) } }, DEMO_POS_KEY)).json;

  it('reports read the primary while the replica is stopped or lagging, the replica once it is back', async () => {
    expect(await readyz()).toEqual({
      status: 200,
      body: { status: 'ready', database: 'up', redis: 'not configured', replica: 'up' },
    });
    expect((await report()).data.salesByDay).toHaveLength(1);

    await replica.stop();
    // The first report after the stop finds the replica gone and reads the primary: an answer, not an error.
    const during = await report();
    expect(during.errors).toBeUndefined();
    const before = during.data.salesByDay[0].saleCount as number;
    expect((await sell(`REPLICA-DOWN-${randomBytes(4).toString('hex')}`)).data.recordSale.__typename).toBe(
      'RecordSalePayload',
    );
    expect((await report()).data.salesByDay[0].saleCount).toBe(before + 1); // read on the primary
    const csv = await fetch(`http://127.0.0.1:${api.port}/exports/customers.csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(csv.status).toBe(200);
    expect((await csv.text()).split('\n').length).toBeGreaterThan(SMALL_DEMO.customers);
    expect(await readyz()).toEqual({
      status: 200, // still in rotation: tills do not need the replica
      body: { status: 'degraded', database: 'up', redis: 'not configured', replica: 'down' },
    });
    expect(await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text()).toMatch(
      /^storecrm_dependency_up\{dependency="replica"\} 0$/m,
    );

    await replica.start();
    expect((await waitForReplica('up')).body).toMatchObject({ status: 'ready', replica: 'up' });

    // Replay held back: the replica falls behind; reports read the primary, which has the new sale.
    await sql(replica.url(), 'SELECT pg_wal_replay_pause()');
    const countBefore = (await report()).data.salesByDay[0].saleCount as number;
    expect((await sell(`REPLICA-LAG-${randomBytes(4).toString('hex')}`)).data.recordSale.__typename).toBe(
      'RecordSalePayload',
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await waitForReplica('lagging')).body).toEqual({
      status: 'degraded',
      database: 'up',
      redis: 'not configured',
      replica: 'lagging',
    });
    expect((await report()).data.salesByDay[0].saleCount).toBe(countBefore + 1);
    await sql(replica.url(), 'SELECT pg_wal_replay_resume()');
    expect((await waitForReplica('up')).body.status).toBe('ready');
    expect(api.output()).toContain('read replica unreachable');
    expect(api.output()).toContain('read replica lagging');
  });

  it('PostgreSQL restarted under load: retryable errors, no hung request, no lost sale, jobs resume', async () => {
    const acknowledged = new Map<string, string>(); // externalId → sale id
    const answers = new Map<string, number>(); // error code → how many
    let stop = false;
    let failure: Error | null = null;
    let n = 0;
    // A POS: sends a sale, and on a retryable error (or no answer) sends the same sale again.
    const till = async (t: number) => {
      while (!stop) {
        const externalId = `PG-${t}-${++n}`;
        for (let attempt = 0; ; attempt++) {
          const started = Date.now();
          let r: Awaited<ReturnType<typeof post>>;
          try {
            r = await post(
              api.port,
              { query: SALE, variables: { input: saleInput(store, sku, externalId) } },
              DEMO_POS_KEY,
              30_000,
            );
          } catch (error) {
            throw new Error(`no answer for ${externalId} after ${Date.now() - started} ms: ${error}`);
          }
          const sale = r.json?.data?.recordSale;
          if (sale?.__typename === 'RecordSalePayload') {
            acknowledged.set(externalId, sale.sale.id);
            break;
          }
          const code = (r.json?.errors?.[0]?.extensions?.code as string) ?? `HTTP ${r.status}`;
          answers.set(code, (answers.get(code) ?? 0) + 1);
          if (code !== 'TRY_AGAIN' || !r.json.errors[0].extensions.retryable) {
            throw new Error(`${externalId}: ${JSON.stringify(r.json)}`);
          }
          if (attempt > 200) throw new Error(`${externalId} never succeeded`);
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    };
    const tills = Array.from({ length: 6 }, (_, t) =>
      till(t).catch((error) => {
        failure ??= error;
        stop = true;
      }),
    );
    const waitForSales = async (count: number) => {
      const target = acknowledged.size + count;
      while (acknowledged.size < target && !failure) await new Promise((r) => setTimeout(r, 20));
    };
    await waitForSales(20);

    // A restart (or a failover): every session is cut, and for a moment nothing answers.
    await primary.stop();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not ready', database: 'down' });
    await new Promise((r) => setTimeout(r, 1_000));
    await primary.start();
    await waitForSales(30);
    stop = true;
    await Promise.all(tills);
    expect(failure).toBeNull();

    // Some requests met the outage, and every one of them was told to try again.
    expect(answers.get('TRY_AGAIN') ?? 0).toBeGreaterThan(0);
    expect([...answers.keys()]).toEqual(['TRY_AGAIN']);
    expect((await readyz()).body).toMatchObject({ status: 'ready', database: 'up' });

    // Every acknowledged sale is in the database, once.
    const rows = await sql(
      primary.url('storecrm'),
      `SELECT "externalId", id FROM "Sale" WHERE "externalId" = ANY($1)`,
      [[...acknowledged.keys()]],
    );
    expect(rows.length).toBe(acknowledged.size);
    for (const row of rows)
      expect(`Sale:${row.id}`).toBe(Buffer.from(acknowledged.get(row.externalId)!, 'base64').toString());

    // The job queue reconnected too: a job queued now is taken and run.
    const boss = new PgBoss({
      connectionString: primary.url('storecrm'),
      schema: QUEUE_SCHEMA,
      supervise: false,
      schedule: false,
      migrate: false,
    });
    boss.on('error', () => {});
    await boss.start();
    const jobId = await boss.send('rfm.score', {});
    await boss.stop({ graceful: false });
    const deadline = Date.now() + 20_000;
    while (!api.output().includes(jobId!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(api.output()).toMatch(new RegExp(`"job":"rfm.score","jobId":"${jobId}".*scheduled job done`));

    expect(api.child.exitCode).toBeNull();
    // The offending lines themselves, so that a failure says what went wrong.
    const broken = api
      .output()
      .split('\n')
      .filter((line) => /unhandled promise rejection|uncaught exception|"unexpected error"/.test(line));
    expect(broken).toEqual([]);
  });
});
