import type { StorePlugin } from './plugin-host/host.ts';

/**
 * The plugins this deployment installs, in any order (dependencies decide the order).
 * Core never imports from plugins/: they are listed here, the one place that wires them in.
 */
export function installedPlugins(): StorePlugin[] {
  return [];
}
