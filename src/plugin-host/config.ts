import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_CONFIG } from './discover.ts';
import { PluginConfigError } from './errors.ts';
import type { StorePlugin } from '../contract.ts';

/**
 * Loads the installed plugins from the configuration file (STORE_CONFIG, default
 * plugins/config.ts). Loaded by path at start, so core code never imports a plugin.
 */
export async function loadInstalledPlugins(
  path: string = process.env.STORE_CONFIG || DEFAULT_CONFIG,
): Promise<StorePlugin[]> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  const plugins = module.default;
  if (!Array.isArray(plugins) || plugins.some((p) => typeof p?.name !== 'string')) {
    throw new PluginConfigError(`${path} must export default an array of plugins (each made with definePlugin).`);
  }
  return plugins as StorePlugin[];
}
