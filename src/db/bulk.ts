import type { Db, Tx } from './tx.ts';

/**
 * Inserts many rows in one statement: the rows travel as one JSON parameter that PostgreSQL
 * expands (json_populate_recordset), instead of thousands of bound parameters that Prisma's
 * createMany would build and check one by one. Keys are the table's column names (a key missing
 * from a row is NULL there; a column no row names gets its default); values are what
 * JSON.stringify makes of them (Decimal and Date as strings).
 * For bulk loads (demo data) with table names written in code, never from input.
 */
export async function bulkInsert(db: Db | Tx, table: string, rows: object[]): Promise<void> {
  if (!rows.length) return;
  const keys = new Set<string>();
  for (const row of rows) for (const [key, value] of Object.entries(row)) if (value !== undefined) keys.add(key);
  const columns = [...keys].map((c) => `"${c}"`).join(', ');
  await db.$executeRawUnsafe(
    `INSERT INTO "${table}" (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::"${table}", $1::json)`,
    JSON.stringify(rows),
  );
}
