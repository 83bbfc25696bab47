import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { hashPassword } from '../../src/auth/passwords.ts';
import { hashApiKey } from '../../src/auth/tokens.ts';
import { openDatabase } from '../../src/db/client.ts';
import { allMigrations, migrateDatabase } from '../../src/db/setup.ts';
import { migrate as migrateSql } from '../../src/db/migrate.ts';
import { installKeyring } from '../../src/crypto/keyring.ts';
import { benchKeyring } from './fixtures.ts';
import {
  CUSTOMER_TAGS,
  DEMO_PRODUCTS,
  DEMO_STORES,
  GIVEN_FEMALE,
  GIVEN_MALE,
  SURNAMES,
} from '../../src/demo/catalog.ts';
import { loadInstalledPlugins } from '../../src/plugin-host/config.ts';
import type { Size } from './options.ts';

/** The benchmark's own sign-ins. A benchmark database is thrown away, so these are fixed. */
export const BENCH_OWNER = { login: '13900000000', password: 'bench-owner-1', name: '压测店主' };
export const BENCH_POS_KEY = 'sk_bench_pos_all_stores';

/** Mobile prefixes of the generated customers; the CSV import uses others, so its phones are new. */
export const CUSTOMER_PHONE_PREFIXES = [
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '157',
  '158',
  '159',
  '177',
  '186',
  '187',
  '188',
  '189',
  '199',
];

/** Sales lie in the last SALES_DAYS days (up to yesterday), so no points lot is due to expire yet. */
const SALES_DAYS = 360;

export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createDatabase(serverUrl: string): Promise<string> {
  const name = `storecrm_bench_${randomBytes(5).toString('hex')}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  return name;
}

export async function dropDatabase(serverUrl: string, name: string) {
  if (!/^storecrm_bench_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a benchmark database`);
  await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

// The generator encrypts customers with the benchmark's data key (fixtures.ts).
installKeyring(benchKeyring());

/**
 * Customers are generated in plaintext, set-based, before this migration; applying it (and the
 * rest) at the end encrypts them with the project's own data step, as an upgrade of a real
 * database does.
 */
const ENCRYPTION_MIGRATION = '20261201230000_customer_encryption';

async function installedMigrations() {
  const plugins = await loadInstalledPlugins();
  return allMigrations(plugins.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])));
}

/**
 * Core's and the installed plugins' migrations before the customer encryption, applied by the
 * project's own migrator, as the API does at start; generateDataset applies the rest.
 */
export async function migrate(url: string) {
  const database = await openDatabase({ url, poolSize: 2 });
  try {
    await migrateSql(
      database.sql,
      (await installedMigrations()).filter((m) => m.name < ENCRYPTION_MIGRATION),
    );
  } finally {
    await database.close();
  }
}

/** The migrations migrate() left out, with their data steps: the customers' personal fields encrypted. */
async function migrateRest(url: string) {
  const database = await openDatabase({ url, poolSize: 2 });
  try {
    await migrateDatabase(
      database,
      (await loadInstalledPlugins()).flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
    );
  } finally {
    await database.close();
  }
}

/** A UUID version 7 from a UTC timestamp, like src/db/ids.ts: rows sort by time as the API's own do. */
const UUID7 = `
CREATE FUNCTION pg_temp.uuid7(ts timestamp) RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    PLACING substring(int8send(floor(extract(epoch FROM ts) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1),
      'hex')::uuid
$$`;

// Sales per hour of the day (store time): lunch and after work are busy, nights are closed.
const HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 0, 1, 3, 4, 5, 7, 8, 6, 4, 4, 5, 7, 9, 8, 6, 4, 2, 1];
const HOUR_POOL = HOUR_WEIGHTS.flatMap((w, h) => Array<number>(w).fill(h));
const CHANNELS = ['STORE', 'STORE', 'STORE', 'WECHAT', 'MINI_PROGRAM', 'MINI_PROGRAM', 'ECOMMERCE', 'WEB'];
const METHODS = [
  'WECHAT_PAY',
  'WECHAT_PAY',
  'WECHAT_PAY',
  'WECHAT_PAY',
  'WECHAT_PAY',
  'ALIPAY',
  'ALIPAY',
  'ALIPAY',
  'CARD',
  'CASH',
];

export interface GenerationReport {
  seconds: number;
  steps: { step: string; seconds: number }[];
  counts: Record<string, number>;
}

/**
 * Fills a freshly migrated database with the benchmark's chain, set-based: every table is one
 * INSERT … SELECT over generate_series, through temporary tables that hold the random draws
 * (customers, sales, lines) so that the figures derived from them (totals, stock balances,
 * customer figures, points, tiers) agree exactly. Secondary indexes are dropped during the
 * load and rebuilt afterwards, and foreign-key triggers are off for this session only
 * (session_replication_role = replica, as pg_restore does): the rows are consistent by
 * construction, and checks at the end prove the parts that matter.
 */
export async function generateDataset(
  url: string,
  size: Size,
  now = new Date(),
  log: (line: string) => void = () => {},
): Promise<GenerationReport> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const started = performance.now();
  const steps: GenerationReport['steps'] = [];
  // A step is one or more statements; only a statement of its own may take parameters.
  type Statement = string | [sql: string, params: unknown[]];
  const step = async (name: string, ...statements: Statement[]) => {
    const t = performance.now();
    for (const st of statements) await (typeof st === 'string' ? c.query(st) : c.query(st[0], st[1]));
    const seconds = (performance.now() - t) / 1000;
    steps.push({ step: name, seconds });
    log(`  ${name.padEnd(34)} ${seconds.toFixed(1).padStart(6)} s`);
  };
  // Times are UTC wall-clock values, as Prisma stores them in TIMESTAMP(3) columns.
  const nowUtc = now.toISOString().replace('T', ' ').replace('Z', '');
  try {
    await c.query(`SET session_replication_role = replica; SET synchronous_commit = off;
      SET maintenance_work_mem = '512MB'; SET work_mem = '256MB'; SELECT setseed(0.20261122)`);
    await c.query(UUID7);
    await c.query(
      `CREATE TEMP TABLE params AS SELECT $1::timestamp AS now, $2::int AS skus, $3::int AS customers, $4::int AS sales,
       $5::int AS days`,
      [nowUtc, size.skus, size.customers, size.sales, SALES_DAYS],
    );

    const indexes = await c.query<{ name: string; def: string }>(`
      SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`);
    await step('drop secondary indexes', indexes.rows.map((r) => `DROP INDEX ${r.name};`).join('\n'));

    // ---- stores, staff, the POS key -------------------------------------------------------
    const storeRows = DEMO_STORES.slice(0, size.stores);
    await step(
      'stores',
      [
        `CREATE TEMP TABLE t_store AS
       SELECT s.idx::int, pg_temp.uuid7(p.now - interval '3 years') AS id, s.code, s.name, s.address, s.timezone,
              pg_temp.uuid7(p.now - interval '3 years') AS cashier_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       WITH ORDINALITY AS s(code, name, address, timezone, idx), params p`,
        [
          storeRows.map((s) => s.code),
          storeRows.map((s) => s.name),
          storeRows.map((s) => s.address),
          storeRows.map((s) => s.timezone),
        ],
      ],
      `INSERT INTO "Store" (id, code, name, address, timezone, "createdAt", "updatedAt")
       SELECT id, code, name, address, timezone, (SELECT now FROM params) - interval '3 years', (SELECT now FROM params)
       FROM t_store`,
    );
    const ownerHash = await hashPassword(BENCH_OWNER.password);
    const cashierHash = await hashPassword(randomBytes(12).toString('base64url')); // nobody signs in as these
    await step('staff and POS key', [
      `WITH owner AS (
         INSERT INTO "Staff" (id, name, login, phone, "passwordHash", "updatedAt")
         VALUES (pg_temp.uuid7((SELECT now FROM params)), $1, $2, $2, $3, (SELECT now FROM params)) RETURNING id
       ), cashiers AS (
         INSERT INTO "Staff" (id, name, login, phone, "passwordHash", "updatedAt")
         SELECT cashier_id, '收银员' || idx, '1390000' || lpad(idx::text, 4, '0'), '1390000' || lpad(idx::text, 4, '0'),
           $4, (SELECT now FROM params)
         FROM t_store RETURNING id
       ), roles AS (
         INSERT INTO "StaffRole" ("staffId", "storeId", role)
         SELECT owner.id, s.id, 'OWNER'::"StaffRoleKind" FROM owner, t_store s
         UNION ALL SELECT s.cashier_id, s.id, 'CASHIER'::"StaffRoleKind" FROM t_store s
       )
       INSERT INTO "ApiKey" (id, name, prefix, "keyHash", role, "storeIds", "createdById")
       SELECT pg_temp.uuid7((SELECT now FROM params)), '压测收银机（全部门店）', $5, $6, 'CASHIER',
         (SELECT array_agg(id ORDER BY idx) FROM t_store), owner.id FROM owner`,
      [
        BENCH_OWNER.name,
        BENCH_OWNER.login,
        ownerHash,
        cashierHash,
        BENCH_POS_KEY.slice(0, 10),
        hashApiKey(BENCH_POS_KEY),
      ],
    ]);

    // ---- products and their templates -----------------------------------------------------
    await step(
      'products',
      [
        `CREATE TEMP TABLE t_product AS
       SELECT g - 1 AS idx, pg_temp.uuid7(p.now - interval '2 years') AS id,
              split_part(t.sku, '-', 1) || '-' || lpad(g::text, 5, '0') AS sku,
              '69' || lpad((20000000000 + g * 7919)::text, 11, '0') AS barcode,
              t.name || ' #' || g AS name, t.category, v.price, round(v.price * t.cost / t.price, 2) AS cost
       FROM params p, generate_series(1, p.skus) g
       JOIN unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::numeric[])
         WITH ORDINALITY AS t(sku, name, category, price, cost, n)
         ON t.n = 1 + (g - 1) % $6
       CROSS JOIN LATERAL (SELECT greatest(round(t.price * (0.85 + random() * 0.3)::numeric, 1), 0.5) AS price) v`,
        [
          DEMO_PRODUCTS.map((p) => p[0]),
          DEMO_PRODUCTS.map((p) => p[1]),
          DEMO_PRODUCTS.map((p) => p[2]),
          DEMO_PRODUCTS.map((p) => p[3]),
          DEMO_PRODUCTS.map((p) => p[4]),
          DEMO_PRODUCTS.length,
        ],
      ],
      `INSERT INTO "Product" (id, sku, barcode, name, category, price, cost, "createdAt", "updatedAt")
       SELECT id, sku, barcode, name, category, price, cost, (SELECT now FROM params) - interval '2 years',
         (SELECT now FROM params) FROM t_product;
       CREATE UNIQUE INDEX ON t_product (idx)`,
    );

    // ---- customers, members, consents -----------------------------------------------------
    // Phones: prefix by idx, and 8 digits from idx × an odd multiplier not divisible by 5
    // modulo 10^8, which is one-to-one: unique numbers that do not look sequential.
    // buy_rank orders customers by how often they buy (a random permutation; 15 % never buy).
    await step(
      'customers (draws)',
      [
        `CREATE TEMP TABLE t_customer AS
       SELECT idx, pg_temp.uuid7(created_at) AS id, female, created_at, home_store, phone, is_member,
              CASE WHEN is_member THEN pg_temp.uuid7(created_at) END AS member_id,
              row_number() OVER (ORDER BY random()) - 1 AS buy_rank,
              (CASE WHEN female THEN $2::text[] ELSE $3::text[] END)[1 +
              floor(random() * cardinality(CASE WHEN female THEN $2::text[] ELSE $3::text[] END))::int] AS given,
              ($1::text[])[1 + floor(random() * cardinality($1::text[]))::int] AS surname
       FROM (
         SELECT g AS idx, random() < 0.62 AS female, random() < 0.7 AS is_member,
                p.now - interval '1 day' * ($5 + random() * 730) AS created_at,
                1 + floor(random() * (SELECT count(*) FROM t_store))::int AS home_store,
                ($4::text[])[1 + g % cardinality($4::text[])] || lpad(((g::bigint * 73939133 + 4242) % 100000000)::text,
                8, '0') AS phone
         FROM params p, generate_series(0, p.customers - 1) g
       ) d`,
        [SURNAMES, GIVEN_FEMALE, GIVEN_MALE, CUSTOMER_PHONE_PREFIXES, SALES_DAYS],
      ],
      'CREATE UNIQUE INDEX ON t_customer (buy_rank)',
    );
    await step('customers', [
      `INSERT INTO "Customer" (id, name, phone, "phoneLast4", email, gender, birthday, "sourceChannel", "homeStoreId",
                               tags, "createdAt", "updatedAt")
       SELECT c.id, c.surname || c.given, c.phone, right(c.phone, 4),
              CASE WHEN random() < 0.3 THEN 'user' || c.idx || '@example.cn' END,
              CASE WHEN c.female THEN 'FEMALE' ELSE 'MALE' END::"Gender",
              date '1960-01-01' + floor(random() * 16000)::int,
              ($1::text[])[1 + floor(random() * cardinality($1::text[]))::int]::"Channel",
              s.id, tags.list, c.created_at, (SELECT now FROM params)
       FROM t_customer c JOIN t_store s ON s.idx = c.home_store
       CROSS JOIN LATERAL (
         SELECT floor(random() * cardinality($2::text[]))::int AS a,
           1 + floor(random() * (cardinality($2::text[]) - 1))::int AS step, random() < 0.4 AS two,
                c.idx AS _correlate
       ) r
       CROSS JOIN LATERAL (
         SELECT CASE WHEN r.two THEN ARRAY[($2::text[])[1 + r.a],
           ($2::text[])[1 + (r.a + r.step) % cardinality($2::text[])]]
                     ELSE ARRAY[($2::text[])[1 + r.a]] END AS list
       ) tags
       ORDER BY c.id`,
      [CHANNELS, CUSTOMER_TAGS],
    ]);
    await step(
      'members and consents',
      `INSERT INTO "Member" (id, "customerId", code, "joinedAt", "joinedStoreId", status)
       SELECT c.member_id, c.id, '88' || lpad(c.idx::text, 10, '0'), c.created_at, s.id, 'ACTIVE'
       FROM t_customer c JOIN t_store s ON s.idx = c.home_store WHERE c.is_member ORDER BY c.member_id;
       INSERT INTO "MarketingConsent" ("customerId", channel, granted, "updatedAt")
       SELECT c.id, ch.channel::"ConsentChannel", random() < ch.share, c.created_at
       FROM t_customer c, (VALUES ('SMS', 0.6), ('WECHAT', 0.75)) AS ch(channel, share)`,
    );

    // ---- sales, lines, payments -----------------------------------------------------------
    // A sale: a store, a local day in the last SALES_DAYS days and an hour by HOUR_POOL,
    // 72 % with a customer (frequent buyers more often: rank = N × u^1.3), 1–5 lines of
    // distinct products (base + k × step, popular products more often).
    await step('sales (draws)', [
      `CREATE TEMP TABLE t_sale AS
       SELECT d.idx, pg_temp.uuid7(d.occurred_at) AS id, d.store, d.occurred_at, d.business_date, d.n_lines, d.base,
              d.step, c.id AS customer_id, c.member_id
       FROM (
         SELECT x.*, (x.local_time AT TIME ZONE s.timezone) AT TIME ZONE 'UTC' AS occurred_at,
           x.local_time::date AS business_date
         FROM (
           SELECT g AS idx, 1 + floor(random() * (SELECT count(*) FROM t_store))::int AS store,
                  (p.now::date - p.days + floor(random() * p.days)::int)
                    + interval '1 hour' * ($1::int[])[1 + floor(random() * cardinality($1::int[]))::int]
                    + interval '1 second' * floor(random() * 3600) AS local_time,
                  CASE WHEN random() < 0.72 THEN floor((p.customers * 0.85) * power(random(), 1.3))::int END AS buyer,
                  1 + floor(random() * 5)::int AS n_lines,
                  floor(p.skus * power(random(), 2))::int AS base,
                  1 + floor(random() * greatest((p.skus - 1) / 4, 1))::int AS step
           FROM params p, generate_series(0, p.sales - 1) g
         ) x JOIN t_store s ON s.idx = x.store
       ) d
       LEFT JOIN t_customer c ON c.buy_rank = d.buyer`,
      [HOUR_POOL],
    ]);
    await step(
      'sale lines (draws)',
      `CREATE TEMP TABLE t_line AS
       SELECT s.idx AS sale_idx, s.id AS sale_id, s.store, s.occurred_at, k + 1 AS line_no, p.idx AS product,
              p.id AS product_id, p.sku, p.name, p.category, p.price, p.cost, q.qty,
              CASE WHEN random() < 0.15 THEN round(p.price * q.qty * 0.1, 2) ELSE 0 END AS discount
       FROM t_sale s
       CROSS JOIN LATERAL generate_series(0, s.n_lines - 1) k
       JOIN t_product p ON p.idx = (s.base + k * s.step) % (SELECT skus FROM params)
       CROSS JOIN LATERAL (SELECT CASE WHEN p.category IN ('饮料', '零食') THEN 1 + floor(random() * 3)::int
                           ELSE 1 END AS qty, k AS _correlate) q;
       -- Autovacuum never analyzes temporary tables: without this the joins below plan on guesses
       -- (a points-ledger step once ran for many minutes on a spilled, misestimated join).
       ANALYZE t_customer; ANALYZE t_sale; ANALYZE t_line`,
    );
    await step(
      'sales',
      `INSERT INTO "Sale" (id, "storeId", "externalId", "staffId", "customerId", "memberId", "occurredAt",
                           "businessDate", currency, subtotal, "discountTotal", total, "createdAt")
       SELECT s.id, st.id, st.code || '-H' || lpad(s.idx::text, 7, '0'), st.cashier_id, s.customer_id, s.member_id,
              s.occurred_at, s.business_date, 'CNY', l.subtotal, l.discount, l.subtotal - l.discount, s.occurred_at
       FROM t_sale s JOIN t_store st ON st.idx = s.store
       JOIN (SELECT sale_idx, sum(price * qty) AS subtotal, sum(discount) AS discount FROM t_line GROUP BY sale_idx) l
         ON l.sale_idx = s.idx
       ORDER BY s.id`,
    );
    await step(
      'sale lines',
      `INSERT INTO "SaleLine" (id, "saleId", "lineNo", "productId", sku, name, quantity, "unitPrice", discount, total,
                               "unitCost")
       SELECT pg_temp.uuid7(occurred_at), sale_id, line_no, product_id, sku, name, qty, price, discount,
         price * qty - discount, cost
       FROM t_line ORDER BY occurred_at, sale_id, line_no`,
    );
    await step('payments', [
      `INSERT INTO "Payment" (id, "saleId", method, amount)
       SELECT pg_temp.uuid7("occurredAt"), id,
              -- Still the enum here: data is generated before the migrations after the encryption's
              -- (tenders as text among them) are applied.
              ($1::text[])[1 + floor(random() * cardinality($1::text[]))::int]::"PaymentMethod", total
       FROM "Sale" ORDER BY id`,
      [METHODS],
    ]);

    // ---- stock: levels, an opening receipt, one movement per line -------------------------
    // 5 % of levels end low (at or under the reorder point); the rest comfortably stocked.
    await step(
      'stock levels and movements',
      `CREATE TEMP TABLE t_level AS
       SELECT s.idx AS store, s.id AS store_id, p.idx AS product, p.id AS product_id,
              CASE WHEN random() < 0.05 THEN floor(random() * 10)::int
              ELSE 5000 + floor(random() * 5000)::int END AS closing,
              10 + 5 * floor(random() * 5)::int AS reorder_point,
              coalesce(sold.qty, 0) AS sold
       FROM t_store s CROSS JOIN t_product p
       LEFT JOIN (SELECT store, product, sum(qty)::int AS qty FROM t_line GROUP BY store, product) sold
         ON sold.store = s.idx AND sold.product = p.idx;
       INSERT INTO "StockLevel" ("storeId", "productId", "onHand", "reorderPoint", "updatedAt")
       SELECT store_id, product_id, closing, reorder_point, (SELECT now FROM params) FROM t_level;
       INSERT INTO "StockMovement" (id, "storeId", "productId", type, quantity, "balanceAfter", reason, "occurredAt")
       SELECT pg_temp.uuid7(p.now::date - p.days - 1), store_id, product_id, 'RECEIPT', closing + sold, closing + sold,
         '期初入库', p.now::date - p.days - 1
       FROM t_level, params p;
       INSERT INTO "StockMovement" (id, "storeId", "productId", type, quantity, "balanceAfter", "saleId", "staffId",
                                    "occurredAt")
       SELECT pg_temp.uuid7(l.occurred_at), v.store_id, v.product_id, 'SALE', -l.qty,
              v.closing + v.sold - sum(l.qty) OVER (PARTITION BY l.store, l.product
                                                    ORDER BY l.occurred_at, l.sale_id ROWS UNBOUNDED PRECEDING),
              l.sale_id, st.cashier_id, l.occurred_at
       FROM t_line l JOIN t_level v ON v.store = l.store AND v.product = l.product JOIN t_store st ON st.idx = l.store`,
    );

    // ---- customer figures, as recomputeCustomerFigures does --------------------------------
    await step(
      'customer figures',
      `UPDATE "Customer" c SET "firstPurchaseAt" = s.first_at, "lastPurchaseAt" = s.last_at, "visitCount" = s.visits,
         "lifetimeSpend" = s.spend
       FROM (SELECT "customerId", min("occurredAt") AS first_at, max("occurredAt") AS last_at, count(*)::int AS visits,
                    sum(total - "refundedTotal") AS spend
             FROM "Sale" WHERE "customerId" IS NOT NULL GROUP BY "customerId") s
       WHERE c.id = s."customerId"`,
    );

    // ---- points plugin: the demo's rules, an EARN lot per member sale, accounts ------------
    // History is earned by the base rule only (1 point per yuan paid, per line, rounded down;
    // gifts excluded as plugins/config.ts says). Nothing was redeemed or expired yet, so each
    // lot still holds all its points and the balance is the sum of the lots.
    await step(
      'points rules, ledger, accounts',
      `INSERT INTO "PointsRule" (id, name, kind, combine, "pointsPerYuan", multiplier, categories, skus,
                                 "excludedCategories", "excludedSkus",
                                 weekdays, "tierCodes", "capPerSale", "createdAt", "updatedAt")
       SELECT pg_temp.uuid7(p.now - interval '2 years' + r.n * interval '1 ms'), r.name, r.kind::"PointsRuleKind",
         r.combine::"PointsRuleCombine",
              r.rate, r.mult, r.categories, '{}', '{}', '{}', r.weekdays, '{}', r.cap,
              p.now - interval '2 years' + r.n * interval '1 ms', p.now
       FROM params p, (VALUES
         (1, '基础积分：每消费 1 元积 1 分', 'BASE_RATE', 'HIGHEST_WINS', 1::numeric, NULL::numeric, '{}'::text[], '{}'::int[],
         NULL::int), (2, '周三会员日双倍积分', 'MULTIPLIER', 'ADDITIVE', NULL, 2, '{}', '{3}', NULL),
         (3, '母婴品类 1.5 倍积分（每单最多 300 分）', 'MULTIPLIER', 'HIGHEST_WINS', NULL, 1.5, '{母婴}', '{}', 300)
       ) AS r(n, name, kind, combine, rate, mult, categories, weekdays, cap);
       INSERT INTO "PointsLedgerEntry" (id, "customerId", kind, points, "availableAt", "releasedAt", "expiresAt",
                                        remaining, "saleId", explanation, "dedupeKey", "createdAt")
       SELECT pg_temp.uuid7(s.occurred_at), s.customer_id, 'EARN', e.points, s.occurred_at, s.occurred_at,
              s.occurred_at + interval '12 months', e.points, s.id, jsonb_build_object('lines', e.lines),
              'earn:' || s.id, s.occurred_at
       FROM t_sale s
       JOIN (
         SELECT l.sale_idx, sum(l.points)::int AS points,
                jsonb_agg(jsonb_build_object('lineNo', l.line_no, 'sku', l.sku, 'paid', l.paid::text, 'points',
                                             l.points,
                  'contributions', CASE WHEN l.points > 0
                  THEN jsonb_build_array(jsonb_build_object('ruleId', base.id, 'rule', base.name, 'points', l.points))
                    ELSE '[]'::jsonb END)
                  ORDER BY l.line_no) AS lines
         FROM (SELECT l.sale_idx, l.line_no, l.sku, l.price * l.qty - l.discount AS paid,
                      CASE WHEN l.category = '礼品' THEN 0 ELSE floor(l.price * l.qty - l.discount)::int END AS points
               FROM t_line l JOIN t_sale s ON s.idx = l.sale_idx WHERE s.member_id IS NOT NULL) l
         CROSS JOIN (SELECT id::text, name FROM "PointsRule" WHERE kind = 'BASE_RATE') base
         GROUP BY l.sale_idx
       ) e ON e.sale_idx = s.idx
       WHERE s.member_id IS NOT NULL AND e.points > 0
       ORDER BY s.occurred_at;
       INSERT INTO "PointsAccount" ("customerId", balance, pending, "lifetimeEarned", "updatedAt")
       SELECT c.id, coalesce(e.points, 0), 0, coalesce(e.points, 0), (SELECT now FROM params)
       FROM t_customer c LEFT JOIN (SELECT "customerId", sum(points)::int AS points FROM "PointsLedgerEntry"
       GROUP BY "customerId") e ON e."customerId" = c.id
       WHERE c.is_member`,
    );

    // ---- tiers plugin: the demo's tiers, each member in the highest one they qualify for ----
    // Every sale lies inside the 12-month window, so spend and visits are the customer figures.
    // Reviews are due 30–330 days from now, so the review job finds nothing to do at start.
    await step(
      'tiers, member tiers, history',
      `INSERT INTO "Tier" (id, code, name, rank, "minSpend", "minVisits", "discountPercent", "pointsMultiplier",
                           "birthdayBenefit", "updatedAt")
       SELECT pg_temp.uuid7(p.now - interval '2 years'), t.code, t.name, t.rank, t.spend, t.visits, t.discount, t.mult,
         t.benefit, p.now
       FROM params p, (VALUES
         ('REGULAR', '普通会员', 0, NULL::numeric, NULL::int, 0::numeric, 1::numeric, NULL),
         ('SILVER', '银卡会员', 1, 800, 8, 2, 1.2, NULL),
         ('GOLD', '金卡会员', 2, 2000, 20, 5, 1.5, '生日当月赠送蛋糕券一张'),
         ('DIAMOND', '钻石会员', 3, 5000, NULL, 8, 2, '生日当月双倍积分并赠送礼盒')
       ) AS t(code, name, rank, spend, visits, discount, mult, benefit);
       CREATE TEMP TABLE t_member_tier AS
       SELECT m."customerId" AS customer_id, m."joinedAt" AS joined_at, best.id AS tier_id, best.rank
       FROM "Member" m JOIN "Customer" c ON c.id = m."customerId"
       CROSS JOIN LATERAL (
         SELECT t.id, t.rank FROM "Tier" t
         WHERE (t."minSpend" IS NULL AND t."minVisits" IS NULL) OR c."lifetimeSpend" >= t."minSpend"
           OR c."visitCount" >= t."minVisits"
         ORDER BY t.rank DESC LIMIT 1
       ) best;
       INSERT INTO "MemberTier" ("customerId", "tierId", since, "reviewAt", "updatedAt")
       SELECT customer_id, tier_id, joined_at, p.now + interval '1 day' * (30 + floor(random() * 300)), p.now
       FROM t_member_tier, params p;
       INSERT INTO "TierChange" (id, "customerId", "toTierId", reason, "changedAt")
       SELECT pg_temp.uuid7(joined_at), customer_id, (SELECT id FROM "Tier" WHERE rank = 0), 'INITIAL', joined_at
       FROM t_member_tier;
       INSERT INTO "TierChange" (id, "customerId", "fromTierId", "toTierId", reason, "changedAt")
       SELECT pg_temp.uuid7(p.now), customer_id, (SELECT id FROM "Tier" WHERE rank = 0), tier_id, 'UPGRADE', p.now
       FROM t_member_tier, params p WHERE rank > 0`,
    );

    await step('rebuild indexes', indexes.rows.map((r) => `${r.def};`).join('\n'));
    const encryptStarted = performance.now();
    await migrateRest(url);
    const encryptSeconds = (performance.now() - encryptStarted) / 1000;
    steps.push({ step: 'encrypt customers (migration)', seconds: encryptSeconds });
    log(`  ${'encrypt customers (migration)'.padEnd(34)} ${encryptSeconds.toFixed(1).padStart(6)} s`);
    await step('analyze', 'ANALYZE');
    await c.query('SET session_replication_role = DEFAULT');
    await checkConsistency(c);

    const counts: Record<string, number> = {};
    for (const table of [
      'Store',
      'Product',
      'StockLevel',
      'Customer',
      'Member',
      'Sale',
      'SaleLine',
      'Payment',
      'StockMovement',
      'PointsLedgerEntry',
      'PointsAccount',
      'MemberTier',
    ]) {
      counts[table] = Number((await c.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
    }
    return { seconds: (performance.now() - started) / 1000, steps, counts };
  } finally {
    await c.end();
  }
}

/** The invariants the API itself keeps; a generator that broke one would make the figures meaningless. */
async function checkConsistency(c: pg.Client) {
  const checks: [string, string][] = [
    [
      'points: balance = ledger sum = what the lots hold; lifetimeEarned = EARN sum',
      `SELECT count(*) AS n FROM "PointsAccount" a
       LEFT JOIN (SELECT "customerId", sum(points) AS points, sum(remaining) AS remaining,
                  sum(points) FILTER (WHERE kind = 'EARN') AS earned
                  FROM "PointsLedgerEntry" GROUP BY "customerId") e ON e."customerId" = a."customerId"
       WHERE a.balance + a.pending <> coalesce(e.points, 0) OR a.balance <> coalesce(e.remaining, 0)
         OR a."lifetimeEarned" <> coalesce(e.earned, 0)`,
    ],
    [
      'stock: on hand = the last movement balance',
      `SELECT count(*) AS n FROM "StockLevel" l
       JOIN LATERAL (SELECT "balanceAfter" FROM "StockMovement" m
                     WHERE m."storeId" = l."storeId" AND m."productId" = l."productId"
                     ORDER BY "occurredAt" DESC, id DESC LIMIT 1) last ON true
       WHERE last."balanceAfter" <> l."onHand"`,
    ],
    [
      'sales: total = lines = payments',
      `SELECT count(*) AS n FROM "Sale" s
       JOIN (SELECT "saleId", sum(total) AS t FROM "SaleLine" GROUP BY "saleId") l ON l."saleId" = s.id
       JOIN (SELECT "saleId", sum(amount) AS t FROM "Payment" GROUP BY "saleId") p ON p."saleId" = s.id
       WHERE s.total <> l.t OR s.total <> p.t`,
    ],
    [
      'customers: visits = sales',
      `SELECT count(*) AS n FROM "Customer" c WHERE c."visitCount" <> (SELECT count(*) FROM "Sale" s
       WHERE s."customerId" = c.id)`,
    ],
    [
      'customers: the tally (triggers, off while generating) = the customers listed',
      `SELECT abs((SELECT coalesce(sum(listed), 0) FROM "CustomerTally")
         - (SELECT count(*) FROM "Customer" WHERE "mergedIntoId" IS NULL AND "erasedAt" IS NULL)) AS n`,
    ],
    [
      'members: one tier row and one points account each',
      `SELECT count(*) AS n FROM "Member" m WHERE NOT EXISTS (SELECT 1 FROM "MemberTier" t
       WHERE t."customerId" = m."customerId") OR NOT EXISTS (SELECT 1 FROM "PointsAccount" a
       WHERE a."customerId" = m."customerId")`,
    ],
  ];
  for (const [what, sql] of checks) {
    const bad = Number((await c.query(sql)).rows[0].n);
    if (bad) throw new Error(`generated data is inconsistent (${what}): ${bad} rows`);
  }
}

/** What a data set was generated with, kept as the database's comment so a run with --reuse can report it. */
export interface DatasetInfo {
  size: Size;
  seconds: number;
  generatedAt: string;
}

export async function saveDatasetInfo(url: string, name: string, info: DatasetInfo) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`COMMENT ON DATABASE ${name} IS ${pg.escapeLiteral(JSON.stringify(info))}`);
  } finally {
    await c.end();
  }
}

export async function readDatasetInfo(url: string): Promise<DatasetInfo | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const comment = (
      await c.query(
        `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()`,
      )
    ).rows[0]?.c;
    return comment ? (JSON.parse(comment) as DatasetInfo) : null;
  } finally {
    await c.end();
  }
}
