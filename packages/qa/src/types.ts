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
   * With `answerRule: 'huggingface'` (default): for a span, `pStart * pEnd` in the window where it was
   * found (softmax over [CLS] + context tokens); for no-answer, the smallest `pStart[CLS] * pEnd[CLS]`
   * over the context's windows. With `answerRule: 'deeppavlov'`: DeepPavlov's `scores`, `1 -
   * pStart[CLS] * pEnd[CLS]` of the chosen window (the probability that there IS an answer), for a span
   * and for no-answer alike. 0 for an empty context.
   */
  readonly score: number;
  readonly noAnswer: boolean;
}

/**
 * How the reader picks its answer:
 * - `'huggingface'` (default): Hugging Face's question-answering pipeline: the best `pStart * pEnd`
 *   span of at most `maxAnswerLength` subtokens over all windows, "no answer" only with a
 *   `noAnswerThreshold`, scores comparable across contexts;
 * - `'deeppavlov'`: DeepPavlov 1.7's `torch_transformers_squad` + `squad_bert_ans_postprocessor`: per
 *   window the argmax of `pStart * pEnd` (softmax over [CLS], the context and the final [SEP]) over spans
 *   shorter than `maxLength - min(20, context tokens + 1)` tokens, including those that start at [CLS];
 *   the window with the largest `max(start + end logit)` wins; "no answer" when its span starts at
 *   [CLS]; the score is `1 - pStart[CLS] * pEnd[CLS]`. One answer: `topK` above 1, `maxAnswerLength`
 *   and `noAnswerThreshold` are INPUT_INVALID with it. packages/qa/README.md lists the differences.
 *
 * @example
 * ```ts
 * const reader = await createReader(folder, { answerRule: 'deeppavlov' as AnswerRule });
 * ```
 */
export type AnswerRule = 'huggingface' | 'deeppavlov';

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
  /** How the answer is picked and scored (default `'huggingface'`); see {@link AnswerRule}. */
  readonly answerRule?: AnswerRule;
}
