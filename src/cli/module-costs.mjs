// What loading one module costs a process: `node --expose-gc src/cli/module-costs.mjs <specifier>`
// prints the resident memory (RSS) and V8 heap a fresh Node process holds before and after
// importing it (after a collection), and how long the import took (on top of Node's loaders). Used for the table in
// docs/benchmarks.md ("what each module costs"); a specifier may be a package or a file path.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const MB = 2 ** 20;
const measure = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss / MB, heap: m.heapUsed / MB };
};
const spec = process.argv[2];
// The first CommonJS and ES module a process loads bring up Node's loaders (some 10 MiB), which
// any server pays anyway: loaded before the measurement, so that it counts the module alone.
await import('dataloader');
await import('lru-cache');
if (!spec) throw new Error('usage: node --expose-gc src/cli/module-costs.mjs <module or file>');
const before = measure();
const t0 = performance.now();
const target = spec.startsWith('.') || spec.startsWith('/') ? pathToFileURL(resolve(spec)).href : spec;
const mod = await import(target);
// A few modules do their expensive part on first use (PGlite's WASM, Prisma's query compiler).
if (process.argv[3] === '--use' && typeof mod.default === 'function') await mod.default();
const ms = performance.now() - t0;
await new Promise((r) => setTimeout(r, 200));
const after = measure();
console.log(
  JSON.stringify({
    module: spec,
    rssMB: Math.round(after.rss - before.rss),
    heapMB: Math.round(after.heap - before.heap),
    importMs: Math.round(ms),
  }),
);
