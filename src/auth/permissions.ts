import type { StaffRoleKind } from '../generated/prisma/enums.ts';

/**
 * Where a permission holds (docs/security.md, "Roles and scopes"):
 * - `store`: store data (sales, stock, reports), checked against the caller's role in the store
 *   of the record (`storePermission`, `can(p, storeId)`);
 * - `shared`: data the chain shares (customers, members, products): any of the caller's roles;
 * - `chain`: settings of the whole chain (tiers, points rules, campaigns), the audit log: the
 *   caller's role in every store of the chain must grant it, so an owner of one franchise store
 *   does not set them for all.
 */
export type PermissionScope = 'store' | 'shared' | 'chain';

/** A permission, as core and plugins declare it (plugins: `StorePlugin.permissions`). */
export interface PermissionDeclaration {
  /** `area:action`; a plugin's begin with its name: `campaigns:manage`. */
  name: string;
  description?: string;
  scope: PermissionScope;
  /** The roles that hold it. */
  roles: readonly StaffRoleKind[];
}

const ALL: readonly StaffRoleKind[] = ['OWNER', 'MANAGER', 'CASHIER', 'SALES_ASSOCIATE'];

/** Core's permissions: the same declarations a plugin makes, one table for every check. */
export const CORE_PERMISSIONS = [
  {
    name: 'customer:read',
    scope: 'shared',
    roles: ALL,
    description: 'look up one customer at the counter (personal fields masked without customer:pii)',
  },
  { name: 'customer:write', scope: 'shared', roles: ALL },
  {
    name: 'customer:search',
    scope: 'shared',
    roles: ['OWNER', 'MANAGER', 'SALES_ASSOCIATE'],
    description: 'browse and filter the customer base',
  },
  { name: 'customer:merge', scope: 'shared', roles: ['OWNER', 'MANAGER'] },
  { name: 'customer:pii', scope: 'shared', roles: ['OWNER'], description: 'read phone, e-mail and birthday unmasked' },
  {
    name: 'customer:reveal',
    scope: 'shared',
    roles: ['OWNER', 'MANAGER', 'SALES_ASSOCIATE'],
    description: "reveal one customer's contact details, an audited action (revealCustomerContact)",
  },
  {
    name: 'customer:privacy',
    scope: 'chain',
    roles: ['OWNER'],
    description: 'PIPL requests: export everything held about a customer, erase a customer',
  },
  { name: 'customer:export', scope: 'shared', roles: ['OWNER', 'MANAGER'] },
  {
    name: 'customer:token',
    scope: 'shared',
    roles: ['OWNER', 'MANAGER'],
    description: "issue a storefront token for a customer the merchant's backend verified (API keys only)",
  },
  {
    name: 'customer:import',
    scope: 'shared',
    roles: ['OWNER', 'MANAGER'],
    description: "bring customers in from a CSV file (a merchant's old system or Excel)",
  },
  {
    name: 'data:import',
    scope: 'shared',
    roles: ['OWNER'],
    description: 'the rest of a move from an old system: products, opening stock, sales history, staff, points, tiers',
  },
  { name: 'interaction:write', scope: 'shared', roles: ALL },
  { name: 'product:read', scope: 'shared', roles: ALL },
  { name: 'product:write', scope: 'shared', roles: ['OWNER'] },
  { name: 'store:write', scope: 'store', roles: ['OWNER'] },
  {
    name: 'staff:read',
    scope: 'store',
    roles: ['OWNER', 'MANAGER'],
    description: "the staff directory of the caller's stores: who works where, in which role",
  },
  { name: 'staff:manage', scope: 'store', roles: ['OWNER'] },
  { name: 'sale:read', scope: 'store', roles: ALL },
  { name: 'sale:record', scope: 'store', roles: ['OWNER', 'MANAGER', 'CASHIER'] },
  {
    name: 'sale:override-price',
    scope: 'store',
    roles: ['OWNER', 'MANAGER', 'CASHIER'],
    description: "a unit price other than the catalogue's, or a line discount, within the role's limit",
  },
  { name: 'sale:refund', scope: 'store', roles: ['OWNER', 'MANAGER'] },
  { name: 'stock:read', scope: 'store', roles: ALL },
  { name: 'stock:write', scope: 'store', roles: ['OWNER', 'MANAGER'] },
  { name: 'report:read', scope: 'store', roles: ['OWNER', 'MANAGER'] },
  {
    name: 'marketing:manage',
    scope: 'store',
    roles: ['OWNER', 'MANAGER'],
    description: "a customer's loyalty: points adjustments within the role's maximum, a store's calendar (plugins)",
  },
  {
    name: 'loyalty:configure',
    scope: 'chain',
    roles: ['OWNER'],
    description: 'tiers, points rules, campaigns (plugins)',
  },
  { name: 'audit:read', scope: 'chain', roles: ['OWNER'], description: 'the audit log' },
  { name: 'system:operate', scope: 'shared', roles: ['OWNER'], description: 'run scheduled jobs by hand' },
  {
    name: 'segment:manage',
    scope: 'shared',
    roles: ['OWNER', 'MANAGER'],
    description: 'save and delete customer segments (reading them needs customer:search)',
  },
  {
    name: 'guide:assign',
    scope: 'store',
    roles: ['OWNER', 'MANAGER'],
    description: 'bind a customer to a shopping guide (专属导购) of the store, or unbind',
  },
  {
    name: 'performance:read',
    scope: 'store',
    roles: ['OWNER', 'MANAGER'],
    description: "the store's guides: their customers, ranking, targets, commission statements",
  },
  {
    name: 'performance:manage',
    scope: 'store',
    roles: ['OWNER', 'MANAGER'],
    description: "set sales targets of the store's staff",
  },
  { name: 'commission:configure', scope: 'chain', roles: ['OWNER'], description: 'commission rules' },
  {
    name: 'operation:register',
    scope: 'chain',
    roles: ['OWNER'],
    description: 'register the operations storefronts may send (persisted operations, src/storefront/)',
  },
  {
    name: 'webhook:manage',
    scope: 'chain',
    roles: ['OWNER'],
    description: 'webhook endpoints, their secrets and delivery log (src/webhooks/)',
  },
] as const satisfies readonly PermissionDeclaration[];

export type CorePermission = (typeof CORE_PERMISSIONS)[number]['name'];

/**
 * Plugins' permission names, for typed checks: a plugin adds its own by module augmentation
 * (`declare module '…/src/auth/permissions.ts' { interface PluginPermissions { 'campaigns:manage': true } }`),
 * as it adds its events. At run time only declared and installed permissions are ever granted.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by plugins' module augmentation
export interface PluginPermissions {}

export type Permission = CorePermission | (keyof PluginPermissions & string);

/**
 * What each role may do in one deployment: core's permissions and the installed plugins', built
 * once at start (src/plugin-host/host.ts) and consulted by every check (`Principal.can`).
 */
export class PermissionTable {
  private readonly byRole = new Map<StaffRoleKind, Set<string>>(ALL.map((r) => [r, new Set<string>()]));
  private readonly declarations = new Map<string, PermissionDeclaration & { plugin: string | null }>();

  constructor(declarations: readonly (PermissionDeclaration & { plugin?: string | null })[]) {
    for (const d of declarations) {
      this.declarations.set(d.name, { ...d, plugin: d.plugin ?? null });
      for (const role of d.roles) this.byRole.get(role)!.add(d.name);
    }
  }

  /** Whether `role` holds `permission` (false for a permission nothing installed declares). */
  grants(role: StaffRoleKind, permission: string): boolean {
    return this.byRole.get(role)?.has(permission) ?? false;
  }

  isChain(permission: string): boolean {
    return this.declarations.get(permission)?.scope === 'chain';
  }

  /** Every permission, core's first, with the plugin that declares it (null: core). */
  list(): (PermissionDeclaration & { plugin: string | null })[] {
    return [...this.declarations.values()];
  }
}

/** Core's permissions alone (a deployment without plugins, anonymous callers). */
export const CORE_PERMISSION_TABLE = new PermissionTable(CORE_PERMISSIONS);

/**
 * Default limits per role (docs/security.md): the largest price reduction on a sale line (unit
 * price below the catalogue price plus the line discount, in % of the line's catalogue amount),
 * changed with SALE_DISCOUNT_LIMITS; an API key may carry its own (ApiKey.maxDiscountPercent).
 */
export const DEFAULT_DISCOUNT_LIMITS: Record<StaffRoleKind, number> = {
  OWNER: 100,
  MANAGER: 50,
  CASHIER: 10,
  SALES_ASSOCIATE: 0,
};
