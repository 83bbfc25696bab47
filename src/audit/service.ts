import type { IncomingMessage } from 'node:http';
import type { Principal } from '../auth/principal.ts';
import { uuidv7 } from '../db/ids.ts';
import type { Db, Tx } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';

/** Who did it and from where, as the audit log records it. */
export interface AuditActor {
  kind: 'STAFF' | 'API_KEY' | 'SYSTEM' | 'CUSTOMER';
  id: string | null;
  name: string;
  clientAddress: string | null;
  forwardedFor: string | null;
  requestId: string | null;
}

export interface AuditRecord {
  /** What was done: `<entity>.<verb>`, e.g. customer.update, customer.reveal, export.customers. */
  operation: string;
  entityType?: string | null;
  entityId?: string | null;
  storeId?: string | null;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

/** The client of a request: the connection's peer, and X-Forwarded-For as sent (unverified, bounded). */
export function clientOf(address: string | null | undefined, forwardedFor: string | null | undefined) {
  return { address: address ?? null, forwardedFor: forwardedFor ? forwardedFor.slice(0, 200) : null };
}

const ACTOR_KINDS = { apiKey: 'API_KEY', staff: 'STAFF', customer: 'CUSTOMER', anonymous: 'SYSTEM' } as const;

export function actorOf(
  auth: Principal,
  client: { address: string | null; forwardedFor: string | null },
  requestId: string | null,
): AuditActor {
  return {
    kind: ACTOR_KINDS[auth.kind],
    id: auth.id,
    name: auth.name,
    clientAddress: client.address,
    forwardedFor: client.forwardedFor,
    requestId,
  };
}

/** The actor of a plain HTTP route (exports, imports), which resolves its caller itself. */
export function actorOfRequest(auth: Principal, req: IncomingMessage): AuditActor {
  const forwarded = req.headers['x-forwarded-for'];
  const requestId = req.headers['x-request-id'];
  return actorOf(
    auth,
    clientOf(req.socket?.remoteAddress, typeof forwarded === 'string' ? forwarded : null),
    typeof requestId === 'string' ? requestId.slice(0, 100) : null,
  );
}

/** The actor of a GraphQL request (its context). */
export function actorOfContext(ctx: {
  auth: Principal;
  client: { address: string | null; forwardedFor: string | null };
  requestId: string;
}) {
  return actorOf(ctx.auth, ctx.client, ctx.requestId);
}

const json = (v: unknown) => (v === undefined || v === null ? undefined : (toJson(v) as Prisma.InputJsonValue));

/** Dates as ISO strings, Decimals and bigints as strings: what JSON can hold, exactly. */
function toJson(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    if (Prisma.Decimal.isDecimal(v)) return (v as Prisma.Decimal).toString();
    return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, toJson(x)]));
  }
  return v;
}

/**
 * Appends one entry, in the caller's transaction: the entry exists exactly when the change does.
 * Nothing updates or deletes entries (a trigger refuses it, see the migration).
 */
export async function audit(tx: Tx | Db, actor: AuditActor, record: AuditRecord): Promise<void> {
  await tx.auditEntry.create({
    data: {
      id: uuidv7(),
      at: new Date(),
      actorKind: actor.kind,
      actorId: actor.id,
      actorName: actor.name,
      clientAddress: actor.clientAddress,
      forwardedFor: actor.forwardedFor,
      requestId: actor.requestId,
      operation: record.operation,
      entityType: record.entityType ?? null,
      entityId: record.entityId ?? null,
      storeId: record.storeId ?? null,
      before: json(record.before),
      after: json(record.after),
      details: json(record.details),
    },
  });
}

/** The fields of `after` that differ from `before` (both sides), for an update's entry. */
export function changedFields<T extends Record<string, unknown>>(before: T, after: T) {
  const keys = Object.keys(after).filter((k) => JSON.stringify(toJson(before[k])) !== JSON.stringify(toJson(after[k])));
  return {
    before: Object.fromEntries(keys.map((k) => [k, before[k]])),
    after: Object.fromEntries(keys.map((k) => [k, after[k]])),
  };
}
