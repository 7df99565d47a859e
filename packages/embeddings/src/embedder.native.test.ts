/**
 * The embedder on onnxruntime-node (native) and on ORT-web WASM: the same model files must give the same
 * sentence vectors within 1e-4, for every pooling, truncated and chunked, and the same DeepPavlov outputs.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from './embedder.js';
import { PARITY_MAX_LENGTH, PARITY_TEXTS } from './test-utils/embedding-cases.js';
import type { Pooling } from './types.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../models/fixtures/${name}`, import.meta.url));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

for (const [name, poolings] of [
  ['bert-base', ['mean', 'max', 'cls', 'pooler']],
  ['distilbert-base', ['mean', 'max', 'cls']],
] as const) {
  describe(`${name}: native = WASM`, () => {
    let native: Embedder;
    let wasm: Embedder;
    beforeAll(async () => {
      native = await createEmbedder(fixture(name), { backend: 'native', maxLength: PARITY_MAX_LENGTH });
      wasm = await createEmbedder(fixture(name), { backend: 'wasm', maxLength: PARITY_MAX_LENGTH });
    });
    afterAll(async () => {
      await native.dispose();
      await wasm.dispose();
    });

    it('runs where it was asked to, and says so', () => {
      expect(native.backend.backend).toBe('native');
      expect(wasm.backend.backend).toBe('wasm');
    });

    it('gives the same sentence vectors for every pooling, truncated and chunked', async () => {
      for (const pooling of poolings as readonly Pooling[]) {
        for (const longText of ['truncate', 'chunk'] as const) {
          const options = { pooling, longText, normalize: pooling === 'mean' };
          const [a, b] = [await native.embed(PARITY_TEXTS, options), await wasm.embed(PARITY_TEXTS, options)];
          expect([a.rows, a.dim]).toEqual([b.rows, b.dim]);
          expect(a.truncated).toEqual(b.truncated);
          expect(maxDiff(a.data, b.data), `${pooling}/${longText}`).toBeLessThanOrEqual(1e-4);
        }
      }
    });

    it('gives the same DeepPavlov outputs', async () => {
      const [a, b] = [await native.embedDetailed(PARITY_TEXTS), await wasm.embedDetailed(PARITY_TEXTS)];
      a.forEach((d, t) => {
        const other = b[t] as (typeof b)[number];
        expect(d.tokens).toEqual(other.tokens);
        expect(maxDiff(d.sentenceMean, other.sentenceMean)).toBeLessThanOrEqual(1e-4);
        expect(maxDiff(d.sentenceMax, other.sentenceMax)).toBeLessThanOrEqual(1e-4);
        expect(maxDiff(d.tokenEmbeddings, other.tokenEmbeddings)).toBeLessThanOrEqual(1e-4);
      });
    });
  });
}
