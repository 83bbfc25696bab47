import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { EventBus } from '../src/events/bus.ts';
import { redisUrl } from './helpers/database.ts';
import plugins from '../plugins/config.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

const UPDATE_PRICE = `mutation($sku: String!, $price: Money!)
  { updateProduct(sku: $sku, input: { price: $price }) { __typename ... on Product { price } } }`;
const CREATE_KEY = `mutation($s: [ID!]!) { createApiKey(name: "缓存测试", role: CASHIER, storeIds: $s) { __typename
  ... on CreateApiKeyPayload { key apiKey { id } } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`;

describe('reference data cached in the API process', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  });
  afterAll(() => t?.close());

  const sale = (sku: string, amount: string, apiKey = t.posKey) =>
    t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId('RC'),
          lines: [{ sku, quantity: 1 }],
          payments: [{ method: 'CASH', amount }],
        },
      },
      { apiKey },
    );

  it('a second sale reads no store, product, API key, points rule or tier from the database', async () => {
    await t.as('OWNER').ok(UPDATE_PRICE, { sku: 'DR-001', price: '2.50' });
    expect((await sale('DR-001', '2.50')).recordSale.__typename).toBe('RecordSalePayload');
    t.db.statements.length = 0;
    const second = await sale('DR-001', '2.50');
    expect(second.recordSale.__typename).toBe('RecordSalePayload');
    const reads = t.db.statements.filter((s) => /^SELECT/.test(s.trim()));
    for (const table of ['Store', 'Product', 'ApiKey', 'PointsRule', 'Tier']) {
      expect(
        reads.filter((s) => s.includes(`FROM "public"."${table}"`)),
        table,
      ).toEqual([]);
    }
  });

  it('a price change applies to the very next sale', async () => {
    expect((await t.as('OWNER').ok(UPDATE_PRICE, { sku: 'DR-001', price: '3.10' })).updateProduct.price).toBe('3.10');
    const next = await sale('DR-001', '3.10');
    expect(next.recordSale.sale?.total).toBe('3.10');
  });

  it('a revoked API key is refused on the very next request', async () => {
    const created = (await t.as('OWNER').ok(CREATE_KEY, { s: [store] })).createApiKey;
    expect((await sale('DR-002', '5.50', created.key)).recordSale.__typename).toBe('RecordSalePayload');
    await t.as('OWNER').ok(REVOKE_KEY, { id: created.apiKey.id });
    const refused = await t.gql(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId(),
          lines: [{ sku: 'DR-002', quantity: 1 }],
          payments: [{ method: 'CASH', amount: '5.50' }],
        },
      },
      { apiKey: created.key },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('a cache region', () => {
  it('does not keep a value loaded before the change that dropped the region', async () => {
    const bus = new EventBus();
    try {
      const region = bus.cache.region<string>('prices', ['product.changed']);
      let release!: () => void;
      const slowLoad = region.get('DR-001', () => new Promise<string>((r) => (release = () => r('old price'))));
      // The change commits (and is announced) while the load is still reading.
      await bus.publish([{ type: 'product.changed', payload: { productId: 'p', sku: 'DR-001' } }]);
      release();
      expect(await slowLoad).toBe('old price'); // the caller that asked gets what it read…
      expect(await region.get('DR-001', async () => 'new price')).toBe('new price'); // …but it is not kept
      expect(await region.get('DR-001', async () => 'never asked')).toBe('new price');
    } finally {
      await bus.close();
    }
  });
});

describe('a cache region while Redis is away', () => {
  const deadPort = () =>
    new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });

  it('is bypassed: every read loads, nothing is kept (a change in another process could not be heard)', async () => {
    const bus = new EventBus({ redisUrl: `redis://127.0.0.1:${await deadPort()}` });
    try {
      expect(await bus.ready(300)).toBe(false);
      expect(bus.coherent).toBe(false);
      const region = bus.cache.region<string>('prices', ['product.changed']);
      let loads = 0;
      const read = () => region.get('DR-001', async () => `price ${++loads}`);
      expect(await read()).toBe('price 1');
      expect(await read()).toBe('price 2');
      const many = await region.getMany(['a', 'b'], async (keys) => new Map(keys.map((k) => [k, `${k} ${++loads}`])));
      expect([...many.values()]).toEqual(['a 3', 'b 4']);
      expect(await bus.redisStatus()).toBe('down');
    } finally {
      await bus.close();
    }
  });

  it.skipIf(!redisUrl)('is trusted once Redis is connected and subscribed', async () => {
    const bus = new EventBus({ redisUrl, channelPrefix: `test:${Math.random().toString(36).slice(2)}:` });
    try {
      expect(await bus.ready()).toBe(true);
      expect(bus.coherent).toBe(true);
      const region = bus.cache.region<string>('prices', ['product.changed']);
      let loads = 0;
      const read = () => region.get('DR-001', async () => `price ${++loads}`);
      expect(await read()).toBe('price 1');
      expect(await read()).toBe('price 1');
      expect(await bus.redisStatus()).toBe('up');
    } finally {
      await bus.close();
    }
  });
});
