/**
 * Bad input: truncated, corrupt and hostile files, unknown architectures, missing / extra tensors and
 * shape mismatches give a clear BertwebError, and a failed `convert` leaves no output folder behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { convertFiles } from './convert-files.js';
import { BertwebError, type ErrorCode } from './core.js';
import { convert } from './node.js';
import type { ConvertSummary } from './pipeline.js';
import { FIXTURES, fixtureFiles } from './test-utils/fixtures.js';
import { decodeSafetensors, encodeSafetensors } from './test-utils/safetensors.js';

async function failure(promise: Promise<unknown>): Promise<BertwebError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BertwebError) return error;
    throw new Error(`expected a BertwebError, got ${String(error)}`);
  }
  throw new Error('expected the conversion to fail');
}

async function expectError(promise: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<BertwebError> {
  const error = await failure(promise);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
  return error;
}

const FP32 = { dtypes: ['fp32'] as const };
const bertBase = () => fixtureFiles('bert-base');

function withConfig(
  files: Map<string, Uint8Array>,
  change: (config: Record<string, unknown>) => void,
): Map<string, Uint8Array> {
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json')));
  change(config);
  return new Map(files).set('config.json', new TextEncoder().encode(JSON.stringify(config)));
}

async function withTensors(
  files: Map<string, Uint8Array>,
  change: (tensors: Map<string, { shape: number[]; data: Float32Array }>) => void,
): Promise<Map<string, Uint8Array>> {
  const tensors = await decodeSafetensors(files.get('model.safetensors') as Uint8Array);
  change(tensors);
  return new Map(files).set('model.safetensors', encodeSafetensors(tensors));
}

const cut = (bytes: Uint8Array, share: number) => bytes.subarray(0, Math.floor(bytes.byteLength * share));

describe('truncated and corrupt files', () => {
  it('truncated torch zip', async () => {
    const files = fixtureFiles('bert-token-cls');
    files.set('pytorch_model.bin', cut(files.get('pytorch_model.bin') as Uint8Array, 0.6));
    await expectError(convertFiles(files, FP32), 'MODEL_INVALID', /truncated|not a readable zip/);
  });

  it('truncated legacy pickle checkpoint', async () => {
    for (const share of [0.005, 0.5]) {
      const files = fixtureFiles('bert-qa');
      files.set('pytorch_model.bin', cut(files.get('pytorch_model.bin') as Uint8Array, share));
      await expectError(convertFiles(files, FP32), 'MODEL_INVALID', /truncated/);
    }
  });

  it('truncated safetensors', async () => {
    const files = bertBase();
    files.set('model.safetensors', cut(files.get('model.safetensors') as Uint8Array, 0.7));
    await expectError(convertFiles(files, FP32), 'MODEL_INVALID', /truncated/);
  });

  it('safetensors with a broken header', async () => {
    const files = bertBase();
    const bytes = (files.get('model.safetensors') as Uint8Array).slice();
    bytes[8] = 0x5b; // '[' instead of '{'
    bytes[9] = 0x7d;
    await expectError(convertFiles(files.set('model.safetensors', bytes), FP32), 'MODEL_INVALID', /safetensors/);
  });

  it('corrupt pickle inside a torch zip', async () => {
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256);
    garbage[0] = 0x80;
    garbage[1] = 0x02;
    const zip = zipSync({
      'archive/data.pkl': [garbage, { level: 0 }],
      'archive/version': new TextEncoder().encode('3\n'),
    });
    const files = bertBase();
    files.delete('model.safetensors');
    files.set('pytorch_model.bin', zip);
    await expectError(convertFiles(files, FP32), 'MODEL_INVALID', /corrupt pickle/);
  });

  it('truncated DeepPavlov tarball', async () => {
    const archive = readFileSync(path.join(FIXTURES, 'deeppavlov-ner.tar.gz'));
    for (const share of [0.3, 0.97]) {
      const files = new Map([['ner.tar.gz', new Blob([cut(new Uint8Array(archive), share) as BlobPart])]]);
      await expectError(convertFiles(files, { ...FP32, base: bertBase() }), 'MODEL_INVALID', /truncated|corrupt/);
    }
  });
});

describe('hostile pickles are refused and nothing runs', () => {
  const marker = '/tmp/bertweb-pwned';

  it.each([
    ['hostile-system.bin', /refusing to load global posix\.system/],
    ['hostile-eval-legacy.bin', /refusing to load global (builtins|__builtin__)\.eval/],
  ])('%s', async (file, message) => {
    rmSync(marker, { force: true });
    const files = new Map([[file, new Uint8Array(readFileSync(path.join(FIXTURES, file)))]]);
    await expectError(convertFiles(files, { ...FP32, base: bertBase() }), 'MODEL_INVALID', message);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('model mismatches', () => {
  it('unknown architecture', async () => {
    await expectError(
      convertFiles(
        withConfig(bertBase(), (c) => (c.architectures = ['BertForMultipleChoice'])),
        FP32,
      ),
      'UNSUPPORTED',
      /architecture BertForMultipleChoice is not supported/,
    );
    await expectError(
      convertFiles(
        withConfig(bertBase(), (c) => (c.model_type = 'gpt2')),
        FP32,
      ),
      'UNSUPPORTED',
      /model_type "gpt2"/,
    );
  });

  it('missing tensor', async () => {
    const files = await withTensors(bertBase(), (t) => t.delete('encoder.layer.1.output.dense.weight'));
    await expectError(
      convertFiles(files, FP32),
      'MODEL_INVALID',
      /missing tensor.*encoder\.layer\.1\.output\.dense\.weight/,
    );
  });

  it('extra tensor: an error by default, a warning with allowExtraTensors', async () => {
    const files = await withTensors(bertBase(), (t) =>
      t.set('adapter.down.weight', { shape: [4, 32], data: new Float32Array(128) }),
    );
    await expectError(convertFiles(files, FP32), 'MODEL_INVALID', /does not use: adapter\.down\.weight/);
    let summary: ConvertSummary | undefined;
    const out = await convertFiles(files, { ...FP32, allowExtraTensors: true, onSummary: (s) => (summary = s) });
    expect(out.has('onnx/model.onnx')).toBe(true);
    expect(summary?.warnings.join()).toMatch(/adapter\.down\.weight/);
  });

  it('known leftovers (pretraining heads, buffers) are dropped silently and listed', async () => {
    const files = await withTensors(bertBase(), (t) => {
      t.set('cls.predictions.bias', { shape: [1000], data: new Float32Array(1000) });
      t.set('embeddings.position_ids', { shape: [1, 64], data: new Float32Array(64) });
    });
    let summary: ConvertSummary | undefined;
    await convertFiles(files, { ...FP32, onSummary: (s) => (summary = s) });
    expect(summary?.ignoredTensors).toEqual(['cls.predictions.bias', 'embeddings.position_ids']);
    expect(summary?.warnings).toEqual([]);
  });

  it('shape mismatch between config and weights', async () => {
    await expectError(
      convertFiles(
        withConfig(bertBase(), (c) => (c.intermediate_size = 128)),
        FP32,
      ),
      'MODEL_INVALID',
      /shape mismatch: encoder\.layer\.0\.intermediate\.dense\.weight is \[64, 32\], the config implies \[128, 32\]/,
    );
    await expectError(
      convertFiles(
        withConfig(bertBase(), (c) => (c.num_attention_heads = 5)),
        FP32,
      ),
      'MODEL_INVALID',
      /not divisible by 5 attention heads/,
    );
  });

  it('config describing the other family', async () => {
    const distil = fixtureFiles('distilbert-base').get('config.json') as Uint8Array;
    await expectError(
      convertFiles(bertBase().set('config.json', distil), FP32),
      'MODEL_INVALID',
      /distilbert model but the weights are bert/,
    );
  });

  it('no config.json and no base: asks for --base instead of guessing', async () => {
    const files = bertBase();
    files.delete('config.json');
    await expectError(convertFiles(files, FP32), 'MODEL_INVALID', /no config\.json; pass --base/);
  });

  it('no tokenizer anywhere', async () => {
    const files = bertBase();
    files.delete('vocab.txt');
    await expectError(convertFiles(files, FP32), 'MODEL_INVALID', /no tokenizer/);
  });

  it('BERT classifier + pooler without architectures is ambiguous until --task says', async () => {
    const files = withConfig(fixtureFiles('bert-seq-cls'), (c) => delete c.architectures);
    await expectError(
      convertFiles(files, FP32),
      'MODEL_INVALID',
      /--task token-classification or --task sequence-classification/,
    );
    let summary: ConvertSummary | undefined;
    await convertFiles(files, { ...FP32, task: 'classify', onSummary: (s) => (summary = s) });
    expect(summary?.task).toBe('sequence-classification');
    expect(summary?.labels).toEqual(['negative', 'neutral', 'positive']);
  });

  it('a label file that does not match the classifier', async () => {
    const { unpackArchive } = await import('./convert-files.js');
    const unpacked = await unpackArchive(new Blob([readFileSync(path.join(FIXTURES, 'deeppavlov-ner.tar.gz'))]));
    unpacked.set('ner_fixture_bert_torch/tag.dict', new Blob(['O\t10\nB-PER\t3\n']));
    await expectError(
      convertFiles(unpacked, { ...FP32, base: bertBase() }),
      'MODEL_INVALID',
      /tag\.dict lists 2 labels but the classifier has 7/,
    );
  });

  it('bad options', async () => {
    await expectError(convertFiles(bertBase(), { dtypes: ['int3' as 'q4'] }), 'INPUT_INVALID', /unknown dtype int3/);
    await expectError(convertFiles(bertBase(), { task: 'summarize' }), 'INPUT_INVALID', /unknown task "summarize"/);
    await expectError(
      convertFiles(bertBase(), { q8Mode: 'per-tensor' as 'dynamic' }),
      'INPUT_INVALID',
      /unknown q8Mode "per-tensor"; use per-row, dynamic, nbits, dequantize/,
    );
  });
});

describe('convert() on disk', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bertweb-convert-errors-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('leaves no output and no temp folder when a conversion fails midway', async () => {
    const from = path.join(root, 'broken');
    mkdirSync(from);
    for (const [name, bytes] of await withTensors(bertBase(), (t) => t.delete('pooler.dense.bias'))) {
      writeFileSync(path.join(from, name), bytes);
    }
    const out = path.join(root, 'out');
    await expectError(convert({ from, out }), 'MODEL_INVALID', /missing tensor/);
    expect(readdirSync(root).sort()).toEqual(['broken']);
  });

  it('fails on hostile files without leaving anything behind', async () => {
    const out = path.join(root, 'hostile-out');
    await expectError(
      convert({ from: path.join(FIXTURES, 'hostile-system.bin'), base: path.join(FIXTURES, 'bert-base'), out }),
      'MODEL_INVALID',
      /refusing to load global posix\.system/,
    );
    expect(readdirSync(root).filter((n) => n.startsWith('hostile-out'))).toEqual([]);
  });

  it('aborts between tensors and cleans up', async () => {
    const out = path.join(root, 'aborted');
    const controller = new AbortController();
    const promise = convert({
      from: path.join(FIXTURES, 'bert-base'),
      out,
      onProgress: (e) => {
        if (e.stage === 'write') controller.abort();
      },
      signal: controller.signal,
    });
    await expectError(promise, 'ABORTED', /abort/);
    expect(readdirSync(root).filter((n) => n.startsWith('aborted'))).toEqual([]);
  });

  it('refuses to overwrite unless asked, and then replaces atomically', async () => {
    const out = path.join(root, 'existing');
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep.txt'), 'old');
    await expectError(
      convert({ from: path.join(FIXTURES, 'bert-base'), out, dtypes: ['fp32'] }),
      'INPUT_INVALID',
      /already exists/,
    );
    expect(readFileSync(path.join(out, 'keep.txt'), 'utf8')).toBe('old');
    await convert({ from: path.join(FIXTURES, 'bert-base'), out, dtypes: ['fp32'], overwrite: true });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'onnx', 'tokenizer_config.json', 'vocab.txt']);
  });

  it('missing checkpoint path and base', async () => {
    await expectError(
      convert({ from: path.join(root, 'nope'), out: path.join(root, 'x') }),
      'MODEL_NOT_FOUND',
      /does not exist/,
    );
  });
});
