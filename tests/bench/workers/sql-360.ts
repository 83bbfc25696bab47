/**
 * Baseline for the customer 360° view: the same data as the GraphQL query (profile, member card,
 * points, tier, the last 20 sales with store, lines and payments) read by hand-written SQL over
 * node-postgres in two statements, from `connections` concurrent loops. No authentication and no
 * JSON response: this is the database's share of the work.
 */
import pg from 'pg';
import { closedLoop, warmUpThenReport, workerConfig, type RunLength } from './protocol.ts';
import { benchKeyring, customersEncrypted } from '../fixtures.ts';
import { openBirthday, openPhone } from '../../../src/customers/personal.ts';

export interface Sql360Config extends RunLength {
  databaseUrl: string;
  connections: number;
  customerIds: string[];
}

const config = workerConfig<Sql360Config>();
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.connections });

// Phone and birthday are encrypted (decrypted here, as the API does); a build before that (--compare) keeps them plain.
const ENCRYPTED = await customersEncrypted(pool);
const KEYS = benchKeyring();
export const PROFILE = `
  SELECT c.id, c.name, ${ENCRYPTED ? 'c."phoneEnc", c."birthdayEnc"' : 'c.phone, c.birthday'}, c.gender, c.tags,
    c."visitCount", c."lifetimeSpend", c."firstPurchaseAt", c."lastPurchaseAt",
         m.code, m.status, m."joinedAt", a.balance, a.pending, a."lifetimeEarned",
         mt.since, mt."reviewAt", t.code AS tier_code, t.name AS tier_name, t."discountPercent"
  FROM "Customer" c
  LEFT JOIN "Member" m ON m."customerId" = c.id
  LEFT JOIN "PointsAccount" a ON a."customerId" = c.id
  LEFT JOIN "MemberTier" mt ON mt."customerId" = c.id
  LEFT JOIN "Tier" t ON t.id = mt."tierId"
  WHERE c.id = $1`;

export const LAST_SALES = `
  SELECT s.id, s."occurredAt", s."businessDate", s.total, s.status, st.name AS store,
         (SELECT json_agg(json_build_object('lineNo', l."lineNo", 'sku', l.sku, 'name', l.name, 'quantity', l.quantity,
                 'unitPrice', l."unitPrice", 'discount', l.discount, 'total', l.total) ORDER BY l."lineNo")
          FROM "SaleLine" l WHERE l."saleId" = s.id) AS lines,
         (SELECT json_agg(json_build_object('method', p.method, 'amount', p.amount)) FROM "Payment" p
          WHERE p."saleId" = s.id) AS payments
  FROM "Sale" s JOIN "Store" st ON st.id = s."storeId"
  WHERE s."customerId" = $1
  ORDER BY s."occurredAt" DESC, s.id DESC
  LIMIT 20`;

await warmUpThenReport(config, async (length) => ({
  ...(await closedLoop({
    connections: config.connections,
    length,
    request: async () => {
      const id = config.customerIds[Math.floor(Math.random() * config.customerIds.length)]!;
      const profile = await pool.query(PROFILE, [id]);
      const row = profile.rows[0];
      if (!row) throw new Error(`customer ${id} not found`);
      if (ENCRYPTED) {
        openPhone(row.phoneEnc, KEYS);
        openBirthday(row.birthdayEnc, KEYS);
      }
      await pool.query(LAST_SALES, [id]);
    },
  })),
  statementsPerRequest: 2,
}));
await pool.end();
