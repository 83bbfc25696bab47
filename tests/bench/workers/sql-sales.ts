/**
 * Baseline for recordSale: the rows the API writes for a member's 3-line sale with the default
 * plugins, written by hand-written SQL over node-postgres, one transaction per sale, from
 * `connections` concurrent loops. It is what the database can do here, written as tightly as a
 * careful engineer would: four round trips per sale —
 *
 *   BEGIN
 *   1. read and lock: the member, customer, tier and points account (FOR UPDATE, as the plugins
 *      lock them), the store and the products;
 *   2. write everything in one statement of data-modifying CTEs: the sale, its lines and payment,
 *      the member benefit, the guarded stock updates and their movements, the customer figures,
 *      the EARN lot and the account; it returns the tier qualification (12-month spend, visits,
 *      points earned) including this sale;
 *   3. only when that qualifies for a higher tier: the upgrade and its history;
 *   COMMIT
 *
 * Points are computed with the points plugin's own rule engine (computeEarn) from the same rules.
 * Rules and tiers are read once per worker (configuration), where the API reads them per sale;
 * the benchmark's data set has no per-day caps, so no PointsRuleUsage rows are due. Like the
 * API, a deadlock between two sales (it cannot happen with ordered locks, but is retried anyway)
 * or a lost race is retried, and a shortfall of stock rolls the sale back.
 */
import pg from 'pg';
import { uuidv7 } from '../../../src/db/ids.ts';
import { Prisma } from '../../../src/generated/prisma/client.ts';
import type { PointsRule } from '../../../src/generated/prisma/client.ts';
import { addMonths, businessDate } from '../../../src/stores/time.ts';
import { computeEarn, NO_CALENDAR } from '../../../plugins/points/rules.ts';
import { weekdayIn } from '../../../plugins/points/service.ts';
import { benchKeyring, customersEncrypted, type SaleFixtures } from '../fixtures.ts';
import { openBirthday } from '../../../src/customers/personal.ts';
import { SaleMaker, money, type PlannedSale } from '../requests.ts';
import { closedLoop, warmUpThenReport, workerConfig, type RunLength } from './protocol.ts';

export interface SqlSalesConfig extends RunLength {
  databaseUrl: string;
  connections: number;
  saleFixtures: SaleFixtures;
  memberOffset?: number;
  /** The points plugin's options in plugins/config.ts. */
  excludedCategories: string[];
  expiryMonths: number | null;
  windowMonths: number;
  reviewMonths: number;
}

// TIMESTAMP(3) columns hold UTC wall-clock times, as Prisma writes them.
pg.types.setTypeParser(1114, (s: string) => new Date(`${s.replace(' ', 'T')}Z`));

const config = workerConfig<SqlSalesConfig>();
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.connections });
const maker = new SaleMaker(config.saleFixtures, config.memberOffset);

type Tier = {
  id: string;
  code: string;
  name: string;
  rank: number;
  minSpend: string | null;
  minVisits: number | null;
  minPointsEarned: number | null;
  qualifyWhen: string;
};
const tiers = (
  await pool.query<Tier>(
    `SELECT id, code, name, rank, "minSpend"::text, "minVisits", "minPointsEarned", "qualifyWhen"::text FROM "Tier"
     ORDER BY rank`,
  )
).rows;
const rules = (await pool.query(`SELECT * FROM "PointsRule" WHERE active ORDER BY "createdAt"`)).rows.map(
  (r) =>
    ({
      ...r,
      pointsPerYuan: r.pointsPerYuan === null ? null : new Prisma.Decimal(r.pointsPerYuan),
      multiplier: r.multiplier === null ? null : new Prisma.Decimal(r.multiplier),
      minSpend: r.minSpend === null ? null : new Prisma.Decimal(r.minSpend),
      // Rows written before the calendar columns existed hold NULL there; Prisma reads it as [].
      festivals: r.festivals ?? [],
    }) as PointsRule,
);

function qualifies(t: Tier, q: { spend: number; visits: number; points: number }) {
  const tests = [
    t.minSpend === null ? null : q.spend >= Number(t.minSpend),
    t.minVisits === null ? null : q.visits >= t.minVisits,
    t.minPointsEarned === null ? null : q.points >= t.minPointsEarned,
  ].filter((x): x is boolean => x !== null);
  if (!tests.length) return true;
  return t.qualifyWhen === 'ALL' ? tests.every(Boolean) : tests.some(Boolean);
}

// Birthdays are encrypted (decrypted here, as the API does); a build before that (--compare) keeps the date.
const ENCRYPTED = await customersEncrypted(pool);
const KEYS = benchKeyring();
const BIRTHDAY = ENCRYPTED ? `c."birthdayEnc" AS birthday_enc` : 'extract(month FROM c.birthday)::int AS birth_month';
const LOOKUP = `
  SELECT c.id AS customer_id, ${BIRTHDAY}, m.id AS member_id,
         t.id AS tier_id, t.code AS tier_code, t.name AS tier_name, t.rank,
         t."discountPercent"::text AS discount_percent,
         t."pointsMultiplier"::text AS points_multiplier, a.balance, s.timezone, s.currency,
         s."allowNegativeStock" AS allow_negative,
         (SELECT json_agg(json_build_object('id', p.id, 'sku', p.sku, 'price', p.price::text, 'active', p.active))
          FROM "Product" p WHERE p.sku = ANY($3)) AS products
  FROM "Member" m
  JOIN "Customer" c ON c.id = m."customerId" AND c."mergedIntoId" IS NULL
  JOIN "MemberTier" mt ON mt."customerId" = c.id
  JOIN "Tier" t ON t.id = mt."tierId"
  JOIN "PointsAccount" a ON a."customerId" = c.id
  CROSS JOIN "Store" s
  WHERE m.code = $1 AND m.status = 'ACTIVE' AND s.id = $2
  FOR UPDATE OF mt, a`;

const birthMonth = (found: { birth_month?: number | null; birthday_enc?: string | null }) =>
  ENCRYPTED ? (openBirthday(found.birthday_enc, KEYS)?.getUTCMonth() ?? -1) + 1 : found.birth_month;

// $1 sale id, $2 store, $3 externalId, $4 customer, $5 member, $6 occurredAt, $7 businessDate, $8 currency,
// $9 subtotal, $10 discountTotal, $11 total, lines $12–$22, $23 payment id, benefit $24–$28,
// $29 stock may go negative, points $30–$35, $36 window start.
const WRITE = `
  WITH sale AS (
    INSERT INTO "Sale" (id, "storeId", "externalId", "customerId", "memberId", "occurredAt", "businessDate", currency,
                        subtotal, "discountTotal", total, "createdAt")
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $32)
    ON CONFLICT ("storeId", "externalId") DO NOTHING
    RETURNING id
  ), line AS (
    SELECT * FROM unnest($12::uuid[], $13::int[], $14::uuid[], $15::text[], $16::text[], $17::int[], $18::numeric[],
                         $19::numeric[], $20::numeric[], $21::numeric[], $22::uuid[])
      AS l(id, line_no, product_id, sku, name, quantity, unit_price, discount, total, unit_cost, movement_id)
  ), lines AS (
    INSERT INTO "SaleLine" (id, "saleId", "lineNo", "productId", sku, name, quantity, "unitPrice", discount, total,
                            "unitCost")
    SELECT l.id, sale.id, l.line_no, l.product_id, l.sku, l.name, l.quantity, l.unit_price, l.discount, l.total,
      l.unit_cost FROM sale, line l
  ), payment AS (
    INSERT INTO "Payment" (id, "saleId", method, amount) SELECT $23, sale.id, 'WECHAT_PAY', $11 FROM sale
  ), benefit AS (
    INSERT INTO "SaleTierBenefit" ("saleId", "tierId", "tierCode", "tierName", "discountPercent", "discountAmount")
    SELECT sale.id, $24, $25, $26, $27, $28 FROM sale WHERE $28::numeric > 0
  ), stock AS (
    UPDATE "StockLevel" sl SET "onHand" = sl."onHand" - l.quantity, "updatedAt" = now()
    FROM sale, line l
    WHERE sl."storeId" = $2 AND sl."productId" = l.product_id AND ($29::boolean OR sl."onHand" - l.quantity >= 0)
    RETURNING sl."productId" AS product_id, sl."onHand" AS on_hand
  ), movements AS (
    INSERT INTO "StockMovement" (id, "storeId", "productId", type, quantity, "balanceAfter", "saleId", "occurredAt")
    SELECT l.movement_id, $2, l.product_id, 'SALE', -l.quantity, stock.on_hand, sale.id, $6 FROM sale, stock
      JOIN line l USING (product_id)
  ), figures AS (
    UPDATE "Customer" SET "visitCount" = "visitCount" + 1, "lifetimeSpend" = "lifetimeSpend" + $11,
      "firstPurchaseAt" = LEAST(coalesce("firstPurchaseAt", $6), $6),
      "lastPurchaseAt" = GREATEST(coalesce("lastPurchaseAt", $6), $6), "updatedAt" = now()
    WHERE id = $4 AND EXISTS (SELECT 1 FROM sale)
  ), earned AS (
    INSERT INTO "PointsLedgerEntry" (id, "customerId", kind, points, "availableAt", "releasedAt", "expiresAt",
                                     remaining, "saleId", explanation, "dedupeKey", "createdAt")
    SELECT $30, $4, 'EARN', $31, $6, $32, $33, $34, sale.id, $35, 'earn:' || sale.id, $32 FROM sale WHERE $31::int > 0
  ), account AS (
    UPDATE "PointsAccount" SET balance = balance + $31, "lifetimeEarned" = "lifetimeEarned" + $31, "updatedAt" = now()
    WHERE "customerId" = $4 AND $31::int > 0 AND EXISTS (SELECT 1 FROM sale)
  )
  SELECT (SELECT count(*) FROM sale)::int AS written, (SELECT count(*) FROM stock)::int AS stocked,
         q.spend + $11 AS spend, q.visits + 1 AS visits,
         (SELECT coalesce(sum(points), 0) FROM "PointsLedgerEntry"
          WHERE "customerId" = $4 AND "createdAt" >= $36 AND (kind = 'EARN' OR (kind = 'REVERSE' AND points < 0)))::int
            + $31 AS points
  FROM (SELECT coalesce(sum(total - "refundedTotal"), 0) AS spend,
        count(*) FILTER (WHERE status <> 'REFUNDED')::int AS visits
        FROM "Sale" WHERE "customerId" = $4 AND "occurredAt" > $36 AND "occurredAt" <= $6) q`;

const UPGRADE = `
  WITH tier AS (
    UPDATE "MemberTier" SET "tierId" = $2, since = $3, "reviewAt" = $4, "graceUntil" = NULL, "updatedAt" = now()
    WHERE "customerId" = $1
  )
  INSERT INTO "TierChange" (id, "customerId", "fromTierId", "toTierId", reason, "saleId", "changedAt")
  VALUES ($5, $1, $6, $2, 'UPGRADE', $7, $3)`;

class Rollback extends Error {}

/** A UTC wall-clock time for a TIMESTAMP(3) column, whatever the process's time zone. */
const utc = (d: Date) => d.toISOString().slice(0, 23);

async function recordSale(client: pg.PoolClient, sale: PlannedSale) {
  const now = new Date();
  const sorted = [...sale.lines].sort((a, b) => (a.productId < b.productId ? -1 : 1)); // lock stock in one order
  await client.query('BEGIN');
  try {
    const found = (await client.query(LOOKUP, [sale.member.code, sale.store.id, sorted.map((l) => l.sku)])).rows[0];
    if (!found) throw new Rollback('member or store not found');
    const products = new Map<string, { price: string; active: boolean }>(
      (found.products ?? []).map((p: { sku: string }) => [p.sku, p]),
    );
    if (sorted.some((l) => !products.get(l.sku)?.active)) throw new Rollback('unknown or inactive SKU');
    // Prices and the member discount from the database, as the API computes them.
    const pct = Math.round(Number(found.discount_percent) * 100);
    const lines = sorted.map((l) => {
      const price = Math.round(Number(products.get(l.sku)!.price) * 100);
      const discount = Math.floor((price * l.quantity * pct + 5_000) / 10_000);
      return { ...l, price, discount, total: price * l.quantity - discount };
    });
    const subtotal = lines.reduce((s, l) => s + l.price * l.quantity, 0);
    const discount = lines.reduce((s, l) => s + l.discount, 0);
    const total = subtotal - discount;
    if (total !== sale.totalCents)
      throw new Rollback(`payment ${money(sale.totalCents)} does not match total ${money(total)}`);

    const occurredAt = now;
    const earn = computeEarn(
      lines.map((l) => ({
        lineNo: l.lineNo,
        sku: l.sku,
        category: l.category,
        paid: new Prisma.Decimal(money(l.total)),
      })),
      rules,
      {
        weekday: weekdayIn(occurredAt, found.timezone),
        occurredAt,
        saleTotal: new Prisma.Decimal(money(total)),
        tierCode: found.tier_code,
        tierName: found.tier_name,
        tierMultiplier: new Prisma.Decimal(found.points_multiplier),
        birthdayMonth: birthMonth(found) === Number(businessDate(occurredAt, found.timezone).toISOString().slice(5, 7)),
        usedToday: new Map(),
        excludedCategories: config.excludedCategories,
        calendar: NO_CALENDAR,
      },
    );
    const windowStart = addMonths(now, -config.windowMonths);
    const saleId = uuidv7(now.getTime());
    const written = (
      await client.query(WRITE, [
        saleId,
        sale.store.id,
        sale.externalId,
        found.customer_id,
        found.member_id,
        utc(occurredAt),
        businessDate(occurredAt, found.timezone).toISOString().slice(0, 10),
        found.currency,
        money(subtotal),
        money(discount),
        money(total),
        lines.map(() => uuidv7(now.getTime())),
        lines.map((l) => l.lineNo),
        lines.map((l) => l.productId),
        lines.map((l) => l.sku),
        lines.map((l) => l.name),
        lines.map((l) => l.quantity),
        lines.map((l) => money(l.price)),
        lines.map((l) => money(l.discount)),
        lines.map((l) => money(l.total)),
        lines.map((l) => (l.costCents === null ? null : money(l.costCents))),
        lines.map(() => uuidv7(now.getTime())),
        uuidv7(now.getTime()),
        found.tier_id,
        found.tier_code,
        found.tier_name,
        found.discount_percent,
        money(discount),
        found.allow_negative,
        uuidv7(now.getTime()),
        earn.points,
        utc(now),
        config.expiryMonths === null ? null : utc(addMonths(occurredAt, config.expiryMonths)),
        Math.max(0, earn.points - Math.max(0, -found.balance)),
        JSON.stringify({ lines: earn.lines }),
        utc(windowStart),
      ])
    ).rows[0];
    if (written.written !== 1) throw new Rollback('externalId already recorded');
    if (written.stocked !== lines.length) throw new Rollback('insufficient stock');
    const best = [...tiers]
      .reverse()
      .find((t) => qualifies(t, { spend: Number(written.spend), visits: written.visits, points: written.points }));
    if (best && best.rank > found.rank) {
      await client.query(UPGRADE, [
        found.customer_id,
        best.id,
        utc(now),
        utc(addMonths(now, config.reviewMonths)),
        uuidv7(now.getTime()),
        found.tier_id,
        saleId,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

await warmUpThenReport(config, async (length) => {
  let retries = 0;
  const result = await closedLoop({
    connections: config.connections,
    length,
    connect: () => pool.connect(),
    request: async (client) => {
      const sale = maker.make();
      for (let attempt = 1; ; attempt++) {
        try {
          return await recordSale(client!, sale);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if ((code === '40P01' || code === '40001') && attempt < 5) {
            retries += 1;
            continue;
          }
          throw error;
        }
      }
    },
  });
  return { ...result, retries };
});
await pool.end();
