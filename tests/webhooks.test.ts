import type { IncomingHttpHeaders, Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver, verifyWebhook, type WebhookEvent } from '../examples/webhook-receiver.ts';
import plugins from '../plugins/config.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromMaterial, Keyring, keyring } from '../src/crypto/keyring.ts';
import { AddressPolicy } from '../src/webhooks/addresses.ts';
import { reencryptWebhookSecrets } from '../src/webhooks/service.ts';
import { signatureHeader } from '../src/webhooks/signing.ts';
import type { WebhookSettings } from '../src/webhooks/delivery.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, rawId, uniqueId } from './helpers/queries.ts';

/** Short retries so a day of them fits in seconds; the rules are the same. */
const SETTINGS: Partial<WebhookSettings> = {
  backoffMs: 1000,
  backoffMaxMs: 2000,
  retryForMs: 6000,
  disableAfterFailures: 2,
  timeoutMs: 3000,
  sweepMs: 1000,
  pollSeconds: 0.5,
  allowedNetworks: ['127.0.0.0/8'],
};

const CREATE = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointSecretPayload { secret endpoint { id status eventTypes storeIds } }
    ... on UserError { errorCode message field }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(id: $id, input: $input) {
    __typename
    ... on WebhookEndpoint { id status consecutiveFailures disabledAt disabledReason }
    ... on UserError { errorCode message }
  }
}`;
const ROTATE = `mutation($id: ID!, $overlap: Int) {
  rotateWebhookSecret(id: $id, overlapSeconds: $overlap) {
    __typename
    ... on WebhookEndpointSecretPayload { secret endpoint { previousSecretExpiresAt } }
    ... on UserError { errorCode message }
  }
}`;
const DELETE = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }`;
const DELIVERIES = `query($endpointId: ID, $status: WebhookDeliveryStatus) {
  webhookDeliveries(endpointId: $endpointId, status: $status, first: 50) {
    totalCount
    edges { node {
      id status attemptCount createdAt lastStatusCode lastError
      event { eventId type data }
      endpoint { id }
      attempts { number startedAt durationMs statusCode error responseExcerpt }
    } }
  }
}`;
const REDELIVER = `mutation($id: ID!) {
  redeliverWebhook(id: $id) { __typename ... on WebhookDelivery { status } ... on UserError { errorCode message } }
}`;

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  at: number;
}

/** A receiver on 127.0.0.1 (the example's), failing the first `failFirst` attempts of each event. */
async function startReceiver(options: { failFirst?: number; failAlways?: boolean } = {}) {
  const requests: Received[] = [];
  const delivered: WebhookEvent[] = [];
  const tries = new Map<string, number>();
  const state = { secrets: [] as string[], failAlways: options.failAlways ?? false };
  const server: Server = createReceiver({
    secrets: () => state.secrets,
    onRequest: (headers, raw) => requests.push({ headers, raw, at: Date.now() }),
    onEvent: (event) => {
      const n = (tries.get(event.id) ?? 0) + 1;
      tries.set(event.id, n);
      if (state.failAlways || n <= (options.failFirst ?? 0)) throw new Error(`not yet (attempt ${n})`);
      delivered.push(event);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    state,
    requests,
    delivered,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('webhooks', () => {
  let t: TestApp;
  let slt: string;
  let other: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins, app: { webhooks: SETTINGS } });
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    other = t.stores.find((s) => s.code !== 'BJ-SLT')!.id;
    await t.as('OWNER').ok(STOCK_IN, { s: slt });
    await t.app.startJobs({ pollSeconds: 1 });
  });
  afterAll(() => t?.close());

  const sale = async (amount = '2.50') => {
    const r = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: slt,
          externalId: uniqueId('WH'),
          lines: [{ sku: 'DR-001', quantity: 1, unitPrice: amount }],
          payments: [{ method: 'CASH', amount }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.recordSale.__typename).toBe('RecordSalePayload');
    return r.recordSale.sale.id as string;
  };
  const create = async (input: Record<string, unknown>) => {
    const r = (await t.as('OWNER').ok(CREATE, { input })).createWebhookEndpoint;
    expect(r.__typename, JSON.stringify(r)).toBe('WebhookEndpointSecretPayload');
    return { id: r.endpoint.id as string, secret: r.secret as string };
  };
  const deliveries = async (endpointId: string, status?: string) =>
    (await t.as('OWNER').ok(DELIVERIES, { endpointId, status })).webhookDeliveries;

  it('is managed by chain owners only: managers, cashiers and POS keys are refused', async () => {
    const input = { url: 'https://hooks.example.com/in', eventTypes: ['sale.recorded'] };
    for (const role of ['MANAGER', 'CASHIER', 'SALES_ASSOCIATE'] as const) {
      const r = await t.as(role).gql(CREATE, { input });
      expect(r.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
      const q = await t.as(role).gql(`{ webhookEndpoints { id } }`);
      expect(q.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
      const d = await t.as(role).gql(`{ webhookDeliveries(first: 1) { totalCount } }`);
      expect(d.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    expect((await t.gql(CREATE, { input }, { apiKey: t.posKey })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(CREATE, { input })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.as('OWNER').ok(`{ webhookEndpoints { id } }`)).webhookEndpoints).toEqual([]);

    // An integration's API key with the owner's role in every store of the chain may.
    const key = (
      await t.as('OWNER').ok(
        `mutation($s: [ID!]!) { createApiKey(name: "集成", role: OWNER, storeIds: $s) {
          ... on CreateApiKeyPayload { key } } }`,
        { s: t.stores.map((s) => s.id) },
      )
    ).createApiKey.key;
    const byKey = (await t.ok(CREATE, { input }, { apiKey: key })).createWebhookEndpoint;
    expect(byKey.__typename).toBe('WebhookEndpointSecretPayload');
    await t.ok(DELETE, { id: byKey.endpoint.id }, { apiKey: key });
    // The same role in one store only is not the chain.
    const oneStore = (
      await t.as('OWNER').ok(
        `mutation($s: [ID!]!) { createApiKey(name: "单店", role: OWNER, storeIds: $s) {
          ... on CreateApiKeyPayload { key } } }`,
        { s: [slt] },
      )
    ).createApiKey.key;
    expect((await t.gql(CREATE, { input }, { apiKey: oneStore })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('documents a verification snippet that works (docs/webhooks.md)', async () => {
    const doc = readFileSync(new URL('../docs/webhooks.md', import.meta.url), 'utf8');
    const snippet = /```ts\n([\s\S]*?)```/.exec(doc)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'storecrm-doc-'));
    const file = join(dir, 'verify.ts');
    writeFileSync(file, snippet);
    try {
      const { verifyWebhook: documented } = await import(file);
      const body = '{"id":"e1","type":"sale.recorded"}';
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'x-storecrm-timestamp': String(timestamp),
        'x-storecrm-signature': signatureHeader(['whsec_new', 'whsec_old'], timestamp, body),
      };
      expect(documented(['whsec_old'], headers, body)).toBe(true);
      expect(documented(['whsec_new'], headers, body)).toBe(true);
      expect(documented(['whsec_other'], headers, body)).toBe(false);
      expect(documented(['whsec_new'], headers, body.replace('e1', 'e2'))).toBe(false);
      const old = { ...headers, 'x-storecrm-timestamp': String(timestamp - 600) };
      expect(documented(['whsec_new'], old, body)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists core's and installed plugins' events, and refuses others", async () => {
    const { webhookEventTypes } = await t
      .as('OWNER')
      .ok(`{ webhookEventTypes { type source description } }`, {}, { locale: 'en' });
    const types = new Map(webhookEventTypes.map((e: { type: string; source: string }) => [e.type, e.source]));
    expect(types.get('sale.recorded')).toBe('core');
    expect(types.get('customer.created')).toBe('core');
    expect(types.get('tier.changed')).toBe('tiers');
    // Internal ones are not offered.
    expect(types.has('apiKey.revoked')).toBe(false);
    expect(types.has('webhook.endpoint.changed')).toBe(false);
    const r = (
      await t
        .as('OWNER')
        .ok(CREATE, { input: { url: 'https://hooks.example.com/', eventTypes: ['sale.recorded', 'apiKey.revoked'] } })
    ).createWebhookEndpoint;
    expect(r).toMatchObject({ errorCode: 'WEBHOOK_UNKNOWN_EVENT', field: ['input', 'eventTypes', '1'] });
    const none = (await t.as('OWNER').ok(CREATE, { input: { url: 'https://hooks.example.com/', eventTypes: [] } }))
      .createWebhookEndpoint;
    expect(none.errorCode).toBe('WEBHOOK_NO_EVENTS');
    const long = await t.as('OWNER').gql(CREATE, {
      input: { url: `https://hooks.example.com/${'a'.repeat(2100)}`, eventTypes: ['sale.recorded'] },
    });
    expect(long.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.as('OWNER').ok(`{ webhookEndpoints { id } }`)).webhookEndpoints).toEqual([]);
  });

  it('refuses URLs that reach private, link-local or reserved addresses, and plain http beyond loopback', async () => {
    for (const url of [
      'https://10.1.2.3/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://192.168.0.10/',
      'https://172.20.0.1/',
      'https://100.64.0.1/',
      'https://[::ffff:10.0.0.1]/',
      'https://[::ffff:a9fe:a9fe]/',
      'https://[::10.0.0.1]/',
      'https://[::1]/',
      'https://[fe80::1]/',
      'https://[fd00::1]/',
      'https://0.0.0.0/',
      'http://93.184.216.34/hook',
      'ftp://hooks.example.com/',
      'https://user:pw@hooks.example.com/',
      'not a url',
    ]) {
      const r = (await t.as('OWNER').ok(CREATE, { input: { url, eventTypes: ['sale.recorded'] } }))
        .createWebhookEndpoint;
      expect(r, url).toMatchObject({
        __typename: 'InvalidInputError',
        errorCode: 'WEBHOOK_URL_REFUSED',
        field: ['input', 'url'],
      });
    }
    // Without loopback allowed (production's default), 127.0.0.1 and localhost are refused too,
    // and a name is checked on the addresses it resolves to when connecting.
    const strict = new AddressPolicy([], false);
    expect(() => strict.checkUrl('http://127.0.0.1:4400/')).toThrow(/not a public address/);
    expect(() => strict.checkUrl('https://localhost/')).toThrow(/not a public address/);
    expect(() => strict.checkUrl('https://hooks.example.com/')).not.toThrow();
    expect(() => strict.checkUrl('http://hooks.example.com/')).toThrow(/https/);
    const looked = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      strict.lookup('localhost', { all: true }, (err) => resolve(err)),
    );
    expect(looked?.code).toBe('EWEBHOOKADDRESS');
    const allowed = new AddressPolicy(['127.0.0.0/8'], false);
    const ok = await new Promise<unknown>((resolve) =>
      allowed.lookup('localhost', { all: true }, (err, addresses) => resolve(err ?? addresses)),
    );
    expect(ok).toEqual(expect.arrayContaining([expect.objectContaining({ address: '127.0.0.1' })]));
  });

  it('delivers after commit, signed, retrying with growing gaps until the receiver takes it', async () => {
    const receiver = await startReceiver({ failFirst: 2 });
    try {
      const endpoint = await create({ url: receiver.url, eventTypes: ['sale.recorded'], storeIds: [slt] });
      receiver.state.secrets = [endpoint.secret];
      const saleId = await sale();
      await waitFor('the third attempt succeeds', () => receiver.delivered.length === 1);
      const event = receiver.delivered[0]!;
      expect(event).toMatchObject({
        type: 'sale.recorded',
        schemaVersion: 1,
        storeId: rawId(slt),
        data: { saleId: rawId(saleId), storeId: rawId(slt), total: '2.50' },
      });
      expect(event.data).not.toHaveProperty('committedAt');
      const attempts = receiver.requests.filter((r) => r.headers['x-storecrm-event-id'] === event.id);
      expect(attempts.map((r) => r.headers['x-storecrm-attempt'])).toEqual(['1', '2', '3']);
      for (const r of attempts) {
        expect(r.headers).toMatchObject({
          'x-storecrm-event-type': 'sale.recorded',
          'x-storecrm-schema-version': '1',
          'content-type': 'application/json; charset=utf-8',
        });
        expect(verifyWebhook([endpoint.secret], r.headers, r.raw).ok).toBe(true);
        expect(verifyWebhook(['whsec_someone-else'], r.headers, r.raw).ok).toBe(false);
        expect(verifyWebhook([endpoint.secret], r.headers, `${r.raw} `).ok).toBe(false);
      }
      // Exponential backoff with jitter: the n-th gap is at least half of backoff × 2^(n-1).
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(500 - 50);
      expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(1000 - 50);

      await waitFor(
        'the log says delivered',
        async () => (await deliveries(endpoint.id)).edges[0]?.node.status === 'DELIVERED',
      );
      const log = await deliveries(endpoint.id);
      expect(log.totalCount).toBe(1);
      const node = log.edges[0].node;
      expect(node).toMatchObject({
        attemptCount: 3,
        lastStatusCode: 200,
        event: { eventId: event.id, type: 'sale.recorded' },
      });
      expect(JSON.parse(node.event.data)).toEqual(event.data);
      expect(node.attempts.map((a: { number: number }) => a.number)).toEqual([3, 2, 1]);
      expect(node.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([200, 500, 500]);
      expect(node.attempts[2].responseExcerpt).toBe('not yet (attempt 1)');
      for (const a of node.attempts) expect(a.durationMs).toBeGreaterThanOrEqual(0);

      // Redelivery by hand: the same event id again.
      const again = (await t.as('OWNER').ok(REDELIVER, { id: node.id })).redeliverWebhook;
      expect(again.status).toBe('PENDING');
      await waitFor(
        'redelivered',
        () => receiver.requests.filter((r) => r.headers['x-storecrm-event-id'] === event.id).length === 4,
      );
      await waitFor('logged', async () => (await deliveries(endpoint.id)).edges[0].node.attemptCount === 4);
      await t.as('OWNER').ok(DELETE, { id: endpoint.id });
    } finally {
      await receiver.close();
    }
  });

  it("filters by store, skips paused endpoints, and writes the outbox row in the sale's transaction", async () => {
    const elsewhere = await create({
      url: 'https://hooks.example.com/a',
      eventTypes: ['sale.recorded'],
      storeIds: [other],
    });
    const paused = await create({ url: 'https://hooks.example.com/b', eventTypes: ['sale.recorded'], active: false });
    const customers = await create({ url: 'https://hooks.example.com/c', eventTypes: ['customer.created'] });
    const all = await create({ url: 'https://hooks.example.com/d', eventTypes: ['sale.recorded'] });
    // Paused so nothing is attempted: the rows themselves are what is checked.
    await t.as('OWNER').ok(UPDATE, { id: all.id, input: { active: false } });
    await t.as('OWNER').ok(UPDATE, { id: all.id, input: { active: true } });
    const saleId = await sale();
    // Read at once: the deliveries were committed with the sale.
    const mine = await deliveries(all.id);
    expect(mine.totalCount).toBe(1);
    expect(JSON.parse(mine.edges[0].node.event.data).saleId).toBe(rawId(saleId));
    for (const e of [elsewhere, paused, customers]) expect((await deliveries(e.id)).totalCount).toBe(0);
    for (const e of [elsewhere, paused, customers, all]) await t.as('OWNER').ok(DELETE, { id: e.id });
  });

  it('signs with both secrets during a rotation overlap, and with the new one alone after', async () => {
    const receiver = await startReceiver();
    try {
      const endpoint = await create({ url: receiver.url, eventTypes: ['sale.recorded'] });
      const rotated = (await t.as('OWNER').ok(ROTATE, { id: endpoint.id, overlap: 3600 })).rotateWebhookSecret;
      expect(rotated.endpoint.previousSecretExpiresAt).not.toBeNull();
      receiver.state.secrets = [rotated.secret]; // a receiver already switched to the new secret
      await sale();
      await waitFor('delivered', () => receiver.delivered.length === 1);
      const during = receiver.requests.at(-1)!;
      expect(String(during.headers['x-storecrm-signature']).split(',')).toHaveLength(2);
      expect(verifyWebhook([endpoint.secret], during.headers, during.raw).ok).toBe(true); // one still on the old secret
      expect(verifyWebhook([rotated.secret], during.headers, during.raw).ok).toBe(true);

      const next = (await t.as('OWNER').ok(ROTATE, { id: endpoint.id, overlap: 0 })).rotateWebhookSecret;
      expect(next.endpoint.previousSecretExpiresAt).toBeNull();
      receiver.state.secrets = [next.secret];
      await sale();
      await waitFor('delivered', () => receiver.delivered.length === 2);
      const after = receiver.requests.at(-1)!;
      expect(String(after.headers['x-storecrm-signature']).split(',')).toHaveLength(1);
      expect(verifyWebhook([next.secret], after.headers, after.raw).ok).toBe(true);
      expect(verifyWebhook([rotated.secret], after.headers, after.raw).ok).toBe(false);
      const tooLong = (await t.as('OWNER').ok(ROTATE, { id: endpoint.id, overlap: 8 * 86_400 })).rotateWebhookSecret;
      expect(tooLong.errorCode).toBe('WEBHOOK_OVERLAP_OUT_OF_RANGE');
      await t.as('OWNER').ok(DELETE, { id: endpoint.id });
    } finally {
      await receiver.close();
    }
  });

  it('gives up after the retry window and disables the endpoint after a run of failed deliveries', async () => {
    const receiver = await startReceiver({ failAlways: true });
    try {
      const endpoint = await create({ url: receiver.url, eventTypes: ['sale.recorded'] });
      receiver.state.secrets = [endpoint.secret];
      await sale();
      await sale();
      await waitFor('both given up', async () => (await deliveries(endpoint.id, 'FAILED')).totalCount === 2, 40_000);
      const log = await deliveries(endpoint.id);
      for (const { node } of log.edges) {
        const attempts = [...node.attempts].reverse(); // the log lists the newest first
        const starts: number[] = attempts.map((a: { startedAt: string }) => Date.parse(a.startedAt));
        expect(attempts.map((a: { number: number }) => a.number)).toEqual(starts.map((_: number, i: number) => i + 1));
        expect(attempts.length).toBe(node.attemptCount);
        expect(attempts.length).toBeGreaterThanOrEqual(4);
        for (let i = 1; i < starts.length; i++) {
          const nominal = Math.min(2000, 1000 * 2 ** (i - 1));
          expect(starts[i]! - starts[i - 1]!, `gap ${i}`).toBeGreaterThanOrEqual(nominal / 2 - 50);
        }
        // Retried for the whole window, not less. (The window runs from the delivery's retry start,
        // which the log does not show; createdAt is the database's clock at its insert, and an
        // attempt's end the API's rounded timer: a few ms either way, not a shorter window.)
        const last = attempts.at(-1);
        expect(Date.parse(last.startedAt) + last.durationMs - Date.parse(node.createdAt)).toBeGreaterThanOrEqual(
          6000 - 50,
        );
        expect(node.lastStatusCode).toBe(500);
      }
      const [state] = (
        await t.as('OWNER').ok(`{ webhookEndpoints { id status consecutiveFailures disabledAt disabledReason } }`)
      ).webhookEndpoints;
      expect(state).toMatchObject({ id: endpoint.id, status: 'DISABLED', consecutiveFailures: 2 });
      expect(state.disabledReason).toContain('HTTP 500');

      // Disabled: a new sale writes nothing for it, and redelivery asks to turn it on first.
      const requestsBefore = receiver.requests.length;
      await sale();
      expect((await deliveries(endpoint.id)).totalCount).toBe(2);
      const failed = log.edges[0].node;
      const refused = (await t.as('OWNER').ok(REDELIVER, { id: failed.id })).redeliverWebhook;
      expect(refused.errorCode).toBe('WEBHOOK_ENDPOINT_NOT_ACTIVE');

      // Turned on again and the receiver fixed: a failed delivery sent by hand arrives, same event id.
      const on = (await t.as('OWNER').ok(UPDATE, { id: endpoint.id, input: { active: true } })).updateWebhookEndpoint;
      expect(on).toMatchObject({ status: 'ACTIVE', consecutiveFailures: 0, disabledAt: null });
      receiver.state.failAlways = false;
      await t.as('OWNER').ok(REDELIVER, { id: failed.id });
      await waitFor('redelivered', () => receiver.delivered.length === 1);
      expect(receiver.delivered[0]!.id).toBe(failed.event.eventId);
      expect(receiver.requests.length).toBe(requestsBefore + 1);
      await t.as('OWNER').ok(DELETE, { id: endpoint.id });
    } finally {
      await receiver.close();
    }
  });

  it('checks on every connection the addresses a name resolves to (DNS rebinding)', async () => {
    const receiver = await startReceiver();
    const webhooks = t.app.services.webhooks;
    const policy = webhooks.policy;
    // rebind.test resolves where this test says: first to the receiver, then to a private address.
    let target = '127.0.0.1';
    webhooks.policy = new AddressPolicy(['127.0.0.0/8'], true, (_name, callback) =>
      callback(null, [{ address: target, family: 4 }]),
    );
    try {
      const port = new URL(receiver.url).port;
      const endpoint = await create({ url: `http://rebind.test:${port}/webhooks`, eventTypes: ['sale.recorded'] });
      receiver.state.secrets = [endpoint.secret];
      await sale();
      // Delivered through the policy's look-up: the system's DNS knows no rebind.test.
      await waitFor('delivered by name', () => receiver.delivered.length === 1);
      target = '10.0.0.7';
      await sale();
      await waitFor('attempted', async () => (await deliveries(endpoint.id)).edges[0].node.attemptCount >= 1);
      const refused = (await deliveries(endpoint.id)).edges[0].node;
      expect(refused.status).toBe('PENDING');
      expect(refused.attempts[0]).toMatchObject({ statusCode: null });
      expect(refused.attempts[0].error).toMatch(/EWEBHOOKADDRESS.*10\.0\.0\.7 is not a public address/);
      expect(receiver.requests).toHaveLength(1);
      await t.as('OWNER').ok(DELETE, { id: endpoint.id });
    } finally {
      webhooks.policy = policy;
      await receiver.close();
    }
  });

  it('keeps the log for a while: settled events leave it, pending ones stay', async () => {
    const receiver = await startReceiver({ failAlways: true });
    try {
      const endpoint = await create({ url: receiver.url, eventTypes: ['sale.recorded'] });
      receiver.state.secrets = [endpoint.secret];
      await sale();
      const db = t.db.database.prisma;
      const pending = await db.webhookDelivery.findMany({ where: { status: 'PENDING' }, select: { eventId: true } });
      expect(pending).toHaveLength(1);
      expect(await db.webhookEvent.count()).toBeGreaterThan(1);
      // Past events only: a cut-off an hour ago removes nothing of this test's.
      const before = await db.webhookEvent.count();
      expect(await t.app.services.webhooks.pruneLog(new Date(Date.now() - 3600_000))).toBe(0);
      expect(await db.webhookEvent.count()).toBe(before);
      const removed = await t.app.services.webhooks.pruneLog(new Date(Date.now() + 1000));
      expect(removed).toBe(before - 1);
      expect((await db.webhookEvent.findMany({ select: { id: true } })).map((e) => e.id)).toEqual([
        pending[0]!.eventId,
      ]);
      await t.as('OWNER').ok(DELETE, { id: endpoint.id });
    } finally {
      await receiver.close();
    }
  });

  it('delivers a delivery whose queued attempt was lost (a process that died after its commit)', async () => {
    const receiver = await startReceiver();
    try {
      const endpoint = await create({ url: receiver.url, eventTypes: ['sale.recorded'] });
      receiver.state.secrets = [endpoint.secret];
      const webhooks = t.app.services.webhooks;
      const enqueue = webhooks.enqueue;
      // The commit happens, the job is never queued.
      webhooks.enqueue = async () => {};
      const saleId = await sale();
      webhooks.enqueue = enqueue;
      expect((await deliveries(endpoint.id, 'PENDING')).totalCount).toBe(1);
      await waitFor('the sweeper queues it', () => receiver.delivered.length === 1, 20_000);
      expect(receiver.delivered[0]!.data.saleId).toBe(rawId(saleId));
      await t.as('OWNER').ok(DELETE, { id: endpoint.id });
    } finally {
      await receiver.close();
    }
  });
});

describe('a sale and the outbox', () => {
  let t: TestApp;
  let slt: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins });
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await t.as('OWNER').ok(STOCK_IN, { s: slt });
  });
  afterAll(() => t?.close());

  const statementsOfASale = async () => {
    const input = {
      storeId: slt,
      lines: [{ sku: 'DR-001', quantity: 1 }],
      payments: [{ method: 'CASH', amount: '2.50' }],
    };
    // A first sale warms the caches; the second is counted.
    await t.ok(RECORD_SALE, { input: { ...input, externalId: uniqueId('ST') } }, { apiKey: t.posKey });
    t.db.statements.length = 0;
    const r = await t.ok(RECORD_SALE, { input: { ...input, externalId: uniqueId('ST') } }, { apiKey: t.posKey });
    expect(r.recordSale.__typename).toBe('RecordSalePayload');
    return [...t.db.statements];
  };

  it('costs a sale no statement when no endpoint wants its events, and one INSERT when one does', async () => {
    await t.as('OWNER').ok(UPDATE_PRICE, { sku: 'DR-001', price: '2.50' });
    const bus = t.app.services.events;
    const outbox = bus.outbox;
    bus.outbox = null; // as before webhooks existed
    const without = await statementsOfASale();
    bus.outbox = outbox;
    const none = await statementsOfASale();
    expect(none.length).toBe(without.length);

    const other = (
      await t
        .as('OWNER')
        .ok(CREATE, { input: { url: 'https://hooks.example.com/c', eventTypes: ['customer.created'] } })
    ).createWebhookEndpoint;
    expect((await statementsOfASale()).length).toBe(without.length);

    await t.as('OWNER').ok(CREATE, { input: { url: 'https://hooks.example.com/s', eventTypes: ['sale.recorded'] } });
    const wanted = await statementsOfASale();
    expect(wanted.length).toBe(without.length + 1);
    expect(wanted.filter((s) => s.includes('INSERT INTO "WebhookDelivery"'))).toHaveLength(1);
    expect(other.endpoint.id).toBeTruthy();
  });

  it('moves the secrets to the new data key in a key rotation, so the old key can retire', async () => {
    const created = (
      await t.as('OWNER').ok(CREATE, { input: { url: 'https://hooks.example.com/k', eventTypes: ['sale.recorded'] } })
    ).createWebhookEndpoint;
    const old = keyring();
    const next = new Keyring(fromMaterial('test2', randomBytes(32)), [old.current]);
    const inUse = await reencryptWebhookSecrets(t.db.database.prisma, next);
    expect([...inUse]).toEqual(['test2']);
    const row = await t.db.database.prisma.webhookEndpoint.findUniqueOrThrow({
      where: { id: rawId(created.endpoint.id) },
    });
    expect(row.secretEnc.startsWith('test2:')).toBe(true);
    expect(next.decrypt('webhook secret', row.secretEnc)).toBe(created.secret);
  });
});

const UPDATE_PRICE = `mutation($sku: String!, $price: Money!) {
  updateProduct(sku: $sku, input: { price: $price }) { __typename }
}`;
const STOCK_IN = `mutation($s: ID!) {
  adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "DR-001", quantity: 500 }]) { __typename }
}`;
