import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The database work of one request, so that it can be stopped when the client goes away.
 * `withRequestScope` runs an operation's execution inside a scope that carries the request's
 * AbortSignal; the PostgreSQL pool (src/db/client.ts) looks the scope up for every statement:
 * once the signal has fired no new statement is sent, and statements running at that moment are
 * cancelled on the server (`pg_cancel_backend`), which aborts their transaction.
 */
interface Scope {
  signal: AbortSignal;
  /** Backend process ids of the connections running a statement for this request now. */
  running: Set<number>;
  listening: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

export function withRequestScope<T>(signal: AbortSignal | undefined, run: () => T): T {
  if (!signal) return run();
  return scopes.run({ signal, running: new Set(), listening: false }, run);
}

/** True inside an operation's execution that carries an AbortSignal. */
export function hasRequestScope(): boolean {
  return scopes.getStore() !== undefined;
}

/** Raised instead of sending a statement for a request whose client has gone. */
export class RequestAbortedError extends Error {
  override name = 'RequestAbortedError';
  constructor() {
    super('the client went away; the request was stopped');
  }
}

/**
 * Called by the pool around each statement of a connection (`pid`): throws when the current
 * request was aborted, else tracks the statement until `done`; `cancel(pid)` is called for each
 * statement still running when the request is aborted (`stillRunning` tells, just before the
 * cancel is sent, that the statement has not finished meanwhile).
 */
export function trackStatement(
  pid: number | undefined,
  cancel: (pid: number, stillRunning: () => boolean) => void,
): (() => void) | null {
  const scope = scopes.getStore();
  if (!scope) return null;
  if (scope.signal.aborted) throw new RequestAbortedError();
  if (!pid) return null;
  if (!scope.listening) {
    scope.listening = true;
    scope.signal.addEventListener(
      'abort',
      () => {
        for (const running of scope.running) cancel(running, () => scope.running.has(running));
      },
      { once: true },
    );
  }
  scope.running.add(pid);
  return () => scope.running.delete(pid);
}
