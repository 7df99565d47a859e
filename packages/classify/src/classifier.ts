/** The classification head: texts or text pairs -> ranked labels (softmax, sigmoid or raw scores). */
import {
  BertwebError,
  CALL_OPTION_KEYS,
  type CallOptions,
  check,
  defineHead,
  type Encoding,
  type Head,
  type HeadContext,
  type HeadOptions,
  type LoadedModel,
  ModelHead,
  type ModelSource,
  type TruncationStrategy,
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
export interface ClassifierOptions extends HeadOptions {
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
  /** Max tokens per input including special tokens; default (and upper bound) the model's `max_position_embeddings`. */
  readonly maxLength?: number;
  /** How pairs are shortened when too long (Hugging Face names). Default `longest_first`. */
  readonly truncation?: TruncationStrategy;
}

/**
 * Per-call options of {@link Classifier.classify}; progress counts inputs.
 *
 * @example
 * ```ts
 * await classifier.classify(['text'], { topK: 1, signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface ClassifyOptions extends CallOptions {
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

/**
 * A text / text-pair classifier, in-thread or through a worker. Create it with {@link createClassifier}.
 *
 * @example
 * ```ts
 * const classifier: Classifier = await createClassifier('models/fixtures/bert-seq-cls');
 * const [result] = await classifier.classify(['I love it']);
 * result.labels[0]; // { label: 'positive', score: 0.93 }
 * ```
 */
export interface Classifier extends Head {
  readonly labels: readonly string[];
  readonly activation: Activation;
  readonly topK: number | undefined;
  readonly threshold: number | undefined;
  /** Max tokens per input, special tokens included. */
  readonly maxLength: number;
  readonly truncation: TruncationStrategy;
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
  classify(inputs: readonly ClassifierInput[], options?: ClassifyOptions | null): Promise<Classification[]>;
}

interface ClassifierSettings {
  readonly labels: readonly string[];
  readonly activation: Activation;
  readonly topK: number | undefined;
  readonly threshold: number | undefined;
  readonly maxLength: number;
  readonly truncation: TruncationStrategy;
}

const CLASSIFY_OPTION_KEYS = [...CALL_OPTION_KEYS, 'topK', 'threshold'];
const ACTIVATIONS: readonly Activation[] = ['softmax', 'sigmoid', 'none'];
const TRUNCATIONS: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

/** One encoded input. */
interface InputJob {
  readonly encoding: Encoding;
  readonly truncated: boolean;
}

class ClassifierHead extends ModelHead implements Classifier {
  readonly labels: readonly string[];
  readonly activation: Activation;
  readonly topK: number | undefined;
  readonly threshold: number | undefined;
  readonly maxLength: number;
  readonly truncation: TruncationStrategy;

  constructor(context: HeadContext, settings: ClassifierSettings) {
    super(context);
    this.labels = settings.labels;
    this.activation = settings.activation;
    this.topK = settings.topK;
    this.threshold = settings.threshold;
    this.maxLength = settings.maxLength;
    this.truncation = settings.truncation;
  }

  async classify(inputs: readonly ClassifierInput[], options?: ClassifyOptions | null): Promise<Classification[]> {
    const call = this.begin(options, CLASSIFY_OPTION_KEYS);
    const topK = check.int(call.topK, 'topK', 1) ?? this.topK;
    const threshold = check.finite(call.threshold, 'threshold') ?? this.threshold;
    const list = checkInputs(inputs);
    const jobs = list.map((input) => this.#encode(input));
    const results: Classification[] = new Array(jobs.length);
    const numLabels = this.labels.length;
    await this.runJobs(
      jobs,
      {
        encoding: (job) => job.encoding,
        outputs: { logits: () => [numLabels] },
        consume: (job, outputs, index) => {
          const scores = activate((outputs.logits as { data: Float32Array }).data, this.activation);
          results[index] = {
            labels: rankLabels(scores, this.labels, {
              ...(topK !== undefined ? { topK } : {}),
              ...(threshold !== undefined ? { threshold } : {}),
            }),
            truncated: job.truncated,
          };
        },
        unit: 'inputs',
      },
      call,
    );
    return results;
  }

  /** Encodes in full, and again with truncation only when that is too long (so the flag is exact). */
  #encode(input: ClassifierInput): InputJob {
    const [text, pair] = typeof input === 'string' ? [input, undefined] : input;
    const tokenizer = this.model.tokenizer;
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

function checkInputs(inputs: unknown): readonly ClassifierInput[] {
  const list = check.denseArray(inputs, 'inputs');
  list.forEach((input, i) => {
    const ok =
      typeof input === 'string' ||
      (Array.isArray(input) && input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string');
    if (!ok) {
      throw new BertwebError('INPUT_INVALID', `inputs[${i}] must be a string or a [text, textPair] pair of strings`, {
        argument: `inputs[${i}]`,
      });
    }
  });
  return list as readonly ClassifierInput[];
}

const CLASSIFIER_OPTION_KEYS = ['activation', 'labels', 'topK', 'threshold', 'maxLength', 'truncation'];

/**
 * Loads a sequence-classification model (or takes a loaded one) and returns a {@link Classifier}.
 * Checks that the labels match the model's logits (MODEL_INVALID); a `maxLength` above the model's
 * limit is INPUT_INVALID.
 *
 * @example
 * ```ts
 * const classifier = await createClassifier('models/fixtures/distilbert-seq-cls', { threshold: 0.3 });
 * const [result] = await classifier.classify(['you are awful']);
 * result.labels; // every label scoring above 0.3 (sigmoid: multi_label_classification)
 * ```
 */
export const createClassifier: (
  source: ModelSource | LoadedModel,
  options?: ClassifierOptions | null,
) => Promise<Classifier> = defineHead<ClassifierOptions, ClassifierSettings, Classifier>({
  kind: 'classifier',
  options: CLASSIFIER_OPTION_KEYS,
  check: (options) => {
    check.oneOf(options.activation, 'activation', ACTIVATIONS);
    if (options.labels !== undefined) check.strings(options.labels, 'labels');
    check.int(options.topK, 'topK', 1);
    check.finite(options.threshold, 'threshold');
    check.int(options.maxLength, 'maxLength', 2);
    check.oneOf(options.truncation, 'truncation', TRUNCATIONS);
  },
  settle: resolveSettings,
  create: (context, settings) => new ClassifierHead(context, settings),
});

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
  const maxLength = check.int(options.maxLength, 'maxLength', 2, info.maxPositions) ?? info.maxPositions;
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
  if (labels.length !== width) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the model's logits have shape [${dims.join(', ')}] per input but there are ${labels.length} labels (id2label)`,
      { dims: [...dims], labels: labels.length },
    );
  }
  const activation: Activation =
    options.activation ??
    (info.problemType === 'multi_label_classification'
      ? 'sigmoid'
      : info.problemType === 'regression'
        ? 'none'
        : 'softmax');
  return {
    labels: [...labels],
    activation,
    topK: options.topK,
    threshold: options.threshold ?? (activation === 'sigmoid' ? 0.5 : undefined),
    maxLength,
    truncation: options.truncation ?? 'longest_first',
  };
}
