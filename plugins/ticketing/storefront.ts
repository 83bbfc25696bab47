import type { Db } from '../../src/db/tx.ts';
import type { Builder } from '../../src/schema/builder.ts';
import { customerAccountRef } from '../../src/storefront/types.ts';
import { ENTRY_COLUMNS, type EntryRow, TICKET_COLUMNS, type TicketRow } from './service.ts';
import type { addTicketTypes } from './types.ts';

type TicketEnums = ReturnType<typeof addTicketTypes>;

/**
 * The customer's own tickets on their storefront (a customer token, docs/storefront.md): what
 * they asked and what they were told, never internal notes, escalations or who handled it.
 */
export function addMyTicketTypes(builder: Builder, { TypeEnum: TypeRef, StatusEnum: StatusRef }: TicketEnums) {
  const Update = builder.objectRef<EntryRow>('MyTicketUpdate').implement({
    description: 'What the customer was told: a reply, or a change of status.',
    fields: (t) => ({
      body: t.string({ resolve: (e) => e.body }),
      toStatus: t.field({ type: StatusRef, nullable: true, resolve: (e) => e.toStatus }),
      createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    }),
  });

  const MyTicket = builder.objectRef<TicketRow>('MyTicket').implement({
    description: "One of the customer's own tickets (complaint, inquiry, after-sales…), as they see it.",
    fields: (t) => ({
      number: t.int({ resolve: (r) => r.number }),
      type: t.field({ type: TypeRef, resolve: (r) => r.type }),
      status: t.field({ type: StatusRef, resolve: (r) => r.status }),
      subject: t.string({ resolve: (r) => r.subject }),
      createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
      resolvedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.resolvedAt }),
      updates: t.field({
        type: [Update],
        description: 'Oldest first: the replies the customer was sent and each change of status (at most 100).',
        resolve: (r, _a, ctx) => publicUpdates(ctx.db, r.id),
      }),
    }),
  });

  builder.objectField(customerAccountRef(builder), 'tickets', (t) =>
    t.field({
      type: [MyTicket],
      description: 'The customer’s own tickets, newest first (at most 20).',
      resolve: (c, _a, ctx) =>
        ctx.db.$queryRaw<TicketRow[]>`
          SELECT ${TICKET_COLUMNS} FROM "Ticket" WHERE "customerId" = ${c.id}::uuid
          ORDER BY "createdAt" DESC LIMIT 20`,
    }),
  );
}

/** Replies and status changes only: internal notes, assignments and escalations are for staff. */
function publicUpdates(db: Db, ticketId: string) {
  return db.$queryRaw<EntryRow[]>`
    SELECT ${ENTRY_COLUMNS} FROM "TicketEntry"
    WHERE "ticketId" = ${ticketId}::uuid AND NOT internal AND kind IN ('CREATED', 'COMMENT', 'STATUS_CHANGE')
    ORDER BY seq LIMIT 100`;
}
