import type { Unit } from '../events/transaction.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { ConflictError, InvalidInputError, InvalidStateError, NotFoundError } from '../errors/index.ts';
import { applyStockChanges } from '../stock/levels.ts';
import type { RefundStep } from './refund-pipeline.ts';
import { refundedShares } from './pricing.ts';
import { reverseCommission } from '../guides/commission.ts';
import { isLateSale, markDirtyDay } from '../insights/summary.ts';
import { businessDate } from '../stores/time.ts';

const ZERO = new Prisma.Decimal(0);

/** Refund lines as one comparable value: quantities per sale line, in line order, same lines added up. */
function linesKey(lines: { lineNo: number; quantity: number }[]): string {
  const byLine = new Map<number, number>();
  for (const l of lines) byLine.set(l.lineNo, (byLine.get(l.lineNo) ?? 0) + l.quantity);
  return [...byLine]
    .sort(([a], [b]) => a - b)
    .map(([lineNo, q]) => `${lineNo}×${q}`)
    .join(',');
}

export interface RefundSaleInput {
  saleId: string;
  /** The POS's id for the refund: sending it again returns the first result. */
  externalId: string;
  reason?: string | null;
  /** Omit to refund everything not yet refunded. */
  lines?: { lineNo: number; quantity: number }[] | null;
  staffId: string | null;
}

/**
 * Refunds a whole sale or some of its lines. Amounts are the line's paid total in proportion
 * to the quantity, to the cent; the last units of a line take whatever is left, so a line
 * refunded in parts never returns more or less than was paid.
 */
export async function refundSale(unit: Unit, steps: RefundStep[], input: RefundSaleInput) {
  const { tx, emit } = unit;
  const externalId = input.externalId.trim();
  if (!externalId) throw new InvalidInputError('INVALID_INPUT', { detail: 'externalId' }, ['input', 'externalId']);
  // Lock the sale: refunds of one sale are serialised, so quantities and totals stay exact.
  const locked = await tx.$queryRaw<
    { id: string }[]
  >`SELECT id FROM "Sale" WHERE id = ${input.saleId}::uuid FOR UPDATE`;
  if (!locked.length) throw new NotFoundError('Sale', input.saleId, ['input', 'saleId']);
  const previous = await tx.refund.findUnique({
    where: { saleId_externalId: { saleId: input.saleId, externalId } },
    include: { lines: { select: { quantity: true, saleLine: { select: { lineNo: true } } } } },
  });
  if (previous) {
    // The same refund number with other lines is another refund: answering "replayed" would make
    // the till believe it went through. (A retry of "refund everything left" cannot be compared:
    // what was left has changed; it is a replay.)
    if (input.lines && linesKey(input.lines) !== linesKey(previous.lines.map((l) => ({ ...l, ...l.saleLine })))) {
      throw new ConflictError('REFUND_ID_CONFLICT', { externalId }, ['input', 'externalId']);
    }
    const { lines: _lines, ...refund } = previous;
    return { refund, replayed: true };
  }

  const sale = await tx.sale.findUniqueOrThrow({
    where: { id: input.saleId },
    include: {
      lines: { orderBy: { lineNo: 'asc' }, include: { refundLines: true } },
      adjustments: { orderBy: { position: 'asc' } },
      store: true,
    },
  });
  if (sale.status === 'REFUNDED') throw new InvalidStateError('SALE_ALREADY_REFUNDED', {}, ['input', 'saleId']);

  const requested =
    input.lines ??
    sale.lines
      .filter((l) => l.quantity > l.refundedQuantity)
      .map((l) => ({ lineNo: l.lineNo, quantity: l.quantity - l.refundedQuantity }));
  if (!requested.length)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'nothing to refund' }, ['input', 'lines']);

  const refundLines = requested.map((r, i) => {
    const line = sale.lines.find((l) => l.lineNo === r.lineNo);
    if (!line) throw new NotFoundError('SaleLine', String(r.lineNo), ['input', 'lines', i, 'lineNo']);
    const available = line.quantity - line.refundedQuantity;
    if (!Number.isInteger(r.quantity) || r.quantity <= 0) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'quantity must be a whole number from 1' }, [
        'input',
        'lines',
        i,
        'quantity',
      ]);
    }
    if (r.quantity > available) {
      throw new InvalidInputError('REFUND_EXCEEDS_SOLD', { line: r.lineNo, available, requested: r.quantity }, [
        'input',
        'lines',
        i,
        'quantity',
      ]);
    }
    const alreadyRefunded = line.refundLines.reduce((s, rl) => s.add(rl.amount), ZERO);
    const amount =
      r.quantity === available
        ? line.total.sub(alreadyRefunded)
        : line.total.mul(r.quantity).div(line.quantity).toDecimalPlaces(2, Prisma.Decimal.ROUND_HALF_UP);
    return { line, quantity: r.quantity, amount };
  });
  const seen = new Set<number>();
  for (const [i, r] of refundLines.entries()) {
    if (seen.has(r.line.lineNo))
      throw new InvalidInputError('INVALID_INPUT', { detail: 'a line appears twice' }, ['input', 'lines', i]);
    seen.add(r.line.lineNo);
  }
  const amount = refundLines.reduce((s, r) => s.add(r.amount), ZERO);

  const refund = await tx.refund.create({
    data: {
      saleId: sale.id,
      externalId,
      reason: input.reason ?? null,
      staffId: input.staffId,
      total: amount,
      lines: {
        createMany: {
          data: refundLines.map((r) => ({ saleLineId: r.line.id, quantity: r.quantity, amount: r.amount })),
        },
      },
    },
  });
  for (const r of refundLines) {
    await tx.saleLine.update({ where: { id: r.line.id }, data: { refundedQuantity: { increment: r.quantity } } });
  }
  const fullyRefunded = sale.lines.every((l) => {
    const now = refundLines.find((r) => r.line.id === l.id)?.quantity ?? 0;
    return l.refundedQuantity + now === l.quantity;
  });
  await tx.sale.update({
    where: { id: sale.id },
    data: { refundedTotal: { increment: amount }, status: fullyRefunded ? 'REFUNDED' : 'PARTIALLY_REFUNDED' },
  });
  // The refund lowers the figures of the sale's own day, however old: the daily summary recomputes
  // it, as it does every recent day on every run (a refund there needs no mark, as a sale does not).
  if (isLateSale(sale.businessDate)) await markDirtyDay(tx, sale.storeId, sale.businessDate);

  // Commission taken back in proportion, in this transaction (src/guides/commission.ts).
  if (sale.staffId) {
    await reverseCommission(tx, {
      id: refund.id,
      businessDate: businessDate(refund.createdAt, sale.store.timezone),
      lines: refundLines.map((r) => ({
        saleLineId: r.line.id,
        amount: r.amount,
        lineTotal: r.line.total,
        last: r.quantity === r.line.quantity - r.line.refundedQuantity,
      })),
    });
  }
  if (sale.customerId) {
    await tx.$executeRaw`
      UPDATE "Customer" SET "lifetimeSpend" = "lifetimeSpend" - ${amount}, "updatedAt" = now()
      WHERE id = ${sale.customerId}::uuid`;
  }
  for (const step of steps) {
    await step.afterWrite(
      {
        refundId: refund.id,
        saleId: sale.id,
        storeId: sale.storeId,
        customerId: sale.customerId,
        memberId: sale.memberId,
        amount,
        saleTotal: sale.total,
        fullyRefunded,
        adjustments: refundedShares(
          sale.adjustments,
          refundLines.map((r) => ({ lineNo: r.line.lineNo, quantity: r.quantity, soldQuantity: r.line.quantity })),
        ),
        lines: refundLines.map((r) => ({
          saleLineId: r.line.id,
          lineNo: r.line.lineNo,
          sku: r.line.sku,
          quantity: r.quantity,
          soldQuantity: r.line.quantity,
          amount: r.amount,
        })),
      },
      unit,
    );
  }
  // Last, as in a sale: the levels' locks are held only until COMMIT (applyStockChanges).
  await applyStockChanges(
    tx,
    emit,
    {
      storeId: sale.storeId,
      type: 'RETURN',
      allowNegative: true,
      saleId: sale.id,
      refundId: refund.id,
      staffId: input.staffId,
      reason: input.reason ?? null,
    },
    refundLines.map((r) => ({ productId: r.line.productId, sku: r.line.sku, delta: r.quantity })),
  );
  emit('sale.refunded', {
    saleId: sale.id,
    refundId: refund.id,
    storeId: sale.storeId,
    customerId: sale.customerId,
    amount: amount.toFixed(2),
  });
  return { refund, replayed: false };
}
