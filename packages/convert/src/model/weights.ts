import { BertwebError, type ModelFamily, type ModelTask } from '../core.js';
import type { EncoderConfig } from './config.js';
import type { TensorRef } from './tensor.js';

/** A dense layer as stored by PyTorch: weight [out, in], bias [out]. */
export interface Linear {
  readonly weight: TensorRef;
  readonly bias: TensorRef;
}

/** LayerNorm scale and shift. */
export interface Norm {
  readonly weight: TensorRef;
  readonly bias: TensorRef;
}

/** One transformer block. */
export interface LayerWeights {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly attentionOutput: Linear;
  readonly attentionNorm: Norm;
  readonly intermediate: Linear;
  readonly output: Linear;
  readonly outputNorm: Norm;
}

/** CRF parameters (pytorch-crf layout). */
export interface CrfWeights {
  readonly transitions: TensorRef;
  readonly start: TensorRef;
  readonly end: TensorRef;
}

/**
 * How a sequence classifier turns the first token's ([CLS]) hidden state into its classifier's input:
 * - `pooler`: `tanh(pooler.dense(h))` (BertForSequenceClassification; the classifier is `classifier`);
 * - `pre-classifier`: `relu(pre_classifier(h))` (DistilBertForSequenceClassification);
 * - `dense-tanh`: `tanh(classifier.dense(h))`, then `classifier.out_proj` (DeepPavlov 1.7's
 *   `AutoModelForBinaryClassification` of `torch_transformers_classifier` with `is_binary`, one logit; the
 *   same head as RoBERTa's `classifier.dense` / `classifier.out_proj`);
 * - `cls`: `h` itself (DeepPavlov 1.7's `NLLRanking`: `fc` on the raw [CLS] hidden state, no pooler).
 */
export type SequencePooling = 'pooler' | 'pre-classifier' | 'dense-tanh' | 'cls';

/** Every weight the graph needs, by role. */
export interface ModelWeights {
  readonly wordEmbeddings: TensorRef;
  readonly positionEmbeddings: TensorRef;
  readonly tokenTypeEmbeddings?: TensorRef;
  readonly embeddingNorm: Norm;
  readonly layers: readonly LayerWeights[];
  readonly pooler?: Linear;
  readonly preClassifier?: Linear;
  /** `classifier.dense` of a `dense-tanh` sequence head. */
  readonly headDense?: Linear;
  /** Sequence classification: what the classifier reads (see {@link SequencePooling}). */
  readonly sequencePooling?: SequencePooling;
  /** The classification layer: `classifier`, `classifier.out_proj` (`dense-tanh`) or `fc` (`cls`). */
  readonly classifier?: Linear;
  readonly qaOutputs?: Linear;
  readonly crf?: CrfWeights;
}

/** Where the converter may learn the task from, besides the weights. */
export interface TaskHints {
  /** `--task`, when not auto. */
  readonly explicit?: ModelTask;
  /** `architectures` of the checkpoint's own config.json (not the base model's). */
  readonly fromConfig?: ModelTask;
  /** DeepPavlov label file: tag.dict -> token classification, classes.dict -> sequence classification. */
  readonly fromLabelFile?: ModelTask;
}

/** Options of {@link mapWeights} besides the task hints. */
export interface MapOptions {
  /**
   * The config came from the base model, not from the checkpoint: a word-embedding table with a few rows
   * more than its `vocab_size` (tokens added by `resize_token_embeddings` while fine-tuning, such as
   * DeepPavlov's `NLLRanking` and its 7 extra rows) is then taken as the vocabulary size, at most
   * {@link MAX_ADDED_TOKENS} rows more. A checkpoint's own config.json must say its size.
   */
  readonly configFromBase?: boolean;
}

/**
 * Most word-embedding rows a fine-tuned checkpoint may add to its base's `vocab_size` (DeepPavlov adds
 * `num_special_tokens`: 7 in `rel_ranking_nll_bert_ru`). More is a different vocabulary: a wrong `--base`.
 */
export const MAX_ADDED_TOKENS = 1024;

/** Result of {@link mapWeights}. */
export interface MappedWeights {
  readonly weights: ModelWeights;
  /** The encoder config the weights imply: `vocabSize` is the table's rows when tokens were added. */
  readonly encoder: EncoderConfig;
  /** Word-embedding rows beyond the base config's `vocab_size` (0 unless {@link MapOptions.configFromBase}). */
  readonly addedTokens: number;
  readonly task: ModelTask;
  /** Number of labels of the head (0 for feature extraction and QA). */
  readonly numLabels: number;
  /** Checkpoint tensors deliberately left out (pretraining heads, buffers), for the report. */
  readonly ignored: readonly string[];
  /** Tensors nobody claimed; an error unless `allowExtraTensors`. */
  readonly unexpected: readonly string[];
}

/** Tensors that belong to parts of a checkpoint the converted graph does not compute. */
const IGNORABLE = [
  /(^|\.)position_ids$/,
  /(^|\.)token_type_ids$/,
  /(^|\.)cls\.(predictions|seq_relationship)\./,
  /(^|\.)vocab_(transform|layer_norm|projector)\./,
  /(^|\.)num_batches_tracked$/,
];

class Claims {
  readonly claimed = new Set<string>();
  constructor(private readonly tensors: ReadonlyMap<string, TensorRef>) {}

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor named `name` (or one of its legacy aliases), checked against `shape`. */
  take(name: string, shape: readonly number[], missing: string[], aliases: readonly string[] = []): TensorRef {
    for (const candidate of [name, ...aliases]) {
      const ref = this.tensors.get(candidate);
      if (!ref) continue;
      this.claimed.add(candidate);
      const same = ref.shape.length === shape.length && ref.shape.every((d, i) => d === shape[i]);
      if (!same) {
        throw new BertwebError(
          'MODEL_INVALID',
          `shape mismatch: ${candidate} is [${ref.shape.join(', ')}], the config implies [${shape.join(', ')}]`,
          { tensor: candidate, shape: [...ref.shape], expected: [...shape] },
        );
      }
      return ref;
    }
    missing.push(name);
    return PLACEHOLDER;
  }
}

const PLACEHOLDER = {} as TensorRef;

function normAliases(prefix: string): [string, string, readonly string[], readonly string[]] {
  // TF-converted BERT checkpoints call LayerNorm parameters gamma/beta.
  return [`${prefix}.weight`, `${prefix}.bias`, [`${prefix}.gamma`], [`${prefix}.beta`]];
}

/** The prefix before `embeddings.word_embeddings.weight` (e.g. `bert.`, `module.distilbert.`, ``). */
function encoderPrefix(names: readonly string[]): string {
  const suffix = 'embeddings.word_embeddings.weight';
  const hits = names.filter((n) => n === suffix || n.endsWith(`.${suffix}`));
  if (hits.length === 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      'no word embeddings (…embeddings.word_embeddings.weight) in the checkpoint: not a BERT/DistilBERT state dict',
      { sample: names.slice(0, 10) },
    );
  }
  if (hits.length > 1) {
    throw new BertwebError('UNSUPPORTED', `the checkpoint holds ${hits.length} encoders: ${hits.join(', ')}`);
  }
  return (hits[0] as string).slice(0, -suffix.length);
}

/** The family the weights' names imply. */
export function weightsFamily(names: readonly string[]): ModelFamily {
  const prefix = encoderPrefix(names);
  if (names.some((n) => n.startsWith(`${prefix}transformer.layer.`))) return 'distilbert';
  if (names.some((n) => n.startsWith(`${prefix}encoder.layer.`))) return 'bert';
  throw new BertwebError('MODEL_INVALID', 'the checkpoint has embeddings but no encoder layers');
}

function headKey(names: readonly string[], head: string, encoder: string): string | undefined {
  const suffix = `${head}.weight`;
  const hits = names.filter(
    (n) => (n === suffix || n.endsWith(`.${suffix}`)) && (encoder === '' || !n.startsWith(encoder)),
  );
  if (hits.length > 1)
    throw new BertwebError('UNSUPPORTED', `the checkpoint holds several ${head} heads: ${hits.join(', ')}`);
  return hits[0]?.slice(0, -'.weight'.length);
}

function crfKeys(names: readonly string[]): { transitions: string; start: string; end: string } | undefined {
  const transitions = names.find((n) => n === 'transitions' || n.endsWith('.transitions'));
  if (!transitions) return undefined;
  const base = transitions.slice(0, -'transitions'.length);
  const start = `${base}start_transitions`;
  const end = `${base}end_transitions`;
  if (!names.includes(start) || !names.includes(end)) {
    throw new BertwebError('MODEL_INVALID', `CRF ${transitions} without ${start} and ${end}`);
  }
  return { transitions, start, end };
}

/**
 * Decides the task: `--task`, else the checkpoint's own `architectures`, else the DeepPavlov label file,
 * else the heads present. A BERT checkpoint with `classifier` and a pooler could be token or sequence
 * classification: that needs one of the hints, never a guess.
 */
export function resolveTask(names: readonly string[], family: ModelFamily, hints: TaskHints): ModelTask {
  if (hints.explicit) return hints.explicit;
  if (hints.fromConfig) return hints.fromConfig;
  if (hints.fromLabelFile) return hints.fromLabelFile;
  const encoder = encoderPrefix(names);
  if (headKey(names, 'qa_outputs', encoder)) return 'question-answering';
  if (headKey(names, 'pre_classifier', encoder)) return 'sequence-classification';
  // DeepPavlov's is_binary head (classifier.dense + classifier.out_proj) and NLLRanking (fc) read the
  // [CLS] vector only: sequence heads.
  if (headKey(names, 'classifier.out_proj', encoder)) return 'sequence-classification';
  if (headKey(names, 'fc', encoder)) return 'sequence-classification';
  if (headKey(names, 'classifier', encoder)) {
    if (family === 'distilbert') return 'token-classification';
    const hasPooler = names.some((n) => n.startsWith(`${encoder}pooler.dense.`));
    if (!hasPooler) return 'token-classification';
    throw new BertwebError(
      'MODEL_INVALID',
      'the checkpoint has a BERT "classifier" head and a pooler: it may be token or sequence classification; ' +
        'pass --task token-classification or --task sequence-classification (or a config.json with "architectures"; ' +
        "a DeepPavlov tarball takes its config's task: DeepPavlovPlan.task)",
    );
  }
  return 'feature-extraction';
}

/**
 * Maps checkpoint tensors to the roles the graph needs, checking every shape against the config.
 * Missing tensors and shape mismatches are `MODEL_INVALID`.
 *
 * @example
 * ```ts
 * const { weights, task } = mapWeights(tensors, encoderConfig, { fromLabelFile: 'token-classification' });
 * ```
 */
export function mapWeights(
  tensors: ReadonlyMap<string, TensorRef>,
  config: EncoderConfig,
  hints: TaskHints,
  options: MapOptions = {},
): MappedWeights {
  const names = [...tensors.keys()];
  const family = weightsFamily(names);
  if (family !== config.family) {
    throw new BertwebError(
      'MODEL_INVALID',
      `config.json describes a ${config.family} model but the weights are ${family}; check --base`,
    );
  }
  const task = resolveTask(names, family, hints);
  const p = encoderPrefix(names);
  const addedTokens = options.configFromBase ? addedRows(tensors, `${p}embeddings.word_embeddings.weight`, config) : 0;
  const enc: EncoderConfig = addedTokens > 0 ? { ...config, vocabSize: config.vocabSize + addedTokens } : config;
  const c = new Claims(tensors);
  const missing: string[] = [];
  const H = enc.hiddenSize;
  const I = enc.intermediateSize;
  const linear = (prefix: string, out: number, inp: number): Linear => ({
    weight: c.take(`${prefix}.weight`, [out, inp], missing),
    bias: c.take(`${prefix}.bias`, [out], missing),
  });
  const norm = (prefix: string): Norm => {
    const [w, b, wa, ba] = normAliases(prefix);
    return { weight: c.take(w, [H], missing, wa), bias: c.take(b, [H], missing, ba) };
  };

  const layers: LayerWeights[] = [];
  let tokenTypeEmbeddings: TensorRef | undefined;
  let pooler: Linear | undefined;
  const wordEmbeddings = c.take(`${p}embeddings.word_embeddings.weight`, [enc.vocabSize, H], missing);
  const positionEmbeddings = c.take(`${p}embeddings.position_embeddings.weight`, [enc.maxPositions, H], missing);
  const embeddingNorm = norm(`${p}embeddings.LayerNorm`);
  if (family === 'bert') {
    tokenTypeEmbeddings = c.take(`${p}embeddings.token_type_embeddings.weight`, [enc.typeVocabSize, H], missing);
    for (let i = 0; i < enc.numLayers; i++) {
      const l = `${p}encoder.layer.${i}`;
      layers.push({
        query: linear(`${l}.attention.self.query`, H, H),
        key: linear(`${l}.attention.self.key`, H, H),
        value: linear(`${l}.attention.self.value`, H, H),
        attentionOutput: linear(`${l}.attention.output.dense`, H, H),
        attentionNorm: norm(`${l}.attention.output.LayerNorm`),
        intermediate: linear(`${l}.intermediate.dense`, I, H),
        output: linear(`${l}.output.dense`, H, I),
        outputNorm: norm(`${l}.output.LayerNorm`),
      });
    }
    if (task === 'feature-extraction' && c.has(`${p}pooler.dense.weight`)) pooler = linear(`${p}pooler.dense`, H, H);
  } else {
    for (let i = 0; i < enc.numLayers; i++) {
      const l = `${p}transformer.layer.${i}`;
      layers.push({
        query: linear(`${l}.attention.q_lin`, H, H),
        key: linear(`${l}.attention.k_lin`, H, H),
        value: linear(`${l}.attention.v_lin`, H, H),
        attentionOutput: linear(`${l}.attention.out_lin`, H, H),
        attentionNorm: norm(`${l}.sa_layer_norm`),
        intermediate: linear(`${l}.ffn.lin1`, I, H),
        output: linear(`${l}.ffn.lin2`, H, I),
        outputNorm: norm(`${l}.output_layer_norm`),
      });
    }
  }
  const layerCount = new Set(
    names.map((n) => /(?:encoder|transformer)\.layer\.(\d+)\./.exec(n)?.[1]).filter((x) => x !== undefined),
  ).size;
  if (layerCount > enc.numLayers) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the checkpoint has ${layerCount} layers but config.json says ${enc.numLayers}; check --base`,
    );
  }

  let classifier: Linear | undefined;
  let preClassifier: Linear | undefined;
  let qaOutputs: Linear | undefined;
  let numLabels = 0;
  const headRows = (head: string): { key: string; rows: number } => {
    const key = headKey(names, head, p);
    const ref = key ? tensors.get(`${key}.weight`) : undefined;
    if (!key || !ref) {
      missing.push(`${head}.weight`);
      return { key: head, rows: 1 };
    }
    return { key, rows: ref.shape[0] ?? 0 };
  };
  let headDense: Linear | undefined;
  let sequencePooling: SequencePooling | undefined;
  if (task === 'sequence-classification') {
    sequencePooling = sequenceHead(names, family, p);
    const head =
      sequencePooling === 'dense-tanh' ? 'classifier.out_proj' : sequencePooling === 'cls' ? 'fc' : 'classifier';
    if (sequencePooling === 'pre-classifier') preClassifier = linear(headRows('pre_classifier').key, H, H);
    if (sequencePooling === 'dense-tanh') headDense = linear(headRows('classifier.dense').key, H, H);
    if (sequencePooling === 'pooler') pooler ??= linear(`${p}pooler.dense`, H, H);
    const { key, rows } = headRows(head);
    numLabels = rows;
    classifier = linear(key, rows, H);
  } else if (task === 'token-classification') {
    const { key, rows } = headRows('classifier');
    numLabels = rows;
    classifier = linear(key, rows, H);
  } else if (task === 'question-answering') {
    const { key } = headRows('qa_outputs');
    qaOutputs = linear(key, 2, H);
  }

  let crf: CrfWeights | undefined;
  const crfNames = crfKeys(names);
  if (crfNames) {
    if (task !== 'token-classification') {
      throw new BertwebError(
        'MODEL_INVALID',
        `a CRF (${crfNames.transitions}) only makes sense for token classification`,
      );
    }
    crf = {
      transitions: c.take(crfNames.transitions, [numLabels, numLabels], missing),
      start: c.take(crfNames.start, [numLabels], missing),
      end: c.take(crfNames.end, [numLabels], missing),
    };
  }

  if (missing.length > 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      `missing tensor${missing.length > 1 ? 's' : ''} for a ${family} ${task} model: ${missing.slice(0, 8).join(', ')}${
        missing.length > 8 ? ` and ${missing.length - 8} more` : ''
      }`,
      { missing },
    );
  }

  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const name of names) {
    if (c.claimed.has(name)) continue;
    const isUnusedPooler = name.startsWith(`${p}pooler.dense.`) && !pooler;
    if (isUnusedPooler || IGNORABLE.some((re) => re.test(name))) ignored.push(name);
    else unexpected.push(name);
  }
  const weights: ModelWeights = {
    wordEmbeddings,
    positionEmbeddings,
    embeddingNorm,
    layers,
    ...(tokenTypeEmbeddings ? { tokenTypeEmbeddings } : {}),
    ...(pooler ? { pooler } : {}),
    ...(preClassifier ? { preClassifier } : {}),
    ...(headDense ? { headDense } : {}),
    ...(sequencePooling ? { sequencePooling } : {}),
    ...(classifier ? { classifier } : {}),
    ...(qaOutputs ? { qaOutputs } : {}),
    ...(crf ? { crf } : {}),
  };
  return { weights, encoder: enc, addedTokens, task, numLabels, ignored, unexpected };
}

/**
 * The sequence head the checkpoint's tensors show: `classifier.out_proj` -> `dense-tanh`, `fc` -> `cls`,
 * else the family's own (`pooler` for BERT, `pre-classifier` for DistilBERT).
 */
function sequenceHead(names: readonly string[], family: ModelFamily, encoder: string): SequencePooling {
  if (headKey(names, 'classifier.out_proj', encoder)) return 'dense-tanh';
  if (headKey(names, 'fc', encoder) && !headKey(names, 'classifier', encoder)) return 'cls';
  return family === 'distilbert' ? 'pre-classifier' : 'pooler';
}

/**
 * Rows of the word-embedding table beyond the config's `vocab_size`, when there are a few more
 * (`resize_token_embeddings` after pre-training); 0 when it matches (any other size fails the shape check).
 */
function addedRows(tensors: ReadonlyMap<string, TensorRef>, name: string, enc: EncoderConfig): number {
  const rows = tensors.get(name)?.shape[0];
  if (rows === undefined || tensors.get(name)?.shape.length !== 2) return 0;
  const added = rows - enc.vocabSize;
  return added > 0 && added <= MAX_ADDED_TOKENS ? added : 0;
}
