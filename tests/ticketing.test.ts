import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketingPlugin } from '../plugins/ticketing/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { postgresUrl } from './helpers/database.ts';
import { newMember, stockUp } from './helpers/loyalty.ts';
import { subscribe, untilOpenSubscriptions, wsClient } from './helpers/ws.ts';
import { RECORD_SALE, uniqueId } from './helpers/queries.ts';

const TICKET = `id number type channel status priority subject dueAt breached breachedAt reopenCount resolvedAt
  firstResponseAt store { id } assignee { name } escalatedTo { name }`;
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { __typename
  ... on Ticket { ${TICKET} } ... on UserError { errorCode message field } } }`;
const STATUS = `mutation($id: ID!, $status: TicketStatus!, $note: String) {
  changeTicketStatus(id: $id, status: $status, note: $note) { __typename
    ... on ChangeTicketStatusPayload { surveyToken ticket { ${TICKET} } }
    ... on UserError { errorCode message field } } }`;
const ASSIGN = `mutation($id: ID!, $a: ID) { assignTicket(id: $id, assigneeId: $a) { __typename
  ... on Ticket { assignee { name } } ... on UserError { errorCode message field } } }`;
const COMMENT = `mutation($id: ID!, $input: TicketCommentInput!) { addTicketComment(id: $id, input: $input) { __typename
  ... on AddTicketCommentPayload { entry { kind internal body attachments { url sha256 name } }
    ticket { firstResponseAt } }
  ... on UserError { errorCode message field } } }`;
const TIMELINE = `query($id: ID!, $internal: Boolean) { node(id: $id) { ... on Ticket {
  timeline(includeInternal: $internal) { kind internal body fromStatus toStatus author { name } assignee { name }
    attachments { url sha256 } createdAt } } } }`;
const ANSWER = `mutation($token: String!, $score: Int!, $comment: String) {
  answerTicketSurvey(token: $token, score: $score, comment: $comment) { __typename
    ... on TicketSurveyAnswer { score comment answeredAt } ... on UserError { errorCode message field } } }`;
const DUE = `query($s: ID!, $type: TicketType!, $p: TicketPriority!, $at: DateTime!) {
  ticketDueAt(storeId: $s, type: $type, priority: $p, openedAt: $at) }`;
const HOURS = `mutation($s: ID!, $hours: [TicketServiceHoursInput!]!) {
  setTicketServiceHours(storeId: $s, hours: $hours) {
  __typename ... on TicketServiceHoursTable { hours { weekday opensAt closesAt } } ... on UserError { errorCode } } }`;
const RUN = `mutation($asOf: DateTime) { runScheduledJob(name: "ticketing.breaches", asOf: $asOf) { processed } }`;
const BOOK = `mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { __typename
  ... on ServiceAppointment { id status startsAt endsAt resource staff { name } }
  ... on UserError { errorCode message field } } }`;
const TASK = `id kind status dueDate note loggedInteraction assignee { name } customer { id }`;

/** The store's day (Asia/Shanghai) `days` from today, "YYYY-MM-DD". */
const shanghaiDay = (days = 0) =>
  new Date(Date.now() + days * 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });

const SHA = 'a'.repeat(64);

async function setup(database: 'default' | 'postgres' = 'default') {
  const t = await startTestApp({ plugins: [ticketingPlugin({ reopenDays: 7, surveyValidDays: 7 })], database });
  const slt = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
  const szn = t.stores.find((s) => s.code === 'SZ-NS')!.id;
  const customers = await t.as('OWNER').ok(`{ customers(first: 3) { edges { node { id } } } }`);
  const customerIds = customers.customers.edges.map((e: { node: { id: string } }) => e.node.id) as string[];
  const open = async (role: 'OWNER' | 'MANAGER' | 'SALES_ASSOCIATE' | 'CASHIER', input: Record<string, unknown>) => {
    const r = await t.as(role).ok(CREATE, {
      input: {
        type: 'COMPLAINT',
        channel: 'STORE',
        customerId: customerIds[0],
        storeId: slt,
        subject: '退货',
        ...input,
      },
    });
    expect(r.createTicket.__typename, JSON.stringify(r.createTicket)).toBe('Ticket');
    return r.createTicket;
  };
  return { t, slt, szn, customerIds, open };
}

describe('ticketing', () => {
  let t: TestApp;
  let slt: string;
  let szn: string;
  let open: Awaited<ReturnType<typeof setup>>['open'];
  let customerIds: string[];

  beforeAll(async () => {
    ({ t, slt, szn, open, customerIds } = await setup());
  });
  afterAll(() => t?.close());

  const move = async (id: string, status: string, locale?: string) =>
    (await t.as('SALES_ASSOCIATE').ok(STATUS, { id, status }, { locale })).changeTicketStatus;

  describe('scope', () => {
    it("associates see and open their store's tickets only; owners all", async () => {
      const mine = await open('SALES_ASSOCIATE', { subject: '店内投诉' });
      const r = await t.as('SALES_ASSOCIATE').gql(CREATE, {
        input: { type: 'INQUIRY', channel: 'PHONE', customerId: mine.id, storeId: szn, subject: 'x' },
      });
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const theirs = await open('OWNER', { storeId: szn, subject: '深圳店投诉' });

      const list = async (role: 'OWNER' | 'MANAGER' | 'SALES_ASSOCIATE') =>
        (await t.as(role).ok(`{ tickets(first: 100) { edges { node { id store { id } } } } }`)).tickets.edges.map(
          (e: { node: { id: string } }) => e.node.id,
        );
      expect(await list('SALES_ASSOCIATE')).toContain(mine.id);
      expect(await list('SALES_ASSOCIATE')).not.toContain(theirs.id);
      expect(await list('MANAGER')).not.toContain(theirs.id);
      expect(await list('OWNER')).toEqual(expect.arrayContaining([mine.id, theirs.id]));
      // By id too: another store's ticket is not there for them, and cannot be moved.
      expect(
        (await t.as('SALES_ASSOCIATE').ok(`query($id: ID!) { node(id: $id) { id } }`, { id: theirs.id })).node,
      ).toBeNull();
      expect(await move(theirs.id, 'IN_PROGRESS')).toMatchObject({ errorCode: 'NOT_FOUND' });
    });
  });

  describe('lists', () => {
    it('page newest first with cursors, forwards and backwards; a bad cursor is refused', async () => {
      for (let i = 0; i < 5; i++) await open('SALES_ASSOCIATE', { subject: `分页 ${i}` });
      const PAGE = `query($first: Int, $after: String, $last: Int, $before: String) {
        tickets(first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { number } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
      const page = async (v: Record<string, unknown>) => (await t.as('OWNER').ok(PAGE, v)).tickets;
      const one = await page({ first: 2 });
      const two = await page({ first: 2, after: one.pageInfo.endCursor });
      const numbers = [...one.edges, ...two.edges].map((e: { node: { number: number } }) => e.node.number);
      expect(numbers).toHaveLength(4);
      expect([...numbers].sort((a, b) => b - a)).toEqual(numbers);
      expect(new Set(numbers).size).toBe(4);
      expect(one.pageInfo.hasNextPage).toBe(true);
      const back = await page({ last: 1, before: two.pageInfo.startCursor });
      expect(back.edges.map((e: { node: { number: number } }) => e.node.number)).toEqual([numbers[1]]);
      const bad = await t.as('OWNER').gql(PAGE, { first: 1, after: 'not-a-cursor' });
      expect(bad.errors?.[0]?.extensions?.errorCode).toBe('INVALID_CURSOR');
    });
  });

  describe('workflow', () => {
    it('accepts the workflow’s moves and stamps first response, resolution and reopening', async () => {
      const ticket = await open('SALES_ASSOCIATE', {});
      expect(ticket.status).toBe('OPEN');
      expect(ticket.firstResponseAt).toBeNull();
      const a = await move(ticket.id, 'IN_PROGRESS');
      expect(a.ticket.status).toBe('IN_PROGRESS');
      expect(a.ticket.firstResponseAt).not.toBeNull();
      expect(a.surveyToken).toBeNull();
      expect((await move(ticket.id, 'WAITING_ON_CUSTOMER')).ticket.status).toBe('WAITING_ON_CUSTOMER');
      expect((await move(ticket.id, 'IN_PROGRESS')).ticket.status).toBe('IN_PROGRESS');
      const resolved = await move(ticket.id, 'RESOLVED');
      expect(resolved.ticket.resolvedAt).not.toBeNull();
      expect(resolved.surveyToken).toMatch(/^[0-9a-f]{32}\.[\w-]{43}$/);
      expect((await move(ticket.id, 'CLOSED')).ticket.status).toBe('CLOSED');
      const reopened = await move(ticket.id, 'IN_PROGRESS');
      expect(reopened.ticket).toMatchObject({ status: 'IN_PROGRESS', reopenCount: 1, resolvedAt: null });
    });

    it('links the customer’s sale and its lines; another customer’s sale or a missing line is refused', async () => {
      const buyer = await newMember(t, '售后工单顾客');
      const other = await newMember(t, '另一位顾客');
      await stockUp(t, slt, ['DH-004']);
      const r = await t.ok(
        RECORD_SALE,
        {
          input: {
            storeId: slt,
            externalId: uniqueId('TS'),
            memberCode: buyer.memberCode,
            lines: [{ sku: 'DH-004', quantity: 2, unitPrice: '29.90' }],
            payments: [{ method: 'CASH', amount: '59.80' }],
          },
        },
        { apiKey: t.posKey },
      );
      const saleId = r.recordSale.sale.id;
      const create = async (customerId: string, saleLineNos: number[]) =>
        (
          await t.as('MANAGER').ok(CREATE.replace('reopenCount', 'reopenCount sale { id } saleLineNos'), {
            input: {
              type: 'RETURN_REQUEST',
              channel: 'STORE',
              customerId,
              storeId: slt,
              subject: '牙膏漏液',
              saleId,
              saleLineNos,
            },
          })
        ).createTicket;
      expect(await create(buyer.customerId, [1])).toMatchObject({ sale: { id: saleId }, saleLineNos: [1] });
      expect(await create(buyer.customerId, [2])).toMatchObject({
        errorCode: 'TICKET_SALE_LINE_UNKNOWN',
        message: '关联的销售没有第 2 行',
        field: ['input', 'saleLineNos', '0'],
      });
      expect(await create(other.customerId, [])).toMatchObject({
        errorCode: 'TICKET_SALE_NOT_CUSTOMERS',
        field: ['input', 'saleId'],
      });
    });

    it('refuses any other move with a typed error naming the current state, in zh-CN or English', async () => {
      const ticket = await open('SALES_ASSOCIATE', {});
      expect(await move(ticket.id, 'CLOSED')).toEqual({
        __typename: 'InvalidStateError',
        errorCode: 'TICKET_INVALID_TRANSITION',
        message: '工单当前状态为“待处理”，不能改为“已关闭”',
        field: ['status'],
      });
      expect(await move(ticket.id, 'OPEN', 'en')).toMatchObject({
        errorCode: 'TICKET_INVALID_TRANSITION',
        message: 'The ticket is open; it cannot become open',
      });
      await move(ticket.id, 'RESOLVED');
      expect(await move(ticket.id, 'WAITING_ON_CUSTOMER', 'en')).toMatchObject({
        message: 'The ticket is resolved; it cannot become waiting on the customer',
      });
      await move(ticket.id, 'CLOSED');
      expect(await move(ticket.id, 'RESOLVED')).toMatchObject({
        message: '工单当前状态为“已关闭”，不能改为“已解决”',
      });
      // Nothing was written by the refusals: the timeline has the create and two moves only.
      const tl = (await t.as('OWNER').ok(TIMELINE, { id: ticket.id, internal: true })).node.timeline;
      expect(tl.map((e: { kind: string }) => e.kind)).toEqual(['CREATED', 'STATUS_CHANGE', 'STATUS_CHANGE']);
    });

    it('reopens only within reopenDays of the resolution', async () => {
      const ticket = await open('SALES_ASSOCIATE', {});
      await move(ticket.id, 'RESOLVED');
      const raw = Buffer.from(ticket.id, 'base64').toString().split(':')[1]!;
      // Resolved 8 days ago: one day past the 7-day window.
      await t.db.database.prisma.$executeRaw`
        UPDATE "Ticket" SET "resolvedAt" = now() - interval '8 days' WHERE id = ${raw}::uuid`;
      expect(await move(ticket.id, 'IN_PROGRESS')).toMatchObject({
        __typename: 'InvalidStateError',
        errorCode: 'TICKET_REOPEN_WINDOW_PASSED',
        message: '工单已解决超过 7 天，不能重新打开，请新建工单',
      });
      await t.db.database.prisma.$executeRaw`
        UPDATE "Ticket" SET "resolvedAt" = now() - interval '6 days' WHERE id = ${raw}::uuid`;
      expect((await move(ticket.id, 'IN_PROGRESS')).ticket.status).toBe('IN_PROGRESS');
    });
  });

  describe('ticketUpdated', () => {
    it("streams changes of the caller's stores only", async () => {
      const url = `ws://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}/graphql`;
      const client = wsClient(url, { authorization: `Bearer ${await t.token('SALES_ASSOCIATE')}` });
      try {
        const events = subscribe(client, `subscription { ticketUpdated { subject status } }`);
        await untilOpenSubscriptions(t.app, (n) => n >= 1);
        await open('OWNER', { storeId: szn, subject: '深圳店的工单' });
        const mine = await open('OWNER', { subject: '三里屯的工单' });
        expect((await events.next()).data).toEqual({ ticketUpdated: { subject: '三里屯的工单', status: 'OPEN' } });
        await move(mine.id, 'IN_PROGRESS');
        expect((await events.next()).data).toEqual({
          ticketUpdated: { subject: '三里屯的工单', status: 'IN_PROGRESS' },
        });
        events.close();
      } finally {
        await client.dispose();
      }
    });
  });

  describe('timeline', () => {
    it('keeps comments, notes, assignments and moves in order, with author and time', async () => {
      const ticket = await open('MANAGER', {});
      const c = await t.as('SALES_ASSOCIATE').ok(COMMENT, {
        id: ticket.id,
        input: {
          body: '已联系顾客',
          attachments: [{ url: 'https://files.example.com/a.jpg', sha256: SHA, name: 'a.jpg' }],
        },
      });
      expect(c.addTicketComment.entry).toMatchObject({ kind: 'COMMENT', internal: false });
      expect(c.addTicketComment.ticket.firstResponseAt).not.toBeNull();
      await t.as('MANAGER').ok(COMMENT, { id: ticket.id, input: { body: '老顾客，可以优先退款', internal: true } });
      const staff = await t.as('OWNER').ok(`{ viewer { staffId } }`);
      expect(staff.viewer.staffId).toBeTruthy();
      const associate = await t.as('SALES_ASSOCIATE').ok(`{ viewer { staffId } }`);
      const a = await t.as('MANAGER').ok(ASSIGN, { id: ticket.id, a: associate.viewer.staffId });
      expect(a.assignTicket.assignee.name).toBe('陈志强');
      await move(ticket.id, 'IN_PROGRESS');

      const tl = (await t.as('MANAGER').ok(TIMELINE, { id: ticket.id, internal: true })).node.timeline;
      expect(tl.map((e: any) => [e.kind, e.internal, e.author?.name ?? null])).toEqual([
        ['CREATED', false, '林晓燕'],
        ['COMMENT', false, '陈志强'],
        ['INTERNAL_NOTE', true, '林晓燕'],
        ['ASSIGNMENT', false, '林晓燕'],
        ['STATUS_CHANGE', false, '陈志强'],
      ]);
      expect(tl[1].attachments).toEqual([{ url: 'https://files.example.com/a.jpg', sha256: SHA }]);
      expect(tl[3].assignee.name).toBe('陈志强');
      expect(tl[4]).toMatchObject({ fromStatus: 'OPEN', toStatus: 'IN_PROGRESS' });
      const times = tl.map((e: { createdAt: string }) => Date.parse(e.createdAt));
      expect([...times].sort((x, y) => x - y)).toEqual(times);

      // Without includeInternal, and for an API key (an integration) even with it, no internal note.
      const plain = (await t.as('MANAGER').ok(TIMELINE, { id: ticket.id })).node.timeline;
      expect(plain.map((e: { kind: string }) => e.kind)).not.toContain('INTERNAL_NOTE');
      const byKey = (await t.ok(TIMELINE, { id: ticket.id, internal: true }, { apiKey: t.posKey })).node.timeline;
      expect(byKey).toHaveLength(4);
      expect(byKey.some((e: { internal: boolean }) => e.internal)).toBe(false);
    });

    it('shows the customer their own tickets on their storefront: replies and status, no internal note', async () => {
      const ticket = await open('MANAGER', { subject: '会员卡积分不对' });
      await t.as('MANAGER').ok(COMMENT, { id: ticket.id, input: { body: '已核对，明天补发积分' } });
      await t.as('MANAGER').ok(COMMENT, { id: ticket.id, input: { body: '老顾客，优先处理', internal: true } });
      await move(ticket.id, 'IN_PROGRESS');
      const key = await t.as('OWNER').ok(
        `mutation($s: [ID!]!) { createApiKey(name: "小程序", role: MANAGER, storeIds: $s) {
           ... on CreateApiKeyPayload { key } } }`,
        { s: [slt] },
      );
      const phone = (
        await t
          .as('OWNER')
          .ok(`query($id: ID!) { node(id: $id) { ... on Customer { phone } } }`, { id: customerIds[0] })
      ).node.phone;
      const issued = await t.ok(
        `mutation($p: String!) { issueCustomerToken(input: { phone: $p }) { ... on CustomerToken { token } } }`,
        { p: phone },
        { apiKey: key.createApiKey.key },
      );
      const mine = await t.ok(
        `{ myAccount { tickets { number subject status updates { body toStatus } } } }`,
        {},
        { token: issued.issueCustomerToken.token },
      );
      const shown = mine.myAccount.tickets.find((x: { number: number }) => x.number === ticket.number);
      expect(shown).toEqual({
        number: ticket.number,
        subject: '会员卡积分不对',
        status: 'IN_PROGRESS',
        updates: [
          { body: '会员卡积分不对', toStatus: 'OPEN' },
          { body: '已核对，明天补发积分', toStatus: null },
          { body: expect.any(String), toStatus: 'IN_PROGRESS' },
        ],
      });
      expect(JSON.stringify(mine)).not.toContain('老顾客');
    });

    it('refuses bad attachments and too many, writing nothing', async () => {
      const ticket = await open('SALES_ASSOCIATE', {});
      const send = async (attachments: unknown[]) =>
        (await t.as('SALES_ASSOCIATE').ok(COMMENT, { id: ticket.id, input: { body: 'x', attachments } }))
          .addTicketComment;
      expect(await send([{ url: 'ftp://x/y', sha256: SHA }])).toMatchObject({
        errorCode: 'TICKET_ATTACHMENT_INVALID',
        field: ['input', 'attachments', '0'],
      });
      expect(await send([{ url: 'https://x.example/y', sha256: 'abc' }])).toMatchObject({
        errorCode: 'TICKET_ATTACHMENT_INVALID',
      });
      const eleven = Array.from({ length: 11 }, () => ({ url: 'https://x.example/y', sha256: SHA }));
      expect(await send(eleven)).toMatchObject({ errorCode: 'INPUT_TOO_MANY_ITEMS' });
      const tl = (await t.as('OWNER').ok(TIMELINE, { id: ticket.id, internal: true })).node.timeline;
      expect(tl).toHaveLength(1);
    });
  });

  describe('SLA due times, worked out by hand', () => {
    // Service hours of BJ-SLT (Asia/Shanghai, UTC+8): Mon–Fri 09:00–18:00, Sat 10:00–16:00, Sun closed.
    // SLA defaults: COMPLAINT HIGH 240 minutes, COMPLAINT NORMAL 480 minutes.
    beforeAll(async () => {
      const weekdays = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opensAt: '09:00', closesAt: '18:00' }));
      const r = await t.as('MANAGER').ok(HOURS, {
        s: slt,
        hours: [...weekdays, { weekday: 6, opensAt: '10:00', closesAt: '16:00' }],
      });
      expect(r.setTicketServiceHours.hours).toHaveLength(6);
    });
    const due = async (at: string, priority: string, store = slt) =>
      (await t.as('OWNER').ok(DUE, { s: store, type: 'COMPLAINT', p: priority, at })).ticketDueAt;

    it('across closing hours: Fri 16:00 + 4 h = 2 h Friday, then Sat 10:00 + 2 h = Sat 12:00', async () => {
      // Fri 2026-11-27 16:00 +08 = 08:00Z.
      expect(await due('2026-11-27T08:00:00Z', 'HIGH')).toBe('2026-11-28T04:00:00.000Z');
    });
    it('before opening: Mon 07:00 + 4 h counts from 09:00 = Mon 13:00', async () => {
      expect(await due('2026-11-29T23:00:00Z', 'HIGH')).toBe('2026-11-30T05:00:00.000Z');
    });
    it('across a weekend: Sat 15:00 + 8 h = 1 h Saturday, Sunday closed, Mon 09:00 + 7 h = Mon 16:00', async () => {
      expect(await due('2026-11-28T07:00:00Z', 'NORMAL')).toBe('2026-11-30T08:00:00.000Z');
    });
    it('across 国庆节: Wed 30 Sep 17:00 + 8 h = 1 h, 1–7 Oct off, Thu 8 Oct 09:00 + 7 h = 16:00', async () => {
      expect(await due('2026-09-30T09:00:00Z', 'NORMAL')).toBe('2026-10-08T08:00:00.000Z');
    });
    it('on a 调休 working Saturday (10 Oct 2026) with weekday hours: Fri 17:00 + 8 h = Sat 16:00', async () => {
      // Fri 9 Oct: 1 h; Sat 10 Oct is worked (调休) with Monday's 09:00–18:00: 09:00 + 7 h = 16:00 +08.
      // With Saturday's 10:00–16:00 it would have run into Monday.
      expect(await due('2026-10-09T09:00:00Z', 'NORMAL')).toBe('2026-10-10T08:00:00.000Z');
    });
    it("without service hours, the store's opening hours (10:00–22:00 every day) count", async () => {
      // SZ-NS, Sun 29 Nov 21:00 +08 + 4 h: 1 h Sunday, then Mon 10:00 + 3 h = 13:00 +08 = 05:00Z.
      expect(await due('2026-11-29T13:00:00Z', 'HIGH', szn)).toBe('2026-11-30T05:00:00.000Z');
    });
    it('a new ticket is due by the same arithmetic from the moment it opened', async () => {
      const ticket = await open('SALES_ASSOCIATE', { priority: 'HIGH' });
      const raw = await t.db.database.prisma.$queryRaw<{ createdAt: Date }[]>`
        SELECT "createdAt" FROM "Ticket" WHERE number = ${ticket.number}`;
      expect(ticket.dueAt).toBe(await due(raw[0]!.createdAt.toISOString(), 'HIGH'));
    });
    it('refuses bad hours', async () => {
      const r = await t
        .as('MANAGER')
        .ok(HOURS, { s: slt, hours: [{ weekday: 8, opensAt: '09:00', closesAt: '18:00' }] });
      expect(r.setTicketServiceHours).toMatchObject({ errorCode: 'INVALID_INPUT' });
      const a = await t.as('SALES_ASSOCIATE').gql(HOURS, { s: slt, hours: [] });
      expect(a.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('breaches', () => {
    it('are detected once however often the job runs, escalated to the manager, and sent to webhooks', async () => {
      const hook = await t.as('OWNER').ok(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
          __typename ... on WebhookEndpointSecretPayload { endpoint { id } }
          ... on UserError { errorCode message } } }`,
        { input: { url: 'https://hooks.example.com/tickets', eventTypes: ['ticket.breached'] } },
      );
      expect(hook.createWebhookEndpoint.__typename, JSON.stringify(hook)).toBe('WebhookEndpointSecretPayload');
      const ticket = await open('SALES_ASSOCIATE', { priority: 'URGENT' });
      const dueAt = new Date(ticket.dueAt);
      const run = async (asOf: Date) => (await t.as('OWNER').ok(RUN, { asOf: asOf.toISOString() })).runScheduledJob;
      // Before the due time nothing is breached.
      expect((await run(new Date(dueAt.getTime() - 60_000))).processed).toBe(0);
      const first = await run(new Date(dueAt.getTime() + 60_000));
      expect(first.processed).toBeGreaterThanOrEqual(1);
      expect((await run(new Date(dueAt.getTime() + 60_000))).processed).toBe(0);
      expect((await run(new Date(dueAt.getTime() + 3_600_000))).processed).toBe(0);

      const node = (
        await t.as('MANAGER').ok(
          `query($id: ID!) { node(id: $id) { ... on Ticket { ${TICKET}
          timeline(includeInternal: true) { kind assignee { name } } } } }`,
          { id: ticket.id },
        )
      ).node;
      expect(node).toMatchObject({ breached: true, escalatedTo: { name: '林晓燕' } });
      expect(node.timeline.filter((e: { kind: string }) => e.kind === 'ESCALATION')).toEqual([
        { kind: 'ESCALATION', assignee: { name: '林晓燕' } },
      ]);
      const deliveries = await t
        .as('OWNER')
        .ok(
          `query($e: ID) { webhookDeliveries(endpointId: $e, first: 50) { edges { node { event { type data } } } } }`,
          { e: hook.createWebhookEndpoint.endpoint.id },
        );
      const mine = deliveries.webhookDeliveries.edges.filter(
        (e: any) => e.node.event.type === 'ticket.breached' && JSON.parse(e.node.event.data).number === ticket.number,
      );
      expect(mine).toHaveLength(1);
      // A resolved ticket never breaches.
      const done = await open('SALES_ASSOCIATE', { priority: 'URGENT' });
      await move(done.id, 'RESOLVED');
      await run(new Date(Date.parse(done.dueAt) + 60_000));
      const again = (
        await t.as('OWNER').ok(`query($id: ID!) { node(id: $id) { ... on Ticket { breached } } }`, {
          id: done.id,
        })
      ).node;
      expect(again.breached).toBe(false);
    });
  });

  describe('satisfaction survey', () => {
    const resolve = async () => {
      const ticket = await open('SALES_ASSOCIATE', {});
      const r = await move(ticket.id, 'RESOLVED');
      return { ticket, token: r.surveyToken as string };
    };
    const answer = async (token: string, score = 5, locale?: string) =>
      (await t.ok(ANSWER, { token, score, comment: '很满意' }, { locale })).answerTicketSurvey;

    it('is answered once without a staff login; a reused token is refused', async () => {
      const { ticket, token } = await resolve();
      expect(await answer(token, 4)).toMatchObject({ __typename: 'TicketSurveyAnswer', score: 4, comment: '很满意' });
      expect(await answer(token, 1)).toMatchObject({
        __typename: 'InvalidStateError',
        errorCode: 'TICKET_SURVEY_USED',
        message: '这份满意度调查已经提交过了，感谢您的反馈',
      });
      const s = await t.as('OWNER').ok(`query($id: ID!) { node(id: $id) { ... on Ticket { survey { score } } } }`, {
        id: ticket.id,
      });
      expect(s.node.survey.score).toBe(4);
    });
    it('refuses forged tokens', async () => {
      const { token } = await resolve();
      const [id, secret] = token.split('.') as [string, string];
      const flipped = `${id}.${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
      for (const forged of [flipped, `${'0'.repeat(32)}.${secret}`, 'not-a-token', `${id}.`]) {
        expect(await answer(forged, 5, 'en'), forged).toMatchObject({
          __typename: 'InvalidInputError',
          errorCode: 'TICKET_SURVEY_INVALID',
          message: 'This satisfaction survey link is not valid',
        });
      }
      // The real one still works: forgeries used nothing up.
      expect(await answer(token)).toMatchObject({ score: 5 });
    });
    it('refuses expired tokens, and a bad score', async () => {
      const { token } = await resolve();
      expect(await answer(token, 6)).toMatchObject({ errorCode: 'INVALID_INPUT', field: ['score'] });
      const id = token.split('.')[0]!.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
      await t.db.database.prisma.$executeRaw`
        UPDATE "TicketSurvey" SET "expiresAt" = now() - interval '1 minute' WHERE id = ${id}::uuid`;
      expect(await answer(token)).toMatchObject({
        __typename: 'InvalidStateError',
        errorCode: 'TICKET_SURVEY_EXPIRED',
      });
    });
    it('a reopened ticket’s unanswered survey expires', async () => {
      const { ticket, token } = await resolve();
      await move(ticket.id, 'IN_PROGRESS');
      expect(await answer(token)).toMatchObject({ errorCode: 'TICKET_SURVEY_EXPIRED' });
    });
  });
  describe('service quality, on a fixture worked out by hand', () => {
    // Service hours of BJ-SLT: Mon–Fri 09:00–18:00 (+08). The week of Mon 23 – Fri 27 Nov 2026.
    // Associate A (陈志强):
    //   T1 Mon 10:00, first reply 10:30 (30), resolved 12:00 (120), survey answered 5.
    //   T2 Mon 17:00, first reply Tue 09:30 (60 + 30 = 90), resolved Tue 11:00 (60 + 120 = 180), breached
    //      (an escalation), survey issued, unanswered.
    //   T3 Tue 14:00, first reply 14:10 (10), reopened once, resolved again Wed 10:00 (240 + 60 = 300),
    //      two surveys: the first unanswered, the second answered 2.
    //   T4 Wed 09:00, no reply, open.
    // Manager M (林晓燕):
    //   T5 Thu 09:00, first reply 09:20 (20), resolved 13:00 (240), survey answered 4.
    //   T6 Fri 16:00, first reply 17:00 (60), waiting on the customer, breached (marked, no escalation entry yet).
    // Outside: a ticket of A at Sat 28 00:30 (after the period), and one of SZ-NS in the period.
    const at = (wall: string) => new Date(`${wall.replace(' ', 'T')}:00+08:00`);
    const raw = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1]!;
    let a: string;
    let m: string;
    const QUALITY = `query($from: DateTime!, $to: DateTime!, $s: ID, $g: TicketQualityGrouping) {
      ticketServiceQuality(from: $from, to: $to, storeId: $s, groupBy: $g) {
        store { code } staff { name } tickets responded firstResponseMinutesAverage resolved resolutionMinutesMedian
        resolutionMinutesP90 reopened reopenRate breached breachRate surveysIssued surveysAnswered csatAverage
        csatResponseRate } }`;
    const week = { from: at('2026-11-23 00:00').toISOString(), to: at('2026-11-28 00:00').toISOString() };

    beforeAll(async () => {
      const weekdays = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opensAt: '09:00', closesAt: '18:00' }));
      await t.as('MANAGER').ok(HOURS, { s: slt, hours: weekdays });
      a = raw((await t.as('SALES_ASSOCIATE').ok(`{ viewer { staffId } }`)).viewer.staffId);
      m = raw((await t.as('MANAGER').ok(`{ viewer { staffId } }`)).viewer.staffId);
      const customer = raw(
        (await t.as('OWNER').ok(`{ customers(first: 1) { edges { node { id } } } }`)).customers.edges[0].node.id,
      );
      const db = t.db.database.prisma;
      const ticket = async (f: {
        store?: string;
        assignee: string | null;
        created: string;
        first?: string;
        resolved?: string;
        status: string;
        reopen?: number;
        breached?: boolean;
        escalation?: boolean;
        surveys?: (number | null)[];
      }) => {
        const created = at(f.created);
        const [row] = await db.$queryRaw<{ id: string }[]>`
          INSERT INTO "Ticket" (type, channel, status, priority, "customerId", "storeId", subject, "assigneeId",
            "dueAt",
            "firstResponseAt", "resolvedAt", "reopenCount", "breachedAt", "createdAt", "updatedAt")
          VALUES ('COMPLAINT', 'STORE', ${f.status}, 'NORMAL', ${customer}::uuid, ${raw(f.store ?? slt)}::uuid, '质量',
            ${f.assignee}::uuid, ${new Date(created.getTime() + 3_600_000)}, ${f.first ? at(f.first) : null},
            ${f.resolved ? at(f.resolved) : null}, ${f.reopen ?? 0}, ${f.breached ? created : null}, ${created},
            ${created})
          RETURNING id::text AS id`;
        if (f.escalation)
          await db.$executeRaw`
            INSERT INTO "TicketEntry" ("ticketId", kind, internal) VALUES (${row!.id}::uuid, 'ESCALATION', true)`;
        for (const score of f.surveys ?? [])
          await db.$executeRaw`
            INSERT INTO "TicketSurvey" ("ticketId", "secretHash", "expiresAt", "answeredAt", score)
            VALUES (${row!.id}::uuid, 'fixture', ${created}, ${score === null ? null : created}, ${score})`;
      };
      await ticket({
        assignee: a,
        created: '2026-11-23 10:00',
        first: '2026-11-23 10:30',
        resolved: '2026-11-23 12:00',
        status: 'RESOLVED',
        surveys: [5],
      });
      await ticket({
        assignee: a,
        created: '2026-11-23 17:00',
        first: '2026-11-24 09:30',
        resolved: '2026-11-24 11:00',
        status: 'CLOSED',
        escalation: true,
        surveys: [null],
      });
      await ticket({
        assignee: a,
        created: '2026-11-24 14:00',
        first: '2026-11-24 14:10',
        resolved: '2026-11-25 10:00',
        status: 'RESOLVED',
        reopen: 1,
        surveys: [null, 2],
      });
      await ticket({ assignee: a, created: '2026-11-25 09:00', status: 'OPEN' });
      await ticket({
        assignee: m,
        created: '2026-11-26 09:00',
        first: '2026-11-26 09:20',
        resolved: '2026-11-26 13:00',
        status: 'RESOLVED',
        surveys: [4],
      });
      await ticket({
        assignee: m,
        created: '2026-11-27 16:00',
        first: '2026-11-27 17:00',
        status: 'WAITING_ON_CUSTOMER',
        breached: true,
      });
      await ticket({ assignee: a, created: '2026-11-28 00:30', status: 'OPEN' });
      await ticket({ store: szn, assignee: null, created: '2026-11-24 12:00', status: 'OPEN' });
    });

    it('per staff member', async () => {
      const rows = (await t.as('OWNER').ok(QUALITY, { ...week, s: slt })).ticketServiceQuality;
      const byName = Object.fromEntries(rows.map((r: { staff: { name: string } }) => [r.staff.name, r]));
      expect(rows).toHaveLength(2);
      // A: first replies 30, 90, 10 → 130 / 3; resolutions [120, 180, 300]: median 180, p90 at rank
      // (3 − 1) × 0.9 = 1.8 → 180 + 0.8 × 120 = 276; reopened 1 of 3 resolved; breached 1 of 4;
      // CSAT (5 + 2) / 2 = 3.5 from 2 answers of 4 surveys.
      expect(byName['陈志强']).toMatchObject({
        tickets: 4,
        responded: 3,
        resolved: 3,
        resolutionMinutesMedian: 180,
        reopened: 1,
        breached: 1,
        breachRate: 0.25,
        surveysIssued: 4,
        surveysAnswered: 2,
        csatAverage: 3.5,
        csatResponseRate: 0.5,
      });
      expect(byName['陈志强'].firstResponseMinutesAverage).toBeCloseTo(130 / 3, 9);
      expect(byName['陈志强'].resolutionMinutesP90).toBeCloseTo(276, 9);
      expect(byName['陈志强'].reopenRate).toBeCloseTo(1 / 3, 9);
      // M: first replies 20, 60 → 40; one resolution of 240; no reopen of 1; breached 1 of 2; CSAT 4 of 1 of 1.
      expect(byName['林晓燕']).toMatchObject({
        tickets: 2,
        responded: 2,
        firstResponseMinutesAverage: 40,
        resolved: 1,
        resolutionMinutesMedian: 240,
        resolutionMinutesP90: 240,
        reopenRate: 0,
        breachRate: 0.5,
        csatAverage: 4,
        csatResponseRate: 1,
      });
    });

    it('per store, and only in the stores the caller reports on', async () => {
      const [store] = (await t.as('OWNER').ok(QUALITY, { ...week, s: slt, g: 'STORE' })).ticketServiceQuality;
      // 6 tickets; first replies 30 + 90 + 10 + 20 + 60 = 210 / 5 = 42; resolutions [120, 180, 240, 300]:
      // median 210, p90 at rank 2.7 → 240 + 0.7 × 60 = 282; reopened 1 of 4; breached 2 of 6;
      // CSAT (5 + 2 + 4) / 3 from 3 answers of 5 surveys.
      expect(store).toMatchObject({
        store: { code: 'BJ-SLT' },
        staff: null,
        tickets: 6,
        firstResponseMinutesAverage: 42,
        resolutionMinutesMedian: 210,
        reopenRate: 0.25,
        breached: 2,
        surveysIssued: 5,
        csatResponseRate: 0.6,
      });
      expect(store.resolutionMinutesP90).toBeCloseTo(282, 9);
      expect(store.breachRate).toBeCloseTo(2 / 6, 9);
      expect(store.csatAverage).toBeCloseTo(11 / 3, 9);

      const all = async (role: 'OWNER' | 'MANAGER') =>
        (await t.as(role).ok(QUALITY, { ...week, g: 'STORE' })).ticketServiceQuality.map(
          (r: { store: { code: string } }) => r.store.code,
        );
      expect((await all('OWNER')).sort()).toEqual(['BJ-SLT', 'SZ-NS']);
      expect(await all('MANAGER')).toEqual(['BJ-SLT']);
      const backwards = await t.as('OWNER').gql(QUALITY, { from: week.to, to: week.from });
      expect(backwards.errors?.[0]?.extensions).toMatchObject({ errorCode: 'INVALID_INPUT', field: ['to'] });
      const refused = await t.as('SALES_ASSOCIATE').gql(QUALITY, week);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });
  describe('follow-up tasks', () => {
    const CREATE_TASK = `mutation($input: CreateFollowUpTaskInput!) { createFollowUpTask(input: $input) { __typename
      ... on FollowUpTask { ${TASK} } ... on UserError { errorCode message field } } }`;
    const MINE = `query($due: FollowUpDue) { myFollowUpTasks(due: $due, first: 200) { edges { node { ${TASK} } } } }`;
    const COMPLETE = `mutation($id: ID!, $interaction: FollowUpInteractionInput) {
      completeFollowUpTask(id: $id, interaction: $interaction) { __typename
        ... on FollowUpTask { ${TASK} completedBy { name } } ... on UserError { errorCode message field } } }`;
    let associate: string;
    let customer: string;
    const task = async (dueDate: string, note: string, role: 'SALES_ASSOCIATE' | 'MANAGER' = 'MANAGER') => {
      const r = await t.as(role).ok(CREATE_TASK, {
        input: { kind: 'CALL_BACK', customerId: customer, storeId: slt, assigneeId: associate, dueDate, note },
      });
      expect(r.createFollowUpTask.__typename, JSON.stringify(r)).toBe('FollowUpTask');
      return r.createFollowUpTask;
    };
    beforeAll(async () => {
      associate = (await t.as('SALES_ASSOCIATE').ok(`{ viewer { staffId } }`)).viewer.staffId;
      customer = (await newMember(t, '跟进顾客')).customerId;
    });

    it("lists my tasks for today, overdue and upcoming in the store's day", async () => {
      const today = await task(shanghaiDay(0), '今天回访');
      const late = await task(shanghaiDay(-2), '前天就该回访');
      const later = await task(shanghaiDay(3), '三天后回访');
      const mine = async (due: string) =>
        (await t.as('SALES_ASSOCIATE').ok(MINE, { due })).myFollowUpTasks.edges.map(
          (e: { node: { note: string } }) => e.node.note,
        );
      expect(await mine('TODAY')).toEqual(['今天回访']);
      expect(await mine('OVERDUE')).toEqual(['前天就该回访']);
      expect(await mine('UPCOMING')).toEqual(['三天后回访']);
      // Not the manager's: they assigned them.
      expect((await t.as('MANAGER').ok(MINE, { due: 'TODAY' })).myFollowUpTasks.edges).toEqual([]);
      expect([today.dueDate, late.dueDate, later.dueDate]).toEqual([shanghaiDay(0), shanghaiDay(-2), shanghaiDay(3)]);
    });

    it('completing one logs an interaction on the customer; a second completion is refused', async () => {
      const one = await task(shanghaiDay(0), '回访满意度');
      const done = await t.as('SALES_ASSOCIATE').ok(COMPLETE, {
        id: one.id,
        interaction: { kind: 'CALL', summary: '电话回访：顾客对处理结果满意' },
      });
      expect(done.completeFollowUpTask).toMatchObject({
        status: 'DONE',
        loggedInteraction: true,
        completedBy: { name: '陈志强' },
      });
      const c = await t.as('OWNER').ok(
        `query($id: ID!) { node(id: $id) { ... on Customer {
        interactions { kind summary } } } }`,
        { id: customer },
      );
      expect(c.node.interactions).toContainEqual({ kind: 'CALL', summary: '电话回访：顾客对处理结果满意' });
      const again = await t.as('SALES_ASSOCIATE').ok(COMPLETE, { id: one.id }, { locale: 'en' });
      expect(again.completeFollowUpTask).toMatchObject({
        __typename: 'InvalidStateError',
        errorCode: 'FOLLOW_UP_NOT_OPEN',
        message: 'The follow-up task is already done and cannot be completed or cancelled',
      });
    });

    it('a rule creates one after-sales check per customer sale in its category', async () => {
      const rule = await t.as('OWNER').ok(
        `mutation($input: FollowUpRuleInput!) { createFollowUpRule(input: $input) { __typename
          ... on FollowUpRule { category daysAfter } ... on UserError { errorCode field } } }`,
        { input: { category: '母婴', daysAfter: 7, note: '询问宝宝饮用情况' } },
      );
      expect(rule.createFollowUpRule).toEqual({ __typename: 'FollowUpRule', category: '母婴', daysAfter: 7 });
      const member = await newMember(t, '售后顾客');
      await stockUp(t, slt, ['MB-001', 'DH-004']);
      const sell = async (sku: string, price: string) => {
        const r = await t.ok(
          RECORD_SALE,
          {
            input: {
              storeId: slt,
              externalId: uniqueId('TK'),
              memberCode: member.memberCode,
              lines: [{ sku, quantity: 1, unitPrice: price }],
              payments: [{ method: 'CASH', amount: price }],
            },
          },
          { apiKey: t.posKey },
        );
        expect(r.recordSale.__typename, JSON.stringify(r)).toBe('RecordSalePayload');
      };
      await sell('MB-001', '268.00');
      await sell('DH-004', '29.90'); // 日用: no rule
      const list = await t
        .as('MANAGER')
        .ok(`query($s: ID) { followUpTasks(storeId: $s, first: 200) { edges { node { ${TASK} } } } }`, { s: slt });
      const checks = list.followUpTasks.edges
        .map((e: { node: any }) => e.node)
        .filter((n: any) => n.kind === 'AFTER_SALES_CHECK' && n.customer.id === member.customerId);
      expect(checks).toHaveLength(1);
      expect(checks[0]).toMatchObject({ status: 'OPEN', dueDate: shanghaiDay(7), assignee: null });
      expect(checks[0].note).toContain('询问宝宝饮用情况');
    });
  });

  describe('appointments', () => {
    let associate: string;
    let customer: string;
    // Tomorrow in Shanghai, 10:00 +08, as an instant.
    const slot = (hour: number, minute = 0) =>
      new Date(
        `${shanghaiDay(1)}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+08:00`,
      ).toISOString();
    const book = async (input: Record<string, unknown>, locale?: string) =>
      (await t.as('SALES_ASSOCIATE').ok(BOOK, { input: { customerId: customer, storeId: slt, ...input } }, { locale }))
        .bookAppointment;
    beforeAll(async () => {
      associate = (await t.as('SALES_ASSOCIATE').ok(`{ viewer { staffId } }`)).viewer.staffId;
      customer = (await newMember(t, '预约顾客')).customerId;
    });

    it('refuses a booking overlapping the same staff member or resource; touching slots are fine', async () => {
      const first = await book({ staffId: associate, startsAt: slot(10), endsAt: slot(11) });
      expect(first).toMatchObject({ __typename: 'ServiceAppointment', status: 'BOOKED', staff: { name: '陈志强' } });
      const clash = await book({ staffId: associate, startsAt: slot(10, 30), endsAt: slot(11, 30) }, 'en');
      expect(clash).toMatchObject({
        __typename: 'ConflictError',
        errorCode: 'APPOINTMENT_OVERLAP',
        field: ['input', 'staffId'],
      });
      expect(clash.message).toBe(`陈志强 already has an appointment from ${slot(10)} to ${slot(11)}`);
      expect(await book({ staffId: associate, startsAt: slot(11), endsAt: slot(12) })).toMatchObject({
        status: 'BOOKED',
      });
      expect(await book({ resource: '维修台1', startsAt: slot(10), endsAt: slot(11) })).toMatchObject({
        status: 'BOOKED',
      });
      expect(await book({ resource: '维修台1', startsAt: slot(9), endsAt: slot(10, 1) })).toMatchObject({
        errorCode: 'APPOINTMENT_OVERLAP',
        field: ['input', 'resource'],
      });
      // Cancelled, the slot is free again.
      const cancelled = await t.as('SALES_ASSOCIATE').ok(
        `mutation($id: ID!) { settleAppointment(id: $id, status: CANCELLED) { __typename
          ... on ServiceAppointment { status } ... on UserError { errorCode } } }`,
        { id: first.id },
      );
      expect(cancelled.settleAppointment.status).toBe('CANCELLED');
      expect(await book({ staffId: associate, startsAt: slot(10, 15), endsAt: slot(11) })).toMatchObject({
        status: 'BOOKED',
      });
      expect(await book({ startsAt: slot(14), endsAt: slot(15) })).toMatchObject({ errorCode: 'APPOINTMENT_INVALID' });
      expect(await book({ resource: '维修台2', startsAt: slot(14), endsAt: slot(14, 2) })).toMatchObject({
        errorCode: 'APPOINTMENT_INVALID',
        field: ['input', 'endsAt'],
      });
    });

    it('raises one reminder per appointment, however often the job runs', async () => {
      const a = await book({ resource: '试衣间A', startsAt: slot(15), endsAt: slot(16) });
      const run = async (asOf: string) =>
        (
          await t
            .as('OWNER')
            .ok(
              `mutation($asOf: DateTime) { runScheduledJob(name: "ticketing.reminders", asOf: $asOf) { processed } }`,
              {
                asOf,
              },
            )
        ).runScheduledJob.processed;
      // 25 hours before: not yet within the 24-hour window.
      await run(new Date(Date.parse(a.startsAt) - 25 * 3_600_000).toISOString());
      const before = await t.as('OWNER').ok(
        `query($id: ID!) { node(id: $id) { ... on ServiceAppointment {
        reminderSentAt } } }`,
        { id: a.id },
      );
      expect(before.node.reminderSentAt).toBeNull();
      const at = new Date(Date.parse(a.startsAt) - 2 * 3_600_000).toISOString();
      expect(await run(at)).toBeGreaterThanOrEqual(1);
      expect(await run(at)).toBe(0);
      const after = await t.as('OWNER').ok(
        `query($id: ID!) { node(id: $id) { ... on ServiceAppointment {
        reminderSentAt } } }`,
        { id: a.id },
      );
      expect(after.node.reminderSentAt).toBe(at);
    });
  });
});

describe('ticketing demo data', () => {
  let t: TestApp;
  let slt: string;
  beforeAll(async () => {
    ({ t, slt } = await setup());
    await t.app.services.plugins.seedDemo();
  });
  afterAll(() => t?.close());

  it('has a ticket in every state, follow-ups and appointments', async () => {
    const all = await t
      .as('OWNER')
      .ok(`{ tickets(first: 100) { edges { node { status subject survey { score } } } } }`);
    const demo = all.tickets.edges.map((e: { node: any }) => e.node);
    expect(new Set(demo.map((n: { status: string }) => n.status))).toEqual(
      new Set(['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED']),
    );
    expect(demo.find((n: any) => n.subject === '纸尿裤尺码不合适，申请换货').survey.score).toBe(5);
    const mine = await t.as('SALES_ASSOCIATE').ok(`{ today: myFollowUpTasks(due: TODAY) { edges { node { note } } }
      overdue: myFollowUpTasks(due: OVERDUE) { edges { node { note } } } }`);
    expect(mine.today.edges.map((e: any) => e.node.note)).toContain('回访投诉处理结果');
    expect(mine.overdue.edges.map((e: any) => e.node.note)).toContain('确认新品到货后通知顾客');
    const appointments = await t.as('OWNER').ok(
      `query($s: ID!, $from: DateTime!, $to: DateTime!) { serviceAppointments(storeId: $s, from: $from, to: $to) {
        edges { node { resource note } } } }`,
      { s: slt, from: new Date().toISOString(), to: new Date(Date.now() + 3 * 86_400_000).toISOString() },
    );
    expect(appointments.serviceAppointments.edges.map((e: any) => e.node.note)).toEqual(
      expect.arrayContaining(['电动牙刷检测', '奶粉冲调指导']),
    );
  });
});

describe.skipIf(!postgresUrl)('ticketing under concurrency (PostgreSQL)', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    ctx = await setup('postgres');
  });
  afterAll(() => ctx?.t.close());

  it('twenty concurrent breach runs mark and announce each breach once', async () => {
    const tickets = await Promise.all([1, 2, 3].map(() => ctx.open('SALES_ASSOCIATE', { priority: 'URGENT' })));
    const asOf = new Date(Math.max(...tickets.map((x) => Date.parse(x.dueAt))) + 60_000).toISOString();
    const runs = await Promise.all(Array.from({ length: 20 }, () => ctx.t.as('OWNER').ok(RUN, { asOf })));
    expect(runs.reduce((n, r) => n + r.runScheduledJob.processed, 0)).toBe(3);
    const rows = await ctx.t.db.database.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "TicketEntry" WHERE kind = 'ESCALATION'`;
    expect(rows[0]!.n).toBe(3);
  });

  it('forty concurrent answers to one survey: one is kept, 39 are refused as used', async () => {
    const ticket = await ctx.open('SALES_ASSOCIATE', {});
    const r = await ctx.t.as('SALES_ASSOCIATE').ok(STATUS, { id: ticket.id, status: 'RESOLVED' });
    const token = r.changeTicketStatus.surveyToken;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => ctx.t.ok(ANSWER, { token, score: (i % 5) + 1 })),
    );
    const kinds = answers.map((a) => a.answerTicketSurvey.__typename);
    expect(kinds.filter((k) => k === 'TicketSurveyAnswer')).toHaveLength(1);
    expect(answers.filter((a) => a.answerTicketSurvey.errorCode === 'TICKET_SURVEY_USED')).toHaveLength(39);
  });
  it('forty concurrent bookings of one staff member’s slot: exactly one is kept', async () => {
    const staffId = (await ctx.t.as('SALES_ASSOCIATE').ok(`{ viewer { staffId } }`)).viewer.staffId;
    const startsAt = new Date(`${shanghaiDay(2)}T10:00:00+08:00`);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        ctx.t.as('SALES_ASSOCIATE').ok(BOOK, {
          input: {
            customerId: ctx.customerIds[0],
            storeId: ctx.slt,
            staffId,
            // Every slot overlaps every other: starts 0–9 minutes apart, an hour long. (Without the lock, a run
            // here kept 3 of 40.)
            startsAt: new Date(startsAt.getTime() + (i % 10) * 60_000).toISOString(),
            endsAt: new Date(startsAt.getTime() + (i % 10) * 60_000 + 3_600_000).toISOString(),
          },
        }),
      ),
    );
    const kinds = results.map((r) => r.bookAppointment.__typename);
    expect(kinds.filter((k) => k === 'ServiceAppointment')).toHaveLength(1);
    expect(results.filter((r) => r.bookAppointment.errorCode === 'APPOINTMENT_OVERLAP')).toHaveLength(39);
  });
});
