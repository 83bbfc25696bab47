import { uuidv7 } from '../db/ids.ts';
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
 * Applies stock changes atomically and records one movement per product, in one statement.
 *
 * Never read-then-write: each level changes by `onHand = onHand + Δ` with the check in the same
 * statement (a sale where the store forbids negative stock only takes what is there), so
 * concurrent sales cannot oversell. Levels are visited in product-id order so that two sales of
 * the same products lock them in the same order (runInTransaction retries the rare deadlock
 * left). Throws InsufficientStockError, rolling everything back, when a level is short.
 * Emits stock.low when a change takes a product across its reorder point.
 */
export async function applyStockChanges(tx: Tx, emit: Emit, ctx: MovementContext, changes: StockChange[]) {
  const merged = new Map<string, StockChange>();
  for (const c of changes) {
    const prev = merged.get(c.productId);
    merged.set(c.productId, prev ? { ...prev, delta: prev.delta + c.delta } : { ...c });
  }
  const ordered = [...merged.values()]
    .filter((c) => c.delta !== 0)
    .sort((a, b) => (a.productId < b.productId ? -1 : 1));
  if (!ordered.length) return [];
  const occurredAt = ctx.occurredAt ?? new Date();
  const now = new Date();
  // Taking stock where the store forbids going below zero only changes a level that holds enough;
  // anything else (receipts, returns, stores that allow negative stock) creates the level if needed.
  const guarded = ordered.map((c) => c.delta < 0 && !ctx.allowNegative);
  const rows = await tx.$queryRaw<{ productId: string; onHand: number; reorderPoint: number; movementId: string }[]>`
    WITH w AS (
      SELECT * FROM unnest(${ordered.map((c) => c.productId)}::uuid[], ${ordered.map((c) => c.delta)}::int[], ${guarded}::boolean[],
                           ${ordered.map(() => uuidv7(occurredAt.getTime()))}::uuid[]) WITH ORDINALITY AS w(product_id, delta, guarded, movement_id, ord)
    ), taken AS (
      UPDATE "StockLevel" sl SET "onHand" = sl."onHand" + w.delta, "updatedAt" = ${now}
      FROM w WHERE w.guarded AND sl."storeId" = ${ctx.storeId}::uuid AND sl."productId" = w.product_id AND sl."onHand" + w.delta >= 0
      RETURNING sl."productId", sl."onHand", sl."reorderPoint"
    ), put AS (
      INSERT INTO "StockLevel" ("storeId", "productId", "onHand", "reorderPoint", "updatedAt")
      SELECT ${ctx.storeId}::uuid, w.product_id, w.delta, 0, ${now} FROM w WHERE NOT w.guarded ORDER BY w.ord
      ON CONFLICT ("storeId", "productId") DO UPDATE SET "onHand" = "StockLevel"."onHand" + EXCLUDED."onHand", "updatedAt" = EXCLUDED."updatedAt"
      RETURNING "productId", "onHand", "reorderPoint"
    ), changed AS (
      SELECT * FROM taken UNION ALL SELECT * FROM put
    ), moved AS (
      INSERT INTO "StockMovement" ("id", "storeId", "productId", "type", "quantity", "balanceAfter", "reason", "saleId", "refundId", "transferId", "stocktakeId", "staffId", "occurredAt")
      SELECT w.movement_id, ${ctx.storeId}::uuid, c."productId", ${ctx.type}::"StockMovementType", w.delta, c."onHand", ${ctx.reason ?? null},
             ${ctx.saleId ?? null}::uuid, ${ctx.refundId ?? null}::uuid, ${ctx.transferId ?? null}::uuid, ${ctx.stocktakeId ?? null}::uuid, ${ctx.staffId ?? null}::uuid, ${occurredAt}
      FROM changed c JOIN w ON w.product_id = c."productId"
    )
    SELECT c."productId"::text AS "productId", c."onHand", c."reorderPoint", w.movement_id::text AS "movementId"
    FROM changed c JOIN w ON w.product_id = c."productId"`;
  const byProduct = new Map(rows.map((r) => [r.productId, r]));
  const short = ordered.find((c) => !byProduct.has(c.productId));
  if (short) {
    const level = await tx.stockLevel.findUnique({
      where: { storeId_productId: { storeId: ctx.storeId, productId: short.productId } },
      select: { onHand: true },
    });
    throw new InsufficientStockError(short.sku, -short.delta, Math.max(level?.onHand ?? 0, 0), short.field ?? null);
  }
  return ordered.map((change) => {
    const row = byProduct.get(change.productId)!;
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
    return { id: row.movementId, productId: change.productId, quantity: change.delta, balanceAfter: row.onHand };
  });
}
