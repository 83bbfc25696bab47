import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { automationPlugin } from '../plugins/automation/index.ts';
import { campaignsPlugin } from '../plugins/campaigns/index.ts';
import { pointsPlugin } from '../plugins/points/index.ts';
import { rfmPlugin } from '../plugins/rfm/index.ts';
import { tiersPlugin } from '../plugins/tiers/index.ts';
import type { DomainEvents } from '../src/events/domain-events.ts';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { DEMO_ACCOUNTS, seedDemoData } from '../src/demo/seed.ts';
import { SMALL_DEMO, startTestApp, type TestApp } from './helpers/app.ts';
import { createTestDatabase, postgresUrl, type TestDatabase } from './helpers/database.ts';
import { startApiProcess, type ApiProcess } from './helpers/process.ts';
import { stockUp } from './helpers/loyalty.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

/**
 * Marketing automation: triggers evaluated by the job, each occasion once however often or
 * concurrently the job runs, only to channels the customer consented to, never in quiet hours,
 * with the message rendered in both languages and a holdout the results compare against.
 */

const DAY = 86_400_000;
/** A date `days` from now in Beijing time, as YYYY-MM-DD. */
const beijingDate = (days: number) => new Date(Date.now() + 8 * 3_600_000 + days * DAY).toISOString().slice(0, 10);

const CREATE = `mutation($input: AutomationTriggerInput!) { createAutomationTrigger(input: $input) {
  ... on AutomationTrigger { id } ... on UserError { errorCode message field } } }`;
const SENDS = `query($id: ID!) { node(id: $id) { ... on AutomationTrigger {
  sends(first: 100) { customer { name } occasion outcome channels messageZh messageEn } } } }`;

describe('marketing automation', () => {
  let t: TestApp;
  const notifications: DomainEvents['customer.notification'][] = [];
  const owner = () => t.as('OWNER');
  const run = (asOf?: Date) =>
    owner().ok(`mutation($at: DateTime) { runScheduledJob(name: "automation.run", asOf: $at) { processed } }`, {
      at: asOf?.toISOString() ?? null,
    });
  const sendsOf = async (id: string, names: string[]) =>
    ((await owner().ok(SENDS, { id })).node.sends as any[]).filter((s) => names.includes(s.customer?.name));
  const customer = async (input: Record<string, unknown>) =>
    (
      await owner().ok(
        `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id } } }`,
        { input },
      )
    ).createCustomer.id as string;
  const trigger = async (input: Record<string, unknown>) => {
    const r = await owner().ok(CREATE, {
      input: { channels: ['WECHAT', 'SMS'], templateEn: 'Hello {name}', ...input },
    });
    expect(r.createAutomationTrigger.id).toBeTruthy();
    return r.createAutomationTrigger.id as string;
  };

  beforeAll(async () => {
    t = await startTestApp({
      plugins: [pointsPlugin(), tiersPlugin(), rfmPlugin(), campaignsPlugin(), automationPlugin()],
    });
    t.app.services.events.on('customer.notification', (n) => {
      notifications.push(n);
    });
  });
  afterAll(() => t?.close());

  it('greets a birthday once, on the channels consented to, however often and concurrently the job runs', async () => {
    const birthday = `1990-${beijingDate(3).slice(5)}`;
    await customer({
      name: '生日甲',
      phone: '13700005501',
      birthday,
      consents: [
        { channel: 'SMS', granted: true },
        { channel: 'WECHAT', granted: false },
      ],
    });
    await customer({ name: '生日乙', phone: '13700005502', birthday }); // no consent at all
    await customer({
      name: '生日丙',
      phone: '13700005503',
      birthday: `1990-${beijingDate(20).slice(5)}`,
      consents: [{ channel: 'SMS', granted: true }],
    });
    const id = await trigger({
      name: '生日关怀',
      kind: 'BIRTHDAY',
      days: 7,
      templateZh: '{name}，生日快乐！{date} 前到店有礼。',
      templateEn: 'Happy birthday, {name}! A treat in store by {date}.',
    });
    await Promise.all([run(), run(), run()]);
    await run();
    const names = ['生日甲', '生日乙', '生日丙'];
    const sends = await sendsOf(id, names);
    const date = `${new Date().getFullYear() + (beijingDate(3) < beijingDate(0) ? 1 : 0)}-${birthday.slice(5)}`;
    expect(sends).toEqual([
      {
        customer: { name: '生日甲' },
        occasion: `birthday:${date}`,
        outcome: 'SENT',
        channels: ['SMS'],
        messageZh: `生日甲，生日快乐！${date} 前到店有礼。`,
        messageEn: `Happy birthday, 生日甲! A treat in store by ${date}.`,
      },
    ]);
    const sent = notifications.filter((n) => n.triggerId && n.message['zh-CN'].startsWith('生日甲'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ channels: ['SMS'], kind: 'BIRTHDAY', occasion: `birthday:${date}` });
    // Ids only, as every webhook event: the sender reads the phone through GraphQL.
    expect(JSON.stringify(sent[0])).not.toContain('13700005501');
  });

  it('sends nothing in quiet hours; the first run after them does', async () => {
    await customer({
      name: '安静时段',
      phone: '13700005511',
      birthday: `1991-${beijingDate(1).slice(5)}`,
      consents: [{ channel: 'WECHAT', granted: true }],
    });
    const input = {
      name: '生日（夜间勿扰）',
      kind: 'BIRTHDAY',
      days: 2,
      templateZh: '{name} 生日快乐',
      quietFrom: '21:00',
      quietTo: '09:00',
    };
    const id = await trigger(input);
    const night = new Date(`${beijingDate(0)}T23:30:00+08:00`);
    const morning = new Date(`${beijingDate(0)}T23:30:00+08:00`).getTime() + 10 * 3_600_000; // 09:30 next day
    await run(night);
    expect(await sendsOf(id, ['安静时段'])).toEqual([]);
    await run(new Date(morning));
    expect((await sendsOf(id, ['安静时段'])).map((s) => s.channels)).toEqual([['WECHAT']]);
  });

  it('calls back a lapsed customer once per lapse, and again after a new purchase lapses', async () => {
    const id0 = await customer({
      name: '流失客户',
      phone: '13700005521',
      consents: [{ channel: 'SMS', granted: true }],
    });
    const prisma = t.db.database.prisma;
    const dbId = decodeGlobalID(id0).id;
    await prisma.customer.update({ where: { id: dbId }, data: { lastPurchaseAt: new Date(Date.now() - 100 * DAY) } });
    const id = await trigger({
      name: '好久不见',
      kind: 'LAPSED',
      days: 90,
      templateZh: '{name}，好久不见！{date} 以来',
    });
    await run();
    await run();
    expect(await sendsOf(id, ['流失客户'])).toHaveLength(1);
    await prisma.customer.update({ where: { id: dbId }, data: { lastPurchaseAt: new Date(Date.now() - 95 * DAY) } });
    await run();
    expect(await sendsOf(id, ['流失客户'])).toHaveLength(2);
  });

  it('keeps a holdout never contacted, the same customers each run, and compares what each group bought', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `对照${i}`);
    for (const [i, name] of names.entries())
      await customer({
        name,
        phone: `137000056${String(i).padStart(2, '0')}`,
        consents: [{ channel: 'SMS', granted: true }],
      });
    const prisma = t.db.database.prisma;
    await prisma.customer.updateMany({
      where: { name: { in: names } },
      data: { lastPurchaseAt: new Date(Date.now() - 200 * DAY) },
    });
    const id = await trigger({
      name: '召回（对照组）',
      kind: 'LAPSED',
      days: 180,
      templateZh: '{name} 回来看看',
      holdoutPercent: 50,
    });
    await run();
    const sends = await sendsOf(id, names);
    expect(sends).toHaveLength(12);
    const held = sends.filter((s) => s.outcome === 'HELD_OUT');
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThan(12);
    for (const s of held) expect(s.channels).toEqual([]);
    const notified = notifications.filter((n) => n.triggerId === decodeGlobalID(id).id);
    expect(notified).toHaveLength(12 - held.length);
    const results = await owner().ok(
      `query($id: ID!) { node(id: $id) { ... on AutomationTrigger { results {
        sent { customers buyers revenue } heldOut { customers buyers revenue } upliftPerCustomer } } } }`,
      { id },
    );
    expect(results.node.results).toEqual({
      sent: { customers: 12 - held.length, buyers: 0, revenue: '0.00' },
      heldOut: { customers: held.length, buyers: 0, revenue: '0.00' },
      upliftPerCustomer: '0.00',
    });
  });

  it('brings each customer a coupon of a reward batch, named in the message, counted in the results', async () => {
    const campaign = await owner().ok(
      `mutation { createCampaign(input: { name: "回店礼券 满50减10", requiresCoupon: true,
        action: { type: AMOUNT_OFF, thresholds: [{ spend: "50", off: "10" }] } }) {
        ... on Campaign { id } ... on UserError { errorCode message } } }`,
    );
    const batch = await owner().ok(
      `mutation($c: ID!) { issueCoupons(input: { campaignId: $c, count: 0, forRewards: true, prefix: "BACK",
        validDays: 14 }) { ... on CouponBatch { id } ... on UserError { errorCode message } } }`,
      { c: campaign.createCampaign.id },
    );
    const customerId = await customer({
      name: '礼券客户',
      phone: '13700005531',
      consents: [{ channel: 'SMS', granted: true }],
    });
    await t.db.database.prisma.customer.update({
      where: { id: decodeGlobalID(customerId).id },
      data: { lastPurchaseAt: new Date(Date.now() - 400 * DAY) },
    });
    const id = await trigger({
      name: '回店礼券',
      kind: 'LAPSED',
      days: 365,
      templateZh: '{name}，送您{couponTitle}：{coupon}，{couponExpires} 前有效',
      couponBatchId: batch.issueCoupons.id,
    });
    await run();
    await run();
    const [send] = await sendsOf(id, ['礼券客户']);
    const code = /BACK[A-Z0-9]{10}/.exec(send.messageZh)?.[0];
    expect(send.messageZh).toBe(`礼券客户，送您回店礼券 满50减10：${code}，${beijingDate(14)} 前有效`);
    const wallet = await owner().ok(`query($id: ID!) { customer(id: $id) { coupons { code status } } }`, {
      id: customerId,
    });
    expect(wallet.customer.coupons).toEqual([{ code, status: 'AVAILABLE' }]);
    const n = notifications.find((x) => x.triggerId === decodeGlobalID(id).id);
    expect(n?.coupon).toMatchObject({ code, title: '回店礼券 满50减10' });
    const RESULTS = `query($id: ID!) { node(id: $id) { ... on AutomationTrigger { results {
      sent { customers buyers revenue } couponsIssued couponsRedeemed couponRevenue } } } }`;
    const before = await owner().ok(RESULTS, { id });
    expect(before.node.results).toMatchObject({ couponsIssued: 1, couponsRedeemed: 0, couponRevenue: '0.00' });
    // The customer comes back with the code: ¥60 less 10; another purchase without it is not the coupon's.
    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['SN-001']);
    const buy = async (amount: string, couponCodes: string[]) => {
      const r = await owner().ok(RECORD_SALE, {
        input: {
          storeId: store,
          externalId: uniqueId('AUTO'),
          customerId,
          couponCodes,
          lines: [{ sku: 'SN-001', quantity: 1, unitPrice: amount }],
          payments: [{ method: 'CASH', amount: (Number(amount) - (couponCodes.length ? 10 : 0)).toFixed(2) }],
        },
      });
      expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
      return r.recordSale.sale;
    };
    expect((await buy('60.00', [code!])).total).toBe('50.00');
    await buy('25.00', []);
    const after = await owner().ok(RESULTS, { id });
    expect(after.node.results).toEqual({
      sent: { customers: 1, buyers: 1, revenue: '75.00' },
      couponsIssued: 1,
      couponsRedeemed: 1,
      couponRevenue: '50.00',
    });
    // A batch that is not for rewards cannot feed a trigger.
    const printed = await owner().ok(
      `mutation($c: ID!) { issueCoupons(input: { campaignId: $c, count: 2, prefix: "PRN" }) {
        ... on CouponBatch { id } } }`,
      { c: campaign.createCampaign.id },
    );
    const refused = await owner().ok(CREATE, {
      input: {
        name: 'x',
        kind: 'LAPSED',
        days: 30,
        templateZh: '{coupon}',
        templateEn: '{coupon}',
        channels: ['SMS'],
        couponBatchId: printed.issueCoupons.id,
      },
    });
    expect(refused.createAutomationTrigger).toMatchObject({
      errorCode: 'AUTOMATION_INVALID',
      field: ['input', 'couponBatchId'],
    });
  });

  it('greets a move into an RFM layer once per move, in both languages; out and back in is a new move', async () => {
    const prisma = t.db.database.prisma;
    const score = async (id: string, segment: string, previousSegment: string | null, since: Date) => {
      const customerId = decodeGlobalID(id).id;
      const row = {
        runId: customerId,
        recencyScore: 2,
        frequencyScore: 2,
        monetaryScore: 5,
        recencyDays: 200,
        lastPurchaseAt: new Date(since.getTime() - 200 * DAY),
        frequency: 1,
        monetary: '999.00',
        segment: segment as 'WIN_BACK',
        previousSegment: previousSegment as 'AT_RISK' | null,
        segmentSince: since,
        computedAt: new Date(),
      };
      // What the rfm plugin's scoring run writes (tests/rfm.test.ts checks that it does).
      await prisma.rfmScore.upsert({ where: { customerId }, create: { customerId, ...row }, update: row });
    };
    const moved = await customer({
      name: '挽留甲',
      phone: '13700005541',
      consents: [{ channel: 'SMS', granted: true }],
    });
    const first = await customer({
      name: '挽留乙',
      phone: '13700005542',
      consents: [{ channel: 'SMS', granted: true }],
    });
    const other = await customer({
      name: '挽留丙',
      phone: '13700005543',
      consents: [{ channel: 'SMS', granted: true }],
    });
    const old = await customer({ name: '挽留丁', phone: '13700005544', consents: [{ channel: 'SMS', granted: true }] });
    const since = new Date(Date.now() - DAY);
    await score(moved, 'WIN_BACK', 'AT_RISK', since);
    await score(first, 'WIN_BACK', null, since); // first scored there: no move
    await score(other, 'CHAMPIONS', 'WIN_BACK', since); // moved, but elsewhere
    await score(old, 'WIN_BACK', 'AT_RISK', new Date(Date.now() - 30 * DAY)); // moved long ago
    const id = await trigger({
      name: '重要挽留关怀',
      kind: 'RFM_SEGMENT_MOVED',
      rfmSegment: 'WIN_BACK',
      days: 7,
      templateZh: '{name}，您是我们的{segment}，好久不见，{date} 起为您备好回店礼。',
      templateEn: '{name}, as one of our {segment} customers, a welcome-back gift awaits since {date}.',
    });
    await Promise.all([run(), run()]);
    await run();
    const names = ['挽留甲', '挽留乙', '挽留丙', '挽留丁'];
    const date = beijingDate(-1);
    expect(await sendsOf(id, names)).toEqual([
      {
        customer: { name: '挽留甲' },
        occasion: `rfm:WIN_BACK:${since.toISOString()}`,
        outcome: 'SENT',
        channels: ['SMS'],
        messageZh: `挽留甲，您是我们的重要挽留客户，好久不见，${date} 起为您备好回店礼。`,
        messageEn: `挽留甲, as one of our Win back customers, a welcome-back gift awaits since ${date}.`,
      },
    ]);
    // A later run that keeps the customer there is no move; leaving and coming back is one.
    await run();
    await score(moved, 'NEED_ATTENTION', 'WIN_BACK', new Date(Date.now() - 12 * 3_600_000));
    await run();
    const back = new Date(Date.now() - 3_600_000);
    await score(moved, 'WIN_BACK', 'NEED_ATTENTION', back);
    await Promise.all([run(), run()]);
    expect((await sendsOf(id, names)).map((s) => s.occasion)).toEqual([
      `rfm:WIN_BACK:${back.toISOString()}`,
      `rfm:WIN_BACK:${since.toISOString()}`,
    ]);
    const refused = await owner().ok(CREATE, {
      input: {
        name: 'x',
        kind: 'RFM_SEGMENT_MOVED',
        rfmSegment: '重要挽留',
        days: 7,
        templateZh: 'x',
        templateEn: 'x',
        channels: ['SMS'],
      },
    });
    expect(refused.createAutomationTrigger).toMatchObject({
      errorCode: 'AUTOMATION_INVALID',
      field: ['input', 'rfmSegment'],
    });
  });

  it("greets a customer the rfm plugin's scoring moves into 重要挽留客户, once, however often either job runs", async () => {
    // A base of its own, years back, out of reach of the demo's sales. The scores are quintiles of
    // these five; "high" is above the average score (4 or 5).
    const D = new Date('2015-06-01T04:00:00Z');
    const store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await stockUp(t, store, ['SN-001']);
    const buy = async (customerId: string, daysBefore: number, amount: number) => {
      const r = await owner().ok(RECORD_SALE, {
        input: {
          storeId: store,
          externalId: uniqueId('RFM'),
          customerId,
          occurredAt: new Date(D.getTime() - daysBefore * DAY).toISOString(),
          lines: [{ sku: 'SN-001', quantity: 1, unitPrice: amount.toFixed(2) }],
          payments: [{ method: 'CASH', amount: amount.toFixed(2) }],
        },
      });
      expect(r.recordSale.__typename).toBe('RecordSalePayload');
    };
    const target = await customer({
      name: '老主顾',
      phone: '13700005561',
      consents: [{ channel: 'WECHAT', granted: true }],
    });
    // Big, frequent, not lately (重要保持客户); a month later three small purchases have left the
    // 12-month window: big, rare, not lately (重要挽留客户).
    await buy(target, 100, 1000);
    for (let i = 0; i < 3; i++) await buy(target, 350, 10);
    for (const [i, [purchases, amount]] of [
      [1, 20],
      [2, 15],
      [3, 20],
      [5, 400],
    ].entries()) {
      const other = await customer({ name: `近期顾客${i}`, phone: `1370000557${i}` });
      for (let k = 0; k < purchases!; k++) await buy(other, i + 1, amount!);
    }
    const score = (at: Date) =>
      owner().ok(`mutation($at: DateTime) { runScheduledJob(name: "rfm.score", asOf: $at) { processed } }`, {
        at: at.toISOString(),
      });
    const layerOf = async () =>
      (await owner().ok(`query($id: ID!) { customer(id: $id) { rfm { segment } } }`, { id: target })).customer.rfm
        .segment;
    await score(D);
    expect(await layerOf()).toBe('AT_RISK');
    const id = await trigger({
      name: '挽留老主顾',
      kind: 'RFM_SEGMENT_MOVED',
      rfmSegment: 'WIN_BACK',
      days: 3,
      templateZh: '{name}，您是我们的{segment}，{date} 起回店有礼。',
      templateEn: '{name}, you are among our {segment} customers: a gift awaits since {date}.',
    });
    const month = new Date(D.getTime() + 30 * DAY);
    await run(new Date(month.getTime() - DAY));
    expect(await sendsOf(id, ['老主顾'])).toEqual([]);
    await score(month);
    expect(await layerOf()).toBe('WIN_BACK');
    await Promise.all([run(new Date(month.getTime() + 3_600_000)), run(new Date(month.getTime() + 3_600_000))]);
    await score(new Date(month.getTime() + DAY)); // still there: no move
    await run(new Date(month.getTime() + DAY + 3_600_000));
    expect(await sendsOf(id, ['老主顾'])).toEqual([
      {
        customer: { name: '老主顾' },
        occasion: `rfm:WIN_BACK:${month.toISOString()}`,
        outcome: 'SENT',
        channels: ['WECHAT'],
        messageZh: '老主顾，您是我们的重要挽留客户，2015-07-01 起回店有礼。',
        messageEn: '老主顾, you are among our Win back customers: a gift awaits since 2015-07-01.',
      },
    ]);
  });

  it("reminds of the home store's 会员日 once per customer per member day, on that store's clock", async () => {
    const la = await owner().ok(
      `mutation { createStore(input: { code: "LA-01", name: "洛杉矶店", timezone: "America/Los_Angeles" }) {
        ... on Store { id } ... on UserError { errorCode message } } }`,
    );
    const beijing = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    // Both stores hold 会员日 on the 30th (the calendar their points rules read too).
    for (const storeId of [beijing, la.createStore.id])
      await owner().ok(
        `mutation($s: ID!) { setStoreCalendar(storeId: $s, input: { memberMonthDays: [30] }) { __typename } }`,
        { s: storeId },
      );
    const consents = [{ channel: 'WECHAT', granted: true }];
    await customer({ name: '会员日北京', phone: '13700005551', consents, homeStoreId: beijing });
    await customer({ name: '会员日洛杉矶', phone: '13700005552', consents, homeStoreId: la.createStore.id });
    await customer({ name: '会员日无店', phone: '13700005553', consents }); // no home store, no 会员日
    const id = await trigger({
      name: '会员日提醒',
      kind: 'MEMBER_DAY',
      days: 1,
      templateZh: '{name}，{date}（{weekday}）是{store}会员日，全场 9 折。',
      templateEn: '{name}, {weekday} {date} is member day at {store}: 10% off.',
    });
    const names = ['会员日北京', '会员日洛杉矶', '会员日无店'];
    const list = async () =>
      (await sendsOf(id, names)).map((s) => `${s.customer.name} ${s.occasion} ${s.messageZh} | ${s.messageEn}`).sort();
    // 09:00 on the 29th in Beijing, still the 28th in Los Angeles: a day ahead only in Beijing.
    await Promise.all([run(new Date('2027-04-29T01:00:00Z')), run(new Date('2027-04-29T01:00:00Z'))]);
    expect(await list()).toEqual([
      '会员日北京 memberday:2027-04-30 会员日北京，2027-04-30（周五）是北京三里屯店会员日，全场 9 折。 | ' +
        '会员日北京, Friday 2027-04-30 is member day at 北京三里屯店: 10% off.',
    ]);
    // Los Angeles' 29th: its turn; Beijing's was sent. Runs long after (the job down meanwhile) send nothing.
    await run(new Date('2027-04-29T17:00:00Z'));
    await run(new Date('2027-04-30T20:00:00Z'));
    await run(new Date('2027-05-03T02:00:00Z'));
    const all = await list();
    expect(all).toHaveLength(2);
    expect(all[1]).toBe(
      '会员日洛杉矶 memberday:2027-04-30 会员日洛杉矶，2027-04-30（周五）是洛杉矶店会员日，全场 9 折。 | ' +
        '会员日洛杉矶, Friday 2027-04-30 is member day at 洛杉矶店: 10% off.',
    );
    const refused = await owner().ok(CREATE, {
      input: { name: 'x', kind: 'MEMBER_DAY', days: 40, templateZh: 'x', templateEn: 'x', channels: ['SMS'] },
    });
    expect(refused.createAutomationTrigger).toMatchObject({
      errorCode: 'AUTOMATION_INVALID',
      field: ['input', 'days'],
    });
  });

  it('refuses a template with an unknown variable, a bad window, and anyone but the owner', async () => {
    const bad = async (input: Record<string, unknown>, locale = 'zh-CN') =>
      (
        await t.gql(
          CREATE,
          {
            input: {
              name: 'x',
              kind: 'BIRTHDAY',
              days: 3,
              templateZh: '{name}',
              templateEn: '{name}',
              channels: ['SMS'],
              ...input,
            },
          },
          { token: await t.token('OWNER'), locale },
        )
      ).data!.createAutomationTrigger;
    expect(await bad({ templateZh: '{姓名} 生日快乐' })).toMatchObject({
      errorCode: 'AUTOMATION_TEMPLATE_VARIABLE',
      field: ['input', 'templateZh'],
      message: expect.stringMatching(/^消息模板中的变量 \{姓名\} 不存在/),
    });
    expect(await bad({ templateEn: 'Hi {firstName}' }, 'en')).toMatchObject({
      errorCode: 'AUTOMATION_TEMPLATE_VARIABLE',
      message: expect.stringMatching(/^The message template uses \{firstName\}/),
    });
    expect(await bad({ quietFrom: '21:00' })).toMatchObject({ field: ['input', 'quietTo'] });
    expect(await bad({ quietFrom: '25:00', quietTo: '09:00' })).toMatchObject({ field: ['input', 'quietFrom'] });
    expect(await bad({ days: -1 })).toMatchObject({ field: ['input', 'days'] });
    expect(await bad({ holdoutPercent: 95 })).toMatchObject({ field: ['input', 'holdoutPercent'] });
    const manager = await t.as('MANAGER').gql(`{ automationTriggers { id } }`);
    expect(manager.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('marketing automation without the rfm plugin', () => {
  it('refuses an RFM trigger at creation, naming the plugin', async () => {
    const t = await startTestApp({ plugins: [automationPlugin()] });
    try {
      const r = await t.as('OWNER').ok(CREATE, {
        input: {
          name: '重要挽留关怀',
          kind: 'RFM_SEGMENT_MOVED',
          rfmSegment: 'WIN_BACK',
          days: 7,
          templateZh: '{name}',
          templateEn: '{name}',
          channels: ['SMS'],
        },
      });
      expect(r.createAutomationTrigger).toMatchObject({
        errorCode: 'AUTOMATION_NEEDS_PLUGIN',
        field: ['input', 'kind'],
        message: '这种触发需要安装 rfm 插件',
      });
    } finally {
      await t.close();
    }
  });
});

/**
 * Exactly once across processes: two API processes on one PostgreSQL database run the job at the
 * same moment, several times over, and again later as a catch-up after downtime. Each customer's
 * occasion is one row, one `customer.notification` in the outbox and one message at the receiver.
 */
describe.skipIf(!postgresUrl)('marketing automation in two API processes (PostgreSQL)', () => {
  let db: TestDatabase;
  const processes: ApiProcess[] = [];
  const received = new Map<string, number>(); // notificationId → deliveries
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const event = JSON.parse(body);
      if (event.type === 'customer.notification')
        received.set(event.data.notificationId, (received.get(event.data.notificationId) ?? 0) + 1);
      res.end('ok');
    });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await new Promise((r) => receiver.close(r));
    await db?.drop();
  });

  it('sends each occasion once however many runs overlap in either process, and once when caught up', async () => {
    db = await createTestDatabase('postgres');
    await seedDemoData(db.database.prisma, SMALL_DEMO);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const env = { DATABASE_URL: db.url!, DEMO_DATA: 'off', JWT_SECRET: randomBytes(32).toString('hex') };
    processes.push(await startApiProcess(env)); // migrates the plugins' tables
    const call = async (p: ApiProcess, query: string, variables: object = {}, token?: string) => {
      const res = await fetch(`http://127.0.0.1:${p.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as any;
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data;
    };
    const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
    const token = (
      await call(
        processes[0]!,
        `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } } }`,
        { l: owner.login, p: owner.password },
      )
    ).signIn.token as string;
    const a = processes[0]!;

    // The merchant's sender, subscribed before the second process starts (it reads the endpoints then).
    const endpoint = await call(
      a,
      `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, eventTypes: ["customer.notification"] }) {
        __typename ... on UserError { errorCode message } } }`,
      { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks` },
      token,
    );
    expect(endpoint.createWebhookEndpoint.__typename).toBe('WebhookEndpointSecretPayload');
    const today = new Date(Date.now() + 8 * 3_600_000);
    const birthdayIn = (days: number) => `1988-${new Date(today.getTime() + days * DAY).toISOString().slice(5, 10)}`;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await call(
        a,
        `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id } } }`,
        {
          input: {
            name: `并发${i}`,
            phone: `1370001${String(i).padStart(4, '0')}`,
            // Half have a birthday in two days, a few had one two days ago (gone: never sent).
            birthday: i % 2 ? birthdayIn(2) : i % 5 === 0 ? birthdayIn(-2) : null,
            consents: [{ channel: i % 3 ? 'SMS' : 'WECHAT', granted: true }],
          },
        },
        token,
      );
      ids.push(decodeGlobalID(r.createCustomer.id).id);
    }
    const prisma = db.database.prisma;
    await prisma.customer.updateMany({
      where: { id: { in: ids } },
      data: { lastPurchaseAt: new Date(Date.now() - 40 * DAY) },
    });
    const TRIGGER = `mutation($input: AutomationTriggerInput!) { createAutomationTrigger(input: $input) {
      ... on AutomationTrigger { id } ... on UserError { errorCode message } } }`;
    for (const input of [
      {
        name: '生日关怀',
        kind: 'BIRTHDAY',
        days: 3,
        templateZh: '{name}，生日快乐',
        templateEn: 'Happy birthday, {name}',
      },
      { name: '好久不见', kind: 'LAPSED', days: 30, templateZh: '{name}，好久不见', templateEn: 'We miss you, {name}' },
    ])
      expect(
        (await call(a, TRIGGER, { input: { ...input, channels: ['SMS', 'WECHAT'] } }, token)).createAutomationTrigger
          .id,
      ).toBeTruthy();

    processes.push(await startApiProcess(env));
    const b = processes[1]!;
    const RUN = `mutation($at: DateTime) { runScheduledJob(name: "automation.run", asOf: $at) { processed } }`;
    const runEverywhere = async (at: Date | null) =>
      (await Promise.all([a, b, a, b, a, b].map((p) => call(p, RUN, { at: at?.toISOString() ?? null }, token)))).reduce(
        (sum, r) => sum + (r.runScheduledJob.processed as number),
        0,
      );

    const written = await runEverywhere(null);
    const sends = await prisma.automationSend.findMany({ select: { id: true, customerId: true, occasion: true } });
    // Every row was written by exactly one of the six runs (the others found it).
    expect(written).toBe(sends.length);
    const mine = sends.filter((s) => ids.includes(s.customerId));
    const birthdays = mine.filter((s) => s.occasion.startsWith('birthday:'));
    expect(birthdays).toHaveLength(20);
    expect(mine.filter((s) => s.occasion.startsWith('lapse:'))).toHaveLength(40);
    // One customer.notification per send in the outbox, whichever process wrote it.
    const outbox = async () =>
      (await prisma.webhookEvent.findMany({ where: { type: 'customer.notification' }, select: { payload: true } })).map(
        (e) => (e.payload as { notificationId: string }).notificationId,
      );
    expect((await outbox()).sort()).toEqual(sends.map((s) => s.id).sort());

    // The job down for a day, then caught up (each process, at once): nothing sent again, nothing new
    // for these customers (the birthdays already past are not sent late either). A demo customer whose
    // birthday comes into the window that day is a new occasion, sent once, with its message.
    const caughtUp = await runEverywhere(new Date(Date.now() + DAY));
    const after = await prisma.automationSend.findMany({ select: { id: true, customerId: true, occasion: true } });
    expect(after).toHaveLength(sends.length + caughtUp);
    expect(after.filter((s) => ids.includes(s.customerId))).toHaveLength(mine.length);
    const added = after.filter((s) => !sends.some((x) => x.id === s.id));
    expect(added.every((s) => s.occasion.startsWith('birthday:'))).toBe(true);
    expect(await outbox()).toHaveLength(after.length);

    // And the receiver got each message (at least once; de-duplicated on notificationId).
    const deadline = Date.now() + 60_000;
    while (received.size < after.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect([...received.keys()].sort()).toEqual(after.map((s) => s.id).sort());
  }, 240_000);
});
