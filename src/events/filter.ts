import { filter } from '@graphql-yoga/subscription';

/**
 * Passes on only the events a subscriber asked for. Ending the subscription ends the source at
 * once (an async generator would stay subscribed until the next event arrived, which for a quiet
 * store or a rare event means a closed dashboard keeps its listener indefinitely).
 */
export function filterAsync<T>(source: AsyncIterable<T>, keep: (item: T) => boolean): AsyncIterable<T> {
  return filter(keep)(source as AsyncIterable<T> & AsyncIterator<T>) as AsyncIterable<T>;
}

const shared = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * One read per event and selection, shared by every subscriber the event reaches in this process.
 * The bus hands each subscriber the same event object, so a thousand dashboards showing a sale
 * with the same fields cost one query, not a thousand; the memo goes when the event does.
 */
export function loadOncePerEvent<T>(event: object, selection: unknown, load: () => Promise<T>): Promise<T> {
  let byShape = shared.get(event);
  if (!byShape) {
    byShape = new Map();
    shared.set(event, byShape);
  }
  const key = JSON.stringify(selection);
  let pending = byShape.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = load();
    byShape.set(key, pending);
  }
  return pending;
}
