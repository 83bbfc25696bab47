import type { Unit } from '../events/transaction.ts';
import type { Store } from '../generated/prisma/client.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors/index.ts';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from './time.ts';

export interface StoreInput {
  code: string;
  name: string;
  address?: string | null;
  timezone?: string | null;
  allowNegativeStock?: boolean | null;
}

/** Creates a store; the staff member who creates it becomes its owner. */
export async function createStore(
  { tx, emit }: Pick<Unit, 'tx' | 'emit'>,
  input: StoreInput,
  ownerStaffId: string | null,
) {
  const code = input.code.trim().toUpperCase();
  if (!/^[A-Z0-9_-]{2,20}$/.test(code)) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'code: 2–20 letters, digits, - or _' }, ['input', 'code']);
  }
  if (!input.name.trim()) throw new InvalidInputError('INVALID_INPUT', { detail: 'name' }, ['input', 'name']);
  const timezone = input.timezone ?? DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(timezone)) {
    throw new InvalidInputError('INVALID_INPUT', { detail: `timezone ${timezone}` }, ['input', 'timezone']);
  }
  if (await tx.store.findUnique({ where: { code }, select: { id: true } })) {
    throw new ConflictError('DUPLICATE_CODE', { entity: 'Store', code }, ['input', 'code']);
  }
  const store = await tx.store.create({
    data: {
      code,
      name: input.name.trim(),
      address: input.address ?? null,
      timezone,
      allowNegativeStock: input.allowNegativeStock ?? false,
      staffRoles: ownerStaffId ? { create: { staffId: ownerStaffId, role: 'OWNER' } } : undefined,
    },
  });
  emit('store.changed', { storeId: store.id });
  return store;
}

export interface StoreChanges {
  name?: string | null;
  address?: string | null;
  allowNegativeStock?: boolean | null;
}

/**
 * Changes what may change of a store: its name, address and whether its sales may take stock below
 * zero. Its code (what tills and imports name it by) and its time zone (its past sales' business
 * days were counted in it) stay as created. Returns the store before and after.
 */
export async function updateStore({ tx, emit }: Pick<Unit, 'tx' | 'emit'>, storeId: string, changes: StoreChanges) {
  const before = await tx.store.findUnique({ where: { id: storeId } });
  if (!before) throw new NotFoundError('Store', storeId, ['id']);
  const name = changes.name?.trim();
  if (changes.name != null && (!name || name.length > 100))
    throw new InvalidInputError('INVALID_INPUT', { detail: 'name: 1–100 characters' }, ['input', 'name']);
  if (changes.address != null && changes.address.length > 300)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'address: at most 300 characters' }, ['input', 'address']);
  const after = await tx.store.update({
    where: { id: storeId },
    data: {
      ...(name ? { name } : {}),
      ...(changes.address !== undefined ? { address: changes.address?.trim() || null } : {}),
      ...(changes.allowNegativeStock != null ? { allowNegativeStock: changes.allowNegativeStock } : {}),
    },
  });
  emit('store.changed', { storeId });
  return { before, after };
}

/** The store, from the reference cache when this process has read it before. */
export async function requireStore(
  { tx, cache }: Pick<Unit, 'tx' | 'cache'>,
  storeId: string,
  field: (string | number)[],
) {
  const store = await cache
    .region<Store>('stores', ['store.changed'])
    .get(storeId, () => tx.store.findUnique({ where: { id: storeId } }));
  if (!store) throw new NotFoundError('Store', storeId, field);
  return store;
}
