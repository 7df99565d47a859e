// Issue 15 regressions, through loadModel on the real bert-token-cls fixture served by the local model
// server: a cache poisoned without a sha256 repairs itself (the reproducer: corrupt bytes of the right
// length, no sha256, and every later load failed with MODEL_INVALID), and a failed load stops its
// downloads before it rejects.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BertwebError } from '../errors.js';
import { loadModel, loadModelWith, readModelExtra } from '../runtime/model.js';
import type { LoadedModel } from '../runtime/types.js';
import { FolderModelCache } from './cache/folder-cache.js';
import { MemoryModelCache } from './cache/memory-cache.js';
import { type ModelServer, rejection, startModelServer } from './test-utils/index.js';
import type { ModelCache, ProgressEvent } from './types.js';

const FIXTURE = fileURLToPath(new URL('../../../../models/fixtures/bert-token-cls/', import.meta.url));
const ORIGINAL = new Map<string, Uint8Array>();
for (const file of walk(FIXTURE)) {
  if (file !== 'reference.json') ORIGINAL.set(file, new Uint8Array(readFileSync(join(FIXTURE, file))));
}
const TEXT = 'Hello World from Moscow';
const FAST = { backend: 'wasm', retries: 1, retryDelayMs: 1, stallTimeoutMs: 2_000 } as const;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let server: ModelServer;
let base: string;
let dir: string;
let baseline: number[];

async function serve(options: { sha256Etag?: boolean; throttleBytesPerSec?: number } = {}): Promise<void> {
  await server?.close();
  const files: Record<string, Uint8Array> = {};
  for (const [name, bytes] of ORIGINAL) files[`m/${name}`] = bytes;
  server = await startModelServer({ files, ...options });
  base = `${server.url}m/`;
}

beforeAll(async () => {
  const model = await loadModel(FIXTURE, { backend: 'wasm' });
  baseline = await fingerprint(model);
  await model.dispose();
});
beforeEach(async () => {
  await serve();
  dir = await mkdtemp(join(tmpdir(), 'bertweb-repair-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const CACHES = [
  ['folder', () => new FolderModelCache(dir)],
  ['memory', () => new MemoryModelCache()],
] as const;

/** The file with its first byte flipped: same length, no longer parses (the fault run's corruption). */
function corrupt(file: string): Uint8Array {
  const bytes = (ORIGINAL.get(file) as Uint8Array).slice();
  bytes[0] = (bytes[0] as number) ^ 0xff;
  return bytes;
}

async function fingerprint(model: LoadedModel): Promise<number[]> {
  const [out] = await model.infer([model.tokenizer.encode(TEXT)]);
  return [...(out?.logits?.data ?? [])];
}

async function expectIntact(cache: ModelCache): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await cache.list()) {
    const file = entry.url.slice(base.length);
    expect(Buffer.from((await cache.get(entry.url)) ?? []).equals(Buffer.from(ORIGINAL.get(file) ?? [])), file).toBe(
      true,
    );
    names.push(file);
  }
  return names.sort();
}

const gets = (file: string) => server.count({ method: 'GET', path: `m/${file}` });

describe('cache self-repair', () => {
  describe.each(CACHES)('%s cache', (_, makeCache) => {
    // A file that does not parse is blamed alone; a tokenizer that does not validate (the error names no
    // file) blames every tokenizer file it read.
    const TOKENIZER_FILES = ['special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt'];
    it.each([
      ['config.json', 'MODEL_INVALID', ['config.json']],
      ['vocab.txt', 'TOKENIZER_MISMATCH', TOKENIZER_FILES],
      ['special_tokens_map.json', 'MODEL_INVALID', ['special_tokens_map.json']],
      ['onnx/model.onnx', 'MODEL_INVALID', ['onnx/model.onnx']],
    ])(
      'a corrupt cached %s without a sha256 is discarded and fetched again (%s before)',
      async (file, _, refetched) => {
        const cache = makeCache();
        await (await loadModel(base, { ...FAST, cache })).dispose();
        await cache.put(base + file, corrupt(file)); // the poisoned entry: right length, no sha256
        server.clearRequests();

        const model = await loadModel(base, { ...FAST, cache });
        expect(await fingerprint(model)).toEqual(baseline);
        await model.dispose();
        // Only the suspects went to the network, once each.
        const fetched = server.requests.filter((r) => r.method === 'GET').map((r) => r.path.slice(2));
        expect(fetched.sort()).toEqual(refetched);
        expect(await expectIntact(cache)).toContain(file);
      },
    );

    it('a file that stays corrupt fails with its code, says it was discarded and re-fetched, and is not cached', async () => {
      const cache = makeCache();
      server.setFaults([{ kind: 'flip', path: 'm/config.json', offset: 0 }]);
      const error = await rejection(loadModel(base, { ...FAST, cache }));
      expect(error.code).toBe('MODEL_INVALID');
      expect(error.message).toMatch(/the downloaded copy of config\.json .*discarded and re-fetched/);
      expect(error.details).toMatchObject({
        refetched: ['config.json'],
        discarded: [{ file: 'config.json', copy: 'downloaded' }],
        firstError: { code: 'MODEL_INVALID' },
      });
      expect(gets('config.json')).toBe(2);
      await server.idle();
      expect(await expectIntact(cache)).not.toContain('config.json');

      server.setFaults([]);
      server.clearRequests();
      await (await loadModel(base, { ...FAST, cache })).dispose();
      expect(gets('config.json')).toBe(1);
    });

    it('says "cached copy" when the poisoned entry came from the cache', async () => {
      const cache = makeCache();
      await cache.put(base + 'vocab.txt', corrupt('vocab.txt'));
      server.setFaults([{ kind: 'flip', path: 'm/vocab.txt', offset: 0 }]);
      const error = await rejection(loadModel(base, { ...FAST, cache }));
      expect(error.code).toBe('TOKENIZER_MISMATCH');
      expect(error.message).toContain('the cached copy of vocab.txt');
      expect(error.message).toContain('discarded and re-fetched');
      expect(error.details?.discarded).toEqual(
        expect.arrayContaining([
          { file: 'vocab.txt', copy: 'cached' },
          { file: 'tokenizer_config.json', copy: 'downloaded' },
        ]),
      );
      expect(gets('vocab.txt')).toBe(1);
      expect(await cache.get(base + 'vocab.txt')).toBeUndefined();
    });
  });

  it('trusts a cached file that still matches its verified sha256: a bad model fails at once', async () => {
    const bad = corrupt('config.json');
    await serve({ sha256Etag: true });
    server.setFile('m/config.json', bad);
    const cache = new FolderModelCache(dir);
    // First load: downloaded with a matching sha256, invalid anyway; verified, so not fetched again.
    const first = await rejection(loadModel(base, { ...FAST, cache }));
    expect(first.code).toBe('MODEL_INVALID');
    expect(first.details?.refetched).toBeUndefined();
    expect(gets('config.json')).toBe(1);
    expect((await cache.entry(base + 'config.json'))?.sha256).toBe(sha256(bad));
    server.clearRequests();
    const second = await rejection(loadModel(base, { ...FAST, cache }));
    expect(second.code).toBe('MODEL_INVALID');
    expect(gets('config.json')).toBe(0);
  });

  it('discards a verified cache entry whose bytes no longer match its sha256 (damaged on disk)', async () => {
    await serve({ sha256Etag: true });
    const cache = new FolderModelCache(dir);
    await (await loadModel(base, { ...FAST, cache })).dispose();
    const original = ORIGINAL.get('config.json') as Uint8Array;
    await cache.put(base + 'config.json', corrupt('config.json'), { sha256: sha256(original) });
    server.clearRequests();
    const model = await loadModel(base, { ...FAST, cache });
    await model.dispose();
    expect(gets('config.json')).toBe(1);
    expect((await cache.entry(base + 'config.json'))?.sha256).toBe(sha256(original));
    await expectIntact(cache);
  });

  it('never re-reads a local folder: its file is what it is', async () => {
    const local = join(dir, 'model');
    await cp(FIXTURE, local, { recursive: true });
    await writeFile(join(local, 'config.json'), corrupt('config.json'));
    const error = await rejection(loadModel(local, { backend: 'wasm' }));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.details?.refetched).toBeUndefined();
  });

  it("repairs a head's own files read through loadModelWith (crf.json)", async () => {
    const cache = new MemoryModelCache();
    await cache.put(base + 'crf.json', corrupt('crf.json'));
    const { model, extra } = await loadModelWith(base, { ...FAST, cache }, async ({ files, info, signal }) => {
      const crf = await files.json<{ transitions?: unknown[] }>('crf.json', { signal });
      if (crf.transitions?.length !== info.labels?.length)
        throw new BertwebError('MODEL_INVALID', 'crf.json: bad shape');
      return crf;
    });
    await model.dispose();
    expect(extra.transitions).toHaveLength(7);
    expect(gets('crf.json')).toBe(1);
    await expectIntact(cache);
  });

  it('repairs the same way for a model loaded already (readModelExtra)', async () => {
    const cache = new MemoryModelCache();
    const model = await loadModel(base, { ...FAST, cache });
    await cache.put(base + 'crf.json', corrupt('crf.json'));
    const crf = await readModelExtra(model, ({ files, signal }) =>
      files.json<{ transitions: unknown[] }>('crf.json', { signal }),
    );
    await model.dispose();
    expect(crf.transitions).toHaveLength(7);
    expect(gets('crf.json')).toBe(1);
    await expectIntact(cache);
  });

  it('reports each progress event of the ONNX file once (not once per callback it was given to)', async () => {
    const events: ProgressEvent[] = [];
    const model = await loadModel(base, { ...FAST, cache: false, onProgress: (e) => events.push(e) });
    await model.dispose();
    const onnx = events.filter((e) => e.file === 'onnx/model.onnx');
    expect(onnx.filter((e) => e.status === 'initiate')).toHaveLength(1);
    expect(onnx.filter((e) => e.status === 'done')).toHaveLength(1);
  });
});

describe('a failed load stops its downloads', () => {
  it.each(CACHES)(
    'cancels the other downloads, waits for them, and writes nothing afterwards (%s cache)',
    async (name, makeCache) => {
      // 300 KB/s: vocab.txt (231 KB) and the ONNX (542 KB) are mid-body when config.json gives up (300 ms).
      await serve({ throttleBytesPerSec: 300_000 });
      server.setFaults([{ kind: 'stall', path: 'm/config.json', afterBytes: 0 }]);
      const cache = makeCache();
      const error = await rejection(loadModel(base, { ...FAST, retries: 0, stallTimeoutMs: 300, cache }));
      expect(error.code).toBe('NETWORK');
      expect(error.details).toMatchObject({ file: 'config.json' });
      const atRejection = (await cache.list()).map((e) => e.url).sort();
      await server.idle(3_000);
      const big = server.requests.filter((r) => r.method === 'GET' && /vocab\.txt|model\.onnx/.test(r.path));
      expect(big.length).toBeGreaterThan(0);
      for (const request of big) expect(request.completed, `${request.path} was sent whole`).toBe(false);
      expect((await cache.list()).map((e) => e.url).sort()).toEqual(atRejection);
      expect(atRejection.filter((url) => /vocab\.txt|model\.onnx/.test(url))).toEqual([]);
      if (name === 'folder') expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      await expectIntact(cache);
    },
  );

  it('drops what it downloaded without a sha256 and never validated; keeps what an earlier load validated', async () => {
    const cache = new FolderModelCache(dir);
    // config.json stalls out (NETWORK) while the tokenizer waits for special_tokens_map.json: vocab.txt
    // (corrupt here, which nothing had checked yet) and tokenizer_config.json were downloaded and stored.
    server.setFaults([
      { kind: 'stall', path: 'm/config.json', afterBytes: 0 },
      { kind: 'hang', path: 'm/special_tokens_map.json' },
      { kind: 'flip', path: 'm/vocab.txt', offset: 0 },
    ]);
    const options = { ...FAST, retries: 0, stallTimeoutMs: 300, cache };
    expect((await rejection(loadModel(base, options))).code).toBe('NETWORK');
    await server.idle(3_000);
    const vocab = server.requests.find((r) => r.method === 'GET' && r.path === 'm/vocab.txt');
    expect(vocab?.completed, 'precondition: vocab.txt was downloaded before the failure').toBe(true);
    expect(await cache.list()).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // Validated by a successful load, then the same failure: the cached copies stay.
    server.setFaults([]);
    await (await loadModel(base, { ...FAST, cache })).dispose();
    server.setFaults([
      { kind: 'stall', path: 'm/config.json', afterBytes: 0 },
      { kind: 'hang', path: 'm/special_tokens_map.json' },
    ]);
    await cache.delete(`${base}config.json`);
    await cache.delete(`${base}special_tokens_map.json`);
    expect((await rejection(loadModel(base, options))).code).toBe('NETWORK');
    await server.idle(3_000);
    expect(await expectIntact(cache)).toEqual(['onnx/model.onnx', 'tokenizer_config.json', 'vocab.txt']);
  });

  it('stops them on the caller abort too, with ABORTED', async () => {
    await serve({ throttleBytesPerSec: 300_000 });
    const cache = new FolderModelCache(dir);
    const controller = new AbortController();
    const promise = loadModel(base, {
      ...FAST,
      cache,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.file === 'onnx/model.onnx' && e.status === 'progress' && e.loaded > 50_000) controller.abort();
      },
    });
    expect((await rejection(promise)).code).toBe('ABORTED');
    await server.idle(3_000);
    const onnx = server.requests.find((r) => r.method === 'GET' && r.path === 'm/onnx/model.onnx');
    expect(onnx?.completed).toBe(false);
    expect((await cache.list()).map((e) => e.url)).not.toContain(`${base}onnx/model.onnx`);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expectIntact(cache);
  });

  it('fails a head read run by loadModelWith like any other: the model downloads stop', async () => {
    await serve({ throttleBytesPerSec: 300_000 });
    const cache = new MemoryModelCache();
    const error = await rejection(
      loadModelWith(base, { ...FAST, cache }, async () => {
        throw new BertwebError('MODEL_NOT_FOUND', 'the head needs a file the folder lacks');
      }),
    );
    expect(error.code).toBe('MODEL_NOT_FOUND');
    await server.idle(3_000);
    const onnx = server.requests.find((r) => r.method === 'GET' && r.path === 'm/onnx/model.onnx');
    expect(onnx?.completed).toBe(false);
    expect((await cache.list()).map((e) => e.url)).not.toContain(`${base}onnx/model.onnx`);
  });
});

function walk(root: string, folder = root): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = join(folder, name);
    return statSync(full).isDirectory() ? walk(root, full) : [relative(root, full).split('\\').join('/')];
  });
}
