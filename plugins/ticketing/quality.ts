import type { CalendarService } from '../../src/calendar/service.ts';
import type { Db } from '../../src/db/tx.ts';
import { loadServiceHours, type ServiceHours, serviceMinutesBetween } from './hours.ts';

/** At most this many tickets are measured at once (a period of a large chain: narrow it by store). */
export const QUALITY_MAX_TICKETS = 50_000;

export interface QualityRow {
  storeId: string;
  staffId: string | null;
  tickets: number;
  responded: number;
  firstResponseMinutesAverage: number | null;
  resolved: number;
  resolutionMinutesMedian: number | null;
  resolutionMinutesP90: number | null;
  reopened: number;
  reopenRate: number | null;
  breached: number;
  breachRate: number | null;
  surveysIssued: number;
  surveysAnswered: number;
  csatAverage: number | null;
  csatResponseRate: number | null;
}

interface Measured {
  storeId: string;
  assigneeId: string | null;
  createdAt: Date;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  everResolved: boolean;
  reopenCount: number;
  hasDue: boolean;
  breached: boolean;
  issued: number;
  answered: number;
  scoreSum: number;
}

/** Linear interpolation between the closest ranks (PostgreSQL's percentile_cont). */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

const ratio = (a: number, b: number) => (b ? a / b : null);

/**
 * Service quality over the tickets opened in [from, to) in the given stores, per store and per
 * assignee (STAFF) or per store (STORE). Times are business minutes of the store's service hours:
 * first response (opened → first reply or move), resolution (opened → latest resolution). A
 * ticket is breached when it ever passed a due time (an escalation on its timeline); the reopen
 * rate is over the tickets ever resolved; the CSAT response rate over the surveys issued.
 */
export async function serviceQuality(
  db: Db,
  calendar: CalendarService,
  closedOnStatutoryHolidays: boolean,
  query: { from: Date; to: Date; storeIds: string[]; groupBy: 'STAFF' | 'STORE' },
): Promise<QualityRow[]> {
  const rows = await db.$queryRaw<Measured[]>`
    SELECT t."storeId"::text AS "storeId", t."assigneeId"::text AS "assigneeId", t."createdAt",
      t."firstResponseAt", t."resolvedAt", (t."resolvedAt" IS NOT NULL OR t."reopenCount" > 0) AS "everResolved",
      t."reopenCount", (t."dueAt" IS NOT NULL) AS "hasDue",
      (t."breachedAt" IS NOT NULL OR EXISTS (
        SELECT 1 FROM "TicketEntry" e WHERE e."ticketId" = t.id AND e.kind = 'ESCALATION')) AS breached,
      coalesce(s.issued, 0)::int AS issued, coalesce(s.answered, 0)::int AS answered,
      coalesce(s."scoreSum", 0)::int AS "scoreSum"
    FROM "Ticket" t
    LEFT JOIN LATERAL (
      SELECT count(*) AS issued, count("answeredAt") AS answered, sum(score) AS "scoreSum"
      FROM "TicketSurvey" WHERE "ticketId" = t.id) s ON true
    WHERE t."storeId" = ANY (${query.storeIds}::uuid[])
      AND t."createdAt" >= ${query.from} AND t."createdAt" < ${query.to}
    ORDER BY t."createdAt"
    LIMIT ${QUALITY_MAX_TICKETS + 1}`;
  if (rows.length > QUALITY_MAX_TICKETS) throw new RangeError('too many tickets');

  const hours = new Map<string, ServiceHours>();
  for (const storeId of new Set(rows.map((r) => r.storeId)))
    hours.set(storeId, await loadServiceHours(db, calendar, storeId, closedOnStatutoryHolidays));

  const groups = new Map<string, Measured[]>();
  for (const r of rows) {
    const key = query.groupBy === 'STAFF' ? `${r.storeId}|${r.assigneeId ?? ''}` : r.storeId;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: QualityRow[] = [];
  for (const [key, list] of groups) {
    const [storeId, staff] = key.split('|') as [string, string | undefined];
    const h = hours.get(storeId)!;
    const minutes = (a: Date, b: Date) => serviceMinutesBetween(calendar, a, b, h);
    const firsts = list.filter((r) => r.firstResponseAt).map((r) => minutes(r.createdAt, r.firstResponseAt!));
    const resolutions = list
      .filter((r) => r.resolvedAt)
      .map((r) => minutes(r.createdAt, r.resolvedAt!))
      .sort((a, b) => a - b);
    const everResolved = list.filter((r) => r.everResolved).length;
    const reopened = list.filter((r) => r.reopenCount > 0).length;
    const withDue = list.filter((r) => r.hasDue).length;
    const breached = list.filter((r) => r.breached).length;
    const issued = list.reduce((n, r) => n + r.issued, 0);
    const answered = list.reduce((n, r) => n + r.answered, 0);
    const scoreSum = list.reduce((n, r) => n + r.scoreSum, 0);
    out.push({
      storeId,
      staffId: query.groupBy === 'STAFF' ? staff || null : null,
      tickets: list.length,
      responded: firsts.length,
      firstResponseMinutesAverage: firsts.length ? firsts.reduce((a, b) => a + b, 0) / firsts.length : null,
      resolved: resolutions.length,
      resolutionMinutesMedian: percentile(resolutions, 0.5),
      resolutionMinutesP90: percentile(resolutions, 0.9),
      reopened,
      reopenRate: ratio(reopened, everResolved),
      breached,
      breachRate: ratio(breached, withDue),
      surveysIssued: issued,
      surveysAnswered: answered,
      csatAverage: ratio(scoreSum, answered),
      csatResponseRate: ratio(answered, issued),
    });
  }
  return out.sort((a, b) => a.storeId.localeCompare(b.storeId) || (a.staffId ?? '').localeCompare(b.staffId ?? ''));
}
