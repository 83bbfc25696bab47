import type { App } from '../../src/server.ts';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client against a running server, and a way to wait for the next events. */
export function wsClient(url: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({ url, webSocketImpl: WebSocket, connectionParams, lazy: false, retryAttempts: 0 });
}

export interface Subscription<T> {
  /** Resolves with the next payload, or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<{ data?: T; errors?: unknown[] }>;
  /** Resolves once the server has acknowledged the subscription (first ping round-trip). */
  close(): void;
}

export function subscribe<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Subscription<T> {
  const queue: { data?: T; errors?: unknown[] }[] = [];
  const waiters: ((v: { data?: T; errors?: unknown[] }) => void)[] = [];
  const push = (v: { data?: T; errors?: unknown[] }) => {
    const w = waiters.shift();
    if (w) w(v);
    else queue.push(v);
  };
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => push(v as { data?: T }),
      error: (e) => push({ errors: Array.isArray(e) ? e : [e] }),
      complete: () => {},
    },
  );
  return {
    next: (timeoutMs = 5000) =>
      queue.length
        ? Promise.resolve(queue.shift()!)
        : new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`no subscription event within ${timeoutMs} ms`)),
              timeoutMs,
            );
            waiters.push((v) => {
              clearTimeout(timer);
              resolve(v);
            });
          }),
    close: dispose,
  };
}

/** Subscriptions the server holds open now (its gauge): tests wait for the server, not a clock. */
export async function openSubscriptions(app: App): Promise<number> {
  return (await app.metrics.subscriptions.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** Waits (up to 10 s) until the number of open subscriptions passes `check`. */
export async function untilOpenSubscriptions(app: App, check: (open: number) => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(await openSubscriptions(app)); i++) await new Promise((r) => setTimeout(r, 25));
}
