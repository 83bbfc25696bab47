import { hashPassword } from '../auth/passwords.ts';
import { uuidv7 } from '../db/ids.ts';
import type { StaffRoleKind } from '../generated/prisma/enums.ts';
import { parseEmail, parseYesNo, textLimit } from '../imports/cells.ts';
import { mapColumns, rowReader } from '../imports/columns.ts';
import { fail, type ImportColumn, type ImportKind } from '../imports/kind.ts';
import { problemsOf, storeLookup, type StoreRef } from '../imports/refs.ts';
import { counted, MAX_LISTED_ERRORS, NOW_UTC } from '../imports/run.ts';
import { duplicateRows, unionChecks } from '../imports/sql.ts';
import { normalizePhone } from '../customers/phone.ts';
import { normalizeLogin } from './login.ts';

/**
 * Staff import: the people of each store with their sign-in and role. A login already here is
 * updated (name, contact, active, roles in the stores named); a new one needs an initial password
 * of at least 8 characters. A password is never changed by an import: the file may have been
 * copied around, and a staff member's own password must not be reset by it.
 */

const h = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export const STAFF_COLUMNS: ImportColumn[] = [
  {
    field: 'name',
    ...h('姓名', 'Name'),
    synonyms: ['员工姓名', '名字', 'staff name'],
    required: true,
    hint: h('最多 60 字', 'Up to 60 characters'),
    examples: ['赵敏', '孙丽'],
  },
  {
    field: 'login',
    ...h('登录账号', 'Login'),
    synonyms: ['账号', '手机号', '登录名', '工号账号', 'sign-in', 'username'],
    required: true,
    text: true,
    hint: h('手机号或邮箱，用于登录', 'A mobile number or e-mail address to sign in with'),
    examples: ['13900000011', '13900000012'],
  },
  {
    field: 'role',
    ...h('角色', 'Role'),
    synonyms: ['岗位', '职位', '职务'],
    required: true,
    hint: h('店长、收银员、导购或老板', 'Manager, cashier, sales associate or owner'),
    examples: ['店长', '导购'],
  },
  {
    field: 'stores',
    ...h('门店', 'Stores'),
    synonyms: ['所属门店', '门店编码', '工作门店', 'store', 'store codes'],
    required: true,
    text: true,
    hint: h(
      '门店编码或名称，多个用 | 或、分隔；在这些门店担任该角色',
      'Store codes or names, separated by | or 、; the role holds in each',
    ),
    examples: ['{store1}', '{store1}|{store2}'],
  },
  {
    field: 'phone',
    ...h('手机号码', 'Phone'),
    synonyms: ['联系电话', '电话'],
    text: true,
    hint: h('可不填', 'Optional'),
    examples: ['13900000011', ''],
  },
  { field: 'email', ...h('邮箱', 'E-mail'), hint: h('可不填', 'Optional'), examples: ['', 'sunli@example.cn'] },
  {
    field: 'active',
    ...h('在职', 'Active'),
    synonyms: ['状态', '是否在职'],
    hint: h('是 / 否；离职员工不能登录', 'Yes / no; inactive staff cannot sign in'),
    examples: ['是', '是'],
  },
  {
    field: 'password',
    ...h('初始密码', 'Initial password'),
    synonyms: ['密码', 'password'],
    hint: h(
      '新员工必填，至少 8 位；已有员工的密码不会被修改。导入后请删除此文件',
      'Required for new staff, at least 8 characters; never changes an existing password. Delete the file afterwards',
    ),
    examples: ['Welcome-2026', 'Welcome-2026'],
  },
];

const ROLES: Record<string, StaffRoleKind> = {
  老板: 'OWNER',
  店主: 'OWNER',
  所有者: 'OWNER',
  owner: 'OWNER',
  店长: 'MANAGER',
  经理: 'MANAGER',
  门店经理: 'MANAGER',
  manager: 'MANAGER',
  收银: 'CASHIER',
  收银员: 'CASHIER',
  cashier: 'CASHIER',
  导购: 'SALES_ASSOCIATE',
  店员: 'SALES_ASSOCIATE',
  营业员: 'SALES_ASSOCIATE',
  销售: 'SALES_ASSOCIATE',
  salesassociate: 'SALES_ASSOCIATE',
  sales_associate: 'SALES_ASSOCIATE',
};

interface StaffRow {
  row_no: number;
  new_id: string;
  name: string;
  login: string;
  role: StaffRoleKind;
  store_ids: string[];
  phone?: string;
  email?: string;
  active?: boolean;
  password?: string;
  password_hash?: string;
}

const STAGING = 'staff_import_row';

export const staffImport: ImportKind<StaffRow, { store: (raw: string) => StoreRef }> = {
  name: 'staff',
  title: h('员工', 'Staff'),
  permission: 'staff:manage',
  order: 10,
  columns: STAFF_COLUMNS,
  mapHeader: mapColumns(STAFF_COLUMNS),
  async begin(sql, { principal }) {
    await sql.exec(`CREATE TEMP TABLE ${STAGING} (
      row_no int PRIMARY KEY, new_id uuid NOT NULL, name text NOT NULL, login text NOT NULL,
      role "StaffRoleKind" NOT NULL,
      store_ids uuid[] NOT NULL, phone text, email text, active boolean, password_hash text, by_login uuid
    ) ON COMMIT DROP`);
    return { store: await storeLookup(sql, principal, 'staff:manage') };
  },
  parseRow(row, cells, mapping, ctx) {
    const r = rowReader(row, cells, mapping, STAFF_COLUMNS);
    const value: StaffRow = {
      row_no: row,
      new_id: uuidv7(),
      name: r.read('name', (raw) => textLimit(raw.replace(/\s+/g, ' '), 60), { required: true }) ?? '',
      login:
        r.read(
          'login',
          (raw) => {
            const login = normalizeLogin(raw.normalize('NFKC'));
            return login.length > 254 ? fail('IMPORT_TOO_LONG', { max: 254 }) : login;
          },
          { required: true },
        ) ?? '',
      role:
        r.read(
          'role',
          (raw) =>
            ROLES[raw.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, '')] ??
            (fail('IMPORT_INVALID_ROLE', { value: raw }) as never),
          { required: true },
        ) ?? 'SALES_ASSOCIATE',
      store_ids:
        r.read(
          'stores',
          (raw) => [
            ...new Set(
              raw
                .split(/[|,，;；、]/)
                .map((x) => x.trim())
                .filter(Boolean)
                .map((x) => ctx.store(x).id),
            ),
          ],
          { required: true },
        ) ?? [],
      phone: r.read('phone', (raw) => normalizePhone(raw.normalize('NFKC')) ?? fail('INVALID_PHONE', { phone: raw })),
      email: r.read('email', parseEmail),
      active: r.read('active', parseYesNo),
      password: r.read('password', (raw) =>
        raw.length < 8 || raw.length > 200 ? fail('IMPORT_INVALID_PASSWORD') : raw,
      ),
    };
    return { value, problems: r.problems };
  },
  async stage(sql, rows) {
    // Hashed here, not in the row check: scrypt is deliberately slow, and only valid rows need it.
    const staged = [];
    for (const { password, ...row } of rows)
      staged.push({ ...row, password_hash: password ? await hashPassword(password) : null });
    await sql.query(
      `INSERT INTO ${STAGING} (row_no, new_id, name, login, role, store_ids, phone, email, active, password_hash,
                               by_login)
       SELECT u.row_no, u.new_id, u.name, u.login, u.role::"StaffRoleKind", u.store_ids, u.phone, u.email, u.active,
         u.password_hash, st.id
       FROM json_to_recordset($1::json) AS u(row_no int, new_id uuid, name text, login text, role text,
         store_ids uuid[], phone text, email text, active boolean, password_hash text)
       LEFT JOIN "Staff" st ON st.login = u.login`,
      [JSON.stringify(staged)],
    );
  },
  async check(sql) {
    return problemsOf(
      await sql.query(
        unionChecks(
          [
            duplicateRows(STAGING, ['login'], 'login'),
            `SELECT row_no, 'IMPORT_PASSWORD_REQUIRED', 'password', '{}'::json FROM ${STAGING}
             WHERE by_login IS NULL AND password_hash IS NULL`,
          ],
          MAX_LISTED_ERRORS + 1,
        ),
      ),
    );
  },
  async write(sql) {
    const roleChanged = `EXISTS (SELECT 1 FROM unnest(s.store_ids) sid WHERE NOT EXISTS (
        SELECT 1 FROM "StaffRole" r WHERE r."staffId" = s.by_login AND r."storeId" = sid AND r.role = s.role))`;
    const updated = await counted(
      sql,
      `UPDATE "Staff" st SET name = s.name, phone = coalesce(s.phone, st.phone), email = coalesce(s.email, st.email),
         active = coalesce(s.active, st.active), "updatedAt" = ${NOW_UTC}
       FROM ${STAGING} s WHERE st.id = s.by_login AND (s.name <> st.name
                                                       OR (s.phone IS NOT NULL AND s.phone IS DISTINCT FROM st.phone)
         OR (s.email IS NOT NULL AND s.email IS DISTINCT FROM st.email)
           OR (s.active IS NOT NULL AND s.active <> st.active) OR ${roleChanged})`,
    );
    const created = await counted(
      sql,
      `INSERT INTO "Staff" (id, name, login, phone, email, "passwordHash", active, "createdAt", "updatedAt")
       SELECT new_id, name, login, phone, email, password_hash, coalesce(active, true), ${NOW_UTC}, ${NOW_UTC}
       FROM ${STAGING} WHERE by_login IS NULL ORDER BY row_no`,
    );
    await sql.exec(`INSERT INTO "StaffRole" ("staffId", "storeId", role)
      SELECT coalesce(s.by_login, s.new_id), sid, s.role FROM ${STAGING} s CROSS JOIN LATERAL unnest(s.store_ids) sid
      ON CONFLICT ("staffId", "storeId") DO UPDATE SET role = EXCLUDED.role WHERE "StaffRole".role <> EXCLUDED.role`);
    const [{ n }] = (await sql.query(`SELECT count(*)::int AS n FROM ${STAGING}`)) as [{ n: number }];
    return { created, updated, unchanged: Number(n) - created - updated };
  },
};
