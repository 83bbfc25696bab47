import type { Logger } from '../logger.ts';

/**
 * Process-level failures: a promise rejected with nobody to catch it, an exception thrown from a
 * callback. Each is logged with what is known about it and the process keeps serving: one bad
 * request or one flaky connection must not take every till on this process offline. It exits
 * (non-zero, saying why on stderr and in the log, so a supervisor restarts it) only when it can no
 * longer serve: `cannotServe` names a reason (the HTTP server stopped listening, start-up has not
 * finished), or exceptions keep coming (`burst` within a minute), which means it is broken.
 */
export function guardProcess(logger: Logger, cannotServe: () => string | null, burst = 20): void {
  process.on('unhandledRejection', (reason) => {
    logger.error(
      { err: reason, kind: 'unhandledRejection' },
      'unhandled promise rejection (the process keeps serving)',
    );
  });
  const recent: number[] = [];
  process.on('uncaughtException', (err, origin) => {
    const now = Date.now();
    recent.push(now);
    while (recent.length && recent[0]! < now - 60_000) recent.shift();
    const reason =
      cannotServe() ??
      (recent.length >= burst ? `${recent.length} uncaught exceptions within a minute: the process is broken` : null);
    if (!reason) {
      logger.error({ err, origin, kind: 'uncaughtException' }, 'uncaught exception (the process keeps serving)');
      return;
    }
    logger.fatal({ err, origin, kind: 'uncaughtException', reason }, `store-crm cannot serve any more: ${reason}`);
    process.stderr.write(`\nstore-crm cannot serve any more: ${reason}\n${err?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
