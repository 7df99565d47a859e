/** Merging the spans of all windows of one question/context pair into ranked answers. */
import type { Answer } from './types.js';

/**
 * A span in character offsets of the context, with its score.
 *
 * @example
 * ```ts
 * state.add({ start: 4, end: 9, score: 0.31 });
 * ```
 */
export interface Candidate {
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/**
 * Accumulates the candidates of one pair across its windows. Overlapping windows can propose the same
 * character span: it is kept once, with its best score (first seen wins ties).
 *
 * @example
 * ```ts
 * const state = new PairAnswers(context);
 * state.addNullScore(0.02);
 * state.add({ start: 4, end: 9, score: 0.31 });
 * collectAnswers(state, 1, undefined); // [{ text: context.slice(4, 9), ... }]
 * ```
 */
export class PairAnswers {
  readonly #byspan = new Map<string, { candidate: Candidate; order: number }>();
  #nullScore: number | undefined;
  #seen = 0;

  constructor(readonly context: string) {}

  add(candidate: Candidate): void {
    const key = `${candidate.start}:${candidate.end}`;
    const known = this.#byspan.get(key);
    if (!known) this.#byspan.set(key, { candidate, order: this.#seen++ });
    else if (candidate.score > known.candidate.score) known.candidate = candidate;
  }

  /** The pair's no-answer score is the smallest over its windows (the window most sure there is an answer). */
  addNullScore(score: number | undefined): void {
    if (score === undefined) return;
    if (this.#nullScore === undefined || score < this.#nullScore) this.#nullScore = score;
  }

  get nullScore(): number | undefined {
    return this.#nullScore;
  }

  /** Candidates best first; equal scores keep discovery order (earlier window, earlier start). */
  ranked(): Candidate[] {
    return [...this.#byspan.values()]
      .sort((a, b) => b.candidate.score - a.candidate.score || a.order - b.order)
      .map((entry) => entry.candidate);
  }
}

/**
 * The ranked answers of a pair, at most `topK`. With a `noAnswerThreshold` t, the no-answer result
 * ranks above every span whose score s satisfies `nullScore > s + t`; so the top answer is "no
 * answer" exactly when the no-answer score beats the best span by more than t.
 *
 * @example
 * ```ts
 * const answers = collectAnswers(state, 1, undefined); // SQuAD 1.1: best span
 * ```
 */
export function collectAnswers(state: PairAnswers, topK: number, noAnswerThreshold: number | undefined): Answer[] {
  const spans: Answer[] = state.ranked().map((c) => ({
    text: state.context.slice(c.start, c.end),
    start: c.start,
    end: c.end,
    score: c.score,
    noAnswer: false,
  }));
  const nullScore = state.nullScore;
  if (spans.length === 0) {
    // Nothing to point at (the context produced no tokens): the only possible answer is "none".
    return [{ text: '', start: -1, end: -1, score: nullScore ?? 0, noAnswer: true }];
  }
  if (noAnswerThreshold !== undefined && nullScore !== undefined) {
    const noAnswer: Answer = { text: '', start: -1, end: -1, score: nullScore, noAnswer: true };
    const at = spans.findIndex((span) => nullScore > span.score + noAnswerThreshold);
    if (at !== -1) spans.splice(at, 0, noAnswer);
  }
  return spans.slice(0, topK);
}
