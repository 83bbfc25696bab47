import { type Keyring, keyring } from '../crypto/keyring.ts';
import { uuidv7 } from '../db/ids.ts';
import type { Db, Tx } from '../db/tx.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../errors/index.ts';
import type { DomainEvent } from '../events/domain-events.ts';
import type { Emit } from '../events/transaction.ts';
import type { WebhookEndpoint } from '../generated/prisma/client.ts';
import { type AddressPolicy, WebhookUrlError } from './addresses.ts';
import { newWebhookSecret } from './signing.ts';

/** Bounds on what an endpoint holds (docs/webhooks.md, "Limits"). */
export const WEBHOOK_LIMITS = {
  urlLength: 2048,
  descriptionLength: 200,
  storeIds: 100,
  /** Endpoints per chain: each event is written once per endpoint that wants it. */
  endpoints: 50,
  /** Longest overlap of a rotated secret with its successor. */
  overlapSeconds: 7 * 24 * 3600,
  defaultOverlapSeconds: 24 * 3600,
};

/** The field name the secret is encrypted under (associated data: it decrypts as nothing else). */
const SECRET_FIELD = 'webhook secret';

export interface EndpointInput {
  url?: string | null;
  description?: string | null;
  eventTypes?: readonly string[] | null;
  storeIds?: readonly string[] | null;
  /** false: paused; true: active (also turns a disabled endpoint on again). */
  active?: boolean | null;
}

/** What the endpoint functions need to check an input. */
export interface EndpointRules {
  policy: AddressPolicy;
  eventTypes: ReadonlySet<string>;
}

async function checkInput(tx: Tx, rules: EndpointRules, input: EndpointInput) {
  if (input.url != null) {
    if (input.url.length > WEBHOOK_LIMITS.urlLength)
      throw new InvalidInputError('INPUT_TOO_LONG', { field: 'url', max: WEBHOOK_LIMITS.urlLength }, ['input', 'url']);
    try {
      rules.policy.checkUrl(input.url);
    } catch (error) {
      if (error instanceof WebhookUrlError)
        throw new InvalidInputError('WEBHOOK_URL_REFUSED', { reason: error.message }, ['input', 'url']);
      throw error;
    }
  }
  if (input.description != null && input.description.length > WEBHOOK_LIMITS.descriptionLength)
    throw new InvalidInputError('INPUT_TOO_LONG', { field: 'description', max: WEBHOOK_LIMITS.descriptionLength }, [
      'input',
      'description',
    ]);
  if (input.eventTypes != null) {
    if (!input.eventTypes.length) throw new InvalidInputError('WEBHOOK_NO_EVENTS', {}, ['input', 'eventTypes']);
    input.eventTypes.forEach((type, i) => {
      if (!rules.eventTypes.has(type))
        throw new InvalidInputError('WEBHOOK_UNKNOWN_EVENT', { type: type.slice(0, 60) }, ['input', 'eventTypes', i]);
    });
  }
  if (input.storeIds != null) {
    if (input.storeIds.length > WEBHOOK_LIMITS.storeIds)
      throw new InvalidInputError('INPUT_TOO_MANY_ITEMS', { field: 'storeIds', max: WEBHOOK_LIMITS.storeIds }, [
        'input',
        'storeIds',
      ]);
    const ids = [...new Set(input.storeIds)];
    const found = await tx.store.findMany({ where: { id: { in: ids } }, select: { id: true } });
    const known = new Set(found.map((s) => s.id));
    const missing = input.storeIds.findIndex((id) => !known.has(id));
    if (missing >= 0) throw new NotFoundError('Store', input.storeIds[missing]!, ['input', 'storeIds', missing]);
  }
}

/** Registers an endpoint; the secret is returned once and kept only encrypted. */
export async function createEndpoint(
  { tx, emit }: { tx: Tx; emit: Emit },
  rules: EndpointRules,
  input: EndpointInput & { url: string; eventTypes: readonly string[] },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await checkInput(tx, rules, input);
  // Counted in the transaction; two racing creations can pass 50 by one, which the bound tolerates.
  if ((await tx.webhookEndpoint.count()) >= WEBHOOK_LIMITS.endpoints)
    throw new InvalidStateError('WEBHOOK_TOO_MANY_ENDPOINTS', { max: WEBHOOK_LIMITS.endpoints });
  const secret = newWebhookSecret();
  const endpoint = await tx.webhookEndpoint.create({
    data: {
      url: input.url,
      description: input.description ?? null,
      eventTypes: [...new Set(input.eventTypes)],
      storeIds: [...new Set(input.storeIds ?? [])],
      status: input.active === false ? 'PAUSED' : 'ACTIVE',
      secretEnc: keyring().encrypt(SECRET_FIELD, secret),
    },
  });
  emit('webhook.endpoint.changed', { endpointId: endpoint.id });
  return { endpoint, secret };
}

export async function findEndpoint(tx: Tx, id: string): Promise<WebhookEndpoint> {
  const endpoint = await tx.webhookEndpoint.findUnique({ where: { id } });
  if (!endpoint) throw new NotFoundError('WebhookEndpoint', id, ['id']);
  return endpoint;
}

export async function updateEndpoint(
  { tx, emit }: { tx: Tx; emit: Emit },
  rules: EndpointRules,
  id: string,
  input: EndpointInput,
): Promise<{ before: WebhookEndpoint; after: WebhookEndpoint }> {
  const before = await findEndpoint(tx, id);
  await checkInput(tx, rules, input);
  const status =
    input.active === true ? 'ACTIVE' : input.active === false ? 'PAUSED' : (undefined as undefined | 'ACTIVE');
  const after = await tx.webhookEndpoint.update({
    where: { id },
    data: {
      ...(input.url != null ? { url: input.url } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.eventTypes != null ? { eventTypes: [...new Set(input.eventTypes)] } : {}),
      ...(input.storeIds != null ? { storeIds: [...new Set(input.storeIds)] } : {}),
      ...(status ? { status } : {}),
      // Turned on again by hand: the run of failures starts over.
      ...(status === 'ACTIVE' && before.status !== 'ACTIVE'
        ? { consecutiveFailures: 0, disabledAt: null, disabledReason: null }
        : {}),
    },
  });
  emit('webhook.endpoint.changed', { endpointId: id });
  return { before, after };
}

/**
 * A new secret; the old one keeps signing beside it for `overlapSeconds` (both signatures are
 * sent), so the receiver can switch to the new secret without refusing a delivery meanwhile.
 */
export async function rotateEndpointSecret(
  tx: Tx,
  id: string,
  overlapSeconds: number = WEBHOOK_LIMITS.defaultOverlapSeconds,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > WEBHOOK_LIMITS.overlapSeconds)
    throw new InvalidInputError('WEBHOOK_OVERLAP_OUT_OF_RANGE', { max: WEBHOOK_LIMITS.overlapSeconds }, [
      'overlapSeconds',
    ]);
  const current = await findEndpoint(tx, id);
  const secret = newWebhookSecret();
  const endpoint = await tx.webhookEndpoint.update({
    where: { id },
    data: {
      secretEnc: keyring().encrypt(SECRET_FIELD, secret),
      previousSecretEnc: overlapSeconds > 0 ? current.secretEnc : null,
      previousSecretExpiresAt: overlapSeconds > 0 ? new Date(Date.now() + overlapSeconds * 1000) : null,
    },
  });
  return { endpoint, secret };
}

/** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
export function signingSecrets(endpoint: WebhookEndpoint, now = new Date()): string[] {
  const secrets = [keyring().decrypt(SECRET_FIELD, endpoint.secretEnc)];
  if (endpoint.previousSecretEnc && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now)
    secrets.push(keyring().decrypt(SECRET_FIELD, endpoint.previousSecretEnc));
  return secrets;
}

export async function deleteEndpoint({ tx, emit }: { tx: Tx; emit: Emit }, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(tx, id);
  await tx.webhookEndpoint.delete({ where: { id } });
  emit('webhook.endpoint.changed', { endpointId: id });
  return endpoint;
}

/**
 * Sends a delivery again (after it failed, was cancelled, or to replay one that arrived): same
 * event id, so a receiver that already has it can tell; the retry window starts over.
 */
export async function redeliver(tx: Tx, deliveryId: string) {
  const delivery = await tx.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { endpoint: true } });
  if (!delivery) throw new NotFoundError('WebhookDelivery', deliveryId, ['id']);
  if (delivery.endpoint.status !== 'ACTIVE')
    throw new InvalidStateError('WEBHOOK_ENDPOINT_NOT_ACTIVE', { status: delivery.endpoint.status }, ['id']);
  const now = new Date();
  return tx.webhookDelivery.update({
    where: { id: deliveryId },
    data: { status: 'PENDING', retryFrom: now, nextAttemptAt: now, claimedUntil: null },
  });
}

/**
 * Part of a data key rotation (src/customers/rotate.ts): every endpoint's secrets re-encrypted
 * under the current key (a few dozen rows, one transaction); returns the key ids still in use.
 */
export async function reencryptWebhookSecrets(db: Db, keys: Keyring): Promise<Set<string>> {
  const prefix = `${keys.current.id}:`;
  await db.$transaction(async (tx) => {
    const endpoints = await tx.$queryRawUnsafe<{ id: string; secretEnc: string; previousSecretEnc: string | null }[]>(
      `SELECT id::text AS id, "secretEnc", "previousSecretEnc" FROM "WebhookEndpoint"
        WHERE NOT starts_with("secretEnc", $1) OR NOT starts_with("previousSecretEnc", $1) FOR UPDATE`,
      prefix,
    );
    for (const e of endpoints) {
      const seal = (v: string) =>
        v.startsWith(prefix) ? v : keys.encrypt(SECRET_FIELD, keys.decrypt(SECRET_FIELD, v));
      await tx.webhookEndpoint.update({
        where: { id: e.id },
        data: { secretEnc: seal(e.secretEnc), previousSecretEnc: e.previousSecretEnc && seal(e.previousSecretEnc) },
      });
    }
  });
  const rows = await db.webhookEndpoint.findMany({ select: { secretEnc: true, previousSecretEnc: true } });
  return new Set(
    rows.flatMap((r) =>
      [r.secretEnc, r.previousSecretEnc].filter((v): v is string => !!v).map((v) => v.split(':')[0]!),
    ),
  );
}

/** The store an event belongs to, for endpoints' store filters: its payload's `storeId`, if any. */
function storeOf(event: DomainEvent): string | null {
  const storeId = (event.payload as { storeId?: unknown }).storeId;
  return typeof storeId === 'string' ? storeId : null;
}

/** Fields of a payload that are about this process, not the event (sale.recorded's commit time). */
const INTERNAL_FIELDS = new Set(['committedAt']);

/**
 * The outbox: one statement, in the emitting transaction, that writes each event some active
 * endpoint wants and a delivery per such endpoint, and returns the deliveries' ids. The endpoints
 * are matched in SQL, so a stale cache can at worst cost this statement for nothing. Delivery ids
 * are made time-ordered in SQL (48 bits of milliseconds, then random) so the log pages by id.
 */
export async function writeOutbox(tx: Tx, events: readonly DomainEvent[]): Promise<string[]> {
  const rows = events.map((event) => ({
    id: uuidv7(),
    type: event.type,
    storeId: storeOf(event),
    payload: Object.fromEntries(Object.entries(event.payload).filter(([k]) => !INTERNAL_FIELDS.has(k))),
  }));
  const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(OUTBOX_SQL, JSON.stringify(rows));
  return inserted.map((r) => r.id);
}

const OUTBOX_SQL = `
WITH e AS (
  SELECT x.id::uuid AS id, x.type, x."storeId"::uuid AS "storeId", x.payload
  FROM jsonb_to_recordset($1::jsonb) AS x(id text, type text, "storeId" text, payload jsonb)
), m AS (
  SELECT e.id AS "eventId", ep.id AS "endpointId"
  FROM e JOIN "WebhookEndpoint" ep
    ON ep.status = 'ACTIVE' AND e.type = ANY (ep."eventTypes")
   AND (e."storeId" IS NULL OR cardinality(ep."storeIds") = 0 OR e."storeId" = ANY (ep."storeIds"))
), ev AS (
  INSERT INTO "WebhookEvent" (id, type, "storeId", payload)
  SELECT id, type, "storeId", payload FROM e WHERE id IN (SELECT "eventId" FROM m)
  RETURNING id
)
INSERT INTO "WebhookDelivery" (id, "eventId", "endpointId")
SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
        || substr(replace(gen_random_uuid()::text, '-', ''), 14))::uuid,
       m."eventId", m."endpointId"
FROM m JOIN ev ON ev.id = m."eventId"
RETURNING id::text AS id`;
