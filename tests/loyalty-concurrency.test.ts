import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { postgresUrl } from './helpers/database.ts';
import { checkLedger, createRule, newMember, stockUp } from './helpers/loyalty.ts';
import { RECORD_SALE, rawId, uniqueId } from './helpers/queries.ts';

// PGlite runs one transaction at a time; only a real server shows lost updates.
describe.skipIf(!postgresUrl)('200 concurrent sales for one member (PostgreSQL)', () => {
  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', plugins: [pointsPlugin({}), tiersPlugin({})] });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['DR-004']);
    await createRule(t, { name: '基础', kind: 'BASE_RATE', pointsPerYuan: '1' });
    await createRule(t, {
      name: '每日封顶加赠',
      kind: 'BASE_RATE',
      pointsPerYuan: '1',
      combine: 'ADDITIVE',
      capPerDay: 500,
    });
    for (const input of [
      { code: 'REGULAR', name: '普通会员', rank: 0 },
      { code: 'SILVER', name: '银卡会员', rank: 1, minSpend: '1000.00' },
      { code: 'GOLD', name: '金卡会员', rank: 2, minSpend: '1900.00', minVisits: 150, qualifyWhen: 'ALL' },
    ]) {
      await t.as('OWNER').ok(`mutation($input: TierInput!) { createTier(input: $input) { __typename } }`, { input });
    }
  });
  afterAll(() => t?.close());

  it('leaves the ledger, the balance and the tier consistent', { timeout: 180_000 }, async () => {
    const { customerId, memberCode } = await newMember(t);
    // Each till resends the same receipt when told TRY_AGAIN (a lock or statement timeout on a
    // starved machine), as docs/pos-integration.md asks; a resend is idempotent.
    const sell = async () => {
      const input = {
        storeId: store,
        externalId: uniqueId('C'),
        memberCode,
        lines: [{ sku: 'DR-004', quantity: 1, unitPrice: '10.00' }],
        payments: [{ method: 'CASH', amount: '10.00' }],
      };
      for (let attempt = 1; ; attempt++) {
        const result = await t.gql(RECORD_SALE, { input }, { apiKey: t.posKey });
        if (result.errors?.[0]?.extensions?.code !== 'TRY_AGAIN' || attempt === 5) return result;
      }
    };
    const results = await Promise.all(Array.from({ length: 200 }, sell));
    expect(results.map((r) => r.data?.recordSale?.__typename ?? JSON.stringify(r.errors))).toEqual(
      Array(200).fill('RecordSalePayload'),
    );

    const { account, entries } = await checkLedger(t, customerId);
    const earned = entries.filter((e) => e.kind === 'EARN');
    expect(earned).toHaveLength(200);
    // 10 base points per sale, and the capped rule's 500 points for the day shared out: never more.
    const capped = earned.reduce((s, e) => s + e.points, 0) - 200 * 10;
    expect(capped).toBe(500);
    expect(account.balance).toBe(2000 + 500);

    // Spend 2,000 over 200 visits: gold, reached exactly once, after silver, with no repeats.
    const tier = await t.as('OWNER').ok(
      `query($id: ID!) { customer(id: $id) { visitCount lifetimeSpend tier { tier { code } }
           tierHistory { reason to { code } } } }`,
      { id: customerId },
    );
    expect(tier.customer).toMatchObject({
      visitCount: 200,
      lifetimeSpend: '2000.00',
      tier: { tier: { code: 'GOLD' } },
    });
    expect(tier.customer.tierHistory.map((h: any) => `${h.reason}:${h.to.code}`).reverse()).toEqual([
      'INITIAL:REGULAR',
      'UPGRADE:SILVER',
      'UPGRADE:GOLD',
    ]);
    const rows = await t.db.database.prisma.memberTier.count({ where: { customerId: rawId(customerId) } });
    expect(rows).toBe(1);
  });
});
