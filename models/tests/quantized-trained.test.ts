// q4 on the one trained checkpoint we have (the demo's ner-ru-tiny): the random-weight fixtures are a
// pessimistic case for 4-bit weights, so this measures q4 where training shaped the weights. The checkpoint
// is converted in memory (fp32, q4, q4 with float word embeddings) and run on factRuEval test sentences.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFiles } from '../../packages/convert/src/index.js';
import { tokenizerFromVocab } from '../../packages/core/src/index.js';

const dir = fileURLToPath(new URL('../ner-ru-tiny/', import.meta.url));
const FILES = ['config.json', 'pytorch_model.bin', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'];
const SENTENCES = 400;

/** The first sentences of the test split (CoNLL: one token per line, blank lines between sentences). */
function sentences(): string[] {
  return readFileSync(`${dir}data/factru-test.conll`, 'utf8')
    .split(/\n\s*\n/)
    .map((block) =>
      block
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t')[0])
        .join(' '),
    )
    .filter((s) => s.length > 0)
    .slice(0, SENTENCES);
}

async function logits(model: Uint8Array, inputs: number[][]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out: Float32Array[] = [];
    for (const ids of inputs) {
      const shape = [1, ids.length];
      const result = await session.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), shape),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), shape),
      });
      out.push(result.logits?.data as Float32Array);
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Lowest cosine of per-sentence mean-pooled logits, and the share of tokens whose argmax agrees. */
function agreement(got: Float32Array[], want: Float32Array[], labels: number) {
  let minCosine = 1;
  let same = 0;
  let tokens = 0;
  got.forEach((g, s) => {
    const w = want[s] as Float32Array;
    const a = new Float64Array(labels);
    const b = new Float64Array(labels);
    for (let t = 0; t < w.length / labels; t++) {
      let ia = 0;
      let ib = 0;
      for (let l = 0; l < labels; l++) {
        const x = w[t * labels + l] as number;
        const y = g[t * labels + l] as number;
        a[l] = (a[l] as number) + x;
        b[l] = (b[l] as number) + y;
        if (x > (w[t * labels + ia] as number)) ia = l;
        if (y > (g[t * labels + ib] as number)) ib = l;
      }
      tokens++;
      if (ia === ib) same++;
    }
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let l = 0; l < labels; l++) {
      dot += (a[l] as number) * (b[l] as number);
      na += (a[l] as number) ** 2;
      nb += (b[l] as number) ** 2;
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
  });
  return { minCosine, argmaxAgreement: same / tokens, tokens };
}

describe('q4 and q8 on the trained ner-ru-tiny checkpoint (400 factRuEval test sentences)', () => {
  const labels = Object.keys(JSON.parse(readFileSync(`${dir}config.json`, 'utf8')).id2label).length;
  let reference: Float32Array[];
  let inputs: number[][];
  const checkpoint = new Map(FILES.map((f) => [f, new Uint8Array(readFileSync(dir + f))]));

  beforeAll(async () => {
    const tokenizer = tokenizerFromVocab(
      readFileSync(`${dir}vocab.txt`, 'utf8'),
      JSON.parse(readFileSync(`${dir}tokenizer_config.json`, 'utf8')),
    );
    inputs = sentences().map((s) => tokenizer.encode(s, { truncation: { maxLength: 256 } }).ids);
    const fp32 = await convertFiles(checkpoint, { dtypes: ['fp32'] });
    reference = await logits(fp32.get('onnx/model.onnx') as Uint8Array, inputs);
  });

  it.each([
    { variant: 'q4, 4-bit word embeddings (default)', dtype: 'q4', quantizeEmbeddings: true, bound: 0.98 },
    { variant: 'q4 --float-embeddings', dtype: 'q4', quantizeEmbeddings: false, bound: 0.99 },
    { variant: 'q8', dtype: 'q8', quantizeEmbeddings: true, bound: 0.99 },
  ] as const)(
    '$variant: cosine >= 0.99, token argmax agreement >= $bound',
    async ({ variant, dtype, quantizeEmbeddings, bound }) => {
      const out = await convertFiles(checkpoint, { dtypes: [dtype], quantizeEmbeddings });
      const file = dtype === 'q4' ? 'onnx/model_q4.onnx' : 'onnx/model_quantized.onnx';
      const result = agreement(await logits(out.get(file) as Uint8Array, inputs), reference, labels);
      console.log(`${variant}: ${JSON.stringify(result)}`);
      expect(result.minCosine).toBeGreaterThanOrEqual(0.99);
      expect(result.argmaxAgreement).toBeGreaterThanOrEqual(bound);
    },
  );
});
