/**
 * The tagger with DeepPavlov 1.7's NER settings (docs/deeppavlov-1.7.md, "NER"): the tag vocabulary of
 * `tag.dict`, `subword_mask_mode`, `max_subword_length`, `use_crf`; on the converted fixture tarballs,
 * against the PyTorch references in models/fixtures/deeppavlov/reference.json (models/scripts/
 * dp_reference.py `ner_preprocess`, `ner_tag`, after deeppavlov/models/preprocessors/
 * torch_transformers_preprocessor.py `TorchTransformersNerPreprocessor` and deeppavlov/models/torch_bert/
 * torch_transformers_sequence_tagger.py `token_from_subtoken`, `TorchTransformersSequenceTagger.__call__`,
 * crf.py `CRF`).
 */
import { type LoadedModel, loadModel } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertedFixture,
  dpReference,
  removeConvertedFixtures,
} from '../../classify/src/test-utils/deeppavlov-fixtures.js';
import { createTagger } from './tagger.js';

const TOLERANCE = 1e-4;
const reference = dpReference();
afterAll(removeConvertedFixtures);

/** The largest absolute difference between bertweb's probabilities and DeepPavlov's probas. */
function worstProba(probabilities: Float32Array | undefined, probas: readonly number[][]): number {
  const n = probas[0]?.length ?? 0;
  let worst = 0;
  probas.forEach((row, w) => {
    row.forEach((p, k) => {
      worst = Math.max(worst, Math.abs((probabilities?.[w * n + k] ?? Number.NaN) - p));
    });
  });
  return Number.isNaN(worst) ? Number.POSITIVE_INFINITY : worst;
}

describe('ner_rus_bert: tag.dict order, subword_mask_mode, max_subword_length 15, no CRF', () => {
  const ref = reference.ner_rus_bert;
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(await convertedFixture('ner_rus_bert'), { backend: 'wasm' });
  });
  afterAll(() => model.dispose());

  it("keeps tag.dict's (unsorted) order as the label order, and has no CRF (use_crf false)", async () => {
    const tagger = await createTagger(model);
    expect(tagger.labels).toEqual(ref.tags);
    expect(tagger.crf).toBeUndefined();
    expect([tagger.maxSubwordPieces, tagger.subwordMaskMode]).toEqual([15, 'first']);
  });

  it('sees the subtokens DeepPavlov sees (1.7 word split, words over 15 pieces as [UNK])', async () => {
    const tagger = await createTagger(model, { maxSubwordPieces: 15 });
    const encoded = await tagger.encode(ref.cases.map((c) => c.text));
    encoded.forEach((e, i) => {
      const c = ref.cases[i] as (typeof ref.cases)[number];
      expect(e.words.map((w) => w.text)).toEqual(c.words);
      expect(e.windows).toHaveLength(1);
      expect(e.windows[0]?.tokens).toEqual(c.subword_tokens);
    });
    expect(ref.cases.some((c) => c.subword_tokens.includes('[UNK]'))).toBe(true);
  });

  it("subwordMaskMode 'first': tags and per-word softmax within 1e-4", async () => {
    const tagger = await createTagger(model, { subwordMaskMode: 'first' });
    const results = await tagger.tagWords(
      ref.cases.map((c) => c.words),
      { probabilities: true },
    );
    results.forEach((r, i) => {
      const c = ref.cases[i] as (typeof ref.cases)[number];
      expect(r.tags).toEqual(c.tags);
      expect(worstProba(r.probabilities, c.probas)).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it("subwordMaskMode 'last': each word tagged from its last subtoken", async () => {
    const tagger = await createTagger(model, { subwordMaskMode: 'last' });
    expect(tagger.subwordMaskMode).toBe('last');
    const results = await tagger.tagWords(ref.cases.map((c) => c.words));
    results.forEach((r, i) => {
      expect(r.tags).toEqual(ref.cases[i]?.last_mode_tags);
    });
    // The two modes differ on this fixture: the test can tell them apart.
    expect(ref.cases.filter((c) => c.tags.join() !== c.last_mode_tags.join()).length).toBeGreaterThan(0);
    // tag() reads the same subtokens: entities follow the last-subtoken tags.
    const [entities] = await tagger.tag([ref.cases[0]?.text as string]);
    const first = await createTagger(model);
    const [firstEntities] = await first.tag([ref.cases[0]?.text as string]);
    expect(entities).not.toEqual(firstEntities);
  });

  it('maxSubwordPieces null: no limit (ner_bert_base), the long word keeps its pieces', async () => {
    const long = ref.cases.find((c) => c.subword_tokens.includes('[UNK]'));
    const unlimited = await createTagger(model, { maxSubwordPieces: null });
    expect(unlimited.maxSubwordPieces).toBeNull();
    const [encoded] = await unlimited.encode([long?.text as string]);
    expect(encoded?.windows[0]?.tokens).not.toContain('[UNK]');
    const big = await createTagger(model, { maxSubwordPieces: 1000 });
    const [same] = await big.encode([long?.text as string]);
    expect(encoded?.windows[0]?.tokens).toEqual(same?.windows[0]?.tokens);
    expect((await createTagger(model, { maxSubwordPieces: Number.POSITIVE_INFINITY })).maxSubwordPieces).toBeNull();
    await expect(createTagger(model, { maxSubwordPieces: 0 })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(createTagger(model, { subwordMaskMode: 'middle' as never })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringMatching(/subwordMaskMode/),
    });
  });
});

describe('ner_ontonotes_bert_mult: 37 OntoNotes BIO tags, use_crf (model_crf.pth.tar)', () => {
  const ref = reference.ner_ontonotes_bert_mult;
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(await convertedFixture('ner_ontonotes_bert_mult'), { backend: 'wasm' });
  });
  afterAll(() => model.dispose());

  it('decodes with the CRF the converter wrote (crf.json), as DeepPavlov: tags and softmax within 1e-4', async () => {
    const tagger = await createTagger(model);
    expect(tagger.labels).toEqual(ref.tags);
    expect(tagger.crf?.transitions).toHaveLength(37);
    const results = await tagger.tagWords(
      ref.cases.map((c) => c.words),
      { probabilities: true },
    );
    results.forEach((r, i) => {
      const c = ref.cases[i] as (typeof ref.cases)[number];
      expect(r.tags).toEqual(c.tags);
      expect(worstProba(r.probabilities, c.probas)).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('crf: false decodes by argmax (use_crf false), which differs here', async () => {
    const tagger = await createTagger(model, { crf: false });
    expect(tagger.crf).toBeUndefined();
    const results = await tagger.tagWords(ref.cases.map((c) => c.words));
    results.forEach((r, i) => {
      expect(r.tags).toEqual(ref.cases[i]?.argmax_tags);
    });
    expect(ref.cases.filter((c) => c.tags.join() !== c.argmax_tags.join()).length).toBe(2);
  });
});
