import type { CalendarService } from '../../src/calendar/service.ts';
import type { Tx } from '../../src/db/tx.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../../src/errors/index.ts';
import type { Unit } from '../../src/events/transaction.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { InteractionKind } from '../../src/generated/prisma/enums.ts';
import type { WrittenSale } from '../../src/sales/pipeline.ts';

export const TASK_KINDS = ['CALL_BACK', 'AFTER_SALES_CHECK', 'BIRTHDAY_CALL', 'OTHER'] as const;
export const TASK_STATUSES = ['OPEN', 'DONE', 'CANCELLED'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskRow {
  id: string;
  kind: TaskKind;
  status: TaskStatus;
  customerId: string;
  storeId: string;
  assigneeId: string | null;
  dueDate: Date;
  note: string;
  ticketId: string | null;
  saleId: string | null;
  completedAt: Date | null;
  completedById: string | null;
  interactionId: string | null;
  createdAt: Date;
}

export interface RuleRow {
  id: string;
  kind: 'AFTER_SALES_CHECK';
  category: string;
  daysAfter: number;
  note: string;
  active: boolean;
}

export const TASK_COLUMNS = Prisma.sql`id::text AS id, kind, status, "customerId"::text AS "customerId",
  "storeId"::text AS "storeId", "assigneeId"::text AS "assigneeId", "dueDate", note, "ticketId"::text AS "ticketId",
  "saleId"::text AS "saleId", "completedAt", "completedById"::text AS "completedById",
  "interactionId"::text AS "interactionId", "createdAt"`;
export const RULE_COLUMNS = Prisma.sql`id::text AS id, kind, category, "daysAfter", note, active`;

const TASK_NOTE_MAX = 1000;
const STATUS_NAMES: Record<TaskStatus, { 'zh-CN': string; en: string }> = {
  OPEN: { 'zh-CN': '待办', en: 'open' },
  DONE: { 'zh-CN': '完成', en: 'done' },
  CANCELLED: { 'zh-CN': '取消', en: 'cancelled' },
};

const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export async function createTask(
  tx: Tx,
  input: {
    kind: TaskKind;
    customerId: string;
    storeId: string;
    assigneeId: string | null;
    dueDate: Date;
    note: string;
    ticketId: string | null;
  },
  createdById: string | null,
): Promise<TaskRow> {
  const note = input.note.trim();
  if (note.length > TASK_NOTE_MAX)
    throw new InvalidInputError('FOLLOW_UP_INVALID', { field: 'note', detail: `at most ${TASK_NOTE_MAX}` }, [
      'input',
      'note',
    ]);
  const customer = await tx.customer.findUnique({ where: { id: input.customerId }, select: { mergedIntoId: true } });
  if (!customer) throw new NotFoundError('Customer', input.customerId, ['input', 'customerId']);
  if (input.assigneeId) {
    const [ok] = await tx.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "StaffRole" r JOIN "Staff" s ON s.id = r."staffId"
      WHERE r."staffId" = ${input.assigneeId}::uuid AND r."storeId" = ${input.storeId}::uuid AND s.active`;
    if (!ok?.n) throw new NotFoundError('Staff', input.assigneeId, ['input', 'assigneeId']);
  }
  const [row] = await tx.$queryRaw<TaskRow[]>`
    INSERT INTO "FollowUpTask" (kind, "customerId", "storeId", "assigneeId", "dueDate", note, "ticketId",
      "createdById")
    VALUES (${input.kind}, ${customer.mergedIntoId ?? input.customerId}::uuid, ${input.storeId}::uuid,
      ${input.assigneeId}::uuid, ${input.dueDate}::date, ${note}, ${input.ticketId}::uuid, ${createdById}::uuid)
    RETURNING ${TASK_COLUMNS}`;
  return row!;
}

export async function lockTask(tx: Tx, id: string): Promise<TaskRow> {
  const [row] = await tx.$queryRaw<
    TaskRow[]
  >`SELECT ${TASK_COLUMNS} FROM "FollowUpTask" WHERE id = ${id}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError('FollowUpTask', id, ['id']);
  return row;
}

/**
 * Completes (or cancels) an open task. Completing may log the contact as an interaction on the
 * customer's record (core's Interaction, shown on the 360° view), linked from the task.
 */
export async function finishTask(
  tx: Tx,
  task: TaskRow,
  to: 'DONE' | 'CANCELLED',
  staffId: string | null,
  interaction: { kind: InteractionKind; summary: string } | null,
  now: Date,
): Promise<TaskRow> {
  if (task.status !== 'OPEN')
    throw new InvalidStateError(
      'FOLLOW_UP_NOT_OPEN',
      { status: STATUS_NAMES[task.status]['zh-CN'], statusEn: STATUS_NAMES[task.status].en },
      ['id'],
    );
  let interactionId: string | null = null;
  if (interaction && to === 'DONE') {
    const summary = interaction.summary.trim();
    if (!summary || summary.length > TASK_NOTE_MAX)
      throw new InvalidInputError('FOLLOW_UP_INVALID', { field: 'summary', detail: `1 to ${TASK_NOTE_MAX}` }, [
        'interaction',
        'summary',
      ]);
    const created = await tx.interaction.create({
      data: {
        customerId: task.customerId,
        staffId,
        storeId: task.storeId,
        kind: interaction.kind,
        summary,
        occurredAt: now,
      },
      select: { id: true },
    });
    interactionId = created.id;
  }
  const [row] = await tx.$queryRaw<TaskRow[]>`
    UPDATE "FollowUpTask" SET status = ${to}, "completedAt" = ${now}, "completedById" = ${staffId}::uuid,
      "interactionId" = ${interactionId}::uuid
    WHERE id = ${task.id}::uuid RETURNING ${TASK_COLUMNS}`;
  return row!;
}

/**
 * The sale step: for a customer's sale, one AFTER_SALES_CHECK task per active rule whose category
 * a line is in, due `daysAfter` days after the sale's business day, for the store (unassigned).
 * Rules are cached per process and dropped when one changes.
 */
export async function tasksForSale(sale: WrittenSale, unit: Unit, calendar: CalendarService) {
  if (!sale.customerId) return;
  const rules = await unit.cache
    .region<RuleRow[]>('ticketing.rules', ['ticketing.rule.changed'])
    .get('active', () => unit.tx.$queryRaw<RuleRow[]>`SELECT ${RULE_COLUMNS} FROM "FollowUpRule" WHERE active`);
  if (!rules?.length) return;
  const categories = new Set(sale.lines.map((l) => l.category));
  const day = calendar.dateOf(sale.occurredAt, sale.timezone);
  for (const rule of rules) {
    if (!categories.has(rule.category)) continue;
    const products = sale.lines.filter((l) => l.category === rule.category).map((l) => l.name);
    const note = [rule.note, products.slice(0, 5).join('、')].filter(Boolean).join(' · ');
    await unit.tx.$executeRaw`
      INSERT INTO "FollowUpTask" (kind, "customerId", "storeId", "dueDate", note, "saleId", "ruleId")
      VALUES ('AFTER_SALES_CHECK', ${sale.customerId}::uuid, ${sale.storeId}::uuid,
        ${addDays(day, rule.daysAfter)}::date, ${note.slice(0, TASK_NOTE_MAX)}, ${sale.id}::uuid, ${rule.id}::uuid)
      ON CONFLICT ("ruleId", "saleId") DO NOTHING`;
  }
}
