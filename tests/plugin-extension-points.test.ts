import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalePipeline } from '../src/contract.ts';
import { runInTransaction } from '../src/events/transaction.ts';
import { Prisma } from '../src/generated/prisma/client.ts';
import { recordSale } from '../src/sales/record.ts';
import { createApp } from '../src/server.ts';
import { createLogger } from '../src/logger.ts';
import { definePlugin, PluginConfigError, PluginHost } from '../src/plugin-host/host.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { rawId, uniqueId } from './helpers/queries.ts';
import { giftCardPlugin } from './fixtures/gift-card-plugin.ts';

// A plugin written outside plugins/ (tests/fixtures/gift-card-plugin.ts) adds a sale input, a
// tender, permissions, routes, a Yoga plugin and a teardown, with no edit in src/.

const SALE_WITH_INPUT = `mutation Record($input: RecordSaleInput!) {
  recordSale(input: $input) {
    __typename
    ... on RecordSalePayload { replayed sale { id total payments { method amount } } }
    ... on UserError { errorCode message field }
  }
}`;

describe('a plugin from tests/fixtures using every extension point', () => {
  let t: TestApp;
  let base: string;
  let store: string;
  let otherStore: string;
  const gift = giftCardPlugin();
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const bearer = async (role: Parameters<TestApp['token']>[0]) => ({ authorization: `Bearer ${await t.token(role)}` });

  beforeAll(async () => {
    t = await startTestApp({ plugins: [gift.plugin] });
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    otherStore = t.stores.find((s) => s.code === 'BJ-WDK')!.id;
  });
  afterAll(() => t?.close());

  const sale = (extra: Record<string, unknown>, payments: unknown[]) => ({
    storeId: store,
    externalId: uniqueId('GC'),
    lines: [{ sku: 'DR-002', quantity: 1, unitPrice: '20.00' }],
    payments,
    ...extra,
  });

  describe('a tender', () => {
    it('is listed with its label in the caller language, after core tenders', async () => {
      const q = `{ tenders { code label plugin } }`;
      const zh = await t.as('CASHIER').ok(q);
      expect(zh.tenders.map((x: { code: string }) => x.code)).toEqual([
        'CASH',
        'CARD',
        'WECHAT_PAY',
        'ALIPAY',
        'OTHER',
        'GIFT_CARD',
      ]);
      expect(zh.tenders.at(-1)).toEqual({ code: 'GIFT_CARD', label: '礼品卡', plugin: 'gift-card' });
      const en = await t.as('CASHIER').ok(q, {}, { locale: 'en' });
      expect(en.tenders.at(-1).label).toBe('Gift card');
      expect(en.tenders[0]).toEqual({ code: 'CASH', label: 'Cash', plugin: null });
    });

    it('is accepted, settled by the plugin step with the plugin sale input, and recorded on the payment', async () => {
      await t.as('OWNER').ok(`mutation($s: ID!) { issueGiftCard(storeId: $s, code: "GC-100", amount: "50.00") }`, {
        s: store,
      });
      const input = sale({ giftCardCode: 'GC-100' }, [
        { method: 'GIFT_CARD', amount: '15.00' },
        { method: 'CASH', amount: '5.00' },
      ]);
      const r = await t.ok(SALE_WITH_INPUT, { input }, { apiKey: t.posKey });
      expect(r.recordSale.__typename).toBe('RecordSalePayload');
      expect(r.recordSale.sale.payments).toEqual([
        { method: 'GIFT_CARD', amount: '15.00' },
        { method: 'CASH', amount: '5.00' },
      ]);
      const saleId = rawId(r.recordSale.sale.id);
      expect(gift.seen.find((s) => s.saleId === saleId)).toEqual({ saleId, code: 'GC-100', amount: '15.00' });
      expect(gift.balances.get('GC-100')?.toFixed(2)).toBe('35.00');
      const stored = await t.db.database.prisma.payment.findMany({ where: { saleId }, orderBy: { method: 'asc' } });
      expect(stored.map((p) => p.method)).toEqual(['CASH', 'GIFT_CARD']);
    });

    it('is refused by the step when the card cannot pay, and nothing is written', async () => {
      const input = sale({ giftCardCode: 'GC-100' }, [{ method: 'GIFT_CARD', amount: '20.00' }]);
      await t.ok(
        `mutation($s: ID!) { issueGiftCard(storeId: $s, code: "GC-5", amount: "5.00") }`,
        { s: store },
        {
          token: await t.token('OWNER'),
        },
      );
      const poor = await t.ok(SALE_WITH_INPUT, { input: { ...input, giftCardCode: 'GC-5' } }, { apiKey: t.posKey });
      expect(poor.recordSale).toMatchObject({ errorCode: 'GIFT_CARD_INSUFFICIENT', field: ['input', 'giftCardCode'] });
      const missing = await t.ok(
        SALE_WITH_INPUT,
        { input: { ...input, externalId: uniqueId('GC'), giftCardCode: null } },
        { apiKey: t.posKey },
      );
      expect(missing.recordSale.errorCode).toBe('GIFT_CARD_CODE_REQUIRED');
      expect(await t.db.database.prisma.sale.count({ where: { externalId: input.externalId } })).toBe(0);
      expect(gift.balances.get('GC-5')?.toFixed(2)).toBe('5.00');
    });

    it('is refused by recordSale itself while nothing installed settles it', async () => {
      const input = {
        storeId: rawId(store),
        externalId: uniqueId('GC'),
        lines: [{ sku: 'DR-002', quantity: 1, unitPrice: new Prisma.Decimal('20.00') }],
        payments: [{ method: 'GIFT_CARD', amount: new Prisma.Decimal('20.00') }],
      };
      const { db, events, plugins } = t.app.services;
      const record = (pipeline: SalePipeline) =>
        runInTransaction(db, events, (unit) => recordSale(unit, pipeline, { ...input, externalId: uniqueId('GC') }));
      await expect(record({ steps: [], tenders: new Set() })).rejects.toMatchObject({
        code: 'TENDER_NOT_ACCEPTED',
        field: ['input', 'payments', '0', 'method'],
      });
      await expect(record(plugins.salePipeline)).rejects.toMatchObject({ code: 'GIFT_CARD_CODE_REQUIRED' });
    });
  });

  describe('a sale input', () => {
    it('reaches the step and counts in the fingerprint', async () => {
      const input = sale({ giftCardCode: 'NOT-USED' }, [{ method: 'CASH', amount: '20.00' }]);
      const first = await t.ok(SALE_WITH_INPUT, { input }, { apiKey: t.posKey });
      expect(first.recordSale.replayed).toBe(false);
      const saleId = rawId(first.recordSale.sale.id);
      expect(gift.seen.find((s) => s.saleId === saleId)?.code).toBe('NOT-USED');
      const again = await t.ok(SALE_WITH_INPUT, { input }, { apiKey: t.posKey });
      expect(again.recordSale).toMatchObject({ replayed: true, sale: { id: first.recordSale.sale.id } });
      const changed = await t.ok(SALE_WITH_INPUT, { input: { ...input, giftCardCode: 'OTHER' } }, { apiKey: t.posKey });
      expect(changed.recordSale.errorCode).toBe('EXTERNAL_ID_CONFLICT');
    });

    it('is on the preview input too, and a preview takes nothing from the card', async () => {
      await t.as('OWNER').ok(`mutation($s: ID!) { issueGiftCard(storeId: $s, code: "GC-P", amount: "30.00") }`, {
        s: store,
      });
      const { externalId: _drop, ...input } = sale({ giftCardCode: 'GC-P' }, [
        { method: 'GIFT_CARD', amount: '20.00' },
      ]);
      const r = await t.ok(
        `mutation($input: PreviewSaleInput!) { previewSale(input: $input) {
          __typename ... on SaleQuote { total } ... on UserError { errorCode } } }`,
        { input },
        { apiKey: t.posKey },
      );
      expect(r.previewSale).toEqual({ __typename: 'SaleQuote', total: '20.00' });
      // The step saw the input and the tender in the preview, and nothing was taken.
      expect(gift.seen.some((x) => x.code === 'GC-P' && x.amount === '20.00')).toBe(true);
      expect(gift.balances.get('GC-P')?.toFixed(2)).toBe('30.00');
    });
  });

  describe('permissions', () => {
    const issue = `mutation($s: ID!) { issueGiftCard(storeId: $s, code: "GC-X", amount: "1.00") }`;
    const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

    it('a store permission is granted by the role in that store only', async () => {
      expect((await t.as('MANAGER').ok(issue, { s: store })).issueGiftCard).toBe('GC-X');
      expect(code(await t.as('MANAGER').gql(issue, { s: otherStore }))).toBe('FORBIDDEN');
      expect(code(await t.as('CASHIER').gql(issue, { s: store }))).toBe('FORBIDDEN');
      expect(code(await t.gql(issue, { s: store }))).toBe('UNAUTHENTICATED');
      expect((await t.as('OWNER').ok(issue, { s: otherStore })).issueGiftCard).toBe('GC-X');
    });

    it('a chain permission needs the role in every store, even for a role that is granted it', async () => {
      const q = `{ giftCardSettings }`;
      expect((await t.as('OWNER').ok(q)).giftCardSettings).toBe('chain-wide');
      // MANAGER is among its roles, but the demo manager runs one store of three.
      expect(code(await t.as('MANAGER').gql(q))).toBe('FORBIDDEN');
      expect(code(await t.as('SALES_ASSOCIATE').gql(q))).toBe('FORBIDDEN');
    });

    it('is in the table every check consults, with its scope', () => {
      const table = t.app.services.permissions;
      expect(table.list().find((p) => p.name === 'gift-card:issue')).toMatchObject({
        scope: 'store',
        plugin: 'gift-card',
        roles: ['OWNER', 'MANAGER'],
      });
      expect(table.grants('MANAGER', 'gift-card:issue')).toBe(true);
      expect(table.grants('CASHIER', 'gift-card:issue')).toBe(false);
      expect(table.isChain('gift-card:configure')).toBe(true);
    });
  });

  describe('routes and Yoga plugins', () => {
    it('a route answers beside /graphql, with the caller language', async () => {
      const res = await get('/plugins/gift-card/ping', { 'accept-language': 'en' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ pong: true, locale: 'en' });
    });

    it('a route that needs a permission refuses without it and answers with it', async () => {
      await t.as('OWNER').ok(`mutation($s: ID!) { issueGiftCard(storeId: $s, code: "GC-R", amount: "12.50") }`, {
        s: store,
      });
      const anonymous = await get('/plugins/gift-card/balance/GC-R');
      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const cashier = await get('/plugins/gift-card/balance/GC-R', await bearer('CASHIER'));
      expect(cashier.status).toBe(403);
      const manager = await get('/plugins/gift-card/balance/GC-R', await bearer('MANAGER'));
      expect(manager.status).toBe(200);
      expect(await manager.json()).toEqual({ code: 'GC-R', balance: '12.50', by: '林晓燕' });
      // The route's own match: a path it does not take falls through to GraphQL's 404.
      expect((await get('/plugins/gift-card/balance/a/b', await bearer('MANAGER'))).status).toBe(404);
    });

    it('a failing route is answered 500 without its details', async () => {
      const res = await get('/plugins/gift-card/broken');
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
    });

    it('a Yoga plugin sees GraphQL responses', async () => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gift-card')).toBe('on');
    });

    it('installedPlugins shows what the plugin adds', async () => {
      const data = await t.as('CASHIER').ok(`{ installedPlugins { name permissions tenders routes } }`);
      expect(data.installedPlugins).toEqual([
        {
          name: 'gift-card',
          permissions: ['gift-card:issue', 'gift-card:configure'],
          tenders: ['GIFT_CARD'],
          routes: [
            'GET /plugins/gift-card/ping',
            'GET /plugins/gift-card/balance/*',
            'GET /plugins/gift-card/slow',
            'GET /plugins/gift-card/broken',
          ],
        },
      ]);
    });

    it("core's routes are still served from the same table", async () => {
      expect((await get('/healthz')).status).toBe(200);
      expect((await get('/exports/customers.csv')).status).toBe(401);
      const template = await get('/imports/templates/customers.csv');
      expect(template.status).toBe(200);
      expect(template.headers.get('content-type')).toMatch(/text\/csv/);
      expect((await fetch(`${base}/imports/customers`, { method: 'POST', body: 'x' })).status).toBe(401);
    });
  });
});

describe('without the plugin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ seed: false });
  });
  afterAll(() => t?.close());

  it('its tender, permissions and routes are gone', async () => {
    const r = await t.gql(`{ __type(name: "PaymentMethod") { enumValues { name } } }`);
    expect(r.data.__type.enumValues.map((v: { name: string }) => v.name).sort()).toEqual(
      ['ALIPAY', 'CARD', 'CASH', 'OTHER', 'WECHAT_PAY'].sort(),
    );
    expect(t.app.services.permissions.list().some((p) => p.plugin)).toBe(false);
    expect(t.app.services.permissions.grants('OWNER', 'gift-card:issue')).toBe(false);
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    expect((await fetch(`${base}/plugins/gift-card/ping`)).status).toBe(404);
  });
});

describe('a payment in the tender of a plugin removed since', () => {
  it('is kept as recorded and reads OTHER; a new sale in it is refused', async () => {
    const gift = giftCardPlugin();
    const t = await startTestApp({ plugins: [gift.plugin] });
    try {
      const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
      await t.as('OWNER').ok(`mutation($s: ID!) { issueGiftCard(storeId: $s, code: "GC-1", amount: "99.00") }`, {
        s: store,
      });
      const input = {
        storeId: store,
        externalId: uniqueId('GC'),
        giftCardCode: 'GC-1',
        lines: [{ sku: 'DR-002', quantity: 1, unitPrice: '20.00' }],
        payments: [{ method: 'GIFT_CARD', amount: '20.00' }],
      };
      const r = await t.ok(SALE_WITH_INPUT, { input }, { apiKey: t.posKey });
      const saleId = r.recordSale.sale.id;

      // The same database served without the plugin.
      const without = await createApp({
        database: t.db.database,
        jwtSecret: 'x'.repeat(32),
        logger: createLogger('silent'),
        plugins: [],
      });
      try {
        const call = async (query: string, variables: Record<string, unknown>) =>
          (
            await without.yoga.fetch('http://test/graphql', {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-api-key': t.posKey },
              body: JSON.stringify({ query, variables }),
            })
          ).json() as Promise<{ data?: any; errors?: { message: string }[] }>;
        const read = await call(`query($id: ID!) { node(id: $id) { ... on Sale { payments { method amount } } } }`, {
          id: saleId,
        });
        expect(read.errors).toBeUndefined();
        expect(read.data.node.payments).toEqual([{ method: 'OTHER', amount: '20.00' }]);
        expect((await t.db.database.prisma.payment.findFirst({ where: { saleId: rawId(saleId) } }))?.method).toBe(
          'GIFT_CARD',
        );
        const { giftCardCode: _code, ...plain } = input;
        const refused = await call(SALE_WITH_INPUT, { input: { ...plain, externalId: uniqueId('GC') } });
        expect(refused.errors?.[0]?.message).toMatch(/Value "GIFT_CARD" does not exist in "PaymentMethod" enum/);
      } finally {
        await without.close();
      }
    } finally {
      await t.close();
    }
  });
});

describe('teardown', () => {
  it('runs on close after requests in flight have finished', async () => {
    const gift = giftCardPlugin({ slowRouteMs: 400 });
    const t = await startTestApp({ plugins: [gift.plugin], seed: false });
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    const slow = fetch(`${base}/plugins/gift-card/slow`);
    await new Promise((r) => setTimeout(r, 100)); // the request is in flight
    await t.close();
    expect((await slow).status).toBe(200);
    expect(gift.log).toEqual(['route:slow:done', 'teardown:start', 'teardown:end']);
  });

  it('runs in reverse plugin order within a bounded time, past one that fails or hangs', async () => {
    const order: string[] = [];
    const a = definePlugin({ name: 'a', teardown: () => void order.push('a') });
    const b = definePlugin({
      name: 'b',
      dependsOn: ['a'],
      teardown: () => {
        order.push('b');
        throw new Error('b could not flush');
      },
    });
    const c = definePlugin({
      name: 'c',
      dependsOn: ['b'],
      teardown: () => {
        order.push('c');
        return new Promise<void>(() => {}); // never settles
      },
    });
    const host = new PluginHost([a, c, b]);
    const logger = createLogger('silent');
    await host.start({ db: {} as never, events: { on: () => {} } as never, logger });
    const started = Date.now();
    await host.teardown(logger, 300);
    expect(order).toEqual(['c', 'b', 'a']);
    // c took the whole budget; b and a still ran, and the whole took about the budget.
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('declarations the host refuses', () => {
  const step = { name: 'x.step' };
  it.each([
    [
      'a permission not named after the plugin',
      definePlugin({ name: 'x', permissions: [{ name: 'campaigns:manage', scope: 'chain', roles: ['OWNER'] }] }),
      /permissions are named "x:<action>"/,
    ],
    [
      'a permission core declares',
      definePlugin({ name: 'customer', permissions: [{ name: 'customer:read', scope: 'shared', roles: ['OWNER'] }] }),
      /declares the permission "customer:read", which core declares/,
    ],
    [
      'a role that does not exist',
      definePlugin({ name: 'x', permissions: [{ name: 'x:do', scope: 'store', roles: ['BOSS' as never] }] }),
      /granted to "BOSS", which is no role/,
    ],
    [
      'a tender core settles',
      definePlugin({ name: 'x', saleSteps: [step], tenders: [{ code: 'CASH', label: { 'zh-CN': '现', en: 'C' } }] }),
      /declares the tender "CASH", which core settles/,
    ],
    [
      'a tender without a step to settle it',
      definePlugin({ name: 'x', tenders: [{ code: 'VOUCHER', label: { 'zh-CN': '券', en: 'Voucher' } }] }),
      /no sale step to settle it/,
    ],
    [
      'a tender code that is not upper-case',
      definePlugin({ name: 'x', saleSteps: [step], tenders: [{ code: 'gift', label: { 'zh-CN': '礼', en: 'G' } }] }),
      /upper-case letters/,
    ],
    [
      'a route outside the plugin namespace',
      definePlugin({ name: 'x', routes: [{ method: 'GET', path: '/graphql', handler: () => {} }] }),
      /must lie under \/plugins\/x\//,
    ],
  ])('%s', (_what, plugin, message) => {
    expect(() => new PluginHost([plugin])).toThrow(PluginConfigError);
    expect(() => new PluginHost([plugin])).toThrow(message);
  });

  it('two plugins declaring the same tender', () => {
    const tender = { code: 'VOUCHER', label: { 'zh-CN': '券', en: 'Voucher' } };
    const one = definePlugin({ name: 'one', saleSteps: [step], tenders: [tender] });
    const two = definePlugin({ name: 'two', saleSteps: [step], tenders: [tender] });
    expect(() => new PluginHost([one, two])).toThrow(/plugin "one" declares/);
  });

  it('a plugin whose Prisma models were not generated stops the start', async () => {
    const plugin = definePlugin({
      name: 'x',
      prismaSchema: new URL('./fixtures/no-such/schema.prisma', import.meta.url).pathname,
    });
    const t = await startTestApp({ seed: false });
    try {
      await expect(
        createApp({
          database: t.db.database,
          jwtSecret: 'x'.repeat(32),
          logger: createLogger('silent'),
          plugins: [plugin],
        }),
      ).rejects.toThrow(/lacks the models of "x": run npm run prisma:generate/);
    } finally {
      await t.close();
    }
  });
});
