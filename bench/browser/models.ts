/**
 * The model folders every system loads, the same files for all:
 * - `distilrubert-tiny-shape`: the DistilRuBERT-tiny-shape encoder (bench/lib/embedding-model.ts), fp32
 *   (onnx/model.onnx, 426 MB) and q8 (onnx/model_quantized.onnx, 108 MB), for embedding;
 * - `ner-ru-tiny`: the demo's embedded NER model (models/ner-ru-tiny, q8 only, 1.3 MB), copied into
 *   bench/.tmp/browser/models/ with a tokenizer.json generated from its vocab.txt (cased, as its
 *   tokenizer_config.json says), because Transformers.js reads only tokenizer.json.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bertTokenizerJson } from '../../packages/core/src/tokenizer/test-utils/reference.js';
import { ensureTinyEmbeddingModel, TINY_EMBEDDING_MODEL } from '../lib/embedding-model.js';
import type { BenchDtype, Task } from './protocol.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nerSource = path.join(root, 'models', 'ner-ru-tiny');
const nerCopy = path.join(root, 'bench', '.tmp', 'browser', 'models', 'ner-ru-tiny');
const NER_FILES = [
  'config.json',
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'onnx/model_quantized.onnx',
];

/**
 * One model variant a part of the benchmark runs.
 *
 * @example
 * ```ts
 * const model: BenchModel = (await prepareModels()).models['ner-q8'];
 * ```
 */
export interface BenchModel {
  /** Short key for flags and tables, e.g. `tiny-fp32`. */
  readonly key: string;
  /** Folder name under `/m/` on the bench server (and the Transformers.js model id). */
  readonly folder: string;
  readonly task: Task;
  readonly dtype: BenchDtype;
  /** For tables: what it is. */
  readonly label: string;
  /** Size of its ONNX file in bytes. */
  readonly onnxBytes: number;
}

/**
 * Every model key the benchmark knows, in report order.
 *
 * @example
 * ```ts
 * for (const key of MODEL_KEYS) console.log(models[key].label);
 * ```
 */
export const MODEL_KEYS = ['tiny-fp32', 'tiny-q8', 'ner-q8'] as const;
/**
 * One model variant's key.
 *
 * @example
 * ```ts
 * const key: ModelKey = 'tiny-q8';
 * ```
 */
export type ModelKey = (typeof MODEL_KEYS)[number];

/**
 * The prepared folders by name, for the server's `/m/` mounts.
 *
 * @example
 * ```ts
 * const { folders }: PreparedModels = await prepareModels();
 * ```
 */
export interface PreparedModels {
  readonly folders: Readonly<Record<string, string>>;
  readonly models: Readonly<Record<ModelKey, BenchModel>>;
}

function copyIfChanged(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  if (existsSync(to) && statSync(to).size === statSync(from).size && readFileSync(to).equals(readFileSync(from)))
    return;
  copyFileSync(from, to);
}

function prepareNer(): string {
  for (const file of NER_FILES) {
    const from = path.join(nerSource, file);
    if (!existsSync(from)) throw new Error(`the embedded NER model lacks ${file} (${from}); run its conversion first`);
    copyIfChanged(from, path.join(nerCopy, file));
  }
  const vocab = readFileSync(path.join(nerSource, 'vocab.txt'), 'utf8').split('\n');
  if (vocab[vocab.length - 1] === '') vocab.pop();
  const config = JSON.parse(readFileSync(path.join(nerSource, 'tokenizer_config.json'), 'utf8')) as {
    do_lower_case?: boolean;
  };
  const json = JSON.stringify(bertTokenizerJson(vocab, { lowercase: config.do_lower_case === true }));
  const target = path.join(nerCopy, 'tokenizer.json');
  if (!existsSync(target) || readFileSync(target, 'utf8') !== json) writeFileSync(target, json);
  return nerCopy;
}

/**
 * Generates or refreshes the model folders.
 *
 * @example
 * ```ts
 * const { folders, models } = await prepareModels();
 * models['ner-q8'].folder; // 'ner-ru-tiny'
 * ```
 */
export async function prepareModels(): Promise<PreparedModels> {
  const tinyDir = await ensureTinyEmbeddingModel();
  const nerDir = prepareNer();
  const size = (dir: string, file: string) => statSync(path.join(dir, file)).size;
  return {
    folders: { [TINY_EMBEDDING_MODEL]: tinyDir, 'ner-ru-tiny': nerDir },
    models: {
      'tiny-fp32': {
        key: 'tiny-fp32',
        folder: TINY_EMBEDDING_MODEL,
        task: 'embed',
        dtype: 'fp32',
        label: 'DistilRuBERT-tiny shape, fp32',
        onnxBytes: size(tinyDir, 'onnx/model.onnx'),
      },
      'tiny-q8': {
        key: 'tiny-q8',
        folder: TINY_EMBEDDING_MODEL,
        task: 'embed',
        dtype: 'q8',
        label: 'DistilRuBERT-tiny shape, q8',
        onnxBytes: size(tinyDir, 'onnx/model_quantized.onnx'),
      },
      'ner-q8': {
        key: 'ner-q8',
        folder: 'ner-ru-tiny',
        task: 'tag',
        dtype: 'q8',
        label: 'ner-ru-tiny (embedded NER), q8',
        onnxBytes: size(nerDir, 'onnx/model_quantized.onnx'),
      },
    },
  };
}
