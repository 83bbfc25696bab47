import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  const module = (await import(compiledConfig(path) ?? pathToFileURL(resolve(path)).href)) as { default?: unknown };
  const plugins = module.default;
  if (!Array.isArray(plugins) || plugins.some((p) => typeof p?.name !== 'string')) {
    throw new PluginConfigError(`${path} must export default an array of plugins (each made with definePlugin).`);
  }
  return plugins as StorePlugin[];
}

/**
 * The production build (src/cli/build.mjs) compiles the configuration with core into dist/, and
 * names it here (its path from the checkout's root), so that the plugins and core share one copy
 * of every module. Under tsx (development, tests) it is undefined and the file is loaded by path.
 */
declare const COMPILED_STORE_CONFIG: string | undefined;

function compiledConfig(path: string): string | null {
  if (typeof COMPILED_STORE_CONFIG === 'undefined') return null;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  if (resolve(path) !== resolve(root, COMPILED_STORE_CONFIG)) {
    throw new PluginConfigError(
      `STORE_CONFIG names ${path}, but this build compiled ${COMPILED_STORE_CONFIG}: ` +
        'start with `npm start` (which rebuilds for the configuration it is given) or run `npm run build`.',
    );
  }
  return new URL('../../dist/plugins.js', import.meta.url).href;
}
