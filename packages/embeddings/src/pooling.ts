/** Pooling of one sequence's token vectors (row-major `tokens x dim`) into one vector. */

/**
 * Mean of the rows where `mask` is 1 (float64 accumulation).
 *
 * @example
 * ```ts
 * meanPool(hidden, [1, 1, 1], 4); // Float64Array(4)
 * ```
 */
export function meanPool(hidden: ArrayLike<number>, mask: readonly number[], dim: number): Float64Array {
  const out = new Float64Array(dim);
  let count = 0;
  mask.forEach((m, t) => {
    if (m !== 1) return;
    count++;
    const base = t * dim;
    for (let d = 0; d < dim; d++) out[d] = (out[d] as number) + (hidden[base + d] as number);
  });
  // sentence-transformers clamps the count to 1e-9; an all-masked sequence gives zeros either way.
  if (count > 0) for (let d = 0; d < dim; d++) out[d] = (out[d] as number) / count;
  return out;
}

/**
 * Element-wise maximum of the rows where `mask` is 1 (zeros when none).
 *
 * @example
 * ```ts
 * maxPool(hidden, [1, 1, 1], 4);
 * ```
 */
export function maxPool(hidden: ArrayLike<number>, mask: readonly number[], dim: number): Float64Array {
  const out = new Float64Array(dim).fill(Number.NEGATIVE_INFINITY);
  let any = false;
  mask.forEach((m, t) => {
    if (m !== 1) return;
    any = true;
    const base = t * dim;
    for (let d = 0; d < dim; d++) {
      const v = hidden[base + d] as number;
      if (v > (out[d] as number)) out[d] = v;
    }
  });
  if (!any) out.fill(0);
  return out;
}

/**
 * Row `index` (e.g. [CLS] at 0) as a float64 copy.
 *
 * @example
 * ```ts
 * rowOf(hidden, 0, 4);
 * ```
 */
export function rowOf(hidden: ArrayLike<number>, index: number, dim: number): Float64Array {
  const out = new Float64Array(dim);
  for (let d = 0; d < dim; d++) out[d] = hidden[index * dim + d] as number;
  return out;
}

/**
 * Scales `vector` to unit L2 norm in place (a zero vector stays zero).
 *
 * @example
 * ```ts
 * l2NormalizeInPlace(v);
 * ```
 */
export function l2NormalizeInPlace(vector: Float32Array | Float64Array): void {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) ** 2;
  if (sum === 0) return;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * inv;
}
