/**
 * Embeddings benchmark: sentences/s embedding STS-B sentences with mean pooling in Node, with two real
 * model shapes and random weights:
 *   - DistilRuBERT-tiny shape: DistilBertModel, 2 layers, hidden 768, 12 heads, FFN 3072, vocab 119,547;
 *   - rubert-base shape: BertModel, 12 layers, hidden 768, 12 heads, FFN 3072, vocab 119,547.
 * Systems, same ONNX files, interleaved rounds (each round runs every system once, rotating the start):
 *   - bertweb `embedder.embed` on the native backend (onnxruntime-node, bertweb's default threads and batches);
 *   - Transformers.js' default Node pipeline, `pipeline('feature-extraction')` on onnxruntime-node with its
 *     default session options, `{pooling: 'mean'}`, called with the same batch size as bertweb native;
 *   - raw onnxruntime-node with its default session options: inference plus JS mean pooling on bertweb's
 *     encodings in bertweb's batches (length-sorted, bertweb native's maxBatchSize): the ceiling;
 *   - per WASM thread count (--wasm-threads, default 1,2), in a child process of its own (onnxruntime-web
 *     reads its thread count once per process): bertweb on WASM and raw onnxruntime-web on the same batches;
 *     with --tjs-wasm also Transformers.js on that ORT-web module (what bench/RESULTS.md used to compare).
 * Two modes: `single` embeds one sentence per call (how a page embeds a query; --single-sentences), `wide`
 * embeds the whole list in one call (bertweb batches it; --sentences). --native-batches 8,16,32 adds bertweb
 * native rows with those maxBatchSize values (wide mode).
 *
 *   node --conditions=source --import tsx bench/embeddings.bench.ts [--models tiny,base] [--dtypes fp32,q8]
 *        [--sentences 128] [--single-sentences 32] [--runs 3] [--modes single,wide] [--wasm-threads 1,2]
 *        [--native-batches 8,16,32] [--tjs-wasm] [--model-dir DIR]
 *
 * Models are generated once into bench/.tmp/embeddings/ (git-ignored): /usr/bin/python3 writes a random
 * checkpoint with models/scripts/bertlib.py (std 0.04), @bertweb/convert writes onnx/model.onnx (fp32) and
 * onnx/model_quantized.onnx (q8). The tokenizer is bert-base-uncased's real vocabulary (STS-B is English)
 * padded with [unused] entries to 119,547 ids, as vocab.txt and an equivalent tokenizer.json. --model-dir
 * runs one given model folder (with both ONNX files and a tokenizer) as it is, instead of the shapes.
 * Prints a JSON summary and Markdown tables.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Encoding, env, type LoadedModel, loadModel, loadOrt } from '@bertweb/core';
import { createEmbedder, type Embedder } from '@bertweb/embeddings';
import { parseStsCsv } from '@bertweb/eval';
import { type ServedSystem, serveSystems } from './lib/child-systems.js';
import { isCurrentModel, markCurrentModel } from './lib/converter-stamp.js';
import { VOCAB_SIZE, writeTokenizerFiles } from './lib/embedding-model.js';
import { environment, type System } from './lib/measure.js';
import {
  argsWithout,
  batchesOf,
  childSystemsOf,
  forkWasmChildren,
  interleavedSettled,
  type Mode,
  makeRow,
  markdownTables,
  type OrtLike,
  type Row,
  ratiosOf,
  rawInference,
  type SessionLike,
  standardRatios,
} from './lib/node-backends.js';
import { quietNote } from './lib/quiet.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const tmp = path.join(here, '.tmp', 'embeddings');
const stsb = path.join(root, '..', 'shared', 'data', 'stsb', 'stsb-en-dev.csv');

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: 'tiny,base' },
    dtypes: { type: 'string', default: 'fp32,q8' },
    sentences: { type: 'string', default: '128' },
    'single-sentences': { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'single,wide' },
    'wasm-threads': { type: 'string', default: '1,2' },
    'native-batches': { type: 'string', default: '' },
    'tjs-wasm': { type: 'boolean', default: false },
    'model-dir': { type: 'string' },
    // Internal: a child process serving the WASM systems of one thread count.
    child: { type: 'string' },
    threads: { type: 'string' },
  },
});
const RUNS = Number(flags.runs);
const DTYPES = (flags.dtypes ?? '').split(',').filter(Boolean) as ('fp32' | 'q8')[];
const MODES = (flags.modes ?? '').split(',').filter(Boolean) as Mode[];
const WASM_THREADS = (flags['wasm-threads'] ?? '').split(',').filter(Boolean).map(Number);
const NATIVE_BATCHES = (flags['native-batches'] ?? '').split(',').filter(Boolean).map(Number);

interface Shape {
  readonly key: 'tiny' | 'base' | 'custom';
  readonly name: string;
  readonly description: string;
  readonly python: string;
}

const SHAPES: readonly Shape[] = [
  {
    key: 'tiny',
    name: 'distilrubert-tiny-shape',
    description: 'DistilRuBERT-tiny shape (DistilBertModel 2 x 768, 12 heads, FFN 3072, vocab 119,547)',
    python: `config = bertlib.distilbert_config("DistilBertModel")
config.update({"dim": 768, "n_heads": 12, "n_layers": 2, "hidden_dim": 3072, "vocab_size": VOCAB})`,
  },
  {
    key: 'base',
    name: 'rubert-base-shape',
    description: 'rubert-base shape (BertModel 12 x 768, 12 heads, FFN 3072, vocab 119,547)',
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

async function ensureModel(shape: Shape): Promise<string> {
  if (shape.key === 'custom') return flags['model-dir'] as string;
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

/** Mean of the first `length` rows of a padded [len x dim] block (what every system computes). */
function meanPool(data: Float32Array, offset: number, length: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  for (let t = 0; t < length; t++)
    for (let d = 0; d < dim; d++) out[d] = (out[d] as number) + (data[offset + t * dim + d] as number);
  for (let d = 0; d < dim; d++) out[d] = (out[d] as number) / length;
  return out;
}

/** Inference + mean pooling on bertweb's encodings (no tokenization, no result objects): a ceiling. */
function rawRun(ort: OrtLike, session: SessionLike, batches: readonly Encoding[][], dim: number): Promise<void> {
  return rawInference(ort, session, batches, (outputs, batch, len) => {
    const hidden = outputs.last_hidden_state?.data as Float32Array;
    batch.forEach((e, r) => {
      meanPool(hidden, r * len * dim, e.ids.length, dim);
    });
  });
}

/** bertweb's embedder as a system: the whole list in one call (`wide`), or one call per text (`single`). */
function bertwebSystem(name: string, note: string, embedder: Embedder, texts: readonly string[], mode: Mode) {
  let vectors: Float32Array = new Float32Array();
  const system: ServedSystem = {
    name,
    note,
    run: async () => {
      if (mode === 'wide') vectors = (await embedder.embed(texts, { pooling: 'mean' })).data;
      else for (const text of texts) await embedder.embed([text], { pooling: 'mean' });
    },
    result: () => Array.from(vectors),
  };
  return { system, vectors: () => vectors };
}

type Extractor = ((
  texts: string | string[],
  options: { pooling: 'mean'; normalize: boolean },
) => Promise<{ data: unknown; dims: number[] }>) & { dispose?: () => Promise<void> };

/** bertweb's model and embedder on one backend (the embedder borrows the model). */
async function loadEmbedder(
  modelDir: string,
  options: { backend: 'native' | 'wasm'; dtype: 'fp32' | 'q8'; maxBatchSize?: number },
): Promise<{ model: LoadedModel; embedder: Embedder; dispose(): Promise<void> }> {
  const model = await loadModel(modelDir, options);
  const embedder = await createEmbedder(model, { pooling: 'mean' });
  return {
    model,
    embedder,
    dispose: async () => {
      await embedder.dispose();
      await model.dispose();
    },
  };
}

/** Transformers.js' pipeline as a system: batches of `size` in input order (`wide`), or one text per call. */
function transformersSystem(
  name: string,
  note: string,
  extractor: Extractor,
  texts: readonly string[],
  mode: Mode,
  size: number,
  dim: number,
) {
  let vectors: Float32Array[] = [];
  const system: ServedSystem = {
    name,
    note,
    run: async () => {
      vectors = [];
      const step = mode === 'wide' ? size : 1;
      for (let i = 0; i < texts.length; i += step) {
        const out = await extractor(mode === 'wide' ? texts.slice(i, i + step) : (texts[i] as string), {
          pooling: 'mean',
          normalize: false,
        });
        const flat = out.data as Float32Array;
        for (let r = 0; r < (out.dims[0] ?? 0); r++) vectors.push(flat.slice(r * dim, (r + 1) * dim));
      }
    },
  };
  return { system, vectors: () => vectors };
}

function textsFor(mode: Mode, unique: readonly string[]): string[] {
  return unique.slice(0, Number(mode === 'single' ? flags['single-sentences'] : flags.sentences));
}

function shapesToRun(): Shape[] {
  if (flags['model-dir']) {
    const dir = path.resolve(flags['model-dir']);
    return [{ key: 'custom', name: path.basename(dir), description: `the model folder ${dir}`, python: '' }];
  }
  const wanted = new Set((flags.models ?? '').split(','));
  return SHAPES.filter((s) => wanted.has(s.key));
}

function stsSentences(): string[] {
  if (!existsSync(stsb)) throw new Error(`STS-B not found at ${stsb}`);
  const all = parseStsCsv(readFileSync(stsb, 'utf8'));
  return [...new Set(all.flatMap((p) => [p.sentence1, p.sentence2]))];
}

function onnxFile(modelDir: string, dtype: 'fp32' | 'q8'): string {
  return path.join(modelDir, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
}

/** A child process: the WASM systems of one thread count (onnxruntime-web fixes it when it starts). */
async function childMain(): Promise<void> {
  const threads = Number(flags.threads);
  const shape = shapesToRun().find((s) => s.key === flags.models) ?? (shapesToRun()[0] as Shape);
  const dtype = flags.dtypes as 'fp32' | 'q8';
  const modelDir = shape.key === 'custom' ? (flags['model-dir'] as string) : path.join(tmp, shape.name);
  const unique = stsSentences();
  env.numThreads = threads;
  const { model, embedder, dispose } = await loadEmbedder(modelDir, { backend: 'wasm', dtype });
  const ort = await loadOrt();
  const coreRequire = createRequire(path.join(root, 'packages', 'core', 'package.json'));
  ort.env.wasm.wasmPaths = `${path.dirname(coreRequire.resolve('onnxruntime-web'))}/`;
  // bertweb's session started the WebAssembly: this one runs with the same threads.
  const web = await ort.InferenceSession.create(readFileSync(onnxFile(modelDir, dtype)), {
    executionProviders: ['wasm'],
  });
  let extractor: Extractor | undefined;
  if (flags['tjs-wasm']) {
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
    const transformers = await import('@huggingface/transformers');
    transformers.env.allowRemoteModels = false;
    transformers.env.localModelPath = `${path.dirname(path.resolve(modelDir))}/`;
    extractor = (await transformers.pipeline('feature-extraction', path.basename(modelDir), {
      dtype,
      device: 'auto',
    })) as unknown as Extractor;
  }
  const running = embedder.backend.wasm.threads;
  const batch = env.maxBatchSize.wasm;
  const systems: ServedSystem[] = [];
  for (const mode of MODES) {
    const texts = textsFor(mode, unique);
    const encodings = texts.map((t) => model.tokenizer.encode(t, { truncation: { maxLength: embedder.maxLength } }));
    const batches = batchesOf(encodings, mode, batch);
    systems.push(
      bertwebSystem(
        `${mode}|bertweb embedder.embed, WASM ${running} thread(s)`,
        `onnxruntime-web ${running} thread(s), maxBatchSize ${batch}`,
        embedder,
        texts,
        mode,
      ).system,
      {
        name: `${mode}|onnxruntime-web WASM ${running} thread(s), inference + pooling`,
        note: `bertweb's encodings and batches (${mode === 'wide' ? `length-sorted, ${batch}` : '1'})`,
        run: () => rawRun(ort as unknown as OrtLike, web as unknown as SessionLike, batches, embedder.dim),
      },
    );
    if (extractor) {
      systems.push(
        transformersSystem(
          `${mode}|Transformers.js feature-extraction on ORT-web WASM ${running} thread(s)`,
          `the same ORT-web module; batches of ${batch} in input order`,
          extractor,
          texts,
          mode,
          batch,
          embedder.dim,
        ).system,
      );
    }
  }
  await serveSystems(systems);
  await dispose();
  await web.release();
  process.exit(0);
}

async function main(): Promise<void> {
  const unique = stsSentences();
  const ortNode = await import('onnxruntime-node');
  // Transformers.js' default Node backend: nothing injected, so it imports onnxruntime-node itself.
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  const script = fileURLToPath(import.meta.url);

  const rows: Row[] = [];
  const checks: Record<string, number> = {};
  const data: Record<string, string> = {};
  const threadsUsed: Record<string, unknown> = {};
  for (const shape of shapesToRun()) {
    const modelDir = path.resolve(await ensureModel(shape));
    transformers.env.localModelPath = `${path.dirname(modelDir)}/`;
    for (const dtype of DTYPES) {
      const key = `${shape.name}/${dtype}`;
      const loaded = await loadEmbedder(modelDir, { backend: 'native', dtype });
      const { model, embedder } = loaded;
      const dim = embedder.dim;
      const batch = env.maxBatchSize.native;
      const nativeThreads = embedder.backend.native.threads;
      threadsUsed[key] = { bertwebNative: nativeThreads, wasm: WASM_THREADS };
      const extractor = (await transformers.pipeline('feature-extraction', path.basename(modelDir), {
        dtype,
      })) as unknown as Extractor;
      const file = onnxFile(modelDir, dtype);
      const native = await ortNode.InferenceSession.create(file);
      const extra = await Promise.all(
        NATIVE_BATCHES.map(async (size) => ({
          size,
          ...(await loadEmbedder(modelDir, { backend: 'native', dtype, maxBatchSize: size })),
        })),
      );
      const children = await forkWasmChildren(script, WASM_THREADS, [
        ...argsWithout(process.argv.slice(2), ['--models', '--dtypes', '--threads', '--child']),
        '--models',
        shape.key,
        '--dtypes',
        dtype,
      ]);

      for (const mode of MODES) {
        const texts = textsFor(mode, unique);
        const encodings = texts.map((t) =>
          model.tokenizer.encode(t, { truncation: { maxLength: embedder.maxLength } }),
        );
        const tokens = encodings.reduce((n, e) => n + e.ids.length, 0);
        data[`${shape.key}/${mode}`] =
          `STS-B en dev, first ${texts.length} unique sentences, ${tokens} tokens with [CLS]/[SEP]` +
          (mode === 'single' ? ', one sentence per call' : ', all in one call');
        const ours = bertwebSystem(
          'bertweb embedder.embed, native',
          `onnxruntime-node ${nativeThreads} thread(s), maxBatchSize ${batch}`,
          embedder,
          texts,
          mode,
        );
        const theirs = transformersSystem(
          'Transformers.js feature-extraction, default Node pipeline (onnxruntime-node)',
          mode === 'wide'
            ? `onnxruntime-node defaults; batches of ${batch} in input order`
            : 'onnxruntime-node defaults',
          extractor,
          texts,
          mode,
          batch,
          dim,
        );
        const systems: System[] = [
          ours.system,
          ...(mode === 'wide'
            ? extra.map(
                ({ size, embedder: e }) =>
                  bertwebSystem(
                    `bertweb embedder.embed, native, maxBatchSize ${size}`,
                    `onnxruntime-node ${nativeThreads} thread(s)`,
                    e,
                    texts,
                    mode,
                  ).system,
              )
            : []),
          theirs.system,
          {
            name: 'onnxruntime-node, inference + pooling',
            note: `onnxruntime-node defaults; bertweb's encodings and batches (${mode === 'wide' ? `length-sorted, ${batch}` : '1'})`,
            run: () =>
              rawRun(
                ortNode as unknown as OrtLike,
                native as unknown as SessionLike,
                batchesOf(encodings, mode, batch),
                dim,
              ),
          },
          ...childSystemsOf(children, mode),
        ];
        const times = await interleavedSettled(
          systems.map((s) => s.run),
          RUNS,
        );
        systems.forEach((system, i) => {
          rows.push(makeRow(key, mode, system, times[i] as number[], texts.length));
        });
        if (mode === 'wide') {
          // Same ONNX, same pooling: the vectors must agree. q8 differs by batch neighbours (one activation
          // scale per batch tensor), so only fp32 is expected to agree to float noise.
          const mine = ours.vectors();
          const worst = (value: (r: number, d: number) => number) => {
            let w = 0;
            for (let r = 0; r < texts.length; r++)
              for (let d = 0; d < dim; d++) w = Math.max(w, Math.abs(value(r, d) - (mine[r * dim + d] as number)));
            return w;
          };
          const tjs = theirs.vectors();
          checks[`${key} max |bertweb native - Transformers.js node|`] = worst((r, d) => tjs[r]?.[d] as number);
          for (const [c, child] of children.entries()) {
            const name = child.systems.find((s) => s.name.startsWith('wide|bertweb'))?.name as string;
            const vectors = (await child.result(name)) as number[];
            checks[`${key} max |bertweb native - bertweb WASM ${WASM_THREADS[c]} thread(s)|`] = worst(
              (r, d) => vectors[r * dim + d] as number,
            );
          }
        }
      }
      for (const child of children) await child.close();
      await loaded.dispose();
      for (const e of extra) await e.dispose();
      await extractor.dispose?.();
      await native.release();
    }
  }

  const versions = environment(undefined, transformers.env.version);
  const ratios = ratiosOf(
    rows,
    standardRatios(
      'bertweb embedder.embed, native',
      'Transformers.js feature-extraction, default Node',
      'onnxruntime-node, inference',
      (t) => `bertweb embedder.embed, WASM ${t} thread(s)`,
      (t) => `onnxruntime-web WASM ${t} thread`,
      WASM_THREADS,
    ),
  );
  const summary = {
    bench: 'embeddings',
    machine: quietNote(),
    models: shapesToRun().map((s) => `${s.name}: ${s.description}${s.key === 'custom' ? '' : ', random weights'}`),
    data,
    threads: threadsUsed,
    runs: RUNS,
    versions: { ...versions, onnxruntimeNode: ortNode.env.versions?.node },
    rows,
    ratios,
    checks,
    checksNote:
      'q8 outputs depend on batch neighbours (one activation scale per batch tensor) until per-row scales land, so native (batches of 16) and WASM (8) may differ in q8 wide runs; fp32 must agree',
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(`\n${markdownTables(rows, ratios, 'sentences')}`);
  console.log(
    `\nMedians of per-run ratios (> 1: bertweb faster); runs interleaved across processes. ${versions.cpus}, load ${versions.load}, ` +
      `Node ${versions.node}, onnxruntime-node ${ortNode.env.versions?.node}, Transformers.js ${versions.transformersJs}. ${quietNote()}`,
  );
}

await (flags.child ? childMain() : main());
