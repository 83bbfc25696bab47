import { encodeGlobalID } from '@pothos/plugin-relay';
import { AuditActorKind } from '../generated/prisma/enums.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Builder } from '../schema/builder.ts';
import { isUuid } from '../db/ids.ts';
import { InvalidInputError } from '../errors/index.ts';

/**
 * The audit log in GraphQL: read-only (there is no mutation on it), for callers with the
 * chain-level `audit:read` (owners of the whole chain).
 */
export function addAuditTypes(builder: Builder) {
  const ActorKindEnum = builder.enumType(AuditActorKind, { name: 'AuditActorKind' });
  const jsonText = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

  builder.prismaNode('AuditEntry', {
    id: { field: 'id' },
    authScopes: { permission: 'audit:read' },
    description:
      'One administrative or personal-data action: who, when, from where, what, on which record. Append-only; ' +
      'personal fields appear masked.',
    fields: (t) => ({
      at: t.expose('at', { type: 'DateTime' }),
      actorKind: t.expose('actorKind', { type: ActorKindEnum }),
      actorId: t.id({
        nullable: true,
        description: 'Global id of the staff member (Staff) or the API key (ApiKey).',
        resolve: (e) => (e.actorId ? encodeGlobalID(e.actorKind === 'STAFF' ? 'Staff' : 'ApiKey', e.actorId) : null),
      }),
      actorName: t.exposeString('actorName'),
      clientAddress: t.exposeString('clientAddress', {
        nullable: true,
        description: 'Peer address of the connection.',
      }),
      forwardedFor: t.exposeString('forwardedFor', {
        nullable: true,
        description: 'X-Forwarded-For as the client sent it (not verified).',
      }),
      requestId: t.exposeString('requestId', { nullable: true }),
      operation: t.exposeString('operation', {
        description: 'e.g. customer.update, customer.reveal, export.customers',
      }),
      entityType: t.exposeString('entityType', { nullable: true }),
      entityId: t.id({
        nullable: true,
        description: 'Global id of the record (entityType:id).',
        resolve: (e) => (e.entityId && e.entityType ? encodeGlobalID(e.entityType, e.entityId) : null),
      }),
      storeId: t.id({
        nullable: true,
        description: 'Global id, as Store.id.',
        resolve: (e) => (e.storeId ? encodeGlobalID('Store', e.storeId) : null),
      }),
      before: t.string({
        nullable: true,
        description: 'JSON: the changed fields before.',
        resolve: (e) => jsonText(e.before),
      }),
      after: t.string({
        nullable: true,
        description: 'JSON: the changed fields after.',
        resolve: (e) => jsonText(e.after),
      }),
      details: t.string({
        nullable: true,
        description: 'JSON: anything else (filters, counts, reason).',
        resolve: (e) => jsonText(e.details),
      }),
    }),
  });

  const Filter = builder.inputType('AuditLogFilter', {
    fields: (t) => ({
      operation: t.string({ description: 'Exact operation, or a prefix ending in "." (e.g. "customer.").' }),
      actorId: t.id({ description: 'A Staff or ApiKey global id (a database id is accepted too).' }),
      entityId: t.globalID({ description: 'The record, by its global id.' }),
      from: t.field({ type: 'DateTime', description: 'Inclusive' }),
      to: t.field({ type: 'DateTime', description: 'Exclusive' }),
    }),
  });

  builder.queryFields((t) => ({
    auditLog: t.prismaConnection({
      type: 'AuditEntry',
      cursor: 'id',
      description: 'The audit log, newest first (chain-level audit:read).',
      authScopes: { permission: 'audit:read' },
      args: { filter: t.arg({ type: Filter }) },
      totalCount: (_root, args, ctx) => ctx.db.auditEntry.count({ where: auditWhere(args.filter) }),
      resolve: (query, _root, args, ctx) =>
        ctx.db.auditEntry.findMany({ ...query, where: auditWhere(args.filter), orderBy: { id: 'desc' } }),
    }),
  }));
}

type FilterArgs =
  | {
      operation?: string | null;
      actorId?: string | number | null;
      entityId?: { id: string } | null;
      from?: Date | null;
      to?: Date | null;
    }
  | null
  | undefined;

function auditWhere(filter: FilterArgs): Prisma.AuditEntryWhereInput {
  const where: Prisma.AuditEntryWhereInput = {};
  if (!filter) return where;
  if (filter.operation)
    where.operation = filter.operation.endsWith('.') ? { startsWith: filter.operation } : filter.operation;
  if (filter.actorId) {
    const id = actorDbId(String(filter.actorId));
    if (!isUuid(id)) throw new InvalidInputError('INVALID_ID', { id: String(filter.actorId) }, ['filter', 'actorId']);
    where.actorId = id;
  }
  if (filter.entityId) where.entityId = filter.entityId.id;
  if (filter.from || filter.to)
    where.at = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) };
  return where;
}

/** A Staff or ApiKey global id, or a database id, as stored. */
function actorDbId(id: string): string {
  if (isUuid(id)) return id;
  const decoded = /^(Staff|ApiKey):(.+)$/.exec(Buffer.from(id, 'base64').toString('utf8'));
  return decoded ? decoded[2]! : id;
}
