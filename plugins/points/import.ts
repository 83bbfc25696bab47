import { uuidv7 } from '../../src/db/ids.ts';
import { parseCalendarDate, parseInteger, textLimit } from '../../src/imports/cells.ts';
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
import { counted, MAX_LISTED_ERRORS, NOW_UTC, utc } from '../../src/imports/run.ts';
import { duplicateRows, unionChecks } from '../../src/imports/sql.ts';
import { addMonths } from '../../src/stores/time.ts';
import type { ResolvedPointsOptions } from './options.ts';

/**
 * Points balances from the old system: one opening ledger entry (kind OPENING) per member. It is
 * spendable at once, earns nothing (it is not "points earned": tiers that qualify on points do
 * not count it, and it is never reversed by a refund), and expires as one lot under the configured
 * rule: `expiryMonths` after the balance date (余额日期, default the day of the import), unless the
 * file gives its own expiry date (到期日). A member's opening balance is imported once: the same
 * figure again changes nothing, a different one is an error (correct it with adjustPoints).
 */

const h = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export const POINTS_BALANCE_COLUMNS: ImportColumn[] = [
  ...MEMBER_KEY_COLUMNS,
  {
    field: 'points',
    ...h('积分余额', 'Points balance'),
    synonyms: ['积分', '可用积分', '当前积分', '剩余积分', 'points', 'balance'],
    required: true,
    hint: h('旧系统中的可用积分，不小于 0 的整数', 'Spendable points in the old system, a whole number of 0 or more'),
    examples: ['3560', '120'],
  },
  {
    field: 'asOf',
    ...h('余额日期', 'Balance date'),
    synonyms: ['截止日期', '日期', 'as of'],
    hint: h(
      '余额对应的日期，过期时间从此日起算；默认导入当天',
      'The date of the balance; expiry counts from it. Default: today',
    ),
    examples: ['2026-11-30', ''],
  },
  {
    field: 'expiresAt',
    ...h('到期日', 'Expires on'),
    synonyms: ['过期日期', '有效期至', '失效日期', 'expiry date'],
    hint: h(
      '旧系统规定的到期日，可不填（按本系统的有效期规则）',
      "The old system's expiry date; optional (this system's rule applies)",
    ),
    examples: ['', '2027-06-30'],
  },
  {
    field: 'note',
    ...h('备注', 'Note'),
    synonyms: ['说明'],
    hint: h('写入积分流水的说明，可不填', 'Shown on the ledger entry; optional'),
    examples: ['旧系统迁移', ''],
  },
];

interface PointsRow {
  row_no: number;
  entry_id: string;
  member_code?: string;
  phone?: string;
  points: number;
  available_at: Date;
  expires_at: Date | null;
  note?: string;
}

const STAGING = 'points_import_row';

export function pointsBalancesImport(
  options: ResolvedPointsOptions,
): ImportKind<PointsRow, { now: Date; staffId: string | null }> {
  return {
    name: 'points-balances',
    title: h('积分余额', 'Points balances'),
    permission: 'data:import',
    order: 50,
    columns: POINTS_BALANCE_COLUMNS,
    mapHeader: mapColumns(POINTS_BALANCE_COLUMNS, [['memberCode', 'phone']]),
    async begin(sql, { now, principal }) {
      await sql.exec(`CREATE TEMP TABLE ${STAGING} (
        row_no int PRIMARY KEY, entry_id uuid NOT NULL, member_code text, phone text, by_code uuid, by_phone uuid,
        customer_id uuid GENERATED ALWAYS AS (coalesce(by_code, by_phone)) STORED,
        points int NOT NULL, available_at timestamp(3) NOT NULL, expires_at timestamp(3), note text
      ) ON COMMIT DROP`);
      return { now, staffId: principal.staffId };
    },
    parseRow(row, cells, mapping, ctx) {
      const r = rowReader(row, cells, mapping, POINTS_BALANCE_COLUMNS);
      const date = (raw: string, future: boolean) =>
        new Date(`${parseCalendarDate(raw, ctx.now, future)}T00:00:00+08:00`);
      const asOf = r.read('asOf', (raw) => date(raw, false)) ?? ctx.now;
      const given = r.read('expiresAt', (raw) => {
        const at = date(raw, true);
        return at <= ctx.now ? fail('IMPORT_POINTS_EXPIRED', { value: raw }) : at;
      });
      const expiresAt = given ?? (options.expiryMonths === null ? null : addMonths(asOf, options.expiryMonths));
      if (!given && expiresAt && expiresAt <= ctx.now)
        r.report('asOf', { code: 'IMPORT_POINTS_EXPIRED', params: { value: expiresAt.toISOString().slice(0, 10) } });
      const value: PointsRow = {
        row_no: row,
        entry_id: uuidv7(ctx.now.getTime()),
        member_code: r.read('memberCode', parseMemberCode),
        phone: r.read('phone', parseMemberPhone),
        points:
          r.read(
            'points',
            (raw) => {
              const n = parseInteger(raw, 1_000_000_000);
              return n < 0 ? fail('IMPORT_INVALID_COUNT', { value: raw }) : n;
            },
            { required: true },
          ) ?? 0,
        available_at: ctx.now,
        expires_at: expiresAt,
        note: r.read('note', (raw) => textLimit(raw, 200)),
      };
      return { value, problems: r.problems };
    },
    async stage(sql, rows) {
      await sql.query(
        `INSERT INTO ${STAGING} (row_no, entry_id, member_code, phone, by_code, by_phone, points, available_at,
                                 expires_at, note)
         SELECT u.row_no, u.entry_id, u.member_code, u.phone, ${MEMBER_SELECT}, u.points, ${utc('u.available_at')},
           ${utc('u.expires_at')}, u.note
         FROM json_to_recordset($1::json) AS u(row_no int, entry_id uuid, member_code text, phone text,
           phone_hashes text[], points int, available_at timestamptz, expires_at timestamptz, note text)
         ${MEMBER_JOINS}`,
        [JSON.stringify(rows.map(withPhoneHashes))],
      );
    },
    async check(sql) {
      return problemsOf(
        await sql.query(
          unionChecks(
            [
              ...memberChecks(STAGING, false),
              duplicateRows(STAGING, ['customer_id'], 'memberCode', 'customer_id').replace(
                "json_build_object('value', s.customer_id::text",
                "json_build_object('value', coalesce(s.member_code, s.phone)",
              ),
              `SELECT s.row_no, 'IMPORT_POINTS_OPENING_EXISTS', 'points', json_build_object('existing', e.points)
                 FROM ${STAGING} s JOIN "PointsLedgerEntry" e ON e."dedupeKey" = 'opening:' || s.customer_id::text
                 WHERE e.points <> s.points`,
            ],
            MAX_LISTED_ERRORS + 1,
          ),
        ),
      );
    },
    async write(sql, ctx) {
      const fresh = `FROM ${STAGING} s WHERE s.points > 0 AND NOT EXISTS (
        SELECT 1 FROM "PointsLedgerEntry" e WHERE e."dedupeKey" = 'opening:' || s.customer_id::text)`;
      // Accounts locked in one order, as sales lock them one at a time: a sale meanwhile waits.
      await sql.exec(`SELECT 1 FROM "PointsAccount" a WHERE a."customerId" IN (SELECT s.customer_id ${fresh})
        ORDER BY a."customerId" FOR UPDATE`);
      const freshWithAccount = fresh.replace(
        `FROM ${STAGING} s`,
        `FROM ${STAGING} s LEFT JOIN "PointsAccount" a ON a."customerId" = s.customer_id`,
      );
      // The lot keeps what is left once a negative balance (points owed after a refund) is paid, as addLot does.
      const created = await counted(
        sql,
        `INSERT INTO "PointsLedgerEntry" (id, "customerId", kind, points, remaining, "availableAt", "releasedAt",
           "expiresAt", reason, "staffId", "dedupeKey", "createdAt")
         SELECT s.entry_id, s.customer_id, 'OPENING', s.points,
           greatest(0, s.points - greatest(0, -coalesce(a.balance, 0))),
           s.available_at, s.available_at, s.expires_at, coalesce(s.note, '期初积分（旧系统迁移）'), $1::uuid,
           'opening:' || s.customer_id::text, ${NOW_UTC}
         ${freshWithAccount}
         ORDER BY s.customer_id`,
        [ctx.staffId],
      );
      await sql.exec(`INSERT INTO "PointsAccount" ("customerId", balance, pending, "lifetimeEarned", "updatedAt")
        SELECT e."customerId", e.points, 0, 0, ${NOW_UTC} FROM "PointsLedgerEntry" e
          JOIN ${STAGING} s ON s.entry_id = e.id
        ORDER BY e."customerId"
        ON CONFLICT ("customerId") DO UPDATE SET balance = "PointsAccount".balance + EXCLUDED.balance,
          "updatedAt" = EXCLUDED."updatedAt"`);
      const [{ n }] = (await sql.query(`SELECT count(*)::int AS n FROM ${STAGING}`)) as [{ n: number }];
      return { created, updated: 0, unchanged: Number(n) - created };
    },
  };
}
