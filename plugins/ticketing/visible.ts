import type { Prisma } from '../../src/generated/prisma/client.ts';
import type { Context } from '../../src/contract.ts';
import { isUuid } from '../../src/db/ids.ts';

/** What working a store's tickets, tasks and appointments takes (a store-level permission). */
export const WORK = 'ticketing:work' as const;

/**
 * A node's rows by id, in the order asked: null where there is none or the caller may not work in
 * its store (ticketing:work), so another store's ticket, task or appointment is simply not found.
 * `select` is the statement up to its WHERE: `SELECT <columns> FROM "<table>"`.
 */
export async function loadVisible<R extends { id: string; storeId: string }>(
  ctx: Context,
  ids: readonly string[],
  select: Prisma.Sql,
): Promise<(R | null)[]> {
  const rows = await ctx.db.$queryRaw<R[]>`${select} WHERE id = ANY (${ids.filter(isUuid)}::uuid[])`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id);
    return row && ctx.auth.can(WORK, row.storeId) ? row : null;
  });
}
