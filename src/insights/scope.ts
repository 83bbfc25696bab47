import type { Principal } from '../auth/principal.ts';
import { AccessError, InvalidInputError } from '../errors/index.ts';
import type { Db } from '../db/tx.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { addMonths, DAY_MS } from '../stores/time.ts';

/** What every insight is computed over: stores the caller may read reports of, and business dates. */
export interface InsightScope {
  storeIds: string[];
  /** First and last business date, inclusive (midnight UTC, Prisma's @db.Date form). */
  from: Date;
  to: Date;
  /** Days from `from` to `to`, both included. */
  days: number;
}

/** Longest period of any insight: a year, 29 February included. */
export const MAX_PERIOD_DAYS = 366;
export const MAX_STORES = 50;

/** YYYY-MM-DD of a business date, the form the SQL casts with ::date. */
export const isoDate = (d: Date) => d.toISOString().slice(0, 10);

export function periodOf(from: Date, to: Date, maxDays = MAX_PERIOD_DAYS, field = 'to') {
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS) + 1;
  if (days < 1 || days > maxDays) throw new InvalidInputError('INSIGHT_PERIOD', { max: maxDays }, [field]);
  return days;
}

/** An integer argument within its bounds, or the caller's mistake naming it. */
export function bounded(argument: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max)
    throw new InvalidInputError('INSIGHT_RANGE', { argument, min, max }, [argument]);
  return value;
}

/**
 * The stores asked for, each of which the caller must hold `report:read` in (a store the
 * caller may not read is refused, never silently dropped, so a figure never looks complete
 * when it is not); without a list, every store the caller may read.
 */
export function resolveScope(
  auth: Principal,
  storeIds: string[] | null | undefined,
  from: Date,
  to: Date,
): InsightScope {
  if (!auth.signedIn) throw new AccessError('UNAUTHENTICATED');
  const days = periodOf(from, to);
  let ids: string[];
  if (storeIds?.length) {
    ids = [...new Set(storeIds)];
    if (ids.length > MAX_STORES)
      throw new InvalidInputError('INSIGHT_TOO_MANY_STORES', { max: MAX_STORES }, ['storeIds']);
    for (const id of ids) if (!auth.can('report:read', id)) throw new AccessError('FORBIDDEN');
  } else {
    ids = auth.storesWith('report:read').slice(0, MAX_STORES);
    if (!ids.length) throw new AccessError('FORBIDDEN');
  }
  return { storeIds: ids.sort(), from, to, days };
}

/** The same number of days just before the period. */
export function previousPeriod(scope: InsightScope): InsightScope {
  const to = new Date(scope.from.getTime() - DAY_MS);
  const from = new Date(to.getTime() - (scope.days - 1) * DAY_MS);
  return { ...scope, from, to, days: scope.days };
}

/** The same calendar dates a year earlier (29 February becomes the 28th). */
export function samePeriodLastYear(scope: InsightScope): InsightScope {
  const from = addMonths(scope.from, -12);
  const to = addMonths(scope.to, -12);
  return { ...scope, from, to, days: Math.round((to.getTime() - from.getTime()) / DAY_MS) + 1 };
}

/**
 * One analytics statement without JIT compilation (SET LOCAL in a transaction of its own): at the
 * benchmark's size PostgreSQL compiled the expressions of the summary's long-period statements
 * for 0.2–1 s and saved less than that (docs/benchmarks.md, 2026-12-02). The transaction is not
 * what bounds the statement (Prisma's 5 s default would cut a slow one on a busy server): the
 * statement timeout is.
 */
export async function withoutJit<T>(db: Db, statement: Prisma.PrismaPromise<T>): Promise<T> {
  const [, result] = await db.$transaction([db.$executeRawUnsafe('SET LOCAL jit = off'), statement], {
    maxWait: 10_000,
    timeout: 10 * 60_000,
  });
  return result;
}
