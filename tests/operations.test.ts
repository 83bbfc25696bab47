import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { startApiProcess } from './helpers/process.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { subscribe, wsClient } from './helpers/ws.ts';

describe('operations endpoints', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp();
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => t?.close());

  it('/healthz answers while the process lives; /readyz checks the database', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', pid: process.pid });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      database: 'up',
      redis: 'not configured',
      replica: 'not configured',
    });
  });

  it('/metrics counts operations by name and outcome, and open WebSockets', async () => {
    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const metric = async (pattern: RegExp) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(
        text
          .split('\n')
          .find((l) => pattern.test(l))
          ?.split(' ')
          .at(-1) ?? 0,
      );
    };
    const okBefore = await metric(
      /^storecrm_graphql_operations_total\{operation="Record",type="mutation",outcome="ok"\}/,
    );
    const deniedBefore = await metric(
      /^storecrm_graphql_operations_total\{operation="Record",type="mutation",outcome="error"\}/,
    );
    const input = {
      storeId: store,
      externalId: uniqueId(),
      lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
      payments: [{ method: 'CASH', amount: '2.00' }],
    };
    await t.as('OWNER').ok(RECORD_SALE, { input });
    await t.gql(RECORD_SALE, { input }); // anonymous: refused
    expect(await metric(/^storecrm_graphql_operations_total\{operation="Record",type="mutation",outcome="ok"\}/)).toBe(
      okBefore + 1,
    );
    expect(
      await metric(/^storecrm_graphql_operations_total\{operation="Record",type="mutation",outcome="error"\}/),
    ).toBe(deniedBefore + 1);
    expect(
      await metric(/^storecrm_graphql_operation_duration_seconds_count\{operation="Record",type="mutation"\}/),
    ).toBeGreaterThanOrEqual(2);

    const client = wsClient(`${base.replace('http', 'ws')}/graphql`, {
      authorization: `Bearer ${await t.token('OWNER')}`,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await metric(/^storecrm_websocket_connections /)).toBe(1);
    const live = [1, 2].map(() => subscribe(client, `subscription Feed { saleRecorded { id } }`));
    await new Promise((r) => setTimeout(r, 200));
    expect(await metric(/^storecrm_graphql_subscriptions_active\{operation="Feed"\}/)).toBe(2);
    live[0]!.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(await metric(/^storecrm_graphql_subscriptions_active\{operation="Feed"\}/)).toBe(1);
    await client.dispose();
    await new Promise((r) => setTimeout(r, 200));
    expect(await metric(/^storecrm_websocket_connections /)).toBe(0);
    expect(await metric(/^storecrm_graphql_subscriptions_active\{operation="Feed"\}/)).toBe(0);
    expect(await metric(/^storecrm_process_resident_memory_bytes /)).toBeGreaterThan(0);
    if (t.db.url)
      expect(await metric(/^storecrm_db_pool_connections\{pool="primary",state="total"\}/)).toBeGreaterThan(0);
    // Statement counting is opt-in (DB_STATEMENT_METRICS=on): absent by default.
    expect(await (await fetch(`${base}/metrics`)).text()).not.toContain('storecrm_db_statements_total');
  });
});

describe('an API process on its own', () => {
  it('counts SQL statements in /metrics (DB_STATEMENT_METRICS=on), logs operations with request ids', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'storecrm-statements-'));
    // DATABASE_URL emptied: the embedded database in its own folder, whatever the suite runs on.
    const api = await startApiProcess({
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      DEMO_DATA: 'off',
      DB_STATEMENT_METRICS: 'on',
    });
    try {
      const base = `http://127.0.0.1:${api.port}`;
      const statements = async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('storecrm_db_statements_total '));
        expect(line, 'the counter is exported').toBeDefined();
        return Number(line!.split(' ').at(-1));
      };
      const before = await statements();
      expect(before).toBeGreaterThan(0); // start-up read the database
      for (let i = 0; i < 3; i++) expect((await fetch(`${base}/readyz`)).status).toBe(200); // one SELECT 1 each
      expect(await statements()).toBeGreaterThanOrEqual(before + 3);

      // Every operation leaves one JSON log line with the request id the response carried.
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'till-7-receipt-0042' },
        body: JSON.stringify({ query: 'query WhoAmI { viewer { kind } }' }),
      });
      expect(res.headers.get('x-request-id')).toBe('till-7-receipt-0042');
      await new Promise((r) => setTimeout(r, 100));
      const line = api
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'graphql operation' && l.requestId === 'till-7-receipt-0042');
      expect(line).toMatchObject({
        operation: 'WhoAmI',
        type: 'query',
        caller: 'anonymous',
        errors: 0,
        service: 'storecrm',
      });
      expect(line.ms).toBeGreaterThan(0);
    } finally {
      await api.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000); // a process of its own: migrations on the embedded database first
});

describe('/readyz when the database is gone', () => {
  it('answers 503, so a load balancer stops sending traffic', async () => {
    const t = await startTestApp({ seed: false });
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    await t.db.database.close();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not ready', database: 'down' });
    await t.app.close();
    await t.db.drop();
  });
});
