import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';

/**
 * A new user's first try: download a template and send it back as it is. The example rows name
 * this deployment's stores, so a dry run passes; files that refer to products pass once the
 * products template's rows are imported, in the order docs/migration.md gives.
 */
describe('import templates as downloaded', () => {
  let t: TestApp;
  let base: string;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    token = await t.token('OWNER');
  });
  afterAll(() => t?.close());

  const template = async (kind: string, ext: 'csv' | 'xlsx') => {
    const r = await fetch(`${base}/imports/templates/${kind}.${ext}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(200);
    return r.arrayBuffer();
  };
  const send = async (kind: string, body: ArrayBuffer, dryRun: boolean) => {
    const r = await fetch(`${base}/imports/${kind}?dryRun=${dryRun}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: r.status, report: (await r.json()) as { errors: { message: string }[]; created: number } };
  };

  it("names this deployment's stores in its example rows; customers, staff and products pass a dry run", async () => {
    const codes = t.stores.map((s) => s.code).sort();
    const csv = new TextDecoder().decode(await template('customers', 'csv'));
    expect(csv).toContain(codes[0]);
    expect(csv).not.toContain('{store');
    for (const kind of ['customers', 'staff', 'products'])
      for (const ext of ['csv', 'xlsx'] as const) {
        const { status, report } = await send(kind, await template(kind, ext), true);
        expect({ kind, ext, status, errors: report.errors }).toEqual({ kind, ext, status: 200, errors: [] });
      }
  });

  it('the opening-stock template passes once the products template is imported', async () => {
    const before = await send('opening-stock', await template('opening-stock', 'xlsx'), true);
    expect(before.status).toBe(422);
    expect(before.report.errors[0]!.message).toMatch(/请先导入商品/);
    const products = await send('products', await template('products', 'xlsx'), false);
    expect(products.status).toBe(200);
    const after = await send('opening-stock', await template('opening-stock', 'xlsx'), true);
    expect(after).toMatchObject({ status: 200, report: { errors: [] } });
  });
});
