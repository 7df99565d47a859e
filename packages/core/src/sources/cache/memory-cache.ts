import { throwIfAborted } from '../../errors.js';
import type { CacheEntry, ModelCache } from '../types.js';
import { matchesKey } from './keys.js';

/**
 * A {@link ModelCache} in memory: for tests, for runtimes without the Cache API or a file system,
 * and for sharing downloads between several models of one page without persisting them.
 *
 * @example
 * ```ts
 * const cache = new MemoryModelCache();
 * const files = resolveSource('owner/model', { cache });
 * ```
 */
export class MemoryModelCache implements ModelCache {
  private readonly entries = new Map<string, { bytes: Uint8Array; entry: CacheEntry }>();
  private readonly missing = new Set<string>();

  async get(url: string): Promise<Uint8Array | undefined> {
    return this.entries.get(url)?.bytes;
  }

  async put(
    url: string,
    bytes: Uint8Array,
    meta?: { readonly sha256?: string },
    options?: { readonly signal?: AbortSignal },
  ): Promise<void> {
    throwIfAborted(options?.signal);
    const entry: CacheEntry = {
      url,
      size: bytes.byteLength,
      storedAt: Date.now(),
      ...(meta?.sha256 ? { sha256: meta.sha256 } : {}),
    };
    this.entries.set(url, { bytes, entry });
    this.missing.delete(url);
  }

  async entry(url: string): Promise<CacheEntry | undefined> {
    return this.entries.get(url)?.entry;
  }

  async markMissing(url: string): Promise<void> {
    if (!this.entries.has(url)) this.missing.add(url);
  }

  async isMarkedMissing(url: string): Promise<boolean> {
    return this.missing.has(url);
  }

  async list(): Promise<CacheEntry[]> {
    return [...this.entries.values()].map((e) => e.entry);
  }

  async delete(urlOrPrefix: string): Promise<number> {
    for (const url of [...this.missing]) if (matchesKey(url, urlOrPrefix)) this.missing.delete(url);
    let removed = 0;
    for (const url of [...this.entries.keys()]) {
      if (matchesKey(url, urlOrPrefix) && this.entries.delete(url)) removed++;
    }
    return removed;
  }

  async estimate(): Promise<{ readonly usage: number; readonly quota?: number; readonly persisted?: boolean }> {
    let usage = 0;
    for (const { entry } of this.entries.values()) usage += entry.size;
    return { usage, persisted: false };
  }
}
