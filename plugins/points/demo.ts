import type { Db } from '../../src/db/tx.ts';
import { bulkInsert } from '../../src/db/bulk.ts';
import { uuidv7 } from '../../src/db/ids.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { addMonths } from '../../src/stores/time.ts';
import type { PointsService } from './service.ts';

/**
 * Demo rules and a year of points history for the demo members, written in bulk: every member
 * sale earned by the rules below, refunds took their points back, birthdays brought a gift.
 */
export async function seedPointsDemo(db: Db, service: PointsService) {
  if ((await db.pointsRule.count()) > 0) return;
  await db.pointsRule.createMany({
    data: [
      {
        name: '基础积分：每消费 1 元积 1 分',
        kind: 'BASE_RATE',
        pointsPerYuan: new Prisma.Decimal(1),
        combine: 'HIGHEST_WINS',
      },
      {
        name: '周三会员日双倍积分',
        kind: 'MULTIPLIER',
        multiplier: new Prisma.Decimal(2),
        weekdays: [3],
        combine: 'ADDITIVE',
      },
      {
        name: '母婴品类 1.5 倍积分（每单最多 300 分）',
        kind: 'MULTIPLIER',
        multiplier: new Prisma.Decimal(1.5),
        categories: ['母婴'],
        combine: 'HIGHEST_WINS',
        capPerSale: 300,
      },
    ],
  });
  const rules = await db.pointsRule.findMany();
  const sales = await db.sale.findMany({
    where: { memberId: { not: null } },
    include: { lines: { include: { product: { select: { category: true } } } }, store: { select: { timezone: true } } },
    orderBy: { occurredAt: 'asc' },
  });
  const entries: Prisma.PointsLedgerEntryCreateManyInput[] = [];
  const accounts = new Map<string, { balance: number; lifetimeEarned: number }>();
  const now = Date.now();
  const expiry = service.options.expiryMonths;
  for (const sale of sales) {
    const result = service.demoEarn(
      { occurredAt: sale.occurredAt, timezone: sale.store.timezone, total: sale.total },
      sale.lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, category: l.product.category, paid: l.total })),
      rules,
    );
    if (result.points <= 0) continue;
    const at = sale.occurredAt.getTime();
    const expiresAt = expiry === null ? null : addMonths(sale.occurredAt, expiry);
    const refunded = sale.status === 'REFUNDED';
    const account = accounts.get(sale.customerId!) ?? { balance: 0, lifetimeEarned: 0 };
    account.lifetimeEarned += result.points;
    account.balance += refunded ? 0 : result.points;
    accounts.set(sale.customerId!, account);
    const earnId = uuidv7(at);
    entries.push({
      id: earnId,
      customerId: sale.customerId!,
      kind: 'EARN',
      points: result.points,
      remaining: refunded ? 0 : result.points,
      availableAt: sale.occurredAt,
      releasedAt: sale.occurredAt,
      expiresAt,
      saleId: sale.id,
      explanation: { lines: result.lines } as unknown as Prisma.InputJsonValue,
      dedupeKey: `earn:${sale.id}`,
      createdAt: sale.occurredAt,
    });
    if (refunded) {
      entries.push({
        id: uuidv7(at + 3600_000),
        customerId: sale.customerId!,
        kind: 'REVERSE',
        points: -result.points,
        remaining: 0,
        availableAt: new Date(at + 3600_000),
        releasedAt: new Date(at + 3600_000),
        saleId: sale.id,
        reason: '退货扣回积分',
        explanation: {
          lines: result.lines.map((l) => ({
            lineNo: l.lineNo,
            quantity: sale.lines.find((x) => x.lineNo === l.lineNo)!.quantity,
            points: l.points,
          })),
        },
        createdAt: new Date(at + 3600_000),
      });
    }
    if (expiresAt && expiresAt.getTime() < now && !refunded) {
      // Older than the expiry: the job would have written it off.
      account.balance -= result.points;
      entries.at(-1)!.remaining = 0;
      entries.push({
        id: uuidv7(expiresAt.getTime()),
        customerId: sale.customerId!,
        kind: 'EXPIRE',
        points: -result.points,
        remaining: 0,
        availableAt: expiresAt,
        releasedAt: expiresAt,
        reason: '积分过期',
        dedupeKey: `expire:${earnId}`,
        createdAt: expiresAt,
      });
    }
  }
  await db.$transaction(
    async (tx) => {
      await bulkInsert(tx, 'PointsLedgerEntry', entries);
      await bulkInsert(
        tx,
        'PointsAccount',
        [...accounts].map(([customerId, a]) => ({
          customerId,
          balance: a.balance,
          lifetimeEarned: a.lifetimeEarned,
          updatedAt: new Date(),
        })),
      );
    },
    { timeout: 60_000 },
  );
}
