import type { StaffRoleKind } from '../generated/prisma/enums.ts';

/**
 * What a role may do. Customers, members and products are shared by the whole chain, so their
 * permissions hold wherever the caller has a role; sales, stock and reports belong to a store
 * and are checked against the caller's role in that store.
 */
export const PERMISSIONS = [
  'customer:read', // look up one customer at the counter
  'customer:write',
  'customer:search', // browse and filter the customer base
  'customer:merge',
  'customer:export',
  'customer:import', // bring customers in from a CSV file (a merchant's old system or Excel)
  'data:import', // the rest of a move from an old system: products, opening stock, sales history, staff, points, tiers
  'interaction:write',
  'product:read',
  'product:write',
  'store:write',
  'staff:manage',
  'sale:read',
  'sale:record',
  'sale:refund',
  'stock:read',
  'stock:write',
  'report:read',
  'marketing:manage', // loyalty rules, points adjustments, tiers, campaigns (plugins)
  'system:operate', // run scheduled jobs by hand
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const cashier: Permission[] = [
  'customer:read',
  'customer:write',
  'interaction:write',
  'product:read',
  'sale:read',
  'sale:record',
  'stock:read',
];
const associate: Permission[] = [...cashier.filter((p) => p !== 'sale:record'), 'customer:search'];
const manager: Permission[] = [
  ...new Set<Permission>([
    ...cashier,
    ...associate,
    'customer:merge',
    'customer:export',
    'customer:import',
    'sale:refund',
    'stock:write',
    'report:read',
    'marketing:manage',
  ]),
];

export const ROLE_PERMISSIONS: Record<StaffRoleKind, ReadonlySet<Permission>> = {
  OWNER: new Set(PERMISSIONS),
  MANAGER: new Set(manager),
  CASHIER: new Set(cashier),
  SALES_ASSOCIATE: new Set(associate),
};
