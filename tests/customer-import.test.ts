import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, productPrice, rawId, uniqueId } from './helpers/queries.ts';

// Everything goes through the HTTP endpoint and GraphQL, as a merchant's tool would. Phones are
// made up per test (prefix 199…) so that they never collide with the demo customers (138…).

type Report = {
  importId: string;
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  rowCount: number;
  errors: { row: number; column: string | null; code: string; message: string }[];
  errorCount: number;
  warnings: { row: number; column: string | null; code: string; message: string }[];
  encoding: string;
};

const PROFILE = `query($phone: String, $code: String, $id: ID) {
  customer(phone: $phone, memberCode: $code, id: $id) {
    id name phone email gender birthday sourceChannel tags notes homeStore { code }
    member { code joinedAt } consents { channel granted }
    visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt
    importedHistory { visitCount spend firstPurchaseAt lastPurchaseAt }
  }
}`;
const COUNT = `{ customers(first: 1) { totalCount } }`;

let t: TestApp;
let base: string;
let phoneSeq = 0;
/** A fresh mainland mobile number nobody in the database has. */
const newPhone = () => `199${String(process.pid % 1000).padStart(3, '0')}${String(++phoneSeq).padStart(5, '0')}`;
const csv = (...rows: (string | number)[][]) => rows.map((r) => r.map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';

beforeAll(async () => {
  t = await startTestApp({ app: { importMaxBytes: 256 * 1024 } });
  base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
});
afterAll(() => t?.close());

async function post(body: string | Uint8Array, options: { role?: 'OWNER' | 'MANAGER' | 'CASHIER'; query?: string; headers?: Record<string, string>; locale?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'text/csv', 'accept-language': options.locale ?? 'zh-CN', ...options.headers };
  if (options.role !== undefined || !('authorization' in headers || 'x-api-key' in headers)) {
    headers.authorization = `Bearer ${await t.token(options.role ?? 'OWNER')}`;
  }
  const res = await fetch(`${base}/imports/customers.csv${options.query ?? ''}`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Report & { errors: any[] } };
}

const profile = async (by: { phone?: string; code?: string; id?: string }) => (await t.as('OWNER').ok(PROFILE, by)).customer;
const count = async () => (await t.as('OWNER').ok(COUNT)).customers.totalCount as number;

describe('POST /imports/customers.csv', () => {
  it('creates customers from a merchant sheet in Chinese, with synonyms, normalising every field', async () => {
    const [p1, p2] = [newPhone(), newPhone()];
    const code = `OLD-${phoneSeq}`;
    const file = csv(
      ['客户姓名', '手机号码', '电子邮箱', '性别', '出生日期', '客户来源', '客户标签', '会员卡号', '所属门店', '短信授权', '微信营销授权', '备注', '喜欢的颜色'],
      ['王芳', `+86 ${p1.slice(0, 3)}-${p1.slice(3, 7)}-${p1.slice(7)}`, 'Wang.Fang@Example.COM', '女', '1990/5/3', '小程序', '母婴，VIP|新客', code, 'BJ-SLT', '是', '否', '喜欢红色', '红'],
      ['李雷', p2, '', '先生', '1985年12月1日', '', '', '', '', '', '', '', ''],
    );
    const before = await count();
    const res = await post(file, { query: '?fileName=老系统会员.csv' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, updated: 0, unchanged: 0, rowCount: 2, errors: [], dryRun: false, encoding: 'UTF-8' });
    expect(res.body.warnings).toEqual([{ row: 1, column: '喜欢的颜色', code: 'IMPORT_UNKNOWN_COLUMN', message: '未识别的列“喜欢的颜色”，已忽略' }]);
    expect(await count()).toBe(before + 2);

    const wang = await profile({ phone: p1 });
    expect(wang).toMatchObject({
      name: '王芳',
      phone: p1,
      email: 'wang.fang@example.com',
      gender: 'FEMALE',
      birthday: '1990-05-03',
      sourceChannel: 'MINI_PROGRAM',
      tags: ['母婴', 'VIP', '新客'],
      notes: '喜欢红色',
      homeStore: { code: 'BJ-SLT' },
      member: { code },
      visitCount: 0,
      lifetimeSpend: '0.00',
      importedHistory: null,
    });
    expect(wang.consents.sort((a: any, b: any) => a.channel.localeCompare(b.channel))).toEqual([
      { channel: 'SMS', granted: true },
      { channel: 'WECHAT', granted: false },
    ]);
    expect(await profile({ code })).toMatchObject({ id: wang.id });
    const li = await profile({ phone: p2 });
    expect(li).toMatchObject({ name: '李雷', gender: 'MALE', birthday: '1985-12-01', sourceChannel: 'IMPORT', member: null, email: null, tags: [] });
  });

  it('reads a GB18030 file as Excel in China saves it, and UTF-8 with or without a BOM', async () => {
    const [p1, p2, p3] = [newPhone(), newPhone(), newPhone()];
    const gbk = iconv.encode(csv(['姓名', '手机', '标签'], ['欧阳娜娜', p1, '会员日；生日月']), 'gb18030');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk)).toThrow(); // really not UTF-8
    const first = await post(gbk);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: 1, encoding: 'GB18030' });
    expect(await profile({ phone: p1 })).toMatchObject({ name: '欧阳娜娜', tags: ['会员日', '生日月'] });

    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv(['姓名', '手机'], ['张伟', p2]))]);
    expect((await post(withBom)).body).toMatchObject({ created: 1, encoding: 'UTF-8', warnings: [] });
    expect((await profile({ phone: p2 })).name).toBe('张伟');

    // A header in plain ASCII, the Chinese only far below: still seen as GB18030.
    const late = iconv.encode(csv(['name', 'phone', 'notes'], ...Array.from({ length: 2000 }, () => ['x', '', '']), ['赵敏', p3, '老顾客']).replace(/x,,\r\n/g, ''), 'gb18030');
    const res = await post(late);
    expect(res.body).toMatchObject({ created: 1, encoding: 'GB18030' });
    expect(await profile({ phone: p3 })).toMatchObject({ name: '赵敏', notes: '老顾客' });
  });

  it('re-imports its own export unchanged (zh and en), and a second import of any file changes nothing', async () => {
    const owner = `Bearer ${await t.token('OWNER')}`;
    for (const locale of ['zh-CN', 'en']) {
      const exported = new Uint8Array(await (await fetch(`${base}/exports/customers.csv`, { headers: { authorization: owner, 'accept-language': locale } })).arrayBuffer());
      const rows = parse(new TextDecoder().decode(exported)) as string[][];
      const before = await t.as('OWNER').ok(`{ customers(first: 200) { totalCount edges { node { id visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt tags member { code } } } } }`);
      const res = await post(exported, { locale });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ created: 0, updated: 0, unchanged: rows.length - 1, errors: [], warnings: [] });
      const after = await t.as('OWNER').ok(`{ customers(first: 200) { totalCount edges { node { id visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt tags member { code } } } } }`);
      expect(after).toEqual(before);
    }

    const phone = newPhone();
    const file = csv(['姓名', '手机号', '标签', '消费次数', '累计消费', '首次消费', '最近消费', '会员号'], ['周杰', phone, 'A|B', '7', '1,234.5', '2019-03-01', '2023-08-08 19:30', `RE-${phoneSeq}`]);
    expect((await post(file)).body).toMatchObject({ created: 1, updated: 0, unchanged: 0 });
    const once = await profile({ phone });
    const again = await post(file);
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(await profile({ phone })).toEqual(once);
  });
});
