import type { Tx } from '../db/tx.ts';
import type { StaffRoleKind } from '../generated/prisma/enums.ts';
import { hashPassword } from '../auth/passwords.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors/index.ts';
import { normalizeLogin } from './login.ts';

export interface StaffInput {
  name: string;
  login: string;
  password: string;
  phone?: string | null;
  email?: string | null;
  roles: { storeId: string; role: StaffRoleKind }[];
}

export async function createStaff(tx: Tx, input: StaffInput) {
  const name = input.name.trim();
  if (!name) throw new InvalidInputError('INVALID_INPUT', { detail: 'name' }, ['input', 'name']);
  if (input.password.length < 8) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'password: at least 8 characters' }, ['input', 'password']);
  }
  const login = normalizeLogin(input.login);
  if (!login) throw new InvalidInputError('INVALID_INPUT', { detail: 'login' }, ['input', 'login']);
  if (await tx.staff.findUnique({ where: { login }, select: { id: true } })) {
    throw new ConflictError('DUPLICATE_CODE', { entity: 'Staff', code: login }, ['input', 'login']);
  }
  const storeIds = [...new Set(input.roles.map((r) => r.storeId))];
  const found = await tx.store.count({ where: { id: { in: storeIds } } });
  if (found !== storeIds.length) throw new NotFoundError('Store', storeIds.join(','), ['input', 'roles']);
  return tx.staff.create({
    data: {
      name,
      login,
      phone: input.phone ?? null,
      email: input.email ?? null,
      passwordHash: await hashPassword(input.password),
      roles: { create: input.roles.map((r) => ({ storeId: r.storeId, role: r.role })) },
    },
  });
}

/**
 * Activates or deactivates a staff member. An inactive member cannot sign in, and the tokens
 * they hold stop working at once: the caller emits `staff.changed`, which drops the member
 * from the reference cache of every process (src/auth/service.ts reads `active` from it).
 */
export async function setStaffActive(tx: Tx, staffId: string, active: boolean) {
  const updated = await tx.staff.updateMany({ where: { id: staffId }, data: { active } });
  if (!updated.count) throw new NotFoundError('Staff', staffId, ['staffId']);
  return tx.staff.findUniqueOrThrow({ where: { id: staffId }, include: { roles: true } });
}
