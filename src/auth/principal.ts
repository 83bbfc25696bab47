import type { StaffRoleKind } from '../generated/prisma/enums.ts';
import { AccessError } from '../errors/index.ts';
import { ROLE_PERMISSIONS, type Permission } from './permissions.ts';

/** Who is calling: a signed-in staff member, a POS/integration API key, or nobody. */
export class Principal {
  constructor(
    readonly kind: 'staff' | 'apiKey' | 'anonymous',
    readonly id: string | null,
    readonly name: string,
    /** storeId → role in that store */
    readonly roles: ReadonlyMap<string, StaffRoleKind>,
  ) {}

  static anonymous() {
    return new Principal('anonymous', null, 'anonymous', new Map());
  }

  get signedIn() {
    return this.kind !== 'anonymous';
  }

  /** The staff id to record on what this caller writes (null for API keys). */
  get staffId() {
    return this.kind === 'staff' ? this.id : null;
  }

  /** With a store: the caller's role there grants it. Without: any of the caller's roles does. */
  can(permission: Permission, storeId?: string | null): boolean {
    if (storeId) {
      const role = this.roles.get(storeId);
      return role ? ROLE_PERMISSIONS[role].has(permission) : false;
    }
    for (const role of this.roles.values()) if (ROLE_PERMISSIONS[role].has(permission)) return true;
    return false;
  }

  /** Stores in which the caller holds `permission`: used to filter lists instead of failing them. */
  storesWith(permission: Permission): string[] {
    return [...this.roles].filter(([, role]) => ROLE_PERMISSIONS[role].has(permission)).map(([id]) => id);
  }

  require(permission: Permission, storeId?: string | null): void {
    if (!this.signedIn) throw new AccessError('UNAUTHENTICATED');
    if (!this.can(permission, storeId)) throw new AccessError('FORBIDDEN');
  }
}
