import { mkdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer } from '../examples/live-dashboard/server.ts';
import { createStorefrontServer } from '../examples/storefront/server.ts';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { DEMO_STOREFRONT_KEY } from '../src/demo/seed.ts';
import { CHROMIUM_PATH, CHROMIUM_ARGS } from './helpers/chromium.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

/**
 * The examples and GraphiQL in a real browser: Debian's Chromium, headless, driven by
 * playwright-core; one browser for the file. Without Chromium the suite is skipped (and the run
 * says so at its start, tests/helpers/announce-skips.ts); `.ci/run` installs it.
 * Screenshots go to test-artifacts/screenshots/ (not committed).
 */
const SCREENSHOTS = 'test-artifacts/screenshots';

describe.skipIf(!CHROMIUM_PATH)('in a real browser', () => {
  let t: TestApp;
  let endpoint: string;
  let browser: Browser;
  const servers: Server[] = [];
  let storefrontUrl: string;
  let dashboardUrl: string;

  const listen = (server: Server) =>
    new Promise<string>((resolve) => {
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
    });

  beforeAll(async () => {
    t = await startTestApp({ plugins: [pointsPlugin(), tiersPlugin()] });
    // As `npm start` does on first start: the plugins' demo data (tiers, points history).
    await t.app.services.plugins.seedDemo();
    endpoint = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
    storefrontUrl = await listen(
      createStorefrontServer({ endpoint, integrationKey: DEMO_STOREFRONT_KEY, demoMemberCode: '880010000037' }),
    );
    dashboardUrl = await listen(createDashboardServer({ endpoint, login: '13800000001', password: 'demo-owner-1' }));
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH!, args: CHROMIUM_ARGS });
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) server.close();
    await t?.close();
  });

  /** A fresh page that fails the test on any error the page's scripts throw. */
  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    return { page, errors };
  }

  it("storefront: the member signs in through the merchant's backend and sees their card and balance", async () => {
    const { page, errors } = await newPage();
    try {
      await page.goto(storefrontUrl);
      await page.click('#demo-member');
      await expect.poll(() => page.inputValue('#phone')).toMatch(/^1\d{10}$/);
      const phone = await page.inputValue('#phone');
      await page.click('button[type="submit"]');
      await page.locator('#account').waitFor({ state: 'visible', timeout: 10_000 });

      // What the API says of the same customer, with a token of its own.
      const issued = await t.ok(
        `mutation($p: String!) { issueCustomerToken(input: { phone: $p }) { ... on CustomerToken { token } } }`,
        { p: phone },
        { apiKey: DEMO_STOREFRONT_KEY },
      );
      const { myAccount } = await t.ok(
        `{ myAccount { name memberCard { code } points { balance } tier { tier { name } }
           purchases(first: 1) { edges { node { total } } } } }`,
        {},
        { token: issued.issueCustomerToken.token },
      );
      expect(myAccount.points.balance).toBeGreaterThan(0);
      await expect
        .poll(() => page.textContent('[data-testid="points-balance"]'))
        .toBe(String(myAccount.points.balance));
      expect(await page.textContent('#member-name')).toBe(myAccount.name);
      expect(await page.textContent('#member-code')).toBe('880010000037');
      expect(await page.textContent('#tier-name')).toContain(myAccount.tier.tier.name);
      expect(await page.locator('#points-history li').count()).toBeGreaterThan(0);
      expect(await page.locator('#purchases li').first().textContent()).toContain(
        `¥${myAccount.purchases.edges[0].node.total}`,
      );
      // The QR code the till scans: an SVG drawn by the backend, loaded.
      await expect
        .poll(() => page.$eval('#member-qr', (img) => (img as HTMLImageElement).naturalWidth))
        .toBeGreaterThan(0);
      await page.screenshot({ path: `${SCREENSHOTS}/storefront.png`, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('live dashboard: a sale recorded through the API appears within 2 seconds', async () => {
    const { page, errors } = await newPage();
    try {
      await page.goto(dashboardUrl);
      await page.locator('#status.live').waitFor({ timeout: 10_000 });
      await page.locator('#stores tbody tr[data-store="BJ-SLT"]').waitFor();
      const revenueBefore = await page.textContent('#stores tr[data-store="BJ-SLT"] .revenue');

      const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
      const started = Date.now();
      const recorded = await t.ok(
        RECORD_SALE,
        {
          input: {
            storeId: slt,
            externalId: uniqueId('BROWSER'),
            lines: [{ sku: 'DR-002', quantity: 3, unitPrice: '5.50' }],
            payments: [{ method: 'WECHAT_PAY', amount: '16.50' }],
          },
        },
        { apiKey: t.posKey },
      );
      const sale = recorded.recordSale.sale;
      const row = page.locator(`#ticker li[data-sale-id="${sale.id}"]`);
      // Two seconds from sending the sale to seeing it on the page.
      await row.waitFor({ timeout: Math.max(1, 2000 - (Date.now() - started)) });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await row.textContent()).toContain('北京三里屯店 ¥16.50 DR-002×3');
      const fen = (text: string | null) => Math.round(Number(text!.replace('¥', '')) * 100);
      expect(fen(await page.textContent('#stores tr[data-store="BJ-SLT"] .revenue'))).toBe(fen(revenueBefore) + 1650);
      expect(await page.locator('#chart rect').count()).toBe(24);
      await page.screenshot({ path: `${SCREENSHOTS}/live-dashboard.png`, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("GraphiQL: the README's first queries, signing in and then asking with the token", async () => {
    const readme = await readFile('README.md', 'utf8');
    const firstQuery = readme.slice(readme.indexOf('## A first query'));
    const [signIn, overview] = [...firstQuery.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(signIn).toContain('signIn(login: "13800000001"');
    const { page, errors } = await newPage();
    try {
      const response = page.locator('.graphiql-response');
      await page.goto(`${endpoint}?query=${encodeURIComponent(signIn!)}`);
      await page.click('.graphiql-execute-button');
      await response.getByText('"token"').waitFor({ timeout: 10_000 });
      // The result view wraps long strings: read it without the white space.
      const token = /"token":"([^"]+)"/.exec(((await response.textContent()) ?? '').replace(/\s+/g, ''))?.[1];
      expect(token).toMatch(/^eyJ/);

      await page.goto(`${endpoint}?query=${encodeURIComponent(overview!)}`);
      await page.getByText('Headers', { exact: true }).click();
      await page.locator('.graphiql-editor-tool .graphiql-editor:visible').first().click();
      await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));
      await page.click('.graphiql-execute-button');
      await response.getByText('"totalCount"').waitFor({ timeout: 10_000 });
      const result = ((await response.textContent()) ?? '').replace(/\s+/g, '');
      // The same query through the API: GraphiQL shows its answer (the result view renders only
      // what is on screen, so compare the count and the first customer's name).
      const direct = await t.ok(overview!, {}, { token: token! });
      expect(result).toContain(`"totalCount":${direct.customers.totalCount}`);
      expect(result).toContain(`"name":"${direct.customers.edges[0].node.name}"`);
      expect(result).not.toContain('"errors"');
      await page.screenshot({ path: `${SCREENSHOTS}/graphiql.png`, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
