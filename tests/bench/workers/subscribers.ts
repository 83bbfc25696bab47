/**
 * Fan-out worker: `subscribers` graphql-ws clients subscribe to saleRecorded, then sales are
 * recorded through the API at a steady pace, and every delivery is timed against the moment its
 * sale's mutation was sent and the moment the mutation's response arrived (both clocks are this
 * process's). The server's resident memory is read (from /proc) before and after the subscribers
 * connect, with nothing happening, for the memory an idle subscriber costs.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { SaleFixtures } from '../fixtures.ts';
import { SALE_RECORDED, SaleMaker, failureOf, recordSaleBody } from '../requests.ts';
import { BENCH_METRICS_TOKEN, treeRss } from '../server.ts';
import { Latencies, round, type LatencySummary } from '../stats.ts';
import { report, workerConfig } from './protocol.ts';

export interface SubscribersConfig {
  url: string;
  serverPid: number;
  token: string;
  posKey: string;
  subscribers: number;
  sales: number;
  salesPerSecond: number;
  saleFixtures: SaleFixtures;
  memberOffset: number;
}

export interface SubscribersResult {
  subscribers: number;
  sales: number;
  deliveries: number;
  missing: number;
  fromSent: LatencySummary;
  fromResponse: LatencySummary;
  /** Share of deliveries that arrived before their mutation's response. */
  beforeResponse: number;
  mutation: LatencySummary;
  rssBefore: number;
  rssAfter: number;
  rssPerSubscriber: number;
}

const config = workerConfig<SubscribersConfig>();
const wsUrl = `${config.url.replace('http', 'ws')}/graphql`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const maker = new SaleMaker(config.saleFixtures, config.memberOffset);

async function metric(name: string): Promise<number> {
  const text = await (
    await fetch(`${config.url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } })
  ).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
const SUBSCRIPTIONS =
  'storecrm_graphql_operations_total{operation="BenchSaleRecorded",type="subscription",outcome="ok"}';

async function recordSale(): Promise<{ externalId: string; sent: number; answered: number }> {
  const sale = maker.make();
  const sent = performance.now();
  const res = await fetch(`${config.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${config.posKey}` },
    body: JSON.stringify(recordSaleBody(sale)),
  });
  const body = await res.text();
  const answered = performance.now();
  const failure = res.ok ? failureOf('recordSale', body) : `HTTP ${res.status}`;
  if (failure) throw new Error(`recordSale failed: ${failure}`);
  return { externalId: sale.externalId, sent, answered };
}

type Arrivals = Map<string, number[]>;
function connect(arrivals: Arrivals): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${config.token}` },
      lazy: false,
      retryAttempts: 0,
    });
    const off = client.on('connected', () => {
      off();
      resolve(client);
    });
    client.on('error', reject);
    client.subscribe<{ saleRecorded: { externalId: string } }>(
      { query: SALE_RECORDED },
      {
        next: (v) => {
          const at = performance.now();
          const id = v.data?.saleRecorded.externalId;
          if (id) (arrivals.get(id) ?? arrivals.set(id, []).get(id)!).push(at);
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => {},
      },
    );
  });
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Warm-up: one subscriber sees a few sales, so the process has run every code path once.
const warm: Arrivals = new Map();
const first = await connect(warm);
await waitFor(async () => (await metric(SUBSCRIPTIONS)) >= 1, 10_000, 'the warm-up subscription');
for (let i = 0; i < 3; i++) await recordSale();
await waitFor(() => warm.size >= 3, 10_000, 'the warm-up deliveries');
await first.dispose();
await sleep(1_000);

const rssBefore = treeRss(config.serverPid);
const subscriptionsBefore = await metric(SUBSCRIPTIONS);
const arrivals: Arrivals = new Map();
const clients: Client[] = [];
for (let i = 0; i < config.subscribers; i += 100) {
  clients.push(
    ...(await Promise.all(Array.from({ length: Math.min(100, config.subscribers - i) }, () => connect(arrivals)))),
  );
}
await waitFor(
  async () => (await metric(SUBSCRIPTIONS)) - subscriptionsBefore >= config.subscribers,
  60_000,
  'every subscription to be set up',
);
await sleep(2_000);
const rssAfter = treeRss(config.serverPid);

const sales: { externalId: string; sent: number; answered: number }[] = [];
const pending: Promise<void>[] = [];
const started = performance.now();
for (let i = 0; i < config.sales; i++) {
  await sleep(Math.max(0, started + (i * 1000) / config.salesPerSecond - performance.now()));
  pending.push(recordSale().then((s) => void sales.push(s)));
}
await Promise.all(pending);
const expected = config.subscribers * config.sales;
const delivered = () => [...arrivals.values()].reduce((n, a) => n + a.length, 0);
await waitFor(() => delivered() >= expected, 60_000, 'every delivery').catch(() => {});

const fromSent = new Latencies();
const fromResponse = new Latencies();
const mutation = new Latencies();
let early = 0;
for (const s of sales) {
  mutation.record(s.answered - s.sent);
  for (const at of arrivals.get(s.externalId) ?? []) {
    fromSent.record(at - s.sent);
    fromResponse.record(at - s.answered);
    if (at < s.answered) early += 1;
  }
}
await Promise.all(clients.map((c) => c.dispose()));
report({
  subscribers: config.subscribers,
  sales: sales.length,
  deliveries: delivered(),
  missing: expected - delivered(),
  fromSent: fromSent.summary(),
  fromResponse: fromResponse.summary(),
  beforeResponse: round(early / Math.max(1, delivered()), 3),
  mutation: mutation.summary(),
  rssBefore,
  rssAfter,
  rssPerSubscriber: Math.round((rssAfter - rssBefore) / config.subscribers),
} satisfies SubscribersResult);
process.exit(0);
