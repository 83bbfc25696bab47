import { bulkInsert } from '../../src/db/bulk.ts';
import { uuidv7 } from '../../src/db/ids.ts';
import type { Db } from '../../src/db/tx.ts';
import { DAY_MS } from '../../src/stores/time.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { TierService } from './service.ts';

/** Demo tiers, and each demo member placed in the tier their past year of purchases earns. */
export async function seedTiersDemo(db: Db, service: TierService) {
  if ((await db.tier.count()) > 0) return;
  await db.tier.createMany({
    data: [
      { code: 'REGULAR', name: '普通会员', rank: 0 },
      {
        code: 'SILVER',
        name: '银卡会员',
        rank: 1,
        minSpend: new Prisma.Decimal(800),
        minVisits: 8,
        discountPercent: new Prisma.Decimal(2),
        pointsMultiplier: new Prisma.Decimal('1.2'),
      },
      {
        code: 'GOLD',
        name: '金卡会员',
        rank: 2,
        minSpend: new Prisma.Decimal(2000),
        minVisits: 20,
        discountPercent: new Prisma.Decimal(5),
        pointsMultiplier: new Prisma.Decimal('1.5'),
        birthdayBenefit: '生日当月赠送蛋糕券一张',
      },
      {
        code: 'DIAMOND',
        name: '钻石会员',
        rank: 3,
        minSpend: new Prisma.Decimal(5000),
        discountPercent: new Prisma.Decimal(8),
        pointsMultiplier: new Prisma.Decimal(2),
        birthdayBenefit: '生日当月双倍积分并赠送礼盒',
      },
    ],
  });
  const tiers = await service.allTiers(db);
  const members = await db.member.findMany({
    where: { status: 'ACTIVE' },
    select: { customerId: true, joinedAt: true },
  });
  const now = new Date();
  const qualified = await service.qualificationsOfAll(db, now);
  const rows: Prisma.MemberTierCreateManyInput[] = [];
  const history: Prisma.TierChangeCreateManyInput[] = [];
  for (const m of members) {
    const q = qualified.get(m.customerId) ?? { spend: new Prisma.Decimal(0), visits: 0, pointsEarned: 0 };
    const tier = service.highestQualifying(tiers, q) ?? tiers[0]!;
    const reviewAt = new Date(now.getTime() + (30 + (rows.length % 300)) * DAY_MS);
    rows.push({ customerId: m.customerId, tierId: tier.id, since: m.joinedAt, reviewAt, updatedAt: now });
    history.push({
      id: uuidv7(m.joinedAt.getTime()),
      customerId: m.customerId,
      fromTierId: null,
      toTierId: tiers[0]!.id,
      reason: 'INITIAL',
      changedAt: m.joinedAt,
    });
    if (tier.rank > 0)
      history.push({
        id: uuidv7(now.getTime()),
        customerId: m.customerId,
        fromTierId: tiers[0]!.id,
        toTierId: tier.id,
        reason: 'UPGRADE',
        changedAt: now,
      });
  }
  await bulkInsert(db, 'MemberTier', rows);
  await bulkInsert(db, 'TierChange', history);
}
