import type { TestApp } from './app.ts';
import { expect } from 'vitest';
import { RECORD_SALE, rawId, uniqueId } from './queries.ts';

let phoneCounter = 0;

/** A new member with a phone no demo customer has (130… numbers are never generated). */
export async function newMember(t: TestApp, name = '测试会员', extra: Record<string, unknown> = {}) {
  phoneCounter += 1;
  const phone = `130${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(5, '0')}`;
  const c = await t.as('OWNER').ok(
    `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ... on Customer { id }
         ... on UserError { errorCode message } } }`,
    {
      input: { name, phone, ...extra },
    },
  );
  if (!c.createCustomer.id) throw new Error(JSON.stringify(c));
  const m = await t
    .as('OWNER')
    .ok(`mutation($id: ID!) { enrollMember(input: { customerId: $id }) { ... on Member { code } } }`, {
      id: c.createCustomer.id,
    });
  return { customerId: c.createCustomer.id as string, memberCode: m.enrollMember.code as string };
}

export interface Line {
  sku: string;
  quantity: number;
  unitPrice: string;
  discount?: string;
}

const PREVIEW = `mutation($input: PreviewSaleInput!) { previewSale(input: $input) { __typename
  ... on SaleQuote { total } ... on UserError { errorCode message field } } }`;

/**
 * Records a sale through the POS key as a till would: previewSale for the total after member
 * benefits, then recordSale paying exactly that. `points` is the amount (¥) paid with points.
 * A typed error from either step is returned as the result.
 */
export async function sell(
  t: TestApp,
  storeId: string,
  memberCode: string | null,
  lines: Line[],
  options: { points?: string; occurredAt?: string; externalId?: string } = {},
) {
  const pointsCents = Math.round(Number(options.points ?? '0') * 100);
  const pointsPayment = pointsCents ? [{ method: 'POINTS', amount: (pointsCents / 100).toFixed(2) }] : [];
  const quote = await t.ok(
    PREVIEW,
    {
      input: {
        storeId,
        memberCode,
        lines,
        payments: pointsPayment,
        ...(options.occurredAt ? { occurredAt: options.occurredAt } : {}),
      },
    },
    { apiKey: t.posKey },
  );
  if (quote.previewSale.__typename !== 'SaleQuote') return quote.previewSale;
  const total = Math.round(Number(quote.previewSale.total) * 100);
  const payments = [
    ...pointsPayment,
    ...(total - pointsCents > 0 ? [{ method: 'WECHAT_PAY', amount: ((total - pointsCents) / 100).toFixed(2) }] : []),
  ];
  const input = {
    storeId,
    externalId: options.externalId ?? uniqueId('L'),
    memberCode,
    lines,
    payments,
    ...(options.occurredAt ? { occurredAt: options.occurredAt } : {}),
  };
  const r = await t.ok(
    RECORD_SALE.replace(
      'member { code }',
      'member { code } points { earned redeemed reversed lines { lineNo sku paid points contributions { rule ' +
        'points } } }',
    ),
    { input },
    { apiKey: t.posKey },
  );
  return r.recordSale;
}

export async function pointsOf(t: TestApp, customerId: string) {
  const r = await t
    .as('OWNER')
    .ok(`query($id: ID!) { customer(id: $id) { points { balance pending lifetimeEarned } } }`, { id: customerId });
  return r.customer.points ?? { balance: 0, pending: 0, lifetimeEarned: 0 };
}

export async function createRule(t: TestApp, input: Record<string, unknown>) {
  const r = await t.as('OWNER').ok(
    `mutation($input: PointsRuleInput!) { createPointsRule(input: $input) { __typename ... on PointsRule { id }
         ... on UserError { errorCode message } } }`,
    { input },
  );
  if (r.createPointsRule.__typename !== 'PointsRule') throw new Error(JSON.stringify(r));
  return r.createPointsRule.id as string;
}

export async function setRuleActive(t: TestApp, id: string, active: boolean) {
  await t
    .as('OWNER')
    .ok(`mutation($id: ID!, $a: Boolean) { updatePointsRule(id: $id, input: { active: $a }) { __typename } }`, {
      id,
      a: active,
    });
}

export async function runJob(t: TestApp, name: string, asOf: Date) {
  const r = await t
    .as('OWNER')
    .ok(`mutation($n: String!, $at: DateTime) { runScheduledJob(name: $n, asOf: $at) { processed } }`, {
      n: name,
      at: asOf.toISOString(),
    });
  return r.runScheduledJob.processed as number;
}

/** Receives plenty of stock so loyalty tests never run out. */
export async function stockUp(t: TestApp, storeId: string, skus: string[]) {
  await t.as('OWNER').ok(
    `mutation($s: ID!, $lines: [StockLineInput!]!) {
         adjustStock(storeId: $s, type: RECEIPT, lines: $lines) { __typename } }`,
    {
      s: storeId,
      lines: skus.map((sku) => ({ sku, quantity: 100_000 })),
    },
  );
}

/** Balance + pending equals the ledger's sum; lots hold exactly what the account says. */
export async function checkLedger(t: TestApp, customerId: string) {
  const db = t.db.database.prisma;
  const id = rawId(customerId);
  const account = await db.pointsAccount.findUniqueOrThrow({ where: { customerId: id } });
  const entries = await db.pointsLedgerEntry.findMany({ where: { customerId: id } });
  const sum = entries.reduce((s, e) => s + e.points, 0);
  expect(account.balance + account.pending, 'balance + pending = ledger sum').toBe(sum);
  const pendingLots = entries.filter((e) => e.releasedAt === null).reduce((s, e) => s + e.remaining, 0);
  expect(account.pending, 'pending = what unreleased lots hold').toBe(pendingLots);
  expect(entries.every((e) => e.remaining >= 0 && e.remaining <= Math.max(e.points, 0))).toBe(true);
  expect(account.lifetimeEarned).toBe(entries.filter((e) => e.kind === 'EARN').reduce((s, e) => s + e.points, 0));
  const spendable = entries.filter((e) => e.releasedAt !== null).reduce((s, e) => s + e.remaining, 0);
  expect(spendable, 'released lots hold the balance (nothing while points are owed)').toBe(
    Math.max(account.balance, 0),
  );
  return { account, entries };
}
