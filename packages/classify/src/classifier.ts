/**
 * The classification head: texts or text pairs -> ranked labels (softmax, sigmoid or raw scores), with
 * DeepPavlov 1.7's `torch_transformers_classifier` settings as options (`multilabel`, `isBinary`,
 * `nClasses`, `returnProbas`; docs/deeppavlov-1.7.md, "Classification").
 */

// The head skeleton's types (core.Head, core.HeadContext, ...), named where they are used.
import type * as core from '@bertweb/core';
import { BertwebError, CALL_OPTION_KEYS, check, defineHead, ModelHead, TRUNCATION_STRATEGIES } from '@bertweb/core';
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
export interface ClassifierOptions extends core.HeadOptions {
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
  readonly truncation?: core.TruncationStrategy;
  /**
   * DeepPavlov's `multilabel`: `true` scores every class with a sigmoid (the same as `activation:
   * 'sigmoid'`), `false` with a softmax. Contradicting `activation`, or `returnProbas: false` (DeepPavlov
   * raises "Set return_probas to True for multilabel classification"), is INPUT_INVALID.
   */
  readonly multilabel?: boolean;
  /**
   * DeepPavlov's `is_binary`: the model has ONE logit and `p = sigmoid(logit)` is the probability of the
   * second class (`labels[1]`, the second line of `classes.dict`; `1 - p` is that of `labels[0]`). Each
   * result lists both labels, the decision first: `labels[1]` when `p > threshold` (default 0.5; the rule
   * of DeepPavlov's `proba2labels` with `confidence_threshold`), else `labels[0]`. DeepPavlov's
   * `proba2labels` with `max_proba` takes `argmax` of the scalar and so always answers `labels[0]`;
   * bertweb does not reproduce that. Labels: `options.labels` (2), else config.json `id2label` when it
   * has 2 entries, else `LABEL_0`, `LABEL_1`.
   */
  readonly isBinary?: boolean;
  /**
   * DeepPavlov's `n_classes` (the class vocabulary's size): checked against the model's logits
   * (MODEL_INVALID naming both; with `isBinary` it must be 2, for one logit). `1` is regression: the raw
   * logit, as DeepPavlov returns it (`returnProbas: true` with it is INPUT_INVALID, as DeepPavlov raises).
   */
  readonly nClasses?: number;
  /**
   * DeepPavlov's `return_probas`. `true`: probabilities (softmax, or sigmoid with `multilabel`). `false`:
   * DeepPavlov returns the argmax class index; bertweb returns that class as the only label, scored with
   * its raw logit (activation `'none'`, `topK` 1 unless given). Default: probabilities (the `activation`
   * rules).
   */
  readonly returnProbas?: boolean;
}

/**
 * Per-call options of {@link Classifier.classify}; progress counts inputs.
 *
 * @example
 * ```ts
 * await classifier.classify(['text'], { topK: 1, signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface ClassifyOptions extends core.CallOptions {
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
export interface Classifier extends core.Head {
  readonly labels: readonly string[];
  readonly activation: Activation;
  /** One logit through a sigmoid, two labels (DeepPavlov's `is_binary`; see {@link ClassifierOptions.isBinary}). */
  readonly isBinary: boolean;
  readonly topK: number | undefined;
  readonly threshold: number | undefined;
  /** Max tokens per input, special tokens included. */
  readonly maxLength: number;
  readonly truncation: core.TruncationStrategy;
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

/** The head's settings: its data properties, resolved from the options and the model. */
type ClassifierSettings = Pick<
  Classifier,
  'labels' | 'activation' | 'isBinary' | 'topK' | 'threshold' | 'maxLength' | 'truncation'
>;

const CLASSIFY_OPTION_KEYS = [...CALL_OPTION_KEYS, 'topK', 'threshold'];
const ACTIVATIONS: readonly Activation[] = ['softmax', 'sigmoid', 'none'];

/** One encoded input. */
interface InputJob {
  readonly encoding: core.Encoding;
  readonly truncated: boolean;
}

// The settings are own data properties, which ModelHead assigns; this interface gives them their types.
// biome-ignore lint/correctness/noUnusedVariables: merged with the class below.
interface ClassifierHead extends Readonly<ClassifierSettings> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
class ClassifierHead extends ModelHead implements Classifier {
  constructor(context: core.HeadContext, settings: ClassifierSettings) {
    super(context, settings);
  }

  async classify(inputs: readonly ClassifierInput[], options?: ClassifyOptions | null): Promise<Classification[]> {
    const call = this.begin(options, CLASSIFY_OPTION_KEYS);
    const topK = check.int(call.topK, 'topK', 1) ?? this.topK;
    const threshold = check.finite(call.threshold, 'threshold') ?? this.threshold;
    const list = checkInputs(inputs);
    const jobs = list.map((input) => this.#encode(input));
    const results: Classification[] = new Array(jobs.length);
    const width = this.isBinary ? 1 : this.labels.length;
    await this.runJobs(
      jobs,
      {
        encoding: (job) => job.encoding,
        outputs: { logits: () => [width] },
        consume: (job, outputs, index) => {
          const logits = (outputs.logits as { data: Float32Array }).data;
          results[index] = {
            labels: this.isBinary
              ? binaryLabels(logits[0] as number, this.labels, threshold ?? 0.5, topK)
              : rankLabels(activate(logits, this.activation), this.labels, {
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

/**
 * Both labels of a binary (one-logit) classifier, the decision first: `labels[1]` with `p =
 * sigmoid(logit)` when `p > threshold`, else `labels[0]` with `1 - p`.
 */
function binaryLabels(logit: number, labels: readonly string[], threshold: number, topK: number | undefined) {
  const [p] = activate([logit], 'sigmoid') as [number];
  const positive = { label: labels[1] as string, score: p };
  const negative = { label: labels[0] as string, score: 1 - p };
  return (p > threshold ? [positive, negative] : [negative, positive]).slice(0, topK ?? 2);
}

function checkInputs(inputs: unknown): readonly ClassifierInput[] {
  return check.denseArray(inputs, 'inputs').map((input, i) => {
    if (typeof input === 'string') return input;
    // A pair is read once: the copy is what gets encoded (a getter cannot change it after the check).
    const pair = Array.isArray(input) && input.length === 2 ? [input[0], input[1]] : undefined;
    if (!pair || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new BertwebError('INPUT_INVALID', `inputs[${i}] must be a string or a [text, textPair] pair of strings`, {
        argument: `inputs[${i}]`,
      });
    }
    return pair as [string, string];
  });
}

const CLASSIFIER_OPTION_KEYS = [
  'activation',
  'labels',
  'topK',
  'threshold',
  'maxLength',
  'truncation',
  'multilabel',
  'isBinary',
  'nClasses',
  'returnProbas',
];

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
export const createClassifier: core.HeadFactory<ClassifierOptions, Classifier> = defineHead<
  ClassifierOptions,
  ClassifierSettings,
  Classifier
>({
  kind: 'classifier',
  outputs: ['logits'],
  refuses: ['token-classification', 'question-answering'],
  options: CLASSIFIER_OPTION_KEYS,
  check: (options) => {
    check.oneOf(options.activation, 'activation', ACTIVATIONS);
    if (options.labels !== undefined) check.strings(options.labels, 'labels');
    check.int(options.topK, 'topK', 1);
    check.finite(options.threshold, 'threshold');
    check.int(options.maxLength, 'maxLength', 2);
    check.oneOf(options.truncation, 'truncation', TRUNCATION_STRATEGIES);
    checkDeepPavlovSettings(options);
  },
  settle: resolveSettings,
  create: (context, settings) => new ClassifierHead(context, settings),
});

/** `INPUT_INVALID` for DeepPavlov settings that contradict each other (or `activation`), before loading. */
function checkDeepPavlovSettings(options: ClassifierOptions): void {
  const multilabel = check.bool(options.multilabel, 'multilabel');
  const isBinary = check.bool(options.isBinary, 'isBinary');
  const returnProbas = check.bool(options.returnProbas, 'returnProbas');
  const nClasses = check.int(options.nClasses, 'nClasses', 1);
  const { activation } = options;
  const conflict = (message: string, argument: string): never => {
    throw new BertwebError('INPUT_INVALID', message, { argument });
  };
  if (multilabel === true && activation !== undefined && activation !== 'sigmoid') {
    conflict(`multilabel: true scores with a sigmoid; it contradicts activation '${activation}'`, 'multilabel');
  }
  if (multilabel === false && activation === 'sigmoid') {
    conflict("multilabel: false scores with a softmax; it contradicts activation 'sigmoid'", 'multilabel');
  }
  if (multilabel === true && returnProbas === false) {
    conflict('multilabel: true needs returnProbas: true (as DeepPavlov requires)', 'returnProbas');
  }
  if (returnProbas === false && activation !== undefined && activation !== 'none') {
    conflict(
      `returnProbas: false scores with the raw logits; it contradicts activation '${activation}'`,
      'returnProbas',
    );
  }
  if (returnProbas === true && nClasses === 1) {
    conflict(
      'nClasses 1 is regression: the raw logit, not probabilities (DeepPavlov raises too); drop returnProbas',
      'returnProbas',
    );
  }
  if (isBinary === true) {
    if (multilabel === true) conflict('isBinary (one logit, two classes) contradicts multilabel: true', 'isBinary');
    if (returnProbas === false) conflict('isBinary needs returnProbas: true (its score is the sigmoid)', 'isBinary');
    if (activation !== undefined && activation !== 'sigmoid') {
      conflict(`isBinary scores with a sigmoid; it contradicts activation '${activation}'`, 'isBinary');
    }
    if (nClasses !== undefined && nClasses !== 2) {
      conflict(`isBinary has two classes (one logit); nClasses is ${nClasses}`, 'nClasses');
    }
    if (options.labels !== undefined && options.labels.length !== 2) {
      conflict(`isBinary needs 2 labels (negative, positive); options.labels has ${options.labels.length}`, 'labels');
    }
  }
}

async function resolveSettings(model: core.LoadedModel, options: ClassifierOptions): Promise<ClassifierSettings> {
  const { info } = model;
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
  const isBinary = options.isBinary ?? false;
  const labels = isBinary ? binaryClassLabels(options, info.labels, width) : classLabels(options, info.labels, width);
  const activation = options.activation ?? defaultActivation(options, info.problemType);
  // returnProbas: false is DeepPavlov's argmax: the best class alone (unless topK says otherwise).
  const topK = options.topK ?? (options.returnProbas === false ? 1 : undefined);
  return {
    labels: [...labels],
    activation,
    isBinary,
    topK,
    threshold: options.threshold ?? (activation === 'sigmoid' ? 0.5 : undefined),
    maxLength,
    truncation: options.truncation ?? 'longest_first',
  };
}

/**
 * The activation when none is given: the DeepPavlov settings first (`isBinary` / `multilabel` ->
 * sigmoid, `returnProbas: false` or `nClasses` 1 -> raw logits, `multilabel: false` -> softmax), then
 * config.json `problem_type`.
 */
function defaultActivation(options: ClassifierOptions, problemType: string | undefined): Activation {
  if (options.isBinary === true || options.multilabel === true) return 'sigmoid';
  if (options.returnProbas === false || options.nClasses === 1) return 'none';
  if (options.multilabel === false) return 'softmax';
  if (problemType === 'multi_label_classification') return 'sigmoid';
  if (problemType === 'regression') return 'none';
  return 'softmax';
}

/** The class vocabulary of a classifier with one logit per class, checked against the logits. */
function classLabels(
  options: ClassifierOptions,
  configLabels: readonly string[] | undefined,
  width: number,
): readonly string[] {
  if (options.nClasses !== undefined && options.nClasses !== width) {
    throw new BertwebError(
      'MODEL_INVALID',
      `nClasses is ${options.nClasses} but the model's logits have ${width} values per input`,
      { nClasses: options.nClasses, logits: width },
    );
  }
  const labels = options.labels ?? configLabels ?? Array.from({ length: width }, (_, i) => `LABEL_${i}`);
  if (labels.length !== width) {
    const from = options.labels ? 'options.labels' : 'config.json id2label';
    throw new BertwebError(
      'MODEL_INVALID',
      `the model's logits have shape [${width}] per input but the class vocabulary (${from}) has ${labels.length} labels`,
      { dims: [width], labels: labels.length },
    );
  }
  return labels;
}

/** The two labels of a one-logit (`isBinary`) classifier. */
function binaryClassLabels(
  options: ClassifierOptions,
  configLabels: readonly string[] | undefined,
  width: number,
): readonly string[] {
  if (width !== 1) {
    throw new BertwebError(
      'MODEL_INVALID',
      `isBinary needs one logit per input; the model's logits have ${width} values`,
      { logits: width },
    );
  }
  if (options.labels) return options.labels;
  if (!configLabels || configLabels.length === 1) return ['LABEL_0', 'LABEL_1'];
  if (configLabels.length !== 2) {
    throw new BertwebError(
      'MODEL_INVALID',
      `isBinary has two classes but config.json id2label lists ${configLabels.length} labels`,
      { labels: configLabels.length },
    );
  }
  return configLabels;
}
