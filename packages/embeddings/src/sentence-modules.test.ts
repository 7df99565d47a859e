/**
 * sentence-transformers modules against PyTorch: models/scripts/make_hub_fixtures.py re-implements
 * Pooling / Dense / Normalize from sentence_transformers/models/{Pooling,Dense,Normalize}.py in torch and
 * stores random token embeddings with the outputs of every pooling mode, each Dense activation (with and
 * without bias) and chains of modules (models/fixtures/hub/sentence-modules-reference.json).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BertwebError, type ModelFiles, resolveSource } from '@bertweb/core';
import { describe, expect, it } from 'vitest';
import { applySentenceModules, loadSentenceModules, poolingModes, sentenceDimension } from './sentence-modules.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REFERENCE = path.resolve(here, '../../../models/fixtures/hub/sentence-modules-reference.json');

interface DenseCase {
  config: Record<string, unknown>;
  weight: number[][];
  bias: number[] | null;
}
interface Case {
  name: string;
  pooling: Record<string, unknown>;
  dense: DenseCase[];
  normalize: boolean;
  output: { dims: number[]; data: number[] };
}
const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
  token_embeddings: { dims: number[]; data: number[] };
  attention_mask: number[][];
  cases: Case[];
};

const enc = new TextEncoder();
const json = (value: unknown) => enc.encode(JSON.stringify(value));

/** A float32 safetensors file (the layout bertweb convert writes for Dense weights). */
function safetensors(tensors: Record<string, { shape: number[]; data: number[] }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  const text = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(text.byteLength), true);
  out.set(text, 8);
  let p = 8 + text.byteLength;
  for (const t of Object.values(tensors)) {
    for (const v of t.data) {
      view.setFloat32(p, v, true);
      p += 4;
    }
  }
  return out;
}

/** A model folder with the case's modules, as sentence-transformers saves them (weights converted). */
function folderOf(c: Case): ModelFiles {
  const modules: Record<string, unknown>[] = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  const files: Record<string, Uint8Array> = { '1_Pooling/config.json': json(c.pooling) };
  c.dense.forEach((d, i) => {
    const dir = `${i + 2}_Dense`;
    modules.push({ idx: i + 2, name: String(i + 2), path: dir, type: 'sentence_transformers.models.Dense' });
    files[`${dir}/config.json`] = json(d.config);
    const tensors: Record<string, { shape: number[]; data: number[] }> = {
      'linear.weight': { shape: [d.weight.length, d.weight[0]?.length ?? 0], data: d.weight.flat() },
    };
    if (d.bias) tensors['linear.bias'] = { shape: [d.bias.length], data: d.bias };
    files[`${dir}/model.safetensors`] = safetensors(tensors);
  });
  if (c.normalize) {
    const idx = modules.length;
    modules.push({ idx, name: String(idx), path: `${idx}_Normalize`, type: 'sentence_transformers.models.Normalize' });
  }
  files['modules.json'] = json(modules);
  return resolveSource({ files, name: c.name });
}

const [batch = 0, seq = 0, dim = 0] = ref.token_embeddings.dims;
const rowTokens = (r: number) => ref.token_embeddings.data.slice(r * seq * dim, (r + 1) * seq * dim);

describe('sentence-transformers modules vs PyTorch', () => {
  it.each(ref.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const pipeline = await loadSentenceModules(folderOf(c));
    expect(pipeline).toBeDefined();
    if (!pipeline) return;
    const width = c.output.dims[1] as number;
    expect(sentenceDimension(pipeline, dim)).toBe(width);
    expect(pipeline.normalized).toBe(c.normalize);
    let maxDiff = 0;
    for (let r = 0; r < batch; r++) {
      // Padded rows (the reference batch) and the unpadded prefix must give the same vector.
      const mask = ref.attention_mask[r] as number[];
      const padded = applySentenceModules(pipeline, rowTokens(r), mask, dim);
      const length = mask.filter((m) => m === 1).length;
      const unpadded = applySentenceModules(pipeline, rowTokens(r).slice(0, length * dim), mask.slice(0, length), dim);
      for (let i = 0; i < width; i++) {
        const expected = c.output.data[r * width + i] as number;
        maxDiff = Math.max(
          maxDiff,
          Math.abs((padded[i] as number) - expected),
          Math.abs((unpadded[i] as number) - expected),
        );
      }
    }
    expect(maxDiff).toBeLessThan(2e-5);
  });
});

describe('bad module folders', () => {
  const base: Case = ref.cases.find((c) => c.dense.length === 2) as Case;
  const withFile = (change: Record<string, unknown>) => {
    const files = folderOf(base);
    return {
      ...files,
      id: 'changed',
      exists: async (name: string) => (name in change ? change[name] !== undefined : files.exists(name)),
      bytes: async (name: string) => (name in change ? json(change[name]) : files.bytes(name)),
      json: async <T>(name: string) => (name in change ? (change[name] as T) : files.json<T>(name)),
    } as ModelFiles;
  };
  const codeOf = async (files: ModelFiles) => {
    try {
      await loadSentenceModules(files);
      return 'ok';
    } catch (error) {
      return error instanceof BertwebError ? `${error.code}: ${error.message}` : String(error);
    }
  };

  it('names an unknown module type (UNSUPPORTED)', async () => {
    const modules = [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_LayerNorm', type: 'sentence_transformers.models.LayerNorm' },
    ];
    expect(await codeOf(withFile({ 'modules.json': modules }))).toMatch(
      /^UNSUPPORTED: sentence-transformers module 2 \(sentence_transformers\.models\.LayerNorm\)/,
    );
  });

  it('refuses an unknown activation and unconverted PyTorch Dense weights', async () => {
    const dense = { ...(base.dense[0]?.config ?? {}), activation_function: 'torch.nn.modules.activation.Softplus' };
    expect(await codeOf(withFile({ '2_Dense/config.json': dense }))).toMatch(/^UNSUPPORTED: .*Softplus/);
    expect(
      await codeOf(
        withFile({ '2_Dense/model.safetensors': undefined, '2_Dense/pytorch_model.bin': { pickled: true } }),
      ),
    ).toMatch(/^UNSUPPORTED: .*convert the folder with bertweb convert/);
  });

  it('MODEL_INVALID for a missing pooling config, a Dense of the wrong width or wrong weight shape', async () => {
    expect(await codeOf(withFile({ '1_Pooling/config.json': undefined }))).toMatch(
      /^MODEL_INVALID: 1_Pooling\/config\.json is missing/,
    );
    expect(await codeOf(withFile({ '1_Pooling/config.json': { pooling_mode_mean_tokens: false } }))).toMatch(
      /enables no pooling mode/,
    );
    const wide = { ...(base.dense[0]?.config ?? {}), in_features: 9 };
    expect(await codeOf(withFile({ '2_Dense/config.json': wide }))).toMatch(
      /^MODEL_INVALID: .*linear\.weight must be \[6, 9\]/,
    );
    const pipeline = await loadSentenceModules(folderOf(base));
    expect(() => sentenceDimension(pipeline as never, dim + 1)).toThrow(/expects width 8|takes 8 values/);
  });

  it('a folder without modules.json has no pipeline; pooling_mode strings are read', async () => {
    expect(await loadSentenceModules(resolveSource({ files: { 'config.json': json({}) } }))).toBeUndefined();
    expect(poolingModes({ pooling_mode: 'lasttoken' }, 'c')).toEqual(['lasttoken']);
    expect(poolingModes({ pooling_mode_mean_tokens: true, pooling_mode_cls_token: true }, 'c')).toEqual([
      'cls',
      'mean',
    ]);
  });
});
