import type { AuditActor } from '../audit/service.ts';
import { audit } from '../audit/service.ts';
import type { Db, Tx } from '../db/tx.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../errors/index.ts';
import { Prisma } from '../generated/prisma/client.ts';

/**
 * Binds a customer to a guide (专属导购) of a store: the staff member must work there. A current
 * binding to someone else ends now (the history keeps it); binding to the same guide again
 * changes nothing. The customer's row is locked first, so two binds of one customer queue.
 */
export async function bindGuide(
  tx: Tx,
  actor: AuditActor,
  by: string | null,
  input: { customerId: string; staffId: string; storeId: string },
) {
  const [customer] = await tx.$queryRaw<{ id: string; mergedIntoId: string | null; erasedAt: Date | null }[]>`
    SELECT id, "mergedIntoId", "erasedAt" FROM "Customer" WHERE id = ${input.customerId}::uuid FOR UPDATE`;
  if (!customer) throw new NotFoundError('Customer', input.customerId, ['customerId']);
  if (customer.mergedIntoId) throw new InvalidStateError('CUSTOMER_MERGED', {}, ['customerId']);
  if (customer.erasedAt) throw new InvalidStateError('CUSTOMER_ERASED', {}, ['customerId']);
  const role = await tx.staffRole.findUnique({
    where: { staffId_storeId: { staffId: input.staffId, storeId: input.storeId } },
    include: { staff: { select: { active: true } } },
  });
  if (!role?.staff.active) throw new InvalidInputError('GUIDE_NOT_IN_STORE', {}, ['staffId']);
  const current = await tx.guideBinding.findFirst({ where: { customerId: customer.id, endedAt: null } });
  if (current && current.staffId === input.staffId && current.storeId === input.storeId) return current;
  const now = new Date();
  if (current) await tx.guideBinding.update({ where: { id: current.id }, data: { endedAt: now, endedById: by } });
  const binding = await tx.guideBinding.create({
    data: { customerId: customer.id, staffId: input.staffId, storeId: input.storeId, startedAt: now, boundById: by },
  });
  await audit(tx, actor, {
    operation: 'guide.bind',
    entityType: 'Customer',
    entityId: customer.id,
    storeId: input.storeId,
    before: current ? { staffId: current.staffId, storeId: current.storeId } : null,
    after: { staffId: input.staffId, storeId: input.storeId },
  });
  return binding;
}

/** Ends a customer's current binding; `mayEnd` checks the caller may, in the binding's store. */
export async function unbindGuide(
  tx: Tx,
  actor: AuditActor,
  by: string | null,
  customerId: string,
  mayEnd: (storeId: string) => void,
) {
  const current = await tx.guideBinding.findFirst({ where: { customerId, endedAt: null } });
  if (!current) throw new NotFoundError('GuideBinding', customerId, ['customerId']);
  mayEnd(current.storeId);
  const ended = await tx.guideBinding.update({
    where: { id: current.id },
    data: { endedAt: new Date(), endedById: by },
  });
  await audit(tx, actor, {
    operation: 'guide.unbind',
    entityType: 'Customer',
    entityId: customerId,
    storeId: current.storeId,
    before: { staffId: current.staffId, storeId: current.storeId },
  });
  return ended;
}

/**
 * A merge keeps one guide: the survivor's own when it has one (the merged record's ends), else
 * the merged record's moves over; the merged record's history goes with it.
 */
export async function mergeGuideBindings(tx: Tx, survivorId: string, mergedId: string) {
  await tx.$executeRaw`
    UPDATE "GuideBinding" SET "endedAt" = now()
    WHERE "customerId" = ${mergedId}::uuid AND "endedAt" IS NULL
      AND EXISTS (SELECT 1 FROM "GuideBinding" s WHERE s."customerId" = ${survivorId}::uuid AND s."endedAt" IS NULL)`;
  await tx.guideBinding.updateMany({ where: { customerId: mergedId }, data: { customerId: survivorId } });
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** "2026-11" → its first day and the first day of the next month (dates at midnight UTC, as @db.Date). */
export function parseMonth(month: string, field: string[] = ['month']): { start: Date; next: Date } {
  const m = MONTH.exec(month.trim());
  if (!m) throw new InvalidInputError('INVALID_INPUT', { detail: 'month as YYYY-MM' }, field);
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  if (year < 2000 || year > 2100) throw new InvalidInputError('INVALID_INPUT', { detail: 'month: 2000–2100' }, field);
  return { start: new Date(Date.UTC(year, index, 1)), next: new Date(Date.UTC(year, index + 1, 1)) };
}

export async function setSalesTarget(
  tx: Tx,
  actor: AuditActor,
  input: { staffId: string; storeId: string; month: string; amount: Prisma.Decimal },
) {
  const { start } = parseMonth(input.month);
  if (input.amount.lt(0)) throw new InvalidInputError('INVALID_INPUT', { detail: 'amount ≥ 0' }, ['amount']);
  const role = await tx.staffRole.findUnique({
    where: { staffId_storeId: { staffId: input.staffId, storeId: input.storeId } },
  });
  if (!role) throw new InvalidInputError('GUIDE_NOT_IN_STORE', {}, ['staffId']);
  const target = await tx.salesTarget.upsert({
    where: { staffId_storeId_month: { staffId: input.staffId, storeId: input.storeId, month: start } },
    create: { staffId: input.staffId, storeId: input.storeId, month: start, amount: input.amount },
    update: { amount: input.amount },
  });
  await audit(tx, actor, {
    operation: 'salesTarget.set',
    entityType: 'Staff',
    entityId: input.staffId,
    storeId: input.storeId,
    after: { month: input.month, amount: input.amount.toFixed(2) },
  });
  return target;
}

export interface GuidePerformanceRow {
  staffId: string;
  rank: number;
  sales: number;
  /** Sale totals less what was refunded of them, for sales on business dates in the month. */
  netSales: Prisma.Decimal;
  target: Prisma.Decimal | null;
  commission: Prisma.Decimal;
}

/**
 * One store's staff ranked by net sales in a month (business dates in the store's time zone):
 * everyone with a sale or a target in it. Sales count on their own date, refunds of them too
 * (so a month's figure is final once its sales can no longer be refunded); commission is the
 * ledger's sum by entry date, as on the statement. One statement over the month's sales.
 */
export async function guideRanking(db: Db, storeId: string, month: string, limit: number) {
  const { start, next } = parseMonth(month);
  const rows = await db.$queryRaw<
    {
      staffId: string;
      sales: number;
      netSales: Prisma.Decimal;
      target: Prisma.Decimal | null;
      commission: Prisma.Decimal;
    }[]
  >`
    WITH s AS (
      SELECT "staffId", count(*)::int AS sales, sum(total - "refundedTotal") AS net
      FROM "Sale"
      WHERE "storeId" = ${storeId}::uuid AND "staffId" IS NOT NULL
        AND "businessDate" >= ${start}::date AND "businessDate" < ${next}::date AND status <> 'REFUNDED'
      GROUP BY "staffId"
    ), k AS (
      SELECT "staffId", sum(amount) AS commission FROM "CommissionEntry"
      WHERE "storeId" = ${storeId}::uuid AND "businessDate" >= ${start}::date AND "businessDate" < ${next}::date
      GROUP BY "staffId"
    ), t AS (
      SELECT "staffId", amount FROM "SalesTarget" WHERE "storeId" = ${storeId}::uuid AND month = ${start}::date
    )
    SELECT id AS "staffId", coalesce(s.sales, 0) AS sales, coalesce(s.net, 0) AS "netSales",
           t.amount AS target, coalesce(k.commission, 0) AS commission
    FROM (SELECT "staffId" AS id FROM s UNION SELECT "staffId" FROM t UNION SELECT "staffId" FROM k) ids
    LEFT JOIN s ON s."staffId" = ids.id LEFT JOIN t ON t."staffId" = ids.id LEFT JOIN k ON k."staffId" = ids.id
    ORDER BY "netSales" DESC, id
    LIMIT ${limit}`;
  return rows.map(
    (r, i): GuidePerformanceRow => ({
      ...r,
      rank: i + 1,
      netSales: new Prisma.Decimal(r.netSales),
      target: r.target === null ? null : new Prisma.Decimal(r.target),
      commission: new Prisma.Decimal(r.commission),
    }),
  );
}

export const MAX_STATEMENT_DAYS = 366;

/** A staff member's commission in a store between two business dates (inclusive), from the ledger. */
export async function commissionStatement(db: Db, staffId: string, storeId: string, from: Date, to: Date) {
  if (to < from) throw new InvalidInputError('INVALID_INPUT', { detail: 'to before from' }, ['to']);
  if ((to.getTime() - from.getTime()) / 86_400_000 + 1 > MAX_STATEMENT_DAYS)
    throw new InvalidInputError('PERIOD_TOO_LONG', { max: MAX_STATEMENT_DAYS }, ['to']);
  const [row] = await db.$queryRaw<
    { earned: Prisma.Decimal; reversed: Prisma.Decimal; base: Prisma.Decimal; sales: number; entries: number }[]
  >`
    SELECT coalesce(sum(amount) FILTER (WHERE kind = 'SALE'), 0) AS earned,
           coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0) AS reversed,
           coalesce(sum("baseAmount"), 0) AS base,
           count(DISTINCT "saleId") FILTER (WHERE kind = 'SALE')::int AS sales,
           count(*)::int AS entries
    FROM "CommissionEntry"
    WHERE "staffId" = ${staffId}::uuid AND "storeId" = ${storeId}::uuid
      AND "businessDate" >= ${from}::date AND "businessDate" <= ${to}::date`;
  const earned = new Prisma.Decimal(row?.earned ?? 0);
  const reversed = new Prisma.Decimal(row?.reversed ?? 0);
  return {
    staffId,
    storeId,
    from,
    to,
    earned,
    reversed,
    net: earned.add(reversed),
    base: new Prisma.Decimal(row?.base ?? 0),
    sales: row?.sales ?? 0,
    entries: row?.entries ?? 0,
  };
}
