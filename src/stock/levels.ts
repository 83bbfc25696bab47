import type { Tx } from '../db/types.ts';
import type { Emit } from '../events/transaction.ts';
import type { StockMovementType } from '../generated/prisma/enums.ts';
import { InsufficientStockError } from '../errors/index.ts';

export interface StockChange {
  productId: string;
  sku: string;
  /** Signed change to on-hand quantity. */
  delta: number;
  /** Input path to blame when stock is short. */
  field?: (string | number)[];
}

export interface MovementContext {
  storeId: string;
  type: StockMovementType;
  allowNegative: boolean;
  reason?: string | null;
  staffId?: string | null;
  saleId?: string | null;
  refundId?: string | null;
  transferId?: string | null;
  stocktakeId?: string | null;
  occurredAt?: Date;
}

/**
 * Applies stock changes atomically and records one movement per product.
 *
 * Never read-then-write: each change is one guarded UPDATE (or upsert) that checks the
 * quantity in the same statement, so concurrent sales cannot oversell. Rows are touched in
 * product-id order so that two sales of the same products cannot deadlock.
 * Emits stock.low when a change takes a product across its reorder point.
 */
export async function applyStockChanges(tx: Tx, emit: Emit, ctx: MovementContext, changes: StockChange[]) {
  const merged = new Map<string, StockChange>();
  for (const c of changes) {
    const prev = merged.get(c.productId);
    merged.set(c.productId, prev ? { ...prev, delta: prev.delta + c.delta } : { ...c });
  }
  const ordered = [...merged.values()].filter((c) => c.delta !== 0).sort((a, b) => (a.productId < b.productId ? -1 : 1));
  const movements = [];
  for (const change of ordered) {
    const row = await applyOne(tx, ctx.storeId, change.productId, change.delta, ctx.allowNegative);
    if (!row) {
      const level = await tx.stockLevel.findUnique({
        where: { storeId_productId: { storeId: ctx.storeId, productId: change.productId } },
        select: { onHand: true },
      });
      throw new InsufficientStockError(change.sku, -change.delta, Math.max(level?.onHand ?? 0, 0), change.field ?? null);
    }
    const before = row.onHand - change.delta;
    if (row.onHand <= row.reorderPoint && before > row.reorderPoint) {
      emit('stock.low', {
        storeId: ctx.storeId,
        productId: change.productId,
        sku: change.sku,
        onHand: row.onHand,
        reorderPoint: row.reorderPoint,
      });
    }
    movements.push({
      storeId: ctx.storeId,
      productId: change.productId,
      type: ctx.type,
      quantity: change.delta,
      balanceAfter: row.onHand,
      reason: ctx.reason ?? null,
      staffId: ctx.staffId ?? null,
      saleId: ctx.saleId ?? null,
      refundId: ctx.refundId ?? null,
      transferId: ctx.transferId ?? null,
      stocktakeId: ctx.stocktakeId ?? null,
      occurredAt: ctx.occurredAt ?? new Date(),
    });
  }
  if (movements.length) await tx.stockMovement.createMany({ data: movements });
  return movements;
}

async function applyOne(tx: Tx, storeId: string, productId: string, delta: number, allowNegative: boolean) {
  if (delta < 0 && !allowNegative) {
    const rows = await tx.$queryRaw<{ onHand: number; reorderPoint: number }[]>`
      UPDATE "StockLevel" SET "onHand" = "onHand" + ${delta}, "updatedAt" = now()
      WHERE "storeId" = ${storeId}::uuid AND "productId" = ${productId}::uuid AND "onHand" + ${delta} >= 0
      RETURNING "onHand", "reorderPoint"`;
    return rows[0] ?? null;
  }
  const rows = await tx.$queryRaw<{ onHand: number; reorderPoint: number }[]>`
    INSERT INTO "StockLevel" ("storeId", "productId", "onHand", "reorderPoint", "updatedAt")
    VALUES (${storeId}::uuid, ${productId}::uuid, ${delta}, 0, now())
    ON CONFLICT ("storeId", "productId") DO UPDATE SET "onHand" = "StockLevel"."onHand" + EXCLUDED."onHand", "updatedAt" = now()
    RETURNING "onHand", "reorderPoint"`;
  return rows[0] ?? null;
}
