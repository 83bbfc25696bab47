import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, DEMO_POS_KEY, seedDemoData } from '../src/demo/seed.ts';
import { SMALL_DEMO } from './helpers/app.ts';
import { createTestDatabase, postgresUrl, redisUrl, type TestDatabase } from './helpers/database.ts';
import { startApiProcess, type ApiProcess } from './helpers/process.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { subscribe, wsClient } from './helpers/ws.ts';
import { requestOnce as call } from './helpers/http.ts';

async function pidsAnswering(port: number, tries = 12): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < tries; i++) pids.add((await call(port, '/healthz')).json.pid);
  return pids;
}

/** Like pidsAnswering, but a connection the dying process took and never answered counts as no answer. */
async function pidsAnsweringDuringFailure(port: number, tries: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < tries; i++) {
    const r = await call(port, '/healthz').catch(() => null);
    if (r) pids.add(r.json.pid);
  }
  return pids;
}

// WEB_CONCURRENCY=2 on PostgreSQL and Redis: a primary and two API processes sharing one port.
describe.skipIf(!postgresUrl || !redisUrl)('npm start with WEB_CONCURRENCY=2', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  const dataDir = mkdtempSync(join(tmpdir(), 'storecrm-cluster-'));

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await seedDemoData(db.database.prisma, SMALL_DEMO);
    // No JWT_SECRET: the primary generates one and hands it to both processes.
    api = await startApiProcess({
      DATABASE_URL: db.url!,
      REDIS_URL: redisUrl,
      REDIS_CHANNEL_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
      WEB_CONCURRENCY: '2',
      DATA_DIR: dataDir,
      DEMO_DATA: 'off',
    });
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves from two processes that share tokens, events and metrics', async () => {
    const pids = await pidsAnswering(api.port);
    expect(pids.size).toBe(2);
    expect(pids.has(api.child.pid!)).toBe(false);

    const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
    const signIn = await call(api.port, '/graphql', {
      query: `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } }
        }`,
      variables: { l: owner.login, p: owner.password },
    });
    const token = signIn.json.data.signIn.token as string;
    // Whichever process signed it, every process accepts it.
    for (let i = 0; i < 6; i++) {
      const r = await call(
        api.port,
        '/graphql',
        { query: '{ viewer { kind } }' },
        { authorization: `Bearer ${token}` },
      );
      expect(r.json.data.viewer.kind).toBe('staff');
    }
    const stores = await call(
      api.port,
      '/graphql',
      { query: '{ stores { id code } }' },
      { authorization: `Bearer ${token}` },
    );
    const slt = stores.json.data.stores.find((s: { code: string }) => s.code === 'BJ-SLT').id;

    // Four dashboards; round-robin puts them on both processes. Each hears a sale recorded on either.
    const clients = [1, 2, 3, 4].map(() =>
      wsClient(`ws://127.0.0.1:${api.port}/graphql`, { authorization: `Bearer ${token}` }),
    );
    const subs = clients.map((c) =>
      subscribe(c, `subscription($s: [ID!]) { saleRecorded(storeIds: $s) { externalId total } }`, { s: [slt] }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const metrics = await call(api.port, '/metrics');
    expect(metrics.text).toMatch(/^storecrm_websocket_connections 4$/m);

    const externalIds = [uniqueId('C1'), uniqueId('C2')];
    for (const externalId of externalIds) {
      const recorded = await call(
        api.port,
        '/graphql',
        {
          query: RECORD_SALE,
          variables: {
            input: {
              storeId: slt,
              externalId,
              lines: [{ sku: 'DR-002', quantity: 1 }],
              payments: [{ method: 'CASH', amount: '5.50' }],
            },
          },
        },
        { 'x-api-key': DEMO_POS_KEY },
      );
      expect(recorded.json.data.recordSale.__typename).toBe('RecordSalePayload');
    }
    for (const sub of subs) {
      const got = [(await sub.next(5000)).data, (await sub.next(5000)).data];
      expect(got).toEqual(externalIds.map((externalId) => ({ saleRecorded: { externalId, total: '5.50' } })));
      sub.close();
    }
    await Promise.all(clients.map((c) => c.dispose()));

    // Scrapes of the cluster count both processes' operations.
    const ops = (text: string) =>
      Number(
        /^storecrm_graphql_operations_total\{operation="Record",type="mutation",outcome="ok"\} (\d+)/m.exec(
          text,
        )?.[1] ?? 0,
      );
    expect(ops((await call(api.port, '/metrics')).text)).toBe(2);
  });

  it('replaces a process that dies, while the other keeps serving', { timeout: 90_000 }, async () => {
    const before = await pidsAnswering(api.port);
    const victim = [...before][0]!;
    const survivor = [...before][1]!;
    process.kill(victim, 'SIGKILL');
    // The survivor answers at once; the replacement joins it.
    expect(await pidsAnsweringDuringFailure(api.port, 4)).toContain(survivor);
    const deadline = Date.now() + 30_000;
    let now = new Set<number>();
    while (Date.now() < deadline) {
      now = await pidsAnsweringDuringFailure(api.port, 6);
      if (now.size === 2 && !now.has(victim)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(now.has(victim)).toBe(false);
    expect(now.size).toBe(2);
    expect(api.output()).toMatch(/"signal":"SIGKILL".*"API process exited; starting another"/);
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    await api.stop();
    expect(api.child.exitCode).toBe(0);
  });
});

describe('WEB_CONCURRENCY without a PostgreSQL server', () => {
  it('refuses to start, naming what is missing', async () => {
    await expect(startApiProcess({ WEB_CONCURRENCY: '2', DATABASE_URL: '', REDIS_URL: '' }, 30_000)).rejects.toThrow(
      /WEB_CONCURRENCY: 2 processes need DATABASE_URL .* and REDIS_URL/,
    );
  });
});
