import type { Prisma } from '../generated/prisma/client.ts';
import type { Unit } from '../events/transaction.ts';
import type { Adjustment, AdjustmentRecord, AdjustmentRequest } from './pricing.ts';
import type { SalePricing } from './record.ts';
import type { TenderCode } from './tenders.ts';

/**
 * A sale line after core has priced it, before it is written. `discount` is the sum of the line's
 * shares of the sale's adjustments: steps change it only through `SaleDraft.adjust`.
 */
export interface SaleDraftLine {
  lineNo: number;
  productId: string;
  sku: string;
  name: string;
  category: string;
  quantity: number;
  unitPrice: Prisma.Decimal;
  discount: Prisma.Decimal;
  unitCost: Prisma.Decimal | null;
}

export interface SaleDraftPayment {
  /** A tender's code: core's (CASH…) or one a plugin declares (`StorePlugin.tenders`). */
  method: TenderCode;
  amount: Prisma.Decimal;
  reference: string | null;
}

export interface SaleDraft {
  storeId: string;
  /** The store's time zone: business-day rules (caps per day, weekdays) use it. */
  timezone: string;
  customerId: string | null;
  memberId: string | null;
  /** The buyer's birthday, for birthday-month rules (null without a buyer or a birthday). */
  customerBirthday: Date | null;
  occurredAt: Date;
  /**
   * Who priced the sale (src/sales/record.ts, SalePricing). On 'TILL' `adjust` gives nothing: a
   * step that would reduce the price (a discount, a coupon) has nothing to do, or refuses.
   */
  pricedBy: SalePricing;
  lines: SaleDraftLine[];
  payments: SaleDraftPayment[];
  /** The price reductions so far, in the order given (the till's line discounts first). */
  adjustments: Adjustment[];
  /**
   * Gives a price reduction: an amount off the order (prorated by core over the lines, or over
   * `lineNos`) or an amount per line, with its source and a label for the till. Capped at what
   * each line still charges; returns what was recorded, or null when it came to nothing.
   * src/sales/pricing.ts and docs/plugins.md ("Pricing with adjustments").
   */
  adjust(request: AdjustmentRequest): Adjustment | null;
  /** Values of the sale input fields plugins declared (StorePlugin.saleInputs), by field name. */
  inputs: Record<string, unknown>;
  /** Where a step leaves what it did for its own afterWrite (or for later steps), keyed by plugin name. */
  notes: Record<string, unknown>;
}

/**
 * What previewSale answers: the sale priced by every step, nothing recorded. `notes` are the
 * steps' notes (SaleDraft.notes), so a plugin can add a field to SaleQuote that tells the till
 * what its step did (the points plugin: the points the sale earns).
 */
export interface SaleQuoteShape {
  subtotal: Prisma.Decimal;
  discountTotal: Prisma.Decimal;
  total: Prisma.Decimal;
  lines: {
    lineNo: number;
    sku: string;
    name: string;
    quantity: number;
    unitPrice: Prisma.Decimal;
    discount: Prisma.Decimal;
    /** The line's share of each adjustment. */
    adjustments: AdjustmentRecord[];
    total: Prisma.Decimal;
  }[];
  customerId: string | null;
  adjustments: Adjustment[];
  notes: Record<string, unknown>;
}

/** The sale as written, given to `afterWrite`. */
export interface WrittenSale extends Omit<SaleDraft, 'adjust'> {
  id: string;
  subtotal: Prisma.Decimal;
  discountTotal: Prisma.Decimal;
  total: Prisma.Decimal;
  lines: (SaleDraftLine & { id: string; total: Prisma.Decimal })[];
}

/**
 * A plugin's part in recording a sale. Both hooks run inside the sale's transaction, in plugin
 * order (docs/plugins.md, "Order"): `beforeWrite` may give adjustments (a member discount) through
 * `draft.adjust`, `afterWrite` may write its own rows (points accrual, a tier upgrade). Throwing a
 * UserError from either rolls the sale back.
 */
export interface SaleStep {
  name: string;
  beforeWrite?: (draft: SaleDraft, unit: Unit) => Promise<void> | void;
  afterWrite?: (sale: WrittenSale, unit: Unit) => Promise<void> | void;
}
