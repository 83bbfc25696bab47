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
