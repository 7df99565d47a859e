import { ARCHITECTURES, BertwebError, type ModelFamily, type ModelTask } from '../core.js';

/** Activation of the feed-forward block. */
export type Activation = 'gelu' | 'gelu_tanh' | 'relu';

/** Encoder hyper-parameters, normalized across BERT and DistilBERT configs. */
export interface EncoderConfig {
  readonly family: ModelFamily;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly maxPositions: number;
  /** Token type (segment) vocabulary; 0 for DistilBERT (no token_type_ids input). */
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  readonly activation: Activation;
}

const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  relu: 'relu',
};

const TASK_ALIASES: Readonly<Record<string, ModelTask | 'auto'>> = {
  auto: 'auto',
  base: 'feature-extraction',
  embed: 'feature-extraction',
  embeddings: 'feature-extraction',
  'feature-extraction': 'feature-extraction',
  ner: 'token-classification',
  tag: 'token-classification',
  tagging: 'token-classification',
  'token-classification': 'token-classification',
  qa: 'question-answering',
  squad: 'question-answering',
  'question-answering': 'question-answering',
  classify: 'sequence-classification',
  classification: 'sequence-classification',
  'text-classification': 'sequence-classification',
  'sequence-classification': 'sequence-classification',
};

/**
 * Parses a `--task` value (aliases: base/embed, ner/tag, qa/squad, classify).
 *
 * @example
 * ```ts
 * parseTask('ner'); // 'token-classification'
 * ```
 */
export function parseTask(value: string): ModelTask | 'auto' {
  const key = typeof value === 'string' ? value.toLowerCase() : '';
  const task = Object.hasOwn(TASK_ALIASES, key) ? TASK_ALIASES[key] : undefined;
  if (!task) {
    throw new BertwebError(
      'INPUT_INVALID',
      `unknown task ${JSON.stringify(String(value).slice(0, 60))}; use auto, feature-extraction, token-classification, question-answering or sequence-classification`,
    );
  }
  return task;
}

/** A value for a message: primitives as JSON, containers by kind (never a recursive stringify). */
function shortJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return (JSON.stringify(value) ?? String(value)).slice(0, 80);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** `table[key]` for own keys only (`constructor`, `__proto__` are not architectures). */
function own<T>(table: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

function positiveInt(config: Record<string, unknown>, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      value === undefined
        ? `config.json lacks "${key}"`
        : `config.json "${key}" must be a positive integer, got ${shortJson(value)}`,
      { key },
    );
  }
  return value;
}

/**
 * The family a config describes: `model_type`, else its `architectures`, else its key names (old BERT
 * configs have neither).
 */
export function configFamily(config: Record<string, unknown>): ModelFamily {
  const modelType = config.model_type;
  if (modelType === 'bert' || modelType === 'distilbert') return modelType;
  if (typeof modelType === 'string') {
    throw new BertwebError(
      'UNSUPPORTED',
      `model_type ${shortJson(modelType)} is not supported; the converter handles bert and distilbert`,
      { modelType },
    );
  }
  const arch = Array.isArray(config.architectures) ? config.architectures[0] : undefined;
  const known = own(ARCHITECTURES, arch);
  if (known) return known.family;
  if ('dim' in config && 'n_layers' in config) return 'distilbert';
  if ('hidden_size' in config && 'num_hidden_layers' in config) return 'bert';
  throw new BertwebError('MODEL_INVALID', 'config.json describes neither a BERT nor a DistilBERT model');
}

/**
 * Normalizes a Hugging Face config.json of the BERT or DistilBERT family. Never guesses: missing
 * hyper-parameters are `MODEL_INVALID`.
 *
 * @example
 * ```ts
 * const enc = parseEncoderConfig(JSON.parse(configText));
 * enc.numHeads; // 12
 * ```
 */
export function parseEncoderConfig(config: Record<string, unknown>): EncoderConfig {
  const family = configFamily(config);
  if (family === 'bert') {
    const positionType = config.position_embedding_type ?? 'absolute';
    if (positionType !== 'absolute') {
      throw new BertwebError('UNSUPPORTED', `position_embedding_type ${shortJson(positionType)} is not supported`);
    }
    const act = config.hidden_act ?? 'gelu';
    const activation = own(ACTIVATIONS, act);
    if (!activation) throw new BertwebError('UNSUPPORTED', `hidden_act ${shortJson(act)} is not supported`);
    const enc: EncoderConfig = {
      family,
      vocabSize: positiveInt(config, 'vocab_size'),
      hiddenSize: positiveInt(config, 'hidden_size'),
      numLayers: positiveInt(config, 'num_hidden_layers'),
      numHeads: positiveInt(config, 'num_attention_heads'),
      intermediateSize: positiveInt(config, 'intermediate_size'),
      maxPositions: positiveInt(config, 'max_position_embeddings'),
      typeVocabSize: positiveInt(config, 'type_vocab_size', 2),
      layerNormEps:
        typeof config.layer_norm_eps === 'number' &&
        Number.isFinite(config.layer_norm_eps) &&
        config.layer_norm_eps >= 0
          ? config.layer_norm_eps
          : 1e-12,
      activation,
    };
    return checkHeads(enc);
  }
  const act = config.activation ?? 'gelu';
  const activation = own(ACTIVATIONS, act);
  if (!activation) throw new BertwebError('UNSUPPORTED', `activation ${shortJson(act)} is not supported`);
  return checkHeads({
    family,
    vocabSize: positiveInt(config, 'vocab_size'),
    hiddenSize: positiveInt(config, 'dim'),
    numLayers: positiveInt(config, 'n_layers'),
    numHeads: positiveInt(config, 'n_heads'),
    intermediateSize: positiveInt(config, 'hidden_dim'),
    maxPositions: positiveInt(config, 'max_position_embeddings'),
    typeVocabSize: 0,
    // DistilBERT's LayerNorms use a fixed eps of 1e-12 (modeling_distilbert.py).
    layerNormEps: 1e-12,
    activation,
  });
}

function checkHeads(enc: EncoderConfig): EncoderConfig {
  if (enc.hiddenSize % enc.numHeads !== 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      `hidden size ${enc.hiddenSize} is not divisible by ${enc.numHeads} attention heads`,
    );
  }
  return enc;
}

/** The task named by a config's `architectures`, when it names a known one. */
export function configTask(config: Record<string, unknown>): ModelTask | undefined {
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  for (const arch of archs) {
    if (typeof arch !== 'string') continue;
    const known = own(ARCHITECTURES, arch);
    if (known) return known.task;
    throw new BertwebError(
      'UNSUPPORTED',
      `architecture ${arch.slice(0, 100)} is not supported; known: ${Object.keys(ARCHITECTURES).join(', ')}`,
      { architecture: arch.slice(0, 200) },
    );
  }
  return undefined;
}
