/**
 * Validation of what callers pass to `encode` / `encodeBatch` / `decode`, shared by both tokenizer
 * kinds: bad input becomes `INPUT_INVALID` before any work is done.
 */

import { BertwebError } from '../errors.js';
import type { TruncationDirection, TruncationParams } from './truncation.js';
import type { EncodeOptions, TruncationOptions, TruncationStrategy } from './types.js';

const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

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

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * The truncation to apply: `false` none, `undefined` the tokenizer's defaults, else the options.
 *
 * @throws BertwebError `INPUT_INVALID` for a negative or fractional length/stride or an unknown strategy.
 */
export function resolveTruncation(
  option: EncodeOptions['truncation'],
  defaults: TruncationDefaults | undefined,
): TruncationParams | undefined {
  const chosen = option === undefined ? defaults : option;
  if (chosen === false || chosen === undefined || chosen === null) return undefined;
  if (typeof chosen !== 'object') throw new BertwebError('INPUT_INVALID', 'truncation must be an object or false');
  const { maxLength, strategy = 'longest_first', stride = 0 } = chosen;
  if (!isNonNegativeInteger(maxLength)) {
    throw new BertwebError('INPUT_INVALID', `truncation.maxLength must be a non-negative integer, got ${maxLength}`);
  }
  if (!isNonNegativeInteger(stride)) {
    throw new BertwebError('INPUT_INVALID', `truncation.stride must be a non-negative integer, got ${stride}`);
  }
  if (!STRATEGIES.includes(strategy)) {
    throw new BertwebError('INPUT_INVALID', `unknown truncation strategy ${JSON.stringify(strategy)}`);
  }
  const direction = (chosen as TruncationDefaults).direction === 'left' ? 'left' : 'right';
  return { maxLength, strategy, stride, direction };
}

/** Checks an id list for `decode`: integers in `[0, size)`. */
export function assertIds(ids: unknown, size: number): asserts ids is readonly number[] {
  if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
    throw new BertwebError('INPUT_INVALID', 'ids must be an array of token ids');
  }
  const list = ids as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++) {
    const id = list[i];
    if (!isNonNegativeInteger(id) || id >= size) {
      throw new BertwebError('INPUT_INVALID', `ids[${i}] = ${String(id)} is not a token id (vocabulary size ${size})`, {
        index: i,
      });
    }
  }
}
