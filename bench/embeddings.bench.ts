/**
 * Embeddings benchmark: sentences/s embedding STS-B sentences with mean pooling, on ORT-web WASM in Node,
 * with two real model shapes and random weights:
 *   - DistilRuBERT-tiny shape: DistilBertModel, 2 layers, hidden 768, 12 heads, FFN 3072, vocab 119,547;
 *   - rubert-base shape: BertModel, 12 layers, hidden 768, 12 heads, FFN 3072, vocab 119,547.
 * Systems, same ONNX files, same process, interleaved:
 *   - bertweb `embedder.embed(texts)` (length-bucketed micro-batches, no padding waste);
 *   - Transformers.js `pipeline('feature-extraction')` with `{pooling: 'mean'}` in batches of 32, on the SAME
 *     ORT-web module (handed over through `globalThis[Symbol.for('onnxruntime')]`), so both run WASM;
 *   - raw onnxruntime-web (WASM) and raw onnxruntime-node (native CPU): inference plus JS mean pooling on
 *     bertweb's encodings in length-sorted batches of 32 (ceilings; no tokenization, no result objects).
 *
 *   node --conditions=source --import tsx bench/embeddings.bench.ts [--models tiny,base] [--dtypes fp32,q8]
 *        [--tiny-sentences 128] [--base-sentences 128] [--runs 3] [--threads 1]
 *
 * Models are generated once into bench/.tmp/embeddings/ (git-ignored): /usr/bin/python3 writes a random
 * checkpoint with models/scripts/bertlib.py (std 0.04), @bertweb/convert writes onnx/model.onnx (fp32) and
 * onnx/model_quantized.onnx (q8). The tokenizer is bert-base-uncased's real vocabulary (STS-B is English)
 * padded with [unused] entries to 119,547 ids, as vocab.txt and an equivalent tokenizer.json.
 * Prints a JSON summary and a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Encoding, env, loadModel, loadOrt } from '@bertweb/core';
import { createEmbedder } from '@bertweb/embeddings';
import { parseStsCsv } from '@bertweb/eval';
import { bertTokenizerJson } from '../packages/core/src/tokenizer/test-utils/reference.js';
import { isCurrentModel, markCurrentModel } from './lib/converter-stamp.js';
import { environment, interleaved, median, type System } from './lib/measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const tmp = path.join(here, '.tmp', 'embeddings');
const stsb = path.join(root, '..', 'shared', 'data', 'stsb', 'stsb-en-dev.csv');
const bertVocab = path.join(root, '..', 'shared', 'data', 'tokenizers', 'bert-base-uncased', 'vocab.txt');

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: 'tiny,base' },
    dtypes: { type: 'string', default: 'fp32,q8' },
    'tiny-sentences': { type: 'string', default: '128' },
    'base-sentences': { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
  },
});
const RUNS = Number(flags.runs);
const THREADS = Number(flags.threads);
const DTYPES = (flags.dtypes ?? '').split(',').filter(Boolean) as ('fp32' | 'q8')[];
const VOCAB_SIZE = 119_547;
const BATCH = 32;
const SPECIAL_TOKENS = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};

interface Shape {
  readonly key: 'tiny' | 'base';
  readonly name: string;
  readonly description: string;
  readonly sentences: number;
  readonly python: string;
}

const SHAPES: readonly Shape[] = [
  {
    key: 'tiny',
    name: 'distilrubert-tiny-shape',
    description: 'DistilRuBERT-tiny shape (DistilBertModel 2 x 768, 12 heads, FFN 3072, vocab 119,547)',
    sentences: Number(flags['tiny-sentences']),
    python: `config = bertlib.distilbert_config("DistilBertModel")
config.update({"dim": 768, "n_heads": 12, "n_layers": 2, "hidden_dim": 3072, "vocab_size": VOCAB})`,
  },
  {
    key: 'base',
    name: 'rubert-base-shape',
    description: 'rubert-base shape (BertModel 12 x 768, 12 heads, FFN 3072, vocab 119,547)',
    sentences: Number(flags['base-sentences']),
    python: `config = bertlib.bert_config("BertModel")
config.update({"hidden_size": 768, "num_attention_heads": 12, "num_hidden_layers": 12, "intermediate_size": 3072,
               "vocab_size": VOCAB})`,
  },
];

// --------------------------------------------------------------------------------------------- model

const PYTHON_CHECKPOINT = (shape: Shape) => `
import json, os, sys, torch
sys.path.insert(0, os.path.join(os.environ["ROOT"], "models", "scripts"))
import bertlib
VOCAB = int(os.environ["VOCAB"])
${shape.python}
config["max_position_embeddings"] = 512
model = bertlib.init_random_weights(bertlib.model_from_config(config), 4321, std=0.04)
out = os.environ["OUT"]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
torch.save(model.state_dict(), os.path.join(out, "pytorch_model.bin"))
print("checkpoint written:", sum(p.numel() for p in model.parameters()), "parameters")
`;

function vocabulary(): string[] {
  const base = readFileSync(bertVocab, 'utf8').split('\n');
  if (base[base.length - 1] === '') base.pop();
  for (let i = base.length; i < VOCAB_SIZE; i++) base.push(`[unused_pad_${i}]`);
  return base;
}

/** Tokenizer files shared by both libraries (vocab.txt for bertweb's loader, tokenizer.json for both). */
function writeTokenizerFiles(dir: string): void {
  const vocab = vocabulary();
  const files: Record<string, string> = {
    'vocab.txt': `${vocab.join('\n')}\n`,
    'tokenizer.json': JSON.stringify(bertTokenizerJson(vocab)),
    // Transformers.js reads the special tokens (pad_token for batch padding) from tokenizer_config.json.
    'tokenizer_config.json': JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      ...SPECIAL_TOKENS,
    }),
    'special_tokens_map.json': JSON.stringify(SPECIAL_TOKENS),
  };
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
}

async function ensureModel(shape: Shape): Promise<string> {
  const modelDir = path.join(tmp, shape.name);
  const checkpointDir = path.join(tmp, `${shape.name}-checkpoint`);
  if (!isCurrentModel(modelDir, ['onnx/model.onnx', 'onnx/model_quantized.onnx'])) {
    mkdirSync(checkpointDir, { recursive: true });
    if (!existsSync(path.join(checkpointDir, 'pytorch_model.bin'))) {
      const result = spawnSync('/usr/bin/python3', ['-c', PYTHON_CHECKPOINT(shape)], {
        env: { ...process.env, ROOT: root, OUT: checkpointDir, VOCAB: String(VOCAB_SIZE) },
        stdio: ['ignore', 2, 2], // progress to stderr: stdout is the JSON summary
      });
      if (result.status !== 0) throw new Error('python checkpoint generation failed');
    }
    writeTokenizerFiles(checkpointDir);
    const { convert } = await import('@bertweb/convert');
    const result = await convert({
      from: checkpointDir,
      out: modelDir,
      dtypes: ['fp32', 'q8'],
      task: 'feature-extraction',
      overwrite: true,
    });
    markCurrentModel(modelDir);
    console.error(
      `${shape.name}: converted in ${(result.ms / 1000).toFixed(1)} s: ${result.files.map((f) => `${f.name} ${(f.bytes / 1e6).toFixed(1)} MB`).join(', ')}`,
    );
  }
  writeTokenizerFiles(modelDir);
  return modelDir;
}

// ----------------------------------------------------------------------------------------- measuring

interface Row {
  readonly model: string;
  readonly dtype: string;
  readonly system: string;
  readonly seconds: number[];
  readonly sentencesPerSecond: { median: number; min: number; max: number };
  readonly note?: string;
}

function row(model: string, dtype: string, system: string, seconds: number[], n: number, note?: string): Row {
  const rates = seconds.map((s) => n / s);
  return {
    model,
    dtype,
    system,
    seconds: seconds.map((s) => Math.round(s * 1000) / 1000),
    sentencesPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    ...(note ? { note } : {}),
  };
}

/** Mean of the first `length` rows of a padded [len x dim] block (what every system computes). */
function meanPool(data: Float32Array, offset: number, length: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  for (let t = 0; t < length; t++)
    for (let d = 0; d < dim; d++) out[d] = (out[d] as number) + (data[offset + t * dim + d] as number);
  for (let d = 0; d < dim; d++) out[d] = (out[d] as number) / length;
  return out;
}

interface OrtLike {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
}
interface SessionLike {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  readonly inputNames: readonly string[];
}

/** Inference + mean pooling on pre-tokenized encodings, length-sorted batches of 32. */
async function rawRun(ort: OrtLike, session: SessionLike, sorted: readonly Encoding[], dim: number): Promise<number> {
  let rows = 0;
  for (let i = 0; i < sorted.length; i += BATCH) {
    const batch = sorted.slice(i, i + BATCH);
    const len = Math.max(...batch.map((e) => e.ids.length));
    const ids = new BigInt64Array(batch.length * len);
    const mask = new BigInt64Array(batch.length * len);
    batch.forEach((e, r) => {
      e.ids.forEach((id, t) => {
        ids[r * len + t] = BigInt(id);
        mask[r * len + t] = 1n;
      });
    });
    const feeds: Record<string, unknown> = {
      input_ids: new ort.Tensor('int64', ids, [batch.length, len]),
      attention_mask: new ort.Tensor('int64', mask, [batch.length, len]),
    };
    if (session.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch.length * len), [batch.length, len]);
    }
    const out = await session.run(feeds);
    const hidden = out.last_hidden_state?.data as Float32Array;
    batch.forEach((e, r) => {
      meanPool(hidden, r * len * dim, e.ids.length, dim);
      rows++;
    });
  }
  return rows;
}

async function main(): Promise<void> {
  if (!existsSync(stsb)) throw new Error(`STS-B not found at ${stsb}`);
  const all = parseStsCsv(readFileSync(stsb, 'utf8'));
  const unique = [...new Set(all.flatMap((p) => [p.sentence1, p.sentence2]))];

  env.numThreads = THREADS;
  const ort = await loadOrt();
  const coreRequire = createRequire(path.join(root, 'packages', 'core', 'package.json'));
  ort.env.wasm.wasmPaths = `${path.dirname(coreRequire.resolve('onnxruntime-web'))}/`;
  (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = `${tmp}/`;
  const ortNode = await import('onnxruntime-node');

  const wanted = new Set((flags.models ?? '').split(','));
  const rows: Row[] = [];
  const checks: Record<string, number> = {};
  const data: Record<string, string> = {};
  for (const shape of SHAPES.filter((s) => wanted.has(s.key))) {
    const modelDir = await ensureModel(shape);
    const texts = unique.slice(0, shape.sentences);
    for (const dtype of DTYPES) {
      const model = await loadModel(modelDir, { backend: 'wasm', dtype });
      const embedder = await createEmbedder(model, { pooling: 'mean' });
      const dim = embedder.dim;
      const encodings = texts.map((t) => model.tokenizer.encode(t, { truncation: { maxLength: embedder.maxLength } }));
      const tokens = encodings.reduce((n, e) => n + e.ids.length, 0);
      data[shape.key] = `STS-B en dev, first ${texts.length} unique sentences, ${tokens} tokens with [CLS]/[SEP]`;
      // 'auto': with an embedded runtime Transformers.js lists no devices of its own, so ORT-web picks WASM.
      const extractor = await transformers.pipeline('feature-extraction', shape.name, { dtype, device: 'auto' });
      const file = path.join(modelDir, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
      const sorted = [...encodings].sort((a, b) => a.ids.length - b.ids.length);
      const web = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
      const native = await ortNode.InferenceSession.create(file, { intraOpNumThreads: THREADS, interOpNumThreads: 1 });

      let ours = await embedder.embed(texts);
      let theirs: Float32Array[] = [];
      const systems: System[] = [
        {
          name: 'bertweb embedder.embed (mean)',
          run: async () => {
            ours = await embedder.embed(texts);
          },
        },
        {
          name: `Transformers.js feature-extraction (mean, batches of ${BATCH})`,
          run: async () => {
            theirs = [];
            for (let i = 0; i < texts.length; i += BATCH) {
              const out = await extractor(texts.slice(i, i + BATCH), { pooling: 'mean', normalize: false });
              const flat = out.data as Float32Array;
              for (let r = 0; r < (out.dims[0] ?? 0); r++) theirs.push(flat.slice(r * dim, (r + 1) * dim));
            }
          },
        },
        {
          name: 'onnxruntime-web WASM, inference + pooling only',
          note: 'same WASM module; bertweb encodings, length-sorted batches of 32',
          run: () => rawRun(ort as unknown as OrtLike, web as unknown as SessionLike, sorted, dim),
        },
        {
          name: 'onnxruntime-node native CPU, inference + pooling only',
          note: `native, ${THREADS} thread(s); bertweb encodings, length-sorted batches of 32`,
          run: () => rawRun(ortNode as unknown as OrtLike, native as unknown as SessionLike, sorted, dim),
        },
      ];
      const times = await interleaved(
        systems.map((s) => s.run),
        RUNS,
      );
      systems.forEach((system, i) => {
        rows.push(row(shape.name, dtype, system.name, times[i] as number[], texts.length, system.note));
      });
      // Same ONNX, same pooling: the vectors must agree (padding in Transformers.js batches adds float noise).
      let worst = 0;
      theirs.forEach((v, r) => {
        for (let d = 0; d < dim; d++)
          worst = Math.max(worst, Math.abs((v[d] as number) - (ours.data[r * dim + d] as number)));
      });
      checks[`${shape.name}/${dtype} max |bertweb - Transformers.js|`] = worst;
      await embedder.dispose();
      await model.dispose();
      await extractor.dispose();
      await web.release();
      await native.release();
    }
  }

  const versions = environment(ort.env.versions?.web, transformers.env.version);
  const ratio = (model: string, dtype: string, other: string) => {
    const ours = rows.find((r) => r.model === model && r.dtype === dtype && r.system.startsWith('bertweb'));
    const theirs = rows.find((r) => r.model === model && r.dtype === dtype && r.system.startsWith(other));
    // Median of per-run ratios: runs are interleaved, so run r of both systems saw similar machine load.
    if (!ours || !theirs) return null;
    return median(ours.seconds.map((s, r) => (theirs.seconds[r] as number) / s));
  };
  const goals = Object.fromEntries(
    [...new Set(rows.map((r) => `${r.model}/${r.dtype}`))].map((key) => {
      const [model, dtype] = key.split('/') as [string, string];
      return [
        key,
        {
          vsTransformersJs: ratio(model, dtype, 'Transformers.js'),
          vsOrtNode: ratio(model, dtype, 'onnxruntime-node'),
          vsOrtWeb: ratio(model, dtype, 'onnxruntime-web'),
        },
      ];
    }),
  );
  const summary = {
    bench: 'embeddings',
    models: SHAPES.filter((s) => wanted.has(s.key)).map((s) => `${s.name}: ${s.description}, random weights`),
    data,
    threads: THREADS,
    runs: RUNS,
    versions,
    rows,
    ratios: goals,
    checks,
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log('\n| model | dtype | system | sentences/s (median) | min–max |\n| --- | --- | --- | ---: | --- |');
  for (const r of rows) {
    const s = r.sentencesPerSecond;
    console.log(
      `| ${r.model} | ${r.dtype} | ${r.system} | ${s.median.toFixed(1)} | ${s.min.toFixed(1)}–${s.max.toFixed(1)} |`,
    );
  }
  console.log(
    '\n| model/dtype | bertweb ÷ Transformers.js (goal ≥ 1.5) | bertweb ÷ ORT-node (goal ≥ 0.5) | bertweb ÷ raw ORT-web (medians of per-run ratios) |\n| --- | ---: | ---: | ---: |',
  );
  for (const [key, g] of Object.entries(goals)) {
    console.log(
      `| ${key} | ${g.vsTransformersJs?.toFixed(2)} | ${g.vsOrtNode?.toFixed(2)} | ${g.vsOrtWeb?.toFixed(2)} |`,
    );
  }
  console.log(
    `\n${THREADS} WASM thread(s), ${versions.cpus}, load ${versions.load}, Node ${versions.node}, ORT-web ${versions.onnxruntimeWeb}, Transformers.js ${versions.transformersJs}`,
  );
}

await main();
