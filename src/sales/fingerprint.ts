import { createHash } from 'node:crypto';
import type { RecordSaleInput } from './record.ts';

/**
 * What makes two recordSale requests "the same sale", so that a POS resending a receipt gets a
 * replay and a till reusing a receipt number for a different sale gets a conflict: the store,
 * the buyer as named (member code or customer id), the cashier, the time if one was given, every
 * line in order (SKU, quantity, and unit price and discount when given) and every payment in
 * order (method, amount, reference), the plugins' sale inputs when any is given (a coupon
 * code makes another sale), and who priced it when the till did. Money is compared to the fen
 * ("12.5" and "12.50" are the same); the result is a sha256 of that canonical form.
 */
export function saleFingerprint(storeId: string, input: RecordSaleInput): string {
  const money = (d: { toFixed(n: number): string } | null | undefined) => (d ? d.toFixed(2) : null);
  const canonical: unknown[] = [
    storeId,
    input.memberCode?.trim() || null,
    input.customerId ?? null,
    input.staffId ?? null,
    input.occurredAt ? input.occurredAt.toISOString() : null,
    input.lines.map((l) => [l.sku.trim(), l.quantity, money(l.unitPrice), money(l.discount)]),
    input.payments.map((p) => [p.method, money(p.amount), p.reference ?? null]),
  ];
  // Left out when there are none, so sales recorded before plugins had inputs keep their hash.
  const inputs = Object.entries(input.inputs ?? {})
    .filter(([, value]) => value !== null && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (inputs.length) canonical.push(inputs);
  // Likewise only when not the default: the same lines priced by the till are another request.
  if (input.pricedBy === 'TILL') canonical.push(['pricedBy', 'TILL']);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
