import { uuidv7 } from '../db/ids.ts';
import { parseCode, parseDateTime, parseInteger } from '../imports/cells.ts';
import { mapColumns, rowReader } from '../imports/columns.ts';
import { fail, type ImportColumn, type ImportKind } from '../imports/kind.ts';
import { problemsOf, storeLookup, type StoreRef } from '../imports/refs.ts';
import { MAX_LISTED_ERRORS, NOW_UTC, utc } from '../imports/run.ts';
import { duplicateRows, unionChecks } from '../imports/sql.ts';

/**
 * Opening stock: what each store holds of each SKU when it moves to this system, as one movement
 * per store and SKU of type OPENING_BALANCE (reason 期初库存). Sending a corrected file moves
 * each level by the difference from the opening balance already recorded, so sales recorded
 * meanwhile stay counted and re-sending the same file changes nothing.
 */

const h = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export const OPENING_STOCK_COLUMNS: ImportColumn[] = [
  {
    field: 'store',
    ...h('门店', 'Store'),
    synonyms: ['门店编码', '门店代码', '门店名称', '仓库', 'store code'],
    required: true,
    text: true,
    hint: h('门店编码或名称', "A store's code or name"),
    examples: ['{store1}', '{store1}'],
  },
  {
    field: 'sku',
    ...h('商品编码', 'SKU'),
    synonyms: ['sku', '货号', '商品货号', '编码', 'item code'],
    required: true,
    text: true,
    hint: h('已导入商品的编码', 'The SKU of a product imported before'),
    examples: ['MF-0001', '00012'],
  },
  {
    field: 'quantity',
    ...h('期初数量', 'Opening quantity'),
    synonyms: ['数量', '库存', '库存数量', '现有库存', '在库数量', 'quantity', 'on hand', 'stock'],
    required: true,
    hint: h('迁移当天的在库数量，不小于 0 的整数', 'On hand on the day of the move, a whole number of 0 or more'),
    examples: ['120', '36'],
  },
  {
    field: 'reorderPoint',
    ...h('安全库存', 'Reorder point'),
    synonyms: ['补货点', '最低库存', '库存下限', 'safety stock', 'min stock'],
    hint: h('低于此数量时发出补货提醒，可不填', 'A low-stock alert below this; optional'),
    examples: ['20', ''],
  },
  {
    field: 'asOf',
    ...h('期初日期', 'As of'),
    synonyms: ['盘点日期', '日期', '库存日期', 'date', 'as of date'],
    hint: h('数量对应的时间（门店当地时间），默认导入时', 'When the quantity was counted (store time); default: now'),
    examples: ['2026-11-30 22:00', ''],
  },
];

interface StockRow {
  row_no: number;
  movement_id: string;
  store_id: string;
  sku: string;
  quantity: number;
  reorder_point?: number;
  as_of?: Date;
}

interface StockCtx {
  store: (raw: string) => StoreRef;
  now: Date;
  staffId: string | null;
}

const STAGING = 'stock_import_row';

export const openingStockImport: ImportKind<StockRow, StockCtx> = {
  name: 'opening-stock',
  title: h('期初库存', 'Opening stock'),
  permission: 'data:import',
  order: 40,
  columns: OPENING_STOCK_COLUMNS,
  mapHeader: mapColumns(OPENING_STOCK_COLUMNS),
  async begin(sql, { principal, now }) {
    await sql.exec(`CREATE TEMP TABLE ${STAGING} (
      row_no int PRIMARY KEY, movement_id uuid NOT NULL, store_id uuid NOT NULL, sku text NOT NULL, product_id uuid,
      quantity int NOT NULL, reorder_point int, as_of timestamp(3), opening int,
      delta int GENERATED ALWAYS AS (quantity - coalesce(opening, 0)) STORED,
      reorder_changed boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP`);
    return { store: await storeLookup(sql, principal, 'data:import'), now, staffId: principal.staffId };
  },
  parseRow(row, cells, mapping, ctx) {
    const r = rowReader(row, cells, mapping, OPENING_STOCK_COLUMNS);
    const store = r.read('store', ctx.store, { required: true });
    const value: StockRow = {
      row_no: row,
      movement_id: uuidv7(),
      store_id: store?.id ?? '',
      sku: r.read('sku', parseCode, { required: true }) ?? '',
      quantity:
        r.read(
          'quantity',
          (raw) => {
            const n = parseInteger(raw, 100_000_000);
            return n < 0 ? fail('IMPORT_INVALID_COUNT', { value: raw }) : n;
          },
          { required: true },
        ) ?? 0,
      reorder_point: r.read('reorderPoint', (raw) => {
        const n = parseInteger(raw, 100_000_000);
        return n < 0 ? fail('IMPORT_INVALID_COUNT', { value: raw }) : n;
      }),
      as_of: store ? r.read('asOf', (raw) => parseDateTime(raw, store.timezone, ctx.now)) : undefined,
    };
    return { value, problems: r.problems };
  },
  async stage(sql, rows) {
    await sql.query(
      `INSERT INTO ${STAGING} (row_no, movement_id, store_id, sku, product_id, quantity, reorder_point, as_of, opening)
       SELECT u.row_no, u.movement_id, u.store_id, u.sku, p.id, u.quantity, u.reorder_point, ${utc('u.as_of')},
         (SELECT sum(m.quantity)::int FROM "StockMovement" m
           WHERE m."storeId" = u.store_id AND m."productId" = p.id AND m.type = 'OPENING_BALANCE')
       FROM json_to_recordset($1::json) AS u(row_no int, movement_id uuid, store_id uuid, sku text, quantity int,
         reorder_point int, as_of timestamptz)
       LEFT JOIN "Product" p ON p.sku = u.sku`,
      [JSON.stringify(rows)],
    );
  },
  async check(sql) {
    await sql.exec(`ANALYZE ${STAGING}`);
    return problemsOf(
      await sql.query(
        unionChecks(
          [
            duplicateRows(STAGING, ['store_id', 'sku'], 'sku'),
            `SELECT row_no, 'IMPORT_UNKNOWN_SKU', 'sku', json_build_object('value', sku) FROM ${STAGING}
             WHERE product_id IS NULL`,
          ],
          MAX_LISTED_ERRORS + 1,
        ),
      ),
    );
  },
  async write(sql, ctx) {
    await sql.exec(`UPDATE ${STAGING} s SET reorder_changed = true WHERE reorder_point IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM "StockLevel" l WHERE l."storeId" = s.store_id AND l."productId" = s.product_id
        AND l."reorderPoint" = s.reorder_point)`);
    await sql.exec(
      `INSERT INTO "StockLevel" ("storeId", "productId", "onHand", "reorderPoint", "updatedAt")
       SELECT store_id, product_id, 0, reorder_point, ${NOW_UTC} FROM ${STAGING} WHERE reorder_changed
       ORDER BY store_id, product_id
       ON CONFLICT ("storeId", "productId") DO UPDATE SET "reorderPoint" = EXCLUDED."reorderPoint",
         "updatedAt" = EXCLUDED."updatedAt"`,
    );
    // Levels in (store, product) order, as sales lock them, so a sale meanwhile waits rather than deadlocks.
    await sql.query(
      `WITH levels AS (
         INSERT INTO "StockLevel" ("storeId", "productId", "onHand", "reorderPoint", "updatedAt")
         SELECT store_id, product_id, delta, 0, ${NOW_UTC} FROM ${STAGING} WHERE delta <> 0
         ORDER BY store_id, product_id
         ON CONFLICT ("storeId", "productId") DO UPDATE
         SET "onHand" = "StockLevel"."onHand" + EXCLUDED."onHand", "updatedAt" = EXCLUDED."updatedAt"
         RETURNING "storeId", "productId", "onHand"
       )
       INSERT INTO "StockMovement" (id, "storeId", "productId", type, quantity, "balanceAfter", reason, "staffId",
                                    "occurredAt")
       SELECT s.movement_id, s.store_id, s.product_id, 'OPENING_BALANCE', s.delta, l."onHand", '期初库存', $1::uuid,
         coalesce(s.as_of, ${NOW_UTC})
       FROM ${STAGING} s JOIN levels l ON l."storeId" = s.store_id AND l."productId" = s.product_id`,
      [ctx.staffId],
    );
    const [c] = (await sql.query(
      `SELECT count(*)::int AS total,
         count(*) FILTER (WHERE opening IS NULL AND delta <> 0)::int AS created,
         count(*) FILTER (WHERE NOT (opening IS NULL AND delta <> 0) AND (delta <> 0 OR reorder_changed))::int AS
         updated
       FROM ${STAGING}`,
    )) as [{ total: number; created: number; updated: number }];
    return { created: c.created, updated: c.updated, unchanged: c.total - c.created - c.updated };
  },
};
