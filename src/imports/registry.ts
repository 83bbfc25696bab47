import { customersImport } from '../customers/import.ts';
import { productsImport } from '../products/import.ts';
import { salesHistoryImport } from '../sales/import.ts';
import { staffImport } from '../staff/import.ts';
import { openingStockImport } from '../stock/import.ts';
import type { AnyImportKind } from './kind.ts';

/** Core's import kinds; plugins add theirs with `importKinds` (points balances, member tiers). */
export const CORE_IMPORT_KINDS: AnyImportKind[] = [
  staffImport,
  productsImport,
  customersImport,
  openingStockImport,
  salesHistoryImport,
];

/** Every kind of this deployment in the order a migration imports them (docs/migration.md). */
export function importKindsOf(pluginKinds: AnyImportKind[]): AnyImportKind[] {
  const names = new Set(CORE_IMPORT_KINDS.map((k) => k.name));
  for (const kind of pluginKinds) {
    if (names.has(kind.name)) throw new Error(`A plugin's import kind "${kind.name}" has the name of one of core's.`);
    names.add(kind.name);
  }
  return [...CORE_IMPORT_KINDS, ...pluginKinds].sort((a, b) => a.order - b.order);
}
