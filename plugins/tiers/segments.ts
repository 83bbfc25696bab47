import type { SegmentConditionKind } from '../../src/segments/conditions.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';

/** Core's segment condition `tierCodes`: members currently in one of these tiers (by code). */
export const tierSegmentCondition: SegmentConditionKind = {
  field: 'tierCodes',
  validate: async (db, codes) => {
    const found = await db.tier.findMany({ where: { code: { in: codes } }, select: { code: true } });
    const missing = codes.filter((c) => !found.some((f) => f.code === c));
    return missing.length ? { detail: 'SEGMENT_DETAIL_UNKNOWN_TIER', params: { value: missing.join(', ') } } : null;
  },
  sql: (codes) => Prisma.sql`EXISTS (SELECT 1 FROM "MemberTier" mt JOIN "Tier" t ON t.id = mt."tierId"
    WHERE mt."customerId" = c.id AND t.code = ANY (${codes}::text[]))`,
};
