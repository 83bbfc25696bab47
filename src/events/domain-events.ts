/**
 * Everything core announces. Payloads are plain JSON (they may travel through Redis to other
 * API processes) and carry enough for a dashboard to render without another query.
 */
export interface DomainEvents {
  'sale.recorded': {
    saleId: string;
    storeId: string;
    customerId: string | null;
    memberId: string | null;
    total: string;
    occurredAt: string;
    /** Milliseconds since epoch when the sale's transaction committed (delivery-latency figures). */
    committedAt: number;
  };
  'sale.refunded': { saleId: string; refundId: string; storeId: string; customerId: string | null; amount: string };
  'customer.created': { customerId: string };
  'customer.updated': { customerId: string };
  'customer.merged': { survivorId: string; mergedId: string };
  'member.enrolled': { memberId: string; customerId: string };
  /** A CSV import was written: one event for the whole file, not one per customer. */
  'customer.imported': { importId: string; created: number; updated: number; unchanged: number };
  /**
   * Any import file was written (src/imports/): one event for the whole file. Caches of what
   * imports write (products, staff) drop on it.
   */
  'data.imported': { importId: string; kind: string; created: number; updated: number; unchanged: number };
  'stock.low': { storeId: string; productId: string; sku: string; onHand: number; reorderPoint: number };
  /** A product was created or changed (price, barcode, active…): tills and caches re-read it. */
  'product.changed': { productId: string; sku: string };
  'store.changed': { storeId: string };
  'apiKey.revoked': { apiKeyId: string };
  /** A staff member was created or changed (roles, sign-in allowed): every process re-reads them. */
  'staff.changed': { staffId: string };
  /** A webhook endpoint was created, changed or deleted: every process re-reads which events are wanted. */
  'webhook.endpoint.changed': { endpointId: string };
}

export type EventType = keyof DomainEvents;
export type DomainEvent = { [K in EventType]: { type: K; payload: DomainEvents[K] } }[EventType];
