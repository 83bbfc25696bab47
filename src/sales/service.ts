import { randomUUID } from 'node:crypto';
import { uuidv7 } from '../db/ids.ts';
import type { Db, Tx } from '../db/types.ts';
import type { Unit } from '../events/transaction.ts';
import { Prisma, type Store } from '../generated/prisma/client.ts';
import type { PaymentMethod } from '../generated/prisma/enums.ts';
import { InvalidInputError, InvalidStateError, NotFoundError, UserError } from '../errors/index.ts';
import { buyerByCustomerId, buyerByMemberCode, type Buyer } from '../members/service.ts';
import { productsByCode } from '../products/service.ts';
import { applyStockChanges } from '../stock/levels.ts';
import { requireStore } from '../stores/service.ts';
import { businessDate } from '../stores/time.ts';
import { PLUGIN_TENDERS, type SaleDraft, type SaleStep, type WrittenSale } from './pipeline.ts';
import type { RefundStep } from './refund-pipeline.ts';

const ZERO = new Prisma.Decimal(0);

export interface RecordSaleInput {
  storeId: string;
  /** The POS's own id for the sale: sending it again returns the first result. */
  externalId: string;
  occurredAt?: Date | null;
  staffId?: string | null;
  customerId?: string | null;
  memberCode?: string | null;
  lines: { sku: string; quantity: number; unitPrice?: Prisma.Decimal | null; discount?: Prisma.Decimal | null }[];
  payments: { method: PaymentMethod; amount: Prisma.Decimal; reference?: string | null }[];
}

export interface RecordSaleResult {
  saleId: string;
  /** True when this external id was recorded before and nothing was changed now. */
  replayed: boolean;
}

export async function findSaleByExternalId(db: Db | Unit['tx'], storeId: string, externalId: string) {
  return db.sale.findUnique({ where: { storeId_externalId: { storeId, externalId } }, select: { id: true } });
}

/**
 * Records a POS sale in one transaction: prices the lines, lets plugin steps adjust them,
 * writes the sale, takes the stock, updates the customer's figures and announces
 * sale.recorded after commit. Idempotent on (store, externalId).
 */
/**
 * Thrown at the end of a preview, after every step has run, to roll the transaction back:
 * the caller gets the priced sale (member discount and all) and nothing is kept or announced.
 */
export class SalePreview extends Error {
  constructor(readonly sale: WrittenSale) {
    super('sale preview');
  }
}

export async function recordSale(
  unit: Unit,
  steps: SaleStep[],
  input: RecordSaleInput,
  mode: 'record' | 'preview' = 'record',
): Promise<RecordSaleResult> {
  const { tx } = unit;
  const preview = mode === 'preview';
  const externalId = preview ? `preview:${randomUUID()}` : input.externalId.trim();
  if (!externalId || externalId.length > 100) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'externalId: 1–100 characters' }, ['input', 'externalId']);
  }
  const store = await requireStore(unit, input.storeId, ['input', 'storeId']);
  const progress = { written: false };
  if (preview) return writeNewSale(unit, steps, input, store, externalId, true, progress);
  try {
    return await writeNewSale(unit, steps, input, store, externalId, false, progress);
  } catch (error) {
    // Looked up only now rather than before every sale: a POS resending a recorded sale gets it
    // back, even when its content would no longer pass (a price changed since, a product withdrawn).
    // Not once this sale is written: a failure after that (stock short) is this sale's own.
    if (!progress.written && (error instanceof UserError || error instanceof SaleAlreadyRecorded)) {
      const previous = await findSaleByExternalId(tx, store.id, externalId);
      if (previous) return { saleId: previous.id, replayed: true };
    }
    throw error;
  }
}

/** The sale's external id is already taken in its store: nothing was written, and it is a replay. */
class SaleAlreadyRecorded extends Error {}

async function writeNewSale(
  unit: Unit,
  steps: SaleStep[],
  input: RecordSaleInput,
  store: Store,
  externalId: string,
  preview: boolean,
  progress: { written: boolean },
): Promise<RecordSaleResult> {
  const { tx, emit } = unit;
  if (!input.lines.length)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'a sale needs at least one line' }, ['input', 'lines']);
  if (input.lines.length > 500)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'at most 500 lines' }, ['input', 'lines']);
  const occurredAt = input.occurredAt ?? new Date();
  if (occurredAt.getTime() > Date.now() + 5 * 60_000) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'occurredAt is in the future' }, ['input', 'occurredAt']);
  }

  let buyer: Buyer | null = input.memberCode
    ? await buyerByMemberCode(tx, input.memberCode, ['input', 'memberCode'])
    : null;
  if (input.customerId) {
    const named = await buyerByCustomerId(tx, input.customerId, ['input', 'customerId']);
    if (buyer && buyer.customerId !== named.customerId) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'customerId and memberCode name different customers' }, [
        'input',
        'customerId',
      ]);
    }
    buyer = buyer ?? named;
  }
  const customerId = buyer?.customerId ?? null;
  const memberId = buyer?.memberId ?? null;
  if (
    input.staffId &&
    !(await tx.staffRole.findUnique({ where: { staffId_storeId: { staffId: input.staffId, storeId: store.id } } }))
  ) {
    throw new NotFoundError('Staff', input.staffId, ['input', 'staffId']);
  }

  const product = await productsByCode(
    unit,
    input.lines.map((l, i) => ({ code: l.sku, field: ['input', 'lines', i, 'sku'] })),
  );
  input.payments.forEach((p, i) => {
    if (PLUGIN_TENDERS.includes(p.method) && !steps.some((s) => s.tenders?.includes(p.method))) {
      throw new InvalidInputError('TENDER_NOT_ACCEPTED', { method: p.method }, ['input', 'payments', i, 'method']);
    }
  });
  const draft: SaleDraft = {
    storeId: store.id,
    timezone: store.timezone,
    customerId,
    memberId,
    customerBirthday: buyer?.birthday ?? null,
    occurredAt,
    lines: input.lines.map((line, i) => {
      const p = product(line.sku);
      if (!p.active) throw new InvalidStateError('PRODUCT_INACTIVE', { sku: p.sku }, ['input', 'lines', i, 'sku']);
      if (!Number.isInteger(line.quantity) || line.quantity <= 0 || line.quantity > 100_000) {
        throw new InvalidInputError('INVALID_INPUT', { detail: 'quantity must be a whole number from 1' }, [
          'input',
          'lines',
          i,
          'quantity',
        ]);
      }
      const unitPrice = line.unitPrice ?? p.price;
      const discount = line.discount ?? ZERO;
      if (unitPrice.lt(0))
        throw new InvalidInputError('INVALID_INPUT', { detail: 'unitPrice < 0' }, ['input', 'lines', i, 'unitPrice']);
      if (discount.lt(0))
        throw new InvalidInputError('INVALID_INPUT', { detail: 'discount < 0' }, ['input', 'lines', i, 'discount']);
      return {
        lineNo: i + 1,
        productId: p.id,
        sku: p.sku,
        name: p.name,
        category: p.category,
        quantity: line.quantity,
        unitPrice,
        discount,
        unitCost: p.cost,
      };
    }),
    payments: input.payments.map((p) => ({ method: p.method, amount: p.amount, reference: p.reference ?? null })),
    notes: {},
  };

  for (const step of steps) await step.beforeWrite?.(draft, unit);

  let subtotal = ZERO;
  let discountTotal = ZERO;
  const lines = draft.lines.map((l) => {
    const gross = l.unitPrice.mul(l.quantity);
    if (l.discount.gt(gross))
      throw new InvalidInputError('DISCOUNT_TOO_LARGE', { line: l.lineNo }, [
        'input',
        'lines',
        l.lineNo - 1,
        'discount',
      ]);
    subtotal = subtotal.add(gross);
    discountTotal = discountTotal.add(l.discount);
    return { ...l, total: gross.sub(l.discount) };
  });
  const total = subtotal.sub(discountTotal);
  const paid = draft.payments.reduce((sum, p, i) => {
    if (p.amount.lt(0)) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'payment amount < 0' }, [
        'input',
        'payments',
        i,
        'amount',
      ]);
    }
    return sum.add(p.amount);
  }, ZERO);
  if (!preview && !paid.eq(total)) {
    throw new InvalidInputError('PAYMENT_MISMATCH', { paid: paid.toFixed(2), total: total.toFixed(2) }, [
      'input',
      'payments',
    ]);
  }

  const written: WrittenSale = {
    ...draft,
    id: uuidv7(),
    subtotal,
    discountTotal,
    total,
    lines: lines.map((l) => ({ ...l, id: uuidv7() })),
  };
  if (
    !(await writeSale(tx, written, {
      externalId,
      staffId: input.staffId ?? null,
      businessDate: businessDate(occurredAt, store.timezone),
      currency: store.currency,
    }))
  ) {
    throw new SaleAlreadyRecorded();
  }
  progress.written = true;

  await applyStockChanges(
    tx,
    emit,
    {
      storeId: store.id,
      type: 'SALE',
      allowNegative: store.allowNegativeStock,
      saleId: written.id,
      staffId: input.staffId ?? null,
      occurredAt,
    },
    lines.map((l) => ({
      productId: l.productId,
      sku: l.sku,
      delta: -l.quantity,
      field: ['input', 'lines', l.lineNo - 1, 'quantity'],
    })),
  );

  for (const step of steps) await step.afterWrite?.(written, unit);
  if (preview) throw new SalePreview(written);

  emit('sale.recorded', {
    saleId: written.id,
    storeId: store.id,
    customerId,
    memberId,
    total: total.toFixed(2),
    occurredAt: occurredAt.toISOString(),
    committedAt: 0,
  });
  return { saleId: written.id, replayed: false };
}

/**
 * Writes the sale, its lines and payments, and the customer's purchase figures in one statement:
 * a till waits for every round trip of a sale, and the rows are known in full beforehand. The
 * figures are `x = x + Δ` in the same statement, so concurrent sales for one customer all count.
 * False, with nothing written, when the store already has a sale with this external id.
 */
async function writeSale(
  tx: Tx,
  sale: WrittenSale,
  extra: { externalId: string; staffId: string | null; businessDate: Date; currency: string },
): Promise<boolean> {
  const money = (d: Prisma.Decimal | null) => (d === null ? null : d.toFixed(2));
  const payments = sale.payments.map(() => uuidv7());
  const [{ written }] = await tx.$queryRaw<[{ written: number }]>`
    WITH sale AS (
      INSERT INTO "Sale" ("id", "storeId", "externalId", "staffId", "customerId", "memberId", "occurredAt", "businessDate", "currency", "subtotal", "discountTotal", "total", "createdAt")
      VALUES (${sale.id}::uuid, ${sale.storeId}::uuid, ${extra.externalId}, ${extra.staffId}::uuid, ${sale.customerId}::uuid, ${sale.memberId}::uuid, ${sale.occurredAt},
              ${extra.businessDate}::date, ${extra.currency}, ${money(sale.subtotal)}::numeric, ${money(sale.discountTotal)}::numeric, ${money(sale.total)}::numeric, ${new Date()})
      ON CONFLICT ("storeId", "externalId") DO NOTHING
      RETURNING "id"
    ), lines AS (
      INSERT INTO "SaleLine" ("id", "saleId", "lineNo", "productId", "sku", "name", "quantity", "unitPrice", "discount", "total", "unitCost")
      SELECT l.id, sale.id, l.line_no, l.product_id, l.sku, l.name, l.quantity, l.unit_price, l.discount, l.total, l.unit_cost
      FROM sale, unnest(${sale.lines.map((l) => l.id)}::uuid[], ${sale.lines.map((l) => l.lineNo)}::int[], ${sale.lines.map((l) => l.productId)}::uuid[],
                        ${sale.lines.map((l) => l.sku)}::text[], ${sale.lines.map((l) => l.name)}::text[], ${sale.lines.map((l) => l.quantity)}::int[],
                        ${sale.lines.map((l) => money(l.unitPrice))}::numeric[], ${sale.lines.map((l) => money(l.discount))}::numeric[],
                        ${sale.lines.map((l) => money(l.total))}::numeric[], ${sale.lines.map((l) => money(l.unitCost))}::numeric[])
        AS l(id, line_no, product_id, sku, name, quantity, unit_price, discount, total, unit_cost)
    ), payments AS (
      INSERT INTO "Payment" ("id", "saleId", "method", "amount", "reference")
      SELECT p.id, sale.id, p.method::"PaymentMethod", p.amount, p.reference
      FROM sale, unnest(${payments}::uuid[], ${sale.payments.map((p) => p.method)}::text[], ${sale.payments.map((p) => money(p.amount))}::numeric[],
                        ${sale.payments.map((p) => p.reference)}::text[]) AS p(id, method, amount, reference)
    ), figures AS (
      UPDATE "Customer" SET
        "visitCount" = "visitCount" + 1,
        "lifetimeSpend" = "lifetimeSpend" + ${money(sale.total)}::numeric,
        "firstPurchaseAt" = LEAST(coalesce("firstPurchaseAt", ${sale.occurredAt}), ${sale.occurredAt}),
        "lastPurchaseAt" = GREATEST(coalesce("lastPurchaseAt", ${sale.occurredAt}), ${sale.occurredAt}),
        "updatedAt" = ${new Date()}
      FROM sale WHERE "Customer"."id" = ${sale.customerId}::uuid
    )
    SELECT count(*)::int AS written FROM sale`;
  return written === 1;
}

/** True for the unique-violation Prisma reports when two requests insert the same key at once. */
export function isUniqueViolation(error: unknown): boolean {
  return (
    (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') ||
    (error instanceof Error && /unique constraint|duplicate key/i.test(error.message))
  );
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
  const previous = await tx.refund.findUnique({ where: { saleId_externalId: { saleId: input.saleId, externalId } } });
  if (previous) return { refund: previous, replayed: true };

  const sale = await tx.sale.findUniqueOrThrow({
    where: { id: input.saleId },
    include: { lines: { orderBy: { lineNo: 'asc' }, include: { refundLines: true } }, store: true },
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
    if (!Number.isInteger(r.quantity) || r.quantity <= 0 || r.quantity > available) {
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
  emit('sale.refunded', {
    saleId: sale.id,
    refundId: refund.id,
    storeId: sale.storeId,
    customerId: sale.customerId,
    amount: amount.toFixed(2),
  });
  return { refund, replayed: false };
}
