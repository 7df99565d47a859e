/** Trailing padding removal: a tokenizer.json may ask its tokenizer to pad (e.g. overflow windows). */
import type { Encoding } from '@bertweb/core';

/**
 * `encoding` without trailing positions whose attention mask is 0 (the same object when there are none).
 * The runtime pads batches itself; pads inside a window would only cost time and show up as tokens.
 *
 * @example
 * ```ts
 * const encoding = unpadded(tokenizer.encode(text, { truncation: { maxLength: 128 } }));
 * ```
 */
export function unpadded(encoding: Encoding): Encoding {
  let length = encoding.attentionMask.length;
  while (length > 0 && encoding.attentionMask[length - 1] === 0) length--;
  if (length === encoding.attentionMask.length) return encoding;
  return {
    ids: encoding.ids.slice(0, length),
    tokens: encoding.tokens.slice(0, length),
    typeIds: encoding.typeIds.slice(0, length),
    attentionMask: encoding.attentionMask.slice(0, length),
    specialTokensMask: encoding.specialTokensMask.slice(0, length),
    wordIds: encoding.wordIds.slice(0, length),
    sequenceIds: encoding.sequenceIds.slice(0, length),
    offsets: encoding.offsets.slice(0, length),
    overflowing: encoding.overflowing,
  };
}
