/** Public types of the reader. */
import type { CallOptions, HeadOptions } from '@bertweb/core';

/**
 * One answer. For a span, `context.slice(start, end) === text` (UTF-16 offsets into the ORIGINAL
 * context) and `noAnswer` is false. The no-answer result (SQuAD 2.0) is
 * `{ text: '', start: -1, end: -1, score: <no-answer probability>, noAnswer: true }`.
 *
 * @example
 * ```ts
 * const a: Answer = await reader.answer('Who?', context);
 * if (!a.noAnswer) console.log(context.slice(a.start, a.end) === a.text); // true
 * ```
 */
export interface Answer {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /**
   * Span: `pStart * pEnd` in the window where it was found (softmax over [CLS] + context tokens).
   * No-answer: the smallest `pStart[CLS] * pEnd[CLS]` over the context's windows; 0 for an empty context.
   */
  readonly score: number;
  readonly noAnswer: boolean;
}

/**
 * Per-call options of {@link Reader.answer} and the batch methods; progress counts windows.
 *
 * @example
 * ```ts
 * await reader.answer('Who?', context, { topK: 3, maxAnswerLength: 15, noAnswerThreshold: 0, signal });
 * ```
 */
export interface AnswerOptions extends CallOptions {
  /** Return the `topK` best answers (best first) instead of the single best one. */
  readonly topK?: number;
  /** Longest answer in subtokens (default 30). */
  readonly maxAnswerLength?: number;
  /**
   * SQuAD 2.0 behaviour. Unset (default): always answer with the best span (SQuAD 1.1). Set to `t`:
   * answer "no answer" when `nullScore > bestSpan.score + t` (0 = Transformers' `handle_impossible_answer`).
   */
  readonly noAnswerThreshold?: number;
}

/**
 * Options of {@link createReader}: model loading plus the windowing defaults.
 *
 * @example
 * ```ts
 * const reader = await createReader('models/fixtures/bert-qa', { backend: 'wasm', maxLength: 256, windowOverlap: 64 });
 * ```
 */
export interface ReaderOptions extends HeadOptions {
  /**
   * Window length in tokens, question and special tokens included. Default 384, or the model's limit when
   * that is smaller; above the limit is INPUT_INVALID.
   */
  readonly maxLength?: number;
  /** Context tokens shared by consecutive windows (Hugging Face's `doc_stride`); default 128. */
  readonly windowOverlap?: number;
  /** Default of {@link AnswerOptions.maxAnswerLength}. */
  readonly maxAnswerLength?: number;
  /** Default of {@link AnswerOptions.noAnswerThreshold}. */
  readonly noAnswerThreshold?: number;
}
