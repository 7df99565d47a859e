/** config.json -> {@link ModelInfo}: one normalized view over BERT and DistilBERT key names. */
import { BertwebError } from '../errors.js';
import { type ModelTask, taskOfArchitecture } from '../layout.js';
import type { ModelInfo } from './types.js';

type Json = Record<string, unknown>;

/**
 * Reads a Hugging Face `config.json` (BERT family and DistilBERT naming) into a {@link ModelInfo}.
 * The task comes from `architectures`; graph outputs can refine it later (see {@link refineTask}).
 *
 * @example
 * ```ts
 * const info = parseModelConfig(await files.json('config.json'));
 * info.labels; // ['O', 'B-PER', ...]
 * ```
 */
export function parseModelConfig(config: unknown): ModelInfo {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new BertwebError('MODEL_INVALID', 'config.json must be a JSON object');
  }
  const raw = config as Json;
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : 'bert';
  const isDistil = modelType === 'distilbert';
  const architectures = Array.isArray(raw.architectures) ? raw.architectures.filter((a) => typeof a === 'string') : [];
  const architecture = architectures[0] as string | undefined;

  const hiddenSize = positiveInt(raw, isDistil ? ['dim', 'hidden_size'] : ['hidden_size', 'dim']);
  const numHeads = positiveInt(raw, isDistil ? ['n_heads', 'num_attention_heads'] : ['num_attention_heads', 'n_heads']);
  if (hiddenSize % numHeads !== 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      `config.json: hidden size ${hiddenSize} is not divisible by ${numHeads} heads`,
    );
  }
  const labels = readLabels(raw);
  const problemType = raw.problem_type;
  return {
    modelType,
    architecture,
    task: taskOfArchitecture(architecture),
    hiddenSize,
    numHeads,
    numLayers: positiveInt(raw, isDistil ? ['n_layers', 'num_hidden_layers'] : ['num_hidden_layers', 'n_layers']),
    intermediateSize: positiveInt(
      raw,
      isDistil ? ['hidden_dim', 'intermediate_size'] : ['intermediate_size', 'hidden_dim'],
    ),
    vocabSize: positiveInt(raw, ['vocab_size']),
    maxPositions: positiveInt(raw, ['max_position_embeddings'], 512),
    typeVocabSize: isDistil ? 0 : nonNegativeInt(raw, 'type_vocab_size', 2),
    labels,
    problemType:
      problemType === 'single_label_classification' ||
      problemType === 'multi_label_classification' ||
      problemType === 'regression'
        ? problemType
        : undefined,
    raw,
  };
}

/**
 * The task implied by the graph's outputs, when config.json has no `architectures`.
 *
 * @example
 * ```ts
 * refineTask(info, ['start_logits', 'end_logits']).task; // 'question-answering'
 * ```
 */
export function refineTask(info: ModelInfo, outputNames: readonly string[], logitsRank?: number): ModelInfo {
  if (info.architecture !== undefined && info.task !== 'feature-extraction') return info;
  let task: ModelTask = info.task;
  if (outputNames.includes('start_logits') && outputNames.includes('end_logits')) task = 'question-answering';
  else if (outputNames.includes('logits')) task = logitsRank === 2 ? 'sequence-classification' : 'token-classification';
  return task === info.task ? info : { ...info, task };
}

function readLabels(raw: Json): string[] | undefined {
  const id2label = raw.id2label;
  if (id2label === undefined || id2label === null) return undefined;
  if (typeof id2label !== 'object' || Array.isArray(id2label)) {
    throw new BertwebError('MODEL_INVALID', 'config.json: id2label must be an object of id -> label');
  }
  const entries = Object.entries(id2label as Json);
  const labels: string[] = new Array(entries.length);
  for (const [key, value] of entries) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= entries.length || typeof value !== 'string') {
      throw new BertwebError('MODEL_INVALID', `config.json: id2label has a bad entry ${JSON.stringify(key)}`, {
        key,
      });
    }
    labels[id] = value;
  }
  if (labels.some((l) => l === undefined)) {
    throw new BertwebError('MODEL_INVALID', 'config.json: id2label ids must be 0..n-1 without gaps');
  }
  return labels;
}

function positiveInt(raw: Json, keys: readonly string[], fallback?: number): number {
  for (const key of keys) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new BertwebError(
        'MODEL_INVALID',
        `config.json: ${key} must be a positive integer, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }
  if (fallback !== undefined) return fallback;
  throw new BertwebError('MODEL_INVALID', `config.json: missing ${keys[0]}`);
}

function nonNegativeInt(raw: Json, key: string, fallback: number): number {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new BertwebError('MODEL_INVALID', `config.json: ${key} must be a non-negative integer`);
  }
  return value;
}
