import type { TestApp } from './app.ts';

export const RECORD_SALE = `mutation Record($input: RecordSaleInput!) {
  recordSale(input: $input) {
    __typename
    ... on RecordSalePayload { replayed sale { id total subtotal discountTotal status businessDate customer { id } member { code } lines { lineNo sku quantity unitPrice discount total } payments { method amount } } }
    ... on UserError { errorCode message field }
    ... on InsufficientStockError { sku requested available }
  }
}`;

export const REFUND_SALE = `mutation Refund($saleId: ID!, $externalId: String!, $lines: [RefundLineInput!]) {
  refundSale(saleId: $saleId, externalId: $externalId, lines: $lines, reason: "顾客退货") {
    __typename
    ... on RefundSalePayload { replayed refund { id total lines { quantity amount saleLine { lineNo } } sale { status refundedTotal } } }
    ... on UserError { errorCode message field }
  }
}`;

/** On-hand quantity of a SKU in a store, read through the API. */
export async function onHand(t: TestApp, storeId: string, sku: string): Promise<number> {
  const data = await t.as('OWNER').ok(`query($sku: String!) { product(sku: $sku) { stock { onHand store { id } } } }`, { sku });
  return data.product.stock.find((s: { store: { id: string } }) => s.store.id === storeId)?.onHand ?? 0;
}

export async function productPrice(t: TestApp, sku: string): Promise<string> {
  const data = await t.as('OWNER').ok(`query($sku: String!) { product(sku: $sku) { price } }`, { sku });
  return data.product.price;
}

let counter = 0;
export function uniqueId(prefix = 'T') {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}`;
}

/** The database id inside a relay global id ("Sale:<uuid>", base64). */
export function rawId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;
}

/** What a test reads of a customer to work out where a search must list it. */
export interface SearchedPerson {
  name: string;
  phone: string | null;
  email: string | null;
  lastPurchaseAt: string | null;
  member: { code: string } | null;
}

/**
 * `people` (newest first) in the order of a search for `query`: exact matches (whole name, whole
 * phone, member code, e-mail) first, then by last purchase, most recent first, then those who
 * never bought; newest first within each (a stable sort keeps it).
 */
export function inSearchOrder<P extends SearchedPerson>(people: P[], query: string): P[] {
  const q = query.trim();
  const digits = q.replace(/[\s-]/g, '');
  const exact = (p: P) =>
    p.name.toLowerCase() === q.toLowerCase() || (/^\d{11}$/.test(digits) && p.phone === digits) || p.member?.code === q || p.email === q.toLowerCase();
  const rank = (p: P) => (exact(p) ? 0 : 2) + (p.lastPurchaseAt ? 0 : 1);
  return [...people].sort((a, b) => rank(a) - rank(b) || (b.lastPurchaseAt ?? '').localeCompare(a.lastPurchaseAt ?? ''));
}
