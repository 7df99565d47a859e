/**
 * The classifier with DeepPavlov 1.7's `torch_transformers_classifier` settings (docs/deeppavlov-1.7.md,
 * "Classification"; deeppavlov/models/torch_bert/torch_transformers_classifier.py `__call__`, `load`;
 * deeppavlov/models/classifiers/proba2labels.py) on the converted fixture tarballs, against the
 * PyTorch references in models/fixtures/deeppavlov/reference.json (models/scripts/dp_reference.py
 * `classify`, `proba2labels`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadedModel, loadModel, type TensorOutput } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFiles, unpackArchive } from '../../convert/src/convert-files.js';
import { type Classifier, createClassifier } from './classifier.js';
import {
  convertedFixture,
  DP_FIXTURES,
  DP_MODELS,
  dpReference,
  removeConvertedFixtures,
} from './test-utils/deeppavlov-fixtures.js';

const TOLERANCE = 1e-4;
const reference = dpReference();
afterAll(removeConvertedFixtures);

const invalid = (code: string, pattern: RegExp) =>
  expect.objectContaining({ code, message: expect.stringMatching(pattern) });

/** Every label's score of a result, in class-vocabulary order. */
function scoresByClass(classifier: Classifier, labels: readonly { label: string; score: number }[]): number[] {
  const byLabel = new Map(labels.map((l) => [l.label, l.score]));
  return classifier.labels.map((l) => byLabel.get(l) ?? Number.NaN);
}

describe('rusentiment_bert: softmax, classes.dict order, proba2labels max_proba', () => {
  const ref = reference.rusentiment_bert;
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(await convertedFixture('rusentiment_bert'), { backend: 'wasm' });
  });
  afterAll(() => model.dispose());

  it('keeps the class vocabulary order of classes.dict (the converter writes it into id2label)', async () => {
    const classifier = await createClassifier(model);
    expect(classifier.labels).toEqual(ref.classes);
  });

  it('returnProbas: softmax probabilities within 1e-4; the best label is proba2labels(max_proba)', async () => {
    // The config: n_classes "#classes_vocab.len", return_probas true, max_seq_length 64.
    const classifier = await createClassifier(model, {
      nClasses: 5,
      returnProbas: true,
      multilabel: false,
      maxLength: 64,
    });
    expect(classifier.activation).toBe('softmax');
    const results = await classifier.classify(ref.cases.map((c) => c.text));
    results.forEach((result, i) => {
      const c = ref.cases[i] as (typeof ref.cases)[number];
      expect(result.labels).toHaveLength(5);
      scoresByClass(classifier, result.labels).forEach((s, k) => {
        expect(Math.abs(s - (c.probas[k] as number))).toBeLessThanOrEqual(TOLERANCE);
      });
      expect(result.labels[0]?.label).toBe(c.label);
    });
  });

  it('returnProbas: false gives the argmax class alone, scored with its raw logit', async () => {
    const classifier = await createClassifier(model, { returnProbas: false, maxLength: 64 });
    expect([classifier.activation, classifier.topK, classifier.threshold]).toEqual(['none', 1, undefined]);
    const results = await classifier.classify(ref.cases.map((c) => c.text));
    results.forEach((result, i) => {
      const c = ref.cases[i] as (typeof ref.cases)[number];
      const argmax = c.logits.indexOf(Math.max(...c.logits));
      expect(result.labels).toHaveLength(1);
      expect(result.labels[0]?.label).toBe(ref.classes[argmax]);
      expect(Math.abs((result.labels[0]?.score as number) - (c.logits[argmax] as number))).toBeLessThanOrEqual(
        TOLERANCE,
      );
    });
    // topK still widens it: every class by raw logit.
    const [all] = await classifier.classify([ref.cases[0]?.text as string], { topK: 5 });
    expect(all?.labels).toHaveLength(5);
  });

  it('nClasses that differs from the logits, or a class vocabulary of another size, is MODEL_INVALID naming both', async () => {
    await expect(createClassifier(model, { nClasses: 3 })).rejects.toEqual(
      invalid('MODEL_INVALID', /nClasses is 3 .* logits have 5/),
    );
    await expect(createClassifier(model, { labels: ['a', 'b', 'c', 'd'] })).rejects.toEqual(
      invalid('MODEL_INVALID', /\[5\].*\(options\.labels\) has 4/),
    );
    await expect(createClassifier(model, { isBinary: true })).rejects.toEqual(
      invalid('MODEL_INVALID', /isBinary needs one logit .* 5/),
    );
  });
});

describe('A classes.dict that does not match the classifier size', () => {
  it('fails the conversion with MODEL_INVALID naming both sizes', async () => {
    const spec = DP_MODELS.rusentiment_bert;
    const files = await unpackArchive(new Blob([readFileSync(join(DP_FIXTURES, spec.tarball))]));
    files.set('classes.dict', new Blob(['neutral\t10\npositive\t5\nnegative\t3\n']));
    const base = new Map<string, Uint8Array>();
    for (const name of ['config.json', 'vocab.txt', 'tokenizer_config.json']) {
      base.set(name, new Uint8Array(readFileSync(join(DP_FIXTURES, 'hub', spec.base, name))));
    }
    await expect(convertFiles(files, { base, dtypes: ['fp32'] })).rejects.toEqual(
      invalid('MODEL_INVALID', /classes\.dict lists 3 labels but the classifier has 5 outputs/),
    );
  });
});

describe('topics_distilbert_base_uncased: multilabel sigmoid, proba2labels confidence_threshold 0.5', () => {
  const ref = reference.topics_distilbert_base_uncased;

  it('multilabel: true scores with a sigmoid within 1e-4 and keeps the classes above 0.5', async () => {
    // The converted config.json has no problem_type: the setting comes from the DeepPavlov config.
    const folder = await convertedFixture('topics_distilbert_base_uncased');
    const plain = await createClassifier(folder, { backend: 'wasm' });
    expect(plain.activation).toBe('softmax');
    await plain.dispose();
    const classifier = await createClassifier(folder, {
      backend: 'wasm',
      multilabel: true,
      returnProbas: true,
      nClasses: 8,
      maxLength: 128,
    });
    try {
      expect([classifier.activation, classifier.threshold, classifier.labels]).toEqual(['sigmoid', 0.5, ref.classes]);
      const results = await classifier.classify(ref.cases.map((c) => c.text));
      const all = await classifier.classify(
        ref.cases.map((c) => c.text),
        { threshold: -1 },
      );
      results.forEach((result, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        // proba2labels lists the classes in index order; bertweb best first.
        expect(result.labels.map((l) => l.label).sort()).toEqual([...c.labels].sort());
        scoresByClass(classifier, all[i]?.labels ?? []).forEach((s, k) => {
          expect(Math.abs(s - (c.probas[k] as number))).toBeLessThanOrEqual(TOLERANCE);
        });
      });
    } finally {
      await classifier.dispose();
    }
  });
});

describe('russian_superglue_danetqa_rubert with is_binary (converted from the tarball)', () => {
  const ref = reference.danetqa_binary;
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(await convertedFixture('danetqa_binary'), { backend: 'wasm' });
  });
  afterAll(() => model.dispose());

  it('isBinary: sigmoid of the one logit within 1e-4; both labels, the threshold decision first', async () => {
    const classifier = await createClassifier(model, { isBinary: true, labels: ref.classes, nClasses: 2 });
    expect([classifier.isBinary, classifier.activation, classifier.threshold, classifier.labels]).toEqual([
      true,
      'sigmoid',
      0.5,
      ['False', 'True'],
    ]);
    const results = await classifier.classify(ref.cases.map((c) => [c.text_a, c.text_b] as [string, string]));
    results.forEach((result, i) => {
      const c = ref.cases[i] as (typeof ref.cases)[number];
      const byLabel = new Map(result.labels.map((l) => [l.label, l.score]));
      expect(Math.abs((byLabel.get('True') as number) - c.probas)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs((byLabel.get('False') as number) - (1 - c.probas))).toBeLessThanOrEqual(TOLERANCE);
      // proba2labels with confidence_threshold 0.5 (int(p > 0.5)); not DeepPavlov's max_proba, which
      // always gives classes[0] for is_binary (label_deeppavlov).
      expect(result.labels[0]?.label).toBe(c.label_threshold_0_5);
    });
    // The reference has one case on each side of 0.5 where max_proba and the threshold disagree.
    expect(ref.cases.map((c) => c.label_threshold_0_5)).toEqual(['False', 'True']);
    expect(ref.cases.map((c) => c.label_deeppavlov)).toEqual(['False', 'False']);
  });

  it('moves the decision with the threshold and honours topK', async () => {
    const classifier = await createClassifier(model, { isBinary: true, labels: ref.classes });
    const pair = [ref.cases[1]?.text_a, ref.cases[1]?.text_b] as [string, string]; // p = 0.535
    const [strict] = await classifier.classify([pair], { threshold: 0.6 });
    expect(strict?.labels.map((l) => l.label)).toEqual(['False', 'True']);
    const [top] = await classifier.classify([pair], { topK: 1 });
    expect(top?.labels.map((l) => l.label)).toEqual(['True']);
  });

  it('without labels uses the converted id2label (False / True, as the converter writes for is_binary)', async () => {
    const classifier = await createClassifier(model, { isBinary: true });
    expect(classifier.labels).toEqual(['False', 'True']);
  });

  it('rejects isBinary on a model with more logits, and contradicting settings before loading', async () => {
    const twoLogits = Object.assign(Object.create(model) as LoadedModel, {
      infer: (async (encodings, options) =>
        (await model.infer(encodings, options)).map((r) => ({
          ...r,
          logits: { data: new Float32Array([0, (r.logits as TensorOutput).data[0] as number]), dims: [2] },
        }))) as LoadedModel['infer'],
      dispose: async () => {},
    });
    await expect(createClassifier(twoLogits, { isBinary: true })).rejects.toEqual(
      invalid('MODEL_INVALID', /isBinary needs one logit .* 2 values/),
    );
    const never = 'owner/never-downloaded';
    const fetch = (async () => {
      throw new Error('must not fetch');
    }) as typeof globalThis.fetch;
    const early = (options: object) => createClassifier(never, { fetch, cache: false, ...options });
    await expect(early({ isBinary: true, nClasses: 3 })).rejects.toEqual(invalid('INPUT_INVALID', /nClasses/));
    await expect(early({ isBinary: true, labels: ['only'] })).rejects.toEqual(invalid('INPUT_INVALID', /2 labels/));
    await expect(early({ isBinary: true, multilabel: true })).rejects.toEqual(invalid('INPUT_INVALID', /multilabel/));
    await expect(early({ isBinary: true, activation: 'softmax' })).rejects.toEqual(invalid('INPUT_INVALID', /softmax/));
    await expect(early({ isBinary: true, returnProbas: false })).rejects.toEqual(
      invalid('INPUT_INVALID', /returnProbas/),
    );
    await expect(early({ multilabel: true, returnProbas: false })).rejects.toEqual(
      invalid('INPUT_INVALID', /returnProbas: true/),
    );
    await expect(early({ multilabel: true, activation: 'softmax' })).rejects.toEqual(
      invalid('INPUT_INVALID', /sigmoid/),
    );
    await expect(early({ multilabel: false, activation: 'sigmoid' })).rejects.toEqual(
      invalid('INPUT_INVALID', /softmax/),
    );
    await expect(early({ returnProbas: false, activation: 'softmax' })).rejects.toEqual(
      invalid('INPUT_INVALID', /raw logits/),
    );
    await expect(early({ nClasses: 1, returnProbas: true })).rejects.toEqual(invalid('INPUT_INVALID', /regression/));
    await expect(early({ nClasses: 0 })).rejects.toEqual(invalid('INPUT_INVALID', /nClasses/));
    await expect(early({ isBinary: 'yes' })).rejects.toEqual(invalid('INPUT_INVALID', /isBinary/));
  });

  it('nClasses 1 is regression: the raw logit (DeepPavlov: logits.squeeze(-1))', async () => {
    // The converted id2label names the two binary classes; a regression reading names its one output.
    const classifier = await createClassifier(model, { nClasses: 1, labels: ['logit'] });
    expect(classifier.activation).toBe('none');
    const c = ref.cases[0] as (typeof ref.cases)[number];
    const [result] = await classifier.classify([[c.text_a, c.text_b]]);
    expect(result?.labels).toHaveLength(1);
    expect(Math.abs((result?.labels[0]?.score as number) - (c.logits[0] as number))).toBeLessThanOrEqual(TOLERANCE);
  });
});
