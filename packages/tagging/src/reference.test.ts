/**
 * Parity with PyTorch: the fixtures' token-classification models rebuilt in torch
 * (models/scripts/ref_tagging.py) tag the exact inputs bertweb builds; bertweb (onnxruntime, WASM)
 * must produce the same inputs, the same tags in every decoding mode, and scores within 1e-4.
 */
import { type LoadedModel, loadModel } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import reference from './__fixtures__/tagging-reference.json' with { type: 'json' };
import { entitiesFromTags } from './entities.js';
import { parseTags } from './scheme.js';
import { createTagger, type TaggerOptions } from './tagger.js';
import { splitWords } from './words.js';

interface ReferenceCase {
  name: string;
  maxLength: number;
  text?: string;
  inputWords?: string[];
  deeppavlovWords?: string[];
  words: string[];
  windows: number[][];
  owner: number[];
  probabilities: number[][];
  decodings: Record<string, { tags: string[]; scores: number[] }>;
}

const TOLERANCE = 1e-4;
const MODES: Record<string, TaggerOptions> = {
  argmax: { crf: false },
  constrained: { crf: false, constrainBio: true },
  crf: { crf: 'auto' },
  crf_constrained: { crf: 'auto', constrainBio: true },
};

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

for (const [fixture, data] of Object.entries(reference.models)) {
  describe(`PyTorch parity: ${fixture}`, () => {
    let model: LoadedModel;
    beforeAll(async () => {
      model = await loadModel(new URL(`../../../models/fixtures/${fixture}`, import.meta.url).pathname, {
        backend: 'wasm',
      });
    });
    afterAll(() => model.dispose());
    const cases = data.cases as ReferenceCase[];

    it('builds the same words, windows and token ids as the reference inputs', async () => {
      for (const c of cases) {
        if (c.text === undefined) continue;
        const tagger = await createTagger(model, { maxLength: c.maxLength });
        const [encoded] = await tagger.encode([c.text]);
        expect(
          encoded?.words.map((w) => w.text),
          c.name,
        ).toEqual(c.words);
        expect(
          encoded?.windows.map((e) => e.ids),
          c.name,
        ).toEqual(c.windows);
        expect(encoded?.owner, c.name).toEqual(c.owner);
      }
    });

    for (const mode of Object.keys(cases[0]?.decodings ?? {})) {
      it(`${mode}: same tags, scores and probabilities within ${TOLERANCE}`, async () => {
        let worst = 0;
        for (const c of cases) {
          const want = c.decodings[mode];
          if (!want) throw new Error(`${c.name} lacks ${mode}`);
          const tagger = await createTagger(model, { ...MODES[mode], maxLength: c.maxLength });
          const words = c.inputWords ?? c.words;
          const [got] = await tagger.tagWords([words], { probabilities: true });
          expect(got?.tags, `${c.name} tags`).toEqual(want.tags);
          worst = Math.max(worst, maxDiff(got?.scores ?? [], want.scores));
          worst = Math.max(worst, maxDiff(got?.probabilities ?? [], c.probabilities.flat()));
          if (c.text !== undefined) {
            // tag() on the raw text gives the entities of the reference tags over bertweb's words.
            const [entities] = await tagger.tag([c.text]);
            const spans = splitWords(c.text);
            const expectedEntities = entitiesFromTags(c.text, spans, parseTags(want.tags, tagger.scheme), want.scores);
            expect(entities?.map(({ score, ...rest }) => rest)).toEqual(
              expectedEntities.map(({ score, ...rest }) => rest),
            );
            entities?.forEach((e, i) => {
              worst = Math.max(worst, Math.abs(e.score - (expectedEntities[i]?.score ?? Number.NaN)));
              expect(c.text?.slice(e.start, e.end)).toBe(e.text);
            });
          }
        }
        expect(worst).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  });
}

describe("word split vs DeepPavlov's regex", () => {
  const cases = (reference.models['bert-token-cls']?.cases ?? []) as ReferenceCase[];
  const texts = cases.filter((c) => c.text !== undefined);

  it('is identical on plain text', () => {
    for (const name of ['english', 'russian', 'long-word', 'windows']) {
      const c = texts.find((t) => t.name === name);
      expect(
        splitWords(c?.text ?? '').map((w) => w.text),
        name,
      ).toEqual(c?.deeppavlovWords);
    }
  });

  it('differs only by whitespace, control and format characters and by joining marks and emoji', () => {
    const strip = (words: string[]) => words.join('').replace(/[\s\p{Cc}\p{Cf}]/gu, '');
    for (const c of texts) {
      expect(strip(splitWords(c.text ?? '').map((w) => w.text)), c.name).toBe(strip(c.deeppavlovWords ?? []));
    }
  });
});
