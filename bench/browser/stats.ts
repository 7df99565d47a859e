/**
 * Statistics of the browser benchmark: medians, spreads, per-run ratios of interleaved rounds, and the
 * rotating order the rounds run in. Pure functions (unit-tested in stats.test.ts).
 */

/**
 * Median of a non-empty list (mean of the middle two for even lengths).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Median, minimum, maximum and count of a sample.
 *
 * @example
 * ```ts
 * const { median, min, max }: Spread = spread(rates);
 * ```
 */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/**
 * The median and range of a non-empty sample.
 *
 * @example
 * ```ts
 * spread([4, 1, 9]); // { median: 4, min: 1, max: 9, n: 3 }
 * ```
 */
export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/**
 * The `q`-quantile (0..1) of a non-empty sample, linear between order statistics.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4, 5], 0.9); // 4.6
 * ```
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new Error('quantile of an empty list');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be in 0..1, got ${q}`);
  const s = [...xs].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (at - lo);
}

/**
 * Ratios `a[r] / b[r]` of the runs of two systems in the same round r. Interleaved rounds put both
 * systems under the same machine load, so the ratio of a round is steadier than the ratio of medians.
 *
 * @example
 * ```ts
 * perRunRatios([10, 12], [5, 4]); // [2, 3]
 * ```
 */
export function perRunRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`per-run ratios need as many runs (${a.length} vs ${b.length})`);
  return a.map((x, r) => x / (b[r] as number));
}

/**
 * The order systems run in, round by round: system `(k + round) mod n` runs k-th, so every system
 * runs first, second, ... equally often and none always follows the same neighbour's caches.
 *
 * @example
 * ```ts
 * roundOrder(3, 0); // [0, 1, 2]
 * roundOrder(3, 1); // [1, 2, 0]
 * ```
 */
export function roundOrder(systems: number, round: number): number[] {
  if (!Number.isInteger(systems) || systems < 1) throw new Error(`need at least one system, got ${systems}`);
  return Array.from({ length: systems }, (_, k) => (k + round) % systems);
}

/**
 * Rates (items per second) from seconds per run.
 *
 * @example
 * ```ts
 * rates(256, [2, 4]); // [128, 64]
 * ```
 */
export function rates(items: number, seconds: readonly number[]): number[] {
  return seconds.map((s) => items / s);
}

/**
 * The largest absolute element-wise difference of two equally long vectors.
 *
 * @example
 * ```ts
 * maxAbsDiff([1, 2], [1.5, 2]); // 0.5
 * ```
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`vectors differ in length (${a.length} vs ${b.length})`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
