import type { Prisma } from '../generated/prisma/client.ts';
import type { Unit } from '../events/transaction.ts';

/** A sale line after core has priced it, before it is written. Steps may lower `discount`. */
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

export interface SaleDraft {
  storeId: string;
  customerId: string | null;
  memberId: string | null;
  occurredAt: Date;
  lines: SaleDraftLine[];
}

/**
 * A plugin's part in recording a sale. Both hooks run inside the sale's transaction:
 * `beforeWrite` may adjust the draft (a member discount), `afterWrite` may write its own rows
 * (points accrual). Throwing a UserError from either rolls the whole sale back.
 */
export interface SaleStep {
  name: string;
  beforeWrite?: (draft: SaleDraft, unit: Unit) => Promise<void> | void;
  afterWrite?: (sale: { id: string; total: Prisma.Decimal } & SaleDraft, unit: Unit) => Promise<void> | void;
}
