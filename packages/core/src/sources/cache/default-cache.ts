import { env } from '../../env.js';
import { isNode } from '../platform.js';
import type { ModelCache } from '../types.js';
import { CacheApiModelCache } from './cache-api-cache.js';
import { FolderModelCache } from './folder-cache.js';

/**
 * The platform's model cache: the Cache API where `globalThis.caches` exists (pages and workers on
 * secure origins), a folder in Node ({@link FolderModelCache}, `~/.cache/bertweb` or
 * `$BERTWEB_CACHE_DIR`), else `undefined` (no caching).
 *
 * @example
 * ```ts
 * const cache = defaultCache();
 * if (cache) console.log(await cache.estimate());
 * ```
 */
export function defaultCache(): ModelCache | undefined {
  if (typeof (globalThis as { caches?: unknown }).caches !== 'undefined') return new CacheApiModelCache();
  if (isNode()) return new FolderModelCache();
  return undefined;
}

/**
 * The cache a `SourceOptions.cache` value selects (`undefined`: `env.cache`): `false` -> none, a
 * {@link ModelCache} -> itself, `true` -> {@link defaultCache}.
 *
 * @example
 * ```ts
 * const cache = selectCache(options.cache);
 * ```
 */
export function selectCache(option: boolean | ModelCache | undefined): ModelCache | undefined {
  const choice = option ?? env.cache;
  if (choice === false) return undefined;
  if (choice === true) return defaultCache();
  return choice;
}

/**
 * Asks the browser to keep this origin's storage (models included) out of automatic eviction.
 * Resolves `true` when storage is (now) persistent, `false` when refused or unsupported (Node: `true`,
 * a folder is never evicted).
 *
 * @example
 * ```ts
 * button.onclick = async () => { status.textContent = (await requestPersistentStorage()) ? 'kept' : 'may be evicted'; };
 * ```
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (typeof storage?.persist === 'function') {
    if (typeof storage.persisted === 'function' && (await storage.persisted())) return true;
    return storage.persist();
  }
  return isNode() && typeof (globalThis as { caches?: unknown }).caches === 'undefined';
}
