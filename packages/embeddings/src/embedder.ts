/** The embedding head: texts -> sentence vectors, or DeepPavlov's detailed token/subtoken outputs. */

// The head skeleton's types (core.Head, core.HeadContext, ...), named where they are used.
import type * as core from '@bertweb/core';
import { BertwebError, CALL_OPTION_KEYS, check, defineHead, ModelHead } from '@bertweb/core';
import { l2NormalizeInPlace, maxPool, meanPool, rowOf } from './pooling.js';
import { readSentenceConfig } from './sentence-config.js';
import {
  applySentenceModules,
  loadSentenceModules,
  type SentencePipeline,
  sentenceDimension,
} from './sentence-modules.js';
import type { DetailedEmbedding, EmbedderOptions, Embeddings, EmbedOptions, LongTextMode, Pooling } from './types.js';

const POOLINGS: readonly Pooling[] = ['mean', 'max', 'cls', 'pooler', 'model'];
const LONG_TEXT_MODES: readonly LongTextMode[] = ['truncate', 'chunk'];

/**
 * The embedder's defaults, in one place: mean pooling without normalization (unless the model's
 * sentence-transformers files say otherwise), long texts truncated to the model's limit.
 *
 * @example
 * ```ts
 * EMBEDDER_DEFAULTS.pooling; // 'mean'
 * ```
 */
export const EMBEDDER_DEFAULTS: {
  readonly pooling: Pooling;
  readonly normalize: boolean;
  readonly longText: LongTextMode;
} = { pooling: 'mean', normalize: false, longText: 'truncate' };

/**
 * Sentence and token embeddings from a BERT-family encoder, in-thread or through a worker. Create it
 * with {@link createEmbedder}.
 *
 * Empty input: a text with no tokens (empty, whitespace-only, or only characters the tokenizer drops)
 * gets a zero vector from `embed` and empty arrays with zero vectors from `embedDetailed`, without
 * running the model. Non-string texts are INPUT_INVALID.
 *
 * @example
 * ```ts
 * const embedder: Embedder = await createEmbedder('sentence-transformers/all-MiniLM-L6-v2');
 * const { data, rows, dim } = await embedder.embed(['first text', 'second text'], { normalize: true });
 * ```
 */
export interface Embedder extends core.Head {
  /**
   * Width of the vectors of the default pooling: the model's hidden size, or what the folder's
   * sentence-transformers pipeline gives (`model` pooling, whose Dense layers may change it).
   */
  readonly dim: number;
  /** Default pooling (options, else the sentence-transformers files, else `mean`). */
  readonly pooling: Pooling;
  /** Default normalization (options, else a Normalize module in `modules.json`). */
  readonly normalize: boolean;
  readonly longText: LongTextMode;
  /** Tokens per text or window, special tokens included. */
  readonly maxLength: number;
  /** Whether the model returns `pooler_output`. */
  readonly hasPooler: boolean;
  /**
   * One sentence vector per text, as a `rows x dim` matrix (a fresh array the caller owns).
   *
   * @example
   * ```ts
   * const e = await embedder.embed(['a cat', 'a dog'], { pooling: 'mean', normalize: true });
   * const second = e.data.subarray(e.dim, 2 * e.dim);
   * e.truncated; // [false, false]
   * ```
   */
  embed(texts: readonly string[], options?: EmbedOptions | null): Promise<Embeddings>;
  /**
   * DeepPavlov's `transformers_bert_embedder` outputs per text (see {@link DetailedEmbedding}); texts
   * longer than `maxLength` tokens are cut and flagged.
   *
   * @example
   * ```ts
   * const [d] = await embedder.embedDetailed(['Hello, world!']);
   * d.tokens; // ['Hello', ',', 'world', '!']
   * d.subtokens; // ['[CLS]', 'hello', ',', 'world', '!', '[SEP]']
   * d.tokenEmbeddings.length; // 4 * d.dim
   * ```
   */
  embedDetailed(texts: readonly string[], options?: core.CallOptions | null): Promise<DetailedEmbedding[]>;
}

/** The head's settings: its data properties, resolved from the options and the model. */
type EmbedderSettings = Pick<Embedder, 'pooling' | 'normalize' | 'longText' | 'maxLength' | 'hasPooler'>;

/** What settling gives: the settings, and the sentence-transformers pipeline the head keeps private. */
type EmbedderSetup = EmbedderSettings & { readonly pipeline: SentencePipeline | undefined };

const EMBED_OPTION_KEYS = [...CALL_OPTION_KEYS, 'pooling', 'normalize', 'longText'];

/** One window of one text, waiting for inference. */
interface Job {
  readonly row: number;
  readonly encoding: core.Encoding;
}

/** Running combination of a text's window vectors (see {@link EmbedOptions.longText}). */
interface RowAccumulator {
  sum: Float64Array;
  weight: number;
}

// The settings are own data properties, which ModelHead assigns; this interface gives them their types.
// biome-ignore lint/correctness/noUnusedVariables: merged with the class below.
interface EmbedderHead extends Readonly<EmbedderSettings> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
class EmbedderHead extends ModelHead implements Embedder {
  readonly dim: number;
  readonly #pipeline: SentencePipeline | undefined;

  constructor(context: core.HeadContext, settings: EmbedderSettings, pipeline: SentencePipeline | undefined) {
    super(context, settings);
    this.#pipeline = pipeline;
    this.dim = this.#widthOf(settings.pooling);
  }

  /** Vector width of a pooling: the pipeline's for `model`, else the hidden size. */
  #widthOf(pooling: Pooling): number {
    const hidden = this.info.hiddenSize;
    return pooling === 'model' && this.#pipeline ? sentenceDimension(this.#pipeline, hidden) : hidden;
  }

  async embed(texts: readonly string[], options?: EmbedOptions | null): Promise<Embeddings> {
    const call = this.begin(options, EMBED_OPTION_KEYS);
    const normalize = check.bool(call.normalize, 'normalize') ?? this.normalize;
    const longText = check.oneOf(call.longText, 'longText', LONG_TEXT_MODES) ?? this.longText;
    const list = check.strings(texts, 'texts');
    // After the type checks: a pooling this model lacks (UNSUPPORTED) must not hide a bad argument.
    const pooling = checkPooling(call.pooling ?? this.pooling, this.hasPooler, this.#pipeline !== undefined);

    const jobs: Job[] = [];
    const truncated = list.map(() => false);
    list.forEach((text, row) => {
      const first = this.#encode(text);
      if (first.overflowing.length > 0 && longText === 'truncate') truncated[row] = true;
      if (!hasContent(first)) return;
      jobs.push({ row, encoding: first });
      if (longText === 'chunk') for (const window of first.overflowing) jobs.push({ row, encoding: window });
    });

    const hidden = this.info.hiddenSize;
    const dim = this.#widthOf(pooling);
    const accumulators: (RowAccumulator | undefined)[] = list.map(() => undefined);
    const outputs: core.OutputShapes<Job> =
      pooling === 'pooler'
        ? { pooler_output: () => [hidden] }
        : { last_hidden_state: (job: Job) => [job.encoding.ids.length, hidden] };
    const pipeline = this.#pipeline;
    await this.runJobs(
      jobs,
      {
        encoding: (job) => job.encoding,
        outputs,
        consume: (job, output) => {
          const vector =
            pooling === 'model' && pipeline
              ? Float64Array.from(
                  applySentenceModules(
                    pipeline,
                    (output.last_hidden_state as core.TensorOutput).data,
                    job.encoding.attentionMask,
                    hidden,
                  ),
                )
              : poolWindow(job.encoding, output, pooling, hidden);
          const acc = accumulators[job.row];
          if (pooling === 'max') {
            // Chunks of one text: element-wise maximum of the window maxima.
            if (!acc) accumulators[job.row] = { sum: vector, weight: 1 };
            else for (let d = 0; d < dim; d++) acc.sum[d] = Math.max(acc.sum[d] as number, vector[d] as number);
            return;
          }
          // mean and model weight each window by its token count (so chunks average over all tokens);
          // cls and pooler by 1.
          const byTokens = pooling === 'mean' || pooling === 'model';
          const weight = byTokens ? job.encoding.attentionMask.filter((m) => m === 1).length : 1;
          const target = acc ?? { sum: new Float64Array(dim), weight: 0 };
          accumulators[job.row] = target;
          for (let d = 0; d < dim; d++) target.sum[d] = (target.sum[d] as number) + (vector[d] as number) * weight;
          target.weight += weight;
        },
        unit: 'windows',
      },
      call,
    );

    const data = new Float32Array(list.length * dim);
    accumulators.forEach((acc, row) => {
      if (!acc) return;
      const vector = new Float64Array(dim);
      for (let d = 0; d < dim; d++) vector[d] = (acc.sum[d] as number) / acc.weight;
      // A pipeline ending in Normalize gives unit vectors; an average of windows is normalized again.
      if (normalize || (pooling === 'model' && pipeline?.normalized)) l2NormalizeInPlace(vector);
      data.set(vector, row * dim);
    });
    return { data, rows: list.length, dim, truncated };
  }

  async embedDetailed(texts: readonly string[], options?: core.CallOptions | null): Promise<DetailedEmbedding[]> {
    const call = this.begin(options, CALL_OPTION_KEYS);
    const list = check.strings(texts, 'texts');
    const dim = this.dim;
    const encodings = list.map((text) => this.#encode(text));
    const results: DetailedEmbedding[] = encodings.map((encoding) => emptyDetailed(dim, this.hasPooler, encoding));
    const jobs: Job[] = [];
    encodings.forEach((encoding, row) => {
      if (hasContent(encoding)) jobs.push({ row, encoding });
    });
    const hidden = (job: Job) => [job.encoding.ids.length, dim];
    await this.runJobs(
      jobs,
      {
        encoding: (job) => job.encoding,
        outputs: this.hasPooler
          ? { last_hidden_state: hidden, pooler_output: () => [dim] }
          : { last_hidden_state: hidden },
        consume: (job, output) => {
          results[job.row] = detailed(list[job.row] as string, job.encoding, output, dim, this.hasPooler);
        },
        unit: 'texts',
      },
      call,
    );
    return results;
  }

  /** The text's first window, its overflow windows in `overflowing` (loadModel's tokenizers never pad). */
  #encode(text: string): core.Encoding {
    return this.model.tokenizer.encode(text, {
      truncation: { maxLength: this.maxLength, strategy: 'longest_first', stride: 0 },
      returnOverflowing: true,
    });
  }
}

const EMBEDDER_OPTION_KEYS = ['pooling', 'normalize', 'longText', 'maxLength'];

/**
 * Loads an encoder (or wraps an already loaded one) and returns an {@link Embedder}. Reads the
 * optional sentence-transformers files for defaults (see {@link EmbedderOptions}). A model without
 * `last_hidden_state` is MODEL_INVALID; a `maxLength` above the model's limit is INPUT_INVALID (a
 * `max_seq_length` above it in `sentence_bert_config.json` is capped to it).
 *
 * @example
 * ```ts
 * const embedder = await createEmbedder('models/fixtures/bert-base', { pooling: 'cls' });
 * ```
 */
export const createEmbedder: core.HeadFactory<EmbedderOptions, Embedder> = defineHead<
  EmbedderOptions,
  EmbedderSetup,
  Embedder,
  SentenceSetup
>({
  kind: 'embedder',
  outputs: ['last_hidden_state'],
  options: EMBEDDER_OPTION_KEYS,
  read:
    (options) =>
    async ({ files, signal }) =>
      sentenceSetup(files, options.pooling !== undefined, signal),
  check: (options) => {
    if (options.pooling !== undefined) checkPooling(options.pooling, true, true);
    check.bool(options.normalize, 'normalize');
    check.oneOf(options.longText, 'longText', LONG_TEXT_MODES);
    check.int(options.maxLength, 'maxLength', 2);
  },
  settle: (model, options, setup) => {
    const hasPooler = model.outputNames.includes('pooler_output');
    const config = setup;
    const limit = model.info.maxPositions;
    return {
      pipeline: config.pipeline,
      pooling: checkPooling(
        options.pooling ?? config.pooling ?? EMBEDDER_DEFAULTS.pooling,
        hasPooler,
        config.pipeline !== undefined,
      ),
      normalize: options.normalize ?? (config.normalize || EMBEDDER_DEFAULTS.normalize),
      longText: options.longText ?? EMBEDDER_DEFAULTS.longText,
      maxLength: check.int(options.maxLength, 'maxLength', 2, limit) ?? Math.min(config.maxSeqLength ?? limit, limit),
      hasPooler,
    };
  },
  create: (context, { pipeline, ...settings }) => new EmbedderHead(context, settings, pipeline),
});

/** What the sentence-transformers files of a folder set up (see {@link sentenceSetup}). */
interface SentenceSetup {
  readonly pipeline: SentencePipeline | undefined;
  readonly pooling: Pooling | undefined;
  readonly normalize: boolean;
  readonly maxSeqLength: number | undefined;
}

const PLAIN_POOLINGS: ReadonlySet<string> = new Set(['mean', 'max', 'cls']);

/**
 * The folder's sentence-transformers setup. With `modules.json`, its pipeline: a single Pooling of mean,
 * max or cls (with or without Normalize) is one of bertweb's poolings; anything more (Dense layers, other
 * modes) is `model` pooling. Without `modules.json`, `1_Pooling/config.json` alone (as before). Read as
 * part of the model's load (repaired like the model's files).
 */
async function sentenceSetup(
  files: core.ModelFiles,
  explicitPooling: boolean,
  signal: AbortSignal,
): Promise<SentenceSetup> {
  const config = await readSentenceConfig(files, { explicitPooling: true, signal });
  const pipeline = await loadSentenceModules(files, { signal });
  if (!pipeline) {
    const plain = explicitPooling ? config : await readSentenceConfig(files, { explicitPooling: false, signal });
    return {
      pipeline: undefined,
      pooling: plain.pooling,
      normalize: plain.normalize,
      maxSeqLength: config.maxSeqLength,
    };
  }
  const pooling = pipeline.modules.find((m) => m.kind === 'pooling');
  const modes = pooling?.kind === 'pooling' ? pooling.modes : [];
  const dense = pipeline.modules.some((m) => m.kind === 'dense');
  const simple = !dense && modes.length === 1 && PLAIN_POOLINGS.has(modes[0] as string);
  return {
    pipeline,
    pooling: simple ? (modes[0] as Pooling) : 'model',
    normalize: pipeline.normalized,
    maxSeqLength: config.maxSeqLength,
  };
}

function checkPooling(pooling: unknown, hasPooler: boolean, hasPipeline: boolean): Pooling {
  if (!POOLINGS.includes(pooling as Pooling)) {
    throw new BertwebError('INPUT_INVALID', `pooling must be one of ${POOLINGS.join(', ')}, got ${String(pooling)}`);
  }
  if (pooling === 'pooler' && !hasPooler) {
    throw new BertwebError('UNSUPPORTED', 'pooling "pooler" needs a pooler_output, which this model does not have');
  }
  if (pooling === 'model' && !hasPipeline) {
    throw new BertwebError(
      'UNSUPPORTED',
      'pooling "model" needs a sentence-transformers modules.json in the model folder',
    );
  }
  return pooling as Pooling;
}

/** True when the encoding has at least one non-special token. */
function hasContent(encoding: core.Encoding): boolean {
  return encoding.specialTokensMask.some((m) => m === 0);
}

function poolWindow(
  encoding: core.Encoding,
  output: Record<string, core.TensorOutput>,
  pooling: Pooling,
  dim: number,
): Float64Array {
  if (pooling === 'pooler') return Float64Array.from((output.pooler_output as core.TensorOutput).data);
  const hidden = (output.last_hidden_state as core.TensorOutput).data;
  if (pooling === 'cls') return rowOf(hidden, 0, dim);
  if (pooling === 'max') return maxPool(hidden, encoding.attentionMask, dim);
  return meanPool(hidden, encoding.attentionMask, dim);
}

function detailed(
  text: string,
  encoding: core.Encoding,
  output: Record<string, core.TensorOutput>,
  dim: number,
  hasPooler: boolean,
): DetailedEmbedding {
  const hidden = (output.last_hidden_state as core.TensorOutput).data;
  const firsts: number[] = [];
  const tokenOffsets: [number, number][] = [];
  encoding.wordIds.forEach((word, i) => {
    if (word === null) return;
    const offsets = encoding.offsets[i] as [number, number];
    if (i > 0 && encoding.wordIds[i - 1] === word) {
      // A continuation subtoken extends its word's span.
      (tokenOffsets[tokenOffsets.length - 1] as [number, number])[1] = offsets[1];
      return;
    }
    firsts.push(i);
    tokenOffsets.push([offsets[0], offsets[1]]);
  });
  const tokenEmbeddings = new Float32Array(firsts.length * dim);
  firsts.forEach((t, w) => {
    tokenEmbeddings.set(hidden.subarray(t * dim, (t + 1) * dim), w * dim);
  });
  return {
    tokens: tokenOffsets.map(([s, e]) => text.slice(s, e)),
    tokenOffsets,
    tokenEmbeddings,
    subtokens: [...encoding.tokens],
    subtokenEmbeddings: hidden.slice(),
    sentenceMax: Float32Array.from(maxPool(hidden, encoding.attentionMask, dim)),
    sentenceMean: Float32Array.from(meanPool(hidden, encoding.attentionMask, dim)),
    pooler: hasPooler ? (output.pooler_output as core.TensorOutput).data.slice() : null,
    dim,
    truncated: encoding.overflowing.length > 0,
  };
}

function emptyDetailed(dim: number, hasPooler: boolean, encoding: core.Encoding): DetailedEmbedding {
  return {
    tokens: [],
    tokenOffsets: [],
    tokenEmbeddings: new Float32Array(0),
    subtokens: [],
    subtokenEmbeddings: new Float32Array(0),
    sentenceMax: new Float32Array(dim),
    sentenceMean: new Float32Array(dim),
    pooler: hasPooler ? new Float32Array(dim) : null,
    dim,
    truncated: encoding.overflowing.length > 0,
  };
}
