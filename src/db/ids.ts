import { randomFillSync } from 'node:crypto';

// Random bytes drawn a few kilobytes at a time: bulk writers (imports, demo data) make an id
// per row, and one small buffer per id is measurable garbage at 100,000 rows.
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;

/**
 * A UUID version 7 for the given instant (RFC 9562): time-ordered, so rows written in bulk
 * for past dates (imports, demo data) sort by time just like those Prisma creates now.
 */
export function uuidv7(ms: number = Date.now()): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += 16;
  const t = Math.max(0, Math.floor(ms)); // 48 bits: exact in a double
  for (let i = 0; i < 6; i++) pool[at + i] = Math.floor(t / 2 ** (8 * (5 - i))) % 256;
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x70;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  const hex = pool.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every id is a UUID; anything else given as one is the caller's mistake. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The nil UUID: an id no row has. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The database id of a decoded global id of the expected type, else the nil UUID, which matches
 * no row: an id of another type reads as "not found" wherever it is used.
 */
export function idOfType(id: { typename: string; id: string }, typename: string): string {
  return id.typename === typename && isUuid(id.id) ? id.id : NIL_UUID;
}
