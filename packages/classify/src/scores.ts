/** Logits -> label scores: softmax, sigmoid or raw values, then ranking and selection. */
import { BertwebError } from '@bertweb/core';

/**
 * How logits become scores: softmax (single label), sigmoid (multi-label) or none (regression).
 *
 * @example
 * ```ts
 * const classifier = await createClassifier(source, { activation: 'sigmoid' as Activation });
 * ```
 */
export type Activation = 'softmax' | 'sigmoid' | 'none';

/**
 * One label with its score.
 *
 * @example
 * ```ts
 * const [best]: LabelScore[] = rankLabels([0.2, 0.8], ['no', 'yes']); // { label: 'yes', score: 0.8 }
 * ```
 */
export interface LabelScore {
  readonly label: string;
  readonly score: number;
}

/**
 * Applies the activation to one row of logits (float64 math). Throws RUNTIME on NaN.
 *
 * @example
 * ```ts
 * activate(new Float32Array([0, 0]), 'softmax'); // [0.5, 0.5]
 * activate(new Float32Array([0]), 'sigmoid');    // [0.5]
 * ```
 */
export function activate(logits: ArrayLike<number>, activation: Activation): number[] {
  const values = Array.from(logits);
  if (values.some(Number.isNaN)) throw new BertwebError('RUNTIME', 'the model produced NaN logits');
  if (activation === 'none') return values;
  if (activation === 'sigmoid') return values.map((x) => 1 / (1 + Math.exp(-x)));
  const max = Math.max(...values);
  const exps = values.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Labels sorted by score (best first, ties by label id), keeping those above `threshold` (when given)
 * and at most `topK`.
 *
 * @example
 * ```ts
 * rankLabels([0.2, 0.7, 0.1], ['a', 'b', 'c'], { topK: 2 }); // [{label:'b',score:0.7},{label:'a',score:0.2}]
 * rankLabels([0.6, 0.4], ['x', 'y'], { threshold: 0.5 });    // [{label:'x',score:0.6}]
 * ```
 */
export function rankLabels(
  scores: readonly number[],
  labels: readonly string[],
  options: { readonly topK?: number; readonly threshold?: number } = {},
): LabelScore[] {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  const kept = order.filter((i) => options.threshold === undefined || (scores[i] as number) > options.threshold);
  return kept
    .slice(0, options.topK ?? kept.length)
    .map((i) => ({ label: labels[i] as string, score: scores[i] as number }));
}
