/**
 * The tagger on onnxruntime-node (native) and on ORT-web WASM: the same model files must give the same
 * entities (labels, offsets, text) and the same scores within 1e-4, with CRF decoding and without.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARITY_TEXTS } from '../../embeddings/src/test-utils/embedding-cases.js';
import { createTagger, type Tagger, type TaggerOptions } from './tagger.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../models/fixtures/${name}`, import.meta.url));
const TEXTS = [
  ...PARITY_TEXTS,
  'Анна Каренина встретила Вронского в Москве, на Николаевском вокзале.',
  'Barack Obama visited Berlin and Paris in 2008 with Angela Merkel.',
];

const MODES: Record<string, TaggerOptions> = {
  argmax: { crf: false },
  constrained: { crf: false, constrainBio: true },
  crf: { crf: 'auto' },
};

for (const name of ['bert-token-cls', 'distilbert-token-cls']) {
  describe.each(Object.keys(MODES))(`${name}, %s decoding: native = WASM`, (mode) => {
    let native: Tagger;
    let wasm: Tagger;
    beforeAll(async () => {
      const options = { ...MODES[mode], maxLength: 32 };
      native = await createTagger(fixture(name), { ...options, backend: 'native' });
      wasm = await createTagger(fixture(name), { ...options, backend: 'wasm' });
    });
    afterAll(async () => {
      await native.dispose();
      await wasm.dispose();
    });

    it('runs where it was asked to, and says so', () => {
      expect(native.backend.backend).toBe('native');
      expect(native.backend.native.threads).toBeGreaterThanOrEqual(1);
      expect(wasm.backend.backend).toBe('wasm');
    });

    it('finds the same entities, with the same scores', async () => {
      const [a, b] = [await native.tag(TEXTS), await wasm.tag(TEXTS)];
      expect(a.flat().length).toBeGreaterThan(0);
      const spans = (result: typeof a) =>
        result.map((es) => es.map(({ text, label, start, end }) => ({ text, label, start, end })));
      expect(spans(a)).toEqual(spans(b));
      a.forEach((entities, t) => {
        for (const [k, e] of entities.entries()) {
          expect(Math.abs(e.score - (b[t]?.[k]?.score as number))).toBeLessThanOrEqual(1e-4);
        }
      });
    });
  });
}
