import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { rfmPlugin } from '../plugins/rfm/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { onHand } from './helpers/queries.ts';
import { postImport, workbook, type Cell } from './helpers/workbook.ts';

// A chain moves from its old system in an afternoon, as docs/migration.md describes: staff,
// products, members, opening stock, points balances, tiers and a year of sales, each from a
// workbook, in that order. Then what the old system's totals say is checked against the API.

const DAY = 86_400_000;
/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

const rnd = random(19);
const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)]!;
const fen = (yuan: number) => Math.round(yuan * 100);
const yuan = (f: number) => (f / 100).toFixed(2);
const beijing = (ms: number) => {
  const d = new Date(ms + 8 * 3_600_000);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;
};

const STORES = ['BJ-SLT', 'SZ-NS'];
const PRODUCTS = Array.from({ length: 60 }, (_, i) => ({
  sku: `MIG-${String(i + 1).padStart(4, '0')}`,
  barcode: `0697${String(i + 1).padStart(9, '0')}`,
  name: `迁移商品 ${i + 1}`,
  category: pick(['零食', '乳制品', '母婴', '日用']),
  price: fen(3 + Math.floor(rnd() * 200) + pick([0, 0.5, 0.9])),
}));
const MEMBERS = Array.from({ length: 120 }, (_, i) => ({
  code: `MIGVIP${String(i + 1).padStart(5, '0')}`,
  phone: `1977${String(1_000_000 + i * 7).padStart(7, '0')}`,
  name: `${pick(['王', '李', '张', '刘', '陈'])}${pick(['芳', '伟', '敏', '静', '磊'])}${i}`,
  points: Math.floor(rnd() * 5000),
  tier: i % 10 === 0 ? 'GOLD' : i % 3 === 0 ? 'SILVER' : null,
  reached: `2025-0${1 + (i % 9)}-1${i % 10}`,
}));
const OPENING = STORES.flatMap((store) =>
  PRODUCTS.map((p) => ({ store, sku: p.sku, quantity: 20 + Math.floor(rnd() * 200) })),
);

interface Line {
  store: string;
  receipt: string;
  at: number;
  sku: string;
  quantity: number;
  price: number;
  discount: number;
  member: string | null;
}
const now = Date.now();
const SALES: Line[][] = [];
for (let i = 0; i < 700; i++) {
  const at = now - Math.floor(2 * DAY + rnd() * 360 * DAY);
  const store = pick(STORES);
  const member = rnd() < 0.8 ? pick(MEMBERS).code : null;
  const lines = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, n) => {
    const p = PRODUCTS[(i * 7 + n * 13) % PRODUCTS.length]!;
    const quantity = 1 + Math.floor(rnd() * 3);
    return {
      store,
      receipt: `OLD-${String(i + 1).padStart(6, '0')}`,
      at,
      sku: p.sku,
      quantity,
      price: p.price,
      discount: n === 0 && rnd() < 0.3 ? 100 : 0,
      member,
    };
  });
  SALES.push(lines);
}
const total = (lines: Line[]) => lines.reduce((s, l) => s + l.quantity * l.price - l.discount, 0);

let t: TestApp;
let base: string;
let owner: string;
const reports: Record<string, unknown> = {};

beforeAll(async () => {
  // Demo stores and staff, but no demo sales: the stores' figures are the imported ones alone.
  t = await startTestApp({
    seed: { customers: 5, sales: 0, days: 1 },
    plugins: [pointsPlugin({ expiryMonths: 24 }), tiersPlugin({ reviewMonths: 12 }), rfmPlugin({ windowMonths: 12 })],
  });
  base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
  owner = await t.token('OWNER');
  for (const input of [
    { code: 'REGULAR', name: '普通会员', rank: 0 },
    { code: 'SILVER', name: '银卡会员', rank: 1, minSpend: '99999.00' },
    { code: 'GOLD', name: '金卡会员', rank: 2, minSpend: '999999.00' },
  ])
    await t.as('OWNER').ok(`mutation($input: TierInput!) { createTier(input: $input) { __typename } }`, { input });

  const send = async (kind: string, rows: Cell[][], textColumns: number[] = []) => {
    const r = await postImport(base, kind, await workbook(rows, { textColumns }), owner, { fileName: `${kind}.xlsx` });
    if (r.status !== 200) throw new Error(`${kind}: ${r.status} ${JSON.stringify(r.body.errors?.slice(0, 5))}`);
    return r.body;
  };
  reports.staff = await send('staff', [
    ['姓名', '登录账号', '角色', '门店', '初始密码'],
    ['迁移店长', '13955550001', '店长', 'BJ-SLT|SZ-NS', 'Welcome-2026'],
    ['迁移导购', '13955550002', '导购', 'BJ-SLT', 'Welcome-2026'],
  ]);
  reports.products = await send(
    'products',
    [
      ['商品编码', '条码', '商品名称', '分类', '售价', '在售'],
      ...PRODUCTS.map((p) => [p.sku, p.barcode, p.name, p.category, Number(yuan(p.price)), '是']),
    ],
    [0, 1],
  );
  reports.customers = await send(
    'customers',
    [
      ['会员号', '手机号', '姓名', '入会时间', '所属门店'],
      ...MEMBERS.map((m) => [m.code, m.phone, m.name, '2024-01-01', 'BJ-SLT']),
    ],
    [0, 1],
  );
  reports.stock = await send(
    'opening-stock',
    [['门店', '商品编码', '期初数量'], ...OPENING.map((o) => [o.store, o.sku, o.quantity])],
    [0, 1],
  );
  reports.points = await send(
    'points-balances',
    [['会员号', '积分余额'], ...MEMBERS.map((m) => [m.code, m.points])],
    [0],
  );
  reports.tiers = await send(
    'member-tiers',
    [['会员号', '会员等级', '达到日期'], ...MEMBERS.filter((m) => m.tier).map((m) => [m.code, m.tier, m.reached])],
    [0],
  );
  // A year of sales in four batches, as a chain sends it; the second batch goes twice (a retry).
  // Every line of a sale in the same file (docs/migration.md).
  const rows = (sales: Line[][]) =>
    sales
      .flat()
      .map((l) => [
        l.store,
        l.receipt,
        beijing(l.at),
        l.sku,
        l.quantity,
        yuan(l.price),
        yuan(l.discount),
        l.member ?? '',
        '微信',
      ]);
  const header = ['门店', '单号', '销售时间', '商品编码', '数量', '单价', '优惠金额', '会员号', '支付方式'];
  const quarter = Math.ceil(SALES.length / 4);
  reports.sales = [];
  for (const part of [0, 1, 1, 2, 3])
    (reports.sales as unknown[]).push(
      await send('sales-history', [header, ...rows(SALES.slice(part * quarter, (part + 1) * quarter))]),
    );
  // A file that splits a sale imported before is refused, not half-applied.
  const split = SALES.find((s) => s.length > 1)!;
  const partial = await postImport(
    base,
    'sales-history',
    await workbook([header, ...rows([split]).slice(0, 1)]),
    owner,
  );
  reports.split = partial;
}, 300_000);
afterAll(() => t?.close());

describe('a chain moved from its old system through workbooks', () => {
  it('takes every file, and a batch sent twice is skipped the second time', () => {
    expect(reports.products).toMatchObject({ created: 60, errorCount: 0 });
    expect(reports.customers).toMatchObject({ created: 120 });
    expect(reports.stock).toMatchObject({ created: OPENING.length });
    expect(reports.points).toMatchObject({ created: MEMBERS.filter((m) => m.points > 0).length });
    expect(reports.tiers).toMatchObject({ created: MEMBERS.filter((m) => m.tier).length });
    const batches = reports.sales as { created: number; unchanged: number }[];
    expect(batches[2]).toMatchObject({ created: 0, unchanged: batches[1]!.created });
    expect(batches.reduce((s, b) => s + b.created, 0)).toBe(SALES.length);
    const split = reports.split as { status: number; body: { errors: { code: string }[] } };
    expect(split.status).toBe(422);
    expect(split.body.errors.map((e) => e.code)).toEqual(['IMPORT_SALE_ALREADY_DIFFERENT']);
  });

  it('has the opening stock of every store untouched by the imported sales', async () => {
    for (const o of OPENING.filter((_, i) => i % 17 === 0)) {
      const storeId = t.stores.find((s) => s.code === o.store)!.id;
      expect(await onHand(t, storeId, o.sku), `${o.store} ${o.sku}`).toBe(o.quantity);
    }
  });

  it("matches the old system's totals: sales per store, each member's visits and spend, points balances", async () => {
    for (const code of STORES) {
      const storeId = t.stores.find((s) => s.code === code)!.id;
      const from = new Date(now - 400 * DAY).toISOString().slice(0, 10);
      const to = new Date(now).toISOString().slice(0, 10);
      const days = [];
      for (let start = from; start <= to; ) {
        const end = new Date(Math.min(Date.parse(start) + 365 * DAY, Date.parse(to))).toISOString().slice(0, 10);
        const r = await t
          .as('OWNER')
          .ok(
            `query($s: ID!, $f: Date!, $t: Date!) { salesByDay(storeId: $s, from: $f, to: $t) { saleCount netSales } }`,
            { s: storeId, f: start, t: end },
          );
        days.push(...r.salesByDay);
        start = new Date(Date.parse(end) + DAY).toISOString().slice(0, 10);
      }
      const expected = SALES.filter((s) => s[0]!.store === code);
      expect(
        days.reduce((s: number, d: { saleCount: number }) => s + d.saleCount, 0),
        code,
      ).toBe(expected.length);
      expect(yuan(days.reduce((s: number, d: { netSales: string }) => s + fen(Number(d.netSales)), 0)), code).toBe(
        yuan(expected.reduce((s, sale) => s + total(sale), 0)),
      );
    }
    const byMember = new Map<string, { visits: number; spend: number }>();
    for (const s of SALES) {
      const m = s[0]!.member;
      if (!m) continue;
      const v = byMember.get(m) ?? { visits: 0, spend: 0 };
      byMember.set(m, { visits: v.visits + 1, spend: v.spend + total(s) });
    }
    for (const m of MEMBERS.filter((_, i) => i % 7 === 0)) {
      const c = await t.as('OWNER').ok(
        `query($code: String) { customer(memberCode: $code)
             { visitCount lifetimeSpend points { balance lifetimeEarned } } }`,
        { code: m.code },
      );
      const expected = byMember.get(m.code) ?? { visits: 0, spend: 0 };
      expect(c.customer, m.code).toMatchObject({
        visitCount: expected.visits,
        lifetimeSpend: yuan(expected.spend),
        points: { balance: m.points, lifetimeEarned: 0 },
      });
    }
  });

  it('keeps each tier with the date it was reached, reviewed on its anniversary', async () => {
    for (const m of MEMBERS.filter((x) => x.tier).slice(0, 8)) {
      const c = await t.as('OWNER').ok(
        `query($code: String) { customer(memberCode: $code) { tier { tier { code } since reviewAt }
             tierHistory { reason to { code } } } }`,
        { code: m.code },
      );
      const since = new Date(`${m.reached}T00:00:00+08:00`);
      let review = new Date(since);
      for (let k = 1; review.getTime() <= now; k++) {
        review = new Date(since);
        review.setUTCMonth(since.getUTCMonth() + 12 * k);
      }
      expect(c.customer.tier).toEqual({
        tier: { code: m.tier },
        since: since.toISOString(),
        reviewAt: review.toISOString(),
      });
      expect(c.customer.tierHistory).toEqual([{ reason: 'IMPORTED', to: { code: m.tier } }]);
    }
  });

  it('scores RFM on the imported history', async () => {
    await t.as('OWNER').ok(`mutation { runScheduledJob(name: "rfm.score") { processed } }`);
    const inWindow = new Map<string, { frequency: number; monetary: number }>();
    for (const s of SALES) {
      const m = s[0]!.member;
      if (!m) continue;
      const v = inWindow.get(m) ?? { frequency: 0, monetary: 0 };
      inWindow.set(m, { frequency: v.frequency + 1, monetary: v.monetary + total(s) });
    }
    for (const m of MEMBERS.filter((_, i) => i % 9 === 0)) {
      const c = await t
        .as('OWNER')
        .ok(`query($code: String) { customer(memberCode: $code) { rfm { frequency monetary segment } } }`, {
          code: m.code,
        });
      const expected = inWindow.get(m.code);
      if (!expected) expect(c.customer.rfm).toBeNull();
      else
        expect(c.customer.rfm, m.code).toMatchObject({
          frequency: expected.frequency,
          monetary: yuan(expected.monetary),
        });
    }
  });
});
