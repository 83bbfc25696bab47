import type { StaffRoleKind } from '../generated/prisma/enums.ts';
import { AccessError } from '../errors/index.ts';
import { CORE_PERMISSION_TABLE, type Permission, type PermissionTable } from './permissions.ts';

/**
 * Who is calling: a signed-in staff member, a POS/integration API key, a customer with a
 * storefront token (src/storefront/: their own account and nothing else), or nobody.
 */
export class Principal {
  constructor(
    readonly kind: 'staff' | 'apiKey' | 'customer' | 'anonymous',
    readonly id: string | null,
    readonly name: string,
    /** storeId → role in that store */
    readonly roles: ReadonlyMap<string, StaffRoleKind>,
    /** Every store of the chain: a chain-level permission must be held in each of them. */
    readonly chainStoreIds: readonly string[] = [],
    /** An API key's own limit on price reductions (ApiKey.maxDiscountPercent); null: its role's. */
    readonly maxDiscountPercent: number | null = null,
    /** What each role may do in this deployment: core's permissions and the installed plugins'. */
    readonly permissions: PermissionTable = CORE_PERMISSION_TABLE,
  ) {}

  static anonymous() {
    return new Principal('anonymous', null, 'anonymous', new Map());
  }

  /** A staff member or an API key: the back office's callers. A customer is not one of them. */
  get signedIn() {
    return this.kind === 'staff' || this.kind === 'apiKey';
  }

  /** Anyone who presented a valid credential: refusals say FORBIDDEN to them, UNAUTHENTICATED to others. */
  get identified() {
    return this.kind !== 'anonymous';
  }

  /** The customer a storefront token stands for (null for every other caller). */
  get customerId() {
    return this.kind === 'customer' ? this.id : null;
  }

  /** The staff id to record on what this caller writes (null for API keys). */
  get staffId() {
    return this.kind === 'staff' ? this.id : null;
  }

  /**
   * With a store: the caller's role there grants it. Without: any of the caller's roles does,
   * except for a chain-level permission (scope `chain`), which the caller's role in every
   * store of the chain must grant: a manager, or the owner of one franchise store, holds none.
   */
  can(permission: Permission, storeId?: string | null): boolean {
    if (storeId) {
      const role = this.roles.get(storeId);
      return role ? this.permissions.grants(role, permission) : false;
    }
    if (this.permissions.isChain(permission)) {
      return (
        this.chainStoreIds.length > 0 &&
        this.chainStoreIds.every((s) => {
          const role = this.roles.get(s);
          return role !== undefined && this.permissions.grants(role, permission);
        })
      );
    }
    for (const role of this.roles.values()) if (this.permissions.grants(role, permission)) return true;
    return false;
  }

  /** Stores in which the caller holds `permission`: used to filter lists instead of failing them. */
  storesWith(permission: Permission): string[] {
    return [...this.roles].filter(([, role]) => this.permissions.grants(role, permission)).map(([id]) => id);
  }

  /** The largest value of a per-role limit over the roles that grant `permission` (in `storeId` when given). */
  limit(permission: Permission, limits: Record<StaffRoleKind, number>, storeId?: string | null): number {
    let best = 0;
    for (const [store, role] of this.roles) {
      if (storeId && store !== storeId) continue;
      if (this.permissions.grants(role, permission)) best = Math.max(best, limits[role]);
    }
    return best;
  }

  require(permission: Permission, storeId?: string | null): void {
    if (!this.identified) throw new AccessError('UNAUTHENTICATED');
    if (!this.can(permission, storeId)) throw new AccessError('FORBIDDEN');
  }
}
