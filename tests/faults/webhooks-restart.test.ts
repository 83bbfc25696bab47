import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POS_KEY } from '../../src/demo/seed.ts';
import { createReceiver, verifyWebhook } from '../../examples/webhook-receiver.ts';
import type { ApiProcess } from '../helpers/process.ts';
import { exited, faultDatabase, gql, post, prepareSelling, SALE, saleInput } from './api-process.ts';

/** Short retries, so the test waits seconds, not hours; the same code paths. */
const WEBHOOK_ENV = {
  WEBHOOK_BACKOFF_SECONDS: '1',
  WEBHOOK_BACKOFF_MAX_SECONDS: '2',
  WEBHOOK_RETRY_SECONDS: '600',
  WEBHOOK_SWEEP_SECONDS: '1',
  WEBHOOK_POLL_SECONDS: '0.5',
  JOB_POLL_SECONDS: '1',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
};

/**
 * Webhooks are at least once across a crash: the API is SIGKILLed while sales flow and their
 * deliveries are failing and being retried (some committed a moment before the kill, their first
 * attempt never queued); after the restart every acknowledged sale reaches the receiver, signed.
 * On the embedded database, and on PostgreSQL in the PostgreSQL pass.
 */
describe('webhook deliveries survive a SIGKILL', () => {
  let db: Awaited<ReturnType<typeof faultDatabase>>;
  let api: ApiProcess;
  const received = new Map<string, string>(); // sale id → event id
  let accepting = false;
  let secret = '';
  let badSignatures = 0;
  const receiver = createReceiver({
    secrets: () => [secret],
    onRequest: (headers, raw) => {
      if (!verifyWebhook([secret], headers, raw).ok) badSignatures++;
    },
    onEvent: (event) => {
      if (!accepting) throw new Error('receiver down for maintenance');
      received.set(String(event.data.saleId), event.id);
    },
  });
  let url = '';

  beforeAll(async () => {
    db = await faultDatabase();
    api = await db.start(WEBHOOK_ENV);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    await new Promise((r) => receiver.close(r));
    await db?.drop();
  });

  it('delivers every acknowledged sale after the restart', async () => {
    const { store, sku, token } = await prepareSelling(api.port);
    const created = await gql(
      api.port,
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
        __typename ... on WebhookEndpointSecretPayload { secret } ... on UserError { errorCode message } } }`,
      { input: { url, eventTypes: ['sale.recorded'] } },
      token,
    );
    expect(created.data.createWebhookEndpoint.__typename).toBe('WebhookEndpointSecretPayload');
    secret = created.data.createWebhookEndpoint.secret;

    const acknowledged = new Set<string>();
    let stop = false;
    let n = 0;
    const port = api.port;
    const till = async (t: number) => {
      while (!stop) {
        try {
          const r = await post(
            port,
            { query: SALE, variables: { input: saleInput(store, sku, `WH-${t}-${++n}`) } },
            DEMO_POS_KEY,
          );
          if (r.json?.data?.recordSale?.__typename === 'RecordSalePayload')
            acknowledged.add(r.json.data.recordSale.sale.id);
        } catch {
          // the process died under this request: no answer, so nothing is owed for it
        }
      }
    };
    const tills = Array.from({ length: 4 }, (_, t) => till(t));
    // Sales flow and their deliveries fail and are retried; then the process is killed mid-way.
    while (acknowledged.size < 30) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500));
    api.child.kill('SIGKILL');
    await exited(api);
    stop = true;
    await Promise.all(tills);
    expect(received.size).toBe(0);

    api = await db.start(WEBHOOK_ENV);
    accepting = true;
    const deadline = Date.now() + 120_000;
    const ids = [...acknowledged].map((id) => Buffer.from(id, 'base64').toString().split(':')[1]!);
    while (ids.some((id) => !received.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(ids.filter((id) => !received.has(id))).toEqual([]);
    expect(badSignatures).toBe(0);

    // Sales committed without an answer (killed mid-request) are delivered too: nothing is left pending.
    const pending = async () =>
      (await gql(api.port, '{ webhookDeliveries(status: PENDING, first: 1) { totalCount } }', {}, token)).data
        .webhookDeliveries.totalCount as number;
    while ((await pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await pending()).toBe(0);
  });
});
