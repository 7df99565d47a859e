/**
 * Parity with PyTorch: the fixtures' sequence-classification models rebuilt in torch
 * (models/scripts/ref_classify.py) score the exact encodings bertweb builds; bertweb (onnxruntime,
 * WASM) must rank the labels identically, with scores within 1e-4 and the same truncation flags.
 */
import { type LoadedModel, loadModel } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import reference from './__fixtures__/classify-reference.json' with { type: 'json' };
import { type ClassifierInput, createClassifier } from './classifier.js';

const TOLERANCE = 1e-4;

for (const [fixture, data] of Object.entries(reference.models)) {
  describe(`PyTorch parity: ${fixture} (${data.activation})`, () => {
    let model: LoadedModel;
    beforeAll(async () => {
      model = await loadModel(new URL(`../../../models/fixtures/${fixture}`, import.meta.url).pathname, {
        backend: 'wasm',
      });
    });
    afterAll(() => model.dispose());

    it('ranks labels identically with scores within 1e-4 and flags truncation', async () => {
      let worst = 0;
      for (const c of data.cases) {
        // threshold 0 keeps every label, so the whole ranking is compared.
        const classifier = await createClassifier(model, { maxLength: c.maxLength, threshold: 0 });
        expect(classifier.activation).toBe(data.activation);
        const [result] = await classifier.classify([c.input as ClassifierInput]);
        expect(result?.truncated, c.name).toBe(c.truncated);
        expect(
          result?.labels.map((l) => l.label),
          c.name,
        ).toEqual(c.ranked.map((r) => r.label));
        result?.labels.forEach((l, i) => {
          worst = Math.max(worst, Math.abs(l.score - (c.ranked[i]?.score ?? Number.NaN)));
        });
      }
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    });

    it('applies the default selection: all labels (softmax) or those above 0.5 (sigmoid)', async () => {
      const classifier = await createClassifier(model);
      const cases = data.cases.filter((c) => !c.truncated); // the others need their small maxLength
      const results = await classifier.classify(cases.map((c) => c.input as ClassifierInput));
      results.forEach((result, i) => {
        const ranked = cases[i]?.ranked ?? [];
        const expected = data.activation === 'sigmoid' ? ranked.filter((r) => r.score > 0.5) : ranked;
        expect(result.labels.map((l) => l.label)).toEqual(expected.map((r) => r.label));
      });
    });
  });
}
