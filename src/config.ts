import { z } from 'zod';

/** Everything the API reads from the environment, checked once at start. README lists them. */
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: z.string().url().optional(),
  REDIS_CHANNEL_PREFIX: z.string().default('storecrm:'),
  JWT_SECRET: z.string().min(32).optional(),
  /** auto: demo data when the database has no store (default, except with NODE_ENV=production). */
  DEMO_DATA: z.enum(['auto', 'off']).optional(),
  DB_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  NODE_ENV: z.string().default('development'),
  /** Largest CSV file POST /imports/customers.csv accepts, in MB. */
  IMPORT_MAX_MB: z.coerce.number().positive().default(50),
  /** The file listing the installed plugins (default plugins/config.ts). */
  STORE_CONFIG: z.string().optional(),
});

export type Config = Omit<z.infer<typeof schema>, 'DEMO_DATA'> & { DEMO_DATA: 'auto' | 'off' };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  const config = parsed.data;
  // A production database must never be filled with demo customers by accident.
  return { ...config, DEMO_DATA: config.DEMO_DATA ?? (config.NODE_ENV === 'production' ? 'off' : 'auto') };
}
