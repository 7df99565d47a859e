/**
 * Parsing of tokenizer files into a {@link WordPieceTokenizerConfig}: `tokenizer.json` (Hugging Face
 * tokenizers serialization) and `vocab.txt` + `tokenizer_config.json` + `special_tokens_map.json`
 * (transformers' slow BertTokenizer files, read the way transformers converts them to a fast
 * tokenizer).
 */

import { BertwebError } from '../errors.js';
import type { AddedTokenSpec } from './added-tokens.js';
import type { WordPieceDecoderOptions } from './decoder.js';
import type { BertNormalizerOptions } from './normalizer.js';
import type { TruncationDefaults } from './options.js';
import type { PaddingParams, PostProcessorSpec, TemplatePiece } from './post-processor.js';
import type { SpecialTokens } from './types.js';
import { parseVocabTxt, type Vocab, vocabFromObject } from './vocab.js';
import type { WordPieceTokenizerConfig } from './wordpiece-tokenizer.js';

type Json = Record<string, unknown>;

/** `model_max_length` values above this are placeholders (transformers writes 1e30): use 512. */
const MAX_SANE_MODEL_LENGTH = 1_000_000;
const DEFAULT_MODEL_MAX_LENGTH = 512;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function int(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

/** A special token written as a string or as `{content: ...}` (AddedToken serialization). */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/**
 * tokenizer_config.json `model_max_length`, capped: missing, absurd (transformers' 1e30 placeholder)
 * or invalid values give 512.
 *
 * @example
 * ```ts
 * modelMaxLengthFrom({ model_max_length: 1e30 }); // 512
 * ```
 */
export function modelMaxLengthFrom(tokenizerConfig: unknown): number {
  const value = isObject(tokenizerConfig) ? tokenizerConfig.model_max_length : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_SANE_MODEL_LENGTH) {
    return DEFAULT_MODEL_MAX_LENGTH;
  }
  return Math.floor(value);
}

/** Why a tokenizer.json cannot be handled by the WordPiece implementation (undefined: it can). */
export function wordPieceUnsupportedReason(json: Json): string | undefined {
  const model = json.model;
  if (!isObject(model)) return 'tokenizer.json has no model';
  const type =
    model.type ??
    ('continuing_subword_prefix' in model && 'max_input_chars_per_word' in model ? 'WordPiece' : undefined);
  if (type !== 'WordPiece') return `model type ${String(type)} is not WordPiece`;
  const normalizer = json.normalizer;
  if (
    normalizer !== null &&
    normalizer !== undefined &&
    (!isObject(normalizer) || normalizer.type !== 'BertNormalizer')
  ) {
    return `normalizer ${isObject(normalizer) ? String(normalizer.type) : '?'} is not BertNormalizer`;
  }
  const pre = json.pre_tokenizer;
  if (!isObject(pre) || pre.type !== 'BertPreTokenizer') {
    return `pre-tokenizer ${isObject(pre) ? String(pre.type) : String(pre)} is not BertPreTokenizer`;
  }
  if (parsePostProcessor(json.post_processor, () => 0) === 'unsupported') return 'unsupported post-processor';
  return undefined;
}

/** The normalizer with `lowercase` overridden when `override` is given. */
function withLowercase(normalizer: BertNormalizerOptions, override: boolean | undefined): BertNormalizerOptions {
  return override === undefined ? normalizer : { ...normalizer, lowercase: override };
}

/** Normalizer options of tokenizer.json (null: no normalization at all). */
function parseNormalizer(value: unknown): BertNormalizerOptions {
  if (!isObject(value)) return { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false };
  return {
    cleanText: bool(value.clean_text, true),
    handleChineseChars: bool(value.handle_chinese_chars, true),
    stripAccents: typeof value.strip_accents === 'boolean' ? value.strip_accents : null,
    lowercase: bool(value.lowercase, true),
  };
}

function parseTemplate(items: unknown): TemplatePiece[] | undefined {
  if (!Array.isArray(items)) return undefined;
  const pieces: TemplatePiece[] = [];
  for (const item of items) {
    if (!isObject(item)) return undefined;
    if (isObject(item.SpecialToken) && typeof item.SpecialToken.id === 'string') {
      pieces.push({ kind: 'special', name: item.SpecialToken.id, typeId: int(item.SpecialToken.type_id, 0) });
    } else if (isObject(item.Sequence)) {
      pieces.push({
        kind: 'sequence',
        sequence: item.Sequence.id === 'B' ? 1 : 0,
        typeId: int(item.Sequence.type_id, 0),
      });
    } else {
      return undefined;
    }
  }
  return pieces;
}

/**
 * Post-processor spec of tokenizer.json: TemplateProcessing, BertProcessing, RobertaProcessing, or a
 * Sequence containing one of them (ByteLevel steps only touch offsets of byte-level BPE).
 */
export function parsePostProcessor(
  value: unknown,
  tokenId: (token: string) => number | undefined,
): PostProcessorSpec | undefined | 'unsupported' {
  if (value === null || value === undefined) return undefined;
  if (!isObject(value)) return 'unsupported';
  switch (value.type) {
    case 'TemplateProcessing': {
      const single = parseTemplate(value.single);
      const pair = parseTemplate(value.pair);
      if (!single || !pair) return 'unsupported';
      const specialTokens = new Map<string, { ids: number[]; tokens: string[] }>();
      if (isObject(value.special_tokens)) {
        for (const [name, entry] of Object.entries(value.special_tokens)) {
          if (!isObject(entry) || !Array.isArray(entry.ids)) return 'unsupported';
          const ids = entry.ids.filter((id): id is number => typeof id === 'number');
          const tokens = Array.isArray(entry.tokens) ? entry.tokens.map(String) : ids.map(() => name);
          specialTokens.set(name, { ids, tokens });
        }
      }
      for (const piece of [...single, ...pair]) {
        if (piece.kind === 'special' && !specialTokens.has(piece.name)) return 'unsupported';
      }
      return { single, pair, specialTokens };
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const pairOf = (v: unknown): [string, number] | undefined =>
        Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number' ? [v[0], v[1]] : undefined;
      const cls =
        pairOf(value.cls) ?? (value.type === 'BertProcessing' ? ['[CLS]', tokenId('[CLS]') ?? -1] : undefined);
      const sep =
        pairOf(value.sep) ?? (value.type === 'BertProcessing' ? ['[SEP]', tokenId('[SEP]') ?? -1] : undefined);
      if (!cls || !sep || cls[1] < 0 || sep[1] < 0) return 'unsupported';
      const specialTokens = new Map([
        ['cls', { ids: [cls[1]], tokens: [cls[0]] }],
        ['sep', { ids: [sep[1]], tokens: [sep[0]] }],
      ]);
      const s = (name: string, typeId: number): TemplatePiece => ({ kind: 'special', name, typeId });
      const q = (sequence: 0 | 1, typeId: number): TemplatePiece => ({ kind: 'sequence', sequence, typeId });
      if (value.type === 'BertProcessing') {
        return {
          single: [s('cls', 0), q(0, 0), s('sep', 0)],
          pair: [s('cls', 0), q(0, 0), s('sep', 0), q(1, 1), s('sep', 1)],
          specialTokens,
        };
      }
      // RoBERTa: <s> A </s> </s> B </s>, every type id 0.
      return {
        single: [s('cls', 0), q(0, 0), s('sep', 0)],
        pair: [s('cls', 0), q(0, 0), s('sep', 0), s('sep', 0), q(1, 0), s('sep', 0)],
        specialTokens,
      };
    }
    case 'ByteLevel':
      return undefined;
    case 'Sequence': {
      if (!Array.isArray(value.processors)) return 'unsupported';
      let found: PostProcessorSpec | undefined;
      for (const processor of value.processors) {
        const spec = parsePostProcessor(processor, tokenId);
        if (spec === 'unsupported') return 'unsupported';
        if (spec) {
          if (found) return 'unsupported';
          found = spec;
        }
      }
      return found;
    }
    default:
      return 'unsupported';
  }
}

/** tokenizer.json `added_tokens`. */
function parseAddedTokens(value: unknown): AddedTokenSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer.json added_tokens must be a list');
  // An index loop, not map(): a hole (an object built in code, not parsed JSON) is an entry without content.
  const tokens: AddedTokenSpec[] = [];
  for (let index = 0; index < value.length; index++) {
    const entry: unknown = value[index];
    if (!isObject(entry) || typeof entry.content !== 'string' || !isTokenId(entry.id)) {
      throw new BertwebError('TOKENIZER_MISMATCH', `tokenizer.json added_tokens[${index}] lacks content or id`);
    }
    const special = bool(entry.special, false);
    tokens.push({
      id: entry.id,
      content: entry.content,
      special,
      normalized: bool(entry.normalized, !special),
      lstrip: bool(entry.lstrip, false),
      rstrip: bool(entry.rstrip, false),
      singleWord: bool(entry.single_word, false),
    });
  }
  return tokens;
}

/** A token id: a non-negative integer an int32 tensor can hold. */
function isTokenId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 31;
}

/** A non-negative integer setting of tokenizer.json, or `TOKENIZER_MISMATCH` naming it. */
function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 31) {
    throw new BertwebError(
      'TOKENIZER_MISMATCH',
      `tokenizer.json ${name} must be a non-negative integer, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * tokenizer.json `truncation` as defaults (max_length includes special tokens, as in HF).
 *
 * @example
 * ```ts
 * parseTruncation({ max_length: 256, strategy: 'LongestFirst', stride: 0 }); // { maxLength: 256, strategy: 'longest_first', stride: 0, direction: 'right' }
 * ```
 */
export function parseTruncation(value: unknown): TruncationDefaults | undefined {
  if (!isObject(value) || typeof value.max_length !== 'number') return undefined;
  const strategies: Record<string, TruncationDefaults['strategy']> = {
    LongestFirst: 'longest_first',
    OnlyFirst: 'only_first',
    OnlySecond: 'only_second',
  };
  return {
    maxLength: count(value.max_length, 'truncation.max_length'),
    strategy: strategies[String(value.strategy)] ?? 'longest_first',
    stride: value.stride === undefined || value.stride === null ? 0 : count(value.stride, 'truncation.stride'),
    direction: value.direction === 'Left' ? 'left' : 'right',
  };
}

/** tokenizer.json `padding`. */
function parsePadding(value: unknown): PaddingParams | undefined {
  if (!isObject(value)) return undefined;
  const strategy = value.strategy;
  const fixed =
    isObject(strategy) && strategy.Fixed !== undefined ? count(strategy.Fixed, 'padding.strategy.Fixed') : undefined;
  const optionalCount = (v: unknown, name: string) => (v === undefined || v === null ? 0 : count(v, name));
  const multiple = optionalCount(value.pad_to_multiple_of, 'padding.pad_to_multiple_of');
  return {
    length: fixed ?? 'longest',
    ...(multiple > 0 ? { padToMultipleOf: multiple } : {}),
    padId: optionalCount(value.pad_id, 'padding.pad_id'),
    padTypeId: optionalCount(value.pad_type_id, 'padding.pad_type_id'),
    padToken: typeof value.pad_token === 'string' ? value.pad_token : '[PAD]',
    direction: value.direction === 'Left' ? 'left' : 'right',
  };
}

function parseDecoder(value: unknown, cleanUpTokenizationSpaces: boolean): WordPieceDecoderOptions | undefined {
  if (value === null || value === undefined) return undefined;
  const decoder = isObject(value) ? value : {};
  return {
    prefix: typeof decoder.prefix === 'string' ? decoder.prefix : '##',
    cleanup: bool(decoder.cleanup, true),
    cleanUpTokenizationSpaces,
  };
}

/** Names of special tokens a BERT model needs, as configured (undefined when not configured). */
interface SpecialTokenNames {
  readonly unk?: string | undefined;
  readonly cls?: string | undefined;
  readonly sep?: string | undefined;
  readonly pad?: string | undefined;
  readonly mask?: string | undefined;
}

function specialTokenNames(...sources: unknown[]): SpecialTokenNames {
  const pick = (key: string): string | undefined => {
    for (const source of sources) {
      const value = isObject(source) ? tokenContent(source[key]) : undefined;
      if (value !== undefined) return value;
    }
    return undefined;
  };
  return {
    unk: pick('unk_token'),
    cls: pick('cls_token'),
    sep: pick('sep_token'),
    pad: pick('pad_token'),
    mask: pick('mask_token'),
  };
}

/**
 * Resolves special tokens to ids. cls/sep/pad/unk must exist; mask is optional unless configured.
 *
 * @throws BertwebError `TOKENIZER_MISMATCH` for a special token missing from the vocabulary.
 */
function resolveSpecialTokens(
  names: SpecialTokenNames,
  defaults: Required<{ [K in keyof SpecialTokenNames]: string }>,
  tokenId: (token: string) => number | undefined,
): SpecialTokens {
  const resolve = (role: keyof SpecialTokenNames, required: boolean) => {
    const token = names[role] ?? defaults[role];
    const id = tokenId(token);
    if (id === undefined) {
      if (!required && names[role] === undefined) return undefined;
      throw new BertwebError(
        'TOKENIZER_MISMATCH',
        `the ${role} token ${JSON.stringify(token)} is not in the vocabulary`,
        { role, token },
      );
    }
    return { token, id };
  };
  const mask = resolve('mask', false);
  return {
    cls: resolve('cls', true) as { token: string; id: number },
    sep: resolve('sep', true) as { token: string; id: number },
    pad: resolve('pad', true) as { token: string; id: number },
    unk: resolve('unk', true) as { token: string; id: number },
    ...(mask ? { mask } : {}),
  };
}

/**
 * Options of the loaders.
 *
 * @example
 * ```ts
 * // Ignore the truncation/padding saved in tokenizer.json (the heads pick their own).
 * const tok = tokenizerFromJson(json, config, { useSavedTruncation: false, useSavedPadding: false });
 * ```
 */
export interface TokenizerLoadOptions {
  /**
   * Apply tokenizer.json's `truncation` section when `encode` gets no `truncation` option
   * (Hugging Face tokenizers behaviour). Default true.
   */
  readonly useSavedTruncation?: boolean;
  /** Apply tokenizer.json's `padding` section after encoding. Default true. */
  readonly useSavedPadding?: boolean;
  /**
   * Lowercase (or not) whatever the tokenizer files say: DeepPavlov's `do_lower_case`, which it passes
   * to `AutoTokenizer.from_pretrained`. Accents follow as in Hugging Face (`strip_accents` unset: stripped
   * exactly when lowercasing). WordPiece tokenizers only; default: the files' setting.
   */
  readonly lowercase?: boolean;
}

/**
 * Configuration of a WordPiece tokenizer from a parsed tokenizer.json (must be WordPiece with
 * BertPreTokenizer: see {@link wordPieceUnsupportedReason}).
 */
export function wordPieceConfigFromJson(
  json: Json,
  tokenizerConfig: unknown,
  options: TokenizerLoadOptions = {},
): WordPieceTokenizerConfig {
  const model = json.model as Json;
  const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##';
  const vocab = vocabFromObject(model.vocab, prefix);
  const addedTokens = parseAddedTokens(json.added_tokens);
  const addedByContent = new Map(addedTokens.map((t) => [t.content, t.id]));
  const tokenId = (token: string): number | undefined => addedByContent.get(token) ?? vocab.get(token);
  const postProcessor = parsePostProcessor(json.post_processor, tokenId);
  if (postProcessor === 'unsupported') {
    throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer.json has a post-processor bertweb does not support');
  }
  const unkToken = typeof model.unk_token === 'string' ? model.unk_token : '[UNK]';
  const padding = options.useSavedPadding === false ? undefined : parsePadding(json.padding);
  const truncation = options.useSavedTruncation === false ? undefined : parseTruncation(json.truncation);
  const fromTemplate = templateClsSep(postProcessor);
  const names = specialTokenNames(tokenizerConfig);
  const specialTokens = resolveSpecialTokens(
    { ...names, unk: unkToken },
    {
      unk: unkToken,
      cls: fromTemplate.cls ?? '[CLS]',
      sep: fromTemplate.sep ?? '[SEP]',
      pad: padding?.padToken ?? '[PAD]',
      mask: '[MASK]',
    },
    tokenId,
  );
  const cleanUp = isObject(tokenizerConfig) ? bool(tokenizerConfig.clean_up_tokenization_spaces, true) : true;
  return {
    vocab,
    normalizer: withLowercase(parseNormalizer(json.normalizer), options.lowercase),
    unkToken,
    maxInputCharsPerWord: int(model.max_input_chars_per_word, 100),
    addedTokens,
    ...(postProcessor ? { postProcessor } : {}),
    ...(truncation ? { truncation } : {}),
    ...(padding ? { padding } : {}),
    ...(json.decoder !== null && json.decoder !== undefined
      ? { decoder: parseDecoder(json.decoder, cleanUp) as WordPieceDecoderOptions }
      : {}),
    specialTokens,
    modelMaxLength: modelMaxLengthFrom(tokenizerConfig),
  };
}

/** First and last special token of the single-sequence template (BERT: [CLS] and [SEP]). */
function templateClsSep(spec: PostProcessorSpec | undefined): { cls?: string; sep?: string } {
  if (!spec) return {};
  const specials = spec.single.filter((p) => p.kind === 'special');
  const token = (piece: TemplatePiece | undefined) =>
    piece && piece.kind === 'special' ? spec.specialTokens.get(piece.name)?.tokens[0] : undefined;
  const cls = token(specials[0]);
  const sep = token(specials[specials.length - 1]);
  return { ...(cls ? { cls } : {}), ...(sep ? { sep } : {}) };
}

/**
 * Configuration of a WordPiece tokenizer from `vocab.txt` and transformers' BertTokenizer settings,
 * read the way transformers builds the fast tokenizer (BertNormalizer with clean_text,
 * tokenize_chinese_chars, strip_accents, do_lower_case; BertProcessing; special tokens as added
 * tokens). `never_split` entries stay whole when they stand alone between spaces (slow tokenizer).
 */
export function wordPieceConfigFromVocab(
  vocabText: string,
  tokenizerConfig: unknown = {},
  specialTokensMap: unknown = {},
  options: TokenizerLoadOptions = {},
): WordPieceTokenizerConfig {
  if (tokenizerConfig !== undefined && tokenizerConfig !== null && !isObject(tokenizerConfig)) {
    throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer_config.json must be an object');
  }
  if (specialTokensMap !== undefined && specialTokensMap !== null && !isObject(specialTokensMap)) {
    throw new BertwebError('TOKENIZER_MISMATCH', 'special_tokens_map.json must be an object');
  }
  const config: Json = isObject(tokenizerConfig) ? tokenizerConfig : {};
  const vocab: Vocab = parseVocabTxt(vocabText);
  const lowercase = options.lowercase ?? bool(config.do_lower_case, true);
  const normalizer: BertNormalizerOptions = {
    cleanText: true,
    handleChineseChars: bool(config.tokenize_chinese_chars, true),
    stripAccents: typeof config.strip_accents === 'boolean' ? config.strip_accents : null,
    lowercase,
  };
  const names = specialTokenNames(config, specialTokensMap);
  const tokenId = (token: string): number | undefined => vocab.get(token);
  const specialTokens = resolveSpecialTokens(
    names,
    { unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]' },
    tokenId,
  );
  const added: AddedTokenSpec[] = [];
  const seen = new Set<string>();
  const addSpecial = (content: string, id: number) => {
    if (seen.has(content)) return;
    seen.add(content);
    added.push({ id, content, special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false });
  };
  for (const special of [
    specialTokens.unk,
    specialTokens.sep,
    specialTokens.pad,
    specialTokens.cls,
    specialTokens.mask,
  ]) {
    if (special) addSpecial(special.token, special.id);
  }
  const additional = [
    ...(Array.isArray(config.additional_special_tokens) ? config.additional_special_tokens : []),
    ...(isObject(specialTokensMap) && Array.isArray(specialTokensMap.additional_special_tokens)
      ? specialTokensMap.additional_special_tokens
      : []),
  ];
  for (const entry of additional) {
    const content = tokenContent(entry);
    if (content === undefined) continue;
    const id = vocab.get(content);
    if (id === undefined) {
      throw new BertwebError(
        'TOKENIZER_MISMATCH',
        `additional special token ${JSON.stringify(content)} is not in the vocabulary`,
      );
    }
    addSpecial(content, id);
  }
  if (isObject(config.added_tokens_decoder)) {
    for (const [key, entry] of Object.entries(config.added_tokens_decoder)) {
      const id = Number(key);
      if (!isObject(entry) || typeof entry.content !== 'string' || !Number.isInteger(id) || seen.has(entry.content)) {
        continue;
      }
      if (id >= vocab.size || vocab.idToToken[id] !== entry.content) {
        throw new BertwebError(
          'TOKENIZER_MISMATCH',
          `added token ${JSON.stringify(entry.content)} (id ${id}) does not match vocab.txt`,
        );
      }
      seen.add(entry.content);
      const special = bool(entry.special, false);
      added.push({
        id,
        content: entry.content,
        special,
        normalized: bool(entry.normalized, !special),
        lstrip: bool(entry.lstrip, false),
        rstrip: bool(entry.rstrip, false),
        singleWord: bool(entry.single_word, false),
      });
    }
  }
  if (Array.isArray(config.never_split)) {
    for (const entry of config.never_split) {
      if (typeof entry !== 'string' || entry === '' || seen.has(entry)) continue;
      seen.add(entry);
      added.push({
        id: vocab.get(entry) ?? specialTokens.unk.id,
        content: entry,
        special: false,
        normalized: false,
        lstrip: false,
        rstrip: false,
        singleWord: false,
        wholeChunk: true,
      });
    }
  }
  const s = (name: string, typeId: number): TemplatePiece => ({ kind: 'special', name, typeId });
  const q = (sequence: 0 | 1, typeId: number): TemplatePiece => ({ kind: 'sequence', sequence, typeId });
  return {
    vocab,
    normalizer,
    unkToken: specialTokens.unk.token,
    maxInputCharsPerWord: 100,
    addedTokens: added,
    postProcessor: {
      single: [s('cls', 0), q(0, 0), s('sep', 0)],
      pair: [s('cls', 0), q(0, 0), s('sep', 0), q(1, 1), s('sep', 1)],
      specialTokens: new Map([
        ['cls', { ids: [specialTokens.cls.id], tokens: [specialTokens.cls.token] }],
        ['sep', { ids: [specialTokens.sep.id], tokens: [specialTokens.sep.token] }],
      ]),
    },
    decoder: {
      prefix: '##',
      cleanup: true,
      cleanUpTokenizationSpaces: bool(config.clean_up_tokenization_spaces, true),
    },
    specialTokens,
    modelMaxLength: modelMaxLengthFrom(config),
  };
}
