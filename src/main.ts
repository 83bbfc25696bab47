// `npm start`: one API process, or with WEB_CONCURRENCY > 1 a primary that prepares the database
// and a cluster of API processes sharing the port. src/startup.ts has the steps.
import cluster from 'node:cluster';
import { reportReady, runPrimary } from './cluster.ts';
import { loadConfig } from './config.ts';
import { resolveJwtSecret } from './db/setup.ts';
import { installKeyring, keyring } from './crypto/keyring.ts';
import { rotateInBackground } from './customers/rotate.ts';
import { resolveDataKeys } from './crypto/keys.ts';
import { createLogger } from './logger.ts';
import { startTracing } from './ops/tracing.ts';
import { guardProcess } from './ops/process-guard.ts';
import type { App } from './server.ts';
import { loadInstalledPlugins } from './plugin-host/config.ts';
import type { Database } from './db/client.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { serveEmbeddedBackups } from './db/backup.ts';
import { join } from 'node:path';
import { hasDemoAccounts, open, prepareDatabase, printDemoAccounts, serve } from './startup.ts';

const started = performance.now();
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
// The app this process serves, once it does (a cluster's primary serves none itself).
let serving: App | null = null;
let primaryRunning = false;
guardProcess(logger, () =>
  primaryRunning ? null : serving ? serving.cannotServe() : 'start-up had not finished when it failed',
);
const tracing = await startTracing(logger);
const plugins = await loadInstalledPlugins(config.STORE_CONFIG);

const drainMs = config.SHUTDOWN_DRAIN_SECONDS * 1000;
// The database this process opened, so a start that fails half-way closes it (and its folder lock).
let opened: Database | null = null;

try {
  await start();
} catch (error) {
  // A start that cannot finish (the data folder is in use, the port is taken, the database does
  // not answer) exits non-zero with the reason, rather than living on holding the database.
  const reason =
    error instanceof DataDirLockedError
      ? error.message
      : (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `Port ${config.PORT} on ${config.HOST} is already in use: stop what listens there or set PORT`
        : (error as Error).message;
  logger.fatal({ err: error }, `store-crm cannot start: ${reason}`);
  process.stderr.write(`\nstore-crm cannot start: ${reason}\n`);
  await (opened as Database | null)?.close().catch(() => {});
  process.exit(1);
}

async function start() {
  if (cluster.isWorker) await startWorker();
  else if (config.WEB_CONCURRENCY > 1) await startPrimary();
  else await startSingle();
}

async function startWorker() {
  // The primary migrated and seeded; a worker only serves, with the data key the primary resolved.
  installKeyring(resolveDataKeys(config, logger).keyring);
  const database = await open(config, logger);
  opened = database;
  const { app, port } = await serve(config, logger, database, plugins, config.JWT_SECRET!);
  serving = app;
  logger.info({ port, worker: cluster.worker?.id }, 'API process ready');
  reportReady(port);
  onShutdown(async () => {
    await app.close({ drainMs });
    await database.close();
    await tracing?.shutdown();
  });
}

async function startPrimary() {
  const keys = resolveDataKeys(config, logger);
  installKeyring(keys.keyring);
  const database = await open(config, logger);
  opened = database;
  await prepareDatabase(config, logger, database, plugins);
  const demo = await hasDemoAccounts(config, database);
  await database.close();
  opened = null;
  primaryRunning = true;
  runPrimary({
    workers: config.WEB_CONCURRENCY,
    drainMs,
    logger,
    // Every process signs and checks staff tokens with the same secret, and encrypts with the same key.
    env: { JWT_SECRET: resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR), DATA_ENCRYPTION_KEY: keys.currentText },
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
}

async function startSingle() {
  installKeyring(resolveDataKeys(config, logger).keyring);
  const database = await open(config, logger);
  opened = database;
  await prepareDatabase(config, logger, database, plugins);
  const { app, port } = await serve(
    config,
    logger,
    database,
    plugins,
    resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR),
  );
  serving = app;
  // `npm run backup` beside a running server asks it for the copy (src/db/backup.ts).
  // With a previous key configured, the embedded server re-encrypts under the current one itself
  // (no other process may open its folder to run `npm run keys:rotate`).
  const rotation =
    database.kind === 'pglite' && keyring().keys.size > 1
      ? rotateInBackground(database.prisma, keyring(), logger)
      : null;
  const stopBackups = await serveEmbeddedBackups(database, join(config.DATA_DIR, 'pglite'), (err) =>
    logger.error({ err }, 'embedded backup failed'),
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
    await rotation?.stop();
    await stopBackups();
    await app.close({ drainMs });
    await database.close();
    await tracing?.shutdown(); // the last spans leave before the process does
  });
}

/**
 * SIGTERM (process managers, deploys) and SIGINT (Ctrl-C): finish what is in flight, then exit,
 * within SHUTDOWN_DRAIN_SECONDS (and a few seconds to close the database).
 */
function onShutdown(close: () => Promise<void>) {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, async () => {
      if (closing) return;
      closing = true;
      logger.info({ signal, drainSeconds: config.SHUTDOWN_DRAIN_SECONDS }, 'shutting down');
      setTimeout(() => {
        logger.error('shutdown did not finish in time; exiting');
        process.exit(1);
      }, drainMs + 5_000).unref();
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
