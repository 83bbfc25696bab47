import type { Db, Tx } from '../../src/db/tx.ts';
import { ConflictError, InvalidInputError, InvalidStateError, NotFoundError } from '../../src/errors/index.ts';
import type { EventBus } from '../../src/events/bus.ts';
import { runInTransaction, type Unit } from '../../src/events/transaction.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';

export const APPOINTMENT_STATUSES = ['BOOKED', 'CANCELLED', 'DONE', 'NO_SHOW'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export interface AppointmentRow {
  id: string;
  status: AppointmentStatus;
  customerId: string;
  storeId: string;
  staffId: string | null;
  resource: string | null;
  startsAt: Date;
  endsAt: Date;
  note: string;
  ticketId: string | null;
  reminderSentAt: Date | null;
  createdAt: Date;
}

export const APPOINTMENT_COLUMNS = Prisma.sql`id::text AS id, status, "customerId"::text AS "customerId",
  "storeId"::text AS "storeId", "staffId"::text AS "staffId", resource, "startsAt", "endsAt", note,
  "ticketId"::text AS "ticketId", "reminderSentAt", "createdAt"`;

export const APPOINTMENT_LIMITS = { minMinutes: 5, maxMinutes: 12 * 60, aheadDays: 366, resource: 60, note: 1000 };

export interface NewAppointment {
  customerId: string;
  storeId: string;
  staffId: string | null;
  resource: string | null;
  startsAt: Date;
  endsAt: Date;
  note: string;
  ticketId: string | null;
}

const invalid = (field: string, detail: string) =>
  new InvalidInputError('APPOINTMENT_INVALID', { field, detail }, ['input', field]);

/**
 * Books a slot for a customer with a staff member and/or a service resource (a repair bench, a
 * fitting room) of a store. A booked slot that overlaps ([startsAt, endsAt) intersecting) one of
 * the same staff member or the same resource of the store is refused. Two bookings racing for the
 * same slot serialise on a transaction-scoped advisory lock per staff member and per resource,
 * taken in a fixed order, so exactly one of them is kept (tests/ticketing.test.ts, on PostgreSQL).
 */
export async function bookAppointment(
  unit: Unit,
  input: NewAppointment,
  createdById: string | null,
  now: Date,
): Promise<AppointmentRow> {
  const { tx } = unit;
  const resource = input.resource?.trim() || null;
  if (!input.staffId && !resource) throw invalid('staffId', 'a staff member or a resource');
  if (resource && resource.length > APPOINTMENT_LIMITS.resource)
    throw invalid('resource', `at most ${APPOINTMENT_LIMITS.resource} characters`);
  const note = input.note.trim();
  if (note.length > APPOINTMENT_LIMITS.note) throw invalid('note', `at most ${APPOINTMENT_LIMITS.note} characters`);
  const minutes = (input.endsAt.getTime() - input.startsAt.getTime()) / 60_000;
  if (minutes < APPOINTMENT_LIMITS.minMinutes || minutes > APPOINTMENT_LIMITS.maxMinutes)
    throw invalid('endsAt', `${APPOINTMENT_LIMITS.minMinutes} minutes to ${APPOINTMENT_LIMITS.maxMinutes / 60} hours`);
  if (input.startsAt <= now) throw invalid('startsAt', 'in the future');
  if (input.startsAt.getTime() - now.getTime() > APPOINTMENT_LIMITS.aheadDays * 86_400_000)
    throw invalid('startsAt', `within ${APPOINTMENT_LIMITS.aheadDays} days`);
  const customer = await tx.customer.findUnique({ where: { id: input.customerId }, select: { mergedIntoId: true } });
  if (!customer) throw new NotFoundError('Customer', input.customerId, ['input', 'customerId']);
  let staffName: string | null = null;
  if (input.staffId) {
    const [staff] = await tx.$queryRaw<{ name: string; inStore: boolean }[]>`
      SELECT s.name, EXISTS (SELECT 1 FROM "StaffRole" r WHERE r."staffId" = s.id
        AND r."storeId" = ${input.storeId}::uuid) AS "inStore"
      FROM "Staff" s WHERE s.id = ${input.staffId}::uuid AND s.active`;
    if (!staff) throw new NotFoundError('Staff', input.staffId, ['input', 'staffId']);
    if (!staff.inStore)
      throw new InvalidInputError('TICKET_ASSIGNEE_NOT_IN_STORE', { name: staff.name }, ['input', 'staffId']);
    staffName = staff.name;
  }

  const keys = [
    ...(input.staffId ? [`appointment:staff:${input.staffId}`] : []),
    ...(resource ? [`appointment:resource:${input.storeId}:${resource}`] : []),
  ].sort();
  for (const key of keys) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`;

  const [clash] = await tx.$queryRaw<AppointmentRow[]>`
    SELECT ${APPOINTMENT_COLUMNS} FROM "ServiceAppointment"
    WHERE status = 'BOOKED' AND "startsAt" < ${input.endsAt} AND "endsAt" > ${input.startsAt}
      AND ("staffId" = ${input.staffId}::uuid OR ("storeId" = ${input.storeId}::uuid AND resource = ${resource}))
    ORDER BY "startsAt" LIMIT 1`;
  if (clash) {
    const byStaff = !!input.staffId && clash.staffId === input.staffId;
    throw new ConflictError(
      'APPOINTMENT_OVERLAP',
      {
        who: byStaff ? staffName! : resource!,
        whoEn: byStaff ? staffName! : resource!,
        startsAt: clash.startsAt.toISOString(),
        endsAt: clash.endsAt.toISOString(),
      },
      ['input', byStaff ? 'staffId' : 'resource'],
    );
  }
  const [row] = await tx.$queryRaw<AppointmentRow[]>`
    INSERT INTO "ServiceAppointment" ("customerId", "storeId", "staffId", resource, "startsAt", "endsAt", note,
      "ticketId", "createdById", "createdAt")
    VALUES (${customer.mergedIntoId ?? input.customerId}::uuid, ${input.storeId}::uuid, ${input.staffId}::uuid,
      ${resource}, ${input.startsAt}, ${input.endsAt}, ${note}, ${input.ticketId}::uuid, ${createdById}::uuid, ${now})
    RETURNING ${APPOINTMENT_COLUMNS}`;
  return row!;
}

/** Ends a booked appointment as CANCELLED, DONE or NO_SHOW; anything else is final. */
export async function settleAppointment(tx: Tx, id: string, to: Exclude<AppointmentStatus, 'BOOKED'>) {
  const [row] = await tx.$queryRaw<AppointmentRow[]>`
    SELECT ${APPOINTMENT_COLUMNS} FROM "ServiceAppointment" WHERE id = ${id}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError('ServiceAppointment', id, ['id']);
  if (row.status !== 'BOOKED') throw new InvalidStateError('APPOINTMENT_NOT_BOOKED', { status: row.status }, ['id']);
  const [after] = await tx.$queryRaw<AppointmentRow[]>`
    UPDATE "ServiceAppointment" SET status = ${to} WHERE id = ${id}::uuid RETURNING ${APPOINTMENT_COLUMNS}`;
  return after!;
}

/**
 * The reminder job: every booked appointment starting within `hours` and not yet reminded is
 * marked and announced (`appointment.reminder`), once, however often the job runs.
 */
export async function sendReminders(db: Db, events: EventBus, now: Date, hours: number): Promise<number> {
  return runInTransaction(db, events, async ({ tx, emit }) => {
    const until = new Date(now.getTime() + hours * 3_600_000);
    const due = await tx.$queryRaw<AppointmentRow[]>`
      UPDATE "ServiceAppointment" SET "reminderSentAt" = ${now}
      WHERE id IN (SELECT id FROM "ServiceAppointment" WHERE status = 'BOOKED' AND "reminderSentAt" IS NULL
        AND "startsAt" > ${now} AND "startsAt" <= ${until} ORDER BY "startsAt" LIMIT 1000 FOR UPDATE SKIP LOCKED)
      RETURNING ${APPOINTMENT_COLUMNS}`;
    for (const a of due)
      emit('appointment.reminder', {
        appointmentId: a.id,
        storeId: a.storeId,
        customerId: a.customerId,
        staffId: a.staffId,
        resource: a.resource,
        startsAt: a.startsAt.toISOString(),
        endsAt: a.endsAt.toISOString(),
      });
    return due.length;
  });
}
