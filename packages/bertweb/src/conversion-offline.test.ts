/**
 * Offline loads of a cached conversion when another read of the load fails first: a head's own reads
 * (`head_settings.json`, pooling files) run beside the ONNX reader, and offline a file that was never asked
 * about online fails with NETWORK. Found by the demo's e2e spec (e2e/specs/convert-hub.spec.ts): the
 * embedder's `head_settings.json` probe lost the race to the ONNX reader online (so no missing-file mark
 * was cached) and won it offline, so the cached conversion was never used.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertwebError, env, FolderModelCache, loadModel } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubServerFiles } from '../../convert/src/test-utils/hub-fixtures.js';
import { loadModelWith } from '../../core/src/runtime/model.js';
import { startModelServer } from '../../core/src/sources/test-utils/index.js';
import { installConverter, lazyConverter } from './converter.js';

const REPO = 'DeepPavlov/rubert-base-cased-sentence';
let scratch: string;
beforeAll(() => {
  installConverter();
  scratch = mkdtempSync(join(tmpdir(), 'bertweb-conversion-offline-'));
});
afterAll(() => {
  env.converter = lazyConverter;
  rmSync(scratch, { recursive: true, force: true });
});

describe('a cached conversion offline', () => {
  it('loads when another read of the source fails with NETWORK before the ONNX reader finds the conversion', async () => {
    const cache = new FolderModelCache(scratch);
    const server = await startModelServer({ files: hubServerFiles([REPO]) });
    const source = { hub: REPO, baseUrl: server.url };
    (await loadModel(source, { backend: 'wasm', cache, retries: 0 })).dispose();
    await server.close();

    // The extra read fails on the source's files (as an unmarked file's HEAD does offline) and works on the
    // converted ones. The ONNX reader's manifest lookup waits until it has failed: the order of the browser,
    // where the reader first starts ORT and the HEAD fails at once.
    let failed: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const slowManifests = new Proxy(cache, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'get' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return async (url: string) => {
          if (url.endsWith('/manifest.json')) await gate;
          return value.call(target, url);
        };
      },
    });
    const seen: string[] = [];
    const extra = async ({ files }: { files: { id: string } }) => {
      seen.push(files.id);
      if (files.id.includes('converted')) return 'read';
      failed();
      throw new BertwebError('NETWORK', 'offline: never asked about online');
    };
    const { model, extra: result } = await loadModelWith(
      source,
      { backend: 'wasm', cache: slowManifests, retries: 0 },
      extra,
    );
    expect(model.backend.converted).toMatchObject({ cached: true, from: ['pytorch_model.bin'] });
    expect(result).toBe('read');
    expect(seen.some((id) => id.includes('converted'))).toBe(true);
    await model.dispose();

    // Without a cached conversion the NETWORK error stands.
    const empty = new FolderModelCache(join(scratch, 'empty'));
    await expect(loadModelWith(source, { backend: 'wasm', cache: empty, retries: 0 }, extra)).rejects.toMatchObject({
      code: 'NETWORK',
    });
  });
});
