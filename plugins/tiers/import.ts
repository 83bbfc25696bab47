import type { Tier } from '../../src/generated/prisma/client.ts';
import { parseCalendarDate } from '../../src/imports/cells.ts';
import { mapColumns, rowReader } from '../../src/imports/columns.ts';
import { fail, type ImportColumn, type ImportKind } from '../../src/imports/kind.ts';
import {
  MEMBER_JOINS,
  withPhoneHashes,
  MEMBER_KEY_COLUMNS,
  MEMBER_SELECT,
  memberChecks,
  parseMemberCode,
  parseMemberPhone,
} from '../../src/imports/members.ts';
import { problemsOf } from '../../src/imports/refs.ts';
import { MAX_LISTED_ERRORS, NOW_UTC, utc, uuidv7Sql } from '../../src/imports/run.ts';
import { duplicateRows, unionChecks } from '../../src/imports/sql.ts';
import { addMonths } from '../../src/stores/time.ts';
import type { ResolvedTierOptions } from './options.ts';

/**
 * Member tiers from the old system, with the date each member reached their tier. The tier's
 * `since` is that date, and its next review falls on the first anniversary of it (every
 * `reviewMonths`) after the import, as if the member had reached the tier here: a gold member
 * since 10 March 2025 is reviewed on 10 March 2027 when imported in December 2026, not a year
 * after the import. Each change is recorded in the tier history with the reason IMPORTED.
 * Re-sending the file changes nothing; a corrected row replaces the tier.
 */

const h = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export const MEMBER_TIER_COLUMNS: ImportColumn[] = [
  ...MEMBER_KEY_COLUMNS,
  {
    field: 'tier',
    ...h('会员等级', 'Tier'),
    synonyms: ['等级', '会员级别', '级别', 'tier code', 'level'],
    required: true,
    hint: h('本系统中等级的编码或名称（如 GOLD 或 金卡）', "A tier's code or name here (e.g. GOLD or 金卡)"),
    examples: ['金卡', 'SILVER'],
  },
  {
    field: 'reachedAt',
    ...h('达到日期', 'Reached on'),
    synonyms: ['升级日期', '定级日期', '等级生效日期', '获得日期', 'since', 'reached at'],
    required: true,
    hint: h('达到该等级的日期；下次评审在其周年日', 'The date the tier was reached; reviews fall on its anniversary'),
    examples: ['2025-03-10', '2024-12-01'],
  },
];

interface TierRow {
  row_no: number;
  member_code?: string;
  phone?: string;
  tier_id: string;
  since: Date;
  review_at: Date;
}

const STAGING = 'tier_import_row';

/** The first `since + k × months` (k ≥ 1) after `now`: the review falls on the tier's anniversary. */
export function nextAnniversary(since: Date, months: number, now: Date): Date {
  let k = 1;
  let at = addMonths(since, months);
  while (at <= now && k < 1200) at = addMonths(since, months * ++k);
  return at;
}

export function memberTiersImport(
  options: ResolvedTierOptions,
  loadTiers: (sql: {
    query(q: string): Promise<Record<string, unknown>[]>;
  }) => Promise<Pick<Tier, 'id' | 'code' | 'name'>[]>,
): ImportKind<TierRow, { now: Date; tiers: Map<string, string> }> {
  return {
    name: 'member-tiers',
    title: h('会员等级', 'Member tiers'),
    permission: 'data:import',
    order: 60,
    columns: MEMBER_TIER_COLUMNS,
    mapHeader: mapColumns(MEMBER_TIER_COLUMNS, [['memberCode', 'phone']]),
    async begin(sql, { now }) {
      await sql.exec(`CREATE TEMP TABLE ${STAGING} (
        row_no int PRIMARY KEY, member_code text, phone text, by_code uuid, by_phone uuid,
        customer_id uuid GENERATED ALWAYS AS (coalesce(by_code, by_phone)) STORED,
        tier_id uuid NOT NULL, since timestamp(3) NOT NULL, review_at timestamp(3) NOT NULL
      ) ON COMMIT DROP`);
      const tiers = new Map<string, string>();
      for (const t of await loadTiers(sql)) {
        tiers.set(t.name.normalize('NFKC').toLowerCase(), t.id);
        tiers.set(t.code.normalize('NFKC').toLowerCase(), t.id);
      }
      return { now, tiers };
    },
    parseRow(row, cells, mapping, ctx) {
      const r = rowReader(row, cells, mapping, MEMBER_TIER_COLUMNS);
      const since = r.read('reachedAt', (raw) => new Date(`${parseCalendarDate(raw, ctx.now)}T00:00:00+08:00`), {
        required: true,
      });
      const value: TierRow = {
        row_no: row,
        member_code: r.read('memberCode', parseMemberCode),
        phone: r.read('phone', parseMemberPhone),
        tier_id:
          r.read(
            'tier',
            (raw) =>
              ctx.tiers.get(raw.normalize('NFKC').trim().toLowerCase()) ?? fail('IMPORT_UNKNOWN_TIER', { value: raw }),
            { required: true },
          ) ?? '',
        since: since ?? ctx.now,
        review_at: nextAnniversary(since ?? ctx.now, options.reviewMonths, ctx.now),
      };
      return { value, problems: r.problems };
    },
    async stage(sql, rows) {
      await sql.query(
        `INSERT INTO ${STAGING} (row_no, member_code, phone, by_code, by_phone, tier_id, since, review_at)
         SELECT u.row_no, u.member_code, u.phone, ${MEMBER_SELECT}, u.tier_id, ${utc('u.since')}, ${utc('u.review_at')}
         FROM json_to_recordset($1::json) AS u(row_no int, member_code text, phone text, phone_hashes text[],
                                               tier_id uuid, since timestamptz, review_at timestamptz)
         ${MEMBER_JOINS}`,
        [JSON.stringify(rows.map(withPhoneHashes))],
      );
    },
    async check(sql) {
      return problemsOf(
        await sql.query(
          unionChecks(
            [
              ...memberChecks(STAGING, true),
              duplicateRows(STAGING, ['customer_id'], 'memberCode', 'customer_id').replace(
                "json_build_object('value', s.customer_id::text",
                "json_build_object('value', coalesce(s.member_code, s.phone)",
              ),
            ],
            MAX_LISTED_ERRORS + 1,
          ),
        ),
      );
    },
    async write(sql) {
      const changed = `FROM ${STAGING} s LEFT JOIN "MemberTier" mt ON mt."customerId" = s.customer_id
        WHERE mt."customerId" IS NULL OR mt."tierId" <> s.tier_id OR mt.since <> s.since`;
      await sql.exec(`CREATE TEMP TABLE tier_import_change ON COMMIT DROP AS
        SELECT s.customer_id, mt."tierId" AS from_tier, s.tier_id, s.since, s.review_at ${changed}`);
      await sql.exec(`INSERT INTO "TierChange" (id, "customerId", "fromTierId", "toTierId", reason, "changedAt")
        SELECT ${uuidv7Sql('since')}, customer_id, from_tier, tier_id, 'IMPORTED', since FROM tier_import_change`);
      await sql.exec(`INSERT INTO "MemberTier" ("customerId", "tierId", since, "reviewAt", "graceUntil", "updatedAt")
        SELECT customer_id, tier_id, since, review_at, NULL, ${NOW_UTC} FROM tier_import_change ORDER BY customer_id
        ON CONFLICT ("customerId") DO UPDATE SET "tierId" = EXCLUDED."tierId", since = EXCLUDED.since,
          "reviewAt" = EXCLUDED."reviewAt", "graceUntil" = NULL, "updatedAt" = EXCLUDED."updatedAt"`);
      const [c] = (await sql.query(`SELECT (SELECT count(*) FROM ${STAGING})::int AS total,
          (SELECT count(*) FROM tier_import_change WHERE from_tier IS NULL)::int AS created,
          (SELECT count(*) FROM tier_import_change WHERE from_tier IS NOT NULL)::int AS updated`)) as [
        { total: number; created: number; updated: number },
      ];
      return { created: c.created, updated: c.updated, unchanged: c.total - c.created - c.updated };
    },
  };
}
