import type { Db } from '../../src/db/tx.ts';
import { isUuid } from '../../src/db/ids.ts';
import { InvalidInputError } from '../../src/errors/index.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { RfmSegment } from '../../src/generated/prisma/enums.ts';
import { SEGMENTS } from './messages.ts';

export interface SegmentFilter {
  segment: RfmSegment;
  /** Only customers whose home store this is; null: the whole chain. */
  homeStoreId: string | null;
}

/** The newest finished run, or null before the first one. */
export function lastRun(db: Db) {
  return db.rfmRun.findFirst({ orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }] });
}

/** Customers, spend, purchases and 客单价 per segment (all eight, empty ones as zeros) with shares of the whole. */
export async function segmentSummary(db: Db, homeStoreId: string | null) {
  const groups = await db.rfmScore.groupBy({
    by: ['segment'],
    where: homeStoreId ? { homeStoreId } : {},
    _count: { _all: true },
    _sum: { monetary: true, frequency: true },
    _avg: { recencyDays: true },
  });
  const zero = new Prisma.Decimal(0);
  const bySegment = new Map(groups.map((g) => [g.segment, g]));
  const customers = groups.reduce((n, g) => n + g._count._all, 0);
  const spend = groups.reduce((sum, g) => sum.add(g._sum.monetary ?? zero), zero);
  const share = (part: Prisma.Decimal, whole: Prisma.Decimal) =>
    whole.isZero() ? 0 : part.div(whole).toDecimalPlaces(4).toNumber();
  return {
    customers,
    spend,
    segments: SEGMENTS.map((segment) => {
      const g = bySegment.get(segment);
      const count = g?._count._all ?? 0;
      const segmentSpend = g?._sum.monetary ?? zero;
      const purchases = g?._sum.frequency ?? 0;
      return {
        segment,
        customers: count,
        customerShare: share(new Prisma.Decimal(count), new Prisma.Decimal(customers)),
        spend: segmentSpend,
        spendShare: share(segmentSpend, spend),
        purchases,
        averageOrderValue: purchases ? segmentSpend.div(purchases).toDecimalPlaces(2) : zero,
        averageRecencyDays: g?._avg.recencyDays == null ? null : Math.round(g._avg.recencyDays * 10) / 10,
      };
    }),
  };
}

/** A position in a segment list: net spend, then customer id, both descending. */
export interface SegmentCursor {
  monetary: string;
  customerId: string;
}

export function encodeCursor({ monetary, customerId }: SegmentCursor): string {
  return Buffer.from(`RFM:${monetary}:${customerId}`).toString('base64');
}

export function decodeCursor(cursor: string, field: string): SegmentCursor {
  const [tag, monetary, customerId, ...rest] = Buffer.from(cursor, 'base64').toString('utf8').split(':');
  if (
    tag !== 'RFM' ||
    rest.length ||
    !monetary ||
    !/^-?\d{1,12}(\.\d{1,2})?$/.test(monetary) ||
    !customerId ||
    !isUuid(customerId)
  ) {
    throw new InvalidInputError('RFM_INVALID_CURSOR', {}, [field]);
  }
  return { monetary, customerId };
}

const segmentWhere = ({ segment, homeStoreId }: SegmentFilter) =>
  homeStoreId
    ? Prisma.sql`s."homeStoreId" = ${homeStoreId}::uuid AND s."segment" = ${segment}::"RfmSegment"`
    : Prisma.sql`s."segment" = ${segment}::"RfmSegment"`;

/**
 * One page of a segment, keyset-paginated on (net spend, customer id) descending: each page is
 * an index range scan from the cursor, however deep the page.
 */
export async function segmentPage(
  db: Db,
  filter: SegmentFilter,
  page: { after: SegmentCursor | null; before: SegmentCursor | null; limit: number; inverted: boolean },
): Promise<SegmentCursor[]> {
  const conditions = [segmentWhere(filter)];
  if (page.after)
    conditions.push(
      Prisma.sql`(s."monetary", s."customerId") < (${page.after.monetary}::numeric, ${page.after.customerId}::uuid)`,
    );
  if (page.before)
    conditions.push(
      Prisma.sql`(s."monetary", s."customerId") > (${page.before.monetary}::numeric, ${page.before.customerId}::uuid)`,
    );
  // Ordered by the table's columns (not the text the ids are read as), so the index gives the order.
  const order = page.inverted
    ? Prisma.sql`s."monetary" ASC, s."customerId" ASC`
    : Prisma.sql`s."monetary" DESC, s."customerId" DESC`;
  const rows = await db.$queryRaw<{ customerId: string; monetary: Prisma.Decimal }[]>`
    SELECT s."customerId"::text AS "customerId", s."monetary" FROM "RfmScore" s
    WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY ${order}
    LIMIT ${page.limit}`;
  return rows.map((r) => ({ customerId: r.customerId, monetary: new Prisma.Decimal(r.monetary).toFixed(2) }));
}

export function countInSegment(db: Db, { segment, homeStoreId }: SegmentFilter) {
  return db.rfmScore.count({ where: { segment, ...(homeStoreId ? { homeStoreId } : {}) } });
}
