import { readFileSync } from 'node:fs';
import { buildSchema, GraphQLID, getNamedType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignsPlugin } from '../plugins/campaigns/index.ts';
import { pointsPlugin } from '../plugins/points/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createRule, newMember, sell, stockUp } from './helpers/loyalty.ts';
import { onHand } from './helpers/queries.ts';
import { subscribe, untilOpenSubscriptions, wsClient } from './helpers/ws.ts';

/**
 * Every ID-typed output field other than a Node's own `id`, and the type whose global id it holds.
 * A field added to the schema fails the first test until it is listed here (and the second proves
 * what it returns is fetchable), so a raw database id cannot slip out again.
 */
const ID_FIELDS: Record<string, string> = {
  'ApiKey.storeIds': 'Store',
  'AuditEntry.actorId': 'Staff or ApiKey',
  'AuditEntry.entityId': "the entry's entityType",
  'AuditEntry.storeId': 'Store',
  'BasketItem.productId': 'Product',
  'CampaignAction.couponBatchId': 'CouponBatch',
  'CampaignConditions.segmentId': 'Segment',
  'CampaignConditions.storeIds': 'Store',
  'CampaignHint.campaignId': 'Campaign',
  'CampaignWhatIf.storeId': 'Store',
  'Coupon.campaignId': 'Campaign',
  'Coupon.customerId': 'Customer',
  'CouponBatch.campaignId': 'Campaign',
  'CommissionEntry.saleId': 'Sale',
  'DeleteSegmentPayload.deletedId': 'Segment (deleted)',
  'DeleteWebhookEndpointPayload.deletedId': 'WebhookEndpoint (deleted)',
  'Insights.storeIds': 'Store',
  'KpiFigures.storeId': 'Store',
  'ProductRank.productId': 'Product',
  'SegmentConditions.homeStoreIds': 'Store',
  'StockInsight.productId': 'Product',
  'StockInsight.storeId': 'Store',
  'WebhookEndpoint.storeIds': 'Store',
  'CustomerContact.customerId': 'Customer',
  'CustomerErasure.customerId': 'Customer',
  'PointsContribution.ruleId': 'PointsRule',
  'PointsLedgerEntry.saleId': 'Sale',
  'SignInPayload.staffId': 'Staff',
  'StockLowEvent.productId': 'Product',
  'StockLowEvent.storeId': 'Store',
  'StockMovement.saleId': 'Sale',
  'TierChange.saleId': 'Sale',
  'TierChangedEvent.customerId': 'Customer',
  'Viewer.staffId': 'Staff',
  'ViewerStoreRole.storeId': 'Store',
};

describe('every id in the schema is a global id that node(id:) fetches', () => {
  it('lists each ID output field, and only Nodes have an `id`', () => {
    const schema = buildSchema(readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8'));
    const found: string[] = [];
    const idWithoutNode: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (getNamedType(field.type) !== GraphQLID) continue;
        if (field.name === 'id') {
          if (!type.getInterfaces().some((i) => i.name === 'Node')) idWithoutNode.push(type.name);
        } else found.push(`${type.name}.${field.name}`);
      }
    }
    expect(idWithoutNode).toEqual([]);
    expect(found.sort()).toEqual(Object.keys(ID_FIELDS).sort());
  });

  let t: TestApp;
  let store: string;
  beforeAll(async () => {
    t = await startTestApp({ plugins: [tiersPlugin({}), pointsPlugin({}), campaignsPlugin()] });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['DR-004', 'SN-001']);
    const create = `mutation($input: TierInput!) { createTier(input: $input) { __typename } }`;
    await t.as('OWNER').ok(create, { input: { code: 'REGULAR', name: '普通会员', rank: 0 } });
    await t.as('OWNER').ok(create, { input: { code: 'SILVER', name: '银卡会员', rank: 1, minSpend: '1.00' } });
    await createRule(t, { name: '基础 1 分/元', kind: 'BASE_RATE', pointsPerYuan: '1' });
  });
  afterAll(() => t?.close());

  /** Fetches each id through node(id:) as the owner and checks the type it names. */
  async function expectFetchable(ids: Record<string, { id: string | null | undefined; type: string }>) {
    for (const [field, { id, type }] of Object.entries(ids)) {
      expect(id, field).toBeTruthy();
      const r = await t.as('OWNER').ok(`query($id: ID!) { node(id: $id) { __typename id } }`, { id });
      expect(r.node, `${field} → node(id: ${id})`).toEqual({ __typename: type, id });
    }
  }

  it('returns fetchable ids from sales, stock, points, tiers, sign-in and keys', async () => {
    const { customerId, memberCode } = await newMember(t);
    const sale = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '120.00' }]);
    expect(sale.__typename).toBe('RecordSalePayload');

    const movements = await t
      .as('OWNER')
      .ok(`query($s: ID!) { stockMovements(storeId: $s, first: 1) { edges { node { saleId } } } }`, { s: store });
    const ledger = await t.as('OWNER').ok(
      `query($c: ID!) { pointsLedger(customerId: $c, first: 5)
           { edges { node { kind saleId lines { contributions { ruleId } } } } } }`,
      { c: customerId },
    );
    const earn = ledger.pointsLedger.edges.map((e: any) => e.node).find((n: any) => n.kind === 'EARN');
    const history = await t
      .as('OWNER')
      .ok(`query($c: ID!) { customer(id: $c) { tierHistory { saleId } } }`, { c: customerId });
    const signIn = await t.ok(
      `mutation { signIn(login: "13800000001", password: "demo-owner-1") { ... on SignInPayload { staffId } } }`,
    );
    const viewer = await t.as('MANAGER').ok(`{ viewer { staffId storeRoles { storeId } } }`);
    const keys = await t.as('OWNER').ok(
      `mutation($s: [ID!]!) { createApiKey(name: "测试收银机", role: CASHIER, storeIds: $s) {
           ... on CreateApiKeyPayload { apiKey { id storeIds } } } }`,
      { s: [store] },
    );
    const saleId = sale.sale.id as string;
    expect(movements.stockMovements.edges[0].node.saleId).toBe(saleId);
    expect(earn.saleId).toBe(saleId);
    expect(history.customer.tierHistory.map((h: any) => h.saleId)).toContain(saleId);
    await expectFetchable({
      'StockMovement.saleId': { id: movements.stockMovements.edges[0].node.saleId, type: 'Sale' },
      'PointsLedgerEntry.saleId': { id: earn.saleId, type: 'Sale' },
      'PointsContribution.ruleId': { id: earn.lines[0].contributions[0].ruleId, type: 'PointsRule' },
      'TierChange.saleId': { id: history.customer.tierHistory.find((h: any) => h.saleId)?.saleId, type: 'Sale' },
      'SignInPayload.staffId': { id: signIn.signIn.staffId, type: 'Staff' },
      'Viewer.staffId': { id: viewer.viewer.staffId, type: 'Staff' },
      'ViewerStoreRole.storeId': { id: viewer.viewer.storeRoles[0].storeId, type: 'Store' },
      'ApiKey.id': { id: keys.createApiKey.apiKey.id, type: 'ApiKey' },
      'ApiKey.storeIds': { id: keys.createApiKey.apiKey.storeIds[0], type: 'Store' },
    });
  });

  it('returns fetchable ids from the audit log, a reveal and an erasure', async () => {
    const { customerId } = await newMember(t);
    const reveal = await t.as('OWNER').ok(
      `mutation($c: ID!) { revealCustomerContact(customerId: $c, reason: "回访") {
           ... on CustomerContact { customerId } } }`,
      { c: customerId },
    );
    const audit = await t
      .as('OWNER')
      .ok(`{ auditLog(first: 1, filter: { operation: "customer.reveal" }) { edges { node { actorId entityId } } } }`);
    await t
      .as('OWNER')
      .ok(
        `mutation { createStore(input: { code: "SH-GID", name: "上海测试店", timezone: "Asia/Shanghai" }) { __typename } }`,
      );
    const stocked = await t
      .as('OWNER')
      .ok(`{ auditLog(first: 1, filter: { operation: "store.create" }) { edges { node { storeId } } } }`);
    const erased = await t
      .as('OWNER')
      .ok(
        `mutation($c: ID!) { eraseCustomer(customerId: $c, reason: "工单 1") { ... on CustomerErasure { customerId } } }`,
        { c: customerId },
      );
    const entry = audit.auditLog.edges[0].node;
    expect(entry.entityId).toBe(customerId);
    await expectFetchable({
      'CustomerContact.customerId': { id: reveal.revealCustomerContact.customerId, type: 'Customer' },
      'CustomerErasure.customerId': { id: erased.eraseCustomer.customerId, type: 'Customer' },
      'AuditEntry.actorId': { id: entry.actorId, type: 'Staff' },
      'AuditEntry.entityId': { id: entry.entityId, type: 'Customer' },
      'AuditEntry.storeId': { id: stocked.auditLog.edges[0]?.node.storeId, type: 'Store' },
    });
  });

  it("returns fetchable ids from insights: stores and products of the owner's report", async () => {
    const { memberCode } = await newMember(t);
    const sold = await sell(t, store, memberCode, [{ sku: 'DR-004', quantity: 1, unitPrice: '120.00' }]);
    // The sale's business date in the store's time zone, not today's UTC date.
    const today = sold.sale.businessDate as string;
    const r = await t.as('OWNER').ok(
      `query($s: [ID!], $d: Date!) { insights(storeIds: $s, from: $d, to: $d) {
        storeIds kpis { current { stores { storeId } } } productRanking(first: 1) { productId } } }`,
      { s: [store], d: today },
    );
    await expectFetchable({
      'Insights.storeIds': { id: r.insights.storeIds[0], type: 'Store' },
      'KpiFigures.storeId': { id: r.insights.kpis.current.stores[0]?.storeId, type: 'Store' },
      'ProductRank.productId': { id: r.insights.productRanking[0]?.productId, type: 'Product' },
    });
  });

  it('returns fetchable ids from campaigns: conditions, coupons, a reward batch, hints and a what-if', async () => {
    const owner = t.as('OWNER');
    const { customerId } = await newMember(t);
    const seg = await owner.ok(`mutation { createSegment(input: { name: "ID测试", conditions: { tagsAny: ["x"] } }) {
      ... on Segment { id } } }`);
    const CREATE = `mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename
      ... on Campaign { id conditions { segmentId storeIds } action { couponBatchId } } } }`;
    const coupon = await owner.ok(CREATE, {
      input: {
        name: '券',
        requiresCoupon: true,
        action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '10', off: '1' }] },
      },
    });
    const batch = await owner.ok(
      `mutation($input: IssueCouponsInput!) { issueCoupons(input: $input) { ... on CouponBatch { id campaignId
        coupons { edges { node { campaignId customerId } } } } } }`,
      { input: { campaignId: coupon.createCampaign.id, count: 0, forRewards: true, validDays: 7 } },
    );
    const given = await owner.ok(
      `mutation($input: IssueCouponsInput!) { issueCoupons(input: $input) { ... on CouponBatch {
        coupons { edges { node { campaignId customerId } } } } } }`,
      { input: { campaignId: coupon.createCampaign.id, count: 1, customerId } },
    );
    const reward = await owner.ok(CREATE, {
      input: {
        name: '满1000返券',
        conditions: { segmentId: seg.createSegment.id, storeIds: [store], minSpend: '1000' },
        action: { type: 'ISSUE_COUPON', couponBatchId: batch.issueCoupons.id },
      },
    });
    const hinted = await owner.ok(CREATE, {
      input: { name: '满9999减1', action: { type: 'AMOUNT_OFF', thresholds: [{ spend: '9999', off: '1' }] } },
    });
    const quote = await t.ok(
      `mutation($input: PreviewSaleInput!) { previewSale(input: $input) {
        ... on SaleQuote { campaignHints { campaignId } } } }`,
      { input: { storeId: store, lines: [{ sku: 'DR-004', quantity: 1, unitPrice: '120.00' }] } },
      { apiKey: t.posKey },
    );
    const whatIf = await owner.ok(
      `query($s: ID!, $input: CampaignInput!) { campaignWhatIf(storeId: $s, from: "2026-01-01T00:00:00Z",
        to: "2026-02-01T00:00:00Z", input: $input) { ... on CampaignWhatIf { storeId } } }`,
      { s: store, input: { name: '9折', action: { type: 'PERCENT_OFF_ORDER', percentOff: '10' } } },
    );
    await expectFetchable({
      'CampaignAction.couponBatchId': { id: reward.createCampaign.action.couponBatchId, type: 'CouponBatch' },
      'CampaignConditions.segmentId': { id: reward.createCampaign.conditions.segmentId, type: 'Segment' },
      'CampaignConditions.storeIds': { id: reward.createCampaign.conditions.storeIds[0], type: 'Store' },
      'CampaignHint.campaignId': { id: quote.previewSale.campaignHints[0]?.campaignId, type: 'Campaign' },
      'CampaignWhatIf.storeId': { id: whatIf.campaignWhatIf.storeId, type: 'Store' },
      'Coupon.campaignId': { id: given.issueCoupons.coupons.edges[0]?.node.campaignId, type: 'Campaign' },
      'Coupon.customerId': { id: given.issueCoupons.coupons.edges[0]?.node.customerId, type: 'Customer' },
      'CouponBatch.campaignId': { id: batch.issueCoupons.campaignId, type: 'Campaign' },
    });
    for (const c of [coupon, reward, hinted])
      await owner.ok(`mutation($id: ID!) { endCampaign(id: $id) { __typename } }`, { id: c.createCampaign.id });
  });

  it('the newly fetchable types keep their own checks: a cashier cannot read a key or a rule by id', async () => {
    const keys = await t.as('OWNER').ok(
      `mutation($s: [ID!]!) { createApiKey(name: "后台同步", role: MANAGER, storeIds: $s) {
           ... on CreateApiKeyPayload { apiKey { id } } } }`,
      { s: [store] },
    );
    const ruleId = await createRule(t, { name: '会员日加倍', kind: 'MULTIPLIER', multiplier: '2' });
    for (const id of [keys.createApiKey.apiKey.id, ruleId]) {
      const r = await t.as('CASHIER').gql(`query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(r.data?.node ?? null).toBeNull();
      expect(r.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
    }
  });

  it('takes the same ids back: a rule and a key are changed through the ids the API gave', async () => {
    const ruleId = await createRule(t, { name: '周末双倍', kind: 'MULTIPLIER', multiplier: '2', weekdays: [6, 7] });
    const updated = await t.as('OWNER').ok(
      `mutation($id: ID!) { updatePointsRule(id: $id, input: { active: false }) { ... on PointsRule { id active } }
           }`,
      {
        id: ruleId,
      },
    );
    expect(updated.updatePointsRule).toEqual({ id: ruleId, active: false });
    // Another type's id is not taken for a rule.
    const wrong = await t
      .as('OWNER')
      .ok(`mutation($id: ID!) { updatePointsRule(id: $id, input: { active: false }) { __typename } }`, { id: store });
    expect(wrong.updatePointsRule.__typename).toBe('NotFoundError');
  });

  it('subscription events carry global ids (stockLow, tierChanged)', async () => {
    const url = `ws://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
    const client = wsClient(url, { authorization: `Bearer ${await t.token('OWNER')}` });
    try {
      const low = subscribe(client, `subscription($s: ID!) { stockLow(storeId: $s) { storeId productId sku } }`, {
        s: store,
      });
      const tier = subscribe(client, `subscription { tierChanged { customerId toTier } }`, {});
      // Both subscriptions are open in the server before anything is sold.
      await untilOpenSubscriptions(t.app, (open) => open >= 2);
      const { memberCode, customerId } = await newMember(t);
      const product = await t.as('OWNER').ok(`{ products(first: 1, query: "SN-001") { edges { node { id } } } }`);
      await t.as('OWNER').ok(
        `mutation($s: ID!, $rp: Int!) { setReorderPoint(storeId: $s, sku: "SN-001", reorderPoint: $rp) { __typename
             ... on UserError { message } } }`,
        { s: store, rp: (await onHand(t, store, 'SN-001')) - 1 },
      );
      await sell(t, store, memberCode, [{ sku: 'SN-001', quantity: 1, unitPrice: '20.00' }]);
      const lowEvent = (await low.next()).data.stockLow;
      expect(lowEvent.storeId).toBe(store);
      expect(lowEvent.productId).toBe(product.products.edges[0].node.id);
      const tierEvent = (await tier.next()).data.tierChanged;
      expect(tierEvent.customerId).toBe(customerId);
    } finally {
      await client.dispose();
    }
  });
});
