import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module). Node loads our dependencies' `graphql` as
    // CJS, Vite would give our own files the ESM copy: two realms. Use the one Node uses.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    // Crash, signal and outage tests: `npm run test:faults` (vitest.faults.config.ts).
    exclude: ['tests/faults/**', 'node_modules/**'],
    // Says which suites need a PostgreSQL or Redis server this run lacks, and how to run them.
    globalSetup: ['tests/helpers/announce-skips.ts', 'tests/helpers/postgres-templates.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The tests run with AsyncLocalStorage as production does (src/cli/start.mjs, API_NODE_FLAGS).
    poolOptions: {
      forks: {
        execArgv: ['--experimental-async-context-frame'].filter((f) => process.allowedNodeEnvironmentFlags.has(f)),
      },
    },
    // Each file gets its own database; two at a time suits a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
