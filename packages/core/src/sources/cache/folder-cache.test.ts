import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BertwebError } from '../../errors.js';
import { defaultCache, requestPersistentStorage, selectCache } from './default-cache.js';
import { CACHE_DIR_ENV, defaultCacheDir, FolderModelCache } from './folder-cache.js';
import { MemoryModelCache } from './memory-cache.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bertweb-folder-cache-'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

const A = 'https://hub.test/owner/model/resolve/main/config.json';
const B = 'https://hub.test/owner/model/resolve/main/onnx/model.onnx';
const C = 'https://hub.test/owner/other/resolve/main/config.json';

describe('FolderModelCache', () => {
  it('stores, lists, reads back, deletes by URL and by prefix, and estimates usage', async () => {
    const cache = new FolderModelCache(join(dir, 'nested', 'cache'));
    expect(await cache.list()).toEqual([]);
    expect(await cache.get(A)).toBeUndefined();
    const before = Date.now();
    await cache.put(A, new Uint8Array([1, 2, 3]));
    await cache.put(B, new Uint8Array(1000).fill(7), { sha256: 'f'.repeat(64) });
    await cache.put(C, new Uint8Array([9]));
    expect(await cache.get(A)).toEqual(new Uint8Array([1, 2, 3]));
    const entries = (await cache.list()).sort((x, y) => x.url.localeCompare(y.url));
    expect(entries.map(({ url, size, sha256 }) => ({ url, size, sha256 }))).toEqual([
      { url: A, size: 3, sha256: undefined },
      { url: B, size: 1000, sha256: 'f'.repeat(64) },
      { url: C, size: 1, sha256: undefined },
    ]);
    expect(entries.every((e) => e.storedAt >= before && e.storedAt <= Date.now())).toBe(true);
    const estimate = await cache.estimate();
    expect(estimate.usage).toBe(1004);
    expect(estimate.quota).toBeGreaterThan(1004);

    expect(await cache.delete('https://hub.test/owner/model/resolve/main/')).toBe(2);
    expect((await cache.list()).map((e) => e.url)).toEqual([C]);
    expect(await cache.delete(C)).toBe(1);
    expect(await cache.delete(C)).toBe(0);
    expect(await readdir(join(dir, 'nested', 'cache'))).toEqual([]);
  });

  it('replaces an entry atomically and leaves no temporary files', async () => {
    const cache = new FolderModelCache(dir);
    await cache.put(A, new Uint8Array([1]));
    await cache.put(A, new Uint8Array([2, 2]));
    expect(await cache.get(A)).toEqual(new Uint8Array([2, 2]));
    const names = await readdir(dir);
    expect(names).toHaveLength(2);
    expect(names.every((n) => /^[0-9a-f]{64}\.(bin|json)$/.test(n))).toBe(true);
  });

  it('treats an entry whose size disagrees with its sidecar as missing, and drops it', async () => {
    const cache = new FolderModelCache(dir);
    await cache.put(A, new Uint8Array([1, 2, 3]));
    const bin = (await readdir(dir)).find((n) => n.endsWith('.bin'))!;
    await writeFile(join(dir, bin), new Uint8Array([1]));
    expect(await cache.get(A)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('ignores a data file without its sidecar (a write cut short)', async () => {
    const cache = new FolderModelCache(dir);
    await cache.put(A, new Uint8Array([1, 2, 3]));
    const meta = (await readdir(dir)).find((n) => n.endsWith('.json'))!;
    await rm(join(dir, meta));
    expect(await cache.get(A)).toBeUndefined();
    expect(await cache.list()).toEqual([]);
  });

  it('reports a failed write as a coded error and cleans up its temporary files', async () => {
    // The "folder" is a file: mkdir fails (ENOTDIR/EEXIST), as a read-only or broken disk would.
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    const cache = new FolderModelCache(join(file, 'cache'));
    const error = await cache.put(A, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BertwebError);
    // Not INTERNAL: a cache that cannot be written is a documented condition (the load still works).
    expect((error as BertwebError).code).toBe('UNSUPPORTED');
    expect((error as BertwebError).details).toMatchObject({ url: A, reason: expect.any(String) });
    expect(await readdir(dir)).toEqual(['not-a-folder']);
  });

  it('maps a full disk (ENOSPC) to QUOTA and removes the partial temporary file', async () => {
    const cache = new FolderModelCache(dir);
    // The cache reaches fs through process.getBuiltinModule: the CommonJS module object, patchable here.
    const fsp = process.getBuiltinModule('node:fs/promises');
    const original = fsp.writeFile;
    fsp.writeFile = (async (path: string, data: Uint8Array) => {
      await original(path, data.subarray(0, 1)); // a partial write, then the disk is full
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }) as typeof fsp.writeFile;
    try {
      const error = await cache.put(A, new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
      expect((error as BertwebError).code).toBe('QUOTA');
    } finally {
      fsp.writeFile = original;
    }
    expect(await readdir(dir)).toEqual([]);
    expect(await cache.get(A)).toBeUndefined();
  });

  it('uses BERTWEB_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache/bertweb', async () => {
    vi.stubEnv(CACHE_DIR_ENV, dir);
    expect(await defaultCacheDir()).toBe(dir);
    vi.stubEnv(CACHE_DIR_ENV, '');
    vi.stubEnv('XDG_CACHE_HOME', '/x/cache');
    expect(await defaultCacheDir()).toBe('/x/cache/bertweb');
    vi.stubEnv('XDG_CACHE_HOME', '');
    expect(await defaultCacheDir()).toBe(join(homedir(), '.cache', 'bertweb'));
  });
});

describe('defaultCache / selectCache', () => {
  it('picks a folder cache in Node, honours false and explicit caches', async () => {
    vi.stubEnv(CACHE_DIR_ENV, dir);
    const cache = defaultCache();
    expect(cache).toBeInstanceOf(FolderModelCache);
    expect(await (cache as FolderModelCache).folder()).toBe(dir);
    expect(selectCache(false)).toBeUndefined();
    expect(selectCache(true)).toBeInstanceOf(FolderModelCache);
    expect(selectCache(undefined)).toBeInstanceOf(FolderModelCache);
    const memory = new MemoryModelCache();
    expect(selectCache(memory)).toBe(memory);
  });

  it('entry() reads the sidecar without the bytes, and only for a complete entry', async () => {
    const cache = new FolderModelCache(dir);
    expect(await cache.entry(A)).toBeUndefined();
    await cache.put(A, new Uint8Array(10), { sha256: 'e'.repeat(64) });
    expect(await cache.entry(A)).toMatchObject({ url: A, size: 10, sha256: 'e'.repeat(64) });
    const bin = (await readdir(dir)).find((n) => n.endsWith('.bin')) as string;
    await writeFile(join(dir, bin), new Uint8Array(3)); // the data file damaged: size disagrees
    expect(await cache.entry(A)).toBeUndefined();
  });

  it('never marks a cached URL missing, and clears the mark of one URL without touching others', async () => {
    const cache = new FolderModelCache(dir);
    await cache.put(A, new Uint8Array([1]));
    await cache.markMissing(A);
    expect(await cache.isMarkedMissing(A)).toBe(false);
    await cache.markMissing(B);
    await cache.markMissing(C);
    expect(await cache.delete(B)).toBe(0);
    expect([await cache.isMarkedMissing(B), await cache.isMarkedMissing(C)]).toEqual([false, true]);
  });

  describe('an aborted write leaves nothing behind', () => {
    // The cache reaches fs through process.getBuiltinModule: the CommonJS module object, patchable here.
    const fsp = process.getBuiltinModule('node:fs/promises');

    it('before it starts', async () => {
      const cache = new FolderModelCache(dir);
      const error = await cache.put(A, new Uint8Array([1]), undefined, { signal: AbortSignal.abort() }).catch((e) => e);
      expect((error as BertwebError).code).toBe('ABORTED');
      expect(await readdir(dir)).toEqual([]);
    });

    it.each(['writeFile', 'rename'] as const)('aborted during %s', async (step) => {
      const cache = new FolderModelCache(dir);
      const controller = new AbortController();
      const original = fsp[step] as (...args: unknown[]) => Promise<void>;
      (fsp as unknown as Record<string, unknown>)[step] = async (...args: unknown[]) => {
        controller.abort();
        return original.apply(fsp, args);
      };
      let outcome: unknown;
      try {
        outcome = await cache
          .put(
            A,
            new Uint8Array(100_000).fill(3),
            { sha256: 'd'.repeat(64) },
            {
              signal: controller.signal,
            },
          )
          .catch((e: unknown) => e);
      } finally {
        (fsp as unknown as Record<string, unknown>)[step] = original;
      }
      const names = await readdir(dir);
      expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
      if (step === 'writeFile') {
        // Before the commit: the write is cancelled, nothing is stored.
        expect((outcome as BertwebError).code).toBe('ABORTED');
        expect(names).toEqual([]);
        expect(await cache.get(A)).toBeUndefined();
      } else {
        // During the commit: it completes, so the entry is whole (never half of one).
        expect(outcome).toBeUndefined();
        expect(await cache.get(A)).toEqual(new Uint8Array(100_000).fill(3));
        expect(await cache.entry(A)).toMatchObject({ size: 100_000, sha256: 'd'.repeat(64) });
      }
    });
  });

  it('requestPersistentStorage is true in Node (a folder is never evicted)', async () => {
    expect(await requestPersistentStorage()).toBe(true);
  });
});

describe('MemoryModelCache', () => {
  it('has entry(), refuses an aborted put, and never marks a cached URL missing', async () => {
    const cache = new MemoryModelCache();
    await cache.put(A, new Uint8Array(4), { sha256: 'a'.repeat(64) });
    expect(await cache.entry(A)).toMatchObject({ url: A, size: 4, sha256: 'a'.repeat(64) });
    expect(await cache.entry(B)).toBeUndefined();
    const error = await cache.put(B, new Uint8Array(1), undefined, { signal: AbortSignal.abort() }).catch((e) => e);
    expect((error as BertwebError).code).toBe('ABORTED');
    expect(await cache.get(B)).toBeUndefined();
    await cache.markMissing(A);
    expect(await cache.isMarkedMissing(A)).toBe(false);
  });

  it('lists, deletes by prefix and sums sizes', async () => {
    const cache = new MemoryModelCache();
    await cache.put(A, new Uint8Array(5), { sha256: 'a'.repeat(64) });
    await cache.put(C, new Uint8Array(7));
    expect((await cache.estimate()).usage).toBe(12);
    expect(await cache.delete('https://hub.test/owner/')).toBe(2);
    expect(await cache.list()).toEqual([]);
  });
});
