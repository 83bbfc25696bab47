import { openBirthday } from '../../src/customers/personal.ts';
import type { Db } from '../../src/db/tx.ts';
import type { CampaignAction, CampaignConditions } from './definition.ts';
import { newCouponCode } from './coupons.ts';
import type { CampaignServices } from './service.ts';

/**
 * The demo's campaigns, running from the moment the demo is created: a 满减, 饮料第二件半价, the
 * members' Wednesday 95折 and a birthday coupon issued to this month's birthday customers. Their
 * redemptions come from the sales recorded after that (the demo's history was priced without them).
 */
export async function seedCampaignsDemo(db: Db, services: CampaignServices, now = new Date()) {
  const [any] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "Campaign"`;
  if (any!.n > 0) return;
  const tierCodes = services.tiers ? (await services.tiers.allTiers(db)).map((t) => t.code) : [];
  const campaign = async (
    name: string,
    priority: number,
    conditions: CampaignConditions,
    action: CampaignAction,
    extra: { budgetAmount?: string; requiresCoupon?: boolean } = {},
  ) => {
    const [row] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO "Campaign" (name, priority, conditions, action, "budgetAmount", "requiresCoupon")
      VALUES (${name}, ${priority}, ${JSON.stringify(conditions)}::jsonb, ${JSON.stringify(action)}::jsonb,
        ${extra.budgetAmount ?? null}::numeric, ${extra.requiresCoupon ?? false})
      RETURNING id::text AS id`;
    return row!.id;
  };
  await campaign(
    '全场满200减20，满500减80',
    10,
    {},
    {
      type: 'AMOUNT_OFF',
      thresholds: [
        { spend: '200.00', off: '20.00' },
        { spend: '500.00', off: '80.00' },
      ],
    },
    { budgetAmount: '5000.00' },
  );
  await campaign(
    '饮料第二件半价',
    20,
    { categories: ['饮料'] },
    { type: 'NTH_UNIT_PERCENT_OFF', nth: 2, percentOff: '50' },
  );
  // Members are the customers with a tier; without the tiers plugin, every buyer on a Wednesday.
  await campaign(
    '会员周三95折',
    5,
    { weekdays: [3], ...(tierCodes.length ? { tierCodes } : {}) },
    { type: 'PERCENT_OFF_ORDER', percentOff: '5' },
  );
  const birthday = await campaign(
    '生日券 满100减20',
    30,
    { birthdayMonth: true },
    { type: 'AMOUNT_OFF', thresholds: [{ spend: '100.00', off: '20.00' }] },
    { requiresCoupon: true },
  );

  // One code for each customer born this month (Beijing time), valid 30 days.
  const month = Number(new Intl.DateTimeFormat('en', { month: 'numeric', timeZone: 'Asia/Shanghai' }).format(now));
  const people = await db.$queryRaw<{ id: string; birthdayEnc: string | null }[]>`
    SELECT id::text AS id, "birthdayEnc" FROM "Customer" WHERE "birthdayEnc" IS NOT NULL AND "mergedIntoId" IS NULL`;
  const born = people.filter((p) => openBirthday(p.birthdayEnc)?.getUTCMonth() === month - 1).map((p) => p.id);
  const validUntil = new Date(now.getTime() + 30 * 86_400_000);
  const [batch] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO "CouponBatch" ("campaignId", prefix, count, "maxUses", "validUntil")
    VALUES (${birthday}::uuid, 'BDAY', ${born.length}, 1, ${validUntil}) RETURNING id::text AS id`;
  if (born.length)
    await db.$executeRaw`
      INSERT INTO "Coupon" (code, "batchId", "campaignId", "customerId", "maxUses", "validUntil")
      SELECT code, ${batch!.id}::uuid, ${birthday}::uuid, customer, 1, ${validUntil}
      FROM unnest(${born.map(() => newCouponCode('BDAY'))}::text[], ${born}::uuid[]) AS k(code, customer)`;
}
