/**
 * QA benchmark: questions/s answering SQuAD v1.1 dev questions over their paragraphs, on ORT-web WASM in
 * Node, with a DistilBERT question-answering model of real width and random weights (DistilBERT, 2 layers,
 * hidden 768, 12 heads, FFN 3072 — DistilRuBERT-tiny's shape — with bert-base-uncased's real 30,522-token
 * vocabulary, since SQuAD is English). Systems, same ONNX files, same process, runs interleaved:
 *   - bertweb `reader.answerMany(questions, paragraph)` (windows of 384, stride 128, best span with offsets);
 *   - Transformers.js `pipeline('question-answering')` called with the paragraph's questions as one batch, on
 *     the SAME ORT-web module (WASM); it truncates to model_max_length (set to 384 here, like our windows);
 *   - raw onnxruntime-web (WASM) and onnxruntime-node (native CPU): inference only on bertweb's windows in
 *     length-sorted batches of 32 (ceilings: no tokenization, no span search).
 *
 *   node --conditions=source --import tsx bench/qa.bench.ts [--questions 24] [--runs 3] [--threads 1] [--dtypes q8,fp32]
 *
 * The model is generated once into bench/.tmp/qa/ (git-ignored) with /usr/bin/python3 + bertlib (random
 * checkpoint) and @bertweb/convert (fp32 + q8). Prints a JSON summary and a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Encoding, env, loadModel, loadOrt } from '@bertweb/core';
import { parseSquad, type SquadQuestion } from '@bertweb/eval';
import { createReader } from '@bertweb/qa';
// Internal on purpose: the bench times the reader against raw ORT-web on the very same windows.
import { buildWindows } from '../packages/qa/src/windows.js';
import { isCurrentModel, markCurrentModel } from './lib/converter-stamp.js';
import { environment, interleaved, median, type System } from './lib/measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const tmp = path.join(here, '.tmp', 'qa');
const modelName = 'distilbert-2x768-qa';
const modelDir = path.join(tmp, modelName);
const checkpointDir = path.join(tmp, `${modelName}-checkpoint`);
const squad = path.join(root, '..', 'shared', 'data', 'squad', 'dev-v1.1.json');
const bertVocab = path.join(root, '..', 'shared', 'data', 'tokenizers', 'bert-base-uncased', 'vocab.txt');
const minilm = path.join(root, '..', 'shared', 'data', 'tokenizers', 'all-MiniLM-L6-v2');

const { values: flags } = parseArgs({
  options: {
    questions: { type: 'string', default: '24' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    dtypes: { type: 'string', default: 'q8,fp32' },
  },
});
const QUESTIONS = Number(flags.questions);
const RUNS = Number(flags.runs);
const THREADS = Number(flags.threads);
const DTYPES = (flags.dtypes ?? '').split(',').filter(Boolean) as ('fp32' | 'q8')[];
const MAX_LENGTH = 384;
const BATCH = 32;
const SPECIAL_TOKENS = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};

const PYTHON_CHECKPOINT = `
import json, os, sys, torch
sys.path.insert(0, os.path.join(os.environ["ROOT"], "models", "scripts"))
import bertlib
config = bertlib.distilbert_config("DistilBertForQuestionAnswering")
config.update({"dim": 768, "n_heads": 12, "n_layers": 2, "hidden_dim": 3072, "vocab_size": 30522,
               "max_position_embeddings": 512})
model = bertlib.init_random_weights(bertlib.model_from_config(config), 777, std=0.04)
out = os.environ["OUT"]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
torch.save(model.state_dict(), os.path.join(out, "pytorch_model.bin"))
print("checkpoint written:", sum(p.numel() for p in model.parameters()), "parameters")
`;

/** The real bert-base-uncased tokenizer: vocab.txt plus all-MiniLM-L6-v2's tokenizer.json (same vocabulary). */
function writeTokenizerFiles(dir: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(bertVocab, path.join(dir, 'vocab.txt'));
  const tokenizer = JSON.parse(readFileSync(path.join(minilm, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  // all-MiniLM's file truncates and pads to 128: neither is part of the vocabulary, both would skew the comparison.
  tokenizer.truncation = null;
  tokenizer.padding = null;
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: MAX_LENGTH,
      ...SPECIAL_TOKENS,
    }),
  );
  writeFileSync(path.join(dir, 'special_tokens_map.json'), JSON.stringify(SPECIAL_TOKENS));
}

async function ensureModel(): Promise<void> {
  if (!isCurrentModel(modelDir, ['onnx/model.onnx', 'onnx/model_quantized.onnx'])) {
    mkdirSync(checkpointDir, { recursive: true });
    if (!existsSync(path.join(checkpointDir, 'pytorch_model.bin'))) {
      const result = spawnSync('/usr/bin/python3', ['-c', PYTHON_CHECKPOINT], {
        env: { ...process.env, ROOT: root, OUT: checkpointDir },
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
      task: 'question-answering',
      overwrite: true,
    });
    markCurrentModel(modelDir);
    console.error(`converted in ${(result.ms / 1000).toFixed(1)} s`);
  }
  writeTokenizerFiles(modelDir);
}

interface OrtLike {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
}
interface SessionLike {
  run(feeds: Record<string, unknown>): Promise<Record<string, unknown>>;
}

async function rawRun(ort: OrtLike, session: SessionLike, sorted: readonly Encoding[]): Promise<void> {
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
    await session.run({
      input_ids: new ort.Tensor('int64', ids, [batch.length, len]),
      attention_mask: new ort.Tensor('int64', mask, [batch.length, len]),
    });
  }
}

async function main(): Promise<void> {
  if (!existsSync(squad)) throw new Error(`SQuAD not found at ${squad}`);
  await ensureModel();
  const questions = parseSquad(readFileSync(squad, 'utf8')).questions.slice(0, QUESTIONS);
  const paragraphs: SquadQuestion[][] = [];
  for (const q of questions) {
    const last = paragraphs[paragraphs.length - 1];
    if (last && (last[0] as SquadQuestion).context === q.context) last.push(q);
    else paragraphs.push([q]);
  }

  env.numThreads = THREADS;
  const ort = await loadOrt();
  const coreRequire = createRequire(path.join(root, 'packages', 'core', 'package.json'));
  ort.env.wasm.wasmPaths = `${path.dirname(coreRequire.resolve('onnxruntime-web'))}/`;
  (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = `${tmp}/`;
  const ortNode = await import('onnxruntime-node');

  const rows: {
    dtype: string;
    system: string;
    seconds: number[];
    questionsPerSecond: { median: number; min: number; max: number };
    note?: string;
  }[] = [];
  let windowsInfo = '';
  for (const dtype of DTYPES) {
    const model = await loadModel(modelDir, { backend: 'wasm', dtype });
    const reader = await createReader(model, { maxLength: MAX_LENGTH, windowOverlap: 128 });
    const windows = questions.flatMap((q) =>
      buildWindows(model.tokenizer, q.question, q.context, { maxLength: MAX_LENGTH, windowOverlap: 128 }),
    );
    const tokens = windows.reduce((n, w) => n + w.ids.length, 0);
    windowsInfo = `${questions.length} questions over ${paragraphs.length} paragraphs: ${windows.length} windows, ${tokens} tokens`;
    const sorted = [...windows].sort((a, b) => a.ids.length - b.ids.length);
    const qa = await transformers.pipeline('question-answering', modelName, { dtype, device: 'auto' });
    const file = path.join(modelDir, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
    const web = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
    const native = await ortNode.InferenceSession.create(file, { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
    const systems: System[] = [
      {
        name: 'bertweb reader.answerMany (per paragraph)',
        run: async () => {
          for (const group of paragraphs) {
            await reader.answerMany(
              group.map((q) => q.question),
              (group[0] as SquadQuestion).context,
            );
          }
        },
      },
      {
        name: 'Transformers.js question-answering (per paragraph batch)',
        note: 'truncates at 384 tokens, no offsets, O(n^2) span sort',
        run: async () => {
          for (const group of paragraphs) {
            await qa(
              group.map((q) => q.question),
              group.map((q) => q.context),
            );
          }
        },
      },
      {
        name: 'onnxruntime-web WASM, inference only',
        note: 'bertweb windows, length-sorted batches of 32',
        run: () => rawRun(ort as unknown as OrtLike, web as unknown as SessionLike, sorted),
      },
      {
        name: 'onnxruntime-node native CPU, inference only',
        note: `native, ${THREADS} thread(s); bertweb windows, length-sorted batches of 32`,
        run: () => rawRun(ortNode as unknown as OrtLike, native as unknown as SessionLike, sorted),
      },
    ];
    const times = await interleaved(
      systems.map((s) => s.run),
      RUNS,
    );
    systems.forEach((system, i) => {
      const seconds = times[i] as number[];
      const rates = seconds.map((s) => questions.length / s);
      rows.push({
        dtype,
        system: system.name,
        seconds: seconds.map((s) => Math.round(s * 1000) / 1000),
        questionsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
        ...(system.note ? { note: system.note } : {}),
      });
    });
    await reader.dispose();
    await model.dispose();
    await qa.dispose();
    await web.release();
    await native.release();
  }

  const versions = environment(ort.env.versions?.web, transformers.env.version);
  const ratio = (dtype: string, other: string) => {
    const ours = rows.find((r) => r.dtype === dtype && r.system.startsWith('bertweb'));
    const theirs = rows.find((r) => r.dtype === dtype && r.system.startsWith(other));
    // Median of per-run ratios: runs are interleaved, so run r of both systems saw similar machine load.
    if (!ours || !theirs) return null;
    return median(ours.seconds.map((s, r) => (theirs.seconds[r] as number) / s));
  };
  const ratios = Object.fromEntries(
    DTYPES.map((d) => [
      d,
      {
        vsTransformersJs: ratio(d, 'Transformers.js'),
        vsOrtWeb: ratio(d, 'onnxruntime-web'),
        vsOrtNode: ratio(d, 'onnxruntime-node'),
      },
    ]),
  );
  const summary = {
    bench: 'qa',
    model: `${modelName}: DistilBertForQuestionAnswering 2 x 768, 12 heads, FFN 3072, vocab 30,522 (bert-base-uncased), random weights`,
    data: `SQuAD v1.1 dev, ${windowsInfo}`,
    threads: THREADS,
    runs: RUNS,
    versions,
    rows,
    ratios,
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log('\n| dtype | system | questions/s (median) | min–max | note |\n| --- | --- | ---: | --- | --- |');
  for (const r of rows) {
    const q = r.questionsPerSecond;
    console.log(
      `| ${r.dtype} | ${r.system} | ${q.median.toFixed(2)} | ${q.min.toFixed(2)}–${q.max.toFixed(2)} | ${r.note ?? ''} |`,
    );
  }
  console.log(
    `\nbertweb ÷ Transformers.js: ${DTYPES.map((d) => `${d} ${ratios[d]?.vsTransformersJs?.toFixed(2)}x`).join(', ')}; ` +
      `${THREADS} WASM thread(s), ${versions.cpus}, load ${versions.load}, Node ${versions.node}, ORT-web ${versions.onnxruntimeWeb}, Transformers.js ${versions.transformersJs}`,
  );
}

await main();
