/**
 * Truncation with stride and overflow windows, exactly as Hugging Face tokenizers (Rust) computes
 * them (`truncate_encodings` and `Encoding::truncate`), on token counts only: the caller slices its
 * token arrays with the windows returned here.
 */

import { BertwebError } from '../errors.js';
import type { TruncationStrategy } from './types.js';

/**
 * Which end loses tokens (tokenizer.json `truncation.direction`).
 *
 * @example
 * ```ts
 * const direction: TruncationDirection = 'right'; // keep the beginning
 * ```
 */
export type TruncationDirection = 'right' | 'left';

/** Fully specified truncation parameters. */
export interface TruncationParams {
  /** Tokens allowed for the sequences themselves (special tokens already subtracted). */
  readonly maxLength: number;
  readonly strategy: TruncationStrategy;
  readonly stride: number;
  readonly direction: TruncationDirection;
}

/** A `[start, end)` range of token indices of one sequence. */
export interface TokenWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * The windows of a sequence of `length` tokens cut to `maxLen` with `stride` tokens of overlap:
 * the first window is the kept part, the others are the overflow, in Hugging Face's order.
 */
export function truncationWindows(
  length: number,
  maxLen: number,
  stride: number,
  direction: TruncationDirection,
): TokenWindow[] {
  if (maxLen >= length) return [{ start: 0, end: length }];
  if (maxLen === 0)
    return [
      { start: 0, end: 0 },
      { start: 0, end: length },
    ];
  if (stride >= maxLen) {
    throw new BertwebError(
      'INPUT_INVALID',
      `truncation stride (${stride}) must be smaller than the room left for the sequence (${maxLen} tokens once special tokens are counted)`,
      { stride, maxLength: maxLen },
    );
  }
  const step = maxLen - stride;
  const windows: TokenWindow[] = [];
  if (direction === 'right') {
    for (let start = 0; start < length; start += step) {
      const end = Math.min(start + maxLen, length);
      windows.push({ start, end });
      if (end === length) break;
    }
  } else {
    for (let last = length - 1; last >= 0; last -= step) {
      const end = last + 1;
      const start = end < maxLen ? 0 : end - maxLen;
      if (start >= end) break;
      windows.push({ start, end });
      if (start === 0) break;
    }
  }
  return windows;
}

/**
 * Windows of a single sequence or a pair, per strategy. `lengthB` undefined means a single sequence.
 *
 * @throws BertwebError `INPUT_INVALID` when `only_second` is asked without a pair, when the
 *   sequence to cut is too short to make room, or when the stride does not fit.
 */
export function truncateSequences(
  lengthA: number,
  lengthB: number | undefined,
  params: TruncationParams,
): { readonly a: TokenWindow[]; readonly b: TokenWindow[] | undefined } {
  const { maxLength, stride, direction, strategy } = params;
  const whole = (n: number): TokenWindow[] => [{ start: 0, end: n }];
  if (maxLength === 0) {
    return {
      a: truncationWindows(lengthA, 0, stride, direction),
      b: lengthB === undefined ? undefined : truncationWindows(lengthB, 0, stride, direction),
    };
  }
  const total = lengthA + (lengthB ?? 0);
  if (total <= maxLength) return { a: whole(lengthA), b: lengthB === undefined ? undefined : whole(lengthB) };
  const toRemove = total - maxLength;
  if (strategy === 'longest_first') {
    if (lengthB === undefined)
      return { a: truncationWindows(lengthA, lengthA - toRemove, stride, direction), b: undefined };
    let n1 = lengthA;
    let n2 = lengthB;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) {
      n1 = Math.floor(maxLength / 2);
      n2 = n1 + (maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return {
      a: truncationWindows(lengthA, n1, stride, direction),
      b: truncationWindows(lengthB, n2, stride, direction),
    };
  }
  if (strategy === 'only_second' && lengthB === undefined) {
    throw new BertwebError('INPUT_INVALID', 'truncation strategy only_second needs a pair of texts');
  }
  const targetIsA = strategy === 'only_first';
  const targetLength = targetIsA ? lengthA : (lengthB as number);
  if (targetLength <= toRemove) {
    throw new BertwebError(
      'INPUT_INVALID',
      `cannot truncate with ${strategy}: the ${targetIsA ? 'first' : 'second'} sequence has ${targetLength} tokens, ${toRemove} must go to fit ${maxLength}`,
      { strategy, maxLength, lengthA, lengthB },
    );
  }
  const cut = truncationWindows(targetLength, targetLength - toRemove, stride, direction);
  return targetIsA ? { a: cut, b: lengthB === undefined ? undefined : whole(lengthB) } : { a: whole(lengthA), b: cut };
}
