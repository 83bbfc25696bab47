import type { StaffRoleKind } from '../generated/prisma/enums.ts';

/**
 * What a role may do. Customers, members and products are shared by the whole chain, so their
 * permissions hold wherever the caller has a role; sales, stock and reports belong to a store
 * and are checked against the caller's role in that store. Settings of the whole chain (tiers,
 * points rules, campaigns) and the audit log need a chain-level permission (CHAIN_PERMISSIONS):
 * held in every store of the chain, so an owner of one franchise store does not set them for all.
 */
export const PERMISSIONS = [
  'customer:read', // look up one customer at the counter (personal fields masked without customer:pii)
  'customer:write',
  'customer:search', // browse and filter the customer base
  'customer:merge',
  'customer:pii', // read phone, e-mail and birthday unmasked
  'customer:reveal', // reveal one customer's contact details, an audited action (revealCustomerContact)
  'customer:privacy', // PIPL requests: export everything held about a customer, erase a customer
  'customer:export',
  'customer:import', // bring customers in from a CSV file (a merchant's old system or Excel)
  'data:import', // the rest of a move from an old system: products, opening stock, sales history, staff, points, tiers
  'interaction:write',
  'product:read',
  'product:write',
  'store:write',
  'staff:read', // the staff directory of the caller's stores: who works where, in which role
  'staff:manage',
  'sale:read',
  'sale:record',
  'sale:override-price', // a unit price other than the catalogue's, or a line discount, within the role's limit
  'sale:refund',
  'stock:read',
  'stock:write',
  'report:read',
  'marketing:manage', // a customer's loyalty: points adjustments within the role's maximum (plugins)
  'loyalty:configure', // chain-level: tiers, points rules, campaigns (plugins)
  'audit:read', // chain-level: the audit log
  'system:operate', // run scheduled jobs by hand
  'webhook:manage', // chain-level: webhook endpoints, their secrets and delivery log (src/webhooks/)
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** Permissions over the whole chain: granted only to a caller who holds them in every store. */
export const CHAIN_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'loyalty:configure',
  'audit:read',
  'customer:privacy',
  'webhook:manage',
]);

const cashier: Permission[] = [
  'customer:read',
  'customer:write',
  'interaction:write',
  'product:read',
  'sale:read',
  'sale:record',
  'sale:override-price',
  'stock:read',
];
const associate: Permission[] = [
  ...cashier.filter((p) => p !== 'sale:record' && p !== 'sale:override-price'),
  'customer:search',
  'customer:reveal', // follow-ups: calls a customer, one reveal at a time
];
const manager: Permission[] = [
  ...new Set<Permission>([
    ...cashier,
    ...associate,
    'customer:merge',
    'customer:reveal',
    'customer:export',
    'customer:import',
    'sale:refund',
    'stock:write',
    'report:read',
    'marketing:manage',
    'staff:read',
  ]),
];

export const ROLE_PERMISSIONS: Record<StaffRoleKind, ReadonlySet<Permission>> = {
  OWNER: new Set(PERMISSIONS),
  MANAGER: new Set(manager),
  CASHIER: new Set(cashier),
  SALES_ASSOCIATE: new Set(associate),
};

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
