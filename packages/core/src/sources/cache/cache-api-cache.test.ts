import { afterEach, describe, expect, it, vi } from 'vitest';
import { BertwebError } from '../../errors.js';
import { CACHE_API_NAME, CacheApiModelCache } from './cache-api-cache.js';
import { defaultCache, requestPersistentStorage } from './default-cache.js';

/**
 * An in-memory CacheStorage with the Cache API semantics the implementation relies on: put consumes
 * the body and stores it whole or not at all (throwing QuotaExceededError past `quotaBytes`), match
 * returns a fresh Response each time, keys() returns Requests.
 */
class FakeCacheStorage implements Pick<CacheStorage, 'open' | 'has'> {
  readonly caches = new Map<string, FakeCache>();
  constructor(private readonly quotaBytes = Number.POSITIVE_INFINITY) {}
  async has(name: string): Promise<boolean> {
    return this.caches.has(name);
  }
  async open(name: string): Promise<Cache> {
    let cache = this.caches.get(name);
    if (!cache) {
      cache = new FakeCache(this.quotaBytes);
      this.caches.set(name, cache);
    }
    return cache as unknown as Cache;
  }
}

class FakeCache {
  readonly store = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  constructor(private readonly quotaBytes: number) {}
  private used(): number {
    let total = 0;
    for (const { body } of this.store.values()) total += body.length;
    return total;
  }
  async put(request: RequestInfo | URL, response: Response): Promise<void> {
    const url = new Request(request).url;
    const body = new Uint8Array(await response.arrayBuffer());
    if (this.used() + body.length > this.quotaBytes) throw new DOMException('quota exceeded', 'QuotaExceededError');
    this.store.set(url, { body, headers: [...response.headers] });
  }
  async match(request: RequestInfo | URL): Promise<Response | undefined> {
    const entry = this.store.get(new Request(request).url);
    return entry ? new Response(entry.body.slice(), { headers: entry.headers }) : undefined;
  }
  async keys(): Promise<Request[]> {
    return [...this.store.keys()].map((url) => new Request(url));
  }
  async delete(request: RequestInfo | URL): Promise<boolean> {
    return this.store.delete(new Request(request).url);
  }
}

const A = 'https://hub.test/o/m/resolve/main/config.json';
const B = 'https://hub.test/o/m/resolve/main/onnx/model.onnx';
const C = 'https://hub.test/o/n/resolve/v1/config.json';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('CacheApiModelCache', () => {
  it('stores in the bertweb-models-v1 cache with metadata headers, lists, reads, deletes', async () => {
    const storage = new FakeCacheStorage();
    const cache = new CacheApiModelCache(undefined, storage as unknown as CacheStorage);
    await cache.put(A, new Uint8Array([1, 2, 3]));
    await cache.put(B, new Uint8Array(100).fill(5), { sha256: 'c'.repeat(64) });
    await cache.put(C, new Uint8Array([4]));
    expect([...storage.caches.keys()]).toEqual([CACHE_API_NAME]);
    const stored = storage.caches.get(CACHE_API_NAME)!.store.get(B)!;
    expect(Object.fromEntries(stored.headers)).toMatchObject({
      'x-bertweb-size': '100',
      'x-bertweb-sha256': 'c'.repeat(64),
    });
    expect(await cache.get(A)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await cache.get('https://hub.test/missing')).toBeUndefined();
    const list = (await cache.list()).sort((x, y) => x.url.localeCompare(y.url));
    expect(list.map(({ url, size, sha256 }) => ({ url, size, sha256 }))).toEqual([
      { url: A, size: 3, sha256: undefined },
      { url: B, size: 100, sha256: 'c'.repeat(64) },
      { url: C, size: 1, sha256: undefined },
    ]);
    expect(list.every((e) => e.storedAt > 0)).toBe(true);
    expect(await cache.delete('https://hub.test/o/m/resolve/main/')).toBe(2);
    expect(await cache.delete(C)).toBe(1);
    expect(await cache.list()).toEqual([]);
  });

  it('keeps missing-file marks in bertweb-models-v1-missing, cleared by put and by delete', async () => {
    const storage = new FakeCacheStorage();
    const cache = new CacheApiModelCache(undefined, storage as unknown as CacheStorage);
    expect(await cache.isMarkedMissing(A)).toBe(false);
    expect([...storage.caches.keys()]).toEqual([]);
    await cache.markMissing(A);
    await cache.markMissing(C);
    expect(storage.caches.get(`${CACHE_API_NAME}-missing`)?.store.size).toBe(2);
    expect(storage.caches.get(CACHE_API_NAME)?.store.size ?? 0).toBe(0);
    expect(await cache.isMarkedMissing(A)).toBe(true);
    expect(await cache.list()).toEqual([]);
    await cache.put(A, new Uint8Array([1]));
    expect(await cache.isMarkedMissing(A)).toBe(false);
    expect(await cache.delete('https://hub.test/o/n/')).toBe(0);
    expect(await cache.isMarkedMissing(C)).toBe(false);
  });

  it('entry() reads the metadata headers; an aborted put stores nothing; a cached URL is never marked missing', async () => {
    const storage = new FakeCacheStorage();
    const cache = new CacheApiModelCache(undefined, storage as unknown as CacheStorage);
    await cache.put(B, new Uint8Array(100), { sha256: 'c'.repeat(64) });
    expect(await cache.entry(B)).toMatchObject({ url: B, size: 100, sha256: 'c'.repeat(64) });
    expect(await cache.entry(A)).toBeUndefined();
    const error = await cache.put(A, new Uint8Array(1), undefined, { signal: AbortSignal.abort() }).catch((e) => e);
    expect((error as BertwebError).code).toBe('ABORTED');
    expect(await cache.get(A)).toBeUndefined();
    await cache.markMissing(B);
    expect(await cache.isMarkedMissing(B)).toBe(false);
  });

  it('maps a put that fails for another reason than quota to UNSUPPORTED (never INTERNAL)', async () => {
    const storage = new FakeCacheStorage();
    const cache = new CacheApiModelCache(undefined, storage as unknown as CacheStorage);
    const raw = (await storage.open(CACHE_API_NAME)) as unknown as FakeCache;
    raw.put = async () => {
      throw new TypeError('Request scheme is unsupported');
    };
    const error = await cache.put(A, new Uint8Array(1)).catch((e: unknown) => e);
    expect((error as BertwebError).code).toBe('UNSUPPORTED');
    expect(await cache.get(A)).toBeUndefined();
  });

  it('turns QuotaExceededError into QUOTA and leaves nothing half-written', async () => {
    const storage = new FakeCacheStorage(10);
    const cache = new CacheApiModelCache(undefined, storage as unknown as CacheStorage);
    await cache.put(A, new Uint8Array(4));
    const error = await cache.put(B, new Uint8Array(50)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BertwebError);
    expect((error as BertwebError).code).toBe('QUOTA');
    expect((error as BertwebError).details).toMatchObject({ url: B, size: 50 });
    expect((await cache.list()).map((e) => e.url)).toEqual([A]);
    expect(await cache.get(B)).toBeUndefined();
  });

  it('drops an entry that was not written by it completely', async () => {
    const storage = new FakeCacheStorage();
    const cache = new CacheApiModelCache(undefined, storage as unknown as CacheStorage);
    const raw = await storage.open(CACHE_API_NAME);
    await raw.put(A, new Response(new Uint8Array(3), { headers: { 'x-bertweb-size': '10' } }));
    expect(await cache.get(A)).toBeUndefined();
    expect(await raw.match(A)).toBeUndefined();
  });

  it('estimates with navigator.storage (usage, quota, persisted)', async () => {
    vi.stubGlobal('navigator', {
      storage: {
        estimate: async () => ({ usage: 1234, quota: 99_999 }),
        persisted: async () => false,
        persist: async () => true,
      },
    });
    const cache = new CacheApiModelCache(undefined, new FakeCacheStorage() as unknown as CacheStorage);
    expect(await cache.estimate()).toEqual({ usage: 1234, quota: 99_999, persisted: false });
    expect(await requestPersistentStorage()).toBe(true);
  });

  it('sums its own entries when navigator.storage is missing', async () => {
    const cache = new CacheApiModelCache(undefined, new FakeCacheStorage() as unknown as CacheStorage);
    await cache.put(A, new Uint8Array(6));
    await cache.put(C, new Uint8Array(4));
    expect((await cache.estimate()).usage).toBe(10);
  });

  it('is the default cache wherever globalThis.caches exists', async () => {
    const storage = new FakeCacheStorage();
    vi.stubGlobal('caches', storage);
    const cache = defaultCache();
    expect(cache).toBeInstanceOf(CacheApiModelCache);
    await cache!.put(A, new Uint8Array([1]));
    expect(storage.caches.get(CACHE_API_NAME)?.store.has(A)).toBe(true);
  });

  it('fails with UNSUPPORTED without a CacheStorage', async () => {
    const cache = new CacheApiModelCache(undefined, undefined);
    const error = await cache.list().catch((e: unknown) => e);
    expect((error as BertwebError).code).toBe('UNSUPPORTED');
  });
});
