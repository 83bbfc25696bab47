import { encodeGlobalID } from '@pothos/plugin-relay';
import { actorOfContext, audit } from '../audit/service.ts';
import { isUuid } from '../db/ids.ts';
import { InvalidInputError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import type { Prisma, WebhookEndpoint } from '../generated/prisma/client.ts';
import { WebhookDeliveryStatus, WebhookEndpointStatus } from '../generated/prisma/enums.ts';
import type { Builder } from '../schema/builder.ts';
import { RESPONSE_EXCERPT_CHARS } from './delivery.ts';
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointRules,
  redeliver,
  rotateEndpointSecret,
  updateEndpoint,
  WEBHOOK_LIMITS,
} from './service.ts';

/**
 * Webhooks in GraphQL (docs/webhooks.md): endpoints, their secrets, the event types on offer and
 * the delivery log, all behind the chain-level `webhook:manage`: an endpoint receives events of
 * the whole chain (customers are shared), so only someone who manages every store may point one.
 */
export function addWebhookTypes(builder: Builder) {
  const scope = { permission: 'webhook:manage' } as const;
  const EndpointStatus = builder.enumType(WebhookEndpointStatus, {
    name: 'WebhookEndpointStatus',
    description: 'ACTIVE: delivered to. PAUSED: by hand. DISABLED: after too many failed deliveries in a row.',
  });
  const DeliveryStatus = builder.enumType(WebhookDeliveryStatus, {
    name: 'WebhookDeliveryStatus',
    description:
      'PENDING: not yet delivered, attempts continue. DELIVERED: answered 2xx. FAILED: retries given up. ' +
      'CANCELLED: the endpoint was paused or disabled first.',
  });
  const rules = (ctx: { app: { webhooks: { policy: EndpointRules['policy']; catalog: { type: string }[] } } }) => ({
    policy: ctx.app.webhooks.policy,
    eventTypes: new Set(ctx.app.webhooks.catalog.map((e) => e.type)),
  });
  const summary = (e: WebhookEndpoint) => ({
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    storeIds: e.storeIds,
    status: e.status,
  });

  const EventTypeRef = builder.simpleObject('WebhookEventType', {
    description: 'An event an endpoint may ask for: core’s, or an installed plugin’s.',
    fields: (t) => ({
      type: t.string({ description: 'e.g. sale.recorded, tier.changed' }),
      source: t.string({ description: '"core", or the plugin that emits it.' }),
      description: t.string({ description: "In the caller's language." }),
    }),
  });

  builder.prismaNode('WebhookEndpoint', {
    id: { field: 'id' },
    authScopes: scope,
    description: 'Where events are delivered, signed with the endpoint’s secret (never shown again after creation).',
    fields: (t) => ({
      url: t.exposeString('url'),
      description: t.exposeString('description', { nullable: true }),
      eventTypes: t.exposeStringList('eventTypes'),
      storeIds: t.idList({
        description: 'Global ids, as Store.id; empty: every store. Chain-wide events (customers) are always delivered.',
        resolve: (e) => e.storeIds.map((id) => encodeGlobalID('Store', id)),
      }),
      status: t.expose('status', { type: EndpointStatus }),
      consecutiveFailures: t.exposeInt('consecutiveFailures', {
        description: 'Deliveries given up in a row since the last success.',
      }),
      disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
      disabledReason: t.exposeString('disabledReason', { nullable: true }),
      previousSecretExpiresAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'After a rotation: until when the previous secret still signs beside the new one.',
        resolve: (e) =>
          e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? e.previousSecretExpiresAt : null,
      }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    }),
  });

  builder.prismaObject('WebhookEvent', {
    description: 'An event as delivered: the body’s `id`, `type`, `occurredAt` and `data`.',
    fields: (t) => ({
      // Not `id`: only Nodes have one (node(id:) cannot fetch an event); this is the header's value.
      eventId: t.exposeString('id', {
        description: 'The event id (X-StoreCRM-Event-Id): the same on every attempt and redelivery.',
      }),
      type: t.exposeString('type'),
      occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
      data: t.string({ description: 'JSON: the payload, as in the body.', resolve: (e) => JSON.stringify(e.payload) }),
    }),
  });

  builder.prismaObject('WebhookAttempt', {
    description: 'One HTTP request of a delivery.',
    fields: (t) => ({
      number: t.exposeInt('number'),
      startedAt: t.expose('startedAt', { type: 'DateTime' }),
      durationMs: t.exposeInt('durationMs', {
        description: 'Latency: from sending to the answer read (or the failure).',
      }),
      statusCode: t.exposeInt('statusCode', { nullable: true }),
      error: t.exposeString('error', {
        nullable: true,
        description: 'Why there was no answer: timeout, refused address, connection error.',
      }),
      responseExcerpt: t.exposeString('responseExcerpt', {
        nullable: true,
        description: `The answer’s first ${RESPONSE_EXCERPT_CHARS} characters.`,
      }),
    }),
  });

  builder.prismaNode('WebhookDelivery', {
    id: { field: 'id' },
    authScopes: scope,
    description: 'One event for one endpoint, with every attempt.',
    fields: (t) => ({
      endpoint: t.relation('endpoint'),
      event: t.relation('event'),
      status: t.expose('status', { type: DeliveryStatus }),
      attemptCount: t.exposeInt('attemptCount'),
      nextAttemptAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When PENDING: when the next attempt is due.',
        resolve: (d) => (d.status === 'PENDING' ? d.nextAttemptAt : null),
      }),
      lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true }),
      lastError: t.exposeString('lastError', { nullable: true }),
      deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      attempts: t.relation('attempts', {
        description:
          'Newest first, the last 100 (a delivery retried for a day has a few dozen; attemptCount counts them all).',
        query: { orderBy: { number: 'desc' }, take: 100 },
      }),
    }),
  });

  builder.queryFields((t) => ({
    webhookEventTypes: t.field({
      type: [EventTypeRef],
      description: 'The events an endpoint may ask for, from core and the installed plugins.',
      authScopes: scope,
      resolve: (_root, _args, ctx) =>
        ctx.app.webhooks.catalog.map((e) => ({
          type: e.type,
          source: e.source,
          description: e.description[ctx.locale],
        })),
    }),
    webhookEndpoints: t.prismaField({
      type: ['WebhookEndpoint'],
      description: `Every endpoint (at most ${WEBHOOK_LIMITS.endpoints}), oldest first.`,
      authScopes: scope,
      resolve: (query, _root, _args, ctx) => ctx.db.webhookEndpoint.findMany({ ...query, orderBy: { id: 'asc' } }),
    }),
    webhookDeliveries: t.prismaConnection({
      type: 'WebhookDelivery',
      cursor: 'id',
      description: 'The delivery log, newest first.',
      authScopes: scope,
      args: {
        endpointId: t.arg.globalID({ description: 'WebhookEndpoint.id' }),
        status: t.arg({ type: DeliveryStatus }),
        eventId: t.arg.id({ description: 'WebhookEvent.id (X-StoreCRM-Event-Id).' }),
      },
      totalCount: (_root, args, ctx) => ctx.db.webhookDelivery.count({ where: deliveryWhere(args) }),
      resolve: (query, _root, args, ctx) =>
        ctx.db.webhookDelivery.findMany({ ...query, where: deliveryWhere(args), orderBy: { id: 'desc' } }),
    }),
  }));

  const CreateInput = builder.inputType('CreateWebhookEndpointInput', {
    fields: (t) => ({
      url: t.string({
        required: true,
        description:
          'https:// (http:// only to a loopback address); a public address unless WEBHOOK_ALLOWED_NETWORKS allows it.',
        extensions: { maxLength: WEBHOOK_LIMITS.urlLength },
      }),
      description: t.string(),
      eventTypes: t.stringList({ required: true, description: 'From webhookEventTypes.' }),
      storeIds: t.globalIDList({
        description: 'Only these stores’ events (chain-wide events always); omitted: every store.',
      }),
      active: t.boolean({ description: 'false: created paused. Default true.' }),
    }),
  });
  const UpdateInput = builder.inputType('UpdateWebhookEndpointInput', {
    fields: (t) => ({
      url: t.string({ extensions: { maxLength: WEBHOOK_LIMITS.urlLength } }),
      description: t.string(),
      eventTypes: t.stringList(),
      storeIds: t.globalIDList({ description: 'Empty list: every store.' }),
      active: t.boolean({ description: 'false pauses; true resumes, and turns a disabled endpoint on again.' }),
    }),
  });
  const SecretPayload = builder
    .objectRef<{ endpointId: string; secret: string }>('WebhookEndpointSecretPayload')
    .implement({
      fields: (t) => ({
        secret: t.exposeString('secret', {
          description: 'The signing secret. Shown only now: keep it in the receiver’s configuration.',
        }),
        endpoint: t.prismaField({
          type: 'WebhookEndpoint',
          resolve: (query, parent, _args, ctx) =>
            ctx.db.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: parent.endpointId } }),
        }),
      }),
    });

  const DeletedPayload = builder.simpleObject('DeleteWebhookEndpointPayload', {
    fields: (t) => ({ deletedId: t.id({ description: 'The removed WebhookEndpoint.id.' }) }),
  });

  builder.mutationFields((t) => ({
    createWebhookEndpoint: t.field({
      type: SecretPayload,
      description: 'Registers an endpoint; its events are delivered from the next commit on.',
      authScopes: scope,
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: CreateInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const { endpoint, secret } = await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const created = await createEndpoint(unit, rules(ctx), endpointFields(input));
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'webhook.create',
            entityType: 'WebhookEndpoint',
            entityId: created.endpoint.id,
            after: summary(created.endpoint),
          });
          return created;
        });
        return { endpointId: endpoint.id, secret };
      },
    }),
    updateWebhookEndpoint: t.prismaField({
      type: 'WebhookEndpoint',
      description: 'Changes an endpoint; `active` pauses, resumes or turns on again a disabled one.',
      authScopes: scope,
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        id: t.arg.globalID({ required: true, description: 'WebhookEndpoint.id' }),
        input: t.arg({ type: UpdateInput, required: true }),
      },
      resolve: async (query, _root, { id, input }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const { before, after } = await updateEndpoint(unit, rules(ctx), id.id, endpointFields(input));
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'webhook.update',
            entityType: 'WebhookEndpoint',
            entityId: id.id,
            before: summary(before),
            after: summary(after),
          });
        });
        return ctx.db.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: id.id } });
      },
    }),
    rotateWebhookSecret: t.field({
      type: SecretPayload,
      description:
        'A new secret. The previous one keeps signing beside it for overlapSeconds ' +
        `(default ${WEBHOOK_LIMITS.defaultOverlapSeconds}, at most ${WEBHOOK_LIMITS.overlapSeconds}; 0: at once), ` +
        'so receivers can switch without refusing a delivery.',
      authScopes: scope,
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        id: t.arg.globalID({ required: true, description: 'WebhookEndpoint.id' }),
        overlapSeconds: t.arg.int(),
      },
      resolve: async (_root, args, ctx) => {
        const { endpoint, secret } = await runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const rotated = await rotateEndpointSecret(tx, args.id.id, args.overlapSeconds ?? undefined);
          await audit(tx, actorOfContext(ctx), {
            operation: 'webhook.rotateSecret',
            entityType: 'WebhookEndpoint',
            entityId: args.id.id,
            details: { overlapSeconds: args.overlapSeconds ?? WEBHOOK_LIMITS.defaultOverlapSeconds },
          });
          return rotated;
        });
        return { endpointId: endpoint.id, secret };
      },
    }),
    deleteWebhookEndpoint: t.field({
      type: DeletedPayload,
      description: 'Removes an endpoint with its delivery log; nothing more is sent to it.',
      authScopes: scope,
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true, description: 'WebhookEndpoint.id' }) },
      resolve: async (_root, { id }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, async (unit) => {
          const removed = await deleteEndpoint(unit, id.id);
          await audit(unit.tx, actorOfContext(ctx), {
            operation: 'webhook.delete',
            entityType: 'WebhookEndpoint',
            entityId: id.id,
            before: summary(removed),
          });
        });
        return { deletedId: encodeGlobalID('WebhookEndpoint', id.id) };
      },
    }),
    redeliverWebhook: t.prismaField({
      type: 'WebhookDelivery',
      description:
        'Sends a delivery again now (same event id), whatever its status; its retry window starts over. ' +
        'The endpoint must be active.',
      authScopes: scope,
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { id: t.arg.globalID({ required: true, description: 'WebhookDelivery.id' }) },
      resolve: async (query, _root, { id }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, ({ tx }) => redeliver(tx, id.id));
        await ctx.app.webhooks.deliverSoon(id.id);
        return ctx.db.webhookDelivery.findUniqueOrThrow({ ...query, where: { id: id.id } });
      },
    }),
  }));
}

/** An endpoint's fields as createWebhookEndpoint and updateWebhookEndpoint take them, store ids decoded. */
function endpointFields<I extends { storeIds?: readonly { id: string }[] | null }>(input: I) {
  return { ...input, storeIds: input.storeIds?.map((g) => g.id) };
}

function deliveryWhere(args: {
  endpointId?: { id: string } | null;
  status?: WebhookDeliveryStatus | null;
  eventId?: string | number | null;
}): Prisma.WebhookDeliveryWhereInput {
  return {
    ...(args.endpointId ? { endpointId: args.endpointId.id } : {}),
    ...(args.status ? { status: args.status } : {}),
    ...(args.eventId ? { eventId: checkedId(String(args.eventId)) } : {}),
  };
}

function checkedId(id: string) {
  if (!isUuid(id)) throw new InvalidInputError('INVALID_ID', { id: id.slice(0, 60) }, ['eventId']);
  return id;
}
