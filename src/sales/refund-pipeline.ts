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
    amount: Prisma.Decimal;
  }[];
}

/** A plugin's part in a refund (reverse points, give back redeemed points). Throwing rolls it back. */
export interface RefundStep {
  name: string;
  afterWrite: (refund: WrittenRefund, unit: Unit) => Promise<void> | void;
}
