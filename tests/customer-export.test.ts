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
