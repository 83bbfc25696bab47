/**
 * How many merges a chain of merged records may go through before following it stops. A chain
 * is short (each merge points at a live survivor); the bound only guards against a cycle written
 * by hand.
 */
export const MAX_MERGE_HOPS = 10;

/** Reads a customer with `read` and, while the one read was merged away, the customer it went into. */
export async function followMerges<C extends { mergedIntoId: string | null }>(
  id: string,
  read: (id: string) => Promise<C | null>,
): Promise<C | null> {
  let customer = await read(id);
  for (let hops = 0; customer?.mergedIntoId && hops < MAX_MERGE_HOPS; hops++)
    customer = await read(customer.mergedIntoId);
  return customer;
}
