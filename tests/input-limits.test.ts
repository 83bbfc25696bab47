import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, REFUND_SALE, uniqueId } from './helpers/queries.ts';

/**
 * Every input has a bound, checked before resolvers run (src/schema/input-limits.ts): a too long
 * string, a NUL byte or a number past what a column holds is a typed input error naming the field,
 * the message never echoes the value, nothing is written; GraphQL's own input errors carry a code.
 */
describe('input limits', () => {
  let t: TestApp;
  let store: string;
  const MB = 'x'.repeat(1024 * 1024);

  beforeAll(async () => {
    t = await startTestApp();
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  });
  afterAll(() => t?.close());

  const sale = (extra: Record<string, unknown> = {}, payment: Record<string, unknown> = {}) => ({
    storeId: store,
    externalId: uniqueId('LIM'),
    lines: [{ sku: 'SN-001', quantity: 1, unitPrice: '1.00' }],
    payments: [{ method: 'CASH', amount: '1.00', ...payment }],
    ...extra,
  });

  const expectRefused = (r: any, field: string[], errorCode = 'INPUT_TOO_LONG') => {
    expect(r.data ?? null).toBeNull();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode, field });
    expect(r.errors[0].message.length).toBeLessThan(300);
  };

  it('refuses a 1 MB payment reference, naming the field, and records nothing', async () => {
    const input = sale({}, { reference: MB });
    const r = await t.gql(RECORD_SALE, { input }, { apiKey: t.posKey });
    expectRefused(r, ['input', 'payments', '0', 'reference']);
    expect(r.errors![0]!.extensions).toMatchObject({ maxLength: 100 });
    const found = await t.as('OWNER').gql(`query($s: ID!, $e: String!) { sale(storeId: $s, externalId: $e) { id } }`, {
      s: store,
      e: input.externalId,
    });
    expect(found.data?.sale ?? null).toBeNull();
  });

  it('refuses a 1 MB member code without echoing it, in a variable or a literal', async () => {
    const r = await t.gql(RECORD_SALE, { input: sale({ memberCode: MB }) }, { apiKey: t.posKey });
    expectRefused(r, ['input', 'memberCode']);
    expect(JSON.stringify(r).length).toBeLessThan(2_000);
    const literal = await t.as('OWNER').gql(`{ customer(memberCode: "${'9'.repeat(5_000)}") { id } }`);
    expectRefused(literal, ['memberCode']);
  });

  it('takes a customer note up to its documented 2,000 characters, and not 5 MB', async () => {
    const owner = t.as('OWNER');
    const create = `mutation($input: CreateCustomerInput!)
      { createCustomer(input: $input) { __typename ... on Customer { notes } } }`;
    const ok = await owner.ok(create, { input: { name: '备注', notes: '备'.repeat(2_000) } });
    expect(ok.createCustomer.notes).toHaveLength(2_000);
    const r = await owner.gql(create, { input: { name: '备注', notes: 'x'.repeat(5 * 1024 * 1024) } });
    expectRefused(r, ['input', 'notes']);
    expect(r.errors![0]!.extensions!.maxLength).toBe(2_000);
    // A name has the default bound.
    const name = await owner.gql(create, { input: { name: '名'.repeat(201) } });
    expectRefused(name, ['input', 'name']);
    expect(name.errors![0]!.message).toContain('200');
  });

  it('refuses a NUL byte as an input error, not an internal one', async () => {
    const r = await t
      .as('OWNER')
      .gql(`mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename } }`, {
        input: { name: 'a\u0000b' },
      });
    expectRefused(r, ['input', 'name'], 'INPUT_HAS_NUL');
  });

  it('refuses money beyond what a column holds as an input error', async () => {
    const r = await t.gql(
      RECORD_SALE,
      {
        input: sale(
          { lines: [{ sku: 'SN-001', quantity: 1, unitPrice: '999999999999.00' }] },
          { amount: '999999999999.00' },
        ),
      },
      { apiKey: t.posKey },
    );
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(r)).not.toContain('INTERNAL_SERVER_ERROR');
  });

  it('gives Int, enum and required-variable errors a code, and cuts what they quote', async () => {
    const wrongInt = await t.gql(
      RECORD_SALE,
      { input: sale({ lines: [{ sku: 'SN-001', quantity: 2 ** 40 }] }) },
      { apiKey: t.posKey },
    );
    expect(wrongInt.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const wrongEnum = await t.gql(RECORD_SALE, { input: sale({}, { method: MB }) }, { apiKey: t.posKey });
    expect(wrongEnum.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(wrongEnum).length).toBeLessThan(2_000);
    const missing = await t.gql(RECORD_SALE, {}, { apiKey: t.posKey });
    expect(missing.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const literal = await t
      .as('OWNER')
      .gql(`{ stockLevels(storeId: "${store}", first: "${'1'.repeat(5_000)}") { totalCount } }`);
    expect(literal.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(literal).length).toBeLessThan(2_000);
  });

  it('answers a refund of quantity 0 or −1 as invalid input, not as more than was sold', async () => {
    const s = await t.ok(RECORD_SALE, { input: sale() }, { apiKey: t.posKey });
    for (const quantity of [0, -1]) {
      const r = await t.as('MANAGER').ok(REFUND_SALE, {
        saleId: s.recordSale.sale.id,
        externalId: uniqueId('RF'),
        lines: [{ lineNo: 1, quantity }],
      });
      expect(r.refundSale).toMatchObject({
        __typename: 'InvalidInputError',
        errorCode: 'INVALID_INPUT',
        field: ['input', 'lines', '0', 'quantity'],
      });
    }
  });
});
