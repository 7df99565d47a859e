/**
 * Tagging benchmark: words/s tagging factRuEval-2016 test sentences with a model of DistilRuBERT-tiny's
 * real shape (DistilBERT, 2 layers, hidden 768, 12 heads, FFN 3072, vocabulary 119,547; random weights,
 * 7 BIO labels), fp32 and q8, on ORT-web WASM in Node: bertweb's tagger (entities with offsets) against
 * Transformers.js `pipeline('token-classification')` on the same ONNX files and the same ORT-web module,
 * plus raw onnxruntime-node (native CPU, inference only) on bertweb's encodings as a ceiling.
 *
 *   node --conditions=source --import tsx bench/tagging.bench.ts [--sentences 200] [--runs 3] [--threads 1]
 *        [--dtypes fp32,q8]
 *
 * The model is generated once into bench/.tmp/tagging/ (git-ignored): torch (/usr/bin/python3) writes a
 * random-weight DistilBertForTokenClassification checkpoint with models/scripts/bertlib.py, and
 * @bertweb/convert turns it into onnx/model.onnx (fp32) and onnx/model_quantized.onnx (q8). The real
 * RuBERT vocabulary is not available offline, so vocab.txt is synthetic but realistic for the corpus:
 * every character (plain and ##), words seen at least twice in factRuEval, frequent word beginnings and
 * ## endings, then [unused] fillers up to 119,547 entries (cased, like DistilRuBERT-tiny). Both libraries
 * read the same tokenizer.json (BertNormalizer without lowercasing, BertPreTokenizer, WordPiece).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Encoding, env, loadOrt } from '@bertweb/core';
import { createTagger } from '@bertweb/tagging';
import { bertTokenizerJson } from '../packages/core/src/tokenizer/test-utils/reference.js';
import { isCurrentModel, markCurrentModel } from './lib/converter-stamp.js';
import { environment, interleaved, median } from './lib/measure.js';

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
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    dtypes: { type: 'string', default: 'fp32,q8' },
  },
});
const SENTENCES = Number(flags.sentences);
const RUNS = Number(flags.runs);
const THREADS = Number(flags.threads);
const DTYPES = (flags.dtypes ?? '').split(',').filter(Boolean) as ('fp32' | 'q8')[];
const VOCAB_SIZE = 119_547;
const LABELS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'];
/** Transformers.js is called with this many texts per call (it pads each call to its longest text). */
const TJS_BATCH = 32;
/**
 * Max sequences per inference run in the second bertweb configuration: wide batches, as core's batcher
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

interface Row {
  readonly system: string;
  readonly dtype: string;
  readonly seconds: number[];
  readonly wordsPerSecond: { median: number; min: number; max: number };
  readonly note?: string;
}

function row(system: string, dtype: string, seconds: number[], words: number, note?: string): Row {
  const rates = seconds.map((s) => words / s);
  return {
    system,
    dtype,
    seconds,
    wordsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    ...(note ? { note } : {}),
  };
}

async function main(): Promise<void> {
  if (!existsSync(factRu)) throw new Error(`factRuEval-2016 not found at ${factRu}`);
  await ensureModel();
  const sentences = testSentences().slice(0, SENTENCES);
  const texts = sentences.map((s) => s.text);
  const words = sentences.reduce((n, s) => n + s.words, 0);

  // One ORT-web module for both libraries: bertweb's, handed to Transformers.js through the symbol it
  // checks for an embedding runtime, with local WASM files (no CDN).
  env.numThreads = THREADS;
  const ort = await loadOrt();
  // onnxruntime-web is a dependency of @bertweb/core, not of the bench package: resolve it from there.
  const coreRequire = createRequire(path.join(root, 'packages', 'core', 'package.json'));
  ort.env.wasm.wasmPaths = `${path.dirname(coreRequire.resolve('onnxruntime-web'))}/`;
  (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = `${tmp}/`;
  const ortNode = await import('onnxruntime-node');

  const rows: Row[] = [];
  let tokensPerWord = 0;
  for (const dtype of DTYPES) {
    const tagger = await createTagger(modelDir, { backend: 'wasm', dtype });
    const wide = await createTagger(modelDir, { backend: 'wasm', dtype, maxBatchSize: WIDE_BATCH });
    const encoded = await tagger.encode(texts);
    const windows: Encoding[] = encoded.flatMap((e) => e.windows);
    const tokens = windows.reduce((n, w) => n + w.ids.length, 0);
    tokensPerWord = (tokens - 2 * windows.length) / encoded.reduce((n, e) => n + e.words.length, 0);
    // Transformers.js: 'auto', because with an embedded runtime it lists no devices of its own and
    // ORT-web then picks WASM.
    const pipe = await transformers.pipeline('token-classification', modelName, { dtype, device: 'auto' });
    const file = path.join(modelDir, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
    const session = await ortNode.InferenceSession.create(file, { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
    const sorted = [...windows].sort((a, b) => a.ids.length - b.ids.length);

    let entities = 0;
    let tjsEntities = 0;
    const [ours, oursWide, theirs, native] = await interleaved(
      [
        async () => {
          entities = (await tagger.tag(texts)).reduce((n, e) => n + e.length, 0);
        },
        () => wide.tag(texts),
        async () => {
          tjsEntities = 0;
          for (let i = 0; i < texts.length; i += TJS_BATCH) {
            const out = (await pipe(texts.slice(i, i + TJS_BATCH), { aggregation_strategy: 'simple' })) as unknown[][];
            tjsEntities += out.reduce((n, e) => n + e.length, 0);
          }
        },
        async () => {
          for (let i = 0; i < sorted.length; i += 32) {
            const batch = sorted.slice(i, i + 32);
            const len = Math.max(...batch.map((e) => e.ids.length));
            const ids = new BigInt64Array(batch.length * len);
            const mask = new BigInt64Array(batch.length * len);
            batch.forEach((e, r) => {
              e.ids.forEach((id, t) => {
                ids[r * len + t] = BigInt(id);
                mask[r * len + t] = 1n;
              });
            });
            await session.run({
              input_ids: new ortNode.Tensor('int64', ids, [batch.length, len]),
              attention_mask: new ortNode.Tensor('int64', mask, [batch.length, len]),
            });
          }
        },
      ],
      RUNS,
    );
    rows.push(
      row(
        'bertweb tagger.tag (entities + offsets)',
        dtype,
        ours ?? [],
        words,
        `${entities} entities, ${windows.length} windows, ${tokens} tokens`,
      ),
      row(`bertweb tagger.tag, maxBatchSize ${WIDE_BATCH}`, dtype, oursWide ?? [], words),
      row(
        `Transformers.js pipeline (batches of ${TJS_BATCH}, aggregation simple)`,
        dtype,
        theirs ?? [],
        words,
        `${tjsEntities} entities, no offsets`,
      ),
      row(
        'onnxruntime-node, inference only (bertweb encodings, length-sorted batches of 32)',
        dtype,
        native ?? [],
        words,
        'native CPU ceiling, not WASM',
      ),
    );
    await tagger.dispose();
    await wide.dispose();
    await pipe.dispose();
    await session.release();
  }

  const versions = environment(ort.env.versions?.web, transformers.env.version);
  const speedup = Object.fromEntries(
    DTYPES.map((dtype) => {
      const theirs = rows.find((r) => r.dtype === dtype && r.system.startsWith('Transformers.js'));
      // Median over runs of the per-run ratio: runs are interleaved, so each ratio compares the two
      // systems under the same load (steadier than a ratio of medians on a shared machine).
      const ratio = (prefix: string): number | null => {
        const ours = rows.find((r) => r.dtype === dtype && r.system.startsWith(prefix));
        if (!ours || !theirs) return null;
        return Number(median(ours.seconds.map((s, i) => (theirs.seconds[i] ?? Number.NaN) / s)).toFixed(3));
      };
      return [
        dtype,
        { default: ratio('bertweb tagger.tag (entities'), wideBatches: ratio('bertweb tagger.tag, maxBatchSize') },
      ];
    }),
  );
  const summary = {
    bench: 'tagging',
    model: 'DistilRuBERT-tiny shape (DistilBERT 2x768, 12 heads, FFN 3072, vocab 119,547), random weights',
    data: `factRuEval-2016 testset, first ${sentences.length} sentences, ${words} words`,
    subtokensPerWord: Number(tokensPerWord.toFixed(3)),
    threads: THREADS,
    runs: RUNS,
    versions,
    rows,
    speedupVsTransformersJs: speedup,
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(`\n| system | dtype | words/s (median) | min–max | note |\n| --- | --- | ---: | --- | --- |`);
  for (const r of rows) {
    const w = r.wordsPerSecond;
    console.log(
      `| ${r.system} | ${r.dtype} | ${w.median.toFixed(0)} | ${w.min.toFixed(0)}–${w.max.toFixed(0)} | ${r.note ?? ''} |`,
    );
  }
  console.log(
    `\nbertweb vs Transformers.js (median of per-run speedups): ${DTYPES.map((d) => `${d} ${speedup[d]?.default ?? '-'}x (maxBatchSize ${WIDE_BATCH}: ${speedup[d]?.wideBatches ?? '-'}x)`).join(', ')}; ` +
      `${THREADS} WASM thread(s), ${versions.cpus}, load ${versions.load}, Node ${versions.node}, ` +
      `ORT-web ${versions.onnxruntimeWeb}, Transformers.js ${versions.transformersJs}`,
  );
}

await main();
