import { CHROMIUM_PATH } from './chromium.ts';

/**
 * Vitest global setup: suites that need a real PostgreSQL or Redis server, or Chromium, are
 * skipped without one (`describe.skipIf(!postgresUrl)`); vitest alone would only print "skipped".
 * This says once, at the start of the run, what will not run and the command that runs it.
 */
export default function announceSkips() {
  const postgres = process.env.TEST_POSTGRES_URL || process.env.DATABASE_URL;
  const redis = process.env.REDIS_URL;
  const missing = [
    postgres
      ? null
      : 'PostgreSQL (TEST_POSTGRES_URL or DATABASE_URL): concurrency, read replica, scheduled jobs across processes',
    redis ? null : 'Redis (REDIS_URL): several API processes, WEB_CONCURRENCY cluster, the systemd unit run',
  ].filter(Boolean);
  if (!CHROMIUM_PATH) {
    console.warn(
      [
        'The browser tests (tests/browser.test.ts: storefront, live dashboard, GraphiQL) will be skipped:',
        `  no Chromium at ${process.env.CHROMIUM_PATH || '/usr/bin/chromium'}. Install it: apt-get install -y chromium`,
      ].join('\n'),
    );
  }
  if (!missing.length) return;
  console.warn(
    [
      'Some suites will be skipped, for want of a server:',
      ...missing.map((m) => `  - ${m}`),
      'Run everything with the local servers, e.g.:',
      '  TEST_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm test',
    ].join('\n'),
  );
}
