import { randomBytes } from 'node:crypto';

/**
 * A UUID version 7 for the given instant (RFC 9562): time-ordered, so rows written in bulk
 * for past dates (imports, demo data) sort by time just like those Prisma creates now.
 */
export function uuidv7(ms: number = Date.now()): string {
  const bytes = randomBytes(16);
  const ts = BigInt(Math.max(0, Math.floor(ms)));
  for (let i = 0; i < 6; i++) bytes[i] = Number((ts >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every id is a UUID; anything else given as one is the caller's mistake. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
