import { normalizePhone } from '../customers/phone.ts';
import { fail, type ImportColumn } from './kind.ts';
import { phoneHashes } from '../customers/personal.ts';

/**
 * The two columns that name a member in files about members (points balances, tiers): the member
 * code, or the phone number; the staging insert resolves them with `memberJoins`.
 */
export const MEMBER_KEY_COLUMNS: ImportColumn[] = [
  {
    field: 'memberCode',
    'zh-CN': '会员号',
    en: 'Member code',
    synonyms: ['会员卡号', '卡号', '会员编号', 'card number'],
    text: true,
    hint: {
      'zh-CN': '已导入会员的卡号（与手机号至少填一个）',
      en: 'The card of a member imported before (this or the phone)',
    },
    examples: ['VIP000123', ''],
  },
  {
    field: 'phone',
    'zh-CN': '手机号',
    en: 'Phone',
    synonyms: ['会员手机号', '手机', 'mobile'],
    text: true,
    hint: { 'zh-CN': '会员的手机号', en: "The member's mobile number" },
    examples: ['', '13687654321'],
  },
];

export const parseMemberCode = (raw: string) => raw.normalize('NFKC').trim();
export const parseMemberPhone = (raw: string) =>
  normalizePhone(raw.normalize('NFKC')) ?? fail('INVALID_PHONE', { phone: raw });

/**
 * A staged row with the keyed hashes of its phone under every configured key (`phone_hashes`,
 * declared `phone_hashes text[]` in the kind's json_to_recordset): phones are stored encrypted,
 * so MEMBER_JOINS finds the customer by hash.
 */
export function withPhoneHashes<R extends { phone?: string | null }>(row: R): R & { phone_hashes?: string[] } {
  return row.phone ? { ...row, phone_hashes: phoneHashes(row.phone) } : row;
}

/**
 * Joins that resolve `u.member_code` and `u.phone_hashes` (withPhoneHashes) to the customer (following a merge) and
 * their card: selects `customer_id`, `member_id`, and `by_code` / `by_phone` for the checks.
 */
export const MEMBER_JOINS = `LEFT JOIN "Member" m ON m.code = u.member_code
  LEFT JOIN "Customer" mc ON mc.id = m."customerId"
  LEFT JOIN "Customer" cp ON cp."phoneHash" = ANY (u.phone_hashes)`;
export const MEMBER_SELECT = `coalesce(mc."mergedIntoId", m."customerId") AS by_code,
  coalesce(cp."mergedIntoId", cp.id) AS by_phone`;

/** Checks of the resolved member: unknown code or phone, the two naming different people, no card. */
export function memberChecks(table: string, requireCard: boolean): string[] {
  return [
    `SELECT row_no, 'IMPORT_UNKNOWN_MEMBER', 'memberCode', json_build_object('value', member_code)
       FROM ${table} WHERE member_code IS NOT NULL AND by_code IS NULL`,
    `SELECT row_no, 'IMPORT_UNKNOWN_CUSTOMER', 'phone', json_build_object('value', phone)
       FROM ${table} WHERE phone IS NOT NULL AND by_phone IS NULL`,
    `SELECT row_no, 'IMPORT_MEMBER_PHONE_DIFFER', 'phone', json_build_object('code', member_code, 'phone', phone)
       FROM ${table} WHERE by_code IS NOT NULL AND by_phone IS NOT NULL AND by_code <> by_phone`,
    `SELECT row_no, 'IMPORT_NO_KEY', NULL, '{}'::json FROM ${table} WHERE member_code IS NULL AND phone IS NULL`,
    ...(requireCard
      ? [
          `SELECT t.row_no, 'IMPORT_NOT_A_MEMBER', 'phone', json_build_object('value', t.phone) FROM ${table} t
             WHERE t.by_code IS NULL AND t.by_phone IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM "Member" x WHERE x."customerId" = t.by_phone)`,
        ]
      : []),
  ];
}
