/**
 * Tagging benchmark: words/s tagging factRuEval-2016 test sentences in Node with a model of DistilRuBERT-tiny's
 * real shape (DistilBERT, 2 layers, hidden 768, 12 heads, FFN 3072, vocabulary 119,547; random weights,
 * 7 BIO labels), fp32 and q8. Systems, same ONNX files, interleaved rounds:
 *   - bertweb's tagger (entities with offsets) on the native backend (onnxruntime-node), bertweb's defaults;
 *   - Transformers.js' default Node pipeline, `pipeline('token-classification')` on onnxruntime-node with
 *     its default session options, aggregation `simple`, called with bertweb native's batch size;
 *   - raw onnxruntime-node (default session options), inference only on bertweb's windows in bertweb's
 *     batches (length-sorted, bertweb native's maxBatchSize): the ceiling;
 *   - per WASM thread count (--wasm-threads, default 1,2), in a child process each (onnxruntime-web reads
 *     its thread count once per process): bertweb's tagger on WASM, its maxBatchSize 32 variant, and raw
 *     onnxruntime-web on bertweb's batches; with --tjs-wasm also Transformers.js on that ORT-web module.
 * Modes: `single` tags one sentence per call (--single-sentences), `wide` all of them in one call
 * (--sentences). --native-batches 8,32 adds bertweb native rows with those maxBatchSize values (wide).
 *
 *   node --conditions=source --import tsx bench/tagging.bench.ts [--sentences 200] [--single-sentences 50]
 *        [--runs 3] [--dtypes fp32,q8] [--modes single,wide] [--wasm-threads 1,2] [--native-batches 8,32]
 *        [--tjs-wasm] [--model-dir DIR]
 *
 * The model is generated once into bench/.tmp/tagging/ (git-ignored): torch (/usr/bin/python3) writes a
 * random-weight DistilBertForTokenClassification checkpoint with models/scripts/bertlib.py, and
 * @bertweb/convert turns it into onnx/model.onnx (fp32) and onnx/model_quantized.onnx (q8). The real
 * RuBERT vocabulary is not available offline, so vocab.txt is synthetic but realistic for the corpus:
 * every character (plain and ##), words seen at least twice in factRuEval, frequent word beginnings and
 * ## endings, then [unused] fillers up to 119,547 entries (cased, like DistilRuBERT-tiny). Every system
 * reads the same tokenizer.json (BertNormalizer without lowercasing, BertPreTokenizer, WordPiece).
 * --model-dir runs a given token-classification folder as it is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Encoding, env, loadOrt } from '@bertweb/core';
import { createTagger, type Entity, type Tagger } from '@bertweb/tagging';
import { bertTokenizerJson } from '../packages/core/src/tokenizer/test-utils/reference.js';
import { type ServedSystem, serveSystems } from './lib/child-systems.js';
import { isCurrentModel, markCurrentModel } from './lib/converter-stamp.js';
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
const tmp = path.join(here, '.tmp', 'tagging');
const checkpointDir = path.join(tmp, 'checkpoint');
const modelName = 'distilrubert-tiny-shape-ner';
const modelDir = path.join(tmp, modelName);
const factRu = path.join(root, '..', 'shared', 'data', 'factRuEval-2016');

const { values: flags } = parseArgs({
  options: {
    sentences: { type: 'string', default: '200' },
    'single-sentences': { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
    dtypes: { type: 'string', default: 'fp32,q8' },
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
const VOCAB_SIZE = 119_547;
const LABELS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'];
/**
 * Max sequences per inference run of the second bertweb WASM configuration: wide batches, as core's batcher
 * used on WASM before it defaulted to 8 (there, padding a wide batch costs more than batching saves).
 */
const WIDE_BATCH = 32;

// ---------------------------------------------------------------------------------------------- data

interface Sentence {
  readonly text: string;
  readonly words: number;
}

/** factRuEval documents in sorted order. */
function documents(split: string): string[] {
  const dir = path.join(factRu, split);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tokens'))
    .map((f) => path.join(dir, f.slice(0, -'.tokens'.length)))
    .sort();
}

/** Corpus sentences of the test set as text slices (offsets in .tokens are code points). */
function testSentences(): Sentence[] {
  const out: Sentence[] = [];
  for (const base of documents('testset')) {
    const text = Array.from(readFileSync(`${base}.txt`, 'utf8'));
    let tokens: [number, number][] = [];
    const flush = () => {
      if (tokens.length > 0) {
        const start = tokens[0]?.[0] ?? 0;
        const end = tokens[tokens.length - 1]?.[1] ?? 0;
        out.push({ text: text.slice(start, end).join(''), words: tokens.length });
      }
      tokens = [];
    };
    for (const line of readFileSync(`${base}.tokens`, 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length !== 4) flush();
      else tokens.push([Number(f[1]), Number(f[1]) + Number(f[2])]);
    }
    flush();
  }
  return out;
}

// --------------------------------------------------------------------------------------------- model

/** BERT-style words of a text: runs of letters/digits, and every other non-space character. */
function bertWords(text: string): string[] {
  return text.match(/[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu) ?? [];
}

function buildVocab(): string[] {
  const counts = new Map<string, number>();
  const chars = new Set<string>();
  for (const split of ['devset', 'testset']) {
    for (const base of documents(split)) {
      for (const word of bertWords(readFileSync(`${base}.txt`, 'utf8'))) {
        counts.set(word, (counts.get(word) ?? 0) + 1);
        for (const c of word) chars.add(c);
      }
    }
  }
  const specials = [
    '[PAD]',
    ...Array.from({ length: 99 }, (_, i) => `[unused${i}]`),
    '[UNK]',
    '[CLS]',
    '[SEP]',
    '[MASK]',
  ];
  const vocab = new Set<string>(specials);
  for (const c of [...chars].sort()) {
    vocab.add(c);
    vocab.add(`##${c}`);
  }
  const byCount = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [word, n] of byCount) if (n >= 2) vocab.add(word);
  // Frequent beginnings and ## endings, so rarer words split into a few realistic pieces.
  const pieces = new Map<string, number>();
  for (const [word, n] of byCount) {
    const cps = Array.from(word);
    for (let k = 2; k <= Math.min(6, cps.length - 1); k++) {
      const head = cps.slice(0, k).join('');
      const tail = `##${cps.slice(cps.length - k).join('')}`;
      pieces.set(head, (pieces.get(head) ?? 0) + n);
      pieces.set(tail, (pieces.get(tail) ?? 0) + n);
    }
  }
  for (const [piece, n] of [...pieces].sort((a, b) => b[1] - a[1])) {
    if (vocab.size >= VOCAB_SIZE || n < 3) break;
    vocab.add(piece);
  }
  const list = [...vocab].slice(0, VOCAB_SIZE);
  for (let i = list.length; i < VOCAB_SIZE; i++) list.push(`[unused${i}]`);
  return list;
}

const SPECIAL_TOKENS = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};

const PYTHON_CHECKPOINT = String.raw`
import json, os, sys, torch
sys.path.insert(0, os.path.join(os.environ["ROOT"], "models", "scripts"))
import bertlib
labels = json.loads(os.environ["LABELS"])
config = bertlib.distilbert_config("DistilBertForTokenClassification", labels)
config.update({"dim": 768, "n_heads": 12, "n_layers": 2, "hidden_dim": 3072, "vocab_size": int(os.environ["VOCAB"]),
               "max_position_embeddings": 512})
model = bertlib.init_random_weights(bertlib.model_from_config(config), 1234, std=0.04)
out = os.environ["OUT"]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
torch.save(model.state_dict(), os.path.join(out, "pytorch_model.bin"))
print("checkpoint written", sum(p.numel() for p in model.parameters()), "parameters")
`;

async function ensureModel(): Promise<void> {
  if (
    isCurrentModel(modelDir, [
      'onnx/model.onnx',
      'onnx/model_quantized.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ])
  )
    return;
  mkdirSync(checkpointDir, { recursive: true });
  const vocab = buildVocab();
  if (!existsSync(path.join(checkpointDir, 'pytorch_model.bin'))) {
    const result = spawnSync('/usr/bin/python3', ['-c', PYTHON_CHECKPOINT], {
      env: {
        ...process.env,
        ROOT: root,
        OUT: checkpointDir,
        LABELS: JSON.stringify(LABELS),
        VOCAB: String(vocab.length),
      },
      stdio: 'inherit',
    });
    if (result.status !== 0) throw new Error('python checkpoint generation failed');
  }
  writeFileSync(path.join(checkpointDir, 'vocab.txt'), `${vocab.join('\n')}\n`);
  writeFileSync(
    path.join(checkpointDir, 'tokenizer.json'),
    JSON.stringify(bertTokenizerJson(vocab, { lowercase: false })),
  );
  // Transformers.js takes the special tokens (padding!) from tokenizer_config.json.
  writeFileSync(
    path.join(checkpointDir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: false,
      model_max_length: 512,
      ...SPECIAL_TOKENS,
    }),
  );
  writeFileSync(path.join(checkpointDir, 'special_tokens_map.json'), JSON.stringify(SPECIAL_TOKENS));
  const { convert } = await import('@bertweb/convert');
  const result = await convert({
    from: checkpointDir,
    out: modelDir,
    dtypes: ['fp32', 'q8'],
    task: 'token-classification',
    overwrite: true,
  });
  markCurrentModel(modelDir);
  console.error(
    `converted in ${(result.ms / 1000).toFixed(1)} s: ${result.files.map((f) => `${f.name} ${(f.bytes / 1e6).toFixed(1)} MB`).join(', ')}`,
  );
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
    if (!existsSync(path.join(modelDir, f)))
      writeFileSync(path.join(modelDir, f), readFileSync(path.join(checkpointDir, f)));
  }
}

// ----------------------------------------------------------------------------------------- measuring

type Pipe = ((texts: string | string[], options: { aggregation_strategy: 'simple' }) => Promise<unknown>) & {
  dispose?: () => Promise<void>;
};

function modelFolder(): string {
  return path.resolve(flags['model-dir'] ?? modelDir);
}

function textsFor(mode: Mode, sentences: readonly Sentence[]): { texts: string[]; words: number } {
  const chosen = sentences.slice(0, Number(mode === 'single' ? flags['single-sentences'] : flags.sentences));
  return { texts: chosen.map((s) => s.text), words: chosen.reduce((n, s) => n + s.words, 0) };
}

/** bertweb's tagger as a system: every text in one call (`wide`), or one call per text (`single`). */
function taggerSystem(name: string, note: string, tagger: Tagger, texts: readonly string[], mode: Mode) {
  let entities: Entity[][] = [];
  const system: ServedSystem = {
    name,
    note,
    run: async () => {
      if (mode === 'wide') entities = await tagger.tag(texts);
      else {
        entities = [];
        for (const text of texts) entities.push(...(await tagger.tag([text])));
      }
    },
    result: () => entities,
  };
  return { system, entities: () => entities };
}

/** Transformers.js' pipeline: batches of `size` in input order (`wide`), or one text per call. */
function transformersSystem(
  name: string,
  note: string,
  pipe: Pipe,
  texts: readonly string[],
  mode: Mode,
  size: number,
) {
  let count = 0;
  const system: ServedSystem = {
    name,
    note,
    run: async () => {
      count = 0;
      const step = mode === 'wide' ? size : 1;
      for (let i = 0; i < texts.length; i += step) {
        const out = await pipe(mode === 'wide' ? texts.slice(i, i + step) : (texts[i] as string), {
          aggregation_strategy: 'simple',
        });
        count += mode === 'wide' ? (out as unknown[][]).reduce((n, e) => n + e.length, 0) : (out as unknown[]).length;
      }
    },
  };
  return { system, entities: () => count };
}

async function windowsOf(tagger: Tagger, texts: readonly string[]): Promise<Encoding[]> {
  return (await tagger.encode(texts)).flatMap((e) => e.windows);
}

/** A child process: the WASM systems of one thread count (onnxruntime-web fixes it when it starts). */
async function childMain(): Promise<void> {
  const dtype = flags.dtypes as 'fp32' | 'q8';
  const folder = modelFolder();
  const sentences = testSentences();
  env.numThreads = Number(flags.threads);
  const tagger = await createTagger(folder, { backend: 'wasm', dtype });
  const wide = await createTagger(folder, { backend: 'wasm', dtype, maxBatchSize: WIDE_BATCH });
  const ort = await loadOrt();
  const coreRequire = createRequire(path.join(root, 'packages', 'core', 'package.json'));
  ort.env.wasm.wasmPaths = `${path.dirname(coreRequire.resolve('onnxruntime-web'))}/`;
  const file = path.join(folder, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
  const web = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
  let pipe: Pipe | undefined;
  if (flags['tjs-wasm']) {
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
    const transformers = await import('@huggingface/transformers');
    transformers.env.allowRemoteModels = false;
    transformers.env.localModelPath = `${path.dirname(folder)}/`;
    pipe = (await transformers.pipeline('token-classification', path.basename(folder), {
      dtype,
      device: 'auto',
    })) as unknown as Pipe;
  }
  const threads = tagger.backend.wasm.threads;
  const batch = env.maxBatchSize.wasm;
  const systems: ServedSystem[] = [];
  for (const mode of MODES) {
    const { texts } = textsFor(mode, sentences);
    const batches = batchesOf(await windowsOf(tagger, texts), mode, batch);
    systems.push(
      taggerSystem(
        `${mode}|bertweb tagger.tag, WASM ${threads} thread(s)`,
        `maxBatchSize ${batch}`,
        tagger,
        texts,
        mode,
      ).system,
    );
    if (mode === 'wide') {
      systems.push(
        taggerSystem(
          `${mode}|bertweb tagger.tag, WASM ${threads} thread(s), maxBatchSize ${WIDE_BATCH}`,
          '',
          wide,
          texts,
          mode,
        ).system,
      );
    }
    systems.push({
      name: `${mode}|onnxruntime-web WASM ${threads} thread(s), inference only`,
      note: `bertweb's windows and batches (${mode === 'wide' ? `length-sorted, ${batch}` : '1'})`,
      run: () => rawInference(ort as unknown as OrtLike, web as unknown as SessionLike, batches),
    });
    if (pipe) {
      systems.push(
        transformersSystem(
          `${mode}|Transformers.js token-classification on ORT-web WASM ${threads} thread(s)`,
          `the same ORT-web module; batches of ${batch} in input order`,
          pipe,
          texts,
          mode,
          batch,
        ).system,
      );
    }
  }
  await serveSystems(systems);
  await tagger.dispose();
  await wide.dispose();
  await web.release();
  process.exit(0);
}

/** Entities compared by span and label (scores differ by float noise, q8 also by batch neighbours). */
function sameEntities(a: readonly Entity[][], b: readonly Entity[][]): boolean {
  const key = (es: readonly Entity[][]) => JSON.stringify(es.map((e) => e.map((x) => [x.start, x.end, x.label])));
  return key(a) === key(b);
}

async function main(): Promise<void> {
  if (!existsSync(factRu)) throw new Error(`factRuEval-2016 not found at ${factRu}`);
  if (!flags['model-dir']) await ensureModel();
  const folder = modelFolder();
  const sentences = testSentences();
  const ortNode = await import('onnxruntime-node');
  // Transformers.js' default Node backend: nothing injected, so it imports onnxruntime-node itself.
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = `${path.dirname(folder)}/`;
  const script = fileURLToPath(import.meta.url);

  const rows: Row[] = [];
  const data: Record<string, string> = {};
  const checks: Record<string, unknown> = {};
  let tokensPerWord = 0;
  for (const dtype of DTYPES) {
    const tagger = await createTagger(folder, { backend: 'native', dtype });
    const nativeThreads = tagger.backend.native.threads;
    const batch = env.maxBatchSize.native;
    const extra = await Promise.all(
      NATIVE_BATCHES.map(async (size) => ({
        size,
        tagger: await createTagger(folder, { backend: 'native', dtype, maxBatchSize: size }),
      })),
    );
    const pipe = (await transformers.pipeline('token-classification', path.basename(folder), {
      dtype,
    })) as unknown as Pipe;
    const file = path.join(folder, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
    const session = await ortNode.InferenceSession.create(file);
    const children = await forkWasmChildren(script, WASM_THREADS, [
      ...argsWithout(process.argv.slice(2), ['--dtypes', '--threads', '--child']),
      '--dtypes',
      dtype,
    ]);
    for (const mode of MODES) {
      const { texts, words } = textsFor(mode, sentences);
      const windows = await windowsOf(tagger, texts);
      const tokens = windows.reduce((n, w) => n + w.ids.length, 0);
      if (mode === 'wide') {
        const encoded = await tagger.encode(texts);
        tokensPerWord = (tokens - 2 * windows.length) / encoded.reduce((n, e) => n + e.words.length, 0);
      }
      data[mode] =
        `factRuEval-2016 testset, first ${texts.length} sentences, ${words} words, ${windows.length} windows, ${tokens} tokens` +
        (mode === 'single' ? ', one sentence per call' : ', all in one call');
      const ours = taggerSystem(
        'bertweb tagger.tag, native',
        `onnxruntime-node ${nativeThreads} thread(s), maxBatchSize ${batch}`,
        tagger,
        texts,
        mode,
      );
      const theirs = transformersSystem(
        'Transformers.js token-classification, default Node pipeline (onnxruntime-node)',
        `onnxruntime-node defaults, aggregation simple, no offsets${mode === 'wide' ? `; batches of ${batch} in input order` : ''}`,
        pipe,
        texts,
        mode,
        batch,
      );
      const systems: System[] = [
        ours.system,
        ...(mode === 'wide'
          ? extra.map(
              ({ size, tagger: t }) =>
                taggerSystem(
                  `bertweb tagger.tag, native, maxBatchSize ${size}`,
                  `onnxruntime-node ${nativeThreads} thread(s)`,
                  t,
                  texts,
                  mode,
                ).system,
            )
          : []),
        theirs.system,
        {
          name: 'onnxruntime-node, inference only',
          note: `onnxruntime-node defaults; bertweb's windows and batches (${mode === 'wide' ? `length-sorted, ${batch}` : '1'})`,
          run: () =>
            rawInference(
              ortNode as unknown as OrtLike,
              session as unknown as SessionLike,
              batchesOf(windows, mode, batch),
            ),
        },
        ...childSystemsOf(children, mode),
      ];
      const times = await interleavedSettled(
        systems.map((s) => s.run),
        RUNS,
      );
      systems.forEach((system, i) => {
        rows.push(makeRow(dtype, mode, system, times[i] as number[], words));
      });
      const found = ours.entities();
      checks[`${dtype}/${mode} entities: bertweb native / Transformers.js node`] =
        `${found.reduce((n, e) => n + e.length, 0)} / ${theirs.entities()}`;
      for (const [c, child] of children.entries()) {
        const name = child.systems.find((s) => s.name.startsWith(`${mode}|bertweb tagger.tag, WASM`))?.name as string;
        const wasm = (await child.result(name)) as Entity[][];
        checks[`${dtype}/${mode} same entities on native and WASM ${WASM_THREADS[c]} thread(s)`] = sameEntities(
          found,
          wasm,
        );
      }
    }
    for (const child of children) await child.close();
    await tagger.dispose();
    for (const e of extra) await e.tagger.dispose();
    await pipe.dispose?.();
    await session.release();
  }

  const versions = environment(undefined, transformers.env.version);
  const ratios = ratiosOf(
    rows,
    standardRatios(
      'bertweb tagger.tag, native',
      'Transformers.js token-classification, default Node',
      'onnxruntime-node, inference',
      (t) => `bertweb tagger.tag, WASM ${t} thread(s)`,
      (t) => `onnxruntime-web WASM ${t} thread`,
      WASM_THREADS,
    ),
  );
  const summary = {
    bench: 'tagging',
    machine: quietNote(),
    model: flags['model-dir']
      ? folder
      : 'DistilRuBERT-tiny shape (DistilBERT 2x768, 12 heads, FFN 3072, vocab 119,547), random weights',
    data,
    subtokensPerWord: Number(tokensPerWord.toFixed(3)),
    wasmThreads: WASM_THREADS,
    runs: RUNS,
    versions: { ...versions, onnxruntimeNode: ortNode.env.versions?.node },
    rows,
    ratios,
    checks,
    checksNote:
      'q8 outputs depend on batch neighbours (one activation scale per batch tensor) until per-row scales land, so native (batches of 16) and WASM (8) may differ in q8 wide runs; fp32 must agree',
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(`\n${markdownTables(rows, ratios, 'words', 0)}`);
  console.log(
    `\nMedians of per-run ratios (> 1: bertweb faster); runs interleaved across processes. ${versions.cpus}, load ${versions.load}, ` +
      `Node ${versions.node}, onnxruntime-node ${ortNode.env.versions?.node}, Transformers.js ${versions.transformersJs}. ${quietNote()}`,
  );
}

await (flags.child ? childMain() : main());
