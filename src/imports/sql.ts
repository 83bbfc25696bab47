/**
 * SQL pieces the kinds' checks share. Each yields rows of (row_no, code, field, params) that
 * problemsOf (refs.ts) turns into problems.
 */

/** A row repeating an earlier row's `cols` (SKU; store and SKU…) is reported against that row, naming it. */
export function duplicateRows(table: string, cols: string[], field: string, value = cols.at(-1)!) {
  const key = cols.join(', ');
  return `SELECT s.row_no, 'IMPORT_DUPLICATE_VALUE' AS code, '${field}' AS field,
      json_build_object('value', s.${value}::text, 'other', d.first_row) AS params
    FROM ${table} s JOIN (
      SELECT ${key}, min(row_no) AS first_row FROM ${table}
      WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} GROUP BY ${key} HAVING count(*) > 1
    ) d ON ${cols.map((c) => `d.${c} = s.${c}`).join(' AND ')} AND s.row_no > d.first_row`;
}

/** Checks run as one statement, in row order, at most `limit` problems. */
export function unionChecks(checks: string[], limit: number) {
  return `SELECT * FROM (${checks.join('\nUNION ALL\n')}) AS problems(row_no, code, field, params) ORDER BY row_no
    LIMIT ${limit}`;
}
