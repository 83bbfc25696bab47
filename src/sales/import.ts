import { uuidv7 } from '../db/ids.ts';
import { parseAmount, parseCode, parseDateTime, parseInteger } from '../imports/cells.ts';
import { mapColumns, rowReader } from '../imports/columns.ts';
import { fail, type ImportColumn, type ImportKind } from '../imports/kind.ts';
import { problemsOf, storeLookup, type StoreRef } from '../imports/refs.ts';
import { counted, MAX_LISTED_ERRORS, NOW_UTC, utc, uuidv7Sql } from '../imports/run.ts';
import { duplicateRows, unionChecks } from '../imports/sql.ts';
import { normalizeLogin } from '../staff/login.ts';
import { normalizePhone } from '../customers/phone.ts';
import { businessDate } from '../stores/time.ts';
import type { CoreTender } from './tenders.ts';
import { withPhoneHashes } from '../imports/members.ts';
import { markDirtyText } from '../insights/summary.ts';

/**
 * Sales history: the old system's sales at line level, one row per line, the lines of a sale
 * sharing its store and receipt number. They are kept as history, for the customer's figures,
 * RFM, insights and tier qualification, exactly like sales recorded here, but they neither take
 * stock nor earn points again (they are written directly, not through the sale pipeline), and no
 * live event announces them.
 *
 * Resumable: each file is all-or-nothing, and a receipt the store already has is skipped, so a
 * year of sales is sent as months and a month that failed is fixed and sent again. The counts of
 * the report are sales, not lines: created were written, unchanged were already there.
 */

const h = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export const SALES_HISTORY_COLUMNS: ImportColumn[] = [
  {
    field: 'store',
    ...h('门店', 'Store'),
    synonyms: ['门店编码', '门店代码', '门店名称', '销售门店', 'store code'],
    required: true,
    text: true,
    hint: h('门店编码或名称', "A store's code or name"),
    examples: ['{store1}', '{store1}', '{store1}'],
  },
  {
    field: 'receipt',
    ...h('单号', 'Receipt number'),
    synonyms: ['小票号', '销售单号', '订单号', '流水号', '单据号', 'receipt', 'receipt no', 'order number', 'order id'],
    required: true,
    text: true,
    hint: h(
      '旧系统的销售单号；同一单的多行填相同单号，同一门店内唯一',
      "The old system's receipt number: the same on every line of a sale, unique per store",
    ),
    examples: ['20250101-0001', '20250101-0001', '20250101-0002'],
  },
  {
    field: 'occurredAt',
    ...h('销售时间', 'Sold at'),
    synonyms: ['时间', '日期', '销售日期', '交易时间', '下单时间', 'date', 'time', 'sold at', 'occurred at'],
    required: true,
    hint: h('门店当地时间，如 2025-01-01 10:30', 'Store time, e.g. 2025-01-01 10:30'),
    examples: ['2025-01-01 10:30', '2025-01-01 10:30', '2025-01-01 11:05'],
  },
  {
    field: 'sku',
    ...h('商品编码', 'SKU'),
    synonyms: ['sku', '货号', '商品货号', '编码', 'item code'],
    required: true,
    text: true,
    hint: h('已导入商品的编码', 'The SKU of a product imported before'),
    examples: ['MF-0001', '00012', 'MF-0001'],
  },
  {
    field: 'quantity',
    ...h('数量', 'Quantity'),
    synonyms: ['销售数量', '件数', 'qty'],
    required: true,
    hint: h('大于 0 的整数', 'A whole number above 0'),
    examples: ['2', '1', '6'],
  },
  {
    field: 'unitPrice',
    ...h('单价', 'Unit price'),
    synonyms: ['售价', '销售单价', '零售价', 'price'],
    required: true,
    hint: h('成交单价（元），精确到分', 'Unit price charged, in yuan to the fen'),
    examples: ['6.50', '89.00', '6.00'],
  },
  {
    field: 'discount',
    ...h('优惠金额', 'Discount'),
    synonyms: ['折扣', '折扣金额', '优惠', '减免', '让利'],
    hint: h('该行的优惠合计（元），可不填', "The line's discount in yuan; optional"),
    examples: ['0', '8.90', ''],
  },
  {
    field: 'memberCode',
    ...h('会员号', 'Member code'),
    synonyms: ['会员卡号', '卡号', '会员编号', 'card number'],
    text: true,
    hint: h('已导入会员的卡号；非会员留空', 'The card of a member imported before; empty for a walk-in'),
    examples: ['VIP000123', 'VIP000123', ''],
  },
  {
    field: 'phone',
    ...h('会员手机号', 'Customer phone'),
    synonyms: ['手机号', '手机', '顾客手机号', 'phone', 'mobile'],
    text: true,
    hint: h('没有卡号时用手机号找到顾客', 'Names the customer when there is no member code'),
    examples: ['', '', '13687654321'],
  },
  {
    field: 'staff',
    ...h('导购账号', 'Staff login'),
    synonyms: ['导购', '收银员', '营业员', '员工账号', 'staff', 'cashier'],
    text: true,
    hint: h('已导入员工的登录账号，可不填', 'The login of a staff member imported before; optional'),
    examples: ['13800000004', '13800000004', ''],
  },
  {
    field: 'paymentMethod',
    ...h('支付方式', 'Payment method'),
    synonyms: ['付款方式', '结算方式', 'payment', 'tender'],
    hint: h('现金、银行卡、微信、支付宝或其他；默认其他', 'Cash, card, WeChat Pay, Alipay or other; default other'),
    examples: ['微信', '微信', '现金'],
  },
];

const METHODS: Record<string, CoreTender> = {
  现金: 'CASH',
  cash: 'CASH',
  银行卡: 'CARD',
  刷卡: 'CARD',
  信用卡: 'CARD',
  借记卡: 'CARD',
  card: 'CARD',
  微信: 'WECHAT_PAY',
  微信支付: 'WECHAT_PAY',
  wechat: 'WECHAT_PAY',
  wechatpay: 'WECHAT_PAY',
  wechat_pay: 'WECHAT_PAY',
  支付宝: 'ALIPAY',
  alipay: 'ALIPAY',
  其他: 'OTHER',
  其它: 'OTHER',
  储值卡: 'OTHER',
  other: 'OTHER',
};

interface SaleLineRow {
  row_no: number;
  line_id: string;
  store_id: string;
  receipt: string;
  occurred_at?: Date;
  business_date?: string;
  sku: string;
  quantity: number;
  unit_price: string;
  discount: string;
  member_code?: string;
  phone?: string;
  staff_login?: string;
  method?: CoreTender;
}

interface SalesCtx {
  store: (raw: string) => StoreRef;
  now: Date;
  importId: string;
}

const STAGING = 'sale_import_line';
const SALES = 'sale_import_sale';
const MAX_LINES = 500;

export const salesHistoryImport: ImportKind<SaleLineRow, SalesCtx> = {
  name: 'sales-history',
  title: h('销售明细（历史）', 'Sales history'),
  permission: 'data:import',
  order: 70,
  resumable: true,
  columns: SALES_HISTORY_COLUMNS,
  mapHeader: mapColumns(SALES_HISTORY_COLUMNS),
  async begin(sql, { principal, now, importId }) {
    await sql.exec(`CREATE TEMP TABLE ${STAGING} (
      row_no int PRIMARY KEY, line_id uuid NOT NULL, store_id uuid NOT NULL, receipt text NOT NULL,
      occurred_at timestamp(3), business_date date, sku text NOT NULL, product_id uuid, name text,
      unit_cost numeric(12, 2),
      quantity int NOT NULL, unit_price numeric(12, 2) NOT NULL, discount numeric(12, 2) NOT NULL,
      member_code text, phone text, staff_login text, method text,
      by_code uuid, member_id uuid, by_phone uuid, staff_id uuid, existing uuid
    ) ON COMMIT DROP`);
    return { store: await storeLookup(sql, principal, 'data:import'), now, importId };
  },
  parseRow(row, cells, mapping, ctx) {
    const r = rowReader(row, cells, mapping, SALES_HISTORY_COLUMNS);
    const store = r.read('store', ctx.store, { required: true });
    // Said once per sale: the lines after its first may leave it empty.
    const occurredAt = store ? r.read('occurredAt', (raw) => parseDateTime(raw, store.timezone, ctx.now)) : undefined;
    const quantity = r.read(
      'quantity',
      (raw) => {
        const n = parseInteger(raw, 100_000);
        return n <= 0 ? fail('IMPORT_INVALID_QUANTITY', { value: raw }) : n;
      },
      { required: true },
    );
    const unitPrice = r.read('unitPrice', parseAmount, { required: true });
    const discount = r.read('discount', parseAmount) ?? '0.00';
    if (quantity !== undefined && unitPrice !== undefined && Number(discount) > quantity * Number(unitPrice) + 1e-9)
      r.report('discount', { code: 'IMPORT_DISCOUNT_TOO_LARGE', params: { value: discount } });
    const value: SaleLineRow = {
      row_no: row,
      line_id: uuidv7(occurredAt?.getTime()),
      store_id: store?.id ?? '',
      receipt: r.read('receipt', parseCode, { required: true }) ?? '',
      occurred_at: occurredAt,
      business_date:
        store && occurredAt ? businessDate(occurredAt, store.timezone).toISOString().slice(0, 10) : undefined,
      sku: r.read('sku', parseCode, { required: true }) ?? '',
      quantity: quantity ?? 0,
      unit_price: unitPrice ?? '0.00',
      discount,
      member_code: r.read('memberCode', (raw) => raw.normalize('NFKC')),
      phone: r.read('phone', (raw) => normalizePhone(raw.normalize('NFKC')) ?? fail('INVALID_PHONE', { phone: raw })),
      staff_login: r.read('staff', (raw) => normalizeLogin(raw) || fail('IMPORT_UNKNOWN_STAFF', { value: raw })),
      method: r.read('paymentMethod', (raw) => {
        const key = raw.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, '');
        return METHODS[key] ?? (fail('IMPORT_INVALID_PAYMENT_METHOD', { value: raw }) as never);
      }),
    };
    return { value, problems: r.problems };
  },
  async stage(sql, rows) {
    await sql.query(
      `INSERT INTO ${STAGING} (row_no, line_id, store_id, receipt, occurred_at, business_date, sku, product_id, name,
                               unit_cost,
         quantity, unit_price, discount, member_code, phone, staff_login, method, by_code, member_id, by_phone,
         staff_id, existing)
       SELECT u.row_no, u.line_id, u.store_id, u.receipt, ${utc('u.occurred_at')}, u.business_date, u.sku, p.id, p.name,
         p.cost, u.quantity, u.unit_price, u.discount, u.member_code, u.phone, u.staff_login, u.method,
         coalesce(mc."mergedIntoId", m."customerId"), coalesce(m.id, pm.id), coalesce(cp."mergedIntoId", cp.id), st.id,
         sa.id
       FROM json_to_recordset($1::json) AS u(row_no int, line_id uuid, store_id uuid, receipt text,
                                             occurred_at timestamptz,
         business_date date, sku text, quantity int, unit_price numeric, discount numeric, member_code text, phone text,
         phone_hashes text[], staff_login text, method text)
       LEFT JOIN "Product" p ON p.sku = u.sku
       LEFT JOIN "Member" m ON m.code = u.member_code
       LEFT JOIN "Customer" mc ON mc.id = m."customerId"
       LEFT JOIN "Customer" cp ON cp."phoneHash" = ANY (u.phone_hashes)
       LEFT JOIN "Member" pm ON pm."customerId" = coalesce(cp."mergedIntoId", cp.id)
       LEFT JOIN "Staff" st ON st.login = u.staff_login
       LEFT JOIN "Sale" sa ON sa."storeId" = u.store_id AND sa."externalId" = u.receipt`,
      [JSON.stringify(rows.map(withPhoneHashes))],
    );
  },
  async check(sql) {
    await sql.exec(`ANALYZE ${STAGING}`);
    // What a sale is (when, who bought, who sold, how paid) is said by its lines: a line may leave it
    // empty, but two lines saying different things is an error against the later one.
    const SALE_FIELDS: [string, string][] = [
      ['occurred_at', 'occurredAt'],
      ['member_code', 'memberCode'],
      ['phone', 'phone'],
      ['staff_login', 'staff'],
      ['method', 'paymentMethod'],
    ];
    const disagree = ([col, field]: [string, string]) =>
      `SELECT s.row_no, 'IMPORT_SALE_LINES_DISAGREE', '${field}',
         json_build_object('receipt', s.receipt, 'other', f.${col}_row)
       FROM ${STAGING} s JOIN firsts f USING (store_id, receipt)
       WHERE s.${col} IS NOT NULL AND s.row_no > f.${col}_row AND s.${col} IS DISTINCT FROM f.${col}`;
    const firsts = SALE_FIELDS.map(
      ([col]) => `(array_agg(${col} ORDER BY row_no) FILTER (WHERE ${col} IS NOT NULL))[1] AS ${col},
        min(row_no) FILTER (WHERE ${col} IS NOT NULL) AS ${col}_row`,
    ).join(',\n');
    return problemsOf(
      await sql.query(`WITH firsts AS MATERIALIZED (
          SELECT store_id, receipt, ${firsts} FROM ${STAGING} GROUP BY store_id, receipt
        ), sizes AS (
          SELECT store_id, receipt, count(*) AS lines, min(row_no) AS first_row FROM ${STAGING} GROUP BY 1, 2
          HAVING count(*) > ${MAX_LINES}
        )
        ${unionChecks(
          [
            `SELECT row_no, 'IMPORT_UNKNOWN_SKU', 'sku', json_build_object('value', sku) FROM ${STAGING}
             WHERE product_id IS NULL`,
            `SELECT row_no, 'IMPORT_UNKNOWN_MEMBER', 'memberCode', json_build_object('value', member_code)
               FROM ${STAGING} WHERE member_code IS NOT NULL AND by_code IS NULL`,
            `SELECT row_no, 'IMPORT_UNKNOWN_CUSTOMER', 'phone', json_build_object('value', phone)
               FROM ${STAGING} WHERE phone IS NOT NULL AND by_phone IS NULL`,
            `SELECT row_no, 'IMPORT_MEMBER_PHONE_DIFFER', 'phone',
               json_build_object('code', member_code, 'phone', phone)
               FROM ${STAGING} WHERE by_code IS NOT NULL AND by_phone IS NOT NULL AND by_code <> by_phone`,
            `SELECT row_no, 'IMPORT_UNKNOWN_STAFF', 'staff', json_build_object('value', staff_login)
               FROM ${STAGING} WHERE staff_login IS NOT NULL AND staff_id IS NULL`,
            `SELECT f.occurred_at_row_or_first, 'IMPORT_REQUIRED', 'occurredAt', '{}'::json FROM (
               SELECT min(row_no) AS occurred_at_row_or_first FROM ${STAGING} GROUP BY store_id, receipt
               HAVING count(occurred_at) = 0) f`,
            // A receipt imported before is skipped only when the file says the same of it: the lines
            // of a sale split over two files would otherwise be half lost.
            `SELECT min(s.row_no), 'IMPORT_SALE_ALREADY_DIFFERENT', 'receipt', json_build_object('receipt', s.receipt)
               FROM ${STAGING} s JOIN "Sale" sa ON sa.id = s.existing
               GROUP BY s.store_id, s.receipt, sa.id, sa.total
               HAVING count(*) <> (SELECT count(*) FROM "SaleLine" x WHERE x."saleId" = sa.id)
                 OR sum(s.quantity * s.unit_price - s.discount) <> sa.total`,
            `SELECT first_row, 'IMPORT_SALE_TOO_MANY_LINES', 'receipt',
               json_build_object('receipt', receipt, 'max', ${MAX_LINES})
               FROM sizes`,
            duplicateRows(
              STAGING,
              ['store_id', 'receipt', 'sku', 'unit_price', 'discount', 'quantity'],
              'sku',
              'sku',
            ).replace("'IMPORT_DUPLICATE_VALUE'", "'IMPORT_DUPLICATE_LINE'"),
            ...SALE_FIELDS.map(disagree),
          ],
          MAX_LISTED_ERRORS + 1,
        )}`),
    );
  },
  async write(sql, ctx) {
    // One row per new sale: receipts the store already has are history imported before (a batch sent again).
    await sql.exec(`CREATE TEMP TABLE ${SALES} ON COMMIT DROP AS
      SELECT ${uuidv7Sql('min(occurred_at)')} AS id, store_id, receipt, min(occurred_at) AS occurred_at,
        min(business_date) AS business_date,
        (array_agg(coalesce(by_code, by_phone) ORDER BY row_no) FILTER
         (WHERE coalesce(by_code, by_phone) IS NOT NULL))[1] AS customer_id,
        (array_agg(member_id ORDER BY row_no) FILTER (WHERE member_id IS NOT NULL))[1] AS member_id,
        (array_agg(staff_id ORDER BY row_no) FILTER (WHERE staff_id IS NOT NULL))[1] AS staff_id,
        coalesce((array_agg(method ORDER BY row_no) FILTER (WHERE method IS NOT NULL))[1], 'OTHER') AS method,
        sum(quantity * unit_price) AS subtotal, sum(discount) AS discount_total,
        sum(quantity * unit_price - discount) AS total
      FROM ${STAGING} WHERE existing IS NULL GROUP BY store_id, receipt`);
    const created = await counted(
      sql,
      `INSERT INTO "Sale" (id, "storeId", "externalId", "staffId", "customerId", "memberId", "occurredAt",
         "businessDate", currency, subtotal, "discountTotal", total, status, "importId", "createdAt")
       SELECT n.id, n.store_id, n.receipt, n.staff_id, n.customer_id, n.member_id, n.occurred_at, n.business_date,
         st.currency, n.subtotal, n.discount_total, n.total, 'COMPLETED', $1::uuid, ${NOW_UTC}
       FROM ${SALES} n JOIN "Store" st ON st.id = n.store_id ORDER BY n.occurred_at`,
      [ctx.importId],
    );
    await sql.exec(`INSERT INTO "SaleLine" (id, "saleId", "lineNo", "productId", sku, name, quantity, "unitPrice",
      discount, total, "unitCost")
      SELECT l.line_id, n.id, row_number() OVER (PARTITION BY l.store_id, l.receipt ORDER BY l.row_no), l.product_id,
        l.sku, l.name, l.quantity, l.unit_price, l.discount, l.quantity * l.unit_price - l.discount, l.unit_cost
      FROM ${STAGING} l JOIN ${SALES} n USING (store_id, receipt)`);
    // A line's discount is its adjustments' sum on every sale; the old system's discounts are "import".
    await sql.exec(`INSERT INTO "SaleAdjustment" (id, "saleId", position, source, "labelZh", "labelEn", scope, amount,
      "lineNos", shares)
      SELECT ${uuidv7Sql('n.occurred_at')}, n.id, row_number() OVER (PARTITION BY n.id ORDER BY l."lineNo"), 'import',
        '原系统折扣', 'Discount in the previous system', 'LINE', l.discount, ARRAY[l."lineNo"], ARRAY[l.discount]
      FROM ${SALES} n JOIN "SaleLine" l ON l."saleId" = n.id WHERE l.discount > 0`);
    await sql.exec(`INSERT INTO "Payment" (id, "saleId", method, amount)
      SELECT ${uuidv7Sql('occurred_at')}, id, method, total FROM ${SALES}`);
    // Every day the history brought sales to is recomputed by the daily summary's next run.
    await sql.exec(markDirtyText(`SELECT DISTINCT store_id, business_date FROM ${SALES}`));
    // The customers' purchase figures, as a sale recorded here moves them.
    await sql.exec(`UPDATE "Customer" c SET
        "visitCount" = c."visitCount" + f.visits,
        "lifetimeSpend" = c."lifetimeSpend" + f.spend,
        "firstPurchaseAt" = LEAST(coalesce(c."firstPurchaseAt", f.first_at), f.first_at),
        "lastPurchaseAt" = GREATEST(coalesce(c."lastPurchaseAt", f.last_at), f.last_at),
        "updatedAt" = ${NOW_UTC}
      FROM (SELECT customer_id, count(*)::int AS visits, sum(total) AS spend, min(occurred_at) AS first_at,
            max(occurred_at) AS last_at
            FROM ${SALES} WHERE customer_id IS NOT NULL GROUP BY customer_id) f
      WHERE c.id = f.customer_id`);
    const [{ n }] = (await sql.query(`SELECT count(DISTINCT (store_id, receipt))::int AS n FROM ${STAGING}`)) as [
      { n: number },
    ];
    return { created, updated: 0, unchanged: Number(n) - created };
  },
  async afterCommit(services, report) {
    if (report.created >= 1000) await services.sql.exec('ANALYZE "Sale"; ANALYZE "SaleLine"');
  },
};
