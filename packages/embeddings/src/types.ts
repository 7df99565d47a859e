/** Public types of the embedder. */
import type { CallOptions, HeadOptions } from '@bertweb/core';

/**
 * How token vectors become one sentence vector:
 * - `mean`: average of every token's last hidden state, [CLS] and [SEP] included (sentence-transformers
 *   and DeepPavlov's `mean_emb` both average all attention-masked subtokens);
 * - `max`: element-wise maximum over the same tokens (DeepPavlov's `max_emb`, sentence-transformers max);
 * - `cls`: the [CLS] token's hidden state;
 * - `pooler`: the model's `pooler_output` (BERT only; DistilBERT has no pooler);
 * - `model`: the folder's own sentence-transformers pipeline (`modules.json`: its Pooling mode, Dense layers
 *   and Normalize, in order), giving the vectors sentence-transformers gives (LaBSE: CLS, Dense + tanh,
 *   L2). The default for folders whose pipeline does more than one of the poolings above (with or without
 *   Normalize, which then sets `normalize`).
 *
 * @example
 * ```ts
 * await embedder.embed(texts, { pooling: 'cls' satisfies Pooling });
 * ```
 */
export type Pooling = 'mean' | 'max' | 'cls' | 'pooler' | 'model';

/**
 * What to do with texts longer than the model accepts.
 *
 * @example
 * ```ts
 * await embedder.embed([longText], { longText: 'chunk' satisfies LongTextMode });
 * ```
 */
export type LongTextMode = 'truncate' | 'chunk';

/**
 * A row-major matrix of vectors: row i is `data.subarray(i * dim, (i + 1) * dim)`.
 *
 * @example
 * ```ts
 * const m: EmbeddingMatrix = { data: new Float32Array(6), rows: 2, dim: 3 };
 * const row1 = m.data.subarray(1 * m.dim, 2 * m.dim);
 * ```
 */
export interface EmbeddingMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly dim: number;
}

/**
 * Result of {@link Embedder.embed}: one row per input text.
 *
 * @example
 * ```ts
 * const { data, rows, dim, truncated }: Embeddings = await embedder.embed(['a', 'b']);
 * ```
 */
export interface Embeddings extends EmbeddingMatrix {
  /** `truncated[i]` is true when text i did not fit and was cut (`longText: 'truncate'`). */
  readonly truncated: boolean[];
}

/**
 * Per-call options of {@link Embedder.embed}.
 *
 * @example
 * ```ts
 * await embedder.embed(texts, { pooling: 'max', normalize: true, longText: 'chunk', signal });
 * ```
 */
export interface EmbedOptions extends CallOptions {
  /** Default: the model's `1_Pooling/config.json`, else `mean`. */
  readonly pooling?: Pooling;
  /** L2-normalize each row. Default: true when `modules.json` lists a Normalize module, else false. */
  readonly normalize?: boolean;
  /**
   * `truncate` (default): keep the first `maxLength` tokens and flag the row. `chunk`: split the text
   * into consecutive windows of at most `maxLength` tokens (each with its own [CLS]/[SEP]) and combine
   * the window vectors: `mean` weights each window by its token count, `max` takes the element-wise
   * maximum, `cls` / `pooler` average the windows.
   */
  readonly longText?: LongTextMode;
}

/**
 * DeepPavlov's `transformers_bert_embedder` outputs for one text, in its order: tokens, token
 * embeddings, subtokens, subtoken embeddings, sentence max, sentence mean, pooler.
 *
 * @example
 * ```ts
 * const [d]: DetailedEmbedding[] = await embedder.embedDetailed(['Hello, world!']);
 * d.tokens; // ['Hello', ',', 'world', '!']
 * ```
 */
export interface DetailedEmbedding {
  /** Words (pre-tokenized: whitespace and punctuation split) as slices of the ORIGINAL text. */
  readonly tokens: string[];
  /** `[start, end)` of each word in the original text, UTF-16 units. */
  readonly tokenOffsets: [number, number][];
  /** words x dim: each word's FIRST subtoken's last hidden state. */
  readonly tokenEmbeddings: Float32Array;
  /** Subtokens, [CLS] and [SEP] included (as in DeepPavlov). */
  readonly subtokens: string[];
  /** subtokens x dim: last hidden state of every subtoken. */
  readonly subtokenEmbeddings: Float32Array;
  /** Element-wise max over all subtokens ([CLS]/[SEP] included). */
  readonly sentenceMax: Float32Array;
  /** Mean over all subtokens ([CLS]/[SEP] included). */
  readonly sentenceMean: Float32Array;
  /** `pooler_output`, or null when the model has none (DistilBERT). */
  readonly pooler: Float32Array | null;
  readonly dim: number;
  /** True when the text was cut to `maxLength` tokens. */
  readonly truncated: boolean;
}

/**
 * Options of {@link createEmbedder}: model loading plus embedding defaults.
 *
 * @example
 * ```ts
 * const embedder = await createEmbedder('models/fixtures/bert-base', { backend: 'wasm', pooling: 'mean', normalize: true });
 * ```
 */
export interface EmbedderOptions extends HeadOptions {
  /** Default pooling (overrides `1_Pooling/config.json`). */
  readonly pooling?: Pooling;
  /** Default of {@link EmbedOptions.normalize}. */
  readonly normalize?: boolean;
  /** Default of {@link EmbedOptions.longText}. */
  readonly longText?: LongTextMode;
  /**
   * Tokens per text, special tokens included. Default: `max_seq_length` of
   * `sentence_bert_config.json` when present (capped to the model's limit), else the model's position
   * limit; above the limit is INPUT_INVALID.
   */
  readonly maxLength?: number;
}
