import type { Permission } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import type { SqlSession } from '../db/migrate.ts';
import { fail } from './kind.ts';

export interface StoreRef {
  id: string;
  code: string;
  name: string;
  timezone: string;
}

/** How a row names a store: by code or by name, whatever its case or width. */
export const storeKey = (raw: string) => raw.normalize('NFKC').trim().toLowerCase();

/** The chain's stores, oldest first, and each by code and by name (a code wins over a name). */
export async function loadStores(sql: SqlSession) {
  const stores = (await sql.query(
    `SELECT id, code, name, timezone FROM "Store" ORDER BY "createdAt", id`,
  )) as unknown as StoreRef[];
  const byKey = new Map<string, StoreRef>();
  for (const s of stores) byKey.set(storeKey(s.name), s);
  for (const s of stores) byKey.set(storeKey(s.code), s);
  return { stores, byKey };
}

/**
 * A row's store by code or name. A store the caller holds no `permission` in is refused row by
 * row: an owner of two stores cannot write into a third.
 */
export async function storeLookup(sql: SqlSession, principal: Principal, permission: Permission) {
  const { byKey } = await loadStores(sql);
  return (raw: string): StoreRef => {
    const store = byKey.get(storeKey(raw)) ?? fail('IMPORT_UNKNOWN_STORE', { value: raw });
    if (!principal.can(permission, store.id)) return fail('IMPORT_STORE_FORBIDDEN', { value: raw });
    return store;
  };
}

/** Problems from a kind's check query: rows of (row_no, code, field, params as JSON). */
export function problemsOf(rows: Record<string, unknown>[]) {
  return rows.map((r) => ({
    row: Number(r.row_no),
    field: (r.field as string | null) ?? null,
    code: r.code as never,
    params: (r.params as Record<string, string | number> | null) ?? {},
  }));
}
