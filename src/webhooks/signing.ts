import { createHmac, randomBytes } from 'node:crypto';

/** The version of the body's shape (docs/webhooks.md); sent in every delivery's headers and body. */
export const WEBHOOK_SCHEMA_VERSION = 1;

/** Header names, lower-case as HTTP/2 and fetch give them. */
export const WEBHOOK_HEADERS = {
  eventId: 'x-storecrm-event-id',
  eventType: 'x-storecrm-event-type',
  timestamp: 'x-storecrm-timestamp',
  signature: 'x-storecrm-signature',
  schemaVersion: 'x-storecrm-schema-version',
  deliveryId: 'x-storecrm-delivery-id',
  attempt: 'x-storecrm-attempt',
} as const;

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a configuration file. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The signature header: one signature per secret in force (two during a rotation's overlap). */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return secrets.map((s) => signature(s, timestamp, body)).join(',');
}
