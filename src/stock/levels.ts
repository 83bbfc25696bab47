import { uuidv7 } from '../db/ids.ts';
import type { Tx } from '../db/tx.ts';
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
}

/**
 * Applies stock changes atomically and records one movement per product, in one statement.
 *
 * Never read-then-write: each level changes by `onHand = onHand + Δ` with the check in the same
 * statement (a sale where the store forbids negative stock only takes what is there), so
 * concurrent sales cannot oversell.
 *
 * Lock order: the levels are locked first, by `SELECT … ORDER BY "productId" FOR UPDATE`, and only
 * rows that lock returned are changed, so every writer takes a store's level locks in product-id
 * order whatever plan the planner picks for the update (an `UPDATE … FROM` visits rows in the
 * join's order): two sales of the same products queue instead of deadlocking. Callers apply stock
 * as the last write of their transaction, so these locks — a best seller's is the hottest row of a
 * store — are held only until COMMIT.
 *
 * Each movement gets the next `seq` while its level is locked, and `occurredAt` is the moment the
 * level changed: listed by `seq`, a product's movements read as a ledger (each balance is the one
 * before plus its quantity), however requests raced.
 *
 * Throws InsufficientStockError, rolling everything back, when a level is short.
 * Emits stock.low when a change takes a product across its reorder point.
 */
export async function applyStockChanges(tx: Tx, emit: Emit, ctx: MovementContext, changes: StockChange[]) {
  const ordered = mergeChanges(changes);
  if (!ordered.length) return [];
  const now = new Date();
  // Taking stock where the store forbids going below zero only changes a level that holds enough;
  // anything else (receipts, returns, stores that allow negative stock) creates the level if needed.
  const guarded = ordered.map((c) => c.delta < 0 && !ctx.allowNegative);
  const productIds = ordered.map((c) => c.productId);
  const rows = await tx.$queryRaw<{ productId: string; onHand: number; reorderPoint: number; movementId: string }[]>`
    WITH w AS (
      SELECT * FROM unnest(${productIds}::uuid[], ${ordered.map((c) => c.delta)}::int[], ${guarded}::boolean[],
                           ${ordered.map(() => uuidv7(now.getTime()))}::uuid[])
                           WITH ORDINALITY AS w(product_id, delta, guarded, movement_id, ord)
    ), locked AS MATERIALIZED (
      SELECT sl."productId" FROM "StockLevel" sl
      WHERE sl."storeId" = ${ctx.storeId}::uuid AND sl."productId" = ANY(${productIds}::uuid[])
      ORDER BY sl."productId" FOR UPDATE
    ), taken AS (
      UPDATE "StockLevel" sl SET "onHand" = sl."onHand" + w.delta, "updatedAt" = ${now}
      FROM locked JOIN w ON w.product_id = locked."productId"
      WHERE w.guarded AND sl."storeId" = ${ctx.storeId}::uuid AND sl."productId" = locked."productId"
        AND sl."onHand" + w.delta >= 0
      RETURNING sl."productId", sl."onHand", sl."reorderPoint"
    ), put AS (
      -- After every existing level is locked (the count reads all of locked first); new levels are inserted in product
      -- order.
      INSERT INTO "StockLevel" ("storeId", "productId", "onHand", "reorderPoint", "updatedAt")
      SELECT ${ctx.storeId}::uuid, w.product_id, w.delta, 0, ${now} FROM w
      WHERE NOT w.guarded AND (SELECT count(*) FROM locked) >= 0 ORDER BY w.ord
      ON CONFLICT ("storeId", "productId") DO UPDATE SET "onHand" = "StockLevel"."onHand" + EXCLUDED."onHand",
        "updatedAt" = EXCLUDED."updatedAt"
      RETURNING "productId", "onHand", "reorderPoint"
    ), changed AS (
      SELECT * FROM taken UNION ALL SELECT * FROM put
    ), moved AS (
      INSERT INTO "StockMovement" ("id", "storeId", "productId", "type", "quantity", "balanceAfter", "reason", "saleId",
                                   "refundId", "transferId", "stocktakeId", "staffId", "occurredAt")
      SELECT w.movement_id, ${ctx.storeId}::uuid, c."productId", ${ctx.type}::"StockMovementType", w.delta, c."onHand",
        ${ctx.reason ?? null},
             ${ctx.saleId ?? null}::uuid, ${ctx.refundId ?? null}::uuid, ${ctx.transferId ?? null}::uuid,
             ${ctx.stocktakeId ?? null}::uuid, ${ctx.staffId ?? null}::uuid, clock_timestamp()
      FROM changed c JOIN w ON w.product_id = c."productId" ORDER BY w.ord
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

/** One change per product (several lines of one SKU add up), in product-id order, none of zero. */
function mergeChanges(changes: StockChange[]): StockChange[] {
  const merged = new Map<string, StockChange>();
  for (const c of changes) {
    const prev = merged.get(c.productId);
    merged.set(c.productId, prev ? { ...prev, delta: prev.delta + c.delta } : { ...c });
  }
  return [...merged.values()].filter((c) => c.delta !== 0).sort((a, b) => (a.productId < b.productId ? -1 : 1));
}

/**
 * What applyStockChanges would refuse, without changing or locking anything: a preview tells the
 * till a line is short, and a sale that is only priced must not queue on a best seller's lock.
 */
export async function checkStock(
  tx: Tx,
  ctx: Pick<MovementContext, 'storeId' | 'allowNegative'>,
  changes: StockChange[],
) {
  if (ctx.allowNegative) return;
  const taking = mergeChanges(changes).filter((c) => c.delta < 0);
  if (!taking.length) return;
  const levels = await tx.stockLevel.findMany({
    where: { storeId: ctx.storeId, productId: { in: taking.map((c) => c.productId) } },
    select: { productId: true, onHand: true },
  });
  const onHand = new Map(levels.map((l) => [l.productId, l.onHand]));
  for (const c of taking) {
    const have = onHand.get(c.productId) ?? 0;
    if (have + c.delta < 0) throw new InsufficientStockError(c.sku, -c.delta, Math.max(have, 0), c.field ?? null);
  }
}
