import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessDate } from '../src/stores/time.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';

// 导购 performance (docs/segments.md, "Shopping guides"): bindings, myCustomers, the commission
// ledger over a sale and its refunds, statements by business date, targets, ranking and access.
// Two stores of their own (Asia/Shanghai), so the demo data's sales never count here.

const database = process.env.DATABASE_URL ? 'postgres' : 'default';

const STATEMENT = `query($staff: ID!, $store: ID!, $from: Date!, $to: Date!) {
  commissionStatement(staffId: $staff, storeId: $store, from: $from, to: $to) {
    earned reversed net base sales
    entries(first: 50) { edges { node { kind baseAmount amount ratePercent businessDate } } }
  }
}`;
const RANKING = `query($store: ID!, $month: String!) {
  guideRanking(storeId: $store, month: $month) { rank staff { id } sales netSales target attainmentPercent commission }
}`;
const MY = `{ myCustomers(first: 50) { totalCount edges { node { id } } } }`;
const BIND = `mutation($c: ID!, $s: ID!, $store: ID!) {
  bindCustomerGuide(customerId: $c, staffId: $s, storeId: $store) {
    __typename ... on GuideBinding { staff { id } endedAt } ... on UserError { errorCode field }
  }
}`;

describe(`shopping guides and commissions (${database})`, () => {
  let t: TestApp;
  let storeG: string;
  let storeH: string;
  const staff: Record<string, { id: string; token: string }> = {};

  const as = (who: string) => ({
    gql: (q: string, v?: Record<string, unknown>) => t.gql(q, v, { token: staff[who]!.token }),
    ok: (q: string, v?: Record<string, unknown>) => t.ok(q, v, { token: staff[who]!.token }),
  });

  async function newCustomer(name: string) {
    const r = await t
      .as('OWNER')
      .ok(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { ... on Customer { id } } }`, {
        i: { name },
      });
    return r.createCustomer.id as string;
  }

  async function sale(
    externalId: string,
    guide: string,
    occurredAt: string,
    lines: { sku: string; quantity: number; discount?: string }[],
    total: string,
  ) {
    const r = await as('cashier').ok(RECORD_SALE, {
      input: {
        storeId: storeG,
        externalId,
        staffId: staff[guide]!.id,
        occurredAt,
        lines,
        payments: [{ method: 'CASH', amount: total }],
      },
    });
    expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
    return r.recordSale;
  }

  beforeAll(async () => {
    t = await startTestApp({ database });
    const owner = t.as('OWNER');
    const store = async (code: string) =>
      (
        await owner.ok(`mutation($i: CreateStoreInput!) { createStore(input: $i) { ... on Store { id } } }`, {
          i: { code, name: code, timezone: 'Asia/Shanghai', allowNegativeStock: true },
        })
      ).createStore.id as string;
    storeG = await store(`GX-${process.pid % 10000}-G`);
    storeH = await store(`GX-${process.pid % 10000}-H`);
    const people: [string, string, string][] = [
      ['manager', 'MANAGER', storeG],
      ['cashier', 'CASHIER', storeG],
      ['guide1', 'SALES_ASSOCIATE', storeG],
      ['guide2', 'SALES_ASSOCIATE', storeG],
      ['guide3', 'SALES_ASSOCIATE', storeH],
    ];
    for (const [i, [who, role, storeId]] of people.entries()) {
      const login = `guide${process.pid % 1000}${i}@example.com`;
      const created = await owner.ok(
        `mutation($n: String!, $l: String!, $r: [StoreRoleInput!]!) {
          createStaff(name: $n, login: $l, password: "guide-pass-1", roles: $r) { ... on Staff { id } }
        }`,
        { n: who, l: login, r: [{ storeId, role }] },
      );
      const signed = await t.ok(
        `mutation($l: String!) { signIn(login: $l, password: "guide-pass-1") { ... on SignInPayload { token } } }`,
        { l: login },
      );
      staff[who] = { id: created.createStaff.id, token: signed.signIn.token };
    }
    for (const [sku, category, price] of [
      ['GX-A', 'GX服装', '100.00'],
      ['GX-B', 'GX鞋', '80.00'],
      ['GX-C', 'GX服装', '30.00'],
    ]) {
      await owner.ok(`mutation($i: CreateProductInput!) { createProduct(input: $i) { __typename } }`, {
        i: { sku: `${sku}-${process.pid}`, name: sku, category, price },
      });
    }
  });
  afterAll(() => t?.close());

  const sku = (s: string) => `${s}-${process.pid}`;
  const RULE = `mutation($i: SetCommissionRuleInput!) {
    setCommissionRule(input: $i) {
      __typename ... on CommissionRule { id ratePercent category product { sku } } ... on UserError { errorCode field }
    }
  }`;

  it('commission rules are chain settings: the owner sets them, a cashier or a store manager cannot', async () => {
    for (const who of ['cashier', 'manager', 'guide1']) {
      const r = await as(who).gql(RULE, { i: { ratePercent: 50 } });
      expect(r.errors?.[0]?.extensions?.code, who).toBe('FORBIDDEN');
    }
    const owner = t.as('OWNER');
    expect((await owner.ok(RULE, { i: { ratePercent: 1 } })).setCommissionRule.ratePercent).toBe(1);
    expect((await owner.ok(RULE, { i: { category: 'GX服装', ratePercent: 4 } })).setCommissionRule.category).toBe(
      'GX服装',
    );
    // Setting the category again replaces its rule: 5 % is in force, 4 % ended.
    await owner.ok(RULE, { i: { category: 'GX服装', ratePercent: 5 } });
    const product = await owner.ok(`query($s: String!) { product(sku: $s) { id } }`, { s: sku('GX-C') });
    await owner.ok(RULE, { i: { productId: product.product.id, ratePercent: 10 } });
    const rules = await owner.ok(
      `{ commissionRules(first: 50) { edges { node { ratePercent category product { sku } } } } }`,
    );
    const inForce = rules.commissionRules.edges
      .map((e: any) => e.node)
      .filter((r: any) => r.category === 'GX服装' || r.product?.sku === sku('GX-C') || (!r.category && !r.product));
    expect(inForce.map((r: any) => r.ratePercent).sort((a: number, b: number) => a - b)).toEqual([1, 5, 10]);
    const bad = await owner.ok(RULE, { i: { category: 'GX服装', productId: product.product.id, ratePercent: 1 } });
    expect(bad.setCommissionRule).toMatchObject({ __typename: 'InvalidInputError', field: ['input', 'category'] });
    const tooHigh = await owner.ok(RULE, { i: { ratePercent: 100.5 } });
    expect(tooHigh.setCommissionRule).toMatchObject({ errorCode: 'INVALID_INPUT', field: ['input', 'ratePercent'] });
  });

  // Sale 1, 2026-11-01 00:30 in Shanghai (still 31 October in UTC), by guide1:
  //   GX-A 2 × 100.00 = 200.00, category GX服装 5 %   → 10.00
  //   GX-B 1 ×  80.00 =  80.00, every product 1 %     →  0.80
  //   GX-C 3 ×  30.00 − 9.00 = 81.00, product 10 %    →  8.10   (the product's rule beats its category's)
  //   total 361.00, commission 18.90
  // Sale 2, 2026-10-31 23:30 in Shanghai, by guide1: GX-A 1 × 100.00 → 5.00 (October).
  // Sale 3, 2026-11-05, by guide2: GX-B 2 × 80.00 = 160.00 → 1.60.
  let sale1: string;
  let sale1External: string;
  it('writes one ledger entry per line in the sale, and a replayed sale writes nothing more', async () => {
    sale1External = uniqueId('GX');
    const lines = [
      { sku: sku('GX-A'), quantity: 2 },
      { sku: sku('GX-B'), quantity: 1 },
      { sku: sku('GX-C'), quantity: 3, discount: '9.00' },
    ];
    const first = await sale(sale1External, 'guide1', '2026-10-31T16:30:00Z', lines, '361.00');
    sale1 = first.sale.id;
    expect(first.sale.businessDate).toBe('2026-11-01');
    const again = await sale(sale1External, 'guide1', '2026-10-31T16:30:00Z', lines, '361.00');
    expect(again.replayed).toBe(true);
    await sale(uniqueId('GX'), 'guide1', '2026-10-31T15:30:00Z', [{ sku: sku('GX-A'), quantity: 1 }], '100.00');
    await sale(uniqueId('GX'), 'guide2', '2026-11-05T04:00:00Z', [{ sku: sku('GX-B'), quantity: 2 }], '160.00');

    const nov = await t.as('OWNER').ok(STATEMENT, {
      staff: staff.guide1!.id,
      store: storeG,
      from: '2026-11-01',
      to: '2026-11-30',
    });
    const s = nov.commissionStatement;
    expect(s).toMatchObject({ earned: '18.90', reversed: '0.00', net: '18.90', base: '361.00', sales: 1 });
    // Entries of one sale are written in one statement: in no particular order among themselves.
    const byBase = (a: any[], b: any[]) => Number(b[1]) - Number(a[1]);
    expect(
      s.entries.edges.map((e: any) => [e.node.kind, e.node.baseAmount, e.node.ratePercent, e.node.amount]).sort(byBase),
    ).toEqual([
      ['SALE', '200.00', 5, '10.00'],
      ['SALE', '81.00', 10, '8.10'],
      ['SALE', '80.00', 1, '0.80'],
    ]);
    const oct = await t.as('OWNER').ok(STATEMENT, {
      staff: staff.guide1!.id,
      store: storeG,
      from: '2026-10-01',
      to: '2026-10-31',
    });
    expect(oct.commissionStatement).toMatchObject({ earned: '5.00', net: '5.00', base: '100.00', sales: 1 });
  });

  it('ranks the store by net sales in the month, with targets and attainment', async () => {
    const target = `mutation($s: ID!, $store: ID!, $a: Money!) {
      setSalesTarget(staffId: $s, storeId: $store, month: "2026-11", amount: $a) {
        __typename ... on SalesTarget { month amount } ... on UserError { errorCode field }
      }
    }`;
    const denied = await as('cashier').gql(target, { s: staff.guide1!.id, store: storeG, a: '1000.00' });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const set = await as('manager').ok(target, { s: staff.guide1!.id, store: storeG, a: '1000.00' });
    expect(set.setSalesTarget).toEqual({ __typename: 'SalesTarget', month: '2026-11', amount: '1000.00' });
    const elsewhere = await as('manager').ok(target, { s: staff.guide3!.id, store: storeG, a: '1.00' });
    expect(elsewhere.setSalesTarget).toMatchObject({ errorCode: 'GUIDE_NOT_IN_STORE', field: ['staffId'] });

    const r = (await as('manager').ok(RANKING, { store: storeG, month: '2026-11' })).guideRanking;
    expect(r).toEqual([
      {
        rank: 1,
        staff: { id: staff.guide1!.id },
        sales: 1,
        netSales: '361.00',
        target: '1000.00',
        attainmentPercent: 36.1,
        commission: '18.90',
      },
      {
        rank: 2,
        staff: { id: staff.guide2!.id },
        sales: 1,
        netSales: '160.00',
        target: null,
        attainmentPercent: null,
        commission: '1.60',
      },
    ]);
    // October has sale 2 only (23:30 on the 31st in Shanghai).
    const oct = (await as('manager').ok(RANKING, { store: storeG, month: '2026-10' })).guideRanking;
    expect(oct.map((x: any) => [x.staff.id, x.netSales])).toEqual([[staff.guide1!.id, '100.00']]);
    // A manager sees their own stores' guides only; a guide no ranking at all.
    expect((await as('manager').gql(RANKING, { store: storeH, month: '2026-11' })).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await as('guide1').gql(RANKING, { store: storeG, month: '2026-11' })).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
  });

  it('takes commission back in proportion on a partial refund, and the rest on the full refund', async () => {
    // Refund 1: GX-A 1 of 2 (100.00 of 200.00 → 10.00 × ½ = 5.00) and GX-C 1 of 3 (27.00 of 81.00 → 8.10 × ⅓ = 2.70).
    const refund = (lines?: { lineNo: number; quantity: number }[]) =>
      t.ok(REFUND_SALE, { saleId: sale1, externalId: uniqueId('R'), lines }, { token: staff.manager!.token });
    const first = await refund([
      { lineNo: 1, quantity: 1 },
      { lineNo: 3, quantity: 1 },
    ]);
    expect(first.refundSale.refund.total).toBe('127.00');
    const today = businessDate(new Date(), 'Asia/Shanghai').toISOString().slice(0, 10);
    const day = async () =>
      (await as('guide1').ok(STATEMENT, { staff: staff.guide1!.id, store: storeG, from: today, to: today }))
        .commissionStatement;
    expect(await day()).toMatchObject({ earned: '0.00', reversed: '-7.70', net: '-7.70', base: '-127.00', sales: 0 });
    // Refund 2, everything left: GX-A's last unit 5.00, GX-B 0.80, GX-C's last two units 8.10 − 2.70 = 5.40.
    const second = await refund();
    expect(second.refundSale.refund.sale.status).toBe('REFUNDED');
    const all = await day();
    expect(all).toMatchObject({ reversed: '-18.90', net: '-18.90', base: '-361.00' });
    expect(
      all.entries.edges.map((e: any) => e.node.amount).sort((a: string, b: string) => Number(a) - Number(b)),
    ).toEqual(['-5.40', '-5.00', '-5.00', '-2.70', '-0.80']);
    expect(all.entries.edges.every((e: any) => e.node.kind === 'REFUND' && e.node.businessDate === today)).toBe(true);
    // November's statement is unchanged (the refunds belong to today); the ledger of sale 1 sums to zero.
    const nov = await as('guide1').ok(STATEMENT, {
      staff: staff.guide1!.id,
      store: storeG,
      from: '2026-11-01',
      to: '2026-11-30',
    });
    expect(nov.commissionStatement).toMatchObject({ earned: '18.90', reversed: '0.00' });
    const ranking = (await as('manager').ok(RANKING, { store: storeG, month: '2026-11' })).guideRanking;
    expect(ranking.map((x: any) => [x.staff.id, x.sales, x.netSales, x.attainmentPercent])).toEqual([
      [staff.guide2!.id, 1, '160.00', null],
      [staff.guide1!.id, 0, '0.00', 0],
    ]);
  });

  it('shows a statement to its guide and the store manager, not to another guide or another store', async () => {
    const vars = { staff: staff.guide1!.id, store: storeG, from: '2026-11-01', to: '2026-11-30' };
    expect((await as('guide2').gql(STATEMENT, vars)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await as('manager').ok(STATEMENT, vars)).commissionStatement.earned).toBe('18.90');
    const other = { ...vars, staff: staff.guide3!.id, store: storeH };
    expect((await as('manager').gql(STATEMENT, other)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const long = await as('manager').gql(STATEMENT, { ...vars, from: '2025-01-01', to: '2026-11-30' });
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'PERIOD_TOO_LONG' });
  });

  it('binds customers to guides, who see their own customers only', async () => {
    const [x, y, z, w, gone] = await Promise.all(['顾客X', '顾客Y', '顾客Z', '顾客W', '顾客E'].map(newCustomer));
    const bind = (c: string, s: string, store = storeG) => as('manager').ok(BIND, { c, s, store });
    expect((await bind(x!, staff.guide1!.id)).bindCustomerGuide).toEqual({
      __typename: 'GuideBinding',
      staff: { id: staff.guide1!.id },
      endedAt: null,
    });
    await bind(y!, staff.guide2!.id);
    await bind(z!, staff.guide1!.id);
    await bind(gone!, staff.guide1!.id);
    // Someone from another store cannot be a guide here; the manager cannot bind in another store.
    expect((await bind(x!, staff.guide3!.id)).bindCustomerGuide).toMatchObject({
      errorCode: 'GUIDE_NOT_IN_STORE',
      field: ['staffId'],
    });
    expect(
      (await as('manager').gql(BIND, { c: x, s: staff.guide3!.id, store: storeH })).errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    expect(
      (await as('guide1').gql(BIND, { c: y, s: staff.guide1!.id, store: storeG })).errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');

    // Z merged into W (who has no guide): W takes Z's guide. The erased customer drops out.
    await t
      .as('OWNER')
      .ok(`mutation($s: ID!, $m: ID!) { mergeCustomers(survivorId: $s, mergedId: $m) { __typename } }`, { s: w, m: z });
    await t.as('OWNER').ok(`mutation($c: ID!) { eraseCustomer(customerId: $c) { __typename } }`, { c: gone });
    // Erasure ends the binding (its history stays).
    const erased = await t
      .as('OWNER')
      .ok(
        `query($c: ID!) { customer(id: $c) { guide { id } guideHistory(first: 5) { edges { node { endedAt } } } } }`,
        {
          c: gone,
        },
      );
    expect(erased.customer.guide).toBeNull();
    expect(erased.customer.guideHistory.edges[0].node.endedAt).toBeTruthy();
    const mine = (await as('guide1').ok(MY)).myCustomers;
    expect(mine.totalCount).toBe(2);
    expect(mine.edges.map((e: any) => e.node.id).sort()).toEqual([x, w].sort());
    expect((await as('guide2').ok(MY)).myCustomers.edges.map((e: any) => e.node.id)).toEqual([y]);
    expect((await as('guide3').ok(MY)).myCustomers.totalCount).toBe(0);

    const of = `query($s: ID!, $store: ID!) {
      guideCustomers(staffId: $s, storeId: $store, first: 10) { totalCount edges { node { id } } }
    }`;
    expect((await as('guide1').gql(of, { s: staff.guide2!.id, store: storeG })).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await as('manager').ok(of, { s: staff.guide2!.id, store: storeG })).guideCustomers.edges).toEqual([
      { node: { id: y } },
    ]);

    // Rebinding X to guide2 ends guide1's binding; the history keeps both, newest first.
    await bind(x!, staff.guide2!.id);
    const history = await t.as('OWNER').ok(
      `query($c: ID!) {
        customer(id: $c) {
          guide { staff { id } }
          guideHistory(first: 10) { edges { node { staff { id } endedAt } } }
        }
      }`,
      { c: x },
    );
    expect(history.customer.guide.staff.id).toBe(staff.guide2!.id);
    const edges = history.customer.guideHistory.edges.map((e: any) => [e.node.staff.id, e.node.endedAt === null]);
    expect(edges).toEqual([
      [staff.guide2!.id, true],
      [staff.guide1!.id, false],
    ]);
    expect((await as('guide1').ok(MY)).myCustomers.edges.map((e: any) => e.node.id)).toEqual([w]);

    const unbind = `mutation($c: ID!) {
      unbindCustomerGuide(customerId: $c) { __typename ... on GuideBinding { endedAt } ... on UserError { errorCode } }
    }`;
    expect((await as('manager').ok(unbind, { c: w })).unbindCustomerGuide.endedAt).toBeTruthy();
    expect((await as('manager').ok(unbind, { c: w })).unbindCustomerGuide.errorCode).toBe('NOT_FOUND');
    expect((await as('guide1').ok(MY)).myCustomers.totalCount).toBe(0);
  });
});
