/**
 * q8 results that do not depend on the batch: a text's vectors are the same alone, in a batch of short
 * texts and in a batch padded to much longer ones (bertweb's rule: "results never depend on what else is
 * in the batch"). The default q8 graph (`q8Mode: 'per-row'`) quantizes each token's activations with its
 * own scale; the old `dynamic` graph's one scale per batch tensor is the negative control. A generated BERT
 * (GELU) and DistilBERT (ReLU, the zero-point-0 path) are converted in memory, written to a folder and
 * loaded with `@bertweb/core`'s `loadModel`, as bertweb runs them: ORT-web WASM, and onnxruntime-node.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type LoadedModel, loadModel } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFiles } from './convert-files.js';
import type { Q8Mode } from './onnx/bert-graph.js';
import { gaussian } from './test-utils/random.js';
import { encodeSafetensors, type FloatTensor } from './test-utils/safetensors.js';

const H = 128;
const FFN = 512;
const LAYERS = 2;
const VOCAB = 600;
const POSITIONS = 512;

/** Random weights (about the spread of trained BERT weights) in the BERT or DistilBERT layout. */
function checkpoint(family: 'bert' | 'distilbert'): Map<string, Uint8Array> {
  const rand = gaussian(family === 'bert' ? 21 : 22);
  const tensors = new Map<string, FloatTensor>();
  const add = (name: string, shape: number[], mean: number, std: number) => {
    const data = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * rand();
    tensors.set(name, { shape, data });
  };
  const linear = (name: string, out: number, inp: number) => {
    add(`${name}.weight`, [out, inp], 0, 0.08);
    add(`${name}.bias`, [out], 0, 0.02);
  };
  const norm = (name: string) => {
    add(`${name}.weight`, [H], 1, 0.05);
    add(`${name}.bias`, [H], 0, 0.02);
  };
  add('embeddings.word_embeddings.weight', [VOCAB, H], 0, 0.5);
  add('embeddings.position_embeddings.weight', [POSITIONS, H], 0, 0.1);
  norm('embeddings.LayerNorm');
  if (family === 'bert') add('embeddings.token_type_embeddings.weight', [2, H], 0, 0.1);
  for (let l = 0; l < LAYERS; l++) {
    if (family === 'bert') {
      const p = `encoder.layer.${l}`;
      for (const n of ['query', 'key', 'value']) linear(`${p}.attention.self.${n}`, H, H);
      linear(`${p}.attention.output.dense`, H, H);
      norm(`${p}.attention.output.LayerNorm`);
      linear(`${p}.intermediate.dense`, FFN, H);
      linear(`${p}.output.dense`, H, FFN);
      norm(`${p}.output.LayerNorm`);
    } else {
      const p = `transformer.layer.${l}`;
      for (const n of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) linear(`${p}.attention.${n}`, H, H);
      norm(`${p}.sa_layer_norm`);
      linear(`${p}.ffn.lin1`, FFN, H);
      linear(`${p}.ffn.lin2`, H, FFN);
      norm(`${p}.output_layer_norm`);
    }
  }
  const config =
    family === 'bert'
      ? {
          architectures: ['BertModel'],
          model_type: 'bert',
          vocab_size: VOCAB,
          hidden_size: H,
          num_hidden_layers: LAYERS,
          num_attention_heads: 4,
          intermediate_size: FFN,
          max_position_embeddings: POSITIONS,
          hidden_act: 'gelu',
        }
      : {
          architectures: ['DistilBertModel'],
          model_type: 'distilbert',
          vocab_size: VOCAB,
          dim: H,
          n_layers: LAYERS,
          n_heads: 4,
          hidden_dim: FFN,
          max_position_embeddings: POSITIONS,
          activation: 'relu',
        };
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const vocab = Array.from({ length: VOCAB }, (_, i) => special[i] ?? `w${i}`);
  const text = new TextEncoder();
  return new Map([
    ['model.safetensors', encodeSafetensors(tensors)],
    ['config.json', text.encode(JSON.stringify(config))],
    ['vocab.txt', text.encode(`${vocab.join('\n')}\n`)],
  ]);
}

/** A text of `words` vocabulary words (one token each). */
function sentence(rand: () => number, words: number): string {
  return Array.from({ length: words }, () => `w${5 + (Math.floor(Math.abs(rand()) * 1e6) % (VOCAB - 5))}`).join(' ');
}

const rand = gaussian(5);
const TARGET = sentence(rand, 12);
const SHORT = [sentence(rand, 7), sentence(rand, 15), sentence(rand, 3)];
const LONG = [sentence(rand, 400), sentence(rand, 250), sentence(rand, 480)];

const root = mkdtempSync(join(tmpdir(), 'bertweb-q8-batching-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function convertedFolder(family: 'bert' | 'distilbert', q8Mode?: Q8Mode): Promise<string> {
  const out = await convertFiles(checkpoint(family), {
    dtypes: ['fp32', 'q8'],
    ...(q8Mode ? { q8Mode } : {}),
  });
  const folder = join(root, `${family}-${q8Mode ?? 'default'}`);
  for (const [file, bytes] of out) {
    mkdirSync(dirname(join(folder, file)), { recursive: true });
    writeFileSync(join(folder, file), bytes);
  }
  return folder;
}

/** Mean-pooled last_hidden_state of each text, all texts in one session run (padded to the longest). */
async function embed(model: LoadedModel, texts: readonly string[]): Promise<Float32Array[]> {
  const encodings = texts.map((t) => model.tokenizer.encode(t));
  const outputs = await model.infer(encodings, { outputs: ['last_hidden_state'] });
  return outputs.map((out, i) => {
    const tensor = out.last_hidden_state as { data: Float32Array; dims: readonly number[] };
    const tokens = encodings[i]?.ids.length as number;
    const mean = new Float32Array(H);
    for (let s = 0; s < tokens; s++) {
      for (let d = 0; d < H; d++) mean[d] = (mean[d] as number) + (tensor.data[s * H + d] as number) / tokens;
    }
    return mean;
  });
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);
const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * (b[i] as number);
    na += x * x;
    nb += (b[i] as number) ** 2;
  });
  return dot / Math.sqrt(na * nb);
};

/** The target text alone, at the end of a batch of short texts, and among long texts (the batch pads to 482). */
async function placements(
  model: LoadedModel,
): Promise<{ alone: Float32Array; short: Float32Array; long: Float32Array }> {
  const [alone] = await embed(model, [TARGET]);
  const short = (await embed(model, [...SHORT, TARGET]))[3];
  const long = (await embed(model, [LONG[0] as string, TARGET, ...LONG.slice(1)]))[1];
  return { alone: alone as Float32Array, short: short as Float32Array, long: long as Float32Array };
}

describe.each([
  ['bert', 'GELU'],
  ['distilbert', 'ReLU'],
] as const)('q8 on a generated %s (%s)', (family, _activation) => {
  const models: LoadedModel[] = [];
  let folder: string;
  let dynamicFolder: string;
  beforeAll(async () => {
    folder = await convertedFolder(family);
    dynamicFolder = await convertedFolder(family, 'dynamic');
  });
  afterAll(async () => {
    for (const m of models) await m.dispose();
  });
  const load = async (dir: string, backend: 'wasm' | 'native', dtype: 'q8' | 'fp32') => {
    // One session run for the whole batch: the budgets exceed the long batch (4 x 482 tokens).
    const model = await loadModel(dir, { backend, dtype, maxBatchTokens: 1 << 16, maxBatchSize: 16 });
    models.push(model);
    return model;
  };

  it.each(['wasm', 'native'] as const)(
    'the default (per-row) q8: the same vectors alone, among short texts and padded among long ones, within 1e-5 (%s)',
    async (backend) => {
      const model = await load(folder, backend, 'q8');
      expect([model.backend.backend, model.backend.file]).toEqual([backend, 'onnx/model_quantized.onnx']);
      const { alone, short, long } = await placements(model);
      expect(maxAbsDiff(alone, short)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(alone, long)).toBeLessThanOrEqual(1e-5);
      // And close to fp32 (the accuracy is measured at real width in real-width.test.ts and the bench).
      const [reference] = await embed(await load(folder, backend, 'fp32'), [TARGET]);
      expect(cosine(alone, reference as Float32Array)).toBeGreaterThanOrEqual(0.999);
    },
  );

  it('the negative control: dynamic q8 (one activation scale per batch tensor) moves with the batch', async () => {
    const { alone, short, long } = await placements(await load(dynamicFolder, 'wasm', 'q8'));
    expect(Math.max(maxAbsDiff(alone, short), maxAbsDiff(alone, long))).toBeGreaterThan(1e-3);
  });
});
