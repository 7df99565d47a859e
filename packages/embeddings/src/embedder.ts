/** The embedding head: texts -> sentence vectors, or DeepPavlov's detailed token/subtoken outputs. */
import {
  type BackendReport,
  BertwebError,
  type Encoding,
  type LoadedModel,
  loadModel,
  type ModelInfo,
  type ModelSource,
  type TensorOutput,
  throwIfAborted,
} from '@bertweb/core';
import { l2NormalizeInPlace, maxPool, meanPool, rowOf } from './pooling.js';
import { readSentenceConfig } from './sentence-config.js';
import type { DetailedEmbedding, EmbedderOptions, Embeddings, EmbedOptions, LongTextMode, Pooling } from './types.js';
import { unpadded } from './unpadded.js';

const POOLINGS: readonly Pooling[] = ['mean', 'max', 'cls', 'pooler'];
const LONG_TEXT_MODES: readonly LongTextMode[] = ['truncate', 'chunk'];
/**
 * Tokens per `model.infer` call. Hidden states of a call are pooled and dropped before the next one,
 * so memory stays bounded however many texts come in (16k tokens x 768 floats = 48 MB).
 */
const TOKENS_PER_CALL = 16_384;

/** One window of one text, waiting for inference. */
interface Job {
  readonly row: number;
  readonly encoding: Encoding;
}

/** Running combination of a text's window vectors (see {@link EmbedOptions.longText}). */
interface RowAccumulator {
  sum: Float64Array;
  weight: number;
}

/**
 * Sentence and token embeddings from a BERT-family encoder. Create it with {@link createEmbedder}.
 *
 * Empty input: a text with no tokens (empty, whitespace-only, or only characters the tokenizer drops)
 * gets a zero vector from `embed` and empty arrays with zero vectors from `embedDetailed`, without
 * running the model. Non-string texts are INPUT_INVALID.
 *
 * @example
 * ```ts
 * const embedder = await createEmbedder('sentence-transformers/all-MiniLM-L6-v2');
 * const { data, rows, dim } = await embedder.embed(['first text', 'second text'], { normalize: true });
 * ```
 */
export class Embedder {
  readonly info: ModelInfo;
  readonly backend: BackendReport;
  /** Width of every vector (the model's hidden size). */
  readonly dim: number;
  /** Default pooling (options, else `1_Pooling/config.json`, else `mean`). */
  readonly pooling: Pooling;
  /** Default normalization (options, else a Normalize module in `modules.json`). */
  readonly normalize: boolean;
  readonly longText: LongTextMode;
  /** Tokens per text or window, special tokens included. */
  readonly maxLength: number;
  /** Whether the model returns `pooler_output`. */
  readonly hasPooler: boolean;
  readonly #model: LoadedModel;
  readonly #ownsModel: boolean;
  #disposed = false;

  constructor(
    model: LoadedModel,
    settings: {
      readonly pooling: Pooling;
      readonly normalize: boolean;
      readonly longText: LongTextMode;
      readonly maxLength: number;
    },
    ownsModel = false,
  ) {
    if (!model.outputNames.includes('last_hidden_state')) {
      throw new BertwebError(
        'MODEL_INVALID',
        `an embedder needs a last_hidden_state output; the model has ${model.outputNames.join(', ')}`,
      );
    }
    this.#model = model;
    this.#ownsModel = ownsModel;
    this.info = model.info;
    this.backend = model.backend;
    this.dim = model.info.hiddenSize;
    this.hasPooler = model.outputNames.includes('pooler_output');
    this.pooling = checkPooling(settings.pooling, this.hasPooler);
    this.normalize = settings.normalize;
    this.longText = settings.longText;
    this.maxLength = settings.maxLength;
  }

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
  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Embeddings> {
    this.#checkAlive();
    const list = checkTexts(texts);
    const pooling = checkPooling(options.pooling ?? this.pooling, this.hasPooler);
    const normalize = checkBoolean(options.normalize, 'normalize') ?? this.normalize;
    const longText = options.longText ?? this.longText;
    if (!LONG_TEXT_MODES.includes(longText)) {
      throw new BertwebError('INPUT_INVALID', `longText must be one of ${LONG_TEXT_MODES.join(', ')}`);
    }
    const { signal } = options;
    throwIfAborted(signal);

    const jobs: Job[] = [];
    const truncated = list.map(() => false);
    list.forEach((text, row) => {
      const first = this.#encode(text);
      if (first.overflowing.length > 0 && longText === 'truncate') truncated[row] = true;
      if (!hasContent(first)) return;
      jobs.push({ row, encoding: first });
      if (longText === 'chunk') for (const window of first.overflowing) jobs.push({ row, encoding: window });
    });

    const dim = this.dim;
    const accumulators: (RowAccumulator | undefined)[] = list.map(() => undefined);
    const outputs = pooling === 'pooler' ? ['pooler_output'] : ['last_hidden_state'];
    await this.#inferInChunks(jobs, outputs, signal, (job, output) => {
      const vector = poolWindow(job.encoding, output, pooling, dim);
      const acc = accumulators[job.row];
      if (pooling === 'max') {
        // Chunks of one text: element-wise maximum of the window maxima.
        if (!acc) accumulators[job.row] = { sum: vector, weight: 1 };
        else for (let d = 0; d < dim; d++) acc.sum[d] = Math.max(acc.sum[d] as number, vector[d] as number);
        return;
      }
      // mean weights each window by its token count (so chunks average over all tokens); cls/pooler by 1.
      const weight = pooling === 'mean' ? job.encoding.attentionMask.filter((m) => m === 1).length : 1;
      const target = acc ?? { sum: new Float64Array(dim), weight: 0 };
      accumulators[job.row] = target;
      for (let d = 0; d < dim; d++) target.sum[d] = (target.sum[d] as number) + (vector[d] as number) * weight;
      target.weight += weight;
    });

    const data = new Float32Array(list.length * dim);
    accumulators.forEach((acc, row) => {
      if (!acc) return;
      const vector = new Float64Array(dim);
      for (let d = 0; d < dim; d++) vector[d] = (acc.sum[d] as number) / acc.weight;
      if (normalize) l2NormalizeInPlace(vector);
      data.set(vector, row * dim);
    });
    return { data, rows: list.length, dim, truncated };
  }

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
  async embedDetailed(
    texts: readonly string[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<DetailedEmbedding[]> {
    this.#checkAlive();
    const list = checkTexts(texts);
    const { signal } = options;
    throwIfAborted(signal);
    const dim = this.dim;
    const encodings = list.map((text) => this.#encode(text));
    const results: DetailedEmbedding[] = encodings.map((encoding) => emptyDetailed(dim, this.hasPooler, encoding));
    const jobs: Job[] = [];
    encodings.forEach((encoding, row) => {
      if (hasContent(encoding)) jobs.push({ row, encoding });
    });
    const outputs = this.hasPooler ? ['last_hidden_state', 'pooler_output'] : ['last_hidden_state'];
    await this.#inferInChunks(jobs, outputs, signal, (job, output) => {
      results[job.row] = detailed(list[job.row] as string, job.encoding, output, dim, this.hasPooler);
    });
    return results;
  }

  /**
   * Frees the model when the embedder loaded it (a {@link LoadedModel} passed in stays usable);
   * later calls reject with DISPOSED.
   *
   * @example
   * ```ts
   * await embedder.dispose();
   * ```
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsModel) await this.#model.dispose();
  }

  #checkAlive(): void {
    if (this.#disposed) throw new BertwebError('DISPOSED', 'the embedder was disposed');
  }

  /** The text's first window (overflow windows in `overflowing`), without tokenizer-added padding. */
  #encode(text: string): Encoding {
    const first = this.#model.tokenizer.encode(text, {
      truncation: { maxLength: this.maxLength, strategy: 'longest_first', stride: 0 },
      returnOverflowing: true,
    });
    return { ...unpadded(first), overflowing: first.overflowing.map(unpadded) };
  }

  async #inferInChunks(
    jobs: readonly Job[],
    outputs: readonly string[],
    signal: AbortSignal | undefined,
    consume: (job: Job, output: Record<string, TensorOutput>) => void,
  ): Promise<void> {
    let from = 0;
    while (from < jobs.length) {
      throwIfAborted(signal);
      let to = from;
      let tokens = 0;
      while (to < jobs.length && (to === from || tokens + (jobs[to] as Job).encoding.ids.length <= TOKENS_PER_CALL)) {
        tokens += (jobs[to] as Job).encoding.ids.length;
        to++;
      }
      const chunk = jobs.slice(from, to);
      const results = await this.#model.infer(
        chunk.map((job) => job.encoding),
        { outputs, ...(signal ? { signal } : {}) },
      );
      this.#checkAlive();
      chunk.forEach((job, i) => {
        const output = results[i];
        if (!output) throw new BertwebError('RUNTIME', 'the model returned fewer results than inputs');
        for (const name of outputs) checkOutput(output[name], name, job.encoding.ids.length, this.dim);
        consume(job, output);
      });
      from = to;
    }
  }
}

/**
 * Loads an encoder (or wraps an already loaded one) and returns an {@link Embedder}. Reads the
 * optional sentence-transformers files for defaults (see {@link EmbedderOptions}).
 *
 * @example
 * ```ts
 * const embedder = await createEmbedder('models/fixtures/bert-base', { pooling: 'cls' });
 * ```
 */
export async function createEmbedder(
  source: ModelSource | LoadedModel,
  options: EmbedderOptions = {},
): Promise<Embedder> {
  const owned = !isLoadedModel(source);
  const model = isLoadedModel(source) ? source : await loadModel(source, options);
  try {
    if (options.pooling !== undefined) checkPooling(options.pooling, true);
    const config = await readSentenceConfig(model.files, {
      explicitPooling: options.pooling !== undefined,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const limit = model.info.maxPositions;
    const requested = options.maxLength ?? config.maxSeqLength ?? limit;
    if (!Number.isInteger(requested) || requested < 2) {
      throw new BertwebError('INPUT_INVALID', `maxLength must be an integer >= 2, got ${String(requested)}`);
    }
    const longText = options.longText ?? 'truncate';
    if (!LONG_TEXT_MODES.includes(longText)) {
      throw new BertwebError('INPUT_INVALID', `longText must be one of ${LONG_TEXT_MODES.join(', ')}`);
    }
    return new Embedder(
      model,
      {
        pooling: options.pooling ?? config.pooling ?? 'mean',
        normalize: checkBoolean(options.normalize, 'normalize') ?? config.normalize,
        longText,
        maxLength: Math.min(requested, limit),
      },
      owned,
    );
  } catch (error) {
    if (owned) await model.dispose();
    throw error;
  }
}

function isLoadedModel(source: ModelSource | LoadedModel): source is LoadedModel {
  return typeof source === 'object' && source !== null && 'infer' in source && 'tokenizer' in source;
}

function checkTexts(texts: unknown): readonly string[] {
  if (!Array.isArray(texts)) throw new BertwebError('INPUT_INVALID', 'texts must be an array of strings');
  texts.forEach((text, index) => {
    if (typeof text !== 'string') {
      throw new BertwebError('INPUT_INVALID', `texts[${index}] must be a string, got ${typeof text}`, { index });
    }
  });
  return texts as readonly string[];
}

function checkPooling(pooling: unknown, hasPooler: boolean): Pooling {
  if (!POOLINGS.includes(pooling as Pooling)) {
    throw new BertwebError('INPUT_INVALID', `pooling must be one of ${POOLINGS.join(', ')}, got ${String(pooling)}`);
  }
  if (pooling === 'pooler' && !hasPooler) {
    throw new BertwebError('UNSUPPORTED', 'pooling "pooler" needs a pooler_output, which this model does not have');
  }
  return pooling as Pooling;
}

function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new BertwebError('INPUT_INVALID', `${name} must be a boolean`);
}

/** True when the encoding has at least one non-special token. */
function hasContent(encoding: Encoding): boolean {
  return encoding.specialTokensMask.some((m) => m === 0);
}

function checkOutput(output: TensorOutput | undefined, name: string, tokens: number, dim: number): void {
  if (!output) throw new BertwebError('RUNTIME', `the model returned no ${name}`);
  const expected = name === 'pooler_output' ? dim : tokens * dim;
  if (output.data.length !== expected) {
    throw new BertwebError('RUNTIME', `${name} has ${output.data.length} values, expected ${expected}`);
  }
  for (let i = 0; i < output.data.length; i++) {
    if (!Number.isFinite(output.data[i] as number)) {
      throw new BertwebError('RUNTIME', `the model produced ${output.data[i]} in ${name}`);
    }
  }
}

function poolWindow(
  encoding: Encoding,
  output: Record<string, TensorOutput>,
  pooling: Pooling,
  dim: number,
): Float64Array {
  if (pooling === 'pooler') return Float64Array.from((output.pooler_output as TensorOutput).data);
  const hidden = (output.last_hidden_state as TensorOutput).data;
  if (pooling === 'cls') return rowOf(hidden, 0, dim);
  if (pooling === 'max') return maxPool(hidden, encoding.attentionMask, dim);
  return meanPool(hidden, encoding.attentionMask, dim);
}

function detailed(
  text: string,
  encoding: Encoding,
  output: Record<string, TensorOutput>,
  dim: number,
  hasPooler: boolean,
): DetailedEmbedding {
  const hidden = (output.last_hidden_state as TensorOutput).data;
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
    pooler: hasPooler ? (output.pooler_output as TensorOutput).data.slice() : null,
    dim,
    truncated: encoding.overflowing.length > 0,
  };
}

function emptyDetailed(dim: number, hasPooler: boolean, encoding: Encoding): DetailedEmbedding {
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
