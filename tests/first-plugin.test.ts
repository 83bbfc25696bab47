import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginConfigError } from '../src/plugin-host/host.ts';
import { spendAndSavePlugin } from './fixtures/spend-and-save-plugin.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { stockUp } from './helpers/loyalty.ts';
import { uniqueId } from './helpers/queries.ts';

/** docs/plugins.md, "Write your first plugin": the code it shows is this fixture, word for word. */
describe('the first-plugin walkthrough', () => {
  it('shows the fixture exactly as it is in the tree', () => {
    const docs = readFileSync(new URL('../docs/plugins.md', import.meta.url), 'utf8');
    const marker = '<!-- walkthrough: tests/fixtures/spend-and-save-plugin.ts -->';
    const at = docs.indexOf(marker);
    expect(at, 'the walkthrough marker in docs/plugins.md').toBeGreaterThan(0);
    const block = /```ts\n([\s\S]*?)```/.exec(docs.slice(at))?.[1];
    const file = readFileSync(new URL('./fixtures/spend-and-save-plugin.ts', import.meta.url), 'utf8');
    expect(block).toBe(file);
  });

  it('refuses options that are not amounts, naming the option', () => {
    expect(() => spendAndSavePlugin({ threshold: '三百', amountOff: '50' })).toThrow(PluginConfigError);
    expect(() => spendAndSavePlugin({ threshold: '三百', amountOff: '50' })).toThrow(/threshold: an amount in yuan/);
  });
});

describe('the walkthrough plugin, installed', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins: [spendAndSavePlugin({ threshold: '100', amountOff: '20' })] });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['DR-004', 'SN-001']);
  });
  afterAll(() => t?.close());

  const PREVIEW = `mutation($input: PreviewSaleInput!) { previewSale(input: $input) {
    ... on SaleQuote { total spendAndSaveHint adjustments { source label amount lines { lineNo amount } } } } }`;

  it('tells the till how much more to buy, then gives the discount spread over the lines', async () => {
    const small = { storeId: store, lines: [{ sku: 'SN-001', quantity: 1, unitPrice: '60.00' }] };
    const hint = (await t.ok(PREVIEW, { input: small }, { apiKey: t.posKey })).previewSale;
    expect(hint).toEqual({ total: '60.00', spendAndSaveHint: '再买 ¥40.00 可享满100减20', adjustments: [] });
    const en = (await t.ok(PREVIEW, { input: small }, { apiKey: t.posKey, locale: 'en' })).previewSale;
    expect(en.spendAndSaveHint).toBe('Buy ¥40.00 more for ¥20 off ¥100');

    const lines = [
      { sku: 'SN-001', quantity: 1, unitPrice: '60.00' },
      { sku: 'DR-004', quantity: 1, unitPrice: '90.00' },
    ];
    const big = (await t.ok(PREVIEW, { input: { storeId: store, lines } }, { apiKey: t.posKey })).previewSale;
    expect(big).toEqual({
      total: '130.00',
      spendAndSaveHint: null,
      adjustments: [
        {
          source: 'spend-and-save',
          label: '满100减20',
          amount: '20.00',
          lines: [
            { lineNo: 1, amount: '8.00' },
            { lineNo: 2, amount: '12.00' },
          ],
        },
      ],
    });
    const recorded = await t.ok(
      `mutation($input: RecordSaleInput!) { recordSale(input: $input) {
        ... on RecordSalePayload { sale { total adjustments { source amount } } } } }`,
      {
        input: {
          storeId: store,
          externalId: uniqueId(),
          lines,
          payments: [{ method: 'CASH', amount: '130.00' }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(recorded.recordSale.sale).toEqual({
      total: '130.00',
      adjustments: [{ source: 'spend-and-save', amount: '20.00' }],
    });
  });
});
