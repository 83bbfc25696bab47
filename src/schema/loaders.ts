import DataLoader from 'dataloader';
import type { Context } from './context.ts';

const perRequest = new WeakMap<Context, Map<string, DataLoader<string, unknown>>>();

/**
 * A DataLoader that lives for one request: fields that cannot use a Prisma relation (a plugin's
 * table keyed by a core id) batch their look-ups into one query per request instead of one per row.
 */
export function requestLoader<V>(
  ctx: Context,
  name: string,
  batch: (keys: readonly string[]) => Promise<Map<string, V>>,
): DataLoader<string, V | null> {
  let loaders = perRequest.get(ctx);
  if (!loaders) {
    loaders = new Map();
    perRequest.set(ctx, loaders);
  }
  let loader = loaders.get(name) as DataLoader<string, V | null> | undefined;
  if (!loader) {
    loader = new DataLoader<string, V | null>(async (keys) => {
      const found = await batch(keys);
      return keys.map((k) => found.get(k) ?? null);
    });
    loaders.set(name, loader as DataLoader<string, unknown>);
  }
  return loader;
}
