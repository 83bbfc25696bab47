import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { migrateDatabase } from './db/setup.ts';
import { keyring } from './crypto/keyring.ts';
import { verifyDataKeys } from './crypto/keys.ts';
import { DEMO_ACCOUNTS, DEMO_POS_KEY, DEMO_STOREFRONT_KEY, seedDemoData } from './demo/seed.ts';
import { EventBus } from './events/bus.ts';
import type { Logger } from './logger.ts';
import { PluginHost, type StorePlugin } from './plugin-host/host.ts';
import { tracingConfigured } from './ops/tracing.ts';
import { createApp, type App } from './server.ts';
import { LOOPBACK_NETWORKS } from './webhooks/addresses.ts';
import type { WebhookSettings } from './webhooks/delivery.ts';

/** What `npm start` does, in the order it does it; src/main.ts composes these for one process or a cluster. */

export function open(config: Config, logger: Logger): Promise<Database> {
  return openDatabase({
    url: config.DATABASE_URL,
    replicaUrl: config.DATABASE_REPLICA_URL,
    dataDir: join(config.DATA_DIR, 'pglite'),
    poolSize: config.DB_POOL_SIZE,
    countStatements: config.DB_STATEMENT_METRICS === 'on',
    statementTimeoutMs: Math.round(config.DB_STATEMENT_TIMEOUT_SECONDS * 1000),
    onConnectionError: (err) => logger.warn({ err }, 'idle database connection lost'),
    replicaMaxLagSeconds: config.REPLICA_MAX_LAG_SECONDS,
    onReplicaStatus: (status, { error, lagSeconds }) => {
      if (status === 'up') logger.info({ lagSeconds }, 'read replica back: reports and exports read it again');
      else
        logger.warn(
          { err: error, lagSeconds, replica: status },
          status === 'down'
            ? 'read replica unreachable: reports and exports read the primary until it is back'
            : 'read replica lagging: reports and exports read the primary until it catches up',
        );
    },
  });
}

/**
 * Migrations, then demo data when the database is empty (DEMO_DATA=auto). Runs once per start,
 * before any process serves: in a cluster, the primary does it and the workers only serve.
 */
export async function prepareDatabase(
  config: Config,
  logger: Logger,
  database: Database,
  plugins: StorePlugin[],
): Promise<{ seeded: boolean }> {
  const applied = await migrateDatabase(
    database,
    plugins.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
  );
  if (applied.length) logger.info({ applied }, 'migrations applied');
  // Refuses a wrong data key, or a missing one that data still needs, before anything is served.
  await verifyDataKeys(database.prisma, keyring());

  if (config.DEMO_DATA === 'auto' && (await database.prisma.store.count()) === 0) {
    const counts = await seedDemoData(database.prisma);
    logger.info(counts, 'demo data created');
    // Plugins' demo data needs their setup (services they provide each other), not a server.
    const host = new PluginHost(plugins);
    const events = new EventBus();
    await host.start({ db: database.prisma, events, logger });
    await host.seedDemo();
    await events.close();
    logger.info({ plugins: plugins.map((p) => p.name) }, 'plugin demo data created');
    return { seeded: true };
  }
  if ((await database.prisma.staff.count()) === 0) {
    logger.warn('no staff account exists yet: create the first store and owner with `npm run bootstrap` (see README)');
  }
  return { seeded: false };
}

/** One API process: GraphQL over HTTP and WebSockets, the operations endpoints, and the job queue. */
export async function serve(
  config: Config,
  logger: Logger,
  database: Database,
  plugins: StorePlugin[],
  jwtSecret: string,
): Promise<{ app: App; port: number }> {
  const app = await createApp({
    database,
    logger,
    plugins,
    jwtSecret,
    redisUrl: config.REDIS_URL,
    redisChannelPrefix: config.REDIS_CHANNEL_PREFIX,
    jobTimezone: config.JOB_TIMEZONE,
    tracing: tracingConfigured(),
    importMaxBytes: Math.round(config.IMPORT_MAX_MB * 1024 * 1024),
    graphqlMaxBytes: config.GRAPHQL_MAX_KB * 1024,
    ...securityOptions(config),
    discountLimits: config.SALE_DISCOUNT_LIMITS,
    webhooks: webhookSettings(config),
  });
  const port = await app.listen(config.PORT, config.HOST);
  await app.startJobs({ pollSeconds: config.JOB_POLL_SECONDS });
  return { app, port };
}

/** Limits and hardening from the configuration; production's defaults are the closed ones (docs/security.md). */
export function securityOptions(config: Config) {
  const production = config.NODE_ENV === 'production';
  const origins = config.CORS_ORIGINS?.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return {
    queryLimits: {
      maxDepth: config.QUERY_MAX_DEPTH,
      maxAliases: config.QUERY_MAX_ALIASES,
      maxFields: config.QUERY_MAX_FIELDS,
      maxCost: config.QUERY_MAX_COST,
      maxTokens: config.QUERY_MAX_TOKENS,
    },
    rateLimits: {
      requestsPerMinute: config.RATE_LIMIT_PER_MINUTE,
      signInFailuresPerLogin: config.SIGN_IN_FAILURES_PER_LOGIN,
      signInFailuresPerAddress: config.SIGN_IN_FAILURES_PER_ADDRESS,
      signInLockSeconds: config.SIGN_IN_LOCK_SECONDS,
    },
    trustProxy: config.TRUST_PROXY === 'on',
    corsOrigins: origins?.includes('*') ? ('*' as const) : (origins ?? (production ? [] : ('*' as const))),
    graphiql: (config.GRAPHIQL ?? (production ? 'off' : 'on')) === 'on',
    introspection: (config.INTROSPECTION ?? (production ? 'off' : 'on')) === 'on',
    storefrontPersistedOnly: config.STOREFRONT_PERSISTED_ONLY === 'on',
    // In production /metrics is never public: with no token set, no token opens it.
    metricsToken: config.METRICS_TOKEN ?? (production ? randomBytes(32).toString('hex') : null),
  };
}

/** Webhook retries and address policy from the configuration (docs/webhooks.md). */
export function webhookSettings(config: Config): WebhookSettings {
  const networks = config.WEBHOOK_ALLOWED_NETWORKS?.split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return {
    retryForMs: config.WEBHOOK_RETRY_SECONDS * 1000,
    backoffMs: config.WEBHOOK_BACKOFF_SECONDS * 1000,
    backoffMaxMs: config.WEBHOOK_BACKOFF_MAX_SECONDS * 1000,
    disableAfterFailures: config.WEBHOOK_DISABLE_AFTER_FAILURES,
    timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
    sweepMs: config.WEBHOOK_SWEEP_SECONDS * 1000,
    logRetentionMs: config.WEBHOOK_LOG_DAYS * 86_400_000,
    pollSeconds: config.WEBHOOK_POLL_SECONDS,
    // A demo receiver on the developer's own machine works out of the box; production reaches only the internet.
    allowedNetworks: networks ?? (config.NODE_ENV === 'production' ? [] : LOOPBACK_NETWORKS),
    allowHttp: config.WEBHOOK_ALLOW_HTTP === 'on',
  };
}

/** True when the demo sign-ins exist (and DEMO_DATA=auto), so they are worth printing. */
export async function hasDemoAccounts(config: Config, database: Database): Promise<boolean> {
  return (
    config.DEMO_DATA === 'auto' &&
    (await database.prisma.staff.count({ where: { login: DEMO_ACCOUNTS[0]!.login } })) > 0
  );
}

/** The demo sign-ins, on stderr for the person who just typed `npm start`. */
export function printDemoAccounts(port: number) {
  const lines = DEMO_ACCOUNTS.map((a) => `  ${a.role.padEnd(16)} ${a.login.padEnd(24)} ${a.password}   ${a.note}`);
  process.stderr.write(
    [
      '',
      `GraphiQL: http://localhost:${port}/graphql`,
      'Demo accounts (mutation signIn(login, password) → token; send "Authorization: Bearer <token>"):',
      ...lines,
      `  POS API key (cashier, 北京三里屯店): send "Authorization: Bearer ${DEMO_POS_KEY}"`,
      `  Storefront integration key (manager, 北京三里屯店; a merchant backend's): ${DEMO_STOREFRONT_KEY}`,
      '',
    ].join('\n'),
  );
}
