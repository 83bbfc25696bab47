import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { newMember, pointsOf } from './helpers/loyalty.ts';
import { onHand } from './helpers/queries.ts';
import { postImport, problems, readWorkbook, workbook } from './helpers/workbook.ts';

// Every file goes through POST /imports/<kind> over HTTP, as a merchant's tool would send it, and
// everything is checked through GraphQL or the downloads. SKUs, logins and receipts are made up
// per file so that they never collide with the demo data.

let t: TestApp;
let base: string;
let store: string;
let owner: string;

beforeAll(async () => {
  t = await startTestApp({ plugins: [pointsPlugin({ expiryMonths: 12 }), tiersPlugin({ reviewMonths: 12 })] });
  base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
  store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  owner = await t.token('OWNER');
  const create = `mutation($input: TierInput!) { createTier(input: $input) { __typename } }`;
  for (const input of [
    { code: 'REGULAR', name: '普通会员', rank: 0 },
    { code: 'SILVER', name: '银卡会员', rank: 1, minSpend: '500.00' },
    { code: 'GOLD', name: '金卡会员', rank: 2, minSpend: '2000.00' },
  ])
    await t.as('OWNER').ok(create, { input });
});
afterAll(() => t?.close());

const csv = (...rows: (string | number)[][]) => `${rows.map((r) => r.join(',')).join('\r\n')}\r\n`;
const countProducts = async () =>
  (await t.as('OWNER').ok(`{ products(first: 500) { edges { node { sku } } } }`)).products.edges.length;
const product = async (sku: string) =>
  (
    await t
      .as('OWNER')
      .ok(`query($s: String!) { product(sku: $s) { sku barcode name category price cost active } }`, { s: sku })
  ).product;

describe('kinds and templates', () => {
  it('lists every kind, core and plugins, in the order a migration imports them', async () => {
    const r = await t
      .as('MANAGER')
      .ok(`{ importKinds { name title permission resumable templateUrl columns { header required } } }`);
    expect(r.importKinds.map((k: { name: string }) => k.name)).toEqual([
      'staff',
      'products',
      'customers',
      'opening-stock',
      'points-balances',
      'member-tiers',
      'sales-history',
    ]);
    const sales = r.importKinds.find((k: { name: string }) => k.name === 'sales-history');
    expect(sales).toMatchObject({ title: '销售明细（历史）', permission: 'data:import', resumable: true });
    expect(sales.columns.slice(0, 3)).toEqual([
      { header: '门店', required: true },
      { header: '单号', required: true },
      { header: '销售时间', required: true },
    ]);
  });

  it('serves each template as a workbook: Chinese headers, example rows, codes as text, instructions', async () => {
    for (const kind of [
      'staff',
      'products',
      'customers',
      'opening-stock',
      'points-balances',
      'member-tiers',
      'sales-history',
    ]) {
      const res = await fetch(`${base}/imports/templates/${kind}.xlsx`);
      expect(res.status, kind).toBe(200);
      expect(res.headers.get('content-type')).toContain('spreadsheetml');
      const book = await readWorkbook(await res.arrayBuffer());
      const [data, help] = book.worksheets;
      expect(data!.rowCount, kind).toBeGreaterThanOrEqual(3); // header and at least two examples
      expect(help!.name).toBe('填写说明');
    }
    const book = await readWorkbook(await (await fetch(`${base}/imports/templates/products.xlsx`)).arrayBuffer());
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      '商品编码*',
      '条码',
      '商品名称',
      '分类',
      '售价',
      '成本价',
      '在售',
    ]);
    expect(sheet.getCell('A3').value).toBe('00012'); // a code with a leading zero, kept as text
    expect(sheet.getColumn(1).numFmt).toBe('@');
    const en = await readWorkbook(await (await fetch(`${base}/imports/templates/products.xlsx?lang=en`)).arrayBuffer());
    expect(en.worksheets[0]!.getRow(1).values).toContain('SKU*');
    const text = await (await fetch(`${base}/imports/templates/staff.csv`)).text();
    expect(text.split('\r\n')[0] ?? text.split('\n')[0]).toContain('姓名*,登录账号*,角色*,门店*');
    expect((await fetch(`${base}/imports/templates/nothing.xlsx`)).status).toBe(404);
  });

  it('imports a filled-in template as it is (after removing nothing but the examples’ clashes)', async () => {
    const template = await (await fetch(`${base}/imports/templates/products.xlsx`)).arrayBuffer();
    const r = await postImport(base, 'products', Buffer.from(template), owner, { dryRun: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'products', format: 'XLSX', rowCount: 2, errorCount: 0 });
  });
});

describe('files with deliberate errors: every bad row with its reason, nothing written', () => {
  it('products', async () => {
    const taken = (await product('SN-001')).barcode;
    const before = await countProducts();
    const file = await workbook(
      [
        ['商品编码', '条码', '商品名称', '分类', '售价', '成本价', '在售'],
        ['ERR-P001', '6900000000017', '测试商品甲', '零食', 5.5, 3, '是'],
        ['ERR-P001', '', '重复的编码', '零食', 1, '', ''],
        ['ERR P002', '', '编码有空格', '零食', 1, '', ''],
        ['ERR-P003', '', '价格不对', '零食', 'abc', '', ''],
        ['ERR-P004', '', '状态不对', '零食', 9.9, '', '也许'],
        ['ERR-P005', '', '缺分类', '', 3, '', ''],
        ['ERR-P006', taken, '条码被占用', '零食', 3, '', ''],
      ],
      { textColumns: [0, 1] },
    );
    const r = await postImport(base, 'products', file, owner);
    expect(r.status).toBe(422);
    expect(problems(r.body)).toEqual([
      [3, '商品编码', 'IMPORT_DUPLICATE_VALUE'],
      [4, '商品编码', 'IMPORT_INVALID_CODE'],
      [5, '售价', 'IMPORT_INVALID_AMOUNT'],
      [6, '在售', 'IMPORT_INVALID_YES_NO'],
      [7, '分类', 'IMPORT_REQUIRED_FOR_NEW'],
      [8, '条码', 'IMPORT_BARCODE_TAKEN'],
    ]);
    expect(r.body.errors[0]!.message).toBe('“ERR-P001”与第 2 行重复');
    expect(r.body.errors[5]!.message).toContain('SN-001');
    expect(await countProducts()).toBe(before);
    const en = await postImport(base, 'products', file, owner, { locale: 'en' });
    expect(en.body.errors[0]!.message).toBe('"ERR-P001" repeats row 2');
  });

  it('opening stock', async () => {
    const file = csv(
      ['门店', '商品编码', '期初数量'],
      ['BJ-SLT', 'SN-001', 10],
      ['BJ-SLT', 'SN-001', 5],
      ['NOPE', 'SN-002', 3],
      ['BJ-SLT', 'NO-SUCH-SKU', 3],
      ['BJ-SLT', 'SN-002', -4],
      ['BJ-SLT', 'SN-003', ''],
    );
    const before = await onHand(t, store, 'SN-001');
    const r = await postImport(base, 'opening-stock', file, owner);
    expect(r.status).toBe(422);
    expect(problems(r.body)).toEqual([
      [3, '商品编码', 'IMPORT_DUPLICATE_VALUE'],
      [4, '门店', 'IMPORT_UNKNOWN_STORE'],
      [5, '商品编码', 'IMPORT_UNKNOWN_SKU'],
      [6, '期初数量', 'IMPORT_INVALID_COUNT'],
      [7, '期初数量', 'IMPORT_REQUIRED'],
    ]);
    expect(await onHand(t, store, 'SN-001')).toBe(before);
  });

  it('customers and members', async () => {
    const r = await postImport(
      base,
      'customers',
      await workbook([
        ['手机号', '姓名', '会员号', '生日'],
        ['13912345001', '错误测试甲', 'ERRVIP001', '1990-05-03'],
        ['1391234', '手机号太短', '', ''],
        ['13912345003', '生日不对', '', '1990-13-01'],
        ['13912345004', '', 'ERRVIP001', ''],
      ]),
      owner,
    );
    expect(r.status).toBe(422);
    expect(problems(r.body)).toEqual([
      [3, '手机号', 'INVALID_PHONE'],
      [4, '生日', 'IMPORT_INVALID_DATE'],
      [5, '会员号', 'IMPORT_DUPLICATE_MEMBER_CODE'],
    ]);
    expect((await t.as('OWNER').ok(`{ customer(phone: "13912345001") { id } }`)).customer).toBeNull();
  });

  it('points balances', async () => {
    const a = await newMember(t, '积分错误甲');
    const b = await newMember(t, '积分错误乙');
    const r = await postImport(
      base,
      'points-balances',
      await workbook([
        ['会员号', '手机号', '积分余额', '到期日'],
        [a.memberCode, '', 100, ''],
        ['NOPE-404', '', 50, ''],
        ['', '', 10, ''],
        [b.memberCode, '', -5, ''],
        [a.memberCode, '', 30, ''],
        [b.memberCode, '', 10, '2020-01-01'],
        ['', '19900000000', 10, ''],
      ]),
      owner,
    );
    expect(r.status).toBe(422);
    expect(problems(r.body)).toEqual([
      [3, '会员号', 'IMPORT_UNKNOWN_MEMBER'],
      [4, null, 'IMPORT_NO_KEY'],
      [5, '积分余额', 'IMPORT_INVALID_COUNT'],
      [6, '会员号', 'IMPORT_DUPLICATE_VALUE'],
      [7, '到期日', 'IMPORT_POINTS_EXPIRED'],
      [8, '手机号', 'IMPORT_UNKNOWN_CUSTOMER'],
    ]);
    expect(await pointsOf(t, a.customerId)).toMatchObject({ balance: 0 });
  });

  it('member tiers', async () => {
    const a = await newMember(t, '等级错误甲');
    const r = await postImport(
      base,
      'member-tiers',
      csv(
        ['会员号', '会员等级', '达到日期'],
        [a.memberCode, '金卡会员', '2025-03-10'],
        [a.memberCode, 'PLATINUM', '2025-03-10'],
        ['NOPE-1', 'GOLD', '2030-01-01'],
      ),
      owner,
    );
    expect(r.status).toBe(422);
    expect(problems(r.body)).toEqual([
      [3, '会员等级', 'IMPORT_UNKNOWN_TIER'],
      [4, '达到日期', 'IMPORT_DATE_IN_FUTURE'],
    ]);
    const tier = await t
      .as('OWNER')
      .ok(`query($id: ID!) { customer(id: $id) { tier { tier { code } } } }`, { id: a.customerId });
    expect(tier.customer.tier).toBeNull();
  });

  it('sales history', async () => {
    const a = await newMember(t, '销售错误甲');
    const file = await workbook([
      ['门店', '单号', '销售时间', '商品编码', '数量', '单价', '优惠金额', '会员号', '支付方式'],
      ['BJ-SLT', 'ERR-H1', '2025-03-01 10:00', 'SN-001', 1, 10, 0, a.memberCode, '微信'],
      ['BJ-SLT', 'ERR-H1', '2025-03-01 10:05', 'SN-002', 1, 5, 0, a.memberCode, '微信'],
      ['BJ-SLT', 'ERR-H2', '2025-03-02 10:00', 'NO-SUCH-SKU', 1, 5, 0, '', ''],
      ['BJ-SLT', 'ERR-H3', '2025-03-02 11:00', 'SN-001', 0, 5, 0, '', ''],
      ['BJ-SLT', 'ERR-H4', '2025-03-02 12:00', 'SN-001', 1, 5, 6, '', ''],
      ['BJ-SLT', 'ERR-H5', '2030-01-01 10:00', 'SN-001', 1, 5, 0, '', ''],
      ['BJ-SLT', 'ERR-H6', '2025-03-03 10:00', 'SN-001', 1, 5, 0, 'NOPE-1', ''],
      ['BJ-SLT', 'ERR-H7', '2025-03-03 10:00', 'SN-001', 1, 5, 0, '', '比特币'],
    ]);
    const r = await postImport(base, 'sales-history', file, owner);
    expect(r.status).toBe(422);
    expect(problems(r.body)).toEqual([
      [3, '销售时间', 'IMPORT_SALE_LINES_DISAGREE'],
      [4, '商品编码', 'IMPORT_UNKNOWN_SKU'],
      [5, '数量', 'IMPORT_INVALID_QUANTITY'],
      [6, '优惠金额', 'IMPORT_DISCOUNT_TOO_LARGE'],
      [7, '销售时间', 'IMPORT_DATE_IN_FUTURE'],
      [8, '会员号', 'IMPORT_UNKNOWN_MEMBER'],
      [9, '支付方式', 'IMPORT_INVALID_PAYMENT_METHOD'],
    ]);
    expect(r.body.errors[0]!.message).toBe('与同一单（ERR-H1）第 2 行填写的不一致');
    const sales = await t.as('OWNER').ok(`query($id: ID!) { customer(id: $id) { visitCount } }`, { id: a.customerId });
    expect(sales.customer.visitCount).toBe(0);
  });

  it('staff', async () => {
    const r = await postImport(
      base,
      'staff',
      csv(
        ['姓名', '登录账号', '角色', '门店', '初始密码'],
        ['周测试', '13911110001', '导购', 'BJ-SLT', 'Welcome-2026'],
        ['吴测试', '13911110001', '导购', 'BJ-SLT', 'Welcome-2026'],
        ['郑测试', '13911110003', '保安', 'BJ-SLT', 'Welcome-2026'],
        ['王测试', '13911110004', '店长', 'NOPE', 'Welcome-2026'],
        ['冯测试', '13911110005', '收银员', 'BJ-SLT', ''],
        ['陈测试', '13911110006', '收银员', 'BJ-SLT', 'short'],
      ),
      owner,
    );
    expect(r.status).toBe(422);
    expect(problems(r.body)).toEqual([
      [3, '登录账号', 'IMPORT_DUPLICATE_VALUE'],
      [4, '角色', 'IMPORT_INVALID_ROLE'],
      [5, '门店', 'IMPORT_UNKNOWN_STORE'],
      [6, '初始密码', 'IMPORT_PASSWORD_REQUIRED'],
      [7, '初始密码', 'IMPORT_INVALID_PASSWORD'],
    ]);
    const signIn = await t.ok(`mutation { signIn(login: "13911110001", password: "Welcome-2026") { __typename } }`);
    expect(signIn.signIn.__typename).not.toBe('SignInPayload');
  });

  it('a file missing a required column or unreadable as a workbook', async () => {
    const missing = await postImport(base, 'products', csv(['商品名称', '售价'], ['无编码', 1]), owner);
    expect(missing.status).toBe(422);
    expect(problems(missing.body)).toEqual([[1, null, 'IMPORT_MISSING_COLUMN']]);
    const broken = await postImport(
      base,
      'products',
      Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]),
      owner,
    );
    expect(broken.status).toBe(422);
    expect(problems(broken.body)).toEqual([[1, null, 'IMPORT_MALFORMED_XLSX']]);
  });
});

describe('writing each kind', () => {
  it('products: creates, then updates only filled cells; codes keep their zeros; resent, no change', async () => {
    const file = await workbook(
      [
        ['SKU', 'Barcode', 'Name', 'Category', 'Price', 'Cost', 'Active'],
        ['00077', '0690000000771', '进口燕麦片', '早餐', 25.8, 16.2, 'Y'],
        ['IMP-P100', 6900000001002, '酸奶 100g', '乳制品', 3.5, '', ''],
      ],
      { textColumns: [0, 1] },
    );
    const dry = await postImport(base, 'products', file, owner, { dryRun: true });
    expect(dry.body).toMatchObject({ dryRun: true, created: 2, errorCount: 0 });
    expect(await product('00077')).toBeNull();
    const first = await postImport(base, 'products', file, owner);
    expect(first.body).toMatchObject({ created: 2, updated: 0, unchanged: 0, format: 'XLSX' });
    expect(await product('00077')).toEqual({
      sku: '00077',
      barcode: '0690000000771',
      name: '进口燕麦片',
      category: '早餐',
      price: '25.80',
      cost: '16.20',
      active: true,
    });
    expect((await product('IMP-P100')).barcode).toBe('6900000001002'); // a number cell, every digit kept
    expect((await postImport(base, 'products', file, owner)).body).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 2,
    });
    const change = await postImport(
      base,
      'products',
      csv(['商品编码', '售价', '在售'], ['00077', '23.80', '否']),
      owner,
    );
    expect(change.body).toMatchObject({ created: 0, updated: 1 });
    expect(await product('00077')).toMatchObject({ price: '23.80', active: false, name: '进口燕麦片', cost: '16.20' });
  });

  it('opening stock: one opening-balance movement per SKU; a corrected file moves by the difference', async () => {
    const storeTwo = t.stores.find((s) => s.code !== 'BJ-SLT')!;
    const before = await onHand(t, storeTwo.id, 'SN-004');
    const file = csv(['门店', '商品编码', '期初数量', '安全库存'], [storeTwo.code, 'SN-004', 40, 8]);
    expect((await postImport(base, 'opening-stock', file, owner)).body).toMatchObject({ created: 1 });
    expect(await onHand(t, storeTwo.id, 'SN-004')).toBe(before + 40);
    expect((await postImport(base, 'opening-stock', file, owner)).body).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 1,
    });
    const corrected = csv(['门店', '商品编码', '期初数量'], [storeTwo.code, 'SN-004', 35]);
    expect((await postImport(base, 'opening-stock', corrected, owner)).body).toMatchObject({ updated: 1 });
    expect(await onHand(t, storeTwo.id, 'SN-004')).toBe(before + 35);
    const moves = await t.as('OWNER').ok(
      `query($s: ID!) { stockMovements(storeId: $s, sku: "SN-004", first: 5) { edges { node { type quantity reason } }
           } }`,
      { s: storeTwo.id },
    );
    expect(moves.stockMovements.edges.slice(0, 2).map((e: { node: unknown }) => e.node)).toEqual([
      { type: 'OPENING_BALANCE', quantity: -5, reason: '期初库存' },
      { type: 'OPENING_BALANCE', quantity: 40, reason: '期初库存' },
    ]);
  });

  it('staff: new staff sign in with their initial password; an existing one keeps theirs', async () => {
    const file = csv(
      ['姓名', '登录账号', '角色', '门店', '初始密码'],
      ['钱多多', '13922220001', '收银员', 'BJ-SLT', 'Welcome-2026'],
    );
    expect((await postImport(base, 'staff', file, owner)).body).toMatchObject({ created: 1 });
    const signIn = `mutation($p: String!) { signIn(login: "13922220001", password: $p) { __typename } }`;
    expect((await t.ok(signIn, { p: 'Welcome-2026' })).signIn.__typename).toBe('SignInPayload');
    const again = csv(
      ['姓名', '登录账号', '角色', '门店', '初始密码'],
      ['钱多多', '13922220001', '店长', 'BJ-SLT', 'Another-pass-1'],
    );
    expect((await postImport(base, 'staff', again, owner)).body).toMatchObject({ updated: 1 });
    expect((await t.ok(signIn, { p: 'Another-pass-1' })).signIn.__typename).not.toBe('SignInPayload');
    expect((await t.ok(signIn, { p: 'Welcome-2026' })).signIn.__typename).toBe('SignInPayload');
  });

  it('sales history: kept as sales, taking no stock and earning no points; a batch sent again is skipped', async () => {
    const a = await newMember(t, '历史销售甲');
    const stock = await onHand(t, store, 'SN-001');
    const file = await workbook([
      ['门店', '单号', '销售时间', '商品编码', '数量', '单价', '优惠金额', '会员号', '支付方式'],
      ['BJ-SLT', 'HIS-0001', '2025-06-18 10:00', 'SN-001', 2, 10, 1, a.memberCode, '微信'],
      ['BJ-SLT', 'HIS-0001', '', 'SN-002', 1, 5.5, 0, '', ''],
      ['BJ-SLT', 'HIS-0002', '2025-07-01 19:30', 'SN-001', 1, 10, 0, a.memberCode, '现金'],
    ]);
    const first = await postImport(base, 'sales-history', file, owner);
    expect(first.status, JSON.stringify(first.body.errors)).toBe(200);
    expect(first.body).toMatchObject({ created: 2, unchanged: 0, rowCount: 3 });
    const c = await t.as('OWNER').ok(
      `query($id: ID!) { customer(id: $id) { visitCount lifetimeSpend firstPurchaseAt lastPurchaseAt
         sales(first: 5) { edges { node { externalId total businessDate lines { sku quantity total }
           payments { method amount } } } } } }`,
      { id: a.customerId },
    );
    expect(c.customer).toMatchObject({
      visitCount: 2,
      lifetimeSpend: '34.50',
      firstPurchaseAt: '2025-06-18T02:00:00.000Z',
    });
    expect(c.customer.sales.edges.map((e: { node: unknown }) => e.node)).toEqual([
      {
        externalId: 'HIS-0002',
        total: '10.00',
        businessDate: '2025-07-01',
        lines: [{ sku: 'SN-001', quantity: 1, total: '10.00' }],
        payments: [{ method: 'CASH', amount: '10.00' }],
      },
      {
        externalId: 'HIS-0001',
        total: '24.50',
        businessDate: '2025-06-18',
        lines: [
          { sku: 'SN-001', quantity: 2, total: '19.00' },
          { sku: 'SN-002', quantity: 1, total: '5.50' },
        ],
        payments: [{ method: 'WECHAT_PAY', amount: '24.50' }],
      },
    ]);
    expect(await onHand(t, store, 'SN-001')).toBe(stock);
    expect(await pointsOf(t, a.customerId)).toMatchObject({ balance: 0, lifetimeEarned: 0 });
    const again = await postImport(base, 'sales-history', file, owner);
    expect(again.body).toMatchObject({ created: 0, unchanged: 2 });
    expect(
      (await t.as('OWNER').ok(`query($id: ID!) { customer(id: $id) { visitCount } }`, { id: a.customerId })).customer
        .visitCount,
    ).toBe(2);
  });
});

describe('access and history', () => {
  it('lets only owners bring the chain’s data in; managers import customers only', async () => {
    const file = csv(['商品编码', '商品名称', '分类', '售价'], ['ACC-1', '权限测试', '零食', 1]);
    expect((await postImport(base, 'products', file, await t.token('MANAGER'))).status).toBe(403);
    expect((await postImport(base, 'staff', file, await t.token('MANAGER'))).status).toBe(403);
    expect((await postImport(base, 'products', file, await t.token('CASHIER'))).status).toBe(403);
    const anonymous = await fetch(`${base}/imports/products`, { method: 'POST', body: file });
    expect(anonymous.status).toBe(401);
    expect(
      (
        await postImport(
          base,
          'customers',
          csv(['手机号', '姓名'], ['13933330001', '经理导入']),
          await t.token('MANAGER'),
        )
      ).status,
    ).toBe(200);
    expect(await product('ACC-1')).toBeNull();
  });

  it('records every import with its kind, format, who and what came of it', async () => {
    const r = await t.as('MANAGER').ok(
      `{ imports(first: 50) { totalCount edges { node { kind format dryRun outcome importedBy rowCount errorCount } }
           } }`,
    );
    const kinds = new Set(r.imports.edges.map((e: { node: { kind: string } }) => e.node.kind));
    for (const k of [
      'products',
      'opening-stock',
      'customers',
      'points-balances',
      'member-tiers',
      'sales-history',
      'staff',
    ])
      expect(kinds.has(k), k).toBe(true);
    const rejected = r.imports.edges.find(
      (e: { node: { kind: string; outcome: string } }) =>
        e.node.kind === 'sales-history' && e.node.outcome === 'REJECTED',
    );
    expect(rejected.node).toMatchObject({ format: 'XLSX', errorCount: 7, rowCount: 8 });
    const customersOnly = await t
      .as('MANAGER')
      .ok(`{ customerImports(first: 50) { edges { node { fileName outcome } } } }`);
    expect(customersOnly.customerImports.edges.length).toBe(
      r.imports.edges.filter((e: { node: { kind: string } }) => e.node.kind === 'customers').length,
    );
  });
});

describe('.xlsx exports', () => {
  it('customers, with phones and member codes as text, re-importable as they are', async () => {
    const res = await fetch(`${base}/exports/customers.xlsx?isMember=true`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(res.status).toBe(200);
    const book = await readWorkbook(await res.arrayBuffer());
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).getCell(3).value).toBe('手机号');
    const phone = sheet.getRow(2).getCell(3);
    expect(typeof phone.value).toBe('string');
    expect(phone.numFmt).toBe('@');
    const again = await postImport(
      base,
      'customers',
      Buffer.from(
        await (
          await fetch(`${base}/exports/customers.xlsx`, { headers: { authorization: `Bearer ${owner}` } })
        ).arrayBuffer(),
      ),
      owner,
      { dryRun: true },
    );
    expect(again.status, JSON.stringify(again.body.errors?.slice(0, 3))).toBe(200);
    expect(again.body).toMatchObject({ created: 0, updated: 0 });
    expect(
      (
        await fetch(`${base}/exports/customers.xlsx`, {
          headers: { authorization: `Bearer ${await t.token('CASHIER')}` },
        })
      ).status,
    ).toBe(403);
  });

  it('stock of a store and sales by day, each day with its festival or holiday', async () => {
    const stock = await fetch(`${base}/exports/stock.xlsx?store=BJ-SLT`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(stock.status).toBe(200);
    const sheet = (await readWorkbook(await stock.arrayBuffer())).worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      '门店',
      '商品编码',
      '条码',
      '商品名称',
      '分类',
      '在库数量',
      '安全库存',
      '低于安全库存',
      '成本价',
      '库存金额',
    ]);
    expect(sheet.rowCount).toBeGreaterThan(5);
    expect(sheet.getRow(2).getCell(3).numFmt).toBe('@');
    const sales = await fetch(`${base}/exports/sales-by-day.xlsx?store=BJ-SLT&from=2026-02-14&to=2026-02-17`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(sales.status).toBe(200);
    const days = (await readWorkbook(await sales.arrayBuffer())).worksheets[0]!;
    expect(days.getRow(2).getCell(2).value).toBe('周六');
    expect(days.getRow(2).getCell(3).value).toContain('调休上班（春节）');
    expect(String(days.getRow(4).getCell(3).value)).toContain('除夕');
    const other = t.stores.find((s) => s.code !== 'BJ-SLT')!.code;
    const forbidden = await fetch(`${base}/exports/sales-by-day.xlsx?store=${other}&from=2026-02-14&to=2026-02-17`, {
      headers: { authorization: `Bearer ${await t.token('MANAGER')}` },
    });
    expect(forbidden.status).toBe(403);
  });
});
