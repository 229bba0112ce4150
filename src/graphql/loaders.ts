import type DataLoader from 'dataloader';
import type { Context } from './context.js';

/** Makes a loader; `seed` is what the caller passed with the key it first asked for (its arguments). */
export type LoaderFactory<K, V, S = undefined> = (ctx: Context, key: string, seed: S) => DataLoader<K, V>;

/**
 * Per-request DataLoader registry: one loader per relation (and per argument set for
 * connections), created on first use, so every resolver in a request shares its batches.
 */
export class LoaderRegistry {
  private readonly loaders = new Map<unknown, Map<string, DataLoader<unknown, unknown>>>();

  constructor(private readonly ctx: Context) {}

  get<K, V, S = undefined>(factory: LoaderFactory<K, V, S>, key = '', seed?: S): DataLoader<K, V> {
    let byKey = this.loaders.get(factory);
    if (!byKey) this.loaders.set(factory, (byKey = new Map()));
    let loader = byKey.get(key);
    if (!loader) byKey.set(key, (loader = factory(this.ctx, key, seed as S) as DataLoader<unknown, unknown>));
    return loader as DataLoader<K, V>;
  }
}

/** Orders batch results by the requested keys; missing keys load as null. */
export function byKeys<K, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): (R | null)[] {
  const map = new Map<K, R>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((k) => map.get(k) ?? null);
}

/** Groups batch results by the requested keys; keys without rows get an empty list. */
export function groupByKeys<K, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): R[][] {
  const map = new Map<K, R[]>();
  for (const row of rows) {
    const list = map.get(keyOf(row));
    if (list) list.push(row);
    else map.set(keyOf(row), [row]);
  }
  return keys.map((k) => map.get(k) ?? []);
}
