import { createHash } from 'node:crypto';
import pg from 'pg';
import { Keyring, parseDataKey } from '../../src/crypto/keyring.ts';

/**
 * The data key of the benchmark database: the generator encrypts customers with it, and the API
 * processes the benchmark starts get it as DATA_ENCRYPTION_KEY (tests/bench/server.ts).
 */
export const BENCH_DATA_KEY = `bench1:${createHash('sha256').update('storecrm bench data key').digest('base64')}`;
export const benchKeyring = () => new Keyring(parseDataKey(BENCH_DATA_KEY, 'BENCH_DATA_KEY'));

/** Whether the benchmark database keeps customers encrypted (a build before it, run by --compare, does not). */
export async function customersEncrypted(c: pg.Client | pg.Pool) {
  const found = await c.query(
    `SELECT 1 FROM information_schema.columns WHERE table_name = 'Customer' AND column_name = 'phoneEnc'`,
  );
  return (found.rowCount ?? 0) > 0;
}

/** What load workers need to make valid requests, read from the benchmark database before a scenario. */
export interface SaleFixtures {
  stores: {
    id: string;
    globalId: string;
    code: string;
    timezone: string;
    skus: {
      sku: string;
      productId: string;
      name: string;
      category: string;
      priceCents: number;
      costCents: number | null;
    }[];
  }[];
  /** Active members in random order, each with their tier's member discount. */
  members: { code: string; customerId: string; discountHundredths: number }[];
}

export const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
const cents = (v: string | null) => (v === null ? null : Math.round(Number(v) * 100));

/** Below this on-hand quantity a SKU is left out of generated sales, so no sale fails for stock. */
export const ENOUGH_STOCK = 1_000;

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function loadSaleFixtures(url: string): Promise<SaleFixtures> {
  return withClient(url, async (c) => {
    const stores = await c.query<{ id: string; code: string; timezone: string }>(
      `SELECT id, code, timezone FROM "Store" ORDER BY code`,
    );
    const skus = await c.query<{
      storeId: string;
      sku: string;
      productId: string;
      name: string;
      category: string;
      price: string;
      cost: string | null;
    }>(
      `SELECT l."storeId", p.sku, p.id AS "productId", p.name, p.category, p.price::text, p.cost::text
       FROM "StockLevel" l JOIN "Product" p ON p.id = l."productId"
       WHERE p.active AND l."onHand" >= $1 ORDER BY p.sku`,
      [ENOUGH_STOCK],
    );
    const members = await c.query<{ code: string; customerId: string; discount: string }>(
      `SELECT m.code, m."customerId", t."discountPercent"::text AS discount
       FROM "Member" m JOIN "Customer" c ON c.id = m."customerId" AND c."mergedIntoId" IS NULL
       JOIN "MemberTier" mt ON mt."customerId" = m."customerId" JOIN "Tier" t ON t.id = mt."tierId"
       WHERE m.status = 'ACTIVE' ORDER BY random()`,
    );
    return {
      stores: stores.rows.map((s) => ({
        id: s.id,
        globalId: globalId('Store', s.id),
        code: s.code,
        timezone: s.timezone,
        skus: skus.rows
          .filter((k) => k.storeId === s.id)
          .map((k) => ({
            sku: k.sku,
            productId: k.productId,
            name: k.name,
            category: k.category,
            priceCents: cents(k.price)!,
            costCents: cents(k.cost),
          })),
      })),
      members: members.rows.map((m) => ({
        code: m.code,
        customerId: m.customerId,
        discountHundredths: cents(m.discount)!,
      })),
    };
  });
}

/** The member discount of each member's tier now, in hundredths of a percent, by customer id. */
export async function loadMemberDiscounts(url: string, customerIds: string[]): Promise<Map<string, number>> {
  return withClient(url, async (c) => {
    const rows = await c.query<{ customerId: string; discount: string }>(
      `SELECT mt."customerId", t."discountPercent"::text AS discount
       FROM "MemberTier" mt JOIN "Tier" t ON t.id = mt."tierId" WHERE mt."customerId" = ANY ($1::uuid[])`,
      [customerIds],
    );
    return new Map(rows.rows.map((r) => [r.customerId, cents(r.discount)!]));
  });
}

/** Customers that bought something, in random order: the ones a 360° view is opened for. */
export async function loadBuyers(
  url: string,
  limit: number,
): Promise<{ id: string; globalId: string; visits: number }[]> {
  return withClient(url, async (c) => {
    const rows = await c.query<{ id: string; visitCount: number }>(
      `SELECT id, "visitCount" FROM "Customer" WHERE "visitCount" > 0 AND "mergedIntoId" IS NULL ORDER BY random()
       LIMIT $1`,
      [limit],
    );
    return rows.rows.map((r) => ({ id: r.id, globalId: globalId('Customer', r.id), visits: r.visitCount }));
  });
}
