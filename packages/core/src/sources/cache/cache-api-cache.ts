import { BertwebError, throwIfAborted } from '../../errors.js';
import type { CacheEntry, ModelCache } from '../types.js';
import { isQuotaError, matchesKey } from './keys.js';

/**
 * Name of the Cache API cache bertweb uses; the suffix changes if the stored format ever does.
 *
 * @example
 * ```ts
 * await caches.delete(CACHE_API_NAME); // forget every cached model
 * ```
 */
export const CACHE_API_NAME = 'bertweb-models-v1';

const SIZE_HEADER = 'x-bertweb-size';
const SHA256_HEADER = 'x-bertweb-sha256';
const STORED_AT_HEADER = 'x-bertweb-stored-at';

/**
 * A {@link ModelCache} on the browser Cache API (also in workers). Keys are file URLs (with the
 * revision in them); size, sha256 and storage time travel as response headers. `Cache.put` stores a
 * response whole or not at all, and a failed put is followed by a delete, so a quota failure leaves
 * nothing half-written; it surfaces as `QUOTA`.
 *
 * @example
 * ```ts
 * const cache = new CacheApiModelCache();
 * console.log(await cache.list());
 * await cache.delete('https://huggingface.co/owner/model/resolve/main/');
 * ```
 */
export class CacheApiModelCache implements ModelCache {
  private opened: Promise<Cache> | undefined;
  private openedMissing: Promise<Cache> | undefined;

  /**
   * @param name Cache name (default {@link CACHE_API_NAME}).
   * @param storage The `CacheStorage` (default `globalThis.caches`).
   */
  constructor(
    readonly name: string = CACHE_API_NAME,
    private readonly storage: CacheStorage | undefined = (globalThis as { caches?: CacheStorage }).caches,
  ) {}

  private open(): Promise<Cache> {
    if (!this.storage) {
      return Promise.reject(new BertwebError('UNSUPPORTED', 'the Cache API is not available in this context'));
    }
    this.opened ??= this.storage.open(this.name);
    return this.opened;
  }

  /**
   * Missing-file marks live in a cache of their own (`<name>-missing`), so they never show in `list()`.
   * Without `create`, `undefined` when that cache does not exist (storing a file must not create it).
   */
  private async openMissing(create = true): Promise<Cache | undefined> {
    if (!this.storage) throw new BertwebError('UNSUPPORTED', 'the Cache API is not available in this context');
    const name = `${this.name}-missing`;
    if (!this.openedMissing && !create && typeof this.storage.has === 'function' && !(await this.storage.has(name)))
      return undefined;
    this.openedMissing ??= this.storage.open(name);
    return this.openedMissing;
  }

  async markMissing(url: string): Promise<void> {
    const cached = await (await this.open()).match(url);
    if (cached) {
      cached.body?.cancel().catch(() => {});
      return;
    }
    const marks = await this.openMissing();
    await marks?.put(url, new Response('', { headers: { [STORED_AT_HEADER]: String(Date.now()) } }));
  }

  async isMarkedMissing(url: string): Promise<boolean> {
    return (await (await this.openMissing(false))?.match(url)) !== undefined;
  }

  async get(url: string): Promise<Uint8Array | undefined> {
    const cache = await this.open();
    const response = await cache.match(url);
    if (!response) return undefined;
    const bytes = new Uint8Array(await response.arrayBuffer());
    const size = Number(response.headers.get(SIZE_HEADER));
    if (!Number.isFinite(size) || size !== bytes.byteLength) {
      // Not something this class wrote completely: drop it rather than hand out a damaged model.
      await cache.delete(url);
      return undefined;
    }
    return bytes;
  }

  /** Size, sha256 and storage time from the stored response's headers (its body is not read). */
  async entry(url: string): Promise<CacheEntry | undefined> {
    const response = await (await this.open()).match(url);
    if (!response) return undefined;
    response.body?.cancel().catch(() => {});
    return entryOf(url, response.headers);
  }

  /**
   * `Cache.put` stores a response whole or not at all, so the signal is checked before it starts;
   * once it runs, the entry is committed.
   */
  async put(
    url: string,
    bytes: Uint8Array,
    meta?: { readonly sha256?: string },
    options?: { readonly signal?: AbortSignal },
  ): Promise<void> {
    throwIfAborted(options?.signal);
    const cache = await this.open();
    throwIfAborted(options?.signal);
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      [SIZE_HEADER]: String(bytes.byteLength),
      [STORED_AT_HEADER]: String(Date.now()),
    };
    if (meta?.sha256) headers[SHA256_HEADER] = meta.sha256;
    try {
      await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
      await (await this.openMissing(false))?.delete(url);
    } catch (error) {
      await cache.delete(url).catch(() => false);
      if (isQuotaError(error)) {
        throw new BertwebError(
          'QUOTA',
          `not enough storage to cache ${url} (${bytes.byteLength} bytes); free space with cache.delete() or request persistent storage`,
          { url, size: bytes.byteLength },
          { cause: error },
        );
      }
      throw new BertwebError(
        'UNSUPPORTED',
        `the Cache API refused to store ${url}: ${String(error)}`,
        { url },
        { cause: error },
      );
    }
  }

  async list(): Promise<CacheEntry[]> {
    const cache = await this.open();
    const entries: CacheEntry[] = [];
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if (!response) continue;
      // Only headers are needed; let the body go.
      response.body?.cancel().catch(() => {});
      const entry = entryOf(request.url, response.headers);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  async delete(urlOrPrefix: string): Promise<number> {
    const cache = await this.open();
    const marks = await this.openMissing(false);
    for (const request of (await marks?.keys()) ?? []) {
      if (matchesKey(request.url, urlOrPrefix)) await marks?.delete(request);
    }
    let removed = 0;
    for (const request of await cache.keys()) {
      if (matchesKey(request.url, urlOrPrefix) && (await cache.delete(request))) removed++;
    }
    return removed;
  }

  /** Origin-wide usage and quota from `navigator.storage`, and whether storage is persistent. */
  async estimate(): Promise<{ readonly usage: number; readonly quota?: number; readonly persisted?: boolean }> {
    const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
    const persisted = typeof storage?.persisted === 'function' ? await storage.persisted() : undefined;
    if (typeof storage?.estimate === 'function') {
      const { usage, quota } = await storage.estimate();
      return {
        usage: usage ?? 0,
        ...(quota !== undefined ? { quota } : {}),
        ...(persisted !== undefined ? { persisted } : {}),
      };
    }
    let usage = 0;
    for (const entry of await this.list()) usage += entry.size;
    return persisted !== undefined ? { usage, persisted } : { usage };
  }
}

/** The entry a stored response's headers describe (`undefined` without a valid size header). */
function entryOf(url: string, headers: Headers): CacheEntry | undefined {
  const sizeHeader = headers.get(SIZE_HEADER);
  const size = Number(sizeHeader);
  if (sizeHeader === null || !Number.isFinite(size)) return undefined;
  const sha256 = headers.get(SHA256_HEADER);
  return {
    url,
    size,
    storedAt: Number(headers.get(STORED_AT_HEADER)) || 0,
    ...(sha256 ? { sha256 } : {}),
  };
}
