// A webhook receiver an integrator can run and copy (docs/webhooks.md): checks each delivery's
// signature and age, skips events it already has (deliveries are at least once), answers 2xx fast.
//
//   WEBHOOK_SECRET=whsec_… PORT=4400 npx tsx examples/webhook-receiver.ts
//
// then register http://127.0.0.1:4400/webhooks with createWebhookEndpoint (loopback is allowed
// outside production). During a secret rotation, give both secrets: WEBHOOK_SECRET=new,old.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** The body of every delivery (schema version 1). */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  storeId: string | null;
  data: T;
}

/**
 * Checks a delivery: the signature header holds one `v1=<hex>` per secret in force (two during a
 * rotation), each an HMAC-SHA256 of `<timestamp>.<raw body>`; one of them must match one of
 * `secrets`, and the timestamp must be recent (a replayed old request is refused).
 */
export function verifyWebhook(
  secrets: readonly string[],
  headers: IncomingHttpHeaders,
  rawBody: string,
  toleranceSeconds = 300,
  now = Date.now(),
): { ok: true; event: WebhookEvent } | { ok: false; reason: string } {
  const timestamp = Number(headers['x-storecrm-timestamp']);
  const header = headers['x-storecrm-signature'];
  if (!Number.isInteger(timestamp) || typeof header !== 'string') return { ok: false, reason: 'not signed' };
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: 'too old' };
  const given = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => Buffer.from(s.slice(3), 'hex'));
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected)))
      return { ok: true, event: JSON.parse(rawBody) as WebhookEvent };
  }
  return { ok: false, reason: 'bad signature' };
}

/**
 * A receiver: verifies, drops duplicates by event id, hands each new event to `onEvent`; an
 * exception there answers 500, and the API delivers the event again later.
 */
export function createReceiver(options: {
  secrets: () => readonly string[];
  onEvent: (event: WebhookEvent, headers: IncomingHttpHeaders) => void | Promise<void>;
  /** Called for every request, verified or not (tests count attempts with it). */
  onRequest?: (headers: IncomingHttpHeaders, rawBody: string) => void;
}): Server {
  // A real receiver keeps these in its database, in the same transaction as what it does with the event.
  const seen = new Set<string>();
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8'); // verify the bytes as sent, before parsing
      options.onRequest?.(req.headers, raw);
      const checked = verifyWebhook(options.secrets(), req.headers, raw);
      if (!checked.ok) {
        res.writeHead(401).end(checked.reason);
        return;
      }
      if (seen.has(checked.event.id)) {
        res.writeHead(200).end('duplicate');
        return;
      }
      try {
        await options.onEvent(checked.event, req.headers);
        seen.add(checked.event.id);
        res.writeHead(200).end('ok');
      } catch (error) {
        res.writeHead(500).end(String((error as Error).message ?? error));
      }
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const secrets = (process.env.WEBHOOK_SECRET ?? '').split(',').filter(Boolean);
  if (!secrets.length) {
    console.error('Set WEBHOOK_SECRET to the secret createWebhookEndpoint returned (new,old during a rotation).');
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 4400);
  const server = createReceiver({
    secrets: () => secrets,
    onEvent: (event) => console.log(`${event.occurredAt} ${event.type} ${event.id} ${JSON.stringify(event.data)}`),
  });
  server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}/webhooks`));
}
