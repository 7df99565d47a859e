/**
 * QA benchmark: questions/s answering SQuAD v1.1 dev questions over their paragraphs in Node, with a
 * DistilBERT question-answering model of real width and random weights (DistilBERT, 2 layers, hidden 768,
 * 12 heads, FFN 3072 — DistilRuBERT-tiny's shape — with bert-base-uncased's real 30,522-token vocabulary,
 * since SQuAD is English). Systems, same ONNX files, interleaved rounds:
 *   - bertweb's reader (windows of 384, stride 128, best span with offsets) on the native backend;
 *   - Transformers.js' default Node pipeline, `pipeline('question-answering')` on onnxruntime-node with its
 *     default session options (it truncates to model_max_length, 384 here, like our windows);
 *   - raw onnxruntime-node (default session options), inference only on bertweb's windows in bertweb's
 *     batches (length-sorted, bertweb native's maxBatchSize): the ceiling;
 *   - per WASM thread count (--wasm-threads, default 1,2), in a child process each (onnxruntime-web reads
 *     its thread count once per process): bertweb's reader on WASM and raw onnxruntime-web on its batches;
 *     with --tjs-wasm also Transformers.js on that ORT-web module.
 * Modes: `single` answers one question per call; `wide` answers each paragraph's questions in one call
 * (`reader.answerMany`, Transformers.js with the paragraph's questions as one batch).
 *
 *   node --conditions=source --import tsx bench/qa.bench.ts [--questions 24] [--runs 3] [--dtypes q8,fp32]
 *        [--modes single,wide] [--wasm-threads 1,2] [--tjs-wasm]
 *
 * The model is generated once into bench/.tmp/qa/ (git-ignored) with /usr/bin/python3 + bertlib (random
 * checkpoint) and @bertweb/convert (fp32 + q8). Prints a JSON summary and Markdown tables.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Encoding, env, type LoadedModel, loadModel, loadOrt } from '@bertweb/core';
import { parseSquad, type SquadQuestion } from '@bertweb/eval';
import { createReader, type Reader } from '@bertweb/qa';
// Internal on purpose: the bench times the reader against raw ORT on the very same windows.
import { buildWindows } from '../packages/qa/src/windows.js';
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
    dtypes: { type: 'string', default: 'q8,fp32' },
    modes: { type: 'string', default: 'single,wide' },
    'wasm-threads': { type: 'string', default: '1,2' },
    'tjs-wasm': { type: 'boolean', default: false },
    // Internal: a child process serving the WASM systems of one thread count.
    child: { type: 'string' },
    threads: { type: 'string' },
  },
});
const QUESTIONS = Number(flags.questions);
const RUNS = Number(flags.runs);
const DTYPES = (flags.dtypes ?? '').split(',').filter(Boolean) as ('fp32' | 'q8')[];
const MODES = (flags.modes ?? '').split(',').filter(Boolean) as Mode[];
const WASM_THREADS = (flags['wasm-threads'] ?? '').split(',').filter(Boolean).map(Number);
const MAX_LENGTH = 384;
const WINDOWS = { maxLength: MAX_LENGTH, windowOverlap: 128 };
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

type QaPipe = ((questions: string | string[], contexts: string | string[]) => Promise<unknown>) & {
  dispose?: () => Promise<void>;
};

function squadParagraphs(): { questions: SquadQuestion[]; paragraphs: SquadQuestion[][] } {
  if (!existsSync(squad)) throw new Error(`SQuAD not found at ${squad}`);
  const questions = parseSquad(readFileSync(squad, 'utf8')).questions.slice(0, QUESTIONS);
  const paragraphs: SquadQuestion[][] = [];
  for (const q of questions) {
    const last = paragraphs[paragraphs.length - 1];
    if (last && (last[0] as SquadQuestion).context === q.context) last.push(q);
    else paragraphs.push([q]);
  }
  return { questions, paragraphs };
}

function onnxFile(dtype: 'fp32' | 'q8'): string {
  return path.join(modelDir, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
}

/** bertweb's reader: one question per call (`single`), or each paragraph's questions in one call (`wide`). */
function readerSystem(name: string, note: string, reader: Reader, paragraphs: readonly SquadQuestion[][], mode: Mode) {
  let answers: unknown[] = [];
  const system: ServedSystem = {
    name,
    note,
    run: async () => {
      answers = [];
      for (const group of paragraphs) {
        const context = (group[0] as SquadQuestion).context;
        if (mode === 'wide')
          answers.push(
            ...(await reader.answerMany(
              group.map((q) => q.question),
              context,
            )),
          );
        else for (const q of group) answers.push(await reader.answer(q.question, context));
      }
    },
    result: () => answers,
  };
  return { system, answers: () => answers };
}

function transformersSystem(
  name: string,
  note: string,
  qa: QaPipe,
  paragraphs: readonly SquadQuestion[][],
  mode: Mode,
): System {
  return {
    name,
    note,
    run: async () => {
      for (const group of paragraphs) {
        if (mode === 'wide') {
          await qa(
            group.map((q) => q.question),
            group.map((q) => q.context),
          );
        } else for (const q of group) await qa(q.question, q.context);
      }
    },
  };
}

function windowsOf(model: LoadedModel, questions: readonly SquadQuestion[]): Encoding[] {
  return questions.flatMap((q) => buildWindows(model.tokenizer, q.question, q.context, WINDOWS));
}

/** The raw batches of a mode: each question's windows alone (`single`), or length-sorted batches of `size`. */
function rawBatches(model: LoadedModel, questions: readonly SquadQuestion[], mode: Mode, size: number): Encoding[][] {
  return mode === 'single'
    ? questions.flatMap((q) => batchesOf(windowsOf(model, [q]), 'wide', size))
    : batchesOf(windowsOf(model, questions), 'wide', size);
}

/** A child process: the WASM systems of one thread count (onnxruntime-web fixes it when it starts). */
async function childMain(): Promise<void> {
  const dtype = flags.dtypes as 'fp32' | 'q8';
  const { questions, paragraphs } = squadParagraphs();
  env.numThreads = Number(flags.threads);
  const model = await loadModel(modelDir, { backend: 'wasm', dtype });
  const reader = await createReader(model, WINDOWS);
  const ort = await loadOrt();
  const coreRequire = createRequire(path.join(root, 'packages', 'core', 'package.json'));
  ort.env.wasm.wasmPaths = `${path.dirname(coreRequire.resolve('onnxruntime-web'))}/`;
  const web = await ort.InferenceSession.create(readFileSync(onnxFile(dtype)), { executionProviders: ['wasm'] });
  let qa: QaPipe | undefined;
  if (flags['tjs-wasm']) {
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
    const transformers = await import('@huggingface/transformers');
    transformers.env.allowRemoteModels = false;
    transformers.env.localModelPath = `${tmp}/`;
    qa = (await transformers.pipeline('question-answering', modelName, { dtype, device: 'auto' })) as unknown as QaPipe;
  }
  const threads = model.backend.wasm.threads;
  const batch = env.maxBatchSize.wasm;
  const systems: ServedSystem[] = [];
  for (const mode of MODES) {
    const batches = rawBatches(model, questions, mode, batch);
    systems.push(
      readerSystem(
        `${mode}|bertweb reader, WASM ${threads} thread(s)`,
        `maxBatchSize ${batch}`,
        reader,
        paragraphs,
        mode,
      ).system,
      {
        name: `${mode}|onnxruntime-web WASM ${threads} thread(s), inference only`,
        note: `bertweb's windows, length-sorted batches of ${batch}${mode === 'single' ? ' per question' : ''}`,
        run: () => rawInference(ort as unknown as OrtLike, web as unknown as SessionLike, batches),
      },
    );
    if (qa) {
      systems.push(
        transformersSystem(
          `${mode}|Transformers.js question-answering on ORT-web WASM ${threads} thread(s)`,
          'the same ORT-web module',
          qa,
          paragraphs,
          mode,
        ),
      );
    }
  }
  await serveSystems(systems);
  await reader.dispose();
  await model.dispose();
  await web.release();
  process.exit(0);
}

async function main(): Promise<void> {
  await ensureModel();
  const { questions, paragraphs } = squadParagraphs();
  const ortNode = await import('onnxruntime-node');
  // Transformers.js' default Node backend: nothing injected, so it imports onnxruntime-node itself.
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = `${tmp}/`;
  const script = fileURLToPath(import.meta.url);

  const rows: Row[] = [];
  const checks: Record<string, unknown> = {};
  let windowsInfo = '';
  for (const dtype of DTYPES) {
    const model = await loadModel(modelDir, { backend: 'native', dtype });
    const reader = await createReader(model, WINDOWS);
    const nativeThreads = model.backend.native.threads;
    const batch = env.maxBatchSize.native;
    const windows = windowsOf(model, questions);
    const tokens = windows.reduce((n, w) => n + w.ids.length, 0);
    windowsInfo = `${questions.length} questions over ${paragraphs.length} paragraphs: ${windows.length} windows, ${tokens} tokens`;
    const qa = (await transformers.pipeline('question-answering', modelName, { dtype })) as unknown as QaPipe;
    const native = await ortNode.InferenceSession.create(onnxFile(dtype));
    const children = await forkWasmChildren(script, WASM_THREADS, [
      ...argsWithout(process.argv.slice(2), ['--dtypes', '--threads', '--child']),
      '--dtypes',
      dtype,
    ]);
    for (const mode of MODES) {
      const ours = readerSystem(
        'bertweb reader, native',
        `onnxruntime-node ${nativeThreads} thread(s), maxBatchSize ${batch}`,
        reader,
        paragraphs,
        mode,
      );
      const systems: System[] = [
        ours.system,
        transformersSystem(
          'Transformers.js question-answering, default Node pipeline (onnxruntime-node)',
          'onnxruntime-node defaults; truncates at 384 tokens, no offsets',
          qa,
          paragraphs,
          mode,
        ),
        {
          name: 'onnxruntime-node, inference only',
          note: `onnxruntime-node defaults; bertweb's windows, length-sorted batches of ${batch}${mode === 'single' ? ' per question' : ''}`,
          run: () =>
            rawInference(
              ortNode as unknown as OrtLike,
              native as unknown as SessionLike,
              rawBatches(model, questions, mode, batch),
            ),
        },
        ...childSystemsOf(children, mode),
      ];
      const times = await interleavedSettled(
        systems.map((s) => s.run),
        RUNS,
      );
      systems.forEach((system, i) => {
        rows.push(makeRow(dtype, mode, system, times[i] as number[], questions.length));
      });
      for (const [c, child] of children.entries()) {
        const name = child.systems.find((s) => s.name.startsWith(`${mode}|bertweb reader`))?.name as string;
        const wasm = (await child.result(name)) as { start: number; end: number }[];
        const mine = ours.answers() as { start: number; end: number }[];
        checks[`${dtype}/${mode} same answer spans on native and WASM ${WASM_THREADS[c]} thread(s)`] =
          JSON.stringify(mine.map((a) => [a.start, a.end])) === JSON.stringify(wasm.map((a) => [a.start, a.end]));
      }
    }
    for (const child of children) await child.close();
    await reader.dispose();
    await model.dispose();
    await qa.dispose?.();
    await native.release();
  }

  const versions = environment(undefined, transformers.env.version);
  const ratios = ratiosOf(
    rows,
    standardRatios(
      'bertweb reader, native',
      'Transformers.js question-answering, default Node',
      'onnxruntime-node, inference',
      (t) => `bertweb reader, WASM ${t} thread(s)`,
      (t) => `onnxruntime-web WASM ${t} thread`,
      WASM_THREADS,
    ),
  );
  const summary = {
    bench: 'qa',
    machine: quietNote(),
    model: `${modelName}: DistilBertForQuestionAnswering 2 x 768, 12 heads, FFN 3072, vocab 30,522 (bert-base-uncased), random weights`,
    data: `SQuAD v1.1 dev, ${windowsInfo}`,
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
  console.log(`\n${markdownTables(rows, ratios, 'questions', 2)}`);
  console.log(
    `\nMedians of per-run ratios (> 1: bertweb faster); runs interleaved across processes. ${versions.cpus}, load ${versions.load}, ` +
      `Node ${versions.node}, onnxruntime-node ${ortNode.env.versions?.node}, Transformers.js ${versions.transformersJs}. ${quietNote()}`,
  );
}

await (flags.child ? childMain() : main());
