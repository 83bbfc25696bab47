import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { newMember, pointsOf, stockUp } from './helpers/loyalty.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

// Scoped privileges (docs/security.md, "Roles and scopes"): chain settings need a chain-level
// permission, per-store roles act on their stores, points adjustments and price reductions have
// per-role bounds.

const CREATE_TIER = `mutation($input: TierInput!) { createTier(input: $input) { __typename
  ... on Tier { code discountPercent } ... on UserError { errorCode } } }`;
const UPDATE_TIER = `mutation($code: String!, $input: TierInput!) { updateTier(code: $code, input: $input) { __typename
  ... on Tier { discountPercent } ... on UserError { errorCode } } }`;
const CREATE_RULE = `mutation($input: PointsRuleInput!)
  { createPointsRule(input: $input) { __typename ... on PointsRule { id } ... on UserError { errorCode } } }`;
const ADJUST = `mutation($c: ID!, $p: Int!, $r: String!)
  { adjustPoints(customerId: $c, points: $p, reason: $r) { __typename ... on PointsLedgerEntry { points }
    ... on UserError { errorCode message field } } }`;
const SIGN_IN = `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } }
  }`;
const CREATE_KEY = `mutation($name: String!, $s: [ID!]!, $max: Int)
  { createApiKey(name: $name, role: CASHIER, storeIds: $s, maxDiscountPercent: $max) { __typename
    ... on CreateApiKeyPayload { key } ... on UserError { errorCode field } } }`;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

describe('roles and scopes', () => {
  let t: TestApp;
  let slt: string;
  let sz: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins: [pointsPlugin(), tiersPlugin()] });
    slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    sz = t.stores.find((s) => s.code === 'SZ-NS')!.id;
    await stockUp(t, slt, ['SN-001', 'DR-004']);
    for (const input of [
      { code: 'NORMAL', name: '普通', rank: 0, discountPercent: '0' },
      { code: 'GOLD', name: '金卡', rank: 1, minSpend: '5000.00', discountPercent: '5' },
    ])
      expect((await t.as('OWNER').ok(CREATE_TIER, { input })).createTier.__typename).toBe('Tier');
  });
  afterAll(() => t?.close());

  describe('settings of the whole chain', () => {
    it('a store manager cannot create or change tiers or points rules; nothing changes', async () => {
      const tiers = async () => (await t.as('OWNER').ok(`{ tiers { code discountPercent } }`)).tiers;
      const before = await tiers();
      const top = before.at(-1)!;
      expect(code(await t.as('MANAGER').gql(UPDATE_TIER, { code: top.code, input: { discountPercent: '90' } }))).toBe(
        'FORBIDDEN',
      );
      expect(
        code(
          await t
            .as('MANAGER')
            .gql(CREATE_TIER, { input: { code: 'VIP9', name: '店长特供', rank: 9, discountPercent: '90' } }),
        ),
      ).toBe('FORBIDDEN');
      const rules = await t.db.database.prisma.pointsRule.count();
      expect(
        code(
          await t
            .as('MANAGER')
            .gql(CREATE_RULE, { input: { name: '×100', kind: 'MULTIPLIER', multiplier: '100', combine: 'ADDITIVE' } }),
        ),
      ).toBe('FORBIDDEN');
      expect(await tiers()).toEqual(before);
      expect(await t.db.database.prisma.pointsRule.count()).toBe(rules);
    });

    it('an owner of one store of the chain does not hold the chain; the owner of every store does', async () => {
      const created = await t.as('OWNER').ok(
        `mutation($s: ID!) { createStaff(name: "加盟店主", login: "franchise@example.cn", password: "franchise-1",
             roles: [{ storeId: $s, role: OWNER }]) { __typename } }`,
        { s: sz },
      );
      expect(created.createStaff.__typename).toBe('Staff');
      const franchise = { token: (await t.ok(SIGN_IN, { l: 'franchise@example.cn', p: 'franchise-1' })).signIn.token };
      expect(
        code(
          await t.gql(CREATE_TIER, { input: { code: 'FR', name: '加盟', rank: 8, discountPercent: '50' } }, franchise),
        ),
      ).toBe('FORBIDDEN');
      expect(code(await t.gql(`{ auditLog(first: 1) { totalCount } }`, {}, franchise))).toBe('FORBIDDEN');

      const top = (await t.as('OWNER').ok(`{ tiers { code discountPercent } }`)).tiers.at(-1);
      const changed = await t
        .as('OWNER')
        .ok(UPDATE_TIER, { code: top.code, input: { discountPercent: top.discountPercent } });
      expect(changed.updateTier.__typename).toBe('Tier');
      // A store the chain owner opens is theirs too: the chain-level permission holds on.
      const store = await t
        .as('OWNER')
        .ok(
          `mutation { createStore(input: { code: "GZ-TH", name: "广州天河店" }) { __typename ... on Store { id } } }`,
        );
      expect(store.createStore.__typename).toBe('Store');
      const again = await t
        .as('OWNER')
        .ok(UPDATE_TIER, { code: top.code, input: { discountPercent: top.discountPercent } });
      expect(again.updateTier.__typename).toBe('Tier');
    });

    it("a store manager sets their own store's calendar, not another store's", async () => {
      const SET = `mutation($s: ID!) { setStoreCalendar(storeId: $s, input: { memberMonthDays: [8] }) { __typename } }`;
      expect((await t.as('MANAGER').ok(SET, { s: slt })).setStoreCalendar.__typename).toBe('StoreCalendar');
      expect(code(await t.as('MANAGER').gql(SET, { s: sz }))).toBe('FORBIDDEN');
    });
  });

  describe('points adjustments', () => {
    it("are bounded by the role's maximum and need a reason; two billion points are refused", async () => {
      const { customerId } = await newMember(t);
      const manager = t.as('MANAGER');
      for (const p of [2_000_000_000, 5_001, -5_001]) {
        const r = await manager.ok(ADJUST, { c: customerId, p, r: '补偿' });
        expect(r.adjustPoints).toMatchObject({
          __typename: 'InvalidInputError',
          errorCode: 'POINTS_ADJUST_LIMIT',
          field: ['points'],
        });
      }
      expect((await manager.ok(ADJUST, { c: customerId, p: 100, r: '补偿' }, { locale: 'en' })).adjustPoints).toEqual({
        __typename: 'PointsLedgerEntry',
        points: 100,
      });
      const en = await manager.ok(ADJUST, { c: customerId, p: 6000, r: '补偿' }, { locale: 'en' });
      expect(en.adjustPoints.message).toBe('One points adjustment is at most 5000 points for your role');
      const noReason = await manager.ok(ADJUST, { c: customerId, p: 10, r: '  ' });
      expect(noReason.adjustPoints).toMatchObject({ errorCode: 'INVALID_INPUT', field: ['reason'] });
      expect(code(await t.as('CASHIER').gql(ADJUST, { c: customerId, p: 1, r: '自己加分' }))).toBe('FORBIDDEN');
      // The owner's maximum is higher, and still a maximum.
      expect((await t.as('OWNER').ok(ADJUST, { c: customerId, p: 50_000, r: '大客户补偿' })).adjustPoints.points).toBe(
        50_000,
      );
      expect(
        (await t.as('OWNER').ok(ADJUST, { c: customerId, p: 1_000_001, r: '误操作' })).adjustPoints.errorCode,
      ).toBe('POINTS_ADJUST_LIMIT');
      expect(await pointsOf(t, customerId)).toMatchObject({ balance: 50_100 });
    });
  });

  describe('price overrides and manual discounts', () => {
    // SN-001 lists at ¥89.00.
    const line = (unitPrice: string, discount?: string) => ({ sku: 'SN-001', quantity: 1, unitPrice, discount });
    const sell = (caller: { token?: string; apiKey?: string }, unitPrice: string, discount = '0.00', storeId = slt) => {
      const paid = (Number(unitPrice) - Number(discount)).toFixed(2);
      return t.gql(
        RECORD_SALE,
        {
          input: {
            storeId,
            externalId: uniqueId('PRICE'),
            lines: [line(unitPrice, discount)],
            payments: [{ method: 'CASH', amount: paid }],
          },
        },
        caller,
      );
    };
    const sales = () => t.db.database.prisma.sale.count();

    it('a cashier cannot sell at any unit price: up to 10 % off the catalogue, no more', async () => {
      const cashier = { token: await t.token('CASHIER') };
      const before = await sales();
      const cheap = await sell(cashier, '1.00');
      expect(cheap.data.recordSale).toMatchObject({
        __typename: 'InvalidInputError',
        errorCode: 'DISCOUNT_LIMIT_EXCEEDED',
        field: ['input', 'lines', '0', 'unitPrice'],
        message: '第 1 行：让利 98.88% 超过您可给的上限 10%，请由店长操作',
      });
      expect((await sell(cashier, '80.09')).data.recordSale.errorCode).toBe('DISCOUNT_LIMIT_EXCEEDED');
      const viaDiscount = await sell(cashier, '89.00', '8.91');
      expect(viaDiscount.data.recordSale).toMatchObject({
        errorCode: 'DISCOUNT_LIMIT_EXCEEDED',
        field: ['input', 'lines', '0', 'discount'],
      });
      expect(await sales()).toBe(before);
      // Within the limit, or at the catalogue price or above, the sale goes through.
      expect((await sell(cashier, '80.10')).data.recordSale.__typename).toBe('RecordSalePayload');
      expect((await sell(cashier, '89.00', '8.90')).data.recordSale.__typename).toBe('RecordSalePayload');
      expect((await sell(cashier, '89.00')).data.recordSale.__typename).toBe('RecordSalePayload');
      expect((await sell(cashier, '95.00')).data.recordSale.__typename).toBe('RecordSalePayload');
      expect(await sales()).toBe(before + 4);
    });

    it('previewSale answers the same refusal', async () => {
      const r = await t.as('CASHIER').ok(
        `mutation($input: PreviewSaleInput!) { previewSale(input: $input) { __typename
             ... on UserError { errorCode } } }`,
        { input: { storeId: slt, lines: [line('1.00')] } },
      );
      expect(r.previewSale.errorCode).toBe('DISCOUNT_LIMIT_EXCEEDED');
    });

    it('a manager may give up to 50 %, the owner any price', async () => {
      const manager = { token: await t.token('MANAGER') };
      expect((await sell(manager, '44.50')).data.recordSale.__typename).toBe('RecordSalePayload');
      expect((await sell(manager, '44.49')).data.recordSale.errorCode).toBe('DISCOUNT_LIMIT_EXCEEDED');
      expect((await sell({ token: await t.token('OWNER') }, '0.01')).data.recordSale.__typename).toBe(
        'RecordSalePayload',
      );
    });

    it("a POS key is held to its role's limit unless its owner gave it one", async () => {
      const plain = (await t.as('OWNER').ok(CREATE_KEY, { name: 'POS-09', s: [slt] })).createApiKey.key;
      expect((await sell({ apiKey: plain }, '1.00')).data.recordSale.errorCode).toBe('DISCOUNT_LIMIT_EXCEEDED');
      expect((await sell({ apiKey: plain }, '85.00')).data.recordSale.__typename).toBe('RecordSalePayload');
      const strict = (await t.as('OWNER').ok(CREATE_KEY, { name: 'POS-10', s: [slt], max: 0 })).createApiKey.key;
      expect((await sell({ apiKey: strict }, '88.99')).data.recordSale.errorCode).toBe('DISCOUNT_LIMIT_EXCEEDED');
      const promo = (await t.as('OWNER').ok(CREATE_KEY, { name: 'POS-11', s: [slt], max: 30 })).createApiKey.key;
      expect((await sell({ apiKey: promo }, '62.30')).data.recordSale.__typename).toBe('RecordSalePayload');
      const bad = await t.as('OWNER').ok(CREATE_KEY, { name: 'POS-12', s: [slt], max: 101 });
      expect(bad.createApiKey).toMatchObject({ errorCode: 'INVALID_INPUT', field: ['maxDiscountPercent'] });
    });
  });
});

describe('price limits are configurable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ app: { discountLimits: { CASHIER: 0 } } });
  });
  afterAll(() => t?.close());

  it('with CASHIER=0 a cashier sells at the catalogue price only', async () => {
    const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    const sell = (unitPrice: string) =>
      t.as('CASHIER').ok(RECORD_SALE, {
        input: {
          storeId: slt,
          externalId: uniqueId('CFG'),
          lines: [{ sku: 'DR-001', quantity: 1, unitPrice }],
          payments: [{ method: 'CASH', amount: unitPrice }],
        },
      });
    expect((await sell('1.99')).recordSale.errorCode).toBe('DISCOUNT_LIMIT_EXCEEDED');
    expect((await sell('2.00')).recordSale.__typename).toBe('RecordSalePayload');
  });
});

describe('SALE_DISCOUNT_LIMITS', () => {
  it('reads ROLE=percent pairs and refuses anything else at start', async () => {
    const { loadConfig } = await import('../src/config.ts');
    expect(loadConfig({ SALE_DISCOUNT_LIMITS: 'CASHIER=5, MANAGER=40' }).SALE_DISCOUNT_LIMITS).toEqual({
      CASHIER: 5,
      MANAGER: 40,
    });
    expect(loadConfig({}).SALE_DISCOUNT_LIMITS).toBeUndefined();
    for (const bad of ['CASHIER=101', 'BOSS=10', 'CASHIER'])
      expect(() => loadConfig({ SALE_DISCOUNT_LIMITS: bad })).toThrow(/SALE_DISCOUNT_LIMITS/);
  });
});
