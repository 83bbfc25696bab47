import type { Tx } from '../db/tx.ts';
import type { Unit } from '../events/transaction.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../errors/index.ts';
import { productsByCode } from '../products/service.ts';
import { requireStore } from '../stores/service.ts';
import { applyStockChanges } from './levels.ts';

type Actor = { staffId: string | null };

function positiveInt(n: number, field: (string | number)[]) {
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'quantity must be a positive whole number' }, field);
}

/** Goods received (RECEIPT, quantity > 0) or a manual correction (ADJUSTMENT, signed) with a reason. */
export async function adjustStock(
  unit: Unit,
  actor: Actor,
  input: {
    storeId: string;
    type: 'RECEIPT' | 'ADJUSTMENT';
    reason?: string | null;
    lines: { sku: string; quantity: number }[];
  },
) {
  const { tx, emit } = unit;
  const store = await requireStore(unit, input.storeId, ['input', 'storeId']);
  if (!input.lines.length)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'lines is empty' }, ['input', 'lines']);
  input.lines.forEach((l, i) => {
    if (input.type === 'RECEIPT') positiveInt(l.quantity, ['input', 'lines', i, 'quantity']);
    else if (!Number.isInteger(l.quantity) || l.quantity === 0) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'quantity must be a non-zero whole number' }, [
        'input',
        'lines',
        i,
        'quantity',
      ]);
    }
  });
  if (input.type === 'ADJUSTMENT' && !input.reason?.trim()) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'an adjustment needs a reason' }, ['input', 'reason']);
  }
  const product = await productsByCode(
    unit,
    input.lines.map((l, i) => ({ code: l.sku, field: ['input', 'lines', i, 'sku'] })),
  );
  return applyStockChanges(
    tx,
    emit,
    {
      storeId: store.id,
      type: input.type,
      allowNegative: store.allowNegativeStock,
      reason: input.reason ?? null,
      staffId: actor.staffId,
    },
    input.lines.map((l, i) => ({
      productId: product(l.sku).id,
      sku: product(l.sku).sku,
      delta: l.quantity,
      field: ['input', 'lines', i, 'quantity'],
    })),
  );
}

export async function setReorderPoint(unit: Unit, input: { storeId: string; sku: string; reorderPoint: number }) {
  const { tx } = unit;
  await requireStore(unit, input.storeId, ['input', 'storeId']);
  if (!Number.isInteger(input.reorderPoint) || input.reorderPoint < 0) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'reorderPoint must be 0 or more' }, [
      'input',
      'reorderPoint',
    ]);
  }
  const product = await productsByCode(unit, [{ code: input.sku, field: ['input', 'sku'] }]);
  const productId = product(input.sku).id;
  return tx.stockLevel.upsert({
    where: { storeId_productId: { storeId: input.storeId, productId } },
    create: { storeId: input.storeId, productId, onHand: 0, reorderPoint: input.reorderPoint },
    update: { reorderPoint: input.reorderPoint },
  });
}

/** Moves stock from one store to another in one transaction: TRANSFER_OUT there, TRANSFER_IN here. */
export async function transferStock(
  unit: Unit,
  actor: Actor,
  input: { fromStoreId: string; toStoreId: string; note?: string | null; lines: { sku: string; quantity: number }[] },
) {
  const { tx, emit } = unit;
  if (input.fromStoreId === input.toStoreId)
    throw new InvalidInputError('SAME_STORE_TRANSFER', {}, ['input', 'toStoreId']);
  const from = await requireStore(unit, input.fromStoreId, ['input', 'fromStoreId']);
  const to = await requireStore(unit, input.toStoreId, ['input', 'toStoreId']);
  if (!input.lines.length)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'lines is empty' }, ['input', 'lines']);
  input.lines.forEach((l, i) => {
    positiveInt(l.quantity, ['input', 'lines', i, 'quantity']);
  });
  const product = await productsByCode(
    unit,
    input.lines.map((l, i) => ({ code: l.sku, field: ['input', 'lines', i, 'sku'] })),
  );
  const quantities = new Map<string, number>();
  for (const l of input.lines) quantities.set(product(l.sku).id, (quantities.get(product(l.sku).id) ?? 0) + l.quantity);
  const transfer = await tx.stockTransfer.create({
    data: {
      fromStoreId: from.id,
      toStoreId: to.id,
      note: input.note ?? null,
      staffId: actor.staffId,
      lines: { createMany: { data: [...quantities].map(([productId, quantity]) => ({ productId, quantity })) } },
    },
  });
  const changes = (sign: 1 | -1) =>
    input.lines.map((l, i) => ({
      productId: product(l.sku).id,
      sku: product(l.sku).sku,
      delta: sign * l.quantity,
      field: ['input', 'lines', i, 'quantity'],
    }));
  const base = { staffId: actor.staffId, transferId: transfer.id, reason: input.note ?? null };
  // Both stores' levels in one global order (store, then product), so two transfers between the
  // same stores in opposite directions queue instead of deadlocking.
  const moves = [
    () =>
      applyStockChanges(
        tx,
        emit,
        { ...base, storeId: from.id, type: 'TRANSFER_OUT', allowNegative: from.allowNegativeStock },
        changes(-1),
      ),
    () =>
      applyStockChanges(tx, emit, { ...base, storeId: to.id, type: 'TRANSFER_IN', allowNegative: true }, changes(1)),
  ];
  for (const move of from.id < to.id ? moves : moves.reverse()) await move();
  return transfer;
}

export async function startStocktake(unit: Unit, actor: Actor, input: { storeId: string; note?: string | null }) {
  const { tx } = unit;
  const store = await requireStore(unit, input.storeId, ['input', 'storeId']);
  return tx.stocktake.create({ data: { storeId: store.id, note: input.note ?? null, staffId: actor.staffId } });
}

async function requireOpenStocktake(tx: Tx, id: string) {
  // Lock the stocktake so counting and posting cannot interleave.
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Stocktake" WHERE id = ${id}::uuid FOR UPDATE`;
  if (!rows.length) throw new NotFoundError('Stocktake', id, ['stocktakeId']);
  const stocktake = await tx.stocktake.findUniqueOrThrow({ where: { id } });
  if (stocktake.status !== 'OPEN')
    throw new InvalidStateError('STOCKTAKE_NOT_OPEN', { status: stocktake.status }, ['stocktakeId']);
  return stocktake;
}

/**
 * Records counted quantities (scanned by barcode or typed by SKU). A later count of the same
 * product replaces the earlier one, unless `add` is set (scanning item by item).
 */
export async function recordStocktakeCounts(
  unit: Unit,
  input: { stocktakeId: string; add?: boolean | null; counts: { sku: string; counted: number }[] },
) {
  const { tx } = unit;
  const stocktake = await requireOpenStocktake(tx, input.stocktakeId);
  input.counts.forEach((c, i) => {
    if (!Number.isInteger(c.counted) || c.counted < 0) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'counted must be 0 or more' }, [
        'input',
        'counts',
        i,
        'counted',
      ]);
    }
  });
  const product = await productsByCode(
    unit,
    input.counts.map((c, i) => ({ code: c.sku, field: ['input', 'counts', i, 'sku'] })),
  );
  for (const c of input.counts) {
    const productId = product(c.sku).id;
    await tx.stocktakeLine.upsert({
      where: { stocktakeId_productId: { stocktakeId: stocktake.id, productId } },
      create: { stocktakeId: stocktake.id, productId, counted: c.counted },
      update: { counted: input.add ? { increment: c.counted } : c.counted },
    });
  }
  return stocktake;
}

/**
 * Posts a stocktake: for each counted product the variance against the on-hand quantity at
 * this moment becomes a STOCKTAKE movement. Products not counted are left as they are.
 */
export async function postStocktake({ tx, emit }: Unit, actor: Actor, stocktakeId: string) {
  const stocktake = await requireOpenStocktake(tx, stocktakeId);
  const lines = await tx.stocktakeLine.findMany({
    where: { stocktakeId },
    include: { product: { select: { sku: true } } },
  });
  // Lock the counted rows in product order, then read them: sales that land meanwhile wait.
  const productIds = lines.map((l) => l.productId).sort();
  const levels = productIds.length
    ? await tx.$queryRaw<{ productId: string; onHand: number }[]>`
        SELECT "productId"::text, "onHand" FROM "StockLevel"
        WHERE "storeId" = ${stocktake.storeId}::uuid AND "productId" = ANY(${productIds}::uuid[])
        ORDER BY "productId" FOR UPDATE`
    : [];
  const onHand = new Map(levels.map((l) => [l.productId, l.onHand]));
  for (const line of lines) {
    const systemQuantity = onHand.get(line.productId) ?? 0;
    await tx.stocktakeLine.update({
      where: { stocktakeId_productId: { stocktakeId, productId: line.productId } },
      data: { systemQuantity, variance: line.counted - systemQuantity },
    });
  }
  await applyStockChanges(
    tx,
    emit,
    {
      storeId: stocktake.storeId,
      type: 'STOCKTAKE',
      allowNegative: true,
      stocktakeId,
      staffId: actor.staffId,
      reason: stocktake.note,
    },
    lines.map((l) => ({
      productId: l.productId,
      sku: l.product.sku,
      delta: l.counted - (onHand.get(l.productId) ?? 0),
    })),
  );
  return tx.stocktake.update({ where: { id: stocktakeId }, data: { status: 'POSTED', postedAt: new Date() } });
}

export async function cancelStocktake({ tx }: Unit, stocktakeId: string) {
  await requireOpenStocktake(tx, stocktakeId);
  return tx.stocktake.update({ where: { id: stocktakeId }, data: { status: 'CANCELLED' } });
}
