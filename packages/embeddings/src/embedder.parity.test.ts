/**
 * Parity with the PyTorch reference (models/scripts/ref_embeddings.py): DeepPavlov's seven outputs and
 * every pooling (truncated and chunked, plus normalized mean), within 1e-4, for bert-base and
 * distilbert-base.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type LoadedModel, loadModel } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from './embedder.js';
import { PARITY_MAX_LENGTH, PARITY_TEXTS } from './test-utils/embedding-cases.js';
import type { Pooling } from './types.js';

interface RefText {
  windows: number[][];
  subtokenEmbeddings: number[];
  tokenEmbeddings: number[];
  sentenceMax: number[];
  sentenceMean: number[];
  pooler: number[] | null;
  truncate: Record<string, number[]>;
  chunk: Record<string, number[]>;
}
const reference = JSON.parse(
  readFileSync(new URL('./__fixtures__/embeddings-reference.json', import.meta.url), 'utf8'),
) as { maxLength: number; models: Record<string, { texts: (RefText | null)[] }> };

function expectWithin(actual: ArrayLike<number>, expected: readonly number[], what: string): number {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  expected.forEach((v, i) => {
    worst = Math.max(worst, Math.abs((actual[i] as number) - v));
  });
  if (worst > 1e-4) throw new Error(`${what}: max |diff| ${worst} > 1e-4`);
  return worst;
}

for (const name of ['bert-base', 'distilbert-base']) {
  describe(`${name} vs PyTorch reference`, () => {
    const ref = reference.models[name] as { texts: (RefText | null)[] };
    let model: LoadedModel;
    let embedder: Embedder;
    beforeAll(async () => {
      expect(reference.maxLength).toBe(PARITY_MAX_LENGTH);
      model = await loadModel(fileURLToPath(new URL(`../../../models/fixtures/${name}`, import.meta.url)), {
        backend: 'wasm',
      });
      embedder = await createEmbedder(model, { maxLength: PARITY_MAX_LENGTH });
    });
    afterAll(async () => {
      await embedder.dispose();
      await model.dispose();
    });

    it('DeepPavlov outputs: tokens, token embeddings, subtokens, subtoken embeddings, max, mean, pooler', async () => {
      const detailed = await embedder.embedDetailed(PARITY_TEXTS);
      let worst = 0;
      detailed.forEach((d, t) => {
        const text = PARITY_TEXTS[t] as string;
        const expected = ref.texts[t];
        if (!expected) {
          expect(d.tokens).toEqual([]);
          expect(d.subtokens).toEqual([]);
          expect(Array.from(d.sentenceMean)).toEqual([0, 0, 0, 0]);
          return;
        }
        const window = expected.windows[0] as number[];
        expect(
          d.subtokens.map((s) => model.tokenizer.tokenToId(s)),
          `subtokens of ${t}`,
        ).toEqual(window);
        expect(d.truncated).toBe(expected.windows.length > 1);
        expect(d.tokens).toHaveLength(expected.tokenEmbeddings.length / 4);
        d.tokens.forEach((word, w) => {
          const [s, e] = d.tokenOffsets[w] as [number, number];
          expect(word).toBe(text.slice(s, e));
        });
        worst = Math.max(
          worst,
          expectWithin(d.subtokenEmbeddings, expected.subtokenEmbeddings, `subtokenEmbeddings ${t}`),
          expectWithin(d.tokenEmbeddings, expected.tokenEmbeddings, `tokenEmbeddings ${t}`),
          expectWithin(d.sentenceMax, expected.sentenceMax, `sentenceMax ${t}`),
          expectWithin(d.sentenceMean, expected.sentenceMean, `sentenceMean ${t}`),
        );
        if (expected.pooler) worst = Math.max(worst, expectWithin(d.pooler ?? [], expected.pooler, `pooler ${t}`));
        else expect(d.pooler).toBeNull();
      });
      expect(worst).toBeLessThanOrEqual(1e-4);
    });

    const poolings: Pooling[] = name === 'bert-base' ? ['mean', 'max', 'cls', 'pooler'] : ['mean', 'max', 'cls'];
    for (const longText of ['truncate', 'chunk'] as const) {
      it(`sentence vectors with every pooling (${longText})`, async () => {
        for (const pooling of poolings) {
          const result = await embedder.embed(PARITY_TEXTS, { pooling, longText });
          expect(result.rows).toBe(PARITY_TEXTS.length);
          ref.texts.forEach((expected, t) => {
            const row = result.data.subarray(t * 4, t * 4 + 4);
            if (!expected) {
              expect(Array.from(row)).toEqual([0, 0, 0, 0]);
              return;
            }
            expectWithin(row, expected[longText][pooling] as number[], `${pooling}/${longText} text ${t}`);
            expect(result.truncated[t]).toBe(longText === 'truncate' && expected.windows.length > 1);
          });
        }
      });
    }

    it('L2-normalized mean', async () => {
      const result = await embedder.embed(PARITY_TEXTS, { normalize: true });
      ref.texts.forEach((expected, t) => {
        if (expected) {
          expectWithin(
            result.data.subarray(t * 4, t * 4 + 4),
            expected.truncate.meanNormalized as number[],
            `normalized ${t}`,
          );
        }
      });
    });
  });
}
