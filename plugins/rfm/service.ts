import type { Db, Tx } from '../../src/db/tx.ts';
import { uuidv7 } from '../../src/db/ids.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { RfmRun } from '../../src/generated/prisma/client.ts';
import type { Unit } from '../../src/events/transaction.ts';
import { addMonths } from '../../src/stores/time.ts';
import { resolveRfmOptions, type ResolvedRfmOptions } from './options.ts';

/** Two runs never interleave: a second one waits for the first and then scores again. */
const RUN_LOCK = Prisma.sql`hashtext('rfm.score')`;

/**
 * Scores every live customer (merged records excluded) who bought in the window
 * (`windowMonths` before `now`, up to and including `now`):
 *
 * - Recency: whole days from the last purchase to `now`; Frequency: purchases, i.e. sales not
 *   refunded in full; Monetary: sale totals less refunded amounts. A customer whose sales in the
 *   window were all refunded in full has no purchase there and gets no score.
 * - Each dimension scores 1–5 (5 best) by quintile of percent rank over the scored base, so
 *   equal values always get equal scores: score = 1 + ⌊5 · (rank − 1) / (n − 1)⌋, at most 5.
 * - A dimension is high when its score is above the base's average score (or at least the
 *   configured `highScore`); the three highs and lows give the segment.
 *
 * One transaction: the scores are computed and written by a single INSERT … SELECT … ON
 * CONFLICT DO UPDATE, scores of customers no longer in the base are deleted, and the run is
 * recorded with its segment counts. It only reads Customer and Sale, locking none of their rows
 * while it computes, so sales go on meanwhile; readers see the previous scores until it commits.
 * Running it again for the same `now` writes the same scores. A score whose layer changes keeps
 * the one before (`previousSegment`) and the run's moment (`segmentSince`); one whose layer stays
 * keeps both, so a move is seen once by those who look for moves (docs/plugins/automation.md).
 */
export async function scoreCustomers(
  db: Db,
  now: Date,
  options: ResolvedRfmOptions = resolveRfmOptions({}),
): Promise<RfmRun> {
  const runId = uuidv7();
  const windowStart = addMonths(now, -options.windowMonths);
  const cut = options.highScore === 'average' ? null : options.highScore;
  return db.$transaction(
    async (tx) => {
      // The sort and hash steps over a year of sales fit in memory instead of spilling to disk.
      await tx.$executeRawUnsafe(`SET LOCAL work_mem = '64MB'`);
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${RUN_LOCK})`;
      await tx.$executeRaw`
        INSERT INTO "RfmRun" ("id", "asOf", "windowStart", "startedAt", "finishedAt", "customersScored",
                              "customersWithoutPurchase", "recencyAverage", "frequencyAverage", "monetaryAverage")
        VALUES (${runId}::uuid, ${now}, ${windowStart}, clock_timestamp(), clock_timestamp(), 0, 0, 0, 0, 0)`;
      await upsertScores(tx, runId, now, windowStart, cut);
      await tx.$executeRaw`DELETE FROM "RfmScore" WHERE "runId" <> ${runId}::uuid`;
      await tx.$executeRaw`
        INSERT INTO "RfmRunSegment" ("runId", "segment", "customers", "spend", "purchases")
        SELECT ${runId}::uuid, "segment", count(*), sum("monetary"), sum("frequency") FROM "RfmScore"
        GROUP BY "segment"`;
      await tx.$executeRaw`
        UPDATE "RfmRun" r SET
          "finishedAt" = clock_timestamp(),
          "customersScored" = s.n,
          "customersWithoutPurchase" = (SELECT count(*) FROM "Customer" WHERE "mergedIntoId" IS NULL) - s.n,
          "recencyAverage" = s.r, "frequencyAverage" = s.f, "monetaryAverage" = s.m
        FROM (
          SELECT count(*)::int AS n, coalesce(avg("recencyScore"), 0) AS r, coalesce(avg("frequencyScore"), 0) AS f,
            coalesce(avg("monetaryScore"), 0) AS m
          FROM "RfmScore"
        ) s
        WHERE r.id = ${runId}::uuid`;
      return tx.rfmRun.findUniqueOrThrow({ where: { id: runId } });
    },
    // Minutes, not the default seconds: a large customer base takes a while to score.
    { timeout: 10 * 60_000, maxWait: 60_000 },
  );
}

/** The one set-based statement that computes and writes every score. */
function upsertScores(
  tx: Tx,
  runId: string,
  now: Date,
  windowStart: Date,
  cut: { recency: number; frequency: number; monetary: number } | null,
) {
  const score = (rank: string) =>
    Prisma.raw(`(CASE WHEN n = 1 THEN 1 ELSE least(5, 1 + (5 * (${rank} - 1)) / (n - 1)) END)::int`);
  const high = (column: string, threshold: number | undefined) =>
    threshold === undefined
      ? Prisma.raw(`(${column} > avg(${column}) OVER ())`)
      : Prisma.sql`(${Prisma.raw(column)} >= ${threshold}::int)`;
  return tx.$executeRaw`
    WITH per_customer AS (
      SELECT "customerId",
             count(*) FILTER (WHERE status <> 'REFUNDED')::int AS frequency,
             sum(total - "refundedTotal") AS monetary,
             max("occurredAt") FILTER (WHERE status <> 'REFUNDED') AS last_at
      FROM "Sale"
      WHERE "customerId" IS NOT NULL AND "occurredAt" > ${windowStart} AND "occurredAt" <= ${now}
      GROUP BY "customerId"
      HAVING count(*) FILTER (WHERE status <> 'REFUNDED') > 0
    ),
    base AS (
      -- Live customers only: a merged record's sales already belong to its survivor.
      SELECT pc.*, c."homeStoreId", floor(extract(epoch FROM (${now}::timestamp - pc.last_at)) / 86400)::int AS
        recency_days
      FROM per_customer pc JOIN "Customer" c ON c.id = pc."customerId" AND c."mergedIntoId" IS NULL
        AND c."erasedAt" IS NULL
    ),
    ranked AS (
      SELECT base.*,
             count(*) OVER () AS n,
             rank() OVER (ORDER BY recency_days DESC) AS r_rank,
             rank() OVER (ORDER BY frequency) AS f_rank,
             rank() OVER (ORDER BY monetary) AS m_rank
      FROM base
    ),
    scored AS (
      SELECT ranked.*, ${score('r_rank')} AS r, ${score('f_rank')} AS f, ${score('m_rank')} AS m FROM ranked
    ),
    judged AS (
      SELECT scored.*, ${high('r', cut?.recency)} AS rh, ${high('f', cut?.frequency)} AS fh, ${high('m', cut?.monetary)}
        AS mh FROM scored
    )
    INSERT INTO "RfmScore" ("customerId", "runId", "recencyScore", "frequencyScore", "monetaryScore", "recencyDays",
                            "lastPurchaseAt", "frequency", "monetary", "segment", "homeStoreId", "computedAt",
                            "segmentSince")
    SELECT "customerId", ${runId}::uuid, r, f, m, recency_days, last_at, frequency, monetary,
           (CASE
              WHEN rh AND fh AND mh THEN 'CHAMPIONS'
              WHEN rh AND mh THEN 'POTENTIAL_LOYALISTS'
              WHEN fh AND mh THEN 'AT_RISK'
              WHEN mh THEN 'WIN_BACK'
              WHEN rh AND fh THEN 'LOYAL'
              WHEN rh THEN 'PROMISING'
              WHEN fh THEN 'NEED_ATTENTION'
              ELSE 'HIBERNATING'
            END)::"RfmSegment",
           "homeStoreId", ${now}, ${now}
    FROM judged
    ON CONFLICT ("customerId") DO UPDATE SET
      "runId" = EXCLUDED."runId",
      "recencyScore" = EXCLUDED."recencyScore",
      "frequencyScore" = EXCLUDED."frequencyScore",
      "monetaryScore" = EXCLUDED."monetaryScore",
      "recencyDays" = EXCLUDED."recencyDays",
      "lastPurchaseAt" = EXCLUDED."lastPurchaseAt",
      "frequency" = EXCLUDED."frequency",
      "monetary" = EXCLUDED."monetary",
      "segment" = EXCLUDED."segment",
      -- A change of layer is remembered (SET reads the row as it was before this statement).
      "previousSegment" = CASE WHEN "RfmScore"."segment" = EXCLUDED."segment" THEN "RfmScore"."previousSegment"
                               ELSE "RfmScore"."segment" END,
      "segmentSince" = CASE WHEN "RfmScore"."segment" = EXCLUDED."segment" THEN "RfmScore"."segmentSince"
                            ELSE EXCLUDED."segmentSince" END,
      "homeStoreId" = EXCLUDED."homeStoreId",
      "computedAt" = EXCLUDED."computedAt"`;
}

/**
 * Inside a customer merge: the merged record is no longer a customer of its own, so its score
 * goes; the survivor's is brought up to date by the next run. A run holding the row right now is
 * not waited for (the merge holds both customers' rows): that run's snapshot predates the merge,
 * and the next run removes the score.
 */
export async function forgetMergedScore({ mergedId }: { survivorId: string; mergedId: string }, { tx }: Unit) {
  await tx.$executeRaw`
    DELETE FROM "RfmScore" WHERE "customerId" IN (
      SELECT "customerId" FROM "RfmScore" WHERE "customerId" = ${mergedId}::uuid FOR UPDATE SKIP LOCKED
    )`;
}
