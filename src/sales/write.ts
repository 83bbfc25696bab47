import { uuidv7 } from '../db/ids.ts';
import type { Tx } from '../db/tx.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { isLateSale, markDirtyDay } from '../insights/summary.ts';
import type { WrittenSale } from './pipeline.ts';

/**
 * Writes the sale, its lines and payments, and the customer's purchase figures in one statement:
 * a till waits for every round trip of a sale, and the rows are known in full beforehand. The
 * figures are `x = x + Δ` in the same statement, so concurrent sales for one customer all count.
 * False, with nothing written, when the store already has a sale with this external id.
 */
export async function writeSale(
  tx: Tx,
  sale: WrittenSale,
  extra: {
    externalId: string;
    requestHash: string | null;
    staffId: string | null;
    businessDate: Date;
    currency: string;
  },
): Promise<boolean> {
  const money = (d: Prisma.Decimal | null) => (d === null ? null : d.toFixed(2));
  const payments = sale.payments.map(() => uuidv7());
  // Most sales have none: the statement then has no adjustments part at all.
  const adjustments = sale.adjustments.length
    ? Prisma.sql`, adjustments AS (
      INSERT INTO "SaleAdjustment" ("id", "saleId", "position", "source", "sourceId", "labelZh", "labelEn", "scope",
                                    "amount", "lineNos", "shares")
      SELECT a.id, sale.id, a.position, a.source, a."sourceId", a."labelZh", a."labelEn", a.scope::"AdjustmentScope",
        a.amount, a."lineNos", a.shares
      FROM sale, jsonb_to_recordset(${JSON.stringify(
        sale.adjustments.map((a) => ({
          id: uuidv7(),
          position: a.position,
          source: a.source,
          sourceId: a.sourceId ?? null,
          labelZh: a.label['zh-CN'],
          labelEn: a.label.en,
          scope: a.scope,
          amount: money(a.amount),
          lineNos: a.shares.map((x) => x.lineNo),
          shares: a.shares.map((x) => money(x.amount)),
        })),
      )}::jsonb)
        AS a(id uuid, position int, source text, "sourceId" text, "labelZh" text, "labelEn" text, scope text,
             amount numeric, "lineNos" int[], shares numeric[])
    )`
    : Prisma.empty;
  const [{ written }] = await tx.$queryRaw<[{ written: number }]>`
    WITH sale AS (
      INSERT INTO "Sale" ("id", "storeId", "externalId", "requestHash", "staffId", "customerId", "memberId",
                          "occurredAt", "businessDate", "currency", "subtotal", "discountTotal", "total", "createdAt")
      VALUES (${sale.id}::uuid, ${sale.storeId}::uuid, ${extra.externalId}, ${extra.requestHash},
              ${extra.staffId}::uuid, ${sale.customerId}::uuid, ${sale.memberId}::uuid, ${sale.occurredAt},
              ${extra.businessDate}::date, ${extra.currency}, ${money(sale.subtotal)}::numeric,
              ${money(sale.discountTotal)}::numeric, ${money(sale.total)}::numeric, ${new Date()})
      ON CONFLICT ("storeId", "externalId") DO NOTHING
      RETURNING "id"
    ), lines AS (
      INSERT INTO "SaleLine" ("id", "saleId", "lineNo", "productId", "sku", "name", "quantity", "unitPrice", "discount",
                              "total", "unitCost")
      SELECT l.id, sale.id, l.line_no, l.product_id, l.sku, l.name, l.quantity, l.unit_price, l.discount, l.total,
        l.unit_cost
      FROM sale, unnest(${sale.lines.map((l) => l.id)}::uuid[], ${sale.lines.map((l) => l.lineNo)}::int[],
                        ${sale.lines.map((l) => l.productId)}::uuid[],
                        ${sale.lines.map((l) => l.sku)}::text[], ${sale.lines.map((l) => l.name)}::text[],
                        ${sale.lines.map((l) => l.quantity)}::int[],
                        ${sale.lines.map((l) => money(l.unitPrice))}::numeric[],
                        ${sale.lines.map((l) => money(l.discount))}::numeric[],
                        ${sale.lines.map((l) => money(l.total))}::numeric[],
                        ${sale.lines.map((l) => money(l.unitCost))}::numeric[])
        AS l(id, line_no, product_id, sku, name, quantity, unit_price, discount, total, unit_cost)
    ), payments AS (
      INSERT INTO "Payment" ("id", "saleId", "method", "amount", "reference")
      SELECT p.id, sale.id, p.method, p.amount, p.reference
      FROM sale, unnest(${payments}::uuid[], ${sale.payments.map((p) => p.method)}::text[],
                        ${sale.payments.map((p) => money(p.amount))}::numeric[],
                        ${sale.payments.map((p) => p.reference)}::text[]) AS p(id, method, amount, reference)
    ), figures AS (
      UPDATE "Customer" SET
        "visitCount" = "visitCount" + 1,
        "lifetimeSpend" = "lifetimeSpend" + ${money(sale.total)}::numeric,
        "firstPurchaseAt" = LEAST(coalesce("firstPurchaseAt", ${sale.occurredAt}), ${sale.occurredAt}),
        "lastPurchaseAt" = GREATEST(coalesce("lastPurchaseAt", ${sale.occurredAt}), ${sale.occurredAt}),
        "updatedAt" = ${new Date()}
      FROM sale WHERE "Customer"."id" = ${sale.customerId}::uuid
    )${adjustments}
    SELECT count(*)::int AS written FROM sale`;
  // A sale a till sends days late falls before the daily summary's recent days: its day is marked.
  if (written === 1 && isLateSale(extra.businessDate)) await markDirtyDay(tx, sale.storeId, extra.businessDate);
  return written === 1;
}
