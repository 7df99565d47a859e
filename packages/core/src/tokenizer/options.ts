/**
 * Validation of what callers pass to `encode` / `encodeBatch` / `decode`, shared by both tokenizer
 * kinds: bad input becomes `INPUT_INVALID` before any work is done. The rules of the heads'
 * validation layer (../head/validate.ts) hold here too: `null` options are the defaults, unknown keys
 * and wrong types are `INPUT_INVALID`, arrays must be dense, and what the caller passed is read once
 * (the functions return snapshots that the tokenizer then uses).
 */

import { BertwebError } from '../errors.js';
import * as check from '../head/validate.js';
import type { TruncationDirection, TruncationParams } from './truncation.js';
import type { EncodeOptions, TruncationOptions, TruncationStrategy } from './types.js';

/**
 * Every {@link TruncationStrategy}, for heads and tools that check or list them.
 *
 * @example
 * ```ts
 * check.oneOf(options.truncation, 'truncation', TRUNCATION_STRATEGIES);
 * ```
 */
export const TRUNCATION_STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

/**
 * Truncation defaults of a tokenizer (from tokenizer.json), with a direction.
 *
 * @example
 * ```ts
 * const saved: TruncationDefaults = { maxLength: 256, strategy: 'longest_first', stride: 0, direction: 'right' };
 * ```
 */
export interface TruncationDefaults extends TruncationOptions {
  readonly direction?: TruncationDirection;
}

/** Throws `INPUT_INVALID` unless `value` is a string. */
export function assertText(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new BertwebError('INPUT_INVALID', `${what} must be a string, got ${value === null ? 'null' : typeof value}`);
  }
}

/** {@link EncodeOptions}, checked and read once. */
export interface CheckedEncodeOptions {
  readonly pair: string | undefined;
  readonly addSpecialTokens: boolean;
  /** As given: `undefined` (the tokenizer's defaults), `false` / `null` (none) or a checked snapshot. */
  readonly truncation: TruncationOptions | false | null | undefined;
  readonly returnOverflowing: boolean;
}

const ENCODE_OPTION_KEYS = ['pair', 'addSpecialTokens', 'truncation', 'returnOverflowing'];
const BATCH_OPTION_KEYS = ['pairs', 'addSpecialTokens', 'truncation', 'returnOverflowing'];
const TRUNCATION_KEYS = ['maxLength', 'strategy', 'stride', 'direction'];

function truncationOption(value: unknown): TruncationOptions | false | null | undefined {
  if (value === undefined || value === false || value === null) return value;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BertwebError('INPUT_INVALID', 'truncation must be an object or false', { argument: 'truncation' });
  }
  const snapshot = check.options(value as TruncationDefaults, 'truncation', TRUNCATION_KEYS);
  // Checked now, so that a bad value fails before any work (and is not read again later).
  resolveTruncation(snapshot, undefined);
  return snapshot;
}

/**
 * The options of `encode`: `undefined` / `null` are the defaults; an unknown key, a non-string `pair`,
 * a non-boolean flag or a bad `truncation` is `INPUT_INVALID`.
 *
 * @example
 * ```ts
 * const { pair, truncation } = encodeOptions(options);
 * ```
 */
export function encodeOptions(value: unknown): CheckedEncodeOptions {
  const options = check.options(value as EncodeOptions | null | undefined, 'options', ENCODE_OPTION_KEYS);
  if (options.pair !== undefined) assertText(options.pair, 'pair');
  return {
    pair: options.pair,
    addSpecialTokens: check.bool(options.addSpecialTokens, 'addSpecialTokens') ?? true,
    truncation: truncationOption(options.truncation),
    returnOverflowing: check.bool(options.returnOverflowing, 'returnOverflowing') ?? false,
  };
}

/**
 * The texts and options of `encodeBatch`: a dense array of strings, and `pairs` (when given) one dense
 * string per text; otherwise as {@link encodeOptions}.
 *
 * @example
 * ```ts
 * const { texts: list, pairs, options: shared } = batchArguments(texts, options);
 * ```
 */
export function batchArguments(
  texts: unknown,
  value: unknown,
): { texts: readonly string[]; pairs: readonly string[] | undefined; options: CheckedEncodeOptions } {
  if (!Array.isArray(texts)) throw new BertwebError('INPUT_INVALID', 'texts must be an array of strings');
  const list = check.strings(texts, 'texts');
  const options = check.options(
    value as (Omit<EncodeOptions, 'pair'> & { pairs?: unknown }) | null | undefined,
    'options',
    BATCH_OPTION_KEYS,
  );
  let pairs: readonly string[] | undefined;
  if (options.pairs !== undefined) {
    if (!Array.isArray(options.pairs) || options.pairs.length !== list.length) {
      throw new BertwebError('INPUT_INVALID', 'pairs must be an array with one string per text');
    }
    pairs = check.strings(options.pairs, 'pairs');
  }
  const { pairs: _pairs, ...rest } = options;
  return { texts: list, pairs, options: encodeOptions(rest) };
}

/**
 * The options of `decode`: `undefined` / `null` are the defaults; `skipSpecialTokens` must be a boolean.
 *
 * @example
 * ```ts
 * const { skipSpecialTokens } = decodeOptions(options);
 * ```
 */
export function decodeOptions(value: unknown): { readonly skipSpecialTokens: boolean } {
  const options = check.options(value as { skipSpecialTokens?: unknown } | null | undefined, 'options', [
    'skipSpecialTokens',
  ]);
  return { skipSpecialTokens: check.bool(options.skipSpecialTokens, 'skipSpecialTokens') ?? false };
}

/**
 * The options of the loaders (`tokenizerFromJson`, `tokenizerFromVocab`): `undefined` / `null` are the
 * defaults, each flag a boolean. Other keys pass (loadTokenizer hands its source options on too).
 *
 * @example
 * ```ts
 * const { lowercase } = loadOptions(options);
 * ```
 */
export function loadOptions<T extends { useSavedTruncation?: boolean; useSavedPadding?: boolean; lowercase?: boolean }>(
  value: T | null | undefined,
): T {
  if (value === undefined || value === null) return {} as T;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BertwebError('INPUT_INVALID', 'tokenizer options must be an object', { argument: 'options' });
  }
  const snapshot: Record<string, unknown> = {};
  for (const key of ['useSavedTruncation', 'useSavedPadding', 'lowercase'] as const) {
    const flag = check.bool((value as Record<string, unknown>)[key], key);
    if (flag !== undefined) snapshot[key] = flag;
  }
  return snapshot as T;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * The truncation to apply: `false` none, `undefined` the tokenizer's defaults, else the options.
 *
 * @throws BertwebError `INPUT_INVALID` for a negative or fractional length/stride or an unknown strategy.
 */
export function resolveTruncation(
  option: EncodeOptions['truncation'] | null,
  defaults: TruncationDefaults | undefined,
): TruncationParams | undefined {
  const chosen = option === undefined ? defaults : option;
  if (chosen === false || chosen === undefined || chosen === null) return undefined;
  if (typeof chosen !== 'object') throw new BertwebError('INPUT_INVALID', 'truncation must be an object or false');
  const { maxLength, strategy = 'longest_first', stride = 0 } = chosen;
  if (!isNonNegativeInteger(maxLength)) {
    throw new BertwebError(
      'INPUT_INVALID',
      `truncation.maxLength must be a non-negative integer, got ${shown(maxLength)}`,
    );
  }
  if (!isNonNegativeInteger(stride)) {
    throw new BertwebError('INPUT_INVALID', `truncation.stride must be a non-negative integer, got ${shown(stride)}`);
  }
  if (!TRUNCATION_STRATEGIES.includes(strategy)) {
    throw new BertwebError('INPUT_INVALID', `unknown truncation strategy ${shown(strategy)}`);
  }
  const given = (chosen as TruncationDefaults).direction;
  if (given !== undefined && given !== 'left' && given !== 'right') {
    throw new BertwebError('INPUT_INVALID', `truncation.direction must be 'left' or 'right', got ${shown(given)}`);
  }
  const direction = (chosen as TruncationDefaults).direction === 'left' ? 'left' : 'right';
  return { maxLength, strategy, stride, direction };
}

/** A value in a message, whatever it is (String() throws on symbols in templates, JSON on bigints). */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/**
 * Checks an id list for `decode` (integers in `[0, size)`, an array or a typed array) and returns it as
 * a plain array, each id read once.
 */
export function checkIds(ids: unknown, size: number): number[] {
  if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
    throw new BertwebError('INPUT_INVALID', 'ids must be an array of token ids');
  }
  const list = ids as ArrayLike<unknown>;
  const length = list.length;
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const id = list[i];
    if (!isNonNegativeInteger(id) || id >= size) {
      throw new BertwebError('INPUT_INVALID', `ids[${i}] = ${shown(id)} is not a token id (vocabulary size ${size})`, {
        index: i,
      });
    }
    out[i] = id;
  }
  return out;
}
