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

/**
 * The chain's stores by code and by name, for rows that name a store. A store the caller holds
 * no `permission` in is refused row by row: an owner of two stores cannot write into a third.
 */
export async function storeLookup(sql: SqlSession, principal: Principal, permission: Permission) {
  const stores = (await sql.query(
    `SELECT id, code, name, timezone FROM "Store" ORDER BY "createdAt", id`,
  )) as unknown as StoreRef[];
  const byKey = new Map<string, StoreRef>();
  for (const s of stores) byKey.set(s.name.normalize('NFKC').toLowerCase(), s);
  for (const s of stores) byKey.set(s.code.normalize('NFKC').toLowerCase(), s); // a code wins over a name
  return (raw: string): StoreRef => {
    const store = byKey.get(raw.normalize('NFKC').trim().toLowerCase()) ?? fail('IMPORT_UNKNOWN_STORE', { value: raw });
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
