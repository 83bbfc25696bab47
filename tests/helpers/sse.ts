import type { TestApp } from './app.ts';

export interface SseEvent<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface SseSubscription<T> {
  /** Resolves with the next `event: next` payload, or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseEvent<T>>;
  /** Cancels the stream, which ends the subscription on the server. */
  close(): Promise<void>;
}

/**
 * A GraphQL subscription over server-sent events through Yoga's in-process fetch (no port).
 *
 * Yoga answers with a `:` ping first and only starts the subscription when the body is pulled
 * past it, so this keeps reading from the start and resolves once that ping has arrived and
 * the pull that registers the subscription has had time to run. Events published before that
 * are not seen, exactly as for a real client.
 */
export async function sseSubscribe<T = any>(
  t: TestApp,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string | null; settleMs?: number } = {},
): Promise<SseSubscription<T>> {
  const headers: Record<string, string> = { accept: 'text/event-stream', 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await t.app.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  if (!res.headers.get('content-type')?.includes('text/event-stream')) {
    throw new Error(
      `expected an event stream, got ${res.status} ${res.headers.get('content-type')}: ${await res.text()}`,
    );
  }
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const queue: SseEvent<T>[] = [];
  const waiters: ((e: SseEvent<T> | Error) => void)[] = [];
  let ended: Error | null = null;
  let sawPing!: () => void;
  const pinged = new Promise<void>((resolve) => (sawPing = resolve));

  const deliver = (e: SseEvent<T> | Error) => {
    if (e instanceof Error) {
      ended ??= e;
      for (const w of waiters.splice(0)) w(e);
      return;
    }
    const w = waiters.shift();
    if (w) w(e);
    else queue.push(e);
  };
  const handleBlock = (block: string) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':'))
        sawPing(); // comment: Yoga's ping
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (event === 'next' && data.length) deliver(JSON.parse(data.join('\n')) as SseEvent<T>);
    if (event === 'complete') deliver(new Error('subscription completed'));
  };

  // Keep pulling: each read lets Yoga pull the next result from the subscription.
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          handleBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      deliver(new Error('event stream ended'));
    } catch (error) {
      deliver(error instanceof Error ? error : new Error(String(error)));
    }
    sawPing(); // never leave the setup waiting on a stream that ended early
  })();

  await pinged;
  await new Promise((r) => setTimeout(r, options.settleMs ?? 100));

  return {
    next: (timeoutMs = 5000) => {
      if (queue.length) return Promise.resolve(queue.shift()!);
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no server-sent event within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (e: SseEvent<T> | Error) => {
          clearTimeout(timer);
          if (e instanceof Error) reject(e);
          else resolve(e);
        };
        waiters.push(waiter);
      });
    },
    close: () => reader.cancel().catch(() => {}),
  };
}
