/**
 * Baseline for the customer 360° view: the same data as the GraphQL query (profile, member card,
 * points, tier, the last 20 sales with store, lines and payments) read by hand-written SQL over
 * node-postgres in two statements, from `connections` concurrent loops. No authentication and no
 * JSON response: this is the database's share of the work.
 */
import pg from 'pg';
import { Latencies } from '../stats.ts';
import { report, workerConfig, type RunLength } from './protocol.ts';

export interface Sql360Config extends RunLength {
  databaseUrl: string;
  connections: number;
  customerIds: string[];
}

const config = workerConfig<Sql360Config>();
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.connections });

export const PROFILE = `
  SELECT c.id, c.name, c.phone, c.gender, c.birthday, c.tags, c."visitCount", c."lifetimeSpend", c."firstPurchaseAt", c."lastPurchaseAt",
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
         (SELECT json_agg(json_build_object('method', p.method, 'amount', p.amount)) FROM "Payment" p WHERE p."saleId" = s.id) AS payments
  FROM "Sale" s JOIN "Store" st ON st.id = s."storeId"
  WHERE s."customerId" = $1
  ORDER BY s."occurredAt" DESC, s.id DESC
  LIMIT 20`;

async function run(length: { seconds: number } | { requests: number }) {
  const latencies = new Latencies();
  let ok = 0;
  let errors = 0;
  const samples: string[] = [];
  const started = performance.now();
  const deadline = 'seconds' in length ? started + length.seconds * 1000 : Infinity;
  let left = 'requests' in length ? length.requests : Infinity;
  await Promise.all(
    Array.from({ length: config.connections }, async () => {
      while (performance.now() < deadline && left-- > 0) {
        const id = config.customerIds[Math.floor(Math.random() * config.customerIds.length)]!;
        const t0 = performance.now();
        try {
          const profile = await pool.query(PROFILE, [id]);
          if (!profile.rows[0]) throw new Error(`customer ${id} not found`);
          await pool.query(LAST_SALES, [id]);
          ok += 1;
        } catch (error) {
          errors += 1;
          if (samples.length < 5) samples.push((error as Error).message);
        }
        latencies.record(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { requests: ok + errors, ok, errors, errorSamples: samples, seconds: elapsed, okPerSecond: ok / elapsed, latency: latencies.summary(), statementsPerRequest: 2 };
}

if (config.requests) {
  await run({ requests: config.connections });
  report(await run({ requests: config.requests }));
} else {
  if (config.warmupSeconds > 0) await run({ seconds: config.warmupSeconds });
  report(await run({ seconds: config.durationSeconds }));
}
await pool.end();
