import { randomUUID } from 'node:crypto';
import { uuidv7 } from '../db/ids.ts';
import type { Db } from '../db/tx.ts';
import type { Unit } from '../events/transaction.ts';
import { Prisma, type Store } from '../generated/prisma/client.ts';
import type { StaffRoleKind } from '../generated/prisma/enums.ts';
import type { Principal } from '../auth/principal.ts';
import { ConflictError, InvalidInputError, InvalidStateError, NotFoundError, UserError } from '../errors/index.ts';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { buyerByCustomerId, buyerByMemberCode, type Buyer } from '../members/service.ts';
import { productsByCode } from '../products/service.ts';
import { applyStockChanges, checkStock } from '../stock/levels.ts';
import { requireStore } from '../stores/service.ts';
import { businessDate } from '../stores/time.ts';
import type { SaleDraft, WrittenSale } from './pipeline.ts';
import type { SalePipeline } from '../contract.ts';
import { CORE_TENDER_CODES, type TenderCode } from './tenders.ts';
import { saleFingerprint } from './fingerprint.ts';
import { applyAdjustment, discountsByLine, type Adjustment, type AdjustmentRequest } from './pricing.ts';
import { writeSale } from './write.ts';
import { writeSaleCommission } from '../guides/commission.ts';

const ZERO = new Prisma.Decimal(0);
const TILL_DISCOUNT = { 'zh-CN': '收银折扣', en: 'Discount at the till' };

export interface RecordSaleInput {
  storeId: string;
  /** The POS's own id for the sale: sending it again returns the first result. */
  externalId: string;
  occurredAt?: Date | null;
  staffId?: string | null;
  customerId?: string | null;
  memberCode?: string | null;
  lines: { sku: string; quantity: number; unitPrice?: Prisma.Decimal | null; discount?: Prisma.Decimal | null }[];
  payments: { method: TenderCode; amount: Prisma.Decimal; reference?: string | null }[];
  /** Values of the input fields plugins declared (StorePlugin.saleInputs), by field name. */
  inputs?: Record<string, unknown> | null;
  /** What the caller may do to prices (from priceAuthority); absent: anything (internal callers). */
  priceAuthority?: PriceAuthority | null;
  /** Who set the prices: the CRM's steps (the default) or the till, whose prices stand (SalePricing). */
  pricedBy?: SalePricing | null;
}

/**
 * CRM: the installed plugins' steps price the sale (the member's tier discount, campaigns).
 * TILL: the till already priced it (a POS that applies its own member prices, a sale replayed
 * afterwards): its prices and line discounts are what the customer paid, and no step gives another
 * reduction. Everything else a sale does (stock, points on what was paid, tier qualification) happens.
 */
export type SalePricing = 'CRM' | 'TILL';

/**
 * What a caller may do to a line's price: whether it may sell at another price than the
 * catalogue's or give a line discount at all (`sale:override-price` in the store), and the largest
 * reduction below the catalogue amount, in %, its role (or its API key) allows.
 */
export interface PriceAuthority {
  mayOverride: boolean;
  maxDiscountPercent: number;
}

export function priceAuthority(
  auth: Principal,
  storeId: string,
  limits: Record<StaffRoleKind, number>,
): PriceAuthority {
  const mayOverride = auth.can('sale:override-price', storeId);
  const role = auth.roles.get(storeId);
  const max = auth.maxDiscountPercent ?? (role ? limits[role] : 0);
  return { mayOverride, maxDiscountPercent: mayOverride ? max : 0 };
}

/** Refuses a line priced below what the caller may give (see PriceAuthority). */
function checkLinePrice(
  authority: PriceAuthority,
  line: { quantity: number; unitPrice: Prisma.Decimal; discount: Prisma.Decimal },
  catalogue: Prisma.Decimal,
  index: number,
) {
  if (line.unitPrice.eq(catalogue) && line.discount.isZero()) return;
  const field = ['input', 'lines', index, line.unitPrice.eq(catalogue) ? 'discount' : 'unitPrice'];
  if (!authority.mayOverride) {
    throw new InvalidInputError('PRICE_OVERRIDE_NOT_ALLOWED', { line: index + 1, price: catalogue.toFixed(2) }, field);
  }
  const listed = catalogue.mul(line.quantity);
  const reduction = listed.sub(line.unitPrice.mul(line.quantity).sub(line.discount));
  if (reduction.lte(0) || reduction.mul(100).lte(listed.mul(authority.maxDiscountPercent))) return;
  const percent = listed.isZero() ? '100' : reduction.mul(100).div(listed).toDecimalPlaces(2).toString();
  throw new InvalidInputError(
    'DISCOUNT_LIMIT_EXCEEDED',
    { line: index + 1, percent, max: authority.maxDiscountPercent },
    field,
  );
}

export interface RecordSaleResult {
  saleId: string;
  /** True when this external id was recorded before and nothing was changed now. */
  replayed: boolean;
}

export async function findSaleByExternalId(db: Db | Unit['tx'], storeId: string, externalId: string) {
  return db.sale.findUnique({
    where: { storeId_externalId: { storeId, externalId } },
    select: { id: true, requestHash: true },
  });
}

/**
 * Records a POS sale in one transaction: prices the lines, lets plugin steps adjust them,
 * writes the sale, takes the stock, updates the customer's figures and announces
 * sale.recorded after commit. Idempotent on (store, externalId).
 */
/**
 * Thrown at the end of a preview, after every step has run, to roll the transaction back:
 * the caller gets the priced sale (member discount and all) and nothing is kept or announced.
 */
export class SalePreview extends Error {
  constructor(readonly sale: WrittenSale) {
    super('sale preview');
  }
}

export async function recordSale(
  unit: Unit,
  pipeline: SalePipeline,
  input: RecordSaleInput,
  mode: 'record' | 'preview' = 'record',
): Promise<RecordSaleResult> {
  const { tx } = unit;
  const preview = mode === 'preview';
  const externalId = preview ? `preview:${randomUUID()}` : input.externalId.trim();
  if (!externalId || externalId.length > 100) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'externalId: 1–100 characters' }, ['input', 'externalId']);
  }
  const store = await requireStore(unit, input.storeId, ['input', 'storeId']);
  const progress = { written: false };
  if (preview) return writeNewSale(unit, pipeline, input, store, externalId, null, true, progress);
  const requestHash = saleFingerprint(store.id, input);
  try {
    return await writeNewSale(unit, pipeline, input, store, externalId, requestHash, false, progress);
  } catch (error) {
    // Looked up only now rather than before every sale: a POS resending a recorded sale gets it
    // back, even when its content would no longer pass (a price changed since, a product withdrawn).
    // Not once this sale is written: a failure after that (stock short) is this sale's own.
    if (!progress.written && (error instanceof UserError || error instanceof SaleAlreadyRecorded)) {
      const previous = await findSaleByExternalId(tx, store.id, externalId);
      if (previous?.requestHash && previous.requestHash !== requestHash) {
        // The receipt number is taken by a different sale: answering "replayed" would make the
        // till believe this one went through.
        throw new ConflictError('EXTERNAL_ID_CONFLICT', { externalId, saleId: encodeGlobalID('Sale', previous.id) }, [
          'input',
          'externalId',
        ]);
      }
      if (previous) return { saleId: previous.id, replayed: true };
    }
    throw error;
  }
}

/** The sale's external id is already taken in its store: nothing was written, and it is a replay. */
class SaleAlreadyRecorded extends Error {}

async function writeNewSale(
  unit: Unit,
  pipeline: SalePipeline,
  input: RecordSaleInput,
  store: Store,
  externalId: string,
  requestHash: string | null,
  preview: boolean,
  progress: { written: boolean },
): Promise<RecordSaleResult> {
  const { tx, emit } = unit;
  if (!input.lines.length)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'a sale needs at least one line' }, ['input', 'lines']);
  if (input.lines.length > 500)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'at most 500 lines' }, ['input', 'lines']);
  const occurredAt = input.occurredAt ?? new Date();
  if (occurredAt.getTime() > Date.now() + 5 * 60_000) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'occurredAt is in the future' }, ['input', 'occurredAt']);
  }

  let buyer: Buyer | null = input.memberCode
    ? await buyerByMemberCode(tx, input.memberCode, ['input', 'memberCode'])
    : null;
  if (input.customerId) {
    const named = await buyerByCustomerId(tx, input.customerId, ['input', 'customerId']);
    if (buyer && buyer.customerId !== named.customerId) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'customerId and memberCode name different customers' }, [
        'input',
        'customerId',
      ]);
    }
    buyer = buyer ?? named;
  }
  const customerId = buyer?.customerId ?? null;
  const memberId = buyer?.memberId ?? null;
  if (
    input.staffId &&
    !(await tx.staffRole.findUnique({ where: { staffId_storeId: { staffId: input.staffId, storeId: store.id } } }))
  ) {
    throw new NotFoundError('Staff', input.staffId, ['input', 'staffId']);
  }

  const product = await productsByCode(
    unit,
    input.lines.map((l, i) => ({ code: l.sku, field: ['input', 'lines', i, 'sku'] })),
  );
  input.payments.forEach((p, i) => {
    // Core's tenders, or one an installed plugin declares and settles in its steps.
    if (!CORE_TENDER_CODES.has(p.method) && !pipeline.tenders.has(p.method)) {
      throw new InvalidInputError('TENDER_NOT_ACCEPTED', { method: p.method }, ['input', 'payments', i, 'method']);
    }
  });
  const adjustments: Adjustment[] = [];
  const draft: SaleDraft = {
    storeId: store.id,
    timezone: store.timezone,
    customerId,
    memberId,
    customerBirthday: buyer?.birthday ?? null,
    occurredAt,
    lines: input.lines.map((line, i) => {
      const p = product(line.sku);
      if (!p.active) throw new InvalidStateError('PRODUCT_INACTIVE', { sku: p.sku }, ['input', 'lines', i, 'sku']);
      if (!Number.isInteger(line.quantity) || line.quantity <= 0 || line.quantity > 100_000) {
        throw new InvalidInputError('INVALID_INPUT', { detail: 'quantity must be a whole number from 1' }, [
          'input',
          'lines',
          i,
          'quantity',
        ]);
      }
      const unitPrice = line.unitPrice ?? p.price;
      const discount = line.discount ?? ZERO;
      if (unitPrice.lt(0))
        throw new InvalidInputError('INVALID_INPUT', { detail: 'unitPrice < 0' }, ['input', 'lines', i, 'unitPrice']);
      if (discount.lt(0))
        throw new InvalidInputError('INVALID_INPUT', { detail: 'discount < 0' }, ['input', 'lines', i, 'discount']);
      if (discount.gt(unitPrice.mul(line.quantity)))
        throw new InvalidInputError('DISCOUNT_TOO_LARGE', { line: i + 1 }, ['input', 'lines', i, 'discount']);
      // What the till sent, before plugin steps (a member discount) change it.
      if (input.priceAuthority) checkLinePrice(input.priceAuthority, { ...line, unitPrice, discount }, p.price, i);
      return {
        lineNo: i + 1,
        productId: p.id,
        sku: p.sku,
        name: p.name,
        category: p.category,
        quantity: line.quantity,
        unitPrice,
        discount: ZERO,
        unitCost: p.cost,
      };
    }),
    payments: input.payments.map((p) => ({ method: p.method, amount: p.amount, reference: p.reference ?? null })),
    adjustments,
    pricedBy: input.pricedBy ?? 'CRM',
    adjust: (request: AdjustmentRequest) => {
      // A till-priced sale keeps the till's prices: only its own line discounts are adjustments.
      if (draft.pricedBy === 'TILL' && request.source !== 'pos') return null;
      const made = applyAdjustment(draft.lines, request, adjustments.length + 1);
      if (made) adjustments.push(made);
      return made;
    },
    inputs: input.inputs ?? {},
    notes: {},
  };
  // The till's own line discounts are the first adjustments, one per line (source "pos").
  input.lines.forEach((line, i) => {
    if (line.discount?.gt(0))
      draft.adjust({ source: 'pos', label: TILL_DISCOUNT, lines: [{ lineNo: i + 1, amount: line.discount }] });
  });

  for (const step of pipeline.steps) {
    await step.beforeWrite?.(draft, unit);
    // One way to change a price: adjustments. A step that wrote `discount` itself would leave a
    // reduction nobody can account for, on the receipt or in a refund.
    const given = discountsByLine(adjustments);
    for (const line of draft.lines) {
      if (!line.discount.eq(given.get(line.lineNo) ?? ZERO))
        throw new Error(`Sale step "${step.name}" changed line ${line.lineNo}'s discount without draft.adjust.`);
    }
  }

  let subtotal = ZERO;
  let discountTotal = ZERO;
  const lines = draft.lines.map((l) => {
    const gross = l.unitPrice.mul(l.quantity);
    subtotal = subtotal.add(gross);
    discountTotal = discountTotal.add(l.discount);
    return { ...l, total: gross.sub(l.discount) };
  });
  const total = subtotal.sub(discountTotal);
  const paid = draft.payments.reduce((sum, p, i) => {
    if (p.amount.lt(0)) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'payment amount < 0' }, [
        'input',
        'payments',
        i,
        'amount',
      ]);
    }
    return sum.add(p.amount);
  }, ZERO);
  if (!preview && !paid.eq(total)) {
    throw new InvalidInputError('PAYMENT_MISMATCH', { paid: paid.toFixed(2), total: total.toFixed(2) }, [
      'input',
      'payments',
    ]);
  }

  const { adjust: _adjust, ...priced } = draft;
  const written: WrittenSale = {
    ...priced,
    id: uuidv7(),
    subtotal,
    discountTotal,
    total,
    lines: lines.map((l) => ({ ...l, id: uuidv7() })),
  };
  const saleDate = businessDate(occurredAt, store.timezone);
  if (
    !(await writeSale(tx, written, {
      externalId,
      requestHash,
      staffId: input.staffId ?? null,
      businessDate: saleDate,
      currency: store.currency,
    }))
  ) {
    throw new SaleAlreadyRecorded();
  }
  progress.written = true;
  // The staff member's commission, in this transaction: exactly once with the sale (src/guides/commission.ts).
  if (input.staffId && !preview)
    await writeSaleCommission(tx, { ...written, storeId: store.id, staffId: input.staffId, businessDate: saleDate });

  for (const step of pipeline.steps) await step.afterWrite?.(written, unit);

  const stockChanges = lines.map((l) => ({
    productId: l.productId,
    sku: l.sku,
    delta: -l.quantity,
    field: ['input', 'lines', l.lineNo - 1, 'quantity'],
  }));
  if (preview) {
    // A price check takes no stock lock: it would only make real sales of the same products wait.
    await checkStock(tx, { storeId: store.id, allowNegative: store.allowNegativeStock }, stockChanges);
    throw new SalePreview(written);
  }
  // The last write before COMMIT: a best seller's level is the hottest row of a store, and each
  // statement run after its lock is time every other till selling it waits (applyStockChanges).
  await applyStockChanges(
    tx,
    emit,
    {
      storeId: store.id,
      type: 'SALE',
      allowNegative: store.allowNegativeStock,
      saleId: written.id,
      staffId: input.staffId ?? null,
    },
    stockChanges,
  );

  emit('sale.recorded', {
    saleId: written.id,
    storeId: store.id,
    customerId,
    memberId,
    total: total.toFixed(2),
    occurredAt: occurredAt.toISOString(),
    committedAt: 0,
  });
  return { saleId: written.id, replayed: false };
}
