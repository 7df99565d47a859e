/**
 * Converter benchmark: random weights in the exact shapes of real DeepPavlov models, converted to all
 * four dtypes; reports conversion time, peak RSS, file sizes, agreement of each variant with fp32, and
 * ORT-web WASM inference speed of fp32 vs q8 (same run, same machine).
 *
 *   node --conditions=source --import tsx bench/convert.bench.ts [--shape distilrubert-tiny|rubert-base]
 *        [--dtypes fp32,fp16,q8,q4] [--q8-modes dynamic,nbits,dequantize] [--runs 10] [--threads 1]
 *        [--batch 4] [--seq 64] [--skip-torch] [--skip-convert] [--interleave] [--clean]
 *   node --conditions=source --import tsx bench/convert.bench.ts --shape labse --sizes-only
 *
 * By default the same weights also go through torch.onnx.export (via /usr/bin/python3 and
 * models/scripts/bertlib.py; skipped without torch) and are timed beside the converter's fp32 graph.
 * Generated checkpoints and outputs go to bench/.tmp/convert/ (git-ignored) and are reused across runs.
 * Weights are N(0, 0.04) (about the spread of trained BERT weights), LayerNorm gains 1 + N(0, 0.05).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = path.join(here, '.tmp', 'convert');

interface Shape {
  readonly family: 'bert' | 'distilbert';
  readonly vocab: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly ffn: number;
  readonly positions: number;
}

/** Hyper-parameters of the real models (their config.json on the hub). */
const SHAPES: Readonly<Record<string, Shape>> = {
  // DeepPavlov/distilrubert-tiny-cased-conversational
  'distilrubert-tiny': {
    family: 'distilbert',
    vocab: 119_547,
    hidden: 768,
    layers: 2,
    heads: 12,
    ffn: 3072,
    positions: 512,
  },
  // sentence-transformers/LaBSE (BERT-base with a 501,153-token vocabulary); use with --sizes-only
  labse: { family: 'bert', vocab: 501_153, hidden: 768, layers: 12, heads: 12, ffn: 3072, positions: 512 },
  // DeepPavlov/rubert-base-cased
  'rubert-base': { family: 'bert', vocab: 119_547, hidden: 768, layers: 12, heads: 12, ffn: 3072, positions: 512 },
};

/**
 * Exact ONNX file sizes per dtype from the shapes alone: the writer knows every payload size before it
 * reads a byte, so the graph is built over shape-only tensor references and never produces data.
 */
async function exactSizes(shape: Shape): Promise<Record<string, number>> {
  const { buildBertGraph } = await import('../packages/convert/src/onnx/bert-graph.js');
  const { mapWeights } = await import('../packages/convert/src/model/weights.js');
  const { parseEncoderConfig } = await import('../packages/convert/src/model/config.js');
  const { bytesSource } = await import('../packages/convert/src/io/byte-source.js');
  const source = bytesSource('shape-only', new Uint8Array(0));
  const refs = new Map(
    tensorList(shape).map(([name, dims]) => [
      name,
      { name, dtype: 'F32' as const, shape: dims, source, byteOffset: 0 },
    ]),
  );
  const enc = parseEncoderConfig(configFor(shape));
  const { weights, task } = mapWeights(refs, enc, {});
  const sizes: Record<string, number> = {};
  for (const dtype of ['fp32', 'fp16', 'q8', 'q4'] as const) {
    sizes[dtype] = buildBertGraph(enc, weights, task, { dtype }).byteLength;
  }
  return sizes;
}

/** Deterministic N(0, 1) samples (mulberry32 + Box-Muller). */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function tensorList(shape: Shape): [string, number[]][] {
  const H = shape.hidden;
  const out: [string, number[]][] = [];
  const lin = (name: string, o: number, i: number) => out.push([`${name}.weight`, [o, i]], [`${name}.bias`, [o]]);
  const ln = (name: string) => out.push([`${name}.weight`, [H]], [`${name}.bias`, [H]]);
  if (shape.family === 'distilbert') {
    out.push(['distilbert.embeddings.word_embeddings.weight', [shape.vocab, H]]);
    out.push(['distilbert.embeddings.position_embeddings.weight', [shape.positions, H]]);
    ln('distilbert.embeddings.LayerNorm');
    for (let l = 0; l < shape.layers; l++) {
      const p = `distilbert.transformer.layer.${l}`;
      for (const n of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) lin(`${p}.attention.${n}`, H, H);
      ln(`${p}.sa_layer_norm`);
      lin(`${p}.ffn.lin1`, shape.ffn, H);
      lin(`${p}.ffn.lin2`, H, shape.ffn);
      ln(`${p}.output_layer_norm`);
    }
  } else {
    out.push(['bert.embeddings.word_embeddings.weight', [shape.vocab, H]]);
    out.push(['bert.embeddings.position_embeddings.weight', [shape.positions, H]]);
    out.push(['bert.embeddings.token_type_embeddings.weight', [2, H]]);
    ln('bert.embeddings.LayerNorm');
    for (let l = 0; l < shape.layers; l++) {
      const p = `bert.encoder.layer.${l}`;
      for (const n of ['query', 'key', 'value']) lin(`${p}.attention.self.${n}`, H, H);
      lin(`${p}.attention.output.dense`, H, H);
      ln(`${p}.attention.output.LayerNorm`);
      lin(`${p}.intermediate.dense`, shape.ffn, H);
      lin(`${p}.output.dense`, H, shape.ffn);
      ln(`${p}.output.LayerNorm`);
    }
    lin('bert.pooler.dense', H, H);
  }
  return out;
}

/** config.json of a shape (Hugging Face key names). */
function configFor(shape: Shape): Record<string, unknown> {
  return shape.family === 'bert'
    ? {
        architectures: ['BertModel'],
        model_type: 'bert',
        vocab_size: shape.vocab,
        hidden_size: shape.hidden,
        num_hidden_layers: shape.layers,
        num_attention_heads: shape.heads,
        intermediate_size: shape.ffn,
        max_position_embeddings: shape.positions,
        type_vocab_size: 2,
        hidden_act: 'gelu',
        layer_norm_eps: 1e-12,
      }
    : {
        architectures: ['DistilBertModel'],
        model_type: 'distilbert',
        vocab_size: shape.vocab,
        dim: shape.hidden,
        n_layers: shape.layers,
        n_heads: shape.heads,
        hidden_dim: shape.ffn,
        max_position_embeddings: shape.positions,
        activation: 'gelu',
      };
}

/** Writes config.json, vocab.txt and model.safetensors (streamed, tensor by tensor). */
async function generateCheckpoint(name: string, shape: Shape): Promise<string> {
  const dir = path.join(tmp, `ckpt-${name}`);
  if (existsSync(path.join(dir, 'model.safetensors'))) return dir;
  await mkdir(dir, { recursive: true });
  const config = configFor(shape);
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const vocab = Array.from({ length: shape.vocab }, (_, i) => special[i] ?? `tok${i}`);
  await writeFile(path.join(dir, 'vocab.txt'), `${vocab.join('\n')}\n`);

  const tensors = tensorList(shape);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [n, dims] of tensors) {
    const bytes = dims.reduce((a, b) => a * b, 1) * 4;
    header[n] = { dtype: 'F32', shape: dims, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const file = await open(path.join(dir, 'model.safetensors.partial'), 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  await file.write(len);
  await file.write(Buffer.from(json));
  const rand = gaussian(1234);
  for (const [n, dims] of tensors) {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    const isNorm = /LayerNorm|layer_norm/.test(n);
    if (isNorm && n.endsWith('.weight')) for (let i = 0; i < count; i++) data[i] = 1 + 0.05 * rand();
    else if (n.endsWith('.bias')) for (let i = 0; i < count; i++) data[i] = 0.02 * rand();
    else for (let i = 0; i < count; i++) data[i] = 0.04 * rand();
    await file.write(new Uint8Array(data.buffer));
  }
  await file.close();
  const { rename } = await import('node:fs/promises');
  await rename(path.join(dir, 'model.safetensors.partial'), path.join(dir, 'model.safetensors'));
  return dir;
}

/**
 * The same weights through `torch.onnx.export` (opset 17) with models/scripts/bertlib.py (Hugging Face
 * modules), for the speed comparison. Needs /usr/bin/python3 with torch; skipped otherwise.
 */
function torchExport(ckpt: string, out: string): boolean {
  if (existsSync(out)) return true;
  const script = `
import json, struct, sys
import numpy as np, torch
sys.path.insert(0, ${JSON.stringify(path.join(here, '..', 'models', 'scripts'))})
import bertlib
ckpt = ${JSON.stringify(ckpt)}
config = json.load(open(ckpt + '/config.json'))
config.update({'hidden_dropout_prob': 0.0, 'attention_probs_dropout_prob': 0.0, 'dropout': 0.0, 'attention_dropout': 0.0, 'pad_token_id': 0})
model = bertlib.model_from_config(config)
with open(ckpt + '/model.safetensors', 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
prefix = 'bert.' if config['model_type'] == 'bert' else 'distilbert.'
state = {k[len(prefix):]: torch.from_numpy(np.frombuffer(data, dtype=np.float32, count=int(np.prod(v['shape'])), offset=v['data_offsets'][0]).reshape(v['shape']).copy())
         for k, v in header.items() if k != '__metadata__'}
model.load_state_dict(state)
names = bertlib.input_names(model)
ids = torch.ones(2, 16, dtype=torch.long)
axes = {n: {0: 'batch', 1: 'sequence'} for n in names}
axes.update({'last_hidden_state': {0: 'batch', 1: 'sequence'}, 'pooler_output': {0: 'batch'}})
torch.onnx.export(model, tuple(ids for _ in names), ${JSON.stringify(out)}, input_names=names, output_names=model.output_names, dynamic_axes=axes, opset_version=17)
`;
  const child = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) {
    console.error(`torch.onnx.export skipped: ${child.stderr?.split('\n').slice(-3).join(' ')}`);
    return false;
  }
  return true;
}

/** Converts in a child process so its peak RSS is measured alone. */
function convertInChild(ckpt: string, out: string, dtype: string, q8Mode: string): { ms: number; peakRssMb: number } {
  const script = `
    import { convert } from '@bertweb/convert';
    const t = Date.now();
    await convert({ from: ${JSON.stringify(ckpt)}, out: ${JSON.stringify(out)}, overwrite: true, dtypes: [${JSON.stringify(dtype)}], q8Mode: ${JSON.stringify(q8Mode)} });
    const { resourceUsage } = await import('node:process');
    console.log(JSON.stringify({ ms: Date.now() - t, peakRssMb: resourceUsage().maxRSS / 1024 }));
  `;
  const child = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: here,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (child.status !== 0) throw new Error(`conversion failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() as string);
}

type Ort = typeof import('onnxruntime-node');

async function loadOrtWeb(threads: number): Promise<Ort> {
  const require = createRequire(path.join(here, '..', 'packages', 'core', 'package.json'));
  const ort = (await import(require.resolve('onnxruntime-web'))) as Ort & { env: { wasm: { numThreads: number } } };
  ort.env.wasm.numThreads = threads;
  return ort;
}

function feeds(
  ort: Ort,
  family: string,
  batch: number,
  seq: number,
  vocab: number,
): Record<string, InstanceType<Ort['Tensor']>> {
  const rand = gaussian(99);
  const ids = new BigInt64Array(batch * seq);
  const mask = new BigInt64Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const len = b === batch - 1 ? Math.ceil(seq / 2) : seq; // one padded row
    for (let s = 0; s < seq; s++) {
      ids[b * seq + s] = s < len ? BigInt(5 + (Math.floor(Math.abs(rand() * 1e6)) % (vocab - 5))) : 0n;
      mask[b * seq + s] = s < len ? 1n : 0n;
    }
  }
  const out: Record<string, InstanceType<Ort['Tensor']>> = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
  };
  if (family === 'bert') out.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * seq), [batch, seq]);
  return out;
}

function meanPooledCosine(
  a: Float32Array,
  b: Float32Array,
  batch: number,
  seq: number,
  hidden: number,
  mask: BigInt64Array,
): number {
  let min = 1;
  for (let r = 0; r < batch; r++) {
    const x = new Float64Array(hidden);
    const y = new Float64Array(hidden);
    for (let s = 0; s < seq; s++) {
      if (!mask[r * seq + s]) continue;
      for (let d = 0; d < hidden; d++) {
        x[d] = (x[d] as number) + (a[(r * seq + s) * hidden + d] as number);
        y[d] = (y[d] as number) + (b[(r * seq + s) * hidden + d] as number);
      }
    }
    let dot = 0;
    let nx = 0;
    let ny = 0;
    for (let d = 0; d < hidden; d++) {
      dot += (x[d] as number) * (y[d] as number);
      nx += (x[d] as number) ** 2;
      ny += (y[d] as number) ** 2;
    }
    min = Math.min(min, dot / Math.sqrt(nx * ny));
  }
  return min;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      shape: { type: 'string', default: 'distilrubert-tiny' },
      dtypes: { type: 'string', default: 'fp32,fp16,q8,q4' },
      'q8-modes': { type: 'string', default: 'dynamic' },
      runs: { type: 'string', default: '10' },
      threads: { type: 'string', default: '1' },
      batch: { type: 'string', default: '4' },
      seq: { type: 'string', default: '64' },
      clean: { type: 'boolean', default: false },
      'skip-torch': { type: 'boolean', default: false },
      'skip-convert': { type: 'boolean', default: false },
      'sizes-only': { type: 'boolean', default: false },
      interleave: { type: 'boolean', default: false },
    },
  });
  const shapeName = values.shape as string;
  const shape = SHAPES[shapeName];
  if (!shape) throw new Error(`unknown shape ${shapeName}; known: ${Object.keys(SHAPES).join(', ')}`);
  if (values['sizes-only']) {
    const sizes = await exactSizes(shape);
    const mib = Object.fromEntries(Object.entries(sizes).map(([d, b]) => [d, +(b / 2 ** 20).toFixed(1)]));
    const ratio = Object.fromEntries(
      Object.entries(sizes).map(([d, b]) => [d, +(b / (sizes.fp32 as number)).toFixed(3)]),
    );
    console.log(JSON.stringify({ shape: shapeName, ...shape, bytes: sizes, mib, ratioToFp32: ratio }, null, 2));
    return;
  }
  if (values.clean) await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const t0 = Date.now();
  const ckpt = await generateCheckpoint(shapeName, shape);
  const ckptBytes = (await stat(path.join(ckpt, 'model.safetensors'))).size;
  console.error(`checkpoint ${ckpt} (${(ckptBytes / 2 ** 20).toFixed(0)} MiB, ${Date.now() - t0} ms)`);

  const dtypes = (values.dtypes as string).split(',');
  const q8Modes = (values['q8-modes'] as string).split(',');
  const variants: { label: string; dtype: string; q8Mode: string; file: string }[] = [];
  for (const dtype of dtypes) {
    if (dtype === 'q8') for (const m of q8Modes) variants.push({ label: `q8-${m}`, dtype, q8Mode: m, file: '' });
    else variants.push({ label: dtype, dtype, q8Mode: 'dynamic', file: '' });
  }
  const names: Record<string, string> = {
    fp32: 'model.onnx',
    fp16: 'model_fp16.onnx',
    q8: 'model_quantized.onnx',
    q4: 'model_q4.onnx',
  };
  const conversions: Record<string, unknown>[] = [];
  for (const v of variants) {
    const out = path.join(tmp, `out-${shapeName}-${v.label}`);
    v.file = path.join(out, 'onnx', names[v.dtype] as string);
    if (values['skip-convert'] && existsSync(v.file)) continue;
    const r = convertInChild(ckpt, out, v.dtype, v.q8Mode);
    const bytes = (await stat(v.file)).size;
    conversions.push({
      variant: v.label,
      ms: r.ms,
      peakRssMb: Math.round(r.peakRssMb),
      mb: +(bytes / 2 ** 20).toFixed(1),
      ratioToCheckpoint: +(bytes / ckptBytes).toFixed(3),
    });
    console.error(JSON.stringify(conversions.at(-1)));
  }

  // Inference on ORT-web WASM in Node: every variant in this process, same inputs; runs interleaved
  // round-robin (when they fit in one WASM heap) so a busy machine slows all variants alike.
  const runnable = variants.filter((v) => v.dtype !== 'fp16'); // fp16 is for WebGPU with shader-f16
  if (!values['skip-torch']) {
    const file = path.join(tmp, `torch-${shapeName}.onnx`);
    if (torchExport(ckpt, file)) runnable.unshift({ label: 'torch.onnx.export fp32', dtype: 'fp32', q8Mode: '', file });
  }
  const ort = await loadOrtWeb(Number(values.threads));
  const batch = Number(values.batch);
  const seq = Number(values.seq);
  const input = feeds(ort, shape.family, batch, seq, shape.vocab);
  const mask = input.attention_mask?.data as BigInt64Array;
  const runs = Number(values.runs);
  let totalBytes = 0;
  for (const v of runnable) totalBytes += (await stat(v.file)).size;
  const interleave = values.interleave || totalBytes < 1.2e9;
  const times = new Map<string, number[]>(runnable.map((v) => [v.label, []]));
  const outputs = new Map<string, Float32Array>();
  type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  const openSession = async (v: (typeof runnable)[number]): Promise<Session> => {
    const session = await ort.InferenceSession.create(v.file, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    const first = await session.run(input);
    outputs.set(v.label, (first.last_hidden_state as { data: Float32Array }).data.slice());
    await session.run(input); // warm-up
    return session;
  };
  const timeRun = async (label: string, session: Session): Promise<void> => {
    const t = performance.now();
    await session.run(input);
    times.get(label)?.push(performance.now() - t);
  };
  if (interleave) {
    const sessions: [string, Session][] = [];
    for (const v of runnable) sessions.push([v.label, await openSession(v)]);
    for (let i = 0; i < runs; i++) for (const [label, session] of sessions) await timeRun(label, session);
    for (const [, session] of sessions) await session.release();
  } else {
    for (const v of runnable) {
      const session = await openSession(v);
      for (let i = 0; i < runs; i++) await timeRun(v.label, session);
      await session.release();
    }
  }
  const reference = outputs.get('fp32') as Float32Array;
  const speed = runnable.map((v) => {
    const t = (times.get(v.label) ?? []).sort((a, b) => a - b);
    return {
      variant: v.label,
      medianMs: +(t[Math.floor(t.length / 2)] as number).toFixed(1),
      minMs: +(t[0] as number).toFixed(1),
      cosineVsFp32: +meanPooledCosine(
        outputs.get(v.label) as Float32Array,
        reference,
        batch,
        seq,
        shape.hidden,
        mask,
      ).toFixed(5),
    };
  });
  for (const row of speed) console.error(JSON.stringify(row));
  console.log(
    JSON.stringify(
      {
        shape: shapeName,
        ...shape,
        checkpointMb: +(ckptBytes / 2 ** 20).toFixed(1),
        batch,
        seq,
        threads: Number(values.threads),
        interleaved: interleave,
        conversions,
        wasm: speed,
      },
      null,
      2,
    ),
  );
}

await main();
