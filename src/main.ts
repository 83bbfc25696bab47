import { join } from 'node:path';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import { migrateDatabase, resolveJwtSecret } from './db/setup.ts';
import { DEMO_ACCOUNTS, DEMO_POS_KEY, seedDemoData } from './demo/seed.ts';
import { createLogger } from './logger.ts';
import { loadInstalledPlugins } from './plugin-host/config.ts';
import { createApp } from './server.ts';

const started = performance.now();
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);

const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: join(config.DATA_DIR, 'pglite'),
  poolSize: config.DB_POOL_SIZE,
  onConnectionError: (err) => logger.warn({ err }, 'idle database connection lost'),
});
const plugins = await loadInstalledPlugins(config.STORE_CONFIG);
const applied = await migrateDatabase(database, plugins.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])));
if (applied.length) logger.info({ applied }, 'migrations applied');

let seeded = false;
if (config.DEMO_DATA === 'auto' && (await database.prisma.store.count()) === 0) {
  const counts = await seedDemoData(database.prisma);
  seeded = true;
  logger.info(counts, 'demo data created');
}

if (!seeded && (await database.prisma.staff.count()) === 0) {
  logger.warn('no staff account exists yet: create the first store and owner with `npm run bootstrap` (see README)');
}

const app = await createApp({
  database,
  logger,
  plugins,
  jwtSecret: resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR),
  redisUrl: config.REDIS_URL,
  redisChannelPrefix: config.REDIS_CHANNEL_PREFIX,
  importMaxBytes: Math.round(config.IMPORT_MAX_MB * 1024 * 1024),
});
if (seeded) {
  await app.services.plugins.seedDemo();
  logger.info({ plugins: plugins.map((p) => p.name) }, 'plugin demo data created');
}
const port = await app.listen(config.PORT, config.HOST);
app.services.plugins.scheduleJobs();
logger.info(
  { port, database: database.kind, redis: Boolean(config.REDIS_URL), startupMs: Math.round(performance.now() - started) },
  'store-crm API ready',
);

if (config.DEMO_DATA === 'auto' && (seeded || (await database.prisma.staff.count({ where: { login: DEMO_ACCOUNTS[0]!.login } })) > 0)) {
  const lines = DEMO_ACCOUNTS.map((a) => `  ${a.role.padEnd(16)} ${a.login.padEnd(24)} ${a.password}   ${a.note}`);
  process.stderr.write(
    [
      '',
      `GraphiQL: http://localhost:${port}/graphql`,
      'Demo accounts (mutation signIn(login, password) → token; send "Authorization: Bearer <token>"):',
      ...lines,
      `  POS API key (cashier, 北京三里屯店): send "Authorization: Bearer ${DEMO_POS_KEY}"`,
      '',
    ].join('\n'),
  );
}

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await database.close();
    process.exit(0);
  });
}
