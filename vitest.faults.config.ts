import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * `npm run test:faults`: what crashes, signals, contention and outages do to the API. These tests
 * start real processes, kill them and load them, so they run one file at a time and apart from
 * `npm test`; `.ci/run` runs them on the embedded database and on PostgreSQL.
 * (Spread rather than mergeConfig: mergeConfig concatenates arrays, which would keep the base's
 * exclusion of this very folder.)
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/faults/**/*.test.ts'],
    exclude: ['node_modules/**'],
    // Each test starts, kills and restarts real API processes: minutes on a busy 2-core machine.
    testTimeout: 600_000,
    hookTimeout: 300_000,
    maxWorkers: 1,
    minWorkers: 1,
  },
});
