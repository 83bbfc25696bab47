import type { AuditActor } from '../audit/service.ts';
import { audit } from '../audit/service.ts';
import { uuidv7 } from '../db/ids.ts';
import type { Tx } from '../db/tx.ts';
import { InvalidInputError, NotFoundError } from '../errors/index.ts';
import { Prisma } from '../generated/prisma/client.ts';

const ZERO = new Prisma.Decimal(0);

/**
 * Commission earned on a sale, written in the sale's own transaction (recordSale calls it right
 * after the sale's rows): the sale and its commission commit together or not at all, and a sale
 * is written once (its external id is unique per store, a replay writes nothing), so each line's
 * entry is written exactly once; a unique index on (saleLineId, refundId) stands behind that.
 * An event handler after commit could be lost with the process between commit and handler.
 *
 * One statement: each line takes the most specific rule in force (its product's, else its
 * category's, else the rule for every product); amount = line total × rate, to the fen (half up).
 */
export async function writeSaleCommission(
  tx: Tx,
  sale: {
    id: string;
    storeId: string;
    staffId: string;
    businessDate: Date;
    lines: { id: string; productId: string; category: string; total: Prisma.Decimal }[];
  },
): Promise<void> {
  if (!sale.lines.length) return;
  await tx.$executeRaw`
    INSERT INTO "CommissionEntry" ("id", "staffId", "storeId", "saleId", "saleLineId", "kind", "ruleId",
                                   "ratePercent", "baseAmount", "amount", "businessDate")
    SELECT DISTINCT ON (l.line_id) l.entry_id, ${sale.staffId}::uuid, ${sale.storeId}::uuid, ${sale.id}::uuid,
           l.line_id, 'SALE'::"CommissionEntryKind", r.id, r."ratePercent", l.total,
           round(l.total * r."ratePercent" / 100, 2), ${sale.businessDate}::date
    FROM unnest(${sale.lines.map(() => uuidv7())}::uuid[], ${sale.lines.map((l) => l.id)}::uuid[],
                ${sale.lines.map((l) => l.productId)}::uuid[], ${sale.lines.map((l) => l.category)}::text[],
                ${sale.lines.map((l) => l.total.toFixed(2))}::numeric[])
         AS l(entry_id, line_id, product_id, category, total)
    JOIN "CommissionRule" r ON r."endedAt" IS NULL
      AND (r."productId" = l.product_id OR r.category = l.category OR (r."productId" IS NULL AND r.category IS NULL))
    ORDER BY l.line_id, (r."productId" IS NULL), (r.category IS NULL)`;
}

/**
 * Takes commission back for refunded lines, in the refund's transaction: each refunded line's
 * entry in proportion to the amount refunded (commission × refunded ÷ line total, to the fen),
 * and the refund of a line's last units takes back whatever of its commission is left, so a line
 * refunded in parts ends at exactly zero.
 */
export async function reverseCommission(
  tx: Tx,
  refund: {
    id: string;
    businessDate: Date;
    lines: { saleLineId: string; amount: Prisma.Decimal; lineTotal: Prisma.Decimal; last: boolean }[];
  },
): Promise<void> {
  const ids = refund.lines.map((l) => l.saleLineId);
  const entries = await tx.commissionEntry.findMany({ where: { saleLineId: { in: ids } } });
  const rows: Prisma.CommissionEntryCreateManyInput[] = [];
  for (const line of refund.lines) {
    const earned = entries.find((e) => e.saleLineId === line.saleLineId && e.kind === 'SALE');
    if (!earned) continue;
    const left = entries.filter((e) => e.saleLineId === line.saleLineId).reduce((s, e) => s.add(e.amount), ZERO);
    const share = line.lineTotal.isZero()
      ? ZERO
      : earned.amount.mul(line.amount).div(line.lineTotal).toDecimalPlaces(2, Prisma.Decimal.ROUND_HALF_UP);
    const amount = line.last ? left : Prisma.Decimal.min(share, left);
    rows.push({
      id: uuidv7(),
      staffId: earned.staffId,
      storeId: earned.storeId,
      saleId: earned.saleId,
      saleLineId: line.saleLineId,
      refundId: refund.id,
      kind: 'REFUND',
      ruleId: earned.ruleId,
      ratePercent: earned.ratePercent,
      baseAmount: line.amount.neg(),
      amount: amount.neg(),
      businessDate: refund.businessDate,
    });
  }
  if (rows.length) await tx.commissionEntry.createMany({ data: rows });
}

export interface CommissionRuleInput {
  productId?: string | null;
  category?: string | null;
  ratePercent: Prisma.Decimal;
}

/**
 * Sets the rate for a target (one product, one category, or every product when both are absent):
 * the rule in force for it ends now and the new one starts. Sales already recorded keep theirs.
 */
export async function setCommissionRule(tx: Tx, actor: AuditActor, staffId: string | null, input: CommissionRuleInput) {
  const category = input.category?.trim() || null;
  if (input.productId && category)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'a product or a category, not both' }, [
      'input',
      'category',
    ]);
  if (category && category.length > 100)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'category: at most 100 characters' }, ['input', 'category']);
  if (input.ratePercent.lt(0) || input.ratePercent.gt(100) || input.ratePercent.decimalPlaces() > 2)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'ratePercent: 0–100, at most two decimals' }, [
      'input',
      'ratePercent',
    ]);
  if (input.productId && !(await tx.product.findUnique({ where: { id: input.productId }, select: { id: true } })))
    throw new NotFoundError('Product', input.productId, ['input', 'productId']);
  if (category && !(await tx.product.findFirst({ where: { category }, select: { id: true } })))
    throw new InvalidInputError('INVALID_INPUT', { detail: `no product has the category ${category}` }, [
      'input',
      'category',
    ]);
  // Lock the target's rule in force: two owners setting it at once end it once.
  const now = new Date();
  const previous = await tx.$queryRaw<{ id: string; ratePercent: Prisma.Decimal }[]>`
    SELECT id, "ratePercent" FROM "CommissionRule"
    WHERE "endedAt" IS NULL AND "productId" IS NOT DISTINCT FROM ${input.productId ?? null}::uuid
      AND category IS NOT DISTINCT FROM ${category}::text
    FOR UPDATE`;
  if (previous.length)
    await tx.commissionRule.updateMany({ where: { id: { in: previous.map((p) => p.id) } }, data: { endedAt: now } });
  const rule = await tx.commissionRule.create({
    data: {
      productId: input.productId ?? null,
      category,
      ratePercent: input.ratePercent,
      startedAt: now,
      createdById: staffId,
    },
  });
  await audit(tx, actor, {
    operation: 'commissionRule.set',
    entityType: 'CommissionRule',
    entityId: rule.id,
    before: previous[0] ? { ratePercent: previous[0].ratePercent.toString() } : null,
    after: { productId: rule.productId, category, ratePercent: rule.ratePercent.toFixed(2) },
  });
  return rule;
}

export async function endCommissionRule(tx: Tx, actor: AuditActor, ruleId: string) {
  const ended = await tx.commissionRule.updateMany({
    where: { id: ruleId, endedAt: null },
    data: { endedAt: new Date() },
  });
  if (!ended.count) throw new NotFoundError('CommissionRule', ruleId, ['id']);
  await audit(tx, actor, { operation: 'commissionRule.end', entityType: 'CommissionRule', entityId: ruleId });
  return tx.commissionRule.findUniqueOrThrow({ where: { id: ruleId } });
}
