import type { Prisma } from '../generated/prisma/client.ts';
import type { PaymentMethod } from '../generated/prisma/enums.ts';
import type { Unit } from '../events/transaction.ts';

/** A sale line after core has priced it, before it is written. Steps may raise `discount`. */
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
  method: PaymentMethod;
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
  lines: SaleDraftLine[];
  payments: SaleDraftPayment[];
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
    total: Prisma.Decimal;
  }[];
  customerId: string | null;
  notes: Record<string, unknown>;
}

/** The sale as written, given to `afterWrite`. */
export interface WrittenSale extends SaleDraft {
  id: string;
  subtotal: Prisma.Decimal;
  discountTotal: Prisma.Decimal;
  total: Prisma.Decimal;
  lines: (SaleDraftLine & { id: string; total: Prisma.Decimal })[];
}

/**
 * A plugin's part in recording a sale. Both hooks run inside the sale's transaction, in plugin
 * order: `beforeWrite` may adjust the draft (a member discount), `afterWrite` may write its own
 * rows (points accrual, a tier upgrade). Throwing a UserError from either rolls the sale back.
 */
export interface SaleStep {
  name: string;
  /** Payment methods this step accepts and settles (e.g. POINTS); core refuses them otherwise. */
  tenders?: PaymentMethod[];
  beforeWrite?: (draft: SaleDraft, unit: Unit) => Promise<void> | void;
  afterWrite?: (sale: WrittenSale, unit: Unit) => Promise<void> | void;
}

/** Payment methods core does not settle itself: a plugin must claim them with `tenders`. */
export const PLUGIN_TENDERS: readonly PaymentMethod[] = ['POINTS'];
