import type { SegmentConditionKind } from '../../src/segments/conditions.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { RfmSegment } from '../../src/generated/prisma/enums.ts';

/** Core's segment condition `rfmSegments`: customers whose latest score puts them in one of these layers. */
export const rfmSegmentCondition: SegmentConditionKind = {
  field: 'rfmSegments',
  validate: async (_db, layers) => {
    const unknown = layers.filter((l) => !(l in RfmSegment));
    return unknown.length
      ? {
          detail: 'SEGMENT_DETAIL_UNKNOWN_RFM_LAYER',
          params: { value: unknown.join(', '), allowed: Object.keys(RfmSegment).join(', ') },
        }
      : null;
  },
  sql: (layers) => Prisma.sql`EXISTS (SELECT 1 FROM "RfmScore" r
    WHERE r."customerId" = c.id AND r.segment::text = ANY (${layers}::text[]))`,
};
