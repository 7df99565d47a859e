/**
 * The tokenizer contract every head relies on. The WordPiece implementation lives beside this file;
 * other tokenizer types are delegated to @huggingface/tokenizers behind the same interface.
 */

/** How a pair is shortened when it does not fit `maxLength` (Hugging Face names). */
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/** Truncation settings. `stride` > 0 with `returnOverflowing` yields overlapping windows. */
export interface TruncationOptions {
  /** Maximum length including special tokens. */
  readonly maxLength: number;
  readonly strategy?: TruncationStrategy;
  /** Tokens repeated between consecutive overflow windows (Hugging Face `stride`). */
  readonly stride?: number;
}

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Second sequence of a pair (question/context, sentence pairs). */
  readonly pair?: string;
  /** Add [CLS]/[SEP] per the post-processor. Default true. */
  readonly addSpecialTokens?: boolean;
  /** Default: no truncation. */
  readonly truncation?: TruncationOptions | false;
  /** Fill {@link Encoding.overflowing} with the windows cut off by truncation. */
  readonly returnOverflowing?: boolean;
}

/**
 * One encoded sequence. All arrays have the same length (number of tokens).
 * Offsets are `[start, end)` in UTF-16 code units of the ORIGINAL input string of the
 * sequence the token belongs to (see `sequenceIds`); special tokens have `[0, 0]`.
 */
export interface Encoding {
  readonly ids: number[];
  readonly tokens: string[];
  readonly typeIds: number[];
  readonly attentionMask: number[];
  readonly specialTokensMask: number[];
  /** Index of the pre-tokenized word each token comes from, per sequence; null for special tokens. */
  readonly wordIds: (number | null)[];
  /** 0 for the first text, 1 for the pair, null for special tokens. */
  readonly sequenceIds: (number | null)[];
  readonly offsets: [number, number][];
  /** Further windows when truncation with `returnOverflowing` cut the input. */
  readonly overflowing: Encoding[];
}

/** The special tokens a BERT-family model needs, with their ids. */
export interface SpecialTokens {
  readonly cls: { readonly token: string; readonly id: number };
  readonly sep: { readonly token: string; readonly id: number };
  readonly pad: { readonly token: string; readonly id: number };
  readonly unk: { readonly token: string; readonly id: number };
  readonly mask?: { readonly token: string; readonly id: number };
}

/** Pieces of one pre-split word (DeepPavlov's per-word tokenization for tagging). */
export interface WordPieces {
  readonly tokens: string[];
  readonly ids: number[];
  /** `[start, end)` of each piece inside the word, UTF-16 units. */
  readonly offsets: [number, number][];
}

/**
 * A tokenizer: text -> {@link Encoding}, ids -> text.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer(files);
 * const enc = tok.encode('Hello world', { truncation: { maxLength: 128 } });
 * enc.offsets; // [[0,0],[0,5],[6,11],[0,0]]
 * ```
 */
export interface Tokenizer {
  /** 'wordpiece' for bertweb's own implementation, 'delegated' for @huggingface/tokenizers. */
  readonly kind: 'wordpiece' | 'delegated';
  readonly vocabSize: number;
  /** From tokenizer_config.json `model_max_length` (capped to a sane value), else 512. */
  readonly modelMaxLength: number;
  readonly specialTokens: SpecialTokens;
  /** `options`: `null` is the defaults; an unknown key or a wrong type is INPUT_INVALID. */
  encode(text: string, options?: EncodeOptions | null): Encoding;
  encodeBatch(
    texts: readonly string[],
    options?: (Omit<EncodeOptions, 'pair'> & { readonly pairs?: readonly string[] }) | null,
  ): Encoding[];
  /** Tokenizes one already-split word (no special tokens). */
  tokenizeWord(word: string): WordPieces;
  decode(ids: readonly number[], options?: { readonly skipSpecialTokens?: boolean } | null): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}
