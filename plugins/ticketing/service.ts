import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CalendarService } from '../../src/calendar/service.ts';
import type { Db, Tx } from '../../src/db/tx.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../../src/errors/index.ts';
import type { EventBus } from '../../src/events/bus.ts';
import { runInTransaction, type Unit } from '../../src/events/transaction.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { addServiceMinutes, loadServiceHours } from './hours.ts';
import { STATUS_NAMES } from './messages.ts';
import type { TicketingOptions } from './options.ts';
import { serviceQuality } from './quality.ts';
import { tasksForSale } from './followups.ts';
import type { WrittenSale } from '../../src/sales/pipeline.ts';
import {
  isFinished,
  TRANSITIONS,
  type EntryKind,
  type TicketChannel,
  type TicketPriority,
  type TicketStatus,
  type TicketType,
} from './workflow.ts';

export interface TicketRow {
  id: string;
  number: number;
  type: TicketType;
  channel: TicketChannel;
  status: TicketStatus;
  priority: TicketPriority;
  customerId: string;
  storeId: string;
  saleId: string | null;
  saleLineNos: number[];
  subject: string;
  description: string;
  assigneeId: string | null;
  createdById: string | null;
  dueAt: Date | null;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  reopenCount: number;
  breachedAt: Date | null;
  escalatedToId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Attachment {
  url: string;
  sha256: string;
  name: string | null;
  contentType: string | null;
  sizeBytes: number | null;
}

export interface EntryRow {
  id: string;
  ticketId: string;
  kind: EntryKind;
  internal: boolean;
  authorId: string | null;
  body: string;
  fromStatus: TicketStatus | null;
  toStatus: TicketStatus | null;
  assigneeId: string | null;
  attachments: Attachment[];
  createdAt: Date;
}

export interface SurveyRow {
  id: string;
  ticketId: string;
  expiresAt: Date;
  answeredAt: Date | null;
  score: number | null;
  comment: string | null;
  createdAt: Date;
}

export const TICKET_COLUMNS = Prisma.sql`id::text AS id, number::int AS number, type, channel, status, priority,
  "customerId"::text AS "customerId", "storeId"::text AS "storeId", "saleId"::text AS "saleId", "saleLineNos",
  subject, description, "assigneeId"::text AS "assigneeId", "createdById"::text AS "createdById", "dueAt",
  "firstResponseAt", "resolvedAt", "closedAt", "reopenCount", "breachedAt", "escalatedToId"::text AS "escalatedToId",
  "createdAt", "updatedAt"`;
export const ENTRY_COLUMNS = Prisma.sql`id::text AS id, "ticketId"::text AS "ticketId", kind, internal,
  "authorId"::text AS "authorId", body, "fromStatus", "toStatus", "assigneeId"::text AS "assigneeId", attachments,
  "createdAt"`;
export const SURVEY_COLUMNS = Prisma.sql`id::text AS id, "ticketId"::text AS "ticketId", "expiresAt", "answeredAt",
  score, comment, "createdAt"`;

/** Bounds on what a caller may write (docs/plugins/ticketing.md). */
export const LIMITS = {
  subject: 200,
  description: 5000,
  body: 5000,
  attachments: 10,
  url: 2000,
  attachmentName: 200,
  contentType: 100,
  surveyComment: 1000,
  saleLines: 50,
} as const;

export interface NewTicket {
  type: TicketType;
  channel: TicketChannel;
  priority: TicketPriority;
  customerId: string;
  storeId: string;
  saleId: string | null;
  saleLineNos: number[];
  subject: string;
  description: string;
  assigneeId: string | null;
}

const text = (value: string, max: number, field: string[], required = false) => {
  const v = value.trim();
  if (required && !v) throw new InvalidInputError('TICKET_INVALID', { field: field.at(-1)!, detail: 'empty' }, field);
  if (v.length > max)
    throw new InvalidInputError('TICKET_INVALID', { field: field.at(-1)!, detail: `at most ${max} characters` }, field);
  return v;
};

export function checkAttachments(list: readonly Partial<Attachment>[] | null | undefined, field: string[]) {
  const items = list ?? [];
  if (items.length > LIMITS.attachments)
    throw new InvalidInputError('INPUT_TOO_MANY_ITEMS', { field: field.at(-1)!, max: LIMITS.attachments }, field);
  return items.map((a, i): Attachment => {
    const bad = (detail: string) =>
      new InvalidInputError('TICKET_ATTACHMENT_INVALID', { index: i + 1, detail }, [...field, String(i)]);
    const url = (a.url ?? '').trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
    if (!parsed || !['https:', 'http:'].includes(parsed.protocol) || url.length > LIMITS.url)
      throw bad(`url: an http(s) address of at most ${LIMITS.url} characters`);
    const sha256 = (a.sha256 ?? '').trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad('sha256: 64 hexadecimal digits');
    const name = a.name?.trim() || null;
    if (name && name.length > LIMITS.attachmentName) throw bad(`name: at most ${LIMITS.attachmentName} characters`);
    const contentType = a.contentType?.trim() || null;
    if (contentType && (contentType.length > LIMITS.contentType || !/^[\w.+-]+\/[\w.+-]+$/.test(contentType)))
      throw bad('contentType: a media type such as image/jpeg');
    const sizeBytes = a.sizeBytes ?? null;
    if (sizeBytes !== null && (!Number.isInteger(sizeBytes) || sizeBytes < 0)) throw bad('sizeBytes: 0 or more');
    return { url, sha256, name, contentType, sizeBytes };
  });
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export class TicketService {
  private calendar: CalendarService | null = null;
  constructor(readonly options: TicketingOptions) {}

  use(calendar: CalendarService) {
    this.calendar = calendar;
  }

  private get cal(): CalendarService {
    if (!this.calendar) throw new Error('ticketing: the calendar service is not set up');
    return this.calendar;
  }

  /** The sale step creating after-sales check tasks (followups.ts). */
  tasksForSale(sale: WrittenSale, unit: Unit) {
    return tasksForSale(sale, unit, this.cal);
  }

  /** Service quality over a period (quality.ts). */
  quality(db: Db, query: { from: Date; to: Date; storeIds: string[]; groupBy: 'STAFF' | 'STORE' }) {
    return serviceQuality(db, this.cal, this.options.closedOnStatutoryHolidays, query);
  }

  async byId(db: Db | Tx, id: string): Promise<TicketRow | null> {
    const [row] = await db.$queryRaw<TicketRow[]>`SELECT ${TICKET_COLUMNS} FROM "Ticket" WHERE id = ${id}::uuid`;
    return row ?? null;
  }

  async lock(tx: Tx, id: string): Promise<TicketRow> {
    const [row] = await tx.$queryRaw<TicketRow[]>`
      SELECT ${TICKET_COLUMNS} FROM "Ticket" WHERE id = ${id}::uuid FOR UPDATE`;
    if (!row) throw new NotFoundError('Ticket', id, ['id']);
    return row;
  }

  /** The due time: the SLA's minutes for the type and priority, counted in the store's service hours. */
  async dueAt(db: Db | Tx, storeId: string, type: TicketType, priority: TicketPriority, from: Date) {
    const [sla] = await db.$queryRaw<{ resolveMinutes: number }[]>`
      SELECT "resolveMinutes" FROM "TicketSla" WHERE type = ${type} AND priority = ${priority}`;
    if (!sla) return null;
    const hours = await loadServiceHours(db, this.cal, storeId, this.options.closedOnStatutoryHolidays);
    try {
      return addServiceMinutes(this.cal, from, sla.resolveMinutes, hours);
    } catch (error) {
      // A desk that never opens (no service hours, a store that never opens) has no due time.
      if (error instanceof RangeError) return null;
      throw error;
    }
  }

  async addEntry(
    tx: Tx,
    ticketId: string,
    entry: {
      kind: EntryKind;
      authorId: string | null;
      body?: string;
      fromStatus?: TicketStatus | null;
      toStatus?: TicketStatus | null;
      assigneeId?: string | null;
      attachments?: Attachment[];
      internal?: boolean;
    },
    now: Date,
  ): Promise<EntryRow> {
    const internal = entry.kind === 'INTERNAL_NOTE' || entry.kind === 'ESCALATION' || !!entry.internal;
    const [row] = await tx.$queryRaw<EntryRow[]>`
      INSERT INTO "TicketEntry" ("ticketId", kind, internal, "authorId", body, "fromStatus", "toStatus",
        "assigneeId", attachments, "createdAt")
      VALUES (${ticketId}::uuid, ${entry.kind}, ${internal}, ${entry.authorId}::uuid, ${entry.body ?? ''},
        ${entry.fromStatus ?? null}, ${entry.toStatus ?? null}, ${entry.assigneeId ?? null}::uuid,
        ${JSON.stringify(entry.attachments ?? [])}::jsonb, ${now})
      RETURNING ${ENTRY_COLUMNS}`;
    return row!;
  }

  /** The assignee must work in the ticket's store (or be an owner of it). */
  private async checkAssignee(tx: Tx, storeId: string, staffId: string, field: string[]) {
    const [staff] = await tx.$queryRaw<{ name: string; inStore: boolean }[]>`
      SELECT s.name, EXISTS (SELECT 1 FROM "StaffRole" r WHERE r."staffId" = s.id AND r."storeId" = ${storeId}::uuid)
        AS "inStore"
      FROM "Staff" s WHERE s.id = ${staffId}::uuid AND s.active`;
    if (!staff) throw new NotFoundError('Staff', staffId, field);
    if (!staff.inStore) throw new InvalidInputError('TICKET_ASSIGNEE_NOT_IN_STORE', { name: staff.name }, field);
  }

  async create(unit: Unit, input: NewTicket, authorId: string | null, now: Date): Promise<TicketRow> {
    const { tx, emit } = unit;
    const subject = text(input.subject, LIMITS.subject, ['input', 'subject'], true);
    const description = text(input.description, LIMITS.description, ['input', 'description']);
    const customer = await tx.customer.findUnique({ where: { id: input.customerId }, select: { mergedIntoId: true } });
    if (!customer) throw new NotFoundError('Customer', input.customerId, ['input', 'customerId']);
    // A merged-away record: the ticket belongs to the survivor.
    const customerId = customer.mergedIntoId ?? input.customerId;
    const lineNos = [...new Set(input.saleLineNos)];
    if (lineNos.length > LIMITS.saleLines)
      throw new InvalidInputError('INPUT_TOO_MANY_ITEMS', { field: 'saleLineNos', max: LIMITS.saleLines }, [
        'input',
        'saleLineNos',
      ]);
    if (lineNos.length && !input.saleId)
      throw new InvalidInputError('TICKET_INVALID', { field: 'saleLineNos', detail: 'needs saleId' }, [
        'input',
        'saleLineNos',
      ]);
    if (input.saleId) {
      const sale = await tx.sale.findUnique({
        where: { id: input.saleId },
        select: { customerId: true, lines: { select: { lineNo: true } } },
      });
      if (!sale) throw new NotFoundError('Sale', input.saleId, ['input', 'saleId']);
      const owners = new Set([input.customerId, customerId]);
      if (sale.customerId && !owners.has(sale.customerId))
        throw new InvalidInputError('TICKET_SALE_NOT_CUSTOMERS', {}, ['input', 'saleId']);
      const known = new Set(sale.lines.map((l) => l.lineNo));
      const missing = lineNos.findIndex((n) => !known.has(n));
      if (missing >= 0)
        throw new InvalidInputError('TICKET_SALE_LINE_UNKNOWN', { lineNo: lineNos[missing]! }, [
          'input',
          'saleLineNos',
          String(missing),
        ]);
    }
    if (input.assigneeId) await this.checkAssignee(tx, input.storeId, input.assigneeId, ['input', 'assigneeId']);
    const dueAt = await this.dueAt(tx, input.storeId, input.type, input.priority, now);
    const [row] = await tx.$queryRaw<TicketRow[]>`
      INSERT INTO "Ticket" (type, channel, priority, "customerId", "storeId", "saleId", "saleLineNos", subject,
        description, "assigneeId", "createdById", "dueAt", "createdAt", "updatedAt")
      VALUES (${input.type}, ${input.channel}, ${input.priority}, ${customerId}::uuid, ${input.storeId}::uuid,
        ${input.saleId}::uuid, ${lineNos}::int[], ${subject}, ${description}, ${input.assigneeId}::uuid,
        ${authorId}::uuid, ${dueAt}, ${now}, ${now})
      RETURNING ${TICKET_COLUMNS}`;
    await this.addEntry(tx, row!.id, { kind: 'CREATED', authorId, body: subject, toStatus: 'OPEN' }, now);
    if (input.assigneeId)
      await this.addEntry(tx, row!.id, { kind: 'ASSIGNMENT', authorId, assigneeId: input.assigneeId }, now);
    emit('ticket.updated', {
      ticketId: row!.id,
      storeId: row!.storeId,
      number: row!.number,
      status: row!.status,
      change: 'CREATED',
    });
    return row!;
  }

  /**
   * Moves a ticket along the workflow. Anything TRANSITIONS does not allow is refused naming the
   * current state; reopening (RESOLVED or CLOSED → IN_PROGRESS) only within `reopenDays` of the
   * resolution, with a new due time. Resolving issues a satisfaction survey: its token is returned
   * once.
   */
  async transition(
    unit: Unit,
    ticket: TicketRow,
    to: TicketStatus,
    note: string | null,
    authorId: string | null,
    now: Date,
  ): Promise<{ ticket: TicketRow; surveyToken: string | null }> {
    const { tx, emit } = unit;
    const from = ticket.status;
    if (!TRANSITIONS[from].includes(to))
      throw new InvalidStateError(
        'TICKET_INVALID_TRANSITION',
        {
          current: STATUS_NAMES[from]!['zh-CN'],
          target: STATUS_NAMES[to]!['zh-CN'],
          currentEn: STATUS_NAMES[from]!.en,
          targetEn: STATUS_NAMES[to]!.en,
          currentStatus: from,
        },
        ['status'],
      );
    const body = note ? text(note, LIMITS.body, ['note']) : '';
    const reopening = isFinished(from) && to === 'IN_PROGRESS';
    if (reopening) {
      const limit = new Date(ticket.resolvedAt!.getTime() + this.options.reopenDays * 86_400_000);
      if (now > limit)
        throw new InvalidStateError('TICKET_REOPEN_WINDOW_PASSED', { days: this.options.reopenDays }, ['status']);
    }
    const dueAt = reopening ? await this.dueAt(tx, ticket.storeId, ticket.type, ticket.priority, now) : ticket.dueAt;
    const [row] = await tx.$queryRaw<TicketRow[]>`
      UPDATE "Ticket" SET status = ${to}, "updatedAt" = ${now},
        "firstResponseAt" = coalesce("firstResponseAt", ${from === 'OPEN' ? now : null}),
        "resolvedAt" = CASE WHEN ${to} = 'RESOLVED' THEN ${now} WHEN ${reopening} THEN NULL ELSE "resolvedAt" END,
        "closedAt" = CASE WHEN ${to} = 'CLOSED' THEN ${now} WHEN ${reopening} THEN NULL ELSE "closedAt" END,
        "reopenCount" = "reopenCount" + ${reopening ? 1 : 0},
        "dueAt" = ${dueAt},
        "breachedAt" = CASE WHEN ${reopening} THEN NULL ELSE "breachedAt" END
      WHERE id = ${ticket.id}::uuid
      RETURNING ${TICKET_COLUMNS}`;
    await this.addEntry(tx, ticket.id, { kind: 'STATUS_CHANGE', authorId, body, fromStatus: from, toStatus: to }, now);
    let surveyToken: string | null = null;
    if (to === 'RESOLVED') surveyToken = await this.issueSurvey(tx, ticket.id, now);
    // A survey of an earlier resolution is no longer the customer's to answer once work resumes.
    if (reopening)
      await tx.$executeRaw`
        UPDATE "TicketSurvey" SET "expiresAt" = ${now} WHERE "ticketId" = ${ticket.id}::uuid AND "answeredAt" IS NULL
          AND "expiresAt" > ${now}`;
    emit('ticket.updated', {
      ticketId: ticket.id,
      storeId: ticket.storeId,
      number: ticket.number,
      status: to,
      change: 'STATUS',
    });
    return { ticket: row!, surveyToken };
  }

  async assign(unit: Unit, ticket: TicketRow, assigneeId: string | null, authorId: string | null, now: Date) {
    if (assigneeId) await this.checkAssignee(unit.tx, ticket.storeId, assigneeId, ['assigneeId']);
    const [row] = await unit.tx.$queryRaw<TicketRow[]>`
      UPDATE "Ticket" SET "assigneeId" = ${assigneeId}::uuid, "updatedAt" = ${now} WHERE id = ${ticket.id}::uuid
      RETURNING ${TICKET_COLUMNS}`;
    await this.addEntry(unit.tx, ticket.id, { kind: 'ASSIGNMENT', authorId, assigneeId }, now);
    unit.emit('ticket.updated', {
      ticketId: ticket.id,
      storeId: ticket.storeId,
      number: ticket.number,
      status: ticket.status,
      change: 'ASSIGNED',
    });
    return row!;
  }

  /** A comment (customer-facing) or an internal note, with attachments by reference. */
  async comment(
    unit: Unit,
    ticket: TicketRow,
    input: { body: string; internal: boolean; attachments: Attachment[] },
    authorId: string | null,
    now: Date,
  ): Promise<EntryRow> {
    const body = text(input.body, LIMITS.body, ['input', 'body'], input.attachments.length === 0);
    const kind = input.internal ? 'INTERNAL_NOTE' : 'COMMENT';
    const entry = await this.addEntry(
      unit.tx,
      ticket.id,
      { kind, authorId, body, attachments: input.attachments },
      now,
    );
    // A reply to the customer is the first response; an internal note is not.
    await unit.tx.$executeRaw`
      UPDATE "Ticket" SET "updatedAt" = ${now},
        "firstResponseAt" = CASE WHEN ${!input.internal} THEN coalesce("firstResponseAt", ${now})
          ELSE "firstResponseAt" END
      WHERE id = ${ticket.id}::uuid`;
    // Internal notes are announced to nobody: events reach integrations.
    if (!input.internal)
      unit.emit('ticket.updated', {
        ticketId: ticket.id,
        storeId: ticket.storeId,
        number: ticket.number,
        status: ticket.status,
        change: 'COMMENT',
      });
    return entry;
  }

  private async issueSurvey(tx: Tx, ticketId: string, now: Date): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.options.surveyValidDays * 86_400_000);
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO "TicketSurvey" ("ticketId", "secretHash", "expiresAt", "createdAt")
      VALUES (${ticketId}::uuid, ${hashSecret(secret)}, ${expiresAt}, ${now}) RETURNING id::text AS id`;
    return `${row!.id.replaceAll('-', '')}.${secret}`;
  }

  /**
   * The customer's answer, without a staff login: the token must be one this API issued (its
   * secret's hash matches), not answered before and not expired. One answer, also under concurrency
   * (the row is locked).
   */
  async answerSurvey(
    unit: Unit,
    token: string,
    score: number,
    comment: string | null,
    now: Date,
  ): Promise<{ survey: SurveyRow; ticket: TicketRow }> {
    const { tx } = unit;
    const forged = () => new InvalidInputError('TICKET_SURVEY_INVALID', {}, ['token']);
    const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
    if (!m) throw forged();
    const id = m[1]!.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    const [row] = await tx.$queryRaw<(SurveyRow & { secretHash: string })[]>`
      SELECT ${SURVEY_COLUMNS}, "secretHash" FROM "TicketSurvey" WHERE id = ${id}::uuid FOR UPDATE`;
    if (!row) throw forged();
    const given = Buffer.from(hashSecret(m[2]!), 'hex');
    const stored = Buffer.from(row.secretHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) throw forged();
    if (row.answeredAt) throw new InvalidStateError('TICKET_SURVEY_USED', {}, ['token']);
    if (now >= row.expiresAt)
      throw new InvalidStateError('TICKET_SURVEY_EXPIRED', { expiredAt: row.expiresAt.toISOString() }, ['token']);
    if (!Number.isInteger(score) || score < 1 || score > 5)
      throw new InvalidInputError('INVALID_INPUT', { detail: 'score: 1–5' }, ['score']);
    const c = comment ? text(comment, LIMITS.surveyComment, ['comment']) || null : null;
    const [survey] = await tx.$queryRaw<SurveyRow[]>`
      UPDATE "TicketSurvey" SET "answeredAt" = ${now}, score = ${score}, comment = ${c}
      WHERE id = ${id}::uuid RETURNING ${SURVEY_COLUMNS}`;
    const ticket = (await this.byId(tx, row.ticketId))!;
    unit.emit('ticket.surveyAnswered', { ticketId: ticket.id, storeId: ticket.storeId, score });
    return { survey: survey!, ticket };
  }

  /**
   * The breach job: every unfinished ticket past its due time and not yet marked is marked
   * breached, escalated to its store's manager (an owner of the store when it has none) and
   * announced (`ticket.breached`). The guarded UPDATE marks each breach once, however often and in
   * however many processes the job runs; a reopened ticket gets a new due time and may breach again.
   */
  async detectBreaches(db: Db, events: EventBus, now: Date): Promise<number> {
    return runInTransaction(db, events, async ({ tx, emit }) => {
      const breached = await tx.$queryRaw<TicketRow[]>`
        UPDATE "Ticket" t SET "breachedAt" = ${now}, "updatedAt" = ${now},
          "escalatedToId" = (
            SELECT r."staffId" FROM "StaffRole" r JOIN "Staff" s ON s.id = r."staffId"
            WHERE r."storeId" = t."storeId" AND s.active AND r.role IN ('MANAGER', 'OWNER')
            ORDER BY (r.role = 'MANAGER') DESC, s."createdAt", s.id LIMIT 1)
        WHERE t.id IN (
          SELECT id FROM "Ticket" WHERE "dueAt" <= ${now} AND "breachedAt" IS NULL
            AND status NOT IN ('RESOLVED', 'CLOSED')
          ORDER BY "dueAt" LIMIT 1000 FOR UPDATE SKIP LOCKED)
        RETURNING ${TICKET_COLUMNS}`;
      for (const t of breached) {
        await this.addEntry(tx, t.id, { kind: 'ESCALATION', authorId: null, assigneeId: t.escalatedToId }, now);
        emit('ticket.breached', {
          ticketId: t.id,
          storeId: t.storeId,
          number: t.number,
          type: t.type,
          priority: t.priority,
          dueAt: t.dueAt!.toISOString(),
          breachedAt: now.toISOString(),
          escalatedToStaffId: t.escalatedToId,
        });
      }
      return breached.length;
    });
  }
}
