import type { Tx } from '../../src/db/tx.ts';
import { uuidv7 } from '../../src/db/ids.ts';
import { InvalidStateError } from '../../src/errors/index.ts';
import type { PointsEntryKind, Prisma } from '../../src/generated/prisma/client.ts';

export interface EntryFields {
  customerId: string;
  kind: PointsEntryKind;
  saleId?: string | null;
  refundId?: string | null;
  reason?: string | null;
  staffId?: string | null;
  explanation?: Prisma.InputJsonValue;
  dedupeKey?: string | null;
}

/**
 * Locks (creating it if needed) a customer's points account for the rest of the transaction.
 * Every change to a customer's points goes through here first, so concurrent sales, refunds and
 * jobs for one customer are applied one after the other and balances never lose an update.
 */
export async function lockAccount(tx: Tx, customerId: string) {
  // One round trip: the upsert creates the account or, on conflict, locks the existing row (a no-op update).
  const rows = await tx.$queryRaw<{ balance: number; pending: number }[]>`
    INSERT INTO "PointsAccount" ("customerId", "updatedAt") VALUES (${customerId}::uuid, ${new Date()})
    ON CONFLICT ("customerId") DO UPDATE SET "customerId" = EXCLUDED."customerId"
    RETURNING balance, pending`;
  return rows[0]!;
}

/** Writes one ledger entry; the account is updated by the caller. */
function insertEntry(
  tx: Tx,
  fields: EntryFields & { now: Date },
  values: { points: number; remaining: number; availableAt: Date; releasedAt: Date | null; expiresAt: Date | null },
) {
  return tx.pointsLedgerEntry.create({
    data: {
      id: uuidv7(fields.now.getTime()),
      customerId: fields.customerId,
      kind: fields.kind,
      ...values,
      saleId: fields.saleId ?? null,
      refundId: fields.refundId ?? null,
      reason: fields.reason ?? null,
      staffId: fields.staffId ?? null,
      explanation: fields.explanation,
      dedupeKey: fields.dedupeKey ?? null,
      createdAt: fields.now,
    },
  });
}

export async function alreadyRecorded(tx: Tx, dedupeKey: string) {
  return (await tx.pointsLedgerEntry.count({ where: { dedupeKey } })) > 0;
}

/**
 * Adds points as a lot: spendable at `availableAt` (pending until then), what is left of it
 * expiring at `expiresAt`. Creates the account if needed; its row is locked from here on (the
 * caller locks it first when it must read the balance before deciding).
 */
export async function addLot(
  tx: Tx,
  fields: EntryFields & { points: number; availableAt: Date; expiresAt: Date | null; now: Date },
): Promise<{ id: string }> {
  const released = fields.availableAt <= fields.now;
  const id = uuidv7(fields.now.getTime());
  const earned = fields.kind === 'EARN' ? fields.points : 0;
  // One statement (an earning sale waits for each round trip): the account moves, and the lot
  // keeps what is left once a negative balance (points owed after a refund) is paid — see payDebt.
  await tx.$executeRaw`
    WITH account AS (
      INSERT INTO "PointsAccount" ("customerId", "balance", "pending", "lifetimeEarned", "updatedAt")
      VALUES (${fields.customerId}::uuid, ${released ? fields.points : 0}::int, ${released ? 0 : fields.points}::int,
              ${earned}::int, ${fields.now})
      ON CONFLICT ("customerId") DO UPDATE SET
        "balance" = "PointsAccount"."balance" + EXCLUDED."balance",
        "pending" = "PointsAccount"."pending" + EXCLUDED."pending",
        "lifetimeEarned" = "PointsAccount"."lifetimeEarned" + EXCLUDED."lifetimeEarned",
        "updatedAt" = EXCLUDED."updatedAt"
      RETURNING "balance" - ${released ? fields.points : 0}::int AS before
    )
    INSERT INTO "PointsLedgerEntry" ("id", "customerId", "kind", "points", "remaining", "availableAt", "releasedAt",
                                     "expiresAt",
                                     "saleId", "refundId", "reason", "staffId", "explanation", "dedupeKey", "createdAt")
    SELECT ${id}::uuid, ${fields.customerId}::uuid, ${fields.kind}::"PointsEntryKind", ${fields.points}::int,
           CASE WHEN ${released}::boolean THEN greatest(0, ${fields.points}::int - greatest(0, -account.before))
           ELSE ${fields.points}::int END,
           ${fields.availableAt}, ${released ? fields.now : null}, ${fields.expiresAt},
           ${fields.saleId ?? null}::uuid, ${fields.refundId ?? null}::uuid, ${fields.reason ?? null},
           ${fields.staffId ?? null}::uuid,
           ${fields.explanation === undefined ? null : JSON.stringify(fields.explanation)}::jsonb,
           ${fields.dedupeKey ?? null}, ${fields.now}
    FROM account`;
  return { id };
}

/**
 * Takes points away as one negative entry, consuming lots first-in-first-out by expiry (a
 * named lot first, for reversing a sale's own points, even while it is still pending). The
 * account must be locked. Taking more than the lots hold leaves a negative balance: a refund
 * after the points were spent is owed back.
 */
export async function deduct(tx: Tx, fields: EntryFields & { points: number; now: Date; fromLotId?: string | null }) {
  let left = fields.points;
  let fromPending = 0;
  if (fields.fromLotId) {
    const lot = await tx.pointsLedgerEntry.findUnique({ where: { id: fields.fromLotId } });
    if (lot && lot.remaining > 0) {
      const used = Math.min(lot.remaining, left);
      await tx.pointsLedgerEntry.update({ where: { id: lot.id }, data: { remaining: { decrement: used } } });
      if (!lot.releasedAt) fromPending = used;
      left -= used;
    }
  }
  if (left > 0) {
    const lots = await tx.pointsLedgerEntry.findMany({
      where: { customerId: fields.customerId, remaining: { gt: 0 }, releasedAt: { not: null } },
      orderBy: [{ expiresAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }],
      select: { id: true, remaining: true },
    });
    for (const lot of lots) {
      if (left === 0) break;
      const used = Math.min(lot.remaining, left);
      await tx.pointsLedgerEntry.update({ where: { id: lot.id }, data: { remaining: { decrement: used } } });
      left -= used;
    }
  }
  const entry = await insertEntry(tx, fields, {
    points: -fields.points,
    remaining: 0,
    availableAt: fields.now,
    releasedAt: fields.now,
    expiresAt: null,
  });
  await tx.pointsAccount.update({
    where: { customerId: fields.customerId },
    data: { balance: { decrement: fields.points - fromPending }, pending: { decrement: fromPending } },
  });
  return entry;
}

/**
 * What is left of new spendable points once a negative balance (points owed after a refund of
 * points already spent) is paid off: the lots always hold exactly max(balance, 0).
 */
export function payDebt(balance: number, points: number): number {
  return Math.max(0, points - Math.max(0, -balance));
}

/** Refuses to spend more than the spendable balance. */
export function requireBalance(balance: number, points: number, field: (string | number)[]) {
  if (points > balance)
    throw new InvalidStateError('INSUFFICIENT_POINTS', { requested: points, available: Math.max(balance, 0) }, field);
}
