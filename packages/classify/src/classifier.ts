/** The classification head: texts or text pairs -> ranked labels (softmax, sigmoid or raw scores). */
import {
  type BackendReport,
  BertwebError,
  type Encoding,
  type LoadedModel,
  type LoadModelOptions,
  type ModelInfo,
  type ModelSource,
  resolveModel,
  type TruncationStrategy,
  throwIfAborted,
} from '@bertweb/core';
import { type Activation, activate, type LabelScore, rankLabels } from './scores.js';

/**
 * Options of {@link createClassifier}: model loading plus how the head classifies.
 *
 * @example
 * ```ts
 * const options: ClassifierOptions = { backend: 'wasm', threshold: 0.3, topK: 2, maxLength: 256 };
 * const classifier = await createClassifier('models/fixtures/distilbert-seq-cls', options);
 * ```
 */
export interface ClassifierOptions extends LoadModelOptions {
  /**
   * Default from config.json `problem_type`: `multi_label_classification` -> sigmoid,
   * `regression` -> none (raw logits), otherwise softmax.
   */
  readonly activation?: Activation;
  /** Labels by id; default config.json `id2label` (else `LABEL_<i>`). */
  readonly labels?: readonly string[];
  /** Default number of labels returned per input (default: all that pass the threshold). */
  readonly topK?: number;
  /** Default threshold: labels must score above it. Default 0.5 with sigmoid, none otherwise. */
  readonly threshold?: number;
  /** Max tokens per input including special tokens; default the model's `max_position_embeddings`. */
  readonly maxLength?: number;
  /** How pairs are shortened when too long (Hugging Face names). Default `longest_first`. */
  readonly truncation?: TruncationStrategy;
}

/**
 * Per-call options of {@link Classifier.classify}.
 *
 * @example
 * ```ts
 * await classifier.classify(['text'], { topK: 1, signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface ClassifyOptions {
  readonly signal?: AbortSignal;
  /** Overrides the head's `topK`. */
  readonly topK?: number;
  /** Overrides the head's `threshold`. */
  readonly threshold?: number;
}

/**
 * A single text, or a text pair as `[text, textPair]`.
 *
 * @example
 * ```ts
 * const inputs: ClassifierInput[] = ['a text', ['a premise', 'a hypothesis']];
 * ```
 */
export type ClassifierInput = string | readonly [string, string];

/**
 * The result for one input.
 *
 * @example
 * ```ts
 * const [{ labels, truncated }]: Classification[] = await classifier.classify(['I loved it']);
 * ```
 */
export interface Classification {
  /** Best first; with sigmoid only those above the threshold; at most topK. */
  readonly labels: LabelScore[];
  /** True when the input was longer than `maxLength` tokens and was cut. */
  readonly truncated: boolean;
}

/** Inputs per inference call: bounds memory for very large input lists. */
const CHUNK = 256;

/**
 * A text / text-pair classifier. Create it with {@link createClassifier}.
 *
 * @example
 * ```ts
 * const classifier = await createClassifier('models/fixtures/bert-seq-cls');
 * const [result] = await classifier.classify(['I love it']);
 * result.labels[0]; // { label: 'positive', score: 0.93 }
 * ```
 */
export class Classifier {
  readonly labels: readonly string[];
  readonly activation: Activation;
  readonly topK: number | undefined;
  readonly threshold: number | undefined;
  readonly maxLength: number;
  readonly truncation: TruncationStrategy;
  readonly info: ModelInfo;
  readonly backend: BackendReport;
  readonly #model: LoadedModel;
  readonly #ownsModel: boolean;
  #disposed = false;

  /** @internal Use {@link createClassifier}. */
  constructor(model: LoadedModel, ownsModel: boolean, settings: ClassifierSettings) {
    this.#model = model;
    this.#ownsModel = ownsModel;
    this.info = model.info;
    this.backend = model.backend;
    this.labels = settings.labels;
    this.activation = settings.activation;
    this.topK = settings.topK;
    this.threshold = settings.threshold;
    this.maxLength = settings.maxLength;
    this.truncation = settings.truncation;
  }

  /**
   * Classifies texts or text pairs (`[text, textPair]`). An empty text is classified as is (the model
   * sees only [CLS] [SEP]); inputs longer than `maxLength` tokens are truncated and flagged.
   *
   * @example
   * ```ts
   * const [single, pair] = await classifier.classify(['great film', ['A man sleeps.', 'Nobody sleeps.']]);
   * single.labels; // [{ label: 'positive', score: 0.9 }, ...]
   * ```
   */
  async classify(inputs: readonly ClassifierInput[], options: ClassifyOptions = {}): Promise<Classification[]> {
    this.#checkUsable(options.signal);
    checkInputs(inputs);
    const topK = options.topK ?? this.topK;
    const threshold = options.threshold ?? this.threshold;
    if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) {
      throw new BertwebError('INPUT_INVALID', `topK must be a positive integer, got ${topK}`);
    }
    if (threshold !== undefined && !Number.isFinite(threshold)) {
      throw new BertwebError('INPUT_INVALID', `threshold must be a finite number, got ${threshold}`);
    }
    const results: Classification[] = [];
    for (let from = 0; from < inputs.length; from += CHUNK) {
      throwIfAborted(options.signal);
      const chunk = inputs.slice(from, from + CHUNK).map((input) => this.#encode(input));
      const outputs = await this.#model.infer(
        chunk.map((c) => c.encoding),
        { ...(options.signal ? { signal: options.signal } : {}), outputs: ['logits'] },
      );
      if (this.#disposed) throw new BertwebError('DISPOSED', 'this classifier was disposed');
      outputs.forEach((output, k) => {
        const logits = output.logits;
        if (!logits) throw new BertwebError('MODEL_INVALID', 'the model returned no logits output');
        checkWidth(logits.dims, this.labels.length);
        const scores = activate(logits.data, this.activation);
        results.push({
          labels: rankLabels(scores, this.labels, {
            ...(topK !== undefined ? { topK } : {}),
            ...(threshold !== undefined ? { threshold } : {}),
          }),
          truncated: chunk[k]?.truncated ?? false,
        });
      });
    }
    return results;
  }

  /** Frees the model (when this classifier loaded it); later calls reject with DISPOSED. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsModel) await this.#model.dispose();
  }

  #checkUsable(signal: AbortSignal | undefined): void {
    if (this.#disposed) throw new BertwebError('DISPOSED', 'this classifier was disposed');
    throwIfAborted(signal);
  }

  /** Encodes in full, and again with truncation only when that is too long (so the flag is exact). */
  #encode(input: ClassifierInput): { encoding: Encoding; truncated: boolean } {
    const [text, pair] = typeof input === 'string' ? [input, undefined] : input;
    const tokenizer = this.#model.tokenizer;
    // truncation: false, not the tokenizer.json defaults, which may hold another model's limit.
    const full = tokenizer.encode(text, { ...(pair === undefined ? {} : { pair }), truncation: false });
    if (full.ids.length <= this.maxLength) return { encoding: full, truncated: false };
    const encoding = tokenizer.encode(text, {
      ...(pair === undefined ? {} : { pair }),
      truncation: { maxLength: this.maxLength, strategy: pair === undefined ? 'longest_first' : this.truncation },
    });
    return { encoding, truncated: true };
  }
}

function checkInputs(inputs: unknown): asserts inputs is readonly ClassifierInput[] {
  if (!Array.isArray(inputs))
    throw new BertwebError('INPUT_INVALID', 'classify expects an array of texts or [text, pair] tuples');
  inputs.forEach((input, i) => {
    const ok =
      typeof input === 'string' ||
      (Array.isArray(input) && input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string');
    if (!ok)
      throw new BertwebError('INPUT_INVALID', `inputs[${i}] must be a string or a [text, textPair] pair of strings`);
  });
}

function checkWidth(dims: readonly number[], numLabels: number): void {
  if (dims.length !== 1 || dims[0] !== numLabels) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the model's logits have shape [${dims.join(', ')}] per input but there are ${numLabels} labels (id2label)`,
      { dims: [...dims], labels: numLabels },
    );
  }
}

interface ClassifierSettings {
  readonly labels: readonly string[];
  readonly activation: Activation;
  readonly topK: number | undefined;
  readonly threshold: number | undefined;
  readonly maxLength: number;
  readonly truncation: TruncationStrategy;
}

/**
 * Loads a sequence-classification model (or takes a loaded one) and returns a {@link Classifier}.
 * Checks that the labels match the model's logits (MODEL_INVALID).
 *
 * @example
 * ```ts
 * const classifier = await createClassifier('models/fixtures/distilbert-seq-cls', { threshold: 0.3 });
 * const [result] = await classifier.classify(['you are awful']);
 * result.labels; // every label scoring above 0.3 (sigmoid: multi_label_classification)
 * ```
 */
export async function createClassifier(
  source: ModelSource | LoadedModel,
  options: ClassifierOptions = {},
): Promise<Classifier> {
  const { model, owned } = await resolveModel(source, options);
  try {
    const settings = await resolveSettings(model, options);
    return new Classifier(model, owned, settings);
  } catch (error) {
    if (owned) await model.dispose();
    throw error;
  }
}

async function resolveSettings(model: LoadedModel, options: ClassifierOptions): Promise<ClassifierSettings> {
  const { info } = model;
  if (info.task === 'token-classification' || info.task === 'question-answering') {
    throw new BertwebError('MODEL_INVALID', `this is a ${info.task} model, not a sequence-classification model`);
  }
  if (!model.outputNames.includes('logits')) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the model has no logits output (outputs: ${model.outputNames.join(', ')})`,
    );
  }
  // One tiny inference tells the logits width: labels must fit it.
  const probe = model.tokenizer.encode('', { truncation: false });
  const [output] = await model.infer([probe], {
    ...(options.signal ? { signal: options.signal } : {}),
    outputs: ['logits'],
  });
  const dims = output?.logits?.dims ?? [];
  if (dims.length !== 1) {
    throw new BertwebError('MODEL_INVALID', `expected logits [labels] per input, got [${dims.join(', ')}]`);
  }
  const width = dims[0] as number;
  const labels = options.labels ?? info.labels ?? Array.from({ length: width }, (_, i) => `LABEL_${i}`);
  checkWidth(dims, labels.length);
  const activation: Activation =
    options.activation ??
    (info.problemType === 'multi_label_classification'
      ? 'sigmoid'
      : info.problemType === 'regression'
        ? 'none'
        : 'softmax');
  const maxLength = options.maxLength ?? info.maxPositions;
  if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > info.maxPositions) {
    throw new BertwebError(
      'INPUT_INVALID',
      `maxLength must be an integer in [2, ${info.maxPositions}], got ${maxLength}`,
    );
  }
  if (options.topK !== undefined && (!Number.isInteger(options.topK) || options.topK < 1)) {
    throw new BertwebError('INPUT_INVALID', `topK must be a positive integer, got ${options.topK}`);
  }
  return {
    labels: [...labels],
    activation,
    topK: options.topK,
    threshold: options.threshold ?? (activation === 'sigmoid' ? 0.5 : undefined),
    maxLength,
    truncation: options.truncation ?? 'longest_first',
  };
}
