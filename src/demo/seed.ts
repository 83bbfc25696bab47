import type { Db } from '../db/tx.ts';
import { bulkInsert } from '../db/bulk.ts';
import { uuidv7 } from '../db/ids.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { Channel, StaffRoleKind } from '../generated/prisma/enums.ts';
import type { CoreTender } from '../sales/tenders.ts';
import { hashPassword } from '../auth/passwords.ts';
import { hashApiKey } from '../auth/tokens.ts';
import { recomputeCustomerFigures } from '../customers/figures.ts';
import { businessDate, DAY_MS } from '../stores/time.ts';
import { CUSTOMER_TAGS, DEMO_PRODUCTS, DEMO_STORES, GIVEN_FEMALE, GIVEN_MALE, SURNAMES } from './catalog.ts';
import { sealCustomer } from '../customers/personal.ts';

/** Demo sign-ins, one per role. Public on purpose: demo data is for exploring, never for production. */
export const DEMO_ACCOUNTS: { role: StaffRoleKind; name: string; login: string; password: string; note: string }[] = [
  { role: 'OWNER', name: '周建国', login: '13800000001', password: 'demo-owner-1', note: '老板，所有门店' },
  { role: 'MANAGER', name: '林晓燕', login: '13800000002', password: 'demo-manager-1', note: '店长，北京三里屯店' },
  { role: 'CASHIER', name: '王小红', login: '13800000003', password: 'demo-cashier-1', note: '收银员，北京三里屯店' },
  {
    role: 'SALES_ASSOCIATE',
    name: '陈志强',
    login: '13800000004',
    password: 'demo-associate-1',
    note: '导购，北京三里屯店',
  },
];
export const DEMO_POS_KEY = 'sk_demo_pos_beijing_sanlitun';
/**
 * The demo storefront's integration key (MANAGER of 北京三里屯店): what a merchant's backend holds
 * to exchange a customer it verified for a customer token (examples/storefront, docs/storefront.md).
 */
export const DEMO_STOREFRONT_KEY = 'sk_demo_storefront_beijing_sanlitun';

/** Small deterministic PRNG so every fresh install shows the same demo data. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoSize {
  customers: number;
  sales: number;
  days: number;
}

/**
 * Creates the demo chain: 3 stores, ~40 products with stock, ~200 customers (most of them
 * members), ~2,000 sales over the last 12 months with refunds and interactions. Written in
 * bulk (a few dozen statements), so first start stays quick even on the embedded database.
 */
export async function seedDemoData(
  db: Db,
  size: DemoSize = { customers: 200, sales: 2000, days: 365 },
  now = new Date(),
) {
  const rnd = mulberry32(20261122);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const start = now.getTime() - size.days * DAY_MS;

  const stores = DEMO_STORES.map((s) => ({ id: uuidv7(start), ...s, createdAt: new Date(start), updatedAt: now }));
  await bulkInsert(db, 'Store', stores);
  // 会员日 on Wednesdays in every demo store: points rules, campaigns and reminders read it.
  await db.storeCalendar.createMany({
    data: stores.map((s) => ({ storeId: s.id, memberWeekdays: [3], memberMonthDays: [] })),
  });

  const staffRows: Prisma.StaffCreateManyInput[] = [];
  const roleRows: Prisma.StaffRoleCreateManyInput[] = [];
  // scrypt is slow on purpose: the hashes are worked out on libuv's threads while the rest is built.
  const hashing = Promise.all(
    [...DEMO_ACCOUNTS.map((a) => a.password), 'demo-cashier-2', 'demo-cashier-3'].map(hashPassword),
  );
  for (const account of DEMO_ACCOUNTS) {
    const id = uuidv7(start);
    staffRows.push({
      id,
      name: account.name,
      login: account.login,
      phone: account.login,
      passwordHash: '',
      updatedAt: now,
    });
    const storesOfRole = account.role === 'OWNER' ? stores : [stores[0]!];
    for (const s of storesOfRole) roleRows.push({ staffId: id, storeId: s.id, role: account.role });
  }
  // A cashier in each of the other stores, so every store's sales have someone at the till.
  const cashierNames = ['赵婷', '黄家豪'];
  for (const [i, s] of stores.slice(1).entries()) {
    const id = uuidv7(start);
    staffRows.push({
      id,
      name: cashierNames[i]!,
      login: `1380000001${i}`,
      phone: `1380000001${i}`,
      passwordHash: '',
      updatedAt: now,
    });
    roleRows.push({ staffId: id, storeId: s.id, role: 'CASHIER' });
  }
  const cashierOf = (storeIndex: number) => (storeIndex === 0 ? staffRows[2]!.id : staffRows[3 + storeIndex]!.id);

  const products = DEMO_PRODUCTS.map(([sku, name, category, price, cost], i) => ({
    id: uuidv7(start),
    sku,
    barcode: `69${String(20000000000 + i * 7919).padStart(11, '0')}`,
    name,
    category,
    price: new Prisma.Decimal(price),
    cost: new Prisma.Decimal(cost),
    updatedAt: now,
  }));
  await bulkInsert(db, 'Product', products);
  const bySku = new Map(products.map((p) => [p.sku, p]));

  // Customers: phones unique, 11 digits; most joined as members.
  const channels: Channel[] = ['STORE', 'STORE', 'STORE', 'WECHAT', 'MINI_PROGRAM', 'MINI_PROGRAM', 'ECOMMERCE', 'WEB'];
  // Never 130–132: tests create customers with those, so they cannot collide with demo phones.
  const prefixes = ['135', '136', '138', '139', '150', '151', '158', '177', '186', '188', '199'];
  const usedPhones = new Set<string>();
  const customers: Prisma.CustomerCreateManyInput[] = [];
  const members: Prisma.MemberCreateManyInput[] = [];
  const consents: Prisma.MarketingConsentCreateManyInput[] = [];
  for (let i = 0; i < size.customers; i++) {
    const female = rnd() < 0.62;
    const name = pick(SURNAMES) + pick(female ? GIVEN_FEMALE : GIVEN_MALE);
    let phone: string;
    do phone = pick(prefixes) + String(Math.floor(rnd() * 1e8)).padStart(8, '0');
    while (usedPhones.has(phone));
    usedPhones.add(phone);
    const joined = start + Math.floor(rnd() * size.days * 0.8) * DAY_MS;
    const age = 20 + Math.floor(rnd() * 45);
    const birthday = new Date(Date.UTC(now.getUTCFullYear() - age, Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28)));
    const id = uuidv7(joined);
    const tags = [...new Set([pick(CUSTOMER_TAGS), ...(rnd() < 0.4 ? [pick(CUSTOMER_TAGS)] : [])])];
    const email = rnd() < 0.3 ? `user${i + 1}@example.cn` : null;
    customers.push({
      id,
      name,
      // Encrypted with the process's data key, as every write of these fields is.
      ...sealCustomer({ phone, email, birthday }),
      gender: female ? 'FEMALE' : 'MALE',
      sourceChannel: pick(channels),
      homeStoreId: pick(stores).id,
      tags,
      createdAt: new Date(joined),
      updatedAt: now,
    });
    if (rnd() < 0.7) {
      members.push({
        id: uuidv7(joined),
        customerId: id,
        code: `88${String(10000000 + i * 37).padStart(10, '0')}`,
        joinedAt: new Date(joined),
        joinedStoreId: customers[i]!.homeStoreId ?? null,
      });
    }
    consents.push({ customerId: id, channel: 'SMS', granted: rnd() < 0.6, updatedAt: new Date(joined) });
    consents.push({ customerId: id, channel: 'WECHAT', granted: rnd() < 0.75, updatedAt: new Date(joined) });
  }
  await bulkInsert(db, 'Customer', customers);
  await bulkInsert(db, 'Member', members);
  await bulkInsert(db, 'MarketingConsent', consents);
  const memberOf = new Map(members.map((m) => [m.customerId, m.id!]));

  // Sales: busier at lunch and after work, on weekends and around 双十一 and Spring Festival.
  const hourWeights = [0, 0, 0, 0, 0, 0, 0, 1, 3, 4, 5, 7, 8, 6, 4, 4, 5, 7, 9, 8, 6, 4, 2, 1];
  const hourTotal = hourWeights.reduce((a, b) => a + b, 0);
  const pickHour = () => {
    let r = rnd() * hourTotal;
    for (let h = 0; h < 24; h++) {
      r -= hourWeights[h]!;
      if (r < 0) return h;
    }
    return 12;
  };
  const methods: CoreTender[] = [
    'WECHAT_PAY',
    'WECHAT_PAY',
    'WECHAT_PAY',
    'WECHAT_PAY',
    'WECHAT_PAY',
    'ALIPAY',
    'ALIPAY',
    'ALIPAY',
    'CARD',
    'CASH',
  ];

  type PlannedSale = { at: number; storeIndex: number; customerId: string | null; skus: [string, number][] };
  const planned: PlannedSale[] = [];
  const basketFor = (): [string, number][] => {
    const n = 1 + Math.floor(rnd() * 4);
    const lines = new Map<string, number>();
    for (let k = 0; k < n; k++) {
      const p = pick(products);
      lines.set(
        p.sku,
        (lines.get(p.sku) ?? 0) + (p.category === '饮料' || p.category === '零食' ? 1 + Math.floor(rnd() * 3) : 1),
      );
    }
    return [...lines];
  };
  while (planned.length < size.sales) {
    const day = Math.floor(rnd() * size.days);
    const at = start + day * DAY_MS + pickHour() * 3600_000 + Math.floor(rnd() * 3600_000) - 8 * 3600_000;
    if (at > now.getTime() - 60_000) continue;
    const date = new Date(at + 8 * 3600_000);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    if (!weekend && rnd() < 0.25) continue;
    const customer = rnd() < 0.72 ? pick(customers) : null;
    const skus = basketFor();
    planned.push({ at, storeIndex: Math.floor(rnd() * stores.length), customerId: customer?.id ?? null, skus });
    // Basket association the analytics should find: most infant-formula buyers come back for diapers within two weeks.
    if (customer && skus.some(([s]) => s === 'MB-001' || s === 'MB-002') && rnd() < 0.72) {
      const later = at + (1 + Math.floor(rnd() * 13)) * DAY_MS;
      if (later < now.getTime() - 60_000)
        planned.push({
          at: later,
          storeIndex: stores.findIndex((s) => s.id === customer.homeStoreId),
          customerId: customer.id!,
          skus: [[pick(['MB-003', 'MB-004']), 1]],
        });
    }
  }
  planned.sort((a, b) => a.at - b.at);

  const sales: Prisma.SaleCreateManyInput[] = [];
  const lines: Prisma.SaleLineCreateManyInput[] = [];
  const payments: Prisma.PaymentCreateManyInput[] = [];
  const refunds: Prisma.RefundCreateManyInput[] = [];
  const refundLines: Prisma.RefundLineCreateManyInput[] = [];
  const movements: Prisma.StockMovementCreateManyInput[] = [];
  const sold = new Map<string, number>(); // storeId:productId → units sold
  const saleMovements: {
    storeId: string;
    productId: string;
    delta: number;
    at: number;
    saleId: string;
    refundId?: string;
    type: 'SALE' | 'RETURN';
  }[] = [];

  for (const [n, plan] of planned.entries()) {
    const store = stores[plan.storeIndex]!;
    const saleId = uuidv7(plan.at);
    let subtotal = new Prisma.Decimal(0);
    let discountTotal = new Prisma.Decimal(0);
    const saleLines = plan.skus.map(([sku, qty], i) => {
      const p = bySku.get(sku)!;
      const gross = p.price.mul(qty);
      const discount = rnd() < 0.15 ? gross.mul(0.1).toDecimalPlaces(2) : new Prisma.Decimal(0);
      subtotal = subtotal.add(gross);
      discountTotal = discountTotal.add(discount);
      return {
        id: uuidv7(plan.at),
        saleId,
        lineNo: i + 1,
        productId: p.id,
        sku,
        name: p.name,
        quantity: qty,
        unitPrice: p.price,
        discount,
        total: gross.sub(discount),
        unitCost: p.cost,
      };
    });
    const total = subtotal.sub(discountTotal);
    const refunded = rnd() < 0.02;
    sales.push({
      id: saleId,
      storeId: store.id,
      externalId: `${store.code}-${String(n + 1).padStart(6, '0')}`,
      staffId: cashierOf(plan.storeIndex),
      customerId: plan.customerId,
      memberId: plan.customerId ? (memberOf.get(plan.customerId) ?? null) : null,
      occurredAt: new Date(plan.at),
      businessDate: businessDate(new Date(plan.at), store.timezone),
      currency: 'CNY',
      subtotal,
      discountTotal,
      total,
      refundedTotal: refunded ? total : 0,
      status: refunded ? 'REFUNDED' : 'COMPLETED',
      createdAt: new Date(plan.at),
    });
    lines.push(...saleLines.map((l) => ({ ...l, refundedQuantity: refunded ? l.quantity : 0 })));
    payments.push({ id: uuidv7(plan.at), saleId, method: pick(methods), amount: total });
    for (const l of saleLines) {
      const key = `${store.id}:${l.productId}`;
      sold.set(key, (sold.get(key) ?? 0) + l.quantity);
      saleMovements.push({
        storeId: store.id,
        productId: l.productId,
        delta: -l.quantity,
        at: plan.at,
        saleId,
        type: 'SALE',
      });
    }
    if (refunded) {
      const refundAt = plan.at + 2 * 3600_000;
      const refundId = uuidv7(refundAt);
      refunds.push({
        id: refundId,
        saleId,
        externalId: `R-${n + 1}`,
        reason: '顾客退货：商品不需要了',
        total,
        createdAt: new Date(Math.min(refundAt, now.getTime())),
      });
      for (const l of saleLines) {
        refundLines.push({ refundId, saleLineId: l.id, quantity: l.quantity, amount: l.total });
        const key = `${store.id}:${l.productId}`;
        sold.set(key, sold.get(key)! - l.quantity);
        saleMovements.push({
          storeId: store.id,
          productId: l.productId,
          delta: l.quantity,
          at: Math.min(refundAt, now.getTime()),
          saleId,
          refundId,
          type: 'RETURN',
        });
      }
    }
  }

  // Stock: one opening receipt per store and product, sized so that most end comfortably
  // stocked and a few end at or under their reorder point (for the low-stock views).
  const levels: Prisma.StockLevelCreateManyInput[] = [];
  const balance = new Map<string, number>();
  for (const [si, store] of stores.entries()) {
    for (const [pi, p] of products.entries()) {
      const key = `${store.id}:${p.id}`;
      const reorderPoint = 5 + (pi % 4) * 5;
      const low = (pi + si * 7) % 13 === 0;
      const closing = low ? Math.floor(reorderPoint / 2) : reorderPoint + 10 + ((pi * 7 + si * 3) % 40);
      const opening = (sold.get(key) ?? 0) + closing;
      balance.set(key, opening);
      movements.push({
        id: uuidv7(start),
        storeId: store.id,
        productId: p.id,
        type: 'RECEIPT',
        quantity: opening,
        balanceAfter: opening,
        reason: '期初入库',
        occurredAt: new Date(start),
      });
      levels.push({ storeId: store.id, productId: p.id, onHand: closing, reorderPoint, updatedAt: now });
    }
  }
  saleMovements.sort((a, b) => a.at - b.at);
  for (const m of saleMovements) {
    const key = `${m.storeId}:${m.productId}`;
    const after = balance.get(key)! + m.delta;
    balance.set(key, after);
    movements.push({
      id: uuidv7(m.at),
      storeId: m.storeId,
      productId: m.productId,
      type: m.type,
      quantity: m.delta,
      balanceAfter: after,
      saleId: m.saleId,
      refundId: m.refundId ?? null,
      occurredAt: new Date(m.at),
    });
  }

  const interactions: Prisma.InteractionCreateManyInput[] = [];
  const summaries = [
    ['CALL', '电话回访：对上次购买的奶粉满意，询问会员日活动时间'],
    ['MESSAGE', '微信消息：咨询纸尿裤新码数是否到货'],
    ['VISIT', '到店咨询护肤品，导购推荐了敏感肌套装'],
    ['NOTE', '顾客偏好晚上到店，宝宝约 1 岁'],
    ['COMPLAINT', '投诉：收银排队时间过长，已致歉并赠送优惠券'],
  ] as const;
  for (const c of customers.slice(0, Math.floor(customers.length * 0.4))) {
    const [kind, summary] = pick(summaries);
    const at = Math.max(start, (c.createdAt as Date).getTime()) + Math.floor(rnd() * 60) * DAY_MS;
    if (at >= now.getTime()) continue;
    interactions.push({
      id: uuidv7(at),
      customerId: c.id!,
      kind,
      summary,
      staffId: staffRows[3]!.id,
      storeId: c.homeStoreId ?? null,
      occurredAt: new Date(at),
      createdAt: new Date(at),
    });
  }

  for (const [i, hash] of (await hashing).entries()) staffRows[i]!.passwordHash = hash;
  await db.$transaction(
    async (tx) => {
      await bulkInsert(tx, 'Staff', staffRows);
      await bulkInsert(tx, 'StaffRole', roleRows);
      await tx.apiKey.create({
        data: {
          name: '三里屯店收银机 POS-01',
          prefix: DEMO_POS_KEY.slice(0, 10),
          keyHash: hashApiKey(DEMO_POS_KEY),
          role: 'CASHIER',
          storeIds: [stores[0]!.id],
          createdById: staffRows[0]!.id,
          // The demo till prices on its own side (its own promotions), so its owner allows it any
          // price; a key created without this is held to its role's limit (docs/security.md).
          maxDiscountPercent: 100,
        },
      });
      await tx.apiKey.create({
        data: {
          name: '会员小程序后端（演示）',
          prefix: DEMO_STOREFRONT_KEY.slice(0, 10),
          keyHash: hashApiKey(DEMO_STOREFRONT_KEY),
          role: 'MANAGER',
          storeIds: [stores[0]!.id],
          createdById: staffRows[0]!.id,
        },
      });
      await bulkInsert(tx, 'Sale', sales);
      await bulkInsert(tx, 'SaleLine', lines);
      await bulkInsert(tx, 'Payment', payments);
      await bulkInsert(tx, 'Refund', refunds);
      await bulkInsert(tx, 'RefundLine', refundLines);
      await bulkInsert(tx, 'StockLevel', levels);
      await bulkInsert(tx, 'StockMovement', movements);
      await bulkInsert(tx, 'Interaction', interactions);
      await recomputeCustomerFigures(tx);
    },
    { timeout: 120_000 },
  );

  return {
    stores: stores.length,
    products: products.length,
    customers: customers.length,
    members: members.length,
    sales: sales.length,
  };
}
