/**
 * EM and F1 exactly as the official SQuAD evaluation scripts compute them:
 * `evaluate-v1.1.py` (rajpurkar/SQuAD-explorer) and `evaluate-v2.0.py` (its SQuAD 2.0 successor).
 *
 * Differences between the two scripts that are kept here:
 * - v1.1 F1 returns 0 when either side is empty after normalization (no common tokens); v2.0 returns 1
 *   when both are empty and 0 when one is ("no answer" agreement).
 * - v1.1 divides by every question of the dataset (a missing prediction scores 0); v2.0 divides by the
 *   questions that have a prediction and adds HasAns_ / NoAns_ splits. v2.0 drops gold answers that
 *   normalize to '' and uses [''] as the gold of unanswerable questions.
 */
import { normalizeAnswer, pySplit } from './normalize.js';

/** Python's `collections.Counter(a) & Counter(b)` summed: tokens in common, with multiplicity. */
function commonCount(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const token of a) counts.set(token, (counts.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of b) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      same++;
      counts.set(token, left - 1);
    }
  }
  return same;
}

function harmonic(same: number, predicted: number, gold: number): number {
  const precision = same / predicted;
  const recall = same / gold;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * v1.1 `exact_match_score`: 1 when the normalized strings are equal.
 *
 * @example
 * ```ts
 * exactMatchV1('the Cat.', 'cat'); // 1
 * ```
 */
export function exactMatchV1(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/**
 * v1.1 `f1_score` over normalized whitespace tokens.
 *
 * @example
 * ```ts
 * f1V1('a red cat', 'the cat'); // precision 1/2, recall 1 -> 0.666...
 * ```
 */
export function f1V1(prediction: string, gold: string): number {
  const predicted = pySplit(normalizeAnswer(prediction));
  const truth = pySplit(normalizeAnswer(gold));
  const same = commonCount(predicted, truth);
  if (same === 0) return 0;
  return harmonic(same, predicted.length, truth.length);
}

/**
 * v2.0 `compute_exact` (same as v1.1).
 *
 * @example
 * ```ts
 * exactMatchV2('', ''); // 1
 * ```
 */
export function exactMatchV2(prediction: string, gold: string): number {
  return exactMatchV1(prediction, gold);
}

/**
 * v2.0 `compute_f1`: like v1.1, but an empty side scores 1 if both are empty, else 0.
 *
 * @example
 * ```ts
 * f1V2('', ''); // 1
 * f1V2('', 'Paris'); // 0
 * ```
 */
export function f1V2(prediction: string, gold: string): number {
  // get_tokens: `if not s: return []` — the raw string, then normalize_answer(s).split().
  const predicted = prediction ? pySplit(normalizeAnswer(prediction)) : [];
  const truth = gold ? pySplit(normalizeAnswer(gold)) : [];
  if (predicted.length === 0 || truth.length === 0) {
    return predicted.length === truth.length ? 1 : 0;
  }
  const same = commonCount(truth, predicted);
  if (same === 0) return 0;
  return harmonic(same, predicted.length, truth.length);
}

/**
 * One question of a SQuAD file.
 *
 * @example
 * ```ts
 * const q: SquadQuestion = { id: 'q1', question: 'Who?', context: 'Ann met Bob.', answers: ['Ann'] };
 * ```
 */
export interface SquadQuestion {
  readonly id: string;
  readonly question: string;
  readonly context: string;
  /** Gold answer texts; empty for unanswerable (v2.0) questions. */
  readonly answers: readonly string[];
}

/**
 * v1.1 result, with the official key names.
 *
 * @example
 * ```ts
 * const { exact_match, f1 }: SquadV1Metrics = evaluateSquadV1(questions, predictions);
 * ```
 */
export interface SquadV1Metrics {
  readonly exact_match: number;
  readonly f1: number;
}

/**
 * v2.0 result, with the official key names (splits only when the dataset has such questions).
 *
 * @example
 * ```ts
 * const { exact, f1, HasAns_f1, NoAns_f1 }: SquadV2Metrics = evaluateSquadV2(questions, predictions);
 * ```
 */
export interface SquadV2Metrics {
  readonly exact: number;
  readonly f1: number;
  readonly total: number;
  readonly HasAns_exact?: number;
  readonly HasAns_f1?: number;
  readonly HasAns_total?: number;
  readonly NoAns_exact?: number;
  readonly NoAns_f1?: number;
  readonly NoAns_total?: number;
}

/**
 * `evaluate()` of evaluate-v1.1.py: predictions by question id; a missing prediction scores 0.
 *
 * @example
 * ```ts
 * evaluateSquadV1(questions, { q1: 'Denver Broncos' }); // { exact_match, f1 } in percent
 * ```
 */
export function evaluateSquadV1(
  questions: readonly SquadQuestion[],
  predictions: Readonly<Record<string, string>>,
): SquadV1Metrics {
  let exact = 0;
  let f1 = 0;
  for (const qa of questions) {
    const prediction = predictions[qa.id];
    if (prediction === undefined) continue;
    exact += Math.max(...qa.answers.map((gold) => exactMatchV1(prediction, gold)));
    f1 += Math.max(...qa.answers.map((gold) => f1V1(prediction, gold)));
  }
  const total = questions.length;
  return { exact_match: (100 * exact) / total, f1: (100 * f1) / total };
}

/**
 * evaluate-v2.0.py without a no-answer probability file (`na_prob_thresh` 1.0 with all probabilities 0
 * leaves the raw scores unchanged). Totals count questions with a prediction.
 *
 * @example
 * ```ts
 * evaluateSquadV2(questions, { q1: '', q2: 'Paris' }); // { exact, f1, total, HasAns_*, NoAns_* }
 * ```
 */
export function evaluateSquadV2(
  questions: readonly SquadQuestion[],
  predictions: Readonly<Record<string, string>>,
): SquadV2Metrics {
  const exactById = new Map<string, number>();
  const f1ById = new Map<string, number>();
  const hasAns: string[] = [];
  const noAns: string[] = [];
  for (const qa of questions) {
    (qa.answers.length > 0 ? hasAns : noAns).push(qa.id);
    const prediction = predictions[qa.id];
    if (prediction === undefined) continue;
    let golds = qa.answers.filter((text) => normalizeAnswer(text) !== '');
    if (golds.length === 0) golds = [''];
    exactById.set(qa.id, Math.max(...golds.map((gold) => exactMatchV2(prediction, gold))));
    f1ById.set(qa.id, Math.max(...golds.map((gold) => f1V2(prediction, gold))));
  }
  const summary = (ids: readonly string[]) => {
    const scored = ids.filter((id) => exactById.has(id));
    const sum = (m: Map<string, number>) => scored.reduce((acc, id) => acc + (m.get(id) as number), 0);
    const total = scored.length;
    return { exact: (100 * sum(exactById)) / total, f1: (100 * sum(f1ById)) / total, total };
  };
  const all = summary([...exactById.keys()]);
  const result: Record<string, number> = { ...all };
  if (hasAns.length > 0) {
    const split = summary(hasAns);
    Object.assign(result, { HasAns_exact: split.exact, HasAns_f1: split.f1, HasAns_total: split.total });
  }
  if (noAns.length > 0) {
    const split = summary(noAns);
    Object.assign(result, { NoAns_exact: split.exact, NoAns_f1: split.f1, NoAns_total: split.total });
  }
  return result as unknown as SquadV2Metrics;
}
