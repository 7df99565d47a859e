/**
 * The in-memory entry (browser drag and drop): same pipeline as `convert`, same bytes out; and the
 * converted graphs run on onnxruntime-web's WASM backend (its Node build), not only onnxruntime-node.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertFiles } from './convert-files.js';
import { convert } from './node.js';
import type { ConvertProgress, ConvertSummary } from './pipeline.js';
import {
  argmaxAgreement,
  FIXTURES,
  feeds,
  fixtureFiles,
  loadOrtWeb,
  maxAbsDiff,
  minMeanPooledCosine,
  reference,
} from './test-utils/fixtures.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const root = mkdtempSync(path.join(tmpdir(), 'bertweb-convert-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('convertFiles', () => {
  it('converts a dropped DeepPavlov tarball (a Blob) with base files, byte-identical to convert()', async () => {
    const archive = new Blob([readFileSync(path.join(FIXTURES, 'deeppavlov-ner.tar.gz'))]);
    const base = fixtureFiles('bert-base');
    const progress: ConvertProgress[] = [];
    let summary: ConvertSummary | undefined;
    const out = await convertFiles(new Map([['ner_fixture_bert_torch.tar.gz', archive]]), {
      base,
      dtypes: ['q8', 'fp32'],
      onProgress: (e) => progress.push(e),
      onSummary: (s) => (summary = s),
    });
    expect([...out.keys()].sort()).toEqual(
      [
        'config.json',
        'crf.json',
        'onnx/model.onnx',
        'onnx/model_quantized.onnx',
        'tokenizer_config.json',
        'vocab.txt',
      ].sort(),
    );
    expect(summary?.task).toBe('token-classification');
    expect(summary?.files.find((f) => f.name === 'onnx/model.onnx')?.bytes).toBe(
      out.get('onnx/model.onnx')?.byteLength,
    );
    const last = progress.filter((e) => e.stage === 'write' && e.file === 'onnx/model.onnx').at(-1);
    expect(last?.loaded).toBeGreaterThan(0);
    expect(progress.at(-1)?.stage).toBe('done');

    const disk = path.join(root, 'ner');
    await convert({
      from: path.join(FIXTURES, 'deeppavlov-ner.tar.gz'),
      base: path.join(FIXTURES, 'bert-base'),
      out: disk,
      dtypes: ['q8', 'fp32'],
    });
    for (const [name, bytes] of out) expect(sha(bytes), name).toBe(sha(readFileSync(path.join(disk, name))));
  });

  it('takes a single weights file plus config and vocab from the base map', async () => {
    const files = fixtureFiles('bert-token-cls');
    const weights = new Map([['pytorch_model.bin', files.get('pytorch_model.bin') as Uint8Array]]);
    const base = new Map([
      ['config.json', files.get('config.json') as Uint8Array],
      ['vocab.txt', files.get('vocab.txt') as Uint8Array],
    ]);
    const out = await convertFiles(weights, { base, dtypes: ['fp32'] });
    expect(JSON.parse(new TextDecoder().decode(out.get('config.json'))).architectures).toEqual([
      'BertForTokenClassification',
    ]);
  });
});

describe('onnxruntime-web (WASM) runs the converted graphs', () => {
  it.each([
    ['bert-token-cls', 'fp32'],
    ['bert-token-cls', 'q8'],
    ['bert-token-cls', 'q4'],
    ['distilbert-base', 'q8'],
  ] as const)('%s %s', async (name, dtype) => {
    const ort = await loadOrtWeb();
    ort.env.wasm.numThreads = 1;
    const out = await convertFiles(fixtureFiles(name), { dtypes: [dtype] });
    const file = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx', q4: 'onnx/model_q4.onnx' }[dtype];
    const session = await ort.InferenceSession.create(out.get(file) as Uint8Array, { executionProviders: ['wasm'] });
    const ref = reference(name);
    const results = await session.run(feeds(ort, ref, session.inputNames));
    await session.release();
    const [output, expected] = Object.entries(ref.outputs)[0] as [string, { dims: number[]; data: number[] }];
    const got = results[output]?.data as Float32Array;
    const mask = ref.inputs.attention_mask as number[][];
    if (dtype === 'fp32') expect(maxAbsDiff(got, expected.data)).toBeLessThanOrEqual(1e-4);
    else if (output === 'logits')
      expect(argmaxAgreement(got, expected.data, expected.dims, mask)).toBeGreaterThanOrEqual(0.98);
    else expect(minMeanPooledCosine(got, expected.data, expected.dims, mask)).toBeGreaterThanOrEqual(0.99);
  });
});
