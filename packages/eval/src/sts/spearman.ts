/** Spearman rank correlation with tie-aware (average) ranks, as `scipy.stats.spearmanr` computes it. */
import { BertwebError } from '@bertweb/core';

/**
 * 1-based ranks; tied values share the average of the ranks they span.
 *
 * @example
 * ```ts
 * averageRanks([10, 20, 20, 5]); // [2, 3.5, 3.5, 1]
 * ```
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const ranks = new Float64Array(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t] as number] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Pearson correlation (NaN when either side is constant).
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 6]); // 1
 * ```
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y);
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rho: Pearson correlation of the average ranks.
 *
 * @example
 * ```ts
 * spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]); // 8 / sqrt(95) = 0.8208
 * ```
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

function checkPair(x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw new BertwebError('INPUT_INVALID', `lengths differ: ${x.length} and ${y.length}`);
  if (x.length < 2) throw new BertwebError('INPUT_INVALID', 'a correlation needs at least 2 pairs');
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i] as number) || !Number.isFinite(y[i] as number)) {
      throw new BertwebError('INPUT_INVALID', `non-finite value at pair ${i}`);
    }
  }
}
