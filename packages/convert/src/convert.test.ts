/**
 * End-to-end parity: every fixture checkpoint (each reader, both families, every head, the DeepPavlov
 * tarball) converted to all four dtypes and run with onnxruntime-node against the PyTorch outputs stored
 * by models/scripts/make_convert_fixtures.py.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DTYPE_FILES } from './core.js';
import { convert } from './node.js';
import {
  argmaxAgreement,
  FIXTURES,
  feeds,
  maxAbsDiff,
  minMeanPooledCosine,
  minRowCosine,
  reference,
} from './test-utils/fixtures.js';

const CASES = [
  { name: 'bert-base', task: 'feature-extraction', reader: 'safetensors F32' },
  { name: 'bert-token-cls', task: 'token-classification', reader: 'torch zip' },
  { name: 'bert-qa', task: 'question-answering', reader: 'legacy pickle' },
  { name: 'bert-seq-cls', task: 'sequence-classification', reader: 'sharded safetensors F16' },
  { name: 'distilbert-base', task: 'feature-extraction', reader: 'safetensors BF16' },
  { name: 'distilbert-token-cls', task: 'token-classification', reader: 'safetensors F16, task from weights' },
  { name: 'distilbert-qa', task: 'question-answering', reader: 'nested state_dict .pth.tar' },
  { name: 'distilbert-seq-cls', task: 'sequence-classification', reader: 'half storages, task from weights' },
  { name: 'deeppavlov-ner', task: 'token-classification', reader: 'DeepPavlov tar.gz + --base' },
] as const;

const DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
type Dtype = (typeof DTYPES)[number];

/**
 * q8 is held to the bounds (mean-pooled / row cosine >= 0.99, token argmax agreement >= 99%).
 * 4-bit weights cost more on these tiny random-weight encoders (hidden 32) than on real widths: cosines land
 * between 0.9 and 0.99 here, so q4 is held to looser bounds that still catch a broken layout (a wrong nibble
 * order or scale gives cosines near 0). The bounds for q4 are checked at the real width (hidden
 * 768, 12 heads, FFN 3072) in real-width.test.ts, and the 4-bit layout exactly against ORT in
 * onnx/quantized-ops.test.ts.
 */
const COSINE: Record<'q8' | 'q4', number> = { q8: 0.99, q4: 0.9 };
const ARGMAX: Record<'q8' | 'q4', number> = { q8: 0.99, q4: 0.95 };

const root = mkdtempSync(path.join(tmpdir(), 'bertweb-convert-test-'));
const metrics: Record<string, unknown>[] = [];

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  console.log(metrics.map((m) => JSON.stringify(m)).join('\n'));
});

describe.each(CASES)('$name ($reader)', ({ name, task }) => {
  const out = path.join(root, name);
  let summaryTask = '';

  beforeAll(async () => {
    const from = name === 'deeppavlov-ner' ? path.join(FIXTURES, 'deeppavlov-ner.tar.gz') : path.join(FIXTURES, name);
    const result = await convert({
      from,
      out,
      dtypes: [...DTYPES],
      ...(name === 'deeppavlov-ner' ? { base: path.join(FIXTURES, 'bert-base') } : {}),
    });
    summaryTask = result.task;
  });

  it('detects the task', () => {
    expect(summaryTask).toBe(task);
  });

  it.each(DTYPES)('%s matches PyTorch', async (dtype: Dtype) => {
    const ref = reference(name);
    const session = await ort.InferenceSession.create(path.join(out, DTYPE_FILES[dtype]));
    try {
      expect([...session.outputNames].sort()).toEqual(Object.keys(ref.outputs).sort());
      const results = await session.run(feeds(ort, ref, session.inputNames));
      const mask = ref.inputs.attention_mask as number[][];
      for (const [output, expected] of Object.entries(ref.outputs)) {
        const tensor = results[output];
        expect(tensor?.dims).toEqual(expected.dims);
        const got = tensor?.data as Float32Array;
        const diff = maxAbsDiff(got, expected.data);
        const row: Record<string, unknown> = { fixture: name, dtype, output, maxAbsDiff: +diff.toPrecision(3) };
        metrics.push(row);
        if (dtype === 'fp32') expect(diff).toBeLessThanOrEqual(1e-4);
        else if (dtype === 'fp16') expect(diff).toBeLessThanOrEqual(2e-2);
        else {
          const cos =
            expected.dims.length === 3
              ? minMeanPooledCosine(got, expected.data, expected.dims, mask)
              : minRowCosine(got, expected.data, expected.dims);
          row.minCosine = +cos.toFixed(5);
          if (expected.dims.length === 3 && output === 'logits') {
            const agreement = argmaxAgreement(got, expected.data, expected.dims, mask);
            row.argmaxAgreement = +agreement.toFixed(4);
            expect(agreement).toBeGreaterThanOrEqual(ARGMAX[dtype]);
          }
          expect(cos).toBeGreaterThanOrEqual(COSINE[dtype]);
        }
      }
    } finally {
      await session.release();
    }
  });
});

describe('output folder', () => {
  it('has config.json with architectures and labels, tokenizer files and crf.json (DeepPavlov)', () => {
    const out = path.join(root, 'deeppavlov-ner');
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    const labels = JSON.parse(readFileSync(path.join(FIXTURES, 'deeppavlov-ner', 'labels.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForTokenClassification']);
    expect(config.id2label).toEqual(Object.fromEntries(labels.map((l: string, i: number) => [String(i), l])));
    expect(config.label2id.O).toBe(0);
    expect(readFileSync(path.join(out, 'vocab.txt'))).toEqual(
      readFileSync(path.join(FIXTURES, 'bert-base', 'vocab.txt')),
    );
    const crf = JSON.parse(readFileSync(path.join(out, 'crf.json'), 'utf8'));
    const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'deeppavlov-ner', 'crf.json'), 'utf8'));
    expect(maxAbsDiff(crf.transitions.flat(), expected.transitions.flat())).toBeLessThan(1e-6);
    expect(maxAbsDiff(crf.start, expected.start)).toBeLessThan(1e-6);
    expect(maxAbsDiff(crf.end, expected.end)).toBeLessThan(1e-6);
  });
});
