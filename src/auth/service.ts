import { createHash } from 'node:crypto';
import type { Db, Tx } from '../db/tx.ts';
import type { ReferenceCache } from '../events/reference-cache.ts';
import type { ApiKey, Staff, StaffRole } from '../generated/prisma/client.ts';
import type { StaffRoleKind } from '../generated/prisma/enums.ts';
import { InvalidInputError, NotFoundError, TooManyAttemptsError } from '../errors/index.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { followMerges } from '../customers/merges.ts';
import { normalizeLogin } from '../staff/login.ts';
import { verifyPassword } from './passwords.ts';
import type { PermissionTable } from './permissions.ts';
import { Principal } from './principal.ts';
import { API_KEY_PREFIX, hashApiKey, newApiKey, type TokenService } from './tokens.ts';

type StaffWithRoles = Staff & { roles: StaffRole[] };

/**
 * Turns an Authorization header (`Bearer <staff token>` or `Bearer sk_…`, or an `x-api-key`
 * header) into the caller. Staff and their roles, and API keys, come from the reference cache:
 * what changes them (`staff.changed`, a new store's owner role, `apiKey.revoked`) drops it in
 * every process. A staff entry also expires after a minute, for changes made outside the API.
 */
export async function resolvePrincipal(
  db: Db,
  tokens: TokenService,
  credentials: { authorization?: string | null; apiKey?: string | null },
  cache: ReferenceCache,
  permissions: PermissionTable,
): Promise<Principal> {
  const bearer = credentials.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  // The chain's stores, for chain-level permissions; cached like the stores themselves.
  const chain = async () =>
    (await cache
      .region<string[]>('chainStores', ['store.changed'])
      .get('all', async () => (await db.store.findMany({ select: { id: true } })).map((s) => s.id)))!;
  const apiKey = credentials.apiKey?.trim() || (bearer?.startsWith(API_KEY_PREFIX) ? bearer : null);
  if (apiKey) {
    const keyHash = hashApiKey(apiKey);
    const key = await cache
      .region<ApiKey>('apiKeys', ['apiKey.revoked'])
      .get(keyHash, () => db.apiKey.findUnique({ where: { keyHash } }));
    if (!key || key.revokedAt) return Principal.anonymous();
    // Shows owners which keys are still in use; written at most every few minutes, never awaited.
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      key.lastUsedAt = new Date(); // the cached copy too, so the next request does not write again
      db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: key.lastUsedAt } }).catch(() => {});
    }
    return new Principal(
      'apiKey',
      key.id,
      key.name,
      new Map(key.storeIds.map((s) => [s, key.role] as const)),
      await chain(),
      key.maxDiscountPercent,
      permissions,
    );
  }
  if (bearer) {
    const staffId = await tokens.verify(bearer);
    if (!staffId) return customerPrincipal(db, tokens, bearer, permissions);
    const staff = await cache
      .region<StaffWithRoles>('staff', ['staff.changed', 'store.changed', 'data.imported'], { ttlMs: 60_000 })
      .get(staffId, () => db.staff.findUnique({ where: { id: staffId }, include: { roles: true } }));
    if (!staff?.active) return Principal.anonymous();
    return new Principal(
      'staff',
      staff.id,
      staff.name,
      new Map(staff.roles.map((r) => [r.storeId, r.role] as const)),
      await chain(),
      null,
      permissions,
    );
  }
  return Principal.anonymous();
}

/**
 * A storefront token's customer (src/storefront/), following merges to the survivor; an erased
 * customer's token, or any unknown token, is nobody. Read on every request (one indexed read): a
 * token lives minutes, and an erasure must end it at once.
 */
async function customerPrincipal(db: Db, tokens: TokenService, bearer: string, permissions: PermissionTable) {
  const customerId = await tokens.verifyCustomer(bearer);
  if (!customerId) return Principal.anonymous();
  const customer = await followMerges(customerId, (id) =>
    db.customer.findUnique({ where: { id }, select: { id: true, name: true, mergedIntoId: true, erasedAt: true } }),
  );
  if (!customer || customer.erasedAt) return Principal.anonymous();
  return new Principal('customer', customer.id, customer.name, new Map(), [], null, permissions);
}

/**
 * Checks a password and issues a token. Throttled by login and by client address (RateLimits):
 * a locked login or address is refused before any password is checked, and each failure (an
 * unknown login counts like a wrong password) may lock it for longer. An unknown login is
 * checked against a dummy hash with the same parameters, so it takes as long as a known one.
 */
export async function signIn(
  db: Db,
  tokens: TokenService,
  input: { login: string; password: string; clientAddress: string },
  limits: RateLimits | null,
) {
  const login = normalizeLogin(input.login);
  // Keys in Redis carry no login or address in clear.
  const loginKey = createHash('sha256').update(`login:${login}`).digest('base64url');
  const addressKey = createHash('sha256').update(`addr:${input.clientAddress}`).digest('base64url');
  const locked = await limits?.signInLocked(loginKey, addressKey);
  if (locked) throw new TooManyAttemptsError(locked.retryAfterSeconds, ['login']);
  const staff = await db.staff.findUnique({ where: { login } });
  // Verify against a dummy hash when the login is unknown, so timing does not reveal which logins exist.
  const ok = await verifyPassword(input.password, staff?.passwordHash ?? DUMMY_HASH);
  if (!staff || !ok || !staff.active) {
    await limits?.signInFailed(loginKey, addressKey);
    throw new InvalidInputError('INVALID_CREDENTIALS', {}, ['password']);
  }
  await limits?.signInSucceeded(loginKey);
  const { token, expiresAt } = await tokens.issue(staff.id);
  return { token, expiresAt, staff };
}

const LAST_USED_RESOLUTION_MS = 5 * 60_000;

/** Same parameters (N, r, p, key length) as hashPassword's, so checking it costs the same. */
export const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export async function createApiKey(
  tx: Tx,
  input: {
    name: string;
    role: StaffRoleKind;
    storeIds: string[];
    createdById: string | null;
    maxDiscountPercent?: number | null;
  },
) {
  const max = input.maxDiscountPercent;
  if (max !== undefined && max !== null && (!Number.isInteger(max) || max < 0 || max > 100))
    throw new InvalidInputError('INVALID_INPUT', { detail: 'maxDiscountPercent: 0–100' }, ['maxDiscountPercent']);
  if (!input.name.trim()) throw new InvalidInputError('INVALID_INPUT', { detail: 'name' }, ['input', 'name']);
  // A key for no store would still count as signed in, and no store's owner would answer for it.
  if (!input.storeIds.length) throw new InvalidInputError('INVALID_INPUT', { detail: 'storeIds' }, ['storeIds']);
  const stores = await tx.store.findMany({ where: { id: { in: input.storeIds } }, select: { id: true } });
  const missing = input.storeIds.find((id) => !stores.some((s) => s.id === id));
  if (missing) throw new NotFoundError('Store', missing, ['input', 'storeIds']);
  const { key, prefix, hash } = newApiKey();
  const apiKey = await tx.apiKey.create({
    data: {
      name: input.name.trim(),
      prefix,
      keyHash: hash,
      role: input.role,
      storeIds: input.storeIds,
      createdById: input.createdById,
      maxDiscountPercent: max ?? null,
    },
  });
  return { apiKey, key };
}
