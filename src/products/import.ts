import { uuidv7 } from '../db/ids.ts';
import { parseAmount, parseCode, parseYesNo, textLimit } from '../imports/cells.ts';
import { mapColumns, rowReader } from '../imports/columns.ts';
import type { ImportColumn, ImportKind } from '../imports/kind.ts';
import { problemsOf } from '../imports/refs.ts';
import { counted, MAX_LISTED_ERRORS, NOW_UTC } from '../imports/run.ts';
import { duplicateRows, unionChecks } from '../imports/sql.ts';

/**
 * Products import: the catalogue from the old system, one row per SKU. A SKU already here is
 * updated (a filled cell replaces the value, an empty one keeps it); a new SKU needs a name, a
 * category and a price. Re-sending the same file changes nothing.
 */

const h = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export const PRODUCT_COLUMNS: ImportColumn[] = [
  {
    field: 'sku',
    ...h('商品编码', 'SKU'),
    synonyms: ['sku', '货号', '商品货号', '编码', '商品编号', '款号', 'item code', 'product code'],
    required: true,
    text: true,
    hint: h('唯一编码，1–64 位字母、数字或 . _ - / #', 'Unique code, 1–64 letters, digits or . _ - / #'),
    examples: ['MF-0001', '00012'],
  },
  {
    field: 'barcode',
    ...h('条码', 'Barcode'),
    synonyms: ['条形码', '商品条码', '国际条码', 'ean', 'upc', 'bar code'],
    text: true,
    hint: h('商品条码（EAN-13 等），可不填，不能与其他商品重复', 'EAN-13 or similar; optional, unique'),
    examples: ['6901234567892', ''],
  },
  {
    field: 'name',
    ...h('商品名称', 'Name'),
    synonyms: ['名称', '品名', '商品名', 'product name', 'item name'],
    hint: h('新商品必填，最多 120 字', 'Required for a new product, up to 120 characters'),
    examples: ['有机纯牛奶 250ml', '婴儿纸尿裤 L 码'],
  },
  {
    field: 'category',
    ...h('分类', 'Category'),
    synonyms: ['品类', '类别', '商品分类', '商品类别', '大类'],
    hint: h('新商品必填；积分规则可按分类设置', 'Required for a new product; points rules may name it'),
    examples: ['乳制品', '母婴'],
  },
  {
    field: 'price',
    ...h('售价', 'Price'),
    synonyms: ['零售价', '销售价', '单价', '价格', '标价', 'retail price', 'unit price'],
    hint: h('零售价（元），精确到分；新商品必填', 'Retail price in yuan, to the fen; required for a new product'),
    examples: ['6.50', '89.00'],
  },
  {
    field: 'cost',
    ...h('成本价', 'Cost'),
    synonyms: ['进价', '成本', '采购价', '进货价', 'unit cost', 'cost price'],
    hint: h('进价（元），用于毛利分析，可不填', 'Unit cost in yuan, for margins; optional'),
    examples: ['4.20', ''],
  },
  {
    field: 'active',
    ...h('在售', 'Active'),
    synonyms: ['状态', '是否在售', '是否启用', '启用', 'status', 'enabled'],
    hint: h(
      '是 / 否（停售的商品不能再销售）；新商品默认在售',
      'Yes / no (inactive products cannot be sold); new ones default to yes',
    ),
    examples: ['是', '是'],
  },
];

interface ProductRow {
  row_no: number;
  new_id: string;
  sku: string;
  barcode?: string;
  name?: string;
  category?: string;
  price?: string;
  cost?: string;
  active?: boolean;
}

const STAGING = 'product_import_row';

export const productsImport: ImportKind<ProductRow, null> = {
  name: 'products',
  title: h('商品', 'Products'),
  permission: 'data:import',
  order: 20,
  columns: PRODUCT_COLUMNS,
  mapHeader: mapColumns(PRODUCT_COLUMNS),
  async begin(sql) {
    await sql.exec(`CREATE TEMP TABLE ${STAGING} (
      row_no int PRIMARY KEY, new_id uuid NOT NULL, sku text NOT NULL, barcode text, name text, category text,
      price numeric(12, 2), cost numeric(12, 2), active boolean,
      by_sku uuid, by_barcode uuid, changed boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP`);
    return null;
  },
  parseRow(row, cells, mapping) {
    const r = rowReader(row, cells, mapping, PRODUCT_COLUMNS);
    const value: ProductRow = {
      row_no: row,
      new_id: uuidv7(),
      sku: r.read('sku', parseCode, { required: true }) ?? '',
      barcode: r.read('barcode', parseCode),
      name: r.read('name', (raw) => textLimit(raw.replace(/\s+/g, ' '), 120)),
      category: r.read('category', (raw) => textLimit(raw, 60)),
      price: r.read('price', parseAmount),
      cost: r.read('cost', parseAmount),
      active: r.read('active', parseYesNo),
    };
    return { value, problems: r.problems };
  },
  async stage(sql, rows) {
    await sql.query(
      `INSERT INTO ${STAGING} (row_no, new_id, sku, barcode, name, category, price, cost, active, by_sku, by_barcode)
       SELECT u.row_no, u.new_id, u.sku, u.barcode, u.name, u.category, u.price, u.cost, u.active, p.id, b.id
       FROM json_to_recordset($1::json) AS u(row_no int, new_id uuid, sku text, barcode text, name text, category text,
         price numeric, cost numeric, active boolean)
       LEFT JOIN "Product" p ON p.sku = u.sku
       LEFT JOIN "Product" b ON b.barcode = u.barcode`,
      [JSON.stringify(rows)],
    );
  },
  async check(sql) {
    await sql.exec(`ANALYZE ${STAGING}`);
    return problemsOf(
      await sql.query(
        unionChecks(
          [
            duplicateRows(STAGING, ['sku'], 'sku'),
            duplicateRows(STAGING, ['barcode'], 'barcode'),
            `SELECT s.row_no, 'IMPORT_BARCODE_TAKEN', 'barcode', json_build_object('value', s.barcode, 'sku', o.sku)
               FROM ${STAGING} s JOIN "Product" o ON o.id = s.by_barcode
               WHERE s.by_sku IS DISTINCT FROM s.by_barcode
                 -- unless this file gives that product another barcode
                 AND NOT EXISTS (SELECT 1 FROM ${STAGING} t
                                 WHERE t.by_sku = o.id AND t.barcode IS NOT NULL AND t.barcode <> o.barcode)`,
            ...(['name', 'category', 'price'] as const).map(
              (col) => `SELECT row_no, 'IMPORT_REQUIRED_FOR_NEW', '${col}', json_build_object('entity', 'Product')
               FROM ${STAGING} WHERE by_sku IS NULL AND ${col} IS NULL`,
            ),
          ],
          MAX_LISTED_ERRORS + 1,
        ),
      ),
    );
  },
  async write(sql) {
    const changed = `(s.barcode IS NOT NULL AND s.barcode IS DISTINCT FROM p.barcode)
      OR (s.name IS NOT NULL AND s.name <> p.name) OR (s.category IS NOT NULL AND s.category <> p.category)
      OR (s.price IS NOT NULL AND s.price <> p.price) OR (s.cost IS NOT NULL AND s.cost IS DISTINCT FROM p.cost)
      OR (s.active IS NOT NULL AND s.active <> p.active)`;
    // Barcodes moving between products of this file: clear the old holders first, so the unique
    // index never sees two at once.
    await sql.exec(`UPDATE "Product" p SET barcode = NULL FROM ${STAGING} s
      WHERE p.id = s.by_sku AND s.barcode IS NOT NULL AND p.barcode IS DISTINCT FROM s.barcode AND p.barcode IS NOT NULL
        AND EXISTS (SELECT 1 FROM ${STAGING} t WHERE t.barcode = p.barcode)`);
    const updated = await counted(
      sql,
      `UPDATE "Product" p SET barcode = coalesce(s.barcode, p.barcode), name = coalesce(s.name, p.name),
         category = coalesce(s.category, p.category), price = coalesce(s.price, p.price),
         cost = coalesce(s.cost, p.cost), active = coalesce(s.active, p.active), "updatedAt" = ${NOW_UTC}
       FROM ${STAGING} s WHERE p.id = s.by_sku AND (${changed})`,
    );
    const created = await counted(
      sql,
      `INSERT INTO "Product" (id, sku, barcode, name, category, price, cost, active, "createdAt", "updatedAt")
       SELECT new_id, sku, barcode, name, category, price, cost, coalesce(active, true), ${NOW_UTC}, ${NOW_UTC}
       FROM ${STAGING} WHERE by_sku IS NULL ORDER BY row_no`,
    );
    const [{ n }] = (await sql.query(`SELECT count(*)::int AS n FROM ${STAGING}`)) as [{ n: number }];
    return { created, updated, unchanged: Number(n) - created - updated };
  },
};
