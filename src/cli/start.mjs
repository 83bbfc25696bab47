// `npm start`: compiles dist/ if a source changed since the last build (src/cli/build.mjs), then
// becomes the API process: `node dist/main.js` with the settings production runs with, in place of
// this one (process.execve: same pid, so signals, process managers and the exit code are the
// API's, and nothing of this launcher stays in memory). Where execve is not available (Windows)
// the API runs in this process, without those settings.
//
// Arguments and node flags given to this script pass on, e.g. `node --cpu-prof src/cli/start.mjs`.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, DIST } from './build.mjs';

/**
 * What the API process runs with (docs/benchmarks.md has the measurements):
 * - glibc returns freed blocks of 128 KiB and more to the system at once. By default it keeps them
 *   in per-thread arenas; V8's optimising compiler (of Prisma's WebAssembly query compiler, among
 *   others) borrows tens of MiB on background threads at start, and a 64 MiB arena stayed resident
 *   for the life of the process.
 */
export const API_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' };
/**
 * - AsyncLocalStorage (the request scope that cancels a gone client's statements, src/db/cancel.ts)
 *   on Node's async context frames instead of async_hooks: with async_hooks every promise of the
 *   process pays a hook, and a thousand live subscriptions make tens of thousands of promises a
 *   second. Node 24 does this by default; on Node 22 it is this flag, given only where the runtime
 *   knows it. Subscription fan-out at a tenth of the benchmark's size: delivery p99 4.3 s without,
 *   0.17 s with (docs/benchmarks.md).
 */
export const API_NODE_FLAGS = ['--experimental-async-context-frame'].filter((flag) =>
  process.allowedNodeEnvironmentFlags.has(flag),
);

try {
  await build({ ifStale: true });
} catch (error) {
  // A read-only checkout (the systemd unit's ProtectSystem=strict) cannot be rebuilt in place.
  process.stderr.write(
    `store-crm cannot start: dist/ is older than the sources and could not be rebuilt (${error.message}). ` +
      'Run `npm run build` (npm install does) as the owner of the checkout.\n',
  );
  process.exit(1);
}
const main = join(DIST, 'main.js');
if (typeof process.execve === 'function' && process.platform !== 'win32') {
  const args = [...process.execArgv, ...API_NODE_FLAGS, main, ...process.argv.slice(2)];
  process.execve(process.execPath, [process.execPath, ...args], { ...API_ENV, ...process.env });
} else {
  await import(pathToFileURL(main).href);
}
