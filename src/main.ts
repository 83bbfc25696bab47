// `npm start`: one API process, or with WEB_CONCURRENCY > 1 a primary that prepares the database
// and a cluster of API processes sharing the port. src/startup.ts has the steps.
import cluster from 'node:cluster';
import { reportReady, runPrimary } from './cluster.ts';
import { loadConfig } from './config.ts';
import { resolveJwtSecret } from './db/setup.ts';
import { createLogger } from './logger.ts';
import { startTracing } from './ops/tracing.ts';
import { loadInstalledPlugins } from './plugin-host/config.ts';
import { hasDemoAccounts, open, prepareDatabase, printDemoAccounts, serve } from './startup.ts';

const started = performance.now();
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const tracing = await startTracing(logger);
const plugins = await loadInstalledPlugins(config.STORE_CONFIG);

if (cluster.isWorker) {
  // The primary migrated and seeded; a worker only serves.
  const database = await open(config, logger);
  const { app, port } = await serve(config, logger, database, plugins, config.JWT_SECRET!);
  logger.info({ port, worker: cluster.worker?.id }, 'API process ready');
  reportReady(port);
  onShutdown(async () => {
    await app.close();
    await database.close();
    await tracing?.shutdown();
  });
} else if (config.WEB_CONCURRENCY > 1) {
  const database = await open(config, logger);
  await prepareDatabase(config, logger, database, plugins);
  const demo = await hasDemoAccounts(config, database);
  await database.close();
  runPrimary({
    workers: config.WEB_CONCURRENCY,
    logger,
    // Every process signs and checks staff tokens with the same secret.
    env: { JWT_SECRET: resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR) },
    onReady: (port) => {
      logger.info(
        {
          port,
          processes: config.WEB_CONCURRENCY,
          database: 'postgres',
          redis: true,
          startupMs: Math.round(performance.now() - started),
        },
        'store-crm API ready',
      );
      if (demo) printDemoAccounts(port);
    },
  });
} else {
  const database = await open(config, logger);
  await prepareDatabase(config, logger, database, plugins);
  const { app, port } = await serve(
    config,
    logger,
    database,
    plugins,
    resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR),
  );
  logger.info(
    {
      port,
      processes: 1,
      database: database.kind,
      redis: Boolean(config.REDIS_URL),
      startupMs: Math.round(performance.now() - started),
    },
    'store-crm API ready',
  );
  if (await hasDemoAccounts(config, database)) printDemoAccounts(port);
  onShutdown(async () => {
    await app.close();
    await database.close();
    await tracing?.shutdown(); // the last spans leave before the process does
  });
}

/** SIGTERM (process managers, deploys) and SIGINT (Ctrl-C): finish what is in flight, then exit. */
function onShutdown(close: () => Promise<void>) {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, async () => {
      if (closing) return;
      closing = true;
      logger.info({ signal }, 'shutting down');
      try {
        await close();
        process.exit(0);
      } catch (err) {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      }
    });
  }
}
