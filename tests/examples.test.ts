import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSale, request } from '../examples/pos-client.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand, RECORD_SALE, uniqueId } from './helpers/queries.ts';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { SAMPLE_EXPORT } from '../examples/pos-sync/sync.ts';
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
function runExample(file: string, endpoint: string, args: string[] = [], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file, ...args],
      { env: { ...process.env, ENDPOINT: endpoint, ...env }, timeout: 60_000 },
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
    // The same period from the API: its figures, and what is bought next (the first sequence).
    const direct = await t.as('OWNER').ok(
      `query($f: Date!, $t: Date!) {
        insights(from: $f, to: $t) { kpis { current { total { revenue saleCount } } }
          purchaseSequences(level: CATEGORY, withinDays: 14, first: 1) {
            bought { name } thenBought { name } customers } } }`,
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
    // The period, and whether its figures are live or from the summary (as of when).
    expect(run.stdout).toMatch(/^\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d（(数据截至 \S.*|实时)）$/m);
    const [first] = direct.insights.purchaseSequences;
    expect(first).toBeDefined();
    expect(run.stdout).toContain(
      `先买后买：${first.bought.name} → ${first.thenBought.name}（14 天内 ${first.customers} 位顾客，占 `,
    );
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

describe('examples/pos-sync', () => {
  let t: TestApp;
  let endpoint: string;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    port = await t.app.listen(0, '127.0.0.1');
    endpoint = `http://127.0.0.1:${port}/graphql`;
    // Goods on the shelf for three runs of the sample (the small demo stocks a few of each).
    const lines = ['DR-001', 'DR-002', 'DR-003', 'DR-004', 'MB-003', 'MB-005', 'SN-002', 'SN-004', 'SN-005'].map(
      (sku) => ({ sku, quantity: 50 }),
    );
    await t.as('OWNER').ok(
      `mutation($s: ID!, $lines: [StockLineInput!]!) { adjustStock(storeId: $s, type: RECEIPT, lines: $lines) {
         __typename } }`,
      { s: t.stores.find((s) => s.code === 'BJ-SLT')!.id, lines },
    );
  });
  afterAll(() => t?.close());

  const storeOf = () => t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  const syncedSales = (prefix: string) =>
    t.db.database.prisma.sale.findMany({ where: { externalId: { startsWith: prefix } }, select: { total: true } });

  it('records the sample export once, however often it runs, on the business day of the store', async () => {
    const before = await onHand(t, storeOf(), 'DR-001');
    const first = await runExample('examples/pos-sync/sync.ts', endpoint);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('共 8 张小票：新记录 8 张，此前已记录 0 张，未记录 0 张；合计 ¥454.80');
    // 07:03 in Beijing is 23:03 UTC the day before: booked on the store's own day.
    expect(first.stdout).toContain('SLT01-20261201-0001 已记录 ¥4.00 营业日 2026-12-01');
    expect(first.stdout).toContain('SLT01-20261201-0002 已记录 ¥149.70 营业日 2026-12-01 会员 880010000481');
    const again = await runExample('examples/pos-sync/sync.ts', endpoint);
    expect(again.stdout).toContain('共 8 张小票：新记录 0 张，此前已记录 8 张，未记录 0 张；合计 ¥454.80');
    const sales = await syncedSales('SLT01-20261201-');
    expect(sales).toHaveLength(8);
    expect(sales.reduce((sum, s) => sum + Math.round(Number(s.total) * 100), 0)).toBe(45_480);
    expect(await onHand(t, storeOf(), 'DR-001')).toBe(before - 3); // 2 + 1 bottles, once
  });

  it('gets a sale through a connection that fails, loses its answer, and says TRY_AGAIN', async () => {
    // The same export with receipts of another till, so this run starts with none recorded.
    const dir = await mkdtemp(join(tmpdir(), 'pos-sync-'));
    const file = join(dir, 'export.csv');
    await writeFile(file, (await readFile(SAMPLE_EXPORT, 'utf8')).replaceAll('SLT01-', 'FLK02-'));
    // In front of the API: the first recordSale attempts meet a dropped connection, an answer lost
    // after the API committed, a TRY_AGAIN error and a 503; later ones go through.
    let recordSales = 0;
    const proxy = createHttpServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const fault = body.includes('recordSale') ? ++recordSales : 0;
      if (fault === 1) return req.socket.destroy();
      if (fault === 3) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ errors: [{ message: '请重试', extensions: { code: 'TRY_AGAIN' } }] }));
      }
      if (fault === 4) return res.writeHead(503, { 'retry-after': '0' }).end();
      const answer = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization! },
        body,
      });
      const text = await answer.text();
      if (fault === 2) return req.socket.destroy(); // committed, and the till never hears of it
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
    const proxyPort = await new Promise<number>((resolve) =>
      proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as { port: number }).port)),
    );
    try {
      const run = await runExample('examples/pos-sync/sync.ts', `http://127.0.0.1:${proxyPort}/graphql`, [file], {
        RETRY_BASE_MS: '20',
      });
      expect(run.stderr).toBe('');
      expect(run.stdout.match(/次未成功/g)).toHaveLength(4);
      expect(run.stdout).toContain('TRY_AGAIN: 请重试');
      // The lost answer's sale was kept: the next attempt is answered with it.
      expect(run.stdout).toContain('FLK02-20261201-0001 已记录过 ¥4.00');
      expect(run.stdout).toContain('共 8 张小票：新记录 7 张，此前已记录 1 张，未记录 0 张；合计 ¥454.80');
      expect(recordSales).toBe(8 + 4);
      expect(await syncedSales('FLK02-')).toHaveLength(8);
    } finally {
      proxy.close();
      await rm(dir, { recursive: true });
    }
  });

  it('reports a receipt the API refuses and goes on with the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pos-sync-'));
    const file = join(dir, 'export.csv');
    const text = (await readFile(SAMPLE_EXPORT, 'utf8')).replaceAll('SLT01-', 'BAD03-');
    await writeFile(file, text.replace('6920000118785', '6999999999999'));
    try {
      const run = await runExample('examples/pos-sync/sync.ts', endpoint, [file]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('BAD03-20261201-0005 未记录：UNKNOWN_SKU: 未知商品编码：6999999999999');
      expect(run.stdout).toContain('新记录 7 张，此前已记录 0 张，未记录 1 张');
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

/** Starts an example server as a reader would, with env, once it prints `ready`; kill it after. */
async function startExample(file: string, env: Record<string, string>, ready: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${stdout} ${stderr}`)), 30_000);
    const check = () => {
      if (stdout.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`${file} exited ${code}: ${stderr}`)));
  });
  return { child, output: () => stdout, errors: () => stderr };
}

function freePort() {
  return new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as { port: number };
      probe.close(() => resolve(p));
    });
  });
}

describe('examples/storefront and examples/live-dashboard servers', () => {
  let t: TestApp;
  let endpoint: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins: [pointsPlugin(), tiersPlugin()] });
    endpoint = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(() => t?.close());

  it("storefront: the backend trades a phone for a token; the page's operation reads the account", async () => {
    const port = await freePort();
    const server = await startExample(
      'examples/storefront/server.ts',
      { ENDPOINT: endpoint, PORT: String(port) },
      'listening',
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      expect(server.output()).toContain('DEMO ONLY');
      const demo = (await (await fetch(`${base}/api/demo-member`)).json()) as { phone: string; name: string };
      expect(demo.phone).toMatch(/^1\d{10}$/);
      const session = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: demo.phone }),
      });
      expect(session.status).toBe(200);
      const { token, endpoint: api } = (await session.json()) as { token: string; endpoint: string };
      expect(api).toBe(endpoint);
      // The page's own operation, as the backend serves it to the page.
      const query = await (await fetch(`${base}/operations/my-account.graphql`)).text();
      const { myAccount } = await t.ok(query, {}, { token });
      expect(myAccount).toMatchObject({ name: demo.name, memberCard: { code: '880010000037' } });
      const qr = await fetch(`${base}/api/qr.svg?text=${myAccount.memberCard.qrPayload}`);
      expect(qr.headers.get('content-type')).toBe('image/svg+xml');
      expect(await qr.text()).toMatch(/^<svg /);
      // A phone no customer has: a typed refusal, no token.
      const unknown = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: '13000000000' }),
      });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ errorCode: 'STOREFRONT_NO_CUSTOMER' });
      // The integration key stays on the backend: nothing the browser gets contains it.
      for (const path of ['/', '/app.js', '/style.css', '/operations/my-account.graphql']) {
        const body = await (await fetch(`${base}${path}`)).text();
        expect(body.length).toBeGreaterThan(0);
        expect(body).not.toContain('sk_demo_storefront');
      }
      expect((await fetch(`${base}/../src/demo/seed.ts`)).status).toBe(404);
    } finally {
      server.child.kill();
    }
  });

  it('live dashboard: the server signs in, serves graphql-ws for browsers and the subscription', async () => {
    const port = await freePort();
    const server = await startExample(
      'examples/live-dashboard/server.ts',
      { ENDPOINT: endpoint, PORT: String(port) },
      'listening',
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      const session = (await (await fetch(`${base}/api/session`)).json()) as { token: string };
      const { viewer } = await t.ok('{ viewer { __typename } }', {}, { token: session.token });
      expect(viewer).toBeTruthy();
      const vendor = await fetch(`${base}/vendor/graphql-ws.js`);
      expect(vendor.headers.get('content-type')).toContain('text/javascript');
      expect(await vendor.text()).toContain('graphqlWs');
      const page = await (await fetch(`${base}/`)).text();
      expect(page).toContain('<script src="/vendor/graphql-ws.js"></script>');
      expect(await (await fetch(`${base}/operations/live-sales.graphql`)).text()).toContain('saleRecorded');
    } finally {
      server.child.kill();
    }
  });

  it('live dashboard in a terminal: terminal.ts prints a sale as it is recorded', async () => {
    const feed = await startExample('examples/live-dashboard/terminal.ts', { ENDPOINT: endpoint }, 'listening');
    try {
      await new Promise((resolve) => setTimeout(resolve, 500)); // the subscription is on its way
      const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
      await t.ok(
        RECORD_SALE,
        {
          input: {
            storeId: slt,
            externalId: uniqueId('TERM'),
            lines: [{ sku: 'SN-004', quantity: 2, unitPrice: '6.50' }],
            payments: [{ method: 'CASH', amount: '13.00' }],
          },
        },
        { apiKey: t.posKey },
      );
      await expect.poll(() => feed.output(), { timeout: 5000 }).toMatch(/北京三里屯店 ¥13\.00 SN-004×2/);
      expect(feed.errors()).toBe('');
    } finally {
      feed.child.kill();
    }
  });
});
