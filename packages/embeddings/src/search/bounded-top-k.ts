/**
 * The first pass's candidate selection. From each row's approximate score a = s_x s_q (c_x . c_q) and
 * its error bound b (quantize.ts), every row gets an interval [a - b, a + b] that provably holds its
 * exact (re-scored) cosine. With L the k-th largest lower end, the exact top-k lies among the rows whose
 * upper end is >= L: k rows score >= their lower ends >= L, so the k-th best exact score is >= L, and
 * every row scoring at least that much (ties with the k-th included) has an upper end >= L. Re-scoring
 * just those rows exactly and ranking them (score, then storage row) therefore gives exactly the
 * brute-force ranking.
 */
import type { CodeStore } from './code-store.js';
import type { QuantizedQuery } from './quantize.js';

/**
 * Margins for the float64 arithmetic of the interval itself: the product a (two roundings, <= 2^-51.9
 * relative), the sums a +- b (<= 2^-53 of |a| + b) and b's own two products and one sum (<= 2^-51.4
 * relative). RELATIVE multiplies b; ABSOLUTE multiplies |x^| (|q| + |q - q^|) >= |a|. Both are far
 * larger than needed and far smaller than any quantization error.
 */
const RELATIVE = 1 + 2 ** -30;
const ABSOLUTE = 2 ** -45;

/**
 * Streaming selection for one query: call {@link BoundedTopK.scan} on every block, then
 * {@link BoundedTopK.candidates}.
 *
 * @example
 * ```ts
 * const selection = new BoundedTopK(10, prepared, store);
 * for (let start = 0; start < n; start += store.blockRows) {
 *   const rows = Math.min(store.blockRows, n - start);
 *   selection.scan(store.dots(start, rows, 1), 0, 1, start, rows, store);
 * }
 * const rescore = selection.candidates(); // rows to score exactly
 * ```
 */
export class BoundedTopK {
  readonly k: number;
  readonly #scaleQ: number;
  /** b = residual[row] * #perResidual + codeNorm[row] * #perCodeNorm. */
  readonly #perResidual: number;
  readonly #perCodeNorm: number;
  /** An upper bound of every row's b (for a one-comparison rejection). */
  readonly #maxBound: number;
  /** Min-heap of the k largest lower ends so far. */
  readonly #heap: Float64Array;
  #heapSize = 0;
  /** The k-th largest lower end so far (-Infinity until k rows were seen): it only rises. */
  #threshold = Number.NEGATIVE_INFINITY;
  #rows = new Int32Array(64);
  #uppers = new Float64Array(64);
  #count = 0;

  constructor(k: number, query: QuantizedQuery, store: CodeStore) {
    this.k = k;
    this.#scaleQ = query.scale;
    this.#perResidual = query.norm * (RELATIVE + ABSOLUTE);
    this.#perCodeNorm = query.residual * RELATIVE + (query.norm + query.residual) * ABSOLUTE;
    this.#maxBound = store.maxResidual * this.#perResidual + store.maxCodeNorm * this.#perCodeNorm;
    this.#heap = new Float64Array(k);
  }

  /** The approximate score of `row` from its first-pass dot product (the middle of its interval). */
  approx(dot: number, row: number, store: CodeStore): number {
    return dot * (store.scale[row] as number) * this.#scaleQ;
  }

  /** The half-width of `row`'s interval: |exact score - approx| <= bound (see the module comment). */
  bound(row: number, store: CodeStore): number {
    return (store.residual[row] as number) * this.#perResidual + (store.codeNorm[row] as number) * this.#perCodeNorm;
  }

  /**
   * Takes the first-pass dot products of rows [rowStart, rowStart + rows): row rowStart + r's is
   * dots[at + r * step].
   */
  scan(dots: Int32Array, at: number, step: number, rowStart: number, rows: number, store: CodeStore): void {
    const maxBound = this.#maxBound;
    for (let r = 0; r < rows; r++) {
      const row = rowStart + r;
      const approx = this.approx(dots[at + r * step] as number, row, store);
      // Upper ends below the threshold can neither be candidates nor raise the threshold.
      if (approx + maxBound < this.#threshold) continue;
      const bound = this.bound(row, store);
      const upper = approx + bound;
      if (upper < this.#threshold) continue;
      this.#push(row, upper);
      this.#offerLower(approx - bound);
    }
  }

  /** Rows that may belong to the exact top-k, in increasing row order. */
  candidates(): Int32Array {
    const out = new Int32Array(this.#count);
    let n = 0;
    for (let i = 0; i < this.#count; i++) {
      if ((this.#uppers[i] as number) >= this.#threshold) out[n++] = this.#rows[i] as number;
    }
    return out.subarray(0, n);
  }

  #push(row: number, upper: number): void {
    if (this.#count === this.#rows.length) {
      const rows = new Int32Array(this.#count * 2);
      rows.set(this.#rows);
      this.#rows = rows;
      const uppers = new Float64Array(this.#count * 2);
      uppers.set(this.#uppers);
      this.#uppers = uppers;
    }
    this.#rows[this.#count] = row;
    this.#uppers[this.#count++] = upper;
  }

  #offerLower(lower: number): void {
    const heap = this.#heap;
    if (this.#heapSize < this.k) {
      // Sift up.
      let pos = this.#heapSize++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if ((heap[parent] as number) <= lower) break;
        heap[pos] = heap[parent] as number;
        pos = parent;
      }
      heap[pos] = lower;
      if (this.#heapSize === this.k) this.#threshold = heap[0] as number;
      return;
    }
    if (lower <= (heap[0] as number)) return;
    // Replace the root and sift down.
    const size = this.#heapSize;
    let pos = 0;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= lower) break;
      heap[pos] = heap[child] as number;
      pos = child;
    }
    heap[pos] = lower;
    this.#threshold = heap[0] as number;
  }
}
