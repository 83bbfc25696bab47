import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { Prisma } from '../generated/prisma/client.ts';

// Money is exact: carried as Prisma.Decimal inside, a string with two decimals on the wire
// ("128.00"). Input may be a string or a number, never with more than two decimal places.
const MONEY_PATTERN = /^-?\d{1,12}(\.\d{1,2})?$/;

export function parseMoney(value: unknown): Prisma.Decimal {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (text === null || !MONEY_PATTERN.test(text)) {
    throw new GraphQLError(
      `Money must be a decimal with at most two places, e.g. "12.50"; got ${JSON.stringify(value)}`,
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  }
  return new Prisma.Decimal(text);
}

export function serializeMoney(value: unknown): string {
  if (Prisma.Decimal.isDecimal(value)) return (value as Prisma.Decimal).toFixed(2);
  if (typeof value === 'string' || typeof value === 'number') return new Prisma.Decimal(value).toFixed(2);
  throw new TypeError(`Cannot serialise ${String(value)} as Money`);
}

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date with no time zone ("2026-11-22"), held as midnight UTC as Prisma does for @db.Date. */
export function parseDate(value: unknown): Date {
  if (typeof value === 'string' && DATE_PATTERN.test(value)) {
    const date = new Date(`${value}T00:00:00.000Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)) return date;
  }
  throw new GraphQLError(`Date must be written YYYY-MM-DD; got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

export function serializeDate(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'string' && DATE_PATTERN.test(value)) return value;
  throw new TypeError(`Cannot serialise ${String(value)} as Date`);
}

export function parseDateTime(value: unknown): Date {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError(
    'DateTime must be an ISO-8601 timestamp with a time zone, e.g. "2026-11-22T10:30:00+08:00"; got ' +
      `${JSON.stringify(value)}`,
    {
      extensions: { code: 'BAD_USER_INPUT' },
    },
  );
}

export function literalValue(ast: ValueNode): unknown {
  if (ast.kind === Kind.STRING) return ast.value;
  if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return Number(ast.value);
  return undefined;
}
