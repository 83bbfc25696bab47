import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiProcess } from '../helpers/process.ts';
import { exited, faultDatabase, gql, prepareSelling, SALE, saleInput } from './api-process.ts';

/**
 * SIGTERM drains: no new connections, every request in flight finishes and its response reaches
 * the client with `Connection: close`, subscriptions are closed properly (graphql-ws with 1001,
 * SSE streams ended), and the process exits 0 — within SHUTDOWN_DRAIN_SECONDS even when a request
 * never finishes. On the embedded database, and on PostgreSQL in the PostgreSQL pass.
 */
describe('SIGTERM drains the API process', () => {
  let db: Awaited<ReturnType<typeof faultDatabase>>;
  let api: ApiProcess;
  let selling: Awaited<ReturnType<typeof prepareSelling>>;

  beforeAll(async () => {
    db = await faultDatabase();
    api = await db.start({ SHUTDOWN_DRAIN_SECONDS: '20' });
    selling = await prepareSelling(api.port);
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    await db?.drop();
  });

  it('finishes requests in flight, closes subscriptions, refuses new connections, exits 0', async () => {
    const { port } = api;
    // A live dashboard on graphql-ws, and one on SSE.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () =>
        ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${selling.token}` } })),
      );
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.type === 'connection_ack') {
          ws.send(
            JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { saleRecorded { id } }' } }),
          );
          resolve();
        }
      });
      ws.once('error', reject);
    });
    const sse = streamOpen(port, selling.token);
    await sse.opened;

    // Two sales whose requests are in flight when the signal comes: headers and half the body sent.
    const agent = new Agent({ keepAlive: true });
    const inFlight = [0, 1].map((i) =>
      slowPost(port, agent, { query: SALE, variables: { input: saleInput(selling.store, selling.sku, `DRAIN-${i}`) } }),
    );
    await Promise.all(inFlight.map((r) => r.headersSent));

    api.child.kill('SIGTERM');
    await waitFor(() => refused(port), 15_000); // the listening socket is closed at once
    for (const r of inFlight) r.finish();
    const answers = await Promise.all(inFlight.map((r) => r.response));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.headers.connection).toBe('close');
      expect(JSON.parse(a.body).data.recordSale.__typename).toBe('RecordSalePayload');
    }
    expect(await wsClosed).toBe(1001);
    expect(await sse.ended).toBe(true);
    expect(await exited(api)).toBe(0);
    agent.destroy();

    // Both sales in flight were kept.
    const again = await db.start();
    try {
      for (const a of answers) {
        const id = JSON.parse(a.body).data.recordSale.sale.id;
        const r = await gql(again.port, `query($id: ID!) { sale(id: $id) { id } }`, { id }, selling.token);
        expect(r.data?.sale?.id).toBe(id);
      }
    } finally {
      await again.stop();
    }
  });

  it('cuts a request that does not finish once SHUTDOWN_DRAIN_SECONDS have passed', async () => {
    const stuck = await db.start({ SHUTDOWN_DRAIN_SECONDS: '2' });
    try {
      const agent = new Agent({ keepAlive: true });
      const never = slowPost(stuck.port, agent, { query: '{ __typename }' });
      const cut = never.response.then(
        () => false,
        () => true,
      );
      await never.headersSent;
      const signalled = Date.now();
      stuck.child.kill('SIGTERM');
      expect(await exited(stuck)).toBe(0);
      // 2 s of drain, plus closing the database; far from the default drain or a hung process.
      expect(Date.now() - signalled).toBeLessThan(9_000);
      expect(await cut).toBe(true); // the unfinished request was cut, not left hanging
      agent.destroy();
    } finally {
      if (stuck.child.exitCode === null) stuck.child.kill('SIGKILL');
    }
  });
});

/** A POST whose body is sent in two halves: in flight from the first half until `finish()`. */
function slowPost(port: number, agent: Agent, body: object) {
  const text = JSON.stringify(body);
  let finish!: () => void;
  let headersSent!: Promise<void>;
  const response = new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
            authorization: 'Bearer sk_demo_pos_beijing_sanlitun',
          },
        },
        (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      const half = Math.floor(text.length / 2);
      headersSent = new Promise((r) => req.write(text.slice(0, half), () => setTimeout(r, 300)));
      finish = () => req.end(text.slice(half));
    },
  );
  return { response, headersSent, finish: () => finish() };
}

function streamOpen(port: number, token: string) {
  let onOpen!: () => void;
  const opened = new Promise<void>((r) => (onOpen = r));
  const ended = new Promise<boolean>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/graphql?query=${encodeURIComponent('subscription { saleRecorded { id } }')}`,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
      },
      (res) => {
        onOpen();
        res.on('data', () => {});
        res.on('end', () => resolve(true));
        res.on('error', () => resolve(false));
      },
    );
    req.on('error', () => resolve(false));
    req.end();
  });
  return { opened, ended };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    req.end();
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
