/**
 * Converter benchmark: random weights in the exact shapes of real DeepPavlov models, converted to all
 * four dtypes; reports conversion time, peak RSS, file sizes, agreement of each variant with fp32, and
 * ORT-web WASM inference speed of fp32 vs q8 (same run, same machine).
 *
 *   node --conditions=source --import tsx bench/convert.bench.ts [--shape distilrubert-tiny|rubert-base]
 *        [--dtypes fp32,fp16,q8,q4] [--q8-modes per-row,dynamic,nbits,dequantize] [--runs 10] [--threads 1]
 *        [--batch 4] [--seq 64] [--skip-torch] [--skip-convert] [--interleave] [--clean]
 *   node --conditions=source --import tsx bench/convert.bench.ts --shape labse --sizes-only
 *
 * By default the same weights also go through torch.onnx.export (via /usr/bin/python3 and
 * models/scripts/bertlib.py; skipped without torch) and are timed beside the converter's fp32 graph.
 * Generated checkpoints and outputs go to bench/.tmp/convert/ (git-ignored) and are reused across runs.
 * Weights are N(0, 0.04) (about the spread of trained BERT weights), LayerNorm gains 1 + N(0, 0.05).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const tmp = path.join(here, '.tmp', 'convert');

export interface Shape {
  readonly family: 'bert' | 'distilbert';
  readonly vocab: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly ffn: number;
  readonly positions: number;
}

/** Hyper-parameters of the real models (their config.json on the hub). */
export const SHAPES: Readonly<Record<string, Shape>> = {
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
export function gaussian(seed: number): () => number {
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

export function tensorList(shape: Shape): [string, number[]][] {
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
export function configFor(shape: Shape): Record<string, unknown> {
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
export async function generateCheckpoint(name: string, shape: Shape): Promise<string> {
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
    const isNorm = /LayerNorm|layer_norm/.test(n);
    // Written in pieces of at most 4M values: LaBSE's table alone is 1.5 GB.
    for (let left = dims.reduce((a, b) => a * b, 1); left > 0; left -= 1 << 22) {
      const data = new Float32Array(Math.min(left, 1 << 22));
      const count = data.length;
      if (isNorm && n.endsWith('.weight')) for (let i = 0; i < count; i++) data[i] = 1 + 0.05 * rand();
      else if (n.endsWith('.bias')) for (let i = 0; i < count; i++) data[i] = 0.02 * rand();
      else for (let i = 0; i < count; i++) data[i] = 0.04 * rand();
      await file.write(new Uint8Array(data.buffer));
    }
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

/** Peak memory of one conversion (child process), in MiB. */
export interface MemoryRun {
  readonly where: string;
  readonly dtype: string;
  readonly ms: number;
  /** Checkpoint and output bytes, MiB. */
  readonly checkpointMb: number;
  readonly outputMb: number;
  /** Resident set before the conversion started (Node + the converter loaded) and its peak (kernel). */
  readonly baseRssMb: number;
  readonly peakRssMb: number;
  /** Peak of `process.memoryUsage().arrayBuffers` / `heapUsed`, sampled every 5 ms (a lower bound). */
  readonly peakArrayBuffersMb: number;
  readonly peakHeapMb: number;
}

const MiB = 2 ** 20;

/**
 * Converts in a fresh Node process and measures its memory. `mode`:
 * - `disk`: `convert()` (file handles in, files out: `bertweb convert`);
 * - `handles`: `convertFiles` over `openFileSource` ByteSources, outputs as Uint8Arrays (Node load-time);
 * - `blob`: `convertFiles` over `fs.openAsBlob` (file-backed Blobs, like a fetched Blob in Chromium),
 *   outputs as Blobs.
 */
export function memoryInChild(
  ckpt: string,
  out: string,
  dtype: string,
  mode: 'disk' | 'handles' | 'blob',
): MemoryRun & Record<string, unknown> {
  const script = `
    import { convertFiles } from ${JSON.stringify(pathToFileURL(path.join(here, '../packages/convert/src/convert-files.ts')).href)};
    import { convert, openFileSource } from ${JSON.stringify(pathToFileURL(path.join(here, '../packages/convert/src/node.ts')).href)};
    import { openAsBlob } from 'node:fs';
    import { readdir, stat } from 'node:fs/promises';
    import { resourceUsage } from 'node:process';
    const [ckpt, out, dtype, mode] = ${JSON.stringify([ckpt, out, dtype, mode])};
    const names = (await readdir(ckpt, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
      .map((e) => (e.parentPath ?? e.path).slice(ckpt.length + 1) ? \`\${(e.parentPath ?? e.path).slice(ckpt.length + 1)}/\${e.name}\` : e.name);
    let checkpointBytes = 0;
    for (const n of names) checkpointBytes += (await stat(ckpt + '/' + n)).size;
    let peakAb = 0, peakHeap = 0;
    const sample = () => { const m = process.memoryUsage(); peakAb = Math.max(peakAb, m.arrayBuffers); peakHeap = Math.max(peakHeap, m.heapUsed); };
    const base = process.memoryUsage().rss;
    const timer = setInterval(sample, 5);
    const t = performance.now();
    let outputBytes = 0;
    if (mode === 'disk') {
      const r = await convert({ from: ckpt, out, overwrite: true, dtypes: [dtype] });
      for (const f of r.files) outputBytes += f.bytes;
    } else {
      const files = new Map();
      const opened = [];
      for (const n of names) {
        if (mode === 'handles') { const s = await openFileSource(ckpt + '/' + n, n); opened.push(s); files.set(n, s); }
        else files.set(n, await openAsBlob(ckpt + '/' + n));
      }
      const result = await convertFiles(files, { dtypes: [dtype], output: mode === 'blob' ? 'blob' : 'bytes' });
      sample();
      for (const v of result.values()) outputBytes += v.byteLength ?? v.size;
      for (const s of opened) await s.close();
    }
    const ms = performance.now() - t;
    clearInterval(timer);
    sample();
    const mb = (b) => +(b / 2 ** 20).toFixed(1);
    console.log(JSON.stringify({ ms: Math.round(ms), checkpointMb: mb(checkpointBytes), outputMb: mb(outputBytes), baseRssMb: mb(base),
      peakRssMb: mb(resourceUsage().maxRSS * 1024), peakArrayBuffersMb: mb(peakAb), peakHeapMb: mb(peakHeap) }));
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
  if (child.status !== 0) throw new Error(`conversion (${mode}) failed: ${child.stderr}`);
  return { where: `node ${mode}`, dtype, ...JSON.parse(child.stdout.trim().split('\n').pop() as string) };
}

/**
 * Chromium's processes for a profile, from /proc (a persistent context has no browser-level CDP
 * session): the browser process is the one started with `--user-data-dir=<profile>` and no `--type`;
 * the others are its descendants, typed by their `--type=` flag.
 */
function chromiumProcesses(profile: string): { type: string; id: number }[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').split(/[\0 ]/);
        const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        return { id: Number(d), ppid, cmdline };
      } catch {
        return undefined;
      }
    })
    .filter((p): p is { id: number; ppid: number; cmdline: string[] } => p !== undefined);
  const root = all.find(
    (p) => p.cmdline.some((a) => a === `--user-data-dir=${profile}`) && !p.cmdline.some((a) => a.startsWith('--type=')),
  );
  if (!root) return [];
  const out = [{ type: 'browser', id: root.id }];
  const ids = new Set([root.id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (ids.has(p.id) || !ids.has(p.ppid)) continue;
      ids.add(p.id);
      grew = true;
      out.push({ type: p.cmdline.find((a) => a.startsWith('--type='))?.slice(7) ?? 'other', id: p.id });
    }
  }
  return out;
}

/** Reads `VmRSS` / `VmHWM` (kB) of a process from /proc (Linux). */
function procMemory(pid: number): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: +(kb('VmRSS') / 1024).toFixed(1), peakMb: +(kb('VmHWM') / 1024).toFixed(1) };
  } catch {
    return undefined;
  }
}

/**
 * Converts in a Chromium page (Debian /usr/bin/chromium through playwright-core), cross-origin isolated:
 * the checkpoint files are fetched as Blobs (`response.blob()`), converted by `convertFiles` with Blob
 * outputs. Measured: the renderer's and the browser process's peak RSS (/proc VmHWM; Blob data lives in
 * the browser process), the page's JS heap and ArrayBuffer backing stores (CDP `Runtime.getHeapUsage`,
 * sampled every 50 ms), and `performance.measureUserAgentSpecificMemory()` right after the conversion.
 */
export async function memoryInChromium(
  ckpt: string,
  dtype: string,
  output: 'blob' | 'bytes',
  viaCache = false,
): Promise<MemoryRun & Record<string, unknown>> {
  const { build } = await import('vite');
  const { chromium } = await import('playwright-core');
  const { createServer } = await import('node:http');
  const pageDir = path.join(tmp, 'browser-page');
  const dist = path.join(pageDir, 'dist');
  if (!existsSync(path.join(dist, 'index.html'))) {
    await mkdir(pageDir, { recursive: true });
    await writeFile(
      path.join(pageDir, 'index.html'),
      '<!doctype html><script type="module" src="./main.ts"></script>\n',
    );
    await writeFile(
      path.join(pageDir, 'main.ts'),
      `import { convertFiles } from '../../../../packages/convert/src/convert-files.ts';
declare global { interface Window { runConvert: (names: string[], dtype: string, output: 'blob' | 'bytes', viaCache: boolean) => Promise<unknown> } }
window.runConvert = async (names, dtype, output, viaCache) => {
  const files = new Map<string, Blob>();
  const cache = viaCache ? await caches.open('checkpoint') : undefined;
  for (const name of names) {
    if (cache) {
      // As load-time conversion will: the download goes into the Cache API (on disk), and the
      // checkpoint is read back as the cached response's Blob.
      await cache.put('/ckpt/' + name, await fetch('/ckpt/' + name));
      files.set(name, await ((await cache.match('/ckpt/' + name)) as Response).blob());
    } else files.set(name, await (await fetch('/ckpt/' + name)).blob());
  }
  const started = performance.now();
  const out = await convertFiles(files, { dtypes: [dtype as 'q8'], output } as never);
  const ms = performance.now() - started;
  let outputBytes = 0;
  for (const v of (out as Map<string, Blob | Uint8Array>).values()) outputBytes += v instanceof Blob ? v.size : v.byteLength;
  let uaMemory: number | undefined;
  try { uaMemory = (await (performance as unknown as { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> }).measureUserAgentSpecificMemory()).bytes; } catch {}
  (window as unknown as { keep: unknown }).keep = out;
  return { ms, outputBytes, uaMemory, isolated: crossOriginIsolated };
};
`,
    );
    await build({
      root: pageDir,
      logLevel: 'warn',
      resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
      build: { outDir: dist, emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 100_000 },
    });
  }
  const names = (await readdir(ckpt, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(ckpt, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  let checkpointBytes = 0;
  for (const n of names) checkpointBytes += (await stat(path.join(ckpt, n))).size;
  const server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
    const file = url.startsWith('/ckpt/')
      ? path.join(ckpt, url.slice(6))
      : path.join(dist, url === '/' ? 'index.html' : url);
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.html')
      ? 'text/html'
      : file.endsWith('.js')
        ? 'text/javascript'
        : 'application/octet-stream';
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': String(statSync(file).size),
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  // A persistent profile: the Cache API then stores on disk (an incognito context keeps it in memory).
  const profile = path.join(tmp, 'chromium-profile');
  await rm(profile, { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => typeof (window as unknown as { runConvert?: unknown }).runConvert === 'function');
    const processes = chromiumProcesses(profile);
    const renderers = processes.filter((p) => p.type === 'renderer').map((p) => p.id);
    const browserPid = processes.find((p) => p.type === 'browser')?.id;
    const baseRenderer = Math.max(...renderers.map((pid) => procMemory(pid)?.rssMb ?? 0));
    const baseBrowser = browserPid ? (procMemory(browserPid)?.rssMb ?? 0) : 0;
    let peakHeap = 0;
    let peakBacking = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
          peakHeap = Math.max(peakHeap, usage.usedSize);
          peakBacking = Math.max(peakBacking, usage.backingStorageSize ?? 0);
        } catch {
          // the page may be busy; try again
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = (await page.evaluate(
      ([n, d, o]) => (window as unknown as { runConvert: (...a: unknown[]) => Promise<unknown> }).runConvert(n, d, o),
      [names, dtype, output] as const,
    )) as {
      ms: number;
      outputBytes: number;
      uaMemory?: number;
      isolated: boolean;
    };
    sampling = false;
    await sampler;
    const rendererPeak = Math.max(...renderers.map((pid) => procMemory(pid)?.peakMb ?? 0));
    const browserPeak = browserPid ? (procMemory(browserPid)?.peakMb ?? 0) : 0;
    const mb = (b: number) => +(b / MiB).toFixed(1);
    return {
      where: `chromium ${viaCache ? 'cache-blob' : 'fetch-blob'} -> ${output}`,
      dtype,
      ms: Math.round(result.ms),
      checkpointMb: mb(checkpointBytes),
      outputMb: mb(result.outputBytes),
      baseRssMb: baseRenderer,
      peakRssMb: rendererPeak,
      peakArrayBuffersMb: mb(peakBacking),
      peakHeapMb: mb(peakHeap),
      browserProcessBaseMb: baseBrowser,
      browserProcessPeakMb: browserPeak,
      measureUserAgentSpecificMemoryMb: result.uaMemory === undefined ? null : mb(result.uaMemory),
      crossOriginIsolated: result.isolated,
    };
  } finally {
    await context.close();
    server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** Markdown table of memory runs, with the goal (checkpoint + output) beside each peak. */
export function memoryTable(shape: string, runs: readonly (MemoryRun & Record<string, unknown>)[]): string {
  const lines = [
    `| ${shape} | dtype | convert s | checkpoint + output MiB | peak RSS MiB (above start) | peak ArrayBuffers MiB | peak JS heap MiB | notes |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of runs) {
    const goal = r.checkpointMb + r.outputMb;
    const above = +(r.peakRssMb - r.baseRssMb).toFixed(0);
    const notes =
      r.browserProcessPeakMb !== undefined
        ? `browser process ${r.browserProcessBaseMb} -> ${r.browserProcessPeakMb} MiB; UA memory ${r.measureUserAgentSpecificMemoryMb ?? 'n/a'} MiB`
        : '';
    lines.push(
      `| ${r.where} | ${r.dtype} | ${(r.ms / 1000).toFixed(1)} | ${r.checkpointMb.toFixed(0)} + ${r.outputMb.toFixed(0)} = ${goal.toFixed(0)} | ${r.peakRssMb.toFixed(0)} (${above}, ${(above / goal).toFixed(2)} of goal) | ${r.peakArrayBuffersMb.toFixed(0)} | ${r.peakHeapMb.toFixed(0)} | ${notes} |`,
    );
  }
  return lines.join('\n');
}

export type Ort = typeof import('onnxruntime-node');

export async function loadOrtWeb(threads: number): Promise<Ort> {
  const require = createRequire(path.join(here, '..', 'packages', 'core', 'package.json'));
  const ort = (await import(require.resolve('onnxruntime-web'))) as Ort & { env: { wasm: { numThreads: number } } };
  ort.env.wasm.numThreads = threads;
  return ort;
}

export function feeds(
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

/**
 * How much a row's result depends on its batch: the first row (full length, with neighbours) and the last
 * row (half padding) are each run alone, unpadded, and compared with their positions in the batched output;
 * the largest |difference| over their hidden states. 0 (or float rounding) for a batch-independent graph.
 */
async function batchDependence(
  ort: Ort,
  session: Awaited<ReturnType<Ort['InferenceSession']['create']>>,
  input: Record<string, InstanceType<Ort['Tensor']>>,
  batched: Float32Array,
  batch: number,
  seq: number,
  hidden: number,
): Promise<number> {
  const ids = input.input_ids?.data as BigInt64Array;
  const mask = input.attention_mask?.data as BigInt64Array;
  let max = 0;
  for (const row of [0, batch - 1]) {
    let len = 0;
    while (len < seq && mask[row * seq + len]) len++;
    const alone: Record<string, InstanceType<Ort['Tensor']>> = {
      input_ids: new ort.Tensor('int64', ids.slice(row * seq, row * seq + len), [1, len]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(len).fill(1n), [1, len]),
    };
    if (input.token_type_ids) alone.token_type_ids = new ort.Tensor('int64', new BigInt64Array(len), [1, len]);
    const out = (await session.run(alone)).last_hidden_state?.data as Float32Array;
    for (let i = 0; i < len * hidden; i++) {
      max = Math.max(max, Math.abs((out[i] as number) - (batched[row * seq * hidden + i] as number)));
    }
  }
  return max;
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
      'q8-modes': { type: 'string', default: 'per-row' },
      runs: { type: 'string', default: '10' },
      threads: { type: 'string', default: '1' },
      batch: { type: 'string', default: '4' },
      seq: { type: 'string', default: '64' },
      clean: { type: 'boolean', default: false },
      'skip-torch': { type: 'boolean', default: false },
      'skip-convert': { type: 'boolean', default: false },
      'sizes-only': { type: 'boolean', default: false },
      interleave: { type: 'boolean', default: false },
      memory: { type: 'string' },
      'ratio-to': { type: 'string' },
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
  if (values.memory !== undefined) {
    // --memory disk,handles,blob,chromium-blob,chromium-bytes,chromium-cache: peak memory per path
    // (dtypes from --dtypes); chromium-cache reads the checkpoint back from the Cache API, as load-time
    // conversion will.
    await mkdir(tmp, { recursive: true });
    const ckpt = await generateCheckpoint(shapeName, shape);
    const modes = (values.memory || 'disk,handles,blob,chromium-blob').split(',');
    const runs: (MemoryRun & Record<string, unknown>)[] = [];
    for (const dtype of (values.dtypes as string).split(',')) {
      for (const mode of modes) {
        const run = mode.startsWith('chromium-')
          ? await memoryInChromium(ckpt, dtype, mode.endsWith('bytes') ? 'bytes' : 'blob', mode === 'chromium-cache')
          : memoryInChild(
              ckpt,
              path.join(tmp, `mem-${shapeName}-${dtype}`),
              dtype,
              mode as 'disk' | 'handles' | 'blob',
            );
        console.error(JSON.stringify(run));
        runs.push(run);
      }
    }
    console.log(memoryTable(shapeName, runs));
    console.log(`\n\`\`\`json\n${JSON.stringify({ shape: shapeName, memory: runs })}\n\`\`\``);
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
  const batchDiffs = new Map<string, number>();
  const openSession = async (v: (typeof runnable)[number]): Promise<Session> => {
    const session = await ort.InferenceSession.create(v.file, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    const first = await session.run(input);
    const batched = (first.last_hidden_state as { data: Float32Array }).data.slice();
    outputs.set(v.label, batched);
    batchDiffs.set(v.label, await batchDependence(ort, session, input, batched, batch, seq, shape.hidden));
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
  // Per-round time ratios to one variant (default q8-dynamic, the old q8 graph): robust to a machine whose
  // speed drifts, since the variants of one round run back to back.
  const ratioTo = values['ratio-to'] ?? (times.has('q8-dynamic') ? 'q8-dynamic' : runnable[0]?.label);
  const base = times.get(ratioTo as string) ?? [];
  const ratioStats = (label: string) => {
    const r = (times.get(label) ?? []).map((t, i) => t / (base[i] as number)).sort((a, b) => a - b);
    return {
      median: +(r[Math.floor(r.length / 2)] as number).toFixed(3),
      min: +(r[0] as number).toFixed(3),
      max: +(r.at(-1) as number).toFixed(3),
    };
  };
  const speed = runnable.map((v) => {
    const ratio = interleave ? { [`perRunRatioTo_${ratioTo}`]: ratioStats(v.label) } : {};
    const t = [...(times.get(v.label) ?? [])].sort((a, b) => a - b);
    const median = t[Math.floor(t.length / 2)] as number;
    return {
      variant: v.label,
      medianMs: +median.toFixed(1),
      minMs: +(t[0] as number).toFixed(1),
      maxMs: +(t.at(-1) as number).toFixed(1),
      sentencesPerSecond: +((batch * 1000) / median).toFixed(2),
      // Max |difference| of a row's hidden states run alone (unpadded) vs in the batch (issue 14).
      batchDependence: batchDiffs.get(v.label),
      ...ratio,
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

// Run only as a script: bench/labse.bench.ts imports the generators above.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
