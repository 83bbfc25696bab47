import type { StorePlugin } from '../src/plugin-host/host.ts';

/**
 * The plugins this deployment installs, each with its options. Order does not matter:
 * `dependsOn` decides it. Removing a plugin here removes its GraphQL surface and hooks;
 * its tables stay as they are. Another file can be used with STORE_CONFIG=path/to/config.ts.
 */
const plugins: StorePlugin[] = [];

export default plugins;
