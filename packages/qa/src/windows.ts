/**
 * Question + context -> overlapping windows `[CLS] question [SEP] context-part [SEP]`.
 *
 * The tokenizer does the cutting (pair truncation `only_second` with `stride` and
 * `returnOverflowing`, Hugging Face semantics: consecutive windows share `stride` context tokens),
 * so the question is never cut and every context token lands in at least one window.
 */
import { BertwebError, type Encoding, type Tokenizer } from '@bertweb/core';

/**
 * Resolved windowing settings.
 *
 * @example
 * ```ts
 * buildWindows(tokenizer, question, context, { maxLength: 384, windowOverlap: 128 } satisfies WindowSettings);
 * ```
 */
export interface WindowSettings {
  /** Tokens per window, special tokens included. */
  readonly maxLength: number;
  /** Requested overlap; reduced for long questions (see {@link buildWindows}). */
  readonly windowOverlap: number;
}

/**
 * Windows of one question/context pair. Throws INPUT_INVALID when the question alone leaves no
 * room for context. When a long question leaves a context budget `b <= 2 * windowOverlap`, the overlap
 * is reduced to `floor(b / 2)` so that each window still advances by at least half its context.
 *
 * @example
 * ```ts
 * const windows = buildWindows(tokenizer, 'Who?', longContext, { maxLength: 384, windowOverlap: 128 });
 * windows.length; // > 1 for a long context
 * ```
 */
export function buildWindows(
  tokenizer: Tokenizer,
  question: string,
  context: string,
  settings: WindowSettings,
): Encoding[] {
  // The pair with an empty context: question tokens plus every special token of a pair. Explicitly
  // untruncated: a tokenizer.json may carry its own default truncation.
  const fixed = tokenizer.encode(question, { pair: '', truncation: false }).ids.length;
  const budget = settings.maxLength - fixed;
  if (budget < 1) {
    throw new BertwebError(
      'INPUT_INVALID',
      `the question takes ${fixed} tokens with special tokens, which leaves no room for context in a ${settings.maxLength}-token window`,
      { questionTokens: fixed, maxLength: settings.maxLength },
    );
  }
  const stride = Math.max(0, Math.min(settings.windowOverlap, Math.floor(budget / 2)));
  const first = tokenizer.encode(question, {
    pair: context,
    truncation: { maxLength: settings.maxLength, strategy: 'only_second', stride },
    returnOverflowing: true,
  });
  // loadModel's tokenizers never pad (core guarantees it), so every window is as long as its tokens.
  const windows = [first, ...first.overflowing];
  for (const window of windows) {
    if (window.ids.length > settings.maxLength) {
      throw new BertwebError(
        'INTERNAL',
        `the tokenizer returned a ${window.ids.length}-token window for maxLength ${settings.maxLength}`,
      );
    }
  }
  return windows;
}

/**
 * Position of [CLS] in a window: where the tokenizer put the CLS id as a special token, else -1.
 *
 * @example
 * ```ts
 * clsIndexOf(window, tokenizer.specialTokens.cls.id); // 0 for BERT-style pairs
 * ```
 */
export function clsIndexOf(window: Encoding, clsId: number): number {
  for (let i = 0; i < window.ids.length; i++) {
    if (window.ids[i] === clsId && window.specialTokensMask[i] === 1) return i;
  }
  return -1;
}
