import type { Prisma } from '../generated/prisma/client.ts';
import type { Unit } from '../events/transaction.ts';

/** A refund as written, given to plugins inside the refund's transaction. */
export interface WrittenRefund {
  refundId: string;
  saleId: string;
  storeId: string;
  customerId: string | null;
  memberId: string | null;
  /** Money returned by this refund. */
  amount: Prisma.Decimal;
  /** The sale's total, for proportional reversals. */
  saleTotal: Prisma.Decimal;
  /** True when, with this refund, nothing of the sale is left. */
  fullyRefunded: boolean;
  lines: {
    saleLineId: string;
    lineNo: number;
    sku: string;
    quantity: number;
    soldQuantity: number;
    /** What was paid for these units: the line's total (after its share of every adjustment) pro rata. */
    amount: Prisma.Decimal;
  }[];
  /**
   * The part of each of the sale's adjustments that fell on the refunded units (by position, with
   * its source), so a step can react: a campaign whose 满减 threshold the refund undoes, a coupon
   * to give back. Informational: the money returned is `amount`.
   */
  adjustments: { position: number; source: string; sourceId: string | null; amount: Prisma.Decimal }[];
}

/** A plugin's part in a refund (reverse points, give back redeemed points). Throwing rolls it back. */
export interface RefundStep {
  name: string;
  afterWrite: (refund: WrittenRefund, unit: Unit) => Promise<void> | void;
}
