import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename
  ... on Product { sku price cost active } ... on UserError { errorCode field } } }`;
const UPDATE = `mutation($sku: String!, $input: UpdateProductInput!)
  { updateProduct(sku: $sku, input: $input) { __typename ... on Product { sku price active }
    ... on UserError { errorCode field } } }`;

describe('products', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp();
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  });
  afterAll(() => t?.close());

  it('creates a product, refusing a duplicate SKU or barcode and a cashier', async () => {
    const owner = t.as('OWNER');
    const input = {
      sku: 'TEA-001',
      barcode: '6900000000017',
      name: '西湖龙井 250g',
      category: '茶叶',
      price: '198.00',
      cost: '120.00',
    };
    expect((await owner.ok(CREATE, { input })).createProduct).toEqual({
      __typename: 'Product',
      sku: 'TEA-001',
      price: '198.00',
      cost: '120.00',
      active: true,
    });
    expect((await owner.ok(CREATE, { input })).createProduct).toEqual({
      __typename: 'ConflictError',
      errorCode: 'DUPLICATE_CODE',
      field: ['input', 'sku'],
    });
    expect((await owner.ok(CREATE, { input: { ...input, sku: 'TEA-002' } })).createProduct).toEqual({
      __typename: 'ConflictError',
      errorCode: 'DUPLICATE_CODE',
      field: ['input', 'barcode'],
    });
    // A code a till scans names one product: another product's SKU cannot be a barcode, nor the reverse.
    expect((await owner.ok(CREATE, { input: { ...input, sku: 'TEA-004', barcode: 'TEA-001' } })).createProduct).toEqual(
      { __typename: 'ConflictError', errorCode: 'DUPLICATE_CODE', field: ['input', 'barcode'] },
    );
    expect(
      (await owner.ok(CREATE, { input: { ...input, sku: '6900000000017', barcode: null } })).createProduct,
    ).toEqual({ __typename: 'ConflictError', errorCode: 'DUPLICATE_CODE', field: ['input', 'sku'] });
    const denied = await t.as('CASHIER').gql(CREATE, { input: { ...input, sku: 'TEA-003', barcode: null } });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('finds products by name fragment, SKU or barcode', async () => {
    const owner = t.as('OWNER');
    const q = `query($q: String!) { products(first: 10, query: $q) { edges { node { sku } } } }`;
    for (const term of ['龙井', 'TEA-001', '6900000000017']) {
      const r = await owner.ok(q, { q: term });
      expect(r.products.edges.map((e: { node: { sku: string } }) => e.node.sku)).toEqual(['TEA-001']);
    }
  });

  it('a price change applies to new sales only; a deactivated product cannot be sold', async () => {
    const owner = t.as('OWNER');
    await owner.ok(
      `mutation($s: ID!) { adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "TEA-001", quantity: 10 }])
         { __typename } }`,
      { s: store },
    );
    const sale = (price: string) => ({
      storeId: store,
      externalId: uniqueId(),
      lines: [{ sku: 'TEA-001', quantity: 1 }],
      payments: [{ method: 'CARD', amount: price }],
    });
    const first = await t.ok(RECORD_SALE, { input: sale('198.00') }, { apiKey: t.posKey });
    expect((await owner.ok(UPDATE, { sku: 'TEA-001', input: { price: '188.00' } })).updateProduct.price).toBe('188.00');
    const second = await t.ok(RECORD_SALE, { input: sale('188.00') }, { apiKey: t.posKey });
    expect(second.recordSale.sale.lines[0].unitPrice).toBe('188.00');
    const old = await owner.ok(`query($id: ID!) { sale(id: $id) { lines { unitPrice } } }`, {
      id: first.recordSale.sale.id,
    });
    expect(old.sale.lines[0].unitPrice).toBe('198.00');

    expect((await owner.ok(UPDATE, { sku: 'TEA-001', input: { active: false } })).updateProduct.active).toBe(false);
    const refused = await t.ok(RECORD_SALE, { input: sale('188.00') }, { apiKey: t.posKey });
    expect(refused.recordSale).toMatchObject({
      __typename: 'InvalidStateError',
      errorCode: 'PRODUCT_INACTIVE',
      field: ['input', 'lines', '0', 'sku'],
    });
    expect((await owner.ok(UPDATE, { sku: 'NOPE', input: { active: false } })).updateProduct).toMatchObject({
      errorCode: 'UNKNOWN_SKU',
    });
  });
});
