import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DEFAULT_TIME_ZONE } from './stores/time.ts';

/** Everything the API reads from the environment, checked once at start. README lists them. */
/** One `ROLE=percent` pair of SALE_DISCOUNT_LIMITS. */
const ROLE_PERCENT = String.raw`(OWNER|MANAGER|CASHIER|SALES_ASSOCIATE)\s*=\s*(100|\d{1,2})`;

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  /** A read replica of DATABASE_URL for analytics queries (reports, exports, dashboards). */
  DATABASE_REPLICA_URL: z.string().url().optional(),
  /** A replica further behind than this (seconds) is not read: reports read the primary until it catches up. */
  REPLICA_MAX_LAG_SECONDS: z.coerce.number().min(0).max(86_400).default(30),
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: z.string().url().optional(),
  REDIS_CHANNEL_PREFIX: z.string().default('storecrm:'),
  JWT_SECRET: z.string().min(32).optional(),
  /** auto: demo data when the database has no store (default, except with NODE_ENV=production). */
  DEMO_DATA: z.enum(['auto', 'off']).optional(),
  DB_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  /** API processes sharing the port: a number, or "auto" for one per CPU core. */
  WEB_CONCURRENCY: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
    .default(1)
    .transform((n) => (n === 'auto' ? availableParallelism() : n)),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** on: count the SQL statements sent to the database in /metrics (benchmarks, N+1 hunting). */
  DB_STATEMENT_METRICS: z.enum(['on', 'off']).default('off'),
  NODE_ENV: z.string().default('development'),
  /** Largest CSV file POST /imports/customers.csv accepts, in MB. */
  IMPORT_MAX_MB: z.coerce.number().positive().default(50),
  GRAPHQL_MAX_KB: z.coerce.number().int().positive().max(102_400).default(1024),
  /** The file listing the installed plugins (default plugins/config.ts). */
  STORE_CONFIG: z.string().optional(),
  /** Time zone the scheduled jobs' cron expressions are read in. */
  JOB_TIMEZONE: z.string().default(DEFAULT_TIME_ZONE),
  /**
   * On SIGTERM/SIGINT, how long (seconds) requests in flight and running jobs may take to finish
   * before the process cuts them and exits.
   */
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  /**
   * The largest price reduction each role may give on a sale line, in % of its catalogue amount:
   * "CASHIER=10,MANAGER=50" (roles not named keep their default, src/auth/permissions.ts).
   */
  SALE_DISCOUNT_LIMITS: z
    .string()
    .regex(
      new RegExp(`^\\s*${ROLE_PERCENT}\\s*(,\\s*${ROLE_PERCENT}\\s*)*$`),
      'ROLE=percent pairs (0–100), comma-separated, e.g. CASHIER=10,MANAGER=50',
    )
    .optional()
    .transform((v) =>
      v
        ? (Object.fromEntries(
            v.split(',').map((pair) => {
              const [role, percent] = pair.split('=').map((x) => x.trim());
              return [role, Number(percent)];
            }),
          ) as Partial<Record<'OWNER' | 'MANAGER' | 'CASHIER' | 'SALES_ASSOCIATE', number>>)
        : undefined,
    ),
  /** How often (seconds) the job queue looks for due occurrences and work; pg-boss's defaults when unset. */
  JOB_POLL_SECONDS: z.coerce.number().int().min(1).max(30).optional(),
  // Limits on every operation (src/schema/query-limits.ts, docs/security.md).
  QUERY_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(12),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
  QUERY_MAX_FIELDS: z.coerce.number().int().min(1).max(100_000).default(500),
  QUERY_MAX_COST: z.coerce.number().int().min(1).default(10_000),
  QUERY_MAX_TOKENS: z.coerce.number().int().min(100).default(10_000),
  /** PostgreSQL: longest a statement may run before the server cancels it; 0: no limit. */
  DB_STATEMENT_TIMEOUT_SECONDS: z.coerce.number().min(0).max(86_400).default(30),
  /** Operations per minute per caller (staff member, API key, or address when signed out); 0: no limit. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  /** Failed sign-ins in a row for one login before it is locked (the lock then doubles with each failure). */
  SIGN_IN_FAILURES_PER_LOGIN: z.coerce.number().int().min(1).default(5),
  /** Failed sign-ins from one address within a day before it is locked. */
  SIGN_IN_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
  /** The first lock after too many failed sign-ins, in seconds (doubling, at most an hour). */
  SIGN_IN_LOCK_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** on: the client's address is the last X-Forwarded-For hop (run behind one reverse proxy). */
  TRUST_PROXY: z.enum(['on', 'off']).default('off'),
  /** Origins allowed to call from a browser, comma-separated, or *; default * except in production (none). */
  CORS_ORIGINS: z.string().optional(),
  /** GraphiQL at GET /graphql; default on, off in production. */
  GRAPHIQL: z.enum(['on', 'off']).optional(),
  /** Schema introspection (__schema, __type); default on, off in production. */
  INTROSPECTION: z.enum(['on', 'off']).optional(),
  /** on: customer (storefront) tokens may send only registered operations, by id (docs/storefront.md). */
  STOREFRONT_PERSISTED_ONLY: z.enum(['on', 'off']).default('off'),
  /**
   * When set, GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"; in production /metrics is refused without it.
   */
  METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * `<key id>:<base64 of 32 bytes>`: encrypts customers' phone, e-mail and birthday (src/crypto/keys.ts).
   * Required in production with PostgreSQL; otherwise generated into DATA_DIR on first start.
   */
  DATA_ENCRYPTION_KEY: z.string().optional(),
  /** Earlier keys, comma-separated, same form: still read until `npm run keys:rotate` has moved their data. */
  DATA_ENCRYPTION_PREVIOUS_KEYS: z.string().optional(),
  // Webhooks (src/webhooks/, docs/webhooks.md).
  /** A failed delivery is retried for at least this long (seconds, default 24 h) before it is given up. */
  WEBHOOK_RETRY_SECONDS: z.coerce
    .number()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  /** The first retry's delay in seconds; each next one doubles (half of it random), up to the maximum. */
  WEBHOOK_BACKOFF_SECONDS: z.coerce.number().min(0.1).max(86_400).default(30),
  WEBHOOK_BACKOFF_MAX_SECONDS: z.coerce.number().min(0.1).max(86_400).default(3600),
  /** Deliveries given up in a row after which an endpoint is disabled. */
  WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).max(10_000).default(5),
  /** How long one attempt may take, connection to answer (seconds). */
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(10),
  /** How often each process queues again deliveries whose queued attempt was lost (seconds). */
  WEBHOOK_SWEEP_SECONDS: z.coerce.number().min(0.5).max(3600).default(60),
  /** Days the delivery log keeps settled events, with their deliveries and attempts. */
  WEBHOOK_LOG_DAYS: z.coerce.number().min(1).max(3650).default(30),
  /** How often idle delivery workers look for due attempts (seconds, at least 0.5); the job queue's when unset. */
  WEBHOOK_POLL_SECONDS: z.coerce.number().min(0.5).max(60).optional(),
  /**
   * Non-public networks webhooks may reach, comma-separated CIDR ("10.1.0.0/16,127.0.0.1/32"); default
   * loopback outside production, none in production. Public addresses are always allowed.
   */
  WEBHOOK_ALLOWED_NETWORKS: z.string().optional(),
  /** on: http:// endpoints anywhere allowed (default: https only, http only to loopback). */
  WEBHOOK_ALLOW_HTTP: z.enum(['on', 'off']).default('off'),
});

export type Config = Omit<z.output<typeof schema>, 'DEMO_DATA'> & { DEMO_DATA: 'auto' | 'off' };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  const config = parsed.data;
  if (config.DATABASE_REPLICA_URL && !config.DATABASE_URL) {
    throw new Error('Invalid configuration:\n  DATABASE_REPLICA_URL: a replica needs its primary in DATABASE_URL');
  }
  if (config.WEB_CONCURRENCY > 1 && (!config.DATABASE_URL || !config.REDIS_URL)) {
    // The embedded database lives in one process; subscribers on one process hear sales recorded on another only
    // through Redis.
    throw new Error(
      `Invalid configuration:\n  WEB_CONCURRENCY: ${config.WEB_CONCURRENCY} processes need DATABASE_URL (a ` +
        'PostgreSQL server) and REDIS_URL (events shared between processes)',
    );
  }
  // A production database must never be filled with demo customers by accident.
  return { ...config, DEMO_DATA: config.DEMO_DATA ?? (config.NODE_ENV === 'production' ? 'off' : 'auto') };
}
