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
const csv = (...rows: (string | number)[][]) =>
  `${rows
    .map((r) => r.map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : c)).join(','))
    .join('\r\n')}\r\n`;

beforeAll(async () => {
  t = await startTestApp({ app: { importMaxBytes: 256 * 1024 } });
  base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
});
afterAll(() => t?.close());

async function post(
  body: string | Buffer | Uint8Array<ArrayBuffer>,
  options: {
    role?: 'OWNER' | 'MANAGER' | 'CASHIER';
    query?: string;
    headers?: Record<string, string>;
    locale?: string;
  } = {},
) {
  const headers: Record<string, string> = {
    'content-type': 'text/csv',
    'accept-language': options.locale ?? 'zh-CN',
    ...options.headers,
  };
  if (options.role !== undefined || !('authorization' in headers || 'x-api-key' in headers)) {
    headers.authorization = `Bearer ${await t.token(options.role ?? 'OWNER')}`;
  }
  const res = await fetch(`${base}/imports/customers.csv${options.query ?? ''}`, {
    method: 'POST',
    headers,
    body: body as BodyInit,
  });
  return { status: res.status, body: (await res.json()) as Report & { errors: any[] } };
}

const profile = async (by: { phone?: string; code?: string; id?: string }) =>
  (await t.as('OWNER').ok(PROFILE, by)).customer;
const count = async () => (await t.as('OWNER').ok(COUNT)).customers.totalCount as number;

describe('POST /imports/customers.csv', () => {
  it('creates customers from a merchant sheet in Chinese, with synonyms, normalising every field', async () => {
    const [p1, p2] = [newPhone(), newPhone()];
    const code = `OLD-${phoneSeq}`;
    const file = csv(
      [
        '客户姓名',
        '手机号码',
        '电子邮箱',
        '性别',
        '出生日期',
        '客户来源',
        '客户标签',
        '会员卡号',
        '所属门店',
        '短信授权',
        '微信营销授权',
        '备注',
        '喜欢的颜色',
      ],
      [
        '王芳',
        `+86 ${p1.slice(0, 3)}-${p1.slice(3, 7)}-${p1.slice(7)}`,
        'Wang.Fang@Example.COM',
        '女',
        '1990/5/3',
        '小程序',
        '母婴，VIP|新客',
        code,
        'BJ-SLT',
        '是',
        '否',
        '喜欢红色',
        '红',
      ],
      ['李雷', p2, '', '先生', '1985年12月1日', '', '', '', '', '', '', '', ''],
    );
    const before = await count();
    const res = await post(file, { query: '?fileName=老系统会员.csv' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      created: 2,
      updated: 0,
      unchanged: 0,
      rowCount: 2,
      errors: [],
      dryRun: false,
      encoding: 'UTF-8',
    });
    expect(res.body.warnings).toEqual([
      { row: 1, column: '喜欢的颜色', code: 'IMPORT_UNKNOWN_COLUMN', message: '未识别的列“喜欢的颜色”，已忽略' },
    ]);
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
    expect(li).toMatchObject({
      name: '李雷',
      gender: 'MALE',
      birthday: '1985-12-01',
      sourceChannel: 'IMPORT',
      member: null,
      email: null,
      tags: [],
    });
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
    const late = iconv.encode(
      csv(['name', 'phone', 'notes'], ...Array.from({ length: 2000 }, () => ['x', '', '']), [
        '赵敏',
        p3,
        '老顾客',
      ]).replace(/x,,\r\n/g, ''),
      'gb18030',
    );
    const res = await post(late);
    expect(res.body).toMatchObject({ created: 1, encoding: 'GB18030' });
    expect(await profile({ phone: p3 })).toMatchObject({ name: '赵敏', notes: '老顾客' });
  });

  it('re-imports its own export unchanged (zh and en), and a second import of any file changes nothing', async () => {
    const owner = `Bearer ${await t.token('OWNER')}`;
    for (const locale of ['zh-CN', 'en']) {
      const exported = new Uint8Array(
        await (
          await fetch(`${base}/exports/customers.csv`, { headers: { authorization: owner, 'accept-language': locale } })
        ).arrayBuffer(),
      );
      const rows = parse(new TextDecoder().decode(exported)) as string[][];
      const before = await t.as('OWNER').ok(
        `{ customers(first: 200) { totalCount edges {
             node { id visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt tags member { code } } } } }`,
      );
      const res = await post(exported, { locale });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ created: 0, updated: 0, unchanged: rows.length - 1, errors: [], warnings: [] });
      const after = await t.as('OWNER').ok(
        `{ customers(first: 200) { totalCount edges {
             node { id visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt tags member { code } } } } }`,
      );
      expect(after).toEqual(before);
    }

    const phone = newPhone();
    const file = csv(
      ['姓名', '手机号', '标签', '消费次数', '累计消费', '首次消费', '最近消费', '会员号'],
      ['周杰', phone, 'A|B', '7', '1,234.5', '2019-03-01', '2023-08-08 19:30', `RE-${phoneSeq}`],
    );
    expect((await post(file)).body).toMatchObject({ created: 1, updated: 0, unchanged: 0 });
    const once = await profile({ phone });
    const again = await post(file);
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(await profile({ phone })).toEqual(once);
  });

  it('updates what a filled cell says, never erases with an empty one, adds tags and appends notes once', async () => {
    const phone = newPhone();
    await post(
      csv(
        ['姓名', '手机号', '邮箱', '性别', '标签', '备注', '短信营销授权'],
        ['陈静', phone, 'chen@example.com', '女', '老客', '过敏：花生', 'Y'],
      ),
    );
    const file = csv(
      ['姓名', '手机号', '邮箱', '性别', '生日', '标签', '备注', '短信营销授权'],
      ['陈静怡', phone, '', '未知', '1992-02-29', '母婴|老客', '喜欢红色', 'N'],
    );
    const res = await post(file);
    expect(res.body).toMatchObject({ created: 0, updated: 1, unchanged: 0, errors: [] });
    expect(await profile({ phone })).toMatchObject({
      name: '陈静怡', // filled: replaced
      email: 'chen@example.com', // empty: kept
      gender: 'FEMALE', // "unknown" says nothing
      birthday: '1992-02-29',
      tags: ['老客', '母婴'],
      notes: '过敏：花生\n喜欢红色',
      consents: [{ channel: 'SMS', granted: false }],
    });
    expect((await post(file)).body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect((await profile({ phone })).notes).toBe('过敏：花生\n喜欢红色');
  });

  it('writes nothing when a row is invalid, listing every problem with row, column and code (zh and en)', async () => {
    const [ok, bad] = [newPhone(), newPhone()];
    const file = csv(
      ['姓名', '手机号', '性别', '生日', '累计消费', '消费次数', '所属门店', '邮箱'],
      ['好人', ok, '女', '1990-01-01', '10.00', '1', 'BJ-SLT', ''],
      ['坏电话', '1234567', '', '', '', '', '', ''],
      ['坏数据', bad, '不男不女', '1990-02-30', '12.345', '-1', 'NOPE', 'not-an-email'],
      ['', newPhone(), '', '', '', '', '', ''],
      ['', '', '', '', '', '', '', ''],
      ['无钥匙', '', '', '', '', '', '', ''],
    );
    const before = await count();
    const zh = await post(file);
    expect(zh.status).toBe(422);
    const brief = zh.body.errors.map((e: any) => [e.row, e.column, e.code]);
    expect(brief).toEqual([
      [3, '手机号', 'INVALID_PHONE'],
      [4, '所属门店', 'IMPORT_UNKNOWN_STORE'],
      [4, '邮箱', 'IMPORT_INVALID_EMAIL'],
      [4, '性别', 'IMPORT_INVALID_GENDER'],
      [4, '生日', 'IMPORT_INVALID_DATE'],
      [4, '消费次数', 'IMPORT_INVALID_COUNT'],
      [4, '累计消费', 'IMPORT_INVALID_AMOUNT'],
      [5, '姓名', 'IMPORT_NAME_REQUIRED'],
      [7, null, 'IMPORT_NO_KEY'],
    ]);
    expect(zh.body).toMatchObject({ created: 0, updated: 0, unchanged: 0, errorCount: 9, rowCount: 5 });
    expect(zh.body.errors[0].message).toBe('手机号格式不正确，应为 11 位中国大陆手机号');
    expect(zh.body.errors[4].message).toBe(
      '无法识别的日期：1990-02-30（可填 2024-05-01、2024/5/1、2024年5月1日，可带时间 14:30）',
    );
    expect(await count()).toBe(before);
    expect(await profile({ phone: ok })).toBeNull(); // the valid row was not written either

    const en = await post(file, { locale: 'en' });
    expect(en.status).toBe(422);
    expect(en.body.errors.map((e: any) => [e.row, e.column, e.code])).toEqual(brief);
    expect(en.body.errors.find((e: any) => e.code === 'IMPORT_INVALID_AMOUNT')!.message).toBe(
      'Not a valid amount: 12.345 (0 or more, at most two decimals)',
    );
    expect(en.body.errors.find((e: any) => e.code === 'IMPORT_NAME_REQUIRED')!.message).toBe(
      'A new customer needs a name',
    );
  });

  it('refuses a file without a phone or member code column, with duplicate columns or unbalanced quotes', async () => {
    const noKey = await post(csv(['姓名', '邮箱'], ['某人', 'a@b.cn']));
    expect(noKey.status).toBe(422);
    expect(noKey.body.errors).toMatchObject([{ row: 1, column: null, code: 'IMPORT_NO_KEY_COLUMN' }]);
    const twice = await post(csv(['姓名', '手机', '手机号码'], ['某人', newPhone(), newPhone()]), { locale: 'en' });
    expect(twice.body.errors).toEqual([
      {
        row: 1,
        column: '手机号码',
        code: 'IMPORT_DUPLICATE_COLUMN',
        message: 'Columns "手机号码" and "手机" mean the same field; keep one',
      },
    ]);
    const quotes = await post(`姓名,手机号\r\n甲,${newPhone()}\r\n"乙,${newPhone()}\r\n`);
    expect(quotes.status).toBe(422);
    expect(quotes.body.errors).toMatchObject([{ row: 3, code: 'IMPORT_BAD_QUOTES' }]);
    expect((await post('')).body.errors).toMatchObject([{ row: 1, code: 'IMPORT_EMPTY_FILE' }]);
  });

  it('dry run: checks and counts what would happen, writes and announces nothing, is recorded as such', async () => {
    const [p1, p2] = [newPhone(), newPhone()];
    const announced: unknown[] = [];
    t.app.services.events.on('customer.imported', (e) => void announced.push(e));
    const applied = await post(csv(['姓名', '手机号'], ['已有', p1]));
    expect(announced).toEqual([{ importId: applied.body.importId, created: 1, updated: 0, unchanged: 0 }]);
    const file = csv(['姓名', '手机号', '会员卡号'], ['已有', p1, `DRY-${phoneSeq}`], ['新人', p2, '']);
    const before = await count();
    const res = await post(file, { query: '?dryRun=true&fileName=check.csv' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, created: 1, updated: 1, unchanged: 0, errors: [] });
    expect(announced).toHaveLength(1);
    expect(await count()).toBe(before);
    expect(await profile({ phone: p2 })).toBeNull();
    expect((await profile({ phone: p1 })).member).toBeNull();
    const history = await t
      .as('MANAGER')
      .ok(`{ customerImports(first: 1) { edges { node { id dryRun outcome fileName created updated rowCount } } } }`);
    expect(history.customerImports.edges[0].node).toEqual({
      id: expect.any(String),
      dryRun: true,
      outcome: 'CHECKED',
      fileName: 'check.csv',
      created: 1,
      updated: 1,
      rowCount: 2,
    });
    expect(rawId(history.customerImports.edges[0].node.id)).toBe(res.body.importId);

    const invalid = await post(csv(['姓名', '手机号'], ['x', '123']), { query: '?dryRun=true' });
    expect(invalid.status).toBe(422);
    expect(invalid.body.dryRun).toBe(true);
  });

  it('reports rows that name the same phone, member code or customer, naming both rows', async () => {
    const [p1, p2, p3] = [newPhone(), newPhone(), newPhone()];
    const existing = await post(csv(['姓名', '手机号', '会员卡号'], ['老会员', p3, `DUP-${phoneSeq}`]));
    expect(existing.body.created).toBe(1);
    const file = csv(
      ['姓名', '手机号', '会员卡号'],
      ['甲', p1, 'CARD-0001'],
      ['乙', p2, ''],
      ['丙', p1.replace(/^(\d{3})/, '$1 '), 'CARD-0001'],
      ['丁', '', `DUP-${phoneSeq}`], // the card of the customer on the next row
      ['戊', p3, ''],
    );
    const res = await post(file);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: any) => [e.row, e.column, e.code, e.message])).toEqual([
      [4, '手机号', 'IMPORT_DUPLICATE_PHONE', `手机号 ${p1} 与第 2 行重复`],
      [4, '会员卡号', 'IMPORT_DUPLICATE_MEMBER_CODE', '会员卡号 CARD-0001 与第 2 行重复'],
      [6, null, 'IMPORT_SAME_CUSTOMER', '与第 5 行是同一位顾客（手机号、会员卡号或顾客编号相同），请合并为一行'],
    ]);
    expect(await profile({ phone: p1 })).toBeNull();
  });

  it('reads the tab-separated UTF-16 text Excel saves as "Unicode text"', async () => {
    const phone = newPhone();
    const text = ['姓名\t手机号\t标签', `诸葛亮\t${phone}\t军师`].join('\r\n');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const res = await post(utf16);
    expect(res.body).toMatchObject({ created: 1, encoding: 'UTF-16LE' });
    expect(await profile({ phone })).toMatchObject({ name: '诸葛亮', tags: ['军师'] });
  });

  it('refuses a row whose customer id and phone name two different customers', async () => {
    const [p1, p2] = [newPhone(), newPhone()];
    await post(csv(['姓名', '手机号'], ['甲', p1], ['乙', p2]));
    const first = await profile({ phone: p1 });
    const res = await post(csv(['顾客编号', '姓名', '手机号'], [rawId(first.id), '甲', p2]), { locale: 'en' });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      {
        row: 2,
        column: '顾客编号',
        code: 'IMPORT_CUSTOMER_ID_CONFLICT',
        message: "The customer id names a different customer than this row's phone number or member code",
      },
    ]);
    expect((await profile({ phone: p2 })).name).toBe('乙');
  });
});

describe('member codes', () => {
  it('enrol new and existing customers with the code given, and refuse codes that clash', async () => {
    const [p1, p2, p3, p4] = [newPhone(), newPhone(), newPhone(), newPhone()];
    await post(csv(['姓名', '手机号'], ['未入会', p2], ['有卡', p3]));
    const enrolled = await t.as('OWNER').ok(
      `mutation($id: ID!) { enrollMember(input: { customerId: $id, code: "HAS-${phoneSeq}" }) {
           ... on Member { code } } }`,
      {
        id: (await profile({ phone: p3 })).id,
      },
    );
    expect(enrolled.enrollMember.code).toBe(`HAS-${phoneSeq}`);

    const res = await post(
      csv(
        ['姓名', '手机号', '会员卡号', '入会日期', '所属门店'],
        ['新会员', p1, `NEW-${phoneSeq}`, '2020-06-01', '北京三里屯店'],
        ['', p2, `LATE-${phoneSeq}`, '', ''],
      ),
    );
    expect(res.body).toMatchObject({ created: 1, updated: 1, errors: [] });
    const fresh = await profile({ code: `NEW-${phoneSeq}` });
    expect(fresh).toMatchObject({ phone: p1, homeStore: { code: 'BJ-SLT' } });
    expect(fresh.member.joinedAt).toBe('2020-05-31T16:00:00.000Z'); // midnight in Beijing
    expect((await profile({ phone: p2 })).member.code).toBe(`LATE-${phoneSeq}`);

    // A phone and a card of two different customers, and a second card for a customer who has one.
    const clash = await post(
      csv(
        ['姓名', '手机号', '会员卡号'],
        ['冒用', p2, `NEW-${phoneSeq}`],
        ['换卡', p3, `OTHER-${phoneSeq}`],
        ['无辜', p4, `FINE-${phoneSeq}`],
      ),
    );
    expect(clash.status).toBe(422);
    expect(clash.body.errors.map((e: any) => [e.row, e.column, e.code, e.message])).toEqual([
      [2, '会员卡号', 'IMPORT_MEMBER_CODE_TAKEN', `会员卡号 NEW-${phoneSeq} 属于另一位顾客，不是本行手机号对应的顾客`],
      [
        3,
        '会员卡号',
        'IMPORT_MEMBER_CODE_DIFFERS',
        `该顾客已有会员卡号 HAS-${phoneSeq}，与文件中的 OTHER-${phoneSeq} 不同`,
      ],
    ]);
    expect(await profile({ phone: p4 })).toBeNull();
    expect((await profile({ phone: p2 })).member.code).toBe(`LATE-${phoneSeq}`);
  });

  it('a row found only by its member code updates that member', async () => {
    const [p1, p2] = [newPhone(), newPhone()];
    const code = `BYCODE-${phoneSeq}`;
    await post(csv(['姓名', '手机号', '会员卡号'], ['卡主', p1, code]));
    const res = await post(csv(['会员卡号', '手机号', '邮箱'], [code, p2, 'card@example.com']));
    expect(res.body).toMatchObject({ created: 0, updated: 1 });
    expect(await profile({ code })).toMatchObject({ name: '卡主', phone: p2, email: 'card@example.com' });
    expect(await profile({ phone: p1 })).toBeNull();
  });
});

describe('access', () => {
  it('is refused to cashiers, POS keys and callers without credentials, and nothing is written', async () => {
    const phone = newPhone();
    const file = csv(['姓名', '手机号'], ['越权', phone]);
    const cashier = await post(file, { role: 'CASHIER' });
    expect(cashier.status).toBe(403);
    expect(cashier.body.errors[0]).toEqual({ message: '当前账号无权执行此操作', extensions: { code: 'FORBIDDEN' } });
    expect((await post(file, { headers: { 'x-api-key': t.posKey } })).status).toBe(403);
    const anonymous = await fetch(`${base}/imports/customers.csv`, {
      method: 'POST',
      body: file,
      headers: { 'accept-language': 'en' },
    });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await profile({ phone })).toBeNull();

    const manager = await post(file, { role: 'MANAGER' });
    expect(manager.status).toBe(200);
    expect(manager.body.created).toBe(1);
  });

  it('lists the import history to owners and managers only, with who sent which file', async () => {
    await post(csv(['姓名', '手机号'], ['历史', newPhone()]), {
      role: 'MANAGER',
      headers: { 'x-file-name': encodeURIComponent('三月会员.csv') },
    });
    const q = `{ customerImports(first: 1) { totalCount edges
      { node { importedBy staff { name } fileName encoding outcome dryRun created updated unchanged errorCount rowCount
        } } } }`;
    const data = await t.as('OWNER').ok(q);
    expect(data.customerImports.totalCount).toBeGreaterThan(1);
    expect(data.customerImports.edges[0].node).toMatchObject({
      fileName: '三月会员.csv',
      encoding: 'UTF-8',
      outcome: 'APPLIED',
      dryRun: false,
      created: 1,
      updated: 0,
      unchanged: 0,
      errorCount: 0,
      rowCount: 1,
    });
    expect(data.customerImports.edges[0].node.staff.name).toBe(data.customerImports.edges[0].node.importedBy);
    const cashier = await t.as('CASHIER').gql(q);
    expect(cashier.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses files past the size limit (413) and multipart forms (415)', async () => {
    const big = csv(
      ['姓名', '手机号'],
      ...Array.from({ length: 12_000 }, (_, i) => ['很长的名字很长的名字', `199${String(i).padStart(8, '0')}`]),
    );
    expect(Buffer.byteLength(big)).toBeGreaterThan(256 * 1024);
    const before = await count();
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(res.body.errors[0].extensions.code).toBe('IMPORT_TOO_LARGE');
    // Also when streamed without a length announced up front.
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await fetch(`${base}/imports/customers.csv`, {
      method: 'POST',
      body: chunks,
      headers: { authorization: `Bearer ${await t.token('OWNER')}` },
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await count()).toBe(before);
    const form = await post('x', { headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    expect(form.status).toBe(415);
  });
});

describe('merged customers', () => {
  it('a row naming a merged record (its id or its card) updates the survivor', async () => {
    const [pa, pb] = [newPhone(), newPhone()];
    await post(
      csv(['姓名', '手机号', '会员卡号'], ['留下的', pa, `KEEP-${phoneSeq}`], ['并掉的', pb, `GONE-${phoneSeq}`]),
    );
    const [a, b] = [await profile({ phone: pa }), await profile({ phone: pb })];
    const merged = await t.as('OWNER').ok(
      `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { ... on Customer { id }
           ... on UserError { errorCode } } }`,
      {
        a: a.id,
        b: b.id,
      },
    );
    expect(merged.mergeCustomers.id).toBe(a.id);

    // An old export still lists the merged record by its id; an old sheet lists its cancelled card.
    const res = await post(csv(['顾客编号', '姓名', '标签'], [rawId(b.id), '并掉的', '旧导出']));
    expect(res.body).toMatchObject({ created: 0, updated: 1, errors: [] });
    const byCard = await post(csv(['会员卡号', '标签'], [`GONE-${phoneSeq}`, '旧卡']));
    expect(byCard.body).toMatchObject({ created: 0, updated: 1, errors: [] });
    const survivor = await profile({ id: a.id });
    expect(survivor).toMatchObject({ name: '并掉的', tags: ['旧导出', '旧卡'], member: { code: `KEEP-${phoneSeq}` } });
    const tombstone = await t
      .as('OWNER')
      .ok(`query($id: ID!) { node(id: $id) { ... on Customer { tags mergedInto { id } } } }`, { id: b.id });
    expect(tombstone.node).toEqual({ tags: [], mergedInto: { id: a.id } });
  });
});

describe('purchase figures', () => {
  it('imported history is a baseline: later sales add to it, a re-import replaces it, a merge adds both', async () => {
    const [p1, p2] = [newPhone(), newPhone()];
    const file = (visits: string, spend: string) =>
      csv(
        ['姓名', '手机号', '消费次数', '累计消费', '首次消费', '最近消费'],
        ['老顾客', p1, visits, spend, '2018-01-15', '2024-03-02 18:00'],
        ['另一位', p2, '2', '99.90', '2020-01-01', '2020-02-01'],
      );
    expect((await post(file('10', '¥1,000.50'))).body).toMatchObject({ created: 2 });
    const imported = await profile({ phone: p1 });
    expect(imported).toMatchObject({
      visitCount: 10,
      lifetimeSpend: '1000.50',
      firstPurchaseAt: '2018-01-14T16:00:00.000Z',
      lastPurchaseAt: '2024-03-02T10:00:00.000Z',
      importedHistory: {
        visitCount: 10,
        spend: '1000.50',
        firstPurchaseAt: '2018-01-14T16:00:00.000Z',
        lastPurchaseAt: '2024-03-02T10:00:00.000Z',
      },
    });

    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const price = await productPrice(t, 'SN-001');
    const sale = await t.gql(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId('IMP'),
          customerId: imported.id,
          lines: [{ sku: 'SN-001', quantity: 1 }],
          payments: [{ method: 'CASH', amount: price }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(sale.data.recordSale.__typename).toBe('RecordSalePayload');
    const cents = (m: string) => Math.round(Number(m) * 100);
    const money = (c: number) => (c / 100).toFixed(2);
    const afterSale = await profile({ phone: p1 });
    expect(afterSale.visitCount).toBe(11);
    expect(afterSale.lifetimeSpend).toBe(money(100050 + cents(price)));
    expect(afterSale.firstPurchaseAt).toBe('2018-01-14T16:00:00.000Z');
    expect(afterSale.lastPurchaseAt > '2024-03-02T10:00:00.000Z').toBe(true);
    expect(afterSale.importedHistory.visitCount).toBe(10);

    // The same file again changes nothing; corrected figures replace the baseline, sales stay counted.
    expect((await post(file('10', '1000.50'))).body).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect((await post(file('12', '1200'))).body).toMatchObject({ updated: 1, unchanged: 1 });
    const corrected = await profile({ phone: p1 });
    expect(corrected).toMatchObject({
      visitCount: 13,
      lifetimeSpend: money(120000 + cents(price)),
      lastPurchaseAt: afterSale.lastPurchaseAt,
    });

    // Our own export read back (rows carry our customer ids) does not count the sales again.
    const exported = await (
      await fetch(`${base}/exports/customers.csv?query=${p1}`, {
        headers: { authorization: `Bearer ${await t.token('OWNER')}` },
      })
    ).text();
    expect((await post(exported)).body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(await profile({ phone: p1 })).toEqual(corrected);

    // A merge adds both histories up, and recomputing from sales keeps them.
    const other = await profile({ phone: p2 });
    await t
      .as('OWNER')
      .ok(`mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { ... on Customer { id } } }`, {
        a: corrected.id,
        b: other.id,
      });
    const survivor = await profile({ id: corrected.id });
    expect(survivor).toMatchObject({
      visitCount: 15,
      lifetimeSpend: money(120000 + 9990 + cents(price)),
      firstPurchaseAt: '2018-01-14T16:00:00.000Z',
      lastPurchaseAt: afterSale.lastPurchaseAt,
      importedHistory: { visitCount: 14, spend: money(120000 + 9990) },
    });
  });
});
