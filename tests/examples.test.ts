import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSale, request } from '../examples/pos-client.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { uniqueId } from './helpers/queries.ts';
import { signatureHeader } from '../src/webhooks/signing.ts';

// The examples are documentation; this keeps them working against the real server.
describe('examples/pos-client.ts', () => {
  let t: TestApp;
  let endpoint: string;
  beforeAll(async () => {
    t = await startTestApp();
    endpoint = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(() => t?.close());

  it('records a sale over HTTP with the POS key, and a resend is a replay of the same sale', async () => {
    const { store } = await request<{ store: { id: string } }, { code: string }>(
      endpoint,
      t.posKey,
      'query($code: String!) { store(code: $code) { id } }',
      { code: 'BJ-SLT' },
    );
    const input = {
      storeId: store.id,
      externalId: uniqueId('EX'),
      lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '2.00' }],
      payments: [{ method: 'CASH' as const, amount: '2.00' }],
    };
    const first = await recordSale(endpoint, t.posKey, input);
    const again = await recordSale(endpoint, t.posKey, input);
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ replayed: true, sale: { id: first.sale.id, total: '2.00' } });
  });

  it('surfaces a typed error as its code and message', async () => {
    const { store } = await request<{ store: { id: string } }, { code: string }>(
      endpoint,
      t.posKey,
      'query($code: String!) { store(code: $code) { id } }',
      { code: 'BJ-SLT' },
    );
    const input = {
      storeId: store.id,
      externalId: uniqueId('EX'),
      lines: [{ sku: 'NOPE', quantity: 1 }],
      payments: [{ method: 'CASH' as const, amount: '2.00' }],
    };
    await expect(recordSale(endpoint, t.posKey, input)).rejects.toThrow('UNKNOWN_SKU: 未知商品编码：NOPE');
  });
});

/** Runs an example as a reader would (npx tsx examples/…), with ENDPOINT set. */
function runExample(file: string, endpoint: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file],
      { env: { ...process.env, ENDPOINT: endpoint }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('running the examples on another port', () => {
  let t: TestApp;
  let endpoint: string;
  beforeAll(async () => {
    t = await startTestApp();
    endpoint = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(() => t?.close());

  it('pos-client.ts talks to ENDPOINT', async () => {
    const run = await runExample('examples/pos-client.ts', endpoint);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/北京三里屯店: sale .+ replayed=true, same sale: true/);
  });

  it("insights-report.ts prints the demo chain's review of the last 30 days", async () => {
    const run = await runExample('examples/insights-report.ts', endpoint);
    expect(run.stderr).toBe('');
    const direct = await t.as('OWNER').ok(
      `query($f: Date!, $t: Date!) {
        insights(from: $f, to: $t) { kpis { current { total { revenue saleCount } } } } }`,
      {
        f: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10),
        t: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
      },
    );
    const { revenue, saleCount } = direct.insights.kpis.current.total;
    expect(saleCount).toBeGreaterThan(0);
    expect(run.stdout).toContain(`营业额 ¥${revenue}（环比`);
    expect(run.stdout).toMatch(new RegExp(`^${saleCount} 笔 · 客单价 ¥\\d+\\.\\d{2}`, 'm'));
    expect(run.stdout).toMatch(/^畅销商品：\n {2}\S+ /m);
  });

  it('says in one line where it looked when the API is not there', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const run = await runExample('examples/pos-client.ts', `http://127.0.0.1:${port}/graphql`);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `Cannot reach the API at http://127.0.0.1:${port}/graphql (ECONNREFUSED): start it with \`npm start\`, or ` +
        'set ENDPOINT=http://<host>:<port>/graphql',
    ]);
  });
});

describe('examples/webhook-receiver.ts', () => {
  it('runs as a reader would: verifies what the API signs, takes an event once, refuses a forgery', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const secret = 'whsec_example-test-secret';
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/webhook-receiver.ts'], {
      env: { ...process.env, PORT: String(port), WEBHOOK_SECRET: secret },
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start: ${stdout}`)), 30_000);
        child.stdout.on('data', () => {
          if (stdout.includes('listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const body = JSON.stringify({
        id: '0190aaaa-0000-7000-8000-000000000001',
        type: 'sale.recorded',
        schemaVersion: 1,
        occurredAt: '2026-12-02T08:00:00.000Z',
        storeId: null,
        data: { saleId: 'abc', total: '2.50' },
      });
      // Signed by the API's own code, checked by the example's.
      const send = (signature: string) => {
        const timestamp = Math.floor(Date.now() / 1000);
        return fetch(`http://127.0.0.1:${port}/webhooks`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-storecrm-timestamp': String(timestamp),
            'x-storecrm-signature': signature || signatureHeader([secret], timestamp, body),
          },
          body,
        }).then(async (r) => [r.status, await r.text()]);
      };
      expect(await send('')).toEqual([200, 'ok']);
      expect(await send('')).toEqual([200, 'duplicate']);
      expect(await send(`v1=${'0'.repeat(64)}`)).toEqual([401, 'bad signature']);
      expect(stdout).toContain('sale.recorded 0190aaaa-0000-7000-8000-000000000001 {"saleId":"abc","total":"2.50"}');
    } finally {
      child.kill();
    }
  });
});
