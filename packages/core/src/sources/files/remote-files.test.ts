import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BertwebError } from '../../errors.js';
import { FolderModelCache } from '../cache/folder-cache.js';
import { MemoryModelCache } from '../cache/memory-cache.js';
import { resolveSource } from '../resolve.js';
import { type ModelServer, rejection, startModelServer } from '../test-utils/index.js';
import type { ProgressEvent } from '../types.js';

const CONFIG = { model_type: 'bert', hidden_size: 32, id2label: { 0: 'O', 1: 'B-PER' } };
const WEIGHTS = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) % 251);
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const FILES = {
  'folder/config.json': JSON.stringify(CONFIG),
  'folder/broken.json': '{"model_type": ',
  'folder/onnx/model.onnx': WEIGHTS,
  'owner/model/resolve/main/config.json': JSON.stringify({ ...CONFIG, revision: 'main' }),
  'owner/model/resolve/v2/config.json': JSON.stringify({ ...CONFIG, revision: 'v2' }),
  'owner/model/resolve/refs/pr/1/config.json': JSON.stringify({ ...CONFIG, revision: 'pr1' }),
};

let server: ModelServer;
let cacheDir: string;
let cache: FolderModelCache;

beforeEach(async () => {
  server = await startModelServer({ files: FILES });
  cacheDir = await mkdtemp(join(tmpdir(), 'bertweb-cache-test-'));
  cache = new FolderModelCache(cacheDir);
});
afterEach(async () => {
  await server.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const FAST = { retryDelayMs: 5, stallTimeoutMs: 2_000 } as const;

describe('remote sources', () => {
  it('reads a folder URL and serves the second load from the cache without any GET', async () => {
    const first = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    expect(first.id).toBe(`${server.url}folder/`);
    expect(await first.json('config.json')).toEqual(CONFIG);
    expect(sha256(await first.bytes('onnx/model.onnx'))).toBe(sha256(WEIGHTS));
    expect(server.count({ method: 'GET' })).toBe(2);

    server.clearRequests();
    const events: ProgressEvent[] = [];
    const second = resolveSource(`${server.url}folder`, { cache, ...FAST, onProgress: (e) => events.push(e) });
    expect(await second.json('config.json')).toEqual(CONFIG);
    expect(sha256(await second.bytes('onnx/model.onnx'))).toBe(sha256(WEIGHTS));
    expect(await second.exists('onnx/model.onnx')).toBe(true);
    expect(server.requests).toHaveLength(0);
    const weightEvents = events.filter((e) => e.file === 'onnx/model.onnx');
    expect(weightEvents.map((e) => e.status)).toEqual(['initiate', 'progress', 'done']);
    expect(weightEvents.every((e) => e.cached === true)).toBe(true);
    expect(weightEvents.at(-1)).toMatchObject({ loaded: WEIGHTS.length, total: WEIGHTS.length });
  });

  it('stores the verified sha256 with the entry', async () => {
    await server.close();
    server = await startModelServer({ files: FILES, sha256Etag: true });
    await resolveSource(`${server.url}folder/`, { cache }).bytes('onnx/model.onnx');
    const entries = await cache.list();
    expect(entries).toEqual([
      expect.objectContaining({
        url: `${server.url}folder/onnx/model.onnx`,
        size: WEIGHTS.length,
        sha256: sha256(WEIGHTS),
      }),
    ]);
  });

  it('caches nothing (and leaves no temp file) when a download is aborted midway', async () => {
    await server.close();
    server = await startModelServer({ files: FILES, throttleBytesPerSec: 400_000 });
    const controller = new AbortController();
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    const started = Date.now();
    const promise = files.bytes('onnx/model.onnx', {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.status === 'progress' && e.loaded >= 40_000) controller.abort();
      },
    });
    const error = await rejection(promise);
    expect(error.code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(400); // the whole body would take 500 ms
    expect(await cache.list()).toEqual([]);
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });

  it.each([
    ['folder', () => cache],
    ['memory', () => new MemoryModelCache()],
  ] as const)('remembers missing files, so a cached model resolves offline (%s cache)', async (_, pick) => {
    const store = pick();
    const online = resolveSource(`${server.url}folder/`, { cache: store, ...FAST });
    expect(await online.json('config.json')).toEqual(CONFIG);
    expect(await online.exists('tokenizer.json')).toBe(false);
    expect(await online.exists('onnx/model.onnx')).toBe(true);

    const unreachable: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    const offline = resolveSource(`${server.url}folder/`, { cache: store, ...FAST, retries: 0, fetch: unreachable });
    expect(await offline.json('config.json')).toEqual(CONFIG);
    expect(await offline.exists('tokenizer.json')).toBe(false);
    // Never asked online: offline there is no way to know, which must stay an error.
    expect((await rejection(offline.exists('crf.json'))).code).toBe('NETWORK');
    // Marks never show up as cached files.
    expect((await store.list()).map((e) => e.url).sort()).toEqual([`${server.url}folder/config.json`]);

    const url = `${server.url}folder/tokenizer.json`;
    expect(await store.isMarkedMissing?.(url)).toBe(true);
    await store.put(url, new TextEncoder().encode('{}'));
    expect(await store.isMarkedMissing?.(url)).toBe(false);
    await store.markMissing?.(`${server.url}folder/vocab.txt`);
    await store.delete(`${server.url}folder/`);
    expect(await store.isMarkedMissing?.(`${server.url}folder/vocab.txt`)).toBe(false);
    expect(await store.list()).toEqual([]);
  });

  it('honours the source-level signal too', async () => {
    const files = resolveSource(`${server.url}folder/`, { cache, signal: AbortSignal.abort() });
    expect((await rejection(files.bytes('config.json'))).code).toBe('ABORTED');
    expect(server.count()).toBe(0);
  });

  it('never caches a truncated body, and caches the complete retry', async () => {
    server.setFaults([{ kind: 'truncate', path: 'folder/onnx/model.onnx', afterBytes: 5_000 }]);
    const files = resolveSource(`${server.url}folder/`, { cache, retries: 1, retryDelayMs: 5 });
    expect((await rejection(files.bytes('onnx/model.onnx'))).code).toBe('NETWORK');
    expect(await cache.list()).toEqual([]);
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);

    server.setFaults([{ kind: 'truncate', path: 'folder/onnx/model.onnx', afterBytes: 5_000, times: 1 }]);
    expect(sha256(await files.bytes('onnx/model.onnx'))).toBe(sha256(WEIGHTS));
    expect((await cache.list()).map((e) => e.size)).toEqual([WEIGHTS.length]);
  });

  it('never caches a body whose sha256 does not match; fetches it once more before INTEGRITY', async () => {
    server.setFaults([{ kind: 'etag', etag: 'b'.repeat(64) }]);
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    const error = await rejection(files.bytes('onnx/model.onnx'));
    expect(error.code).toBe('INTEGRITY');
    expect(error.details).toMatchObject({ attempts: 2, expected: 'b'.repeat(64) });
    expect(error.message).toContain('downloaded twice');
    expect(server.count({ method: 'GET' })).toBe(2);
    expect(await cache.list()).toEqual([]);
  });

  it('recovers from one transfer corrupted on the way (sha256 announced): the second copy is cached', async () => {
    await server.close();
    server = await startModelServer({ files: FILES, sha256Etag: true });
    server.setFaults([{ kind: 'flip', path: 'folder/onnx/model.onnx', offset: 1234, times: 1 }]);
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    expect(sha256(await files.bytes('onnx/model.onnx'))).toBe(sha256(WEIGHTS));
    expect(server.count({ method: 'GET' })).toBe(2);
    expect(await cache.list()).toEqual([expect.objectContaining({ size: WEIGHTS.length, sha256: sha256(WEIGHTS) })]);
  });

  it('reports missing files as MODEL_NOT_FOUND with file and source, without retries', async () => {
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    const error = await rejection(files.text('tokenizer.json'));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain('"tokenizer.json"');
    expect(error.message).toContain(`${server.url}folder/`);
    expect(server.count()).toBe(1);
    expect(await files.exists('tokenizer.json')).toBe(false);
    expect(await files.exists('config.json')).toBe(true);
    expect(server.count({ method: 'HEAD' })).toBe(2);
  });

  it('reports unparsable JSON as MODEL_INVALID naming the file', async () => {
    const error = await rejection(resolveSource(`${server.url}folder/`, { cache: false }).json('broken.json'));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain('"broken.json"');
  });

  it('does not touch any cache with cache: false', async () => {
    const files = resolveSource(`${server.url}folder/`, { cache: false });
    await files.bytes('config.json');
    await files.bytes('config.json');
    expect(server.count({ method: 'GET' })).toBe(2);
  });

  it('builds hub URLs with revision and a custom base URL, and caches per revision', async () => {
    const memory = new MemoryModelCache();
    const base = server.url.replace(/\/$/, '');
    const main = resolveSource('owner/model', { hubBaseUrl: base, cache: memory });
    expect(main.id).toBe(`${base}/owner/model@main`);
    expect(await main.json('config.json')).toMatchObject({ revision: 'main' });
    expect(
      await resolveSource('owner/model@v2', { hubBaseUrl: base, cache: memory }).json('config.json'),
    ).toMatchObject({
      revision: 'v2',
    });
    const pr = resolveSource({ hub: 'owner/model', revision: 'refs/pr/1', baseUrl: `${base}/` }, { cache: memory });
    expect(await pr.json('config.json')).toMatchObject({ revision: 'pr1' });
    expect(server.requests.map((r) => r.path)).toEqual([
      'owner/model/resolve/main/config.json',
      'owner/model/resolve/v2/config.json',
      'owner/model/resolve/refs/pr/1/config.json', // the server sees the decoded path
    ]);
    expect((await memory.list()).map((e) => e.url).sort()).toEqual([
      `${base}/owner/model/resolve/main/config.json`,
      `${base}/owner/model/resolve/refs%2Fpr%2F1/config.json`,
      `${base}/owner/model/resolve/v2/config.json`,
    ]);
    expect(await memory.delete(`${base}/owner/model/resolve/v2/`)).toBe(1);
  });

  it('still returns the bytes when the cache refuses to store them', async () => {
    const failing = new MemoryModelCache();
    failing.put = async () => {
      throw new BertwebError('QUOTA', 'full');
    };
    const warn = console.warn;
    const warnings: unknown[] = [];
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const files = resolveSource(`${server.url}folder/`, { cache: failing });
      expect(await files.json('config.json')).toEqual(CONFIG);
      expect(await files.json('config.json')).toEqual(CONFIG);
    } finally {
      console.warn = warn;
    }
    expect(warnings).toHaveLength(1);
  });

  it('evict() discards an unverified copy (cached or downloaded) and the next read downloads it', async () => {
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    expect(await files.evict?.('config.json')).toBeUndefined(); // never read, not cached
    await files.json('config.json');
    expect(await files.evict?.('config.json')).toBe('downloaded');
    expect(await cache.list()).toEqual([]);
    await files.json('config.json');
    expect(server.count({ method: 'GET', path: 'folder/config.json' })).toBe(2);

    const later = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    await later.json('config.json');
    expect(server.count({ method: 'GET', path: 'folder/config.json' })).toBe(2); // from the cache
    expect(await later.evict?.('./config.json')).toBe('cached');
    expect(await cache.entry(`${server.url}folder/config.json`)).toBeUndefined();
  });

  it('evict() keeps what a sha256 vouches for, and discards a verified entry damaged since', async () => {
    await server.close();
    server = await startModelServer({ files: FILES, sha256Etag: true });
    const url = `${server.url}folder/onnx/model.onnx`;
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    await files.bytes('onnx/model.onnx');
    expect(await files.evict?.('onnx/model.onnx')).toBeUndefined(); // a verified download
    const later = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    await later.bytes('onnx/model.onnx');
    expect(await later.evict?.('onnx/model.onnx')).toBeUndefined(); // a cached entry that still matches
    const damaged = WEIGHTS.slice();
    damaged[5] = (damaged[5] as number) ^ 1;
    await cache.put(url, damaged, { sha256: sha256(WEIGHTS) });
    expect(await later.evict?.('onnx/model.onnx')).toBe('cached');
    expect(sha256(await later.bytes('onnx/model.onnx'))).toBe(sha256(WEIGHTS));
  });

  it('evict() reads past a cache that fails to delete: the next read skips the cache', async () => {
    const stubborn = new MemoryModelCache();
    const files = resolveSource(`${server.url}folder/`, { cache: stubborn, ...FAST });
    await files.json('config.json');
    stubborn.delete = async () => {
      throw new Error('read-only');
    };
    const warn = console.warn;
    console.warn = () => {};
    try {
      expect(await files.evict?.('config.json')).toBe('downloaded');
    } finally {
      console.warn = warn;
    }
    await files.json('config.json');
    expect(server.count({ method: 'GET', path: 'folder/config.json' })).toBe(2);
  });

  it('drops a stale missing-file mark when the file turns out to exist (a HEAD that lied, a file added since)', async () => {
    const url = `${server.url}folder/config.json`;
    server.setFaults([{ kind: 'status', method: 'HEAD', path: 'folder/config.json', status: 404, times: 1 }]);
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    expect(await files.exists('config.json')).toBe(false);
    expect(await cache.isMarkedMissing(url)).toBe(true);
    expect(await files.exists('config.json')).toBe(true);
    expect(await cache.isMarkedMissing(url)).toBe(false);
  });

  it('answers exists() for a cached file from its entry, without reading its bytes or the network', async () => {
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST });
    await files.bytes('onnx/model.onnx');
    server.clearRequests();
    let reads = 0;
    const get = cache.get.bind(cache);
    cache.get = async (url: string) => {
      reads++;
      return get(url);
    };
    expect(await files.exists('onnx/model.onnx')).toBe(true);
    expect([reads, server.count()]).toEqual([0, 0]);
  });

  it('caches nothing when aborted before the response headers arrived', async () => {
    server.setFaults([{ kind: 'hang', path: 'folder/onnx/model.onnx' }]);
    const controller = new AbortController();
    const files = resolveSource(`${server.url}folder/`, { cache, ...FAST, signal: controller.signal });
    const promise = files.bytes('onnx/model.onnx');
    while (server.count() < 1) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await rejection(promise)).code).toBe('ABORTED');
    await server.idle(2_000);
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });
});
