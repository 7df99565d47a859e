/**
 * bertweb's own WordPiece tokenizer: BertNormalizer + BertPreTokenizer + WordPiece + post-processor,
 * id-for-id identical to Hugging Face tokenizers, with offsets in UTF-16 units of the input.
 */

import { BertwebError } from '../errors.js';
import { type AddedTokenMatch, AddedTokenMatcher, type AddedTokenSpec } from './added-tokens.js';
import { decodeWordPieces, type WordPieceDecoderOptions } from './decoder.js';
import { type BertNormalizerOptions, CharMapper, normalizeAligned } from './normalizer.js';
import {
  assertText,
  batchArguments,
  type CheckedEncodeOptions,
  checkIds,
  decodeOptions,
  encodeOptions,
  resolveTruncation,
  type TruncationDefaults,
} from './options.js';
import {
  type PaddingParams,
  type PostProcessorSpec,
  paddingTarget,
  padEncoding,
  postProcess,
} from './post-processor.js';
import type { EncodeOptions, Encoding, SpecialTokens, Tokenizer, WordPieces } from './types.js';
import type { Vocab } from './vocab.js';
import { emptyRawSequence, type RawSequence, WordPieceEncoder } from './wordpiece-encoder.js';

/** Text touching every branch of the encoder: capitals, accents, removed and astral characters, CJK, punctuation. */
const WARM_UP_TEXT = 'The Ünïcode, naïve\u200bword! İ ΑΣ 中文 😀x a\ud800 ' + 'x'.repeat(120) + ' Ab';

/**
 * Everything a {@link WordPieceTokenizer} is built from (what the loaders parse).
 *
 * @example
 * ```ts
 * const tok = new WordPieceTokenizer({
 *   vocab: parseVocabTxt(vocabText),
 *   normalizer: { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true },
 *   unkToken: '[UNK]',
 *   specialTokens, // { cls, sep, pad, unk, mask? } with ids
 * });
 * ```
 */
export interface WordPieceTokenizerConfig {
  readonly vocab: Vocab;
  readonly normalizer: BertNormalizerOptions;
  readonly unkToken: string;
  /** Default 100. */
  readonly maxInputCharsPerWord?: number;
  /** Tokens matched in the text before tokenization (special tokens, additions). */
  readonly addedTokens?: readonly AddedTokenSpec[];
  /** Special tokens and type ids; undefined: none. */
  readonly postProcessor?: PostProcessorSpec;
  /** Applied when `encode` gets no `truncation` option. */
  readonly truncation?: TruncationDefaults;
  /** Applied after post-processing (batch-longest or fixed), as tokenizer.json asks. */
  readonly padding?: PaddingParams;
  /** Undefined: tokens joined with spaces. */
  readonly decoder?: WordPieceDecoderOptions;
  readonly specialTokens: SpecialTokens;
  readonly modelMaxLength?: number;
}

/**
 * WordPiece tokenizer (BERT, DistilBERT, RuBERT, LaBSE, ...), built from parsed configuration.
 * Use {@link tokenizerFromJson}, {@link tokenizerFromVocab} or {@link loadTokenizer} to make one.
 *
 * @example
 * ```ts
 * const tok = tokenizerFromVocab(vocabText, { do_lower_case: true });
 * const enc = tok.encode('Héllo, world!');
 * enc.tokens;  // ['[CLS]', 'hello', ',', 'world', '!', '[SEP]']
 * enc.offsets; // [[0,0], [0,5], [5,6], [7,12], [12,13], [0,0]]
 * ```
 */
export class WordPieceTokenizer implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly vocabSize: number;
  readonly modelMaxLength: number;
  readonly specialTokens: SpecialTokens;
  /** Truncation used when `encode` is called without a `truncation` option (tokenizer.json). */
  readonly truncation: TruncationDefaults | undefined;
  /** Padding applied after post-processing (tokenizer.json), or undefined. */
  readonly padding: PaddingParams | undefined;
  readonly normalizerOptions: BertNormalizerOptions;

  private readonly vocab: Vocab;
  private readonly mapper: CharMapper;
  private readonly encoder: WordPieceEncoder;
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;
  private readonly addedById = new Map<number, AddedTokenSpec>();
  private readonly addedByContent = new Map<string, AddedTokenSpec>();
  private readonly specialIds = new Set<number>();
  private readonly postProcessor: PostProcessorSpec | undefined;
  private readonly decoder: WordPieceDecoderOptions | undefined;
  private readonly idToTokenFn: (id: number) => string;

  constructor(config: WordPieceTokenizerConfig) {
    const { vocab, unkToken } = config;
    const unkId = vocab.get(unkToken) ?? config.addedTokens?.find((t) => t.content === unkToken)?.id;
    if (unkId === undefined) {
      throw new BertwebError(
        'TOKENIZER_MISMATCH',
        `the unknown token ${JSON.stringify(unkToken)} is not in the vocabulary`,
      );
    }
    this.vocab = vocab;
    this.normalizerOptions = config.normalizer;
    this.mapper = new CharMapper(config.normalizer);
    this.encoder = new WordPieceEncoder(this.mapper, {
      vocab,
      unkId,
      maxInputCharsPerWord: config.maxInputCharsPerWord ?? 100,
    });
    let size = vocab.size;
    const raw: { pattern: string; token: AddedTokenSpec }[] = [];
    const normalized: { pattern: string; token: AddedTokenSpec }[] = [];
    for (const token of config.addedTokens ?? []) {
      if (!this.addedByContent.has(token.content)) this.addedByContent.set(token.content, token);
      if (!this.addedById.has(token.id)) this.addedById.set(token.id, token);
      if (token.special) this.specialIds.add(token.id);
      size = Math.max(size, token.id + 1);
      if (token.normalized) {
        const pattern = normalizeAligned(this.mapper, token.content).text;
        normalized.push({ pattern, token });
      } else {
        raw.push({ pattern: token.content, token });
      }
    }
    this.rawMatcher = new AddedTokenMatcher(raw);
    this.normalizedMatcher = new AddedTokenMatcher(normalized);
    this.vocabSize = size;
    this.modelMaxLength = config.modelMaxLength ?? 512;
    this.specialTokens = config.specialTokens;
    for (const special of Object.values(config.specialTokens)) {
      if (special) this.specialIds.add(special.id);
    }
    this.postProcessor = config.postProcessor;
    this.truncation = config.truncation;
    this.padding = config.padding;
    this.decoder = config.decoder;
    const idToToken = vocab.idToToken;
    const addedById = this.addedById;
    this.idToTokenFn = (id) => idToToken[id] ?? addedById.get(id)?.content ?? unkToken;
    // One pass over every branch of the hot loop before V8 optimizes it, so that a rare character
    // met later does not deoptimize the loop (measured: a third of the cold-run cost).
    this.encodeUnpadded(WARM_UP_TEXT, WARM_UP_TEXT, {
      pair: WARM_UP_TEXT,
      addSpecialTokens: true,
      truncation: false,
      returnOverflowing: false,
    });
  }

  /**
   * Encodes one text (or a pair via `options.pair`).
   *
   * @throws BertwebError `INPUT_INVALID` for a non-string text or pair, options that are not an object
   *   (`null` is the defaults) or have an unknown key or a wrong type, and impossible truncation.
   * @example
   * ```ts
   * const enc = tok.encode(question, {
   *   pair: context,
   *   truncation: { maxLength: 384, strategy: 'only_second', stride: 128 },
   *   returnOverflowing: true,
   * });
   * const windows = [enc, ...enc.overflowing];
   * ```
   */
  encode(text: string, options?: EncodeOptions | null): Encoding {
    assertText(text, 'text');
    const checked = encodeOptions(options);
    const encoding = this.encodeUnpadded(text, checked.pair, checked);
    if (this.padding) padEncoding(encoding, paddingTarget(this.padding, encoding.ids.length), this.padding);
    return encoding;
  }

  /**
   * Encodes many texts (optionally with pairs) with the same options; padding from tokenizer.json,
   * when present, pads to the longest encoding of the batch.
   *
   * @throws BertwebError `INPUT_INVALID` when texts is not a dense array of strings, pairs' length
   *   differs, or the options are bad (as in {@link WordPieceTokenizer.encode}).
   * @example
   * ```ts
   * const encs = tok.encodeBatch(['first text', 'second'], { truncation: { maxLength: 128 } });
   * ```
   */
  encodeBatch(
    texts: readonly string[],
    options?: (Omit<EncodeOptions, 'pair'> & { readonly pairs?: readonly string[] }) | null,
  ): Encoding[] {
    const { texts: list, pairs, options: checked } = batchArguments(texts, options);
    const encodings = list.map((text, i) => this.encodeUnpadded(text, pairs?.[i], checked));
    if (this.padding && encodings.length > 0) {
      let longest = 0;
      for (const e of encodings) longest = Math.max(longest, e.ids.length);
      const target = paddingTarget(this.padding, longest);
      for (const e of encodings) padEncoding(e, target, this.padding);
    }
    return encodings;
  }

  /**
   * Tokenizes one pre-split word (as DeepPavlov does per word for tagging): pieces, ids and offsets
   * inside the word, no special tokens. A "word" containing punctuation yields several words' pieces.
   *
   * @example
   * ```ts
   * tok.tokenizeWord('unaffable'); // { tokens: ['una', '##ffa', '##ble'], ids: [...], offsets: [[0,3],[3,6],[6,9]] }
   * ```
   */
  tokenizeWord(word: string): WordPieces {
    assertText(word, 'word');
    const raw = this.encodeSequence(word);
    const tokens: string[] = [];
    const offsets: [number, number][] = [];
    for (let t = 0; t < raw.ids.length; t++) {
      tokens.push(this.idToTokenFn(raw.ids[t] as number));
      offsets.push([raw.starts[t] as number, raw.ends[t] as number]);
    }
    return { tokens, ids: raw.ids, offsets };
  }

  /**
   * Text of token ids (WordPiece decoder: `##` pieces glued, spaces before punctuation cleaned up).
   *
   * @throws BertwebError `INPUT_INVALID` for ids that are not integers in `[0, vocabSize)`.
   * @example
   * ```ts
   * tok.decode(enc.ids, { skipSpecialTokens: true }); // 'hello, world!'
   * ```
   */
  decode(ids: readonly number[], options?: { readonly skipSpecialTokens?: boolean } | null): string {
    const list = checkIds(ids, this.vocabSize);
    const { skipSpecialTokens } = decodeOptions(options);
    const tokens: string[] = [];
    for (const id of list) {
      if (skipSpecialTokens && this.specialIds.has(id)) continue;
      tokens.push(this.idToTokenFn(id));
    }
    if (!this.decoder) return tokens.join(' ');
    return decodeWordPieces(tokens, this.decoder);
  }

  /**
   * Id of a token string (vocabulary or added token).
   *
   * @example
   * ```ts
   * tok.tokenToId('[CLS]'); // 101
   * ```
   */
  tokenToId(token: string): number | undefined {
    if (typeof token !== 'string') return undefined;
    return this.addedByContent.get(token)?.id ?? this.vocab.get(token);
  }

  /**
   * Token string of an id.
   *
   * @example
   * ```ts
   * tok.idToToken(101); // '[CLS]'
   * ```
   */
  idToToken(id: number): string | undefined {
    if (!Number.isInteger(id) || id < 0) return undefined;
    return this.addedById.get(id)?.content ?? this.vocab.idToToken[id];
  }

  /**
   * The BertNormalizer output for a text (what WordPiece sees, before splitting into words).
   *
   * @example
   * ```ts
   * tok.normalize('Héllo 世界'); // 'hello  世  界 '
   * ```
   */
  normalize(text: string): string {
    assertText(text, 'text');
    return normalizeAligned(this.mapper, text).text;
  }

  private encodeUnpadded(text: string, pair: string | undefined, options: CheckedEncodeOptions): Encoding {
    const truncation = resolveTruncation(options.truncation, this.truncation);
    const a = this.encodeSequence(text);
    const sequences: [RawSequence] | [RawSequence, RawSequence] =
      pair === undefined ? [a] : [a, this.encodeSequence(pair)];
    return postProcess({
      sequences,
      idToToken: this.idToTokenFn,
      spec: this.postProcessor,
      addSpecialTokens: options.addSpecialTokens,
      truncation,
      returnOverflowing: options.returnOverflowing,
    });
  }

  /** Tokens of one text without special tokens: added tokens first, WordPiece in between. */
  private encodeSequence(text: string): RawSequence {
    const out = emptyRawSequence();
    let word = 0;
    let pos = 0;
    const matches = this.rawMatcher.size > 0 ? this.rawMatcher.findAll(text, 0, text.length) : [];
    for (const match of matches) {
      if (match.start > pos) word = this.encodeSpan(text, pos, match.start, out, word);
      word = this.pushAdded(match, out, word);
      pos = match.end;
    }
    if (pos < text.length) word = this.encodeSpan(text, pos, text.length, out, word);
    return out;
  }

  /** A span without raw added tokens: normalized added tokens (if any), WordPiece for the rest. */
  private encodeSpan(text: string, from: number, to: number, out: RawSequence, word: number): number {
    if (this.normalizedMatcher.size === 0) return this.encoder.encodeSection(text, from, to, out, word);
    const aligned = normalizeAligned(this.mapper, text, from, to);
    let pos = from;
    for (const m of this.normalizedMatcher.findAll(aligned.text, 0, aligned.text.length)) {
      const start = aligned.starts[m.start] as number;
      const end = aligned.ends[m.end - 1] as number;
      if (start < pos) continue;
      if (start > pos) word = this.encoder.encodeSection(text, pos, start, out, word);
      word = this.pushAdded({ start, end, token: m.token }, out, word);
      pos = end;
    }
    if (pos < to) word = this.encoder.encodeSection(text, pos, to, out, word);
    return word;
  }

  private pushAdded(match: AddedTokenMatch, out: RawSequence, word: number): number {
    out.ids.push(match.token.id);
    out.starts.push(match.start);
    out.ends.push(match.end);
    out.words.push(word);
    return word + 1;
  }
}
