/**
 * Load-time conversion end to end (issue 12), against a local hub serving generated checkpoints in the
 * file layouts of the real repositories (models/fixtures/hub): PyTorch-only repos load by their ids,
 * are converted on load, match PyTorch, and are cached; a second load, online or offline, converts and
 * downloads nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BertwebError, env, FolderModelCache, loadModel, type ProgressEvent } from '@bertweb/core';
import { createEmbedder } from '@bertweb/embeddings';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BROKEN_HUB_REPOS,
  hubReference,
  hubServerFiles,
  MALICIOUS_MARKER,
} from '../../convert/src/test-utils/hub-fixtures.js';
import { type ModelServer, startModelServer } from '../../core/src/sources/test-utils/index.js';
import { installConverter, lazyConverter } from './converter.js';

let server: ModelServer;
let scratch: string;
beforeAll(async () => {
  installConverter();
  server = await startModelServer({ files: hubServerFiles(), sha256Etag: true });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  env.converter = lazyConverter;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const cacheIn = () => {
  scratch = mkdtempSync(join(tmpdir(), 'bertweb-conversion-'));
  return new FolderModelCache(scratch);
};
const hub = (repo: string, baseUrl = server.url) => ({ hub: repo, baseUrl });
const FAST = { retries: 1, retryDelayMs: 5 } as const;

/** Mean-pooled rows of the reference, and bertweb's, for the reference texts. */
async function meanPooled(repo: string, options: object) {
  const ref = hubReference(repo);
  const embedder = await createEmbedder(hub(repo), { backend: 'wasm', pooling: 'mean', ...FAST, ...options });
  const got = await embedder.embed(ref.texts);
  const expected = ref.outputs.mean_pooled as { dims: number[]; data: number[] };
  await embedder.dispose();
  return { got, expected, report: embedder.backend };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

describe('hub repos with PyTorch weights only load by their ids', () => {
  for (const repo of [
    'DeepPavlov/rubert-base-cased-sentence',
    'DeepPavlov/rubert-base-cased',
    'DeepPavlov/distilrubert-tiny-cased-conversational',
    'DeepPavlov/bert-base-multilingual-cased-sentence',
    'bertweb-fixtures/bert-safetensors-only',
  ]) {
    it(`${repo}: converted on load to fp32 within 1e-4 of PyTorch, q8 cosine >= 0.999`, async () => {
      const fp32 = await meanPooled(repo, { dtype: 'fp32', cache: cacheIn() });
      const dim = fp32.got.dim;
      let worst = 0;
      for (let i = 0; i < fp32.expected.data.length; i++) {
        worst = Math.max(worst, Math.abs((fp32.got.data[i] as number) - (fp32.expected.data[i] as number)));
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
      expect(fp32.report.converted).toMatchObject({ converter: lazyConverter.version, cached: false });
      const q8 = await meanPooled(repo, { dtype: 'q8', cache: cacheIn() });
      for (let row = 0; row < q8.got.rows; row++) {
        const slice = (d: ArrayLike<number>) => Array.from(d).slice(row * dim, (row + 1) * dim);
        expect(cosine(slice(q8.got.data), slice(fp32.expected.data))).toBeGreaterThanOrEqual(0.999);
      }
      expect(q8.report).toMatchObject({ dtype: 'q8', file: 'onnx/model_quantized.onnx' });
    });
  }
});

describe('sentence-transformers folders give the vectors sentence-transformers gives', () => {
  it('sentence-transformers/LaBSE layout: CLS pooling, Dense + tanh and Normalize, fp32 within 1e-4, q8 cosine >= 0.999', async () => {
    const repo = 'sentence-transformers/LaBSE';
    const ref = hubReference(repo);
    const expected = ref.outputs.sentence_embedding as { dims: number[]; data: number[] };
    for (const dtype of ['fp32', 'q8'] as const) {
      const embedder = await createEmbedder(hub(repo), { backend: 'wasm', dtype, cache: cacheIn(), ...FAST });
      expect(embedder.pooling).toBe('model');
      expect(embedder.dim).toBe(expected.dims[1]);
      const got = await embedder.embed(ref.texts);
      await embedder.dispose();
      const dim = got.dim;
      for (let row = 0; row < got.rows; row++) {
        const a = Array.from(got.data).slice(row * dim, (row + 1) * dim);
        const b = expected.data.slice(row * dim, (row + 1) * dim);
        if (dtype === 'fp32')
          expect(Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))))).toBeLessThanOrEqual(1e-4);
        else expect(cosine(a, b)).toBeGreaterThanOrEqual(0.999);
        expect(Math.hypot(...a)).toBeCloseTo(1, 5);
      }
    }
  });
});

describe('the conversion cache', () => {
  const repo = 'DeepPavlov/rubert-base-cased-sentence';
  const weightsGets = () =>
    server.requests.filter((r) => r.method === 'GET' && r.path === `${repo}/resolve/main/pytorch_model.bin`).length;

  it('converts once, shows the stage in progress, and a second load (online, then offline) converts and downloads nothing', async () => {
    const cache = cacheIn();
    const events: ProgressEvent[] = [];
    const before = weightsGets();
    const first = await loadModel(hub(repo), { backend: 'wasm', cache, ...FAST, onProgress: (e) => events.push(e) });
    expect(first.backend.converted).toEqual({
      from: ['pytorch_model.bin'],
      converter: lazyConverter.version,
      cached: false,
    });
    await first.dispose();
    expect(weightsGets()).toBe(before + 1);
    const converting = events.filter((e) => e.status === 'convert');
    expect(converting.length).toBeGreaterThan(0);
    expect(converting.at(-1)?.fraction).toBe(1);
    // The raw checkpoint stays out of the cache; the converted files, with a manifest, are in.
    const urls = (await cache.list()).map((e) => e.url);
    expect(urls.some((u) => u.endsWith('/pytorch_model.bin'))).toBe(false);
    expect(urls.filter((u) => u.includes('/.bertweb/converted/')).length).toBeGreaterThan(2);

    const again = await loadModel(hub(repo), { backend: 'wasm', cache, ...FAST });
    expect(again.backend.converted).toMatchObject({ cached: true });
    await again.dispose();
    expect(weightsGets()).toBe(before + 1);
  });

  it('loads a converted model offline from the cache', async () => {
    const cache = cacheIn();
    const online = await startModelServer({ files: hubServerFiles([repo]) });
    const url = online.url;
    const first = await loadModel(hub(repo, url), { backend: 'wasm', cache, ...FAST });
    await first.dispose();
    await online.close();
    const offline = await loadModel(hub(repo, url), { backend: 'wasm', cache, retries: 0 });
    expect(offline.backend.converted).toMatchObject({ cached: true });
    const [out] = await offline.infer([offline.tokenizer.encode('Привет, мир!')]);
    expect(out?.last_hidden_state?.dims[1]).toBe(offline.info.hiddenSize);
    await offline.dispose();
  });

  it('converts again when the checkpoint changed (another version on the same URL)', async () => {
    const cache = cacheIn();
    const first = await startModelServer({ files: hubServerFiles([repo]), sha256Etag: true });
    const port = Number(new URL(first.url).port);
    (await loadModel(hub(repo, first.url), { backend: 'wasm', cache, ...FAST })).dispose();
    await first.close();
    // Same URL, but the server no longer vouches for the same sha256: the checkpoint counts as changed.
    const changed = await startModelServer({ files: hubServerFiles([repo]), port });
    const model = await loadModel(hub(repo, changed.url), { backend: 'wasm', cache, ...FAST });
    expect(model.backend.converted).toMatchObject({ cached: false });
    await model.dispose();
    await changed.close();
  });

  it('never caches a cancelled conversion', async () => {
    const cache = cacheIn();
    const controller = new AbortController();
    const cancelled = loadModel(hub(repo), {
      backend: 'wasm',
      cache,
      ...FAST,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.status === 'convert') controller.abort();
      },
    });
    await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await cache.list()).filter((e) => e.url.includes('/.bertweb/converted/'))).toEqual([]);
  });
});

describe('refusing or failing to convert', () => {
  it('convert: false is MODEL_NOT_FOUND with the reason; so is a missing converter', async () => {
    const repo = 'DeepPavlov/rubert-base-cased';
    await expect(loadModel(hub(repo), { backend: 'wasm', cache: false, convert: false })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringMatching(/conversion is off/),
      details: { reason: 'convert-disabled', weights: 'pytorch_model.bin' },
    });
    env.converter = undefined;
    await expect(loadModel(hub(repo), { backend: 'wasm', cache: false })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      details: { reason: 'no-converter' },
    });
  });

  for (const [repo, expected] of Object.entries(BROKEN_HUB_REPOS)) {
    it(`${repo}: ${expected.code}, nothing cached, nothing executed`, async () => {
      const cache = cacheIn();
      const error = (await loadModel(hub(repo), { backend: 'wasm', cache, ...FAST }).catch(
        (e: unknown) => e,
      )) as BertwebError;
      expect(error).toMatchObject({ name: 'BertwebError', code: expected.code });
      expect(error.message).toMatch(expected.message);
      expect((await cache.list()).filter((e) => e.url.includes('/.bertweb/converted/'))).toEqual([]);
      expect(existsSync(MALICIOUS_MARKER)).toBe(false);
    });
  }
});

describe("the README's quick start, as written", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const line = "const embedder = await createEmbedder('DeepPavlov/rubert-base-cased-sentence', { dtype: 'q8' });";

  it('createEmbedder on a DeepPavlov hub id with PyTorch weights only converts on load and embeds', async () => {
    // The line is the README's own (this fails when the README changes it); the hub is the local one,
    // set the way a user points bertweb at a mirror.
    expect(readme).toContain(line);
    const saved = { hubBaseUrl: env.hubBaseUrl, cache: env.cache };
    env.hubBaseUrl = server.url;
    env.cache = cacheIn();
    try {
      const embedder = await createEmbedder('DeepPavlov/rubert-base-cased-sentence', { dtype: 'q8' });
      expect(readme).toContain(
        "const vectors = await embedder.embed(['Кошка сидит на окне.', 'Кот на подоконнике.'], { normalize: true });",
      );
      const vectors = await embedder.embed(['Кошка сидит на окне.', 'Кот на подоконнике.'], { normalize: true });
      expect(vectors.rows).toBe(2);
      for (let r = 0; r < 2; r++) {
        const row = vectors.data.subarray(r * vectors.dim, (r + 1) * vectors.dim);
        expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      }
      expect(embedder.backend).toMatchObject({ dtype: 'q8', converted: { from: ['pytorch_model.bin'] } });
      await embedder.dispose();
    } finally {
      env.hubBaseUrl = saved.hubBaseUrl;
      env.cache = saved.cache;
    }
  });
});
