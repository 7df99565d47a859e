import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type LoadedModel, loadModel, serve } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Classifier, createClassifier } from './classifier.js';

const FIXTURES = new URL('../../../models/fixtures/', import.meta.url).pathname;
const BERT = join(FIXTURES, 'bert-seq-cls');
const DISTIL = join(FIXTURES, 'distilbert-seq-cls');

describe('Classifier on the fixtures', () => {
  let bert: LoadedModel;
  let classifier: Classifier;
  beforeAll(async () => {
    bert = await loadModel(BERT, { backend: 'wasm' });
    classifier = await createClassifier(bert);
  });
  afterAll(() => bert.dispose());

  it('reads labels and activation from config.json', async () => {
    expect(classifier.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(classifier.activation).toBe('softmax');
    expect(classifier.threshold).toBeUndefined();
    const multi = await createClassifier(DISTIL, { backend: 'wasm' });
    expect([multi.activation, multi.threshold, multi.labels]).toEqual(['sigmoid', 0.5, ['toxic', 'insult', 'threat']]);
    await multi.dispose();
  });

  it('returns all labels summing to 1 for softmax, honours topK and threshold per call', async () => {
    const [all] = await classifier.classify(['good']);
    expect(all?.labels).toHaveLength(3);
    expect(all?.labels.reduce((s, l) => s + l.score, 0)).toBeCloseTo(1, 10);
    const [top] = await classifier.classify(['good'], { topK: 1 });
    expect(top?.labels).toEqual(all?.labels.slice(0, 1));
    const [above] = await classifier.classify(['good'], { threshold: 0.3 });
    expect(above?.labels).toEqual(all?.labels.filter((l) => l.score > 0.3));
  });

  it('classifies pairs with token types and truncates long pairs longest_first with a flag', async () => {
    const short = await createClassifier(bert, { maxLength: 12 });
    const long = 'one two three four five six seven eight nine ten eleven twelve';
    const results = await short.classify(['ok', ['a b', 'c d'], long, [long, 'x']]);
    expect(results.map((r) => r.truncated)).toEqual([false, false, true, true]);
    // A pair differs from its concatenation: the second segment has token type 1.
    const [pair, joined] = await classifier.classify([['a man sleeps', 'nobody sleeps'], 'a man sleeps nobody sleeps']);
    expect(pair?.labels).not.toEqual(joined?.labels);
  });

  it('handles empty, emoji, control and lone-surrogate texts; rejects non-strings', async () => {
    const results = await classifier.classify(['', '   ', '😀', '\u0000\u0001', '\ud800x\udfff']);
    for (const r of results) expect(r.labels).toHaveLength(3);
    expect(await classifier.classify([])).toEqual([]);
    const invalid = expect.objectContaining({ code: 'INPUT_INVALID' });
    await expect(classifier.classify([1 as unknown as string])).rejects.toEqual(invalid);
    await expect(classifier.classify([['a'] as unknown as [string, string]])).rejects.toEqual(invalid);
    await expect(classifier.classify('text' as unknown as string[])).rejects.toEqual(invalid);
    await expect(classifier.classify(['x'], { topK: 0 })).rejects.toEqual(invalid);
  });

  it('aborts, and rejects after dispose without touching a shared model', async () => {
    await expect(classifier.classify(['x'], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    const c = await createClassifier(bert);
    await c.dispose();
    await expect(c.classify(['x'])).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(bert.disposed).toBe(false);
  });
});

describe('Classifier model checks', () => {
  it('rejects a label map that does not match the logits', async () => {
    await expect(createClassifier(BERT, { backend: 'wasm', labels: ['a', 'b'] })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    });
    const config = JSON.parse(readFileSync(join(BERT, 'config.json'), 'utf8'));
    config.id2label = { 0: 'only' };
    const files: Record<string, Uint8Array> = {
      'config.json': new TextEncoder().encode(JSON.stringify(config)),
      'onnx/model.onnx': readFileSync(join(BERT, 'onnx/model.onnx')),
      'vocab.txt': readFileSync(join(BERT, 'vocab.txt')),
      'tokenizer_config.json': readFileSync(join(BERT, 'tokenizer_config.json')),
    };
    await expect(createClassifier({ files, name: 'edited' }, { backend: 'wasm' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    });
  });

  it('rejects token-classification models', async () => {
    await expect(createClassifier(join(FIXTURES, 'bert-token-cls'), { backend: 'wasm' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    });
  });
});

describe('Classifier through serve/connect', () => {
  it('gives the same results as in-thread', async () => {
    const channel = new MessageChannel();
    serve({ classifier: createClassifier }, channel.port1);
    const client = connect<{ classifier: typeof createClassifier }>(channel.port2);
    try {
      const remote = await client.create('classifier', DISTIL, { backend: 'wasm', threshold: 0.6 });
      const local = await createClassifier(DISTIL, { backend: 'wasm', threshold: 0.6 });
      expect(remote.labels).toEqual(local.labels);
      const inputs: [string, string][] = [['you are awful', 'really']];
      expect(await remote.classify(['hello', ...inputs], { topK: 2 })).toEqual(
        await local.classify(['hello', ...inputs], { topK: 2 }),
      );
      await remote.dispose();
      await local.dispose();
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });
});
