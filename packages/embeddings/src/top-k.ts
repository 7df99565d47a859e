/** Partial selection: the k largest scores without sorting everything (a size-k min-heap, O(n log k)). */

/**
 * One hit of a top-k selection: position and score.
 *
 * @example
 * ```ts
 * const [{ index, score }] = topK(scores, scores.length, 1);
 * ```
 */
export interface ScoredIndex {
  readonly index: number;
  readonly score: number;
}

/**
 * The `k` largest values of `scores[0..n)`, best first; equal scores keep the lower index first.
 *
 * @example
 * ```ts
 * topK(Float32Array.of(0.1, 0.9, 0.5), 3, 2); // [{index: 1, score: 0.9}, {index: 2, score: 0.5}]
 * ```
 */
export function topK(scores: ArrayLike<number>, n: number, k: number): ScoredIndex[] {
  const size = Math.min(k, n);
  if (size <= 0) return [];
  // Heap of indices ordered so that the root is the WORST kept entry (lowest score, then highest index).
  const heap = new Int32Array(size);
  let count = 0;
  const worse = (i: number, j: number): boolean => {
    const si = scores[i] as number;
    const sj = scores[j] as number;
    return si < sj || (si === sj && i > j);
  };
  const siftUp = (pos: number): void => {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!worse(heap[pos] as number, heap[parent] as number)) break;
      const t = heap[pos] as number;
      heap[pos] = heap[parent] as number;
      heap[parent] = t;
      pos = parent;
    }
  };
  const siftDown = (pos: number): void => {
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < count && worse(heap[l] as number, heap[m] as number)) m = l;
      if (r < count && worse(heap[r] as number, heap[m] as number)) m = r;
      if (m === pos) return;
      const t = heap[pos] as number;
      heap[pos] = heap[m] as number;
      heap[m] = t;
      pos = m;
    }
  };
  for (let i = 0; i < n; i++) {
    if (count < size) {
      heap[count] = i;
      siftUp(count++);
    } else if ((scores[i] as number) > (scores[heap[0] as number] as number)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  const out: ScoredIndex[] = [];
  for (let i = 0; i < count; i++) out.push({ index: heap[i] as number, score: scores[heap[i] as number] as number });
  return out.sort((a, b) => b.score - a.score || a.index - b.index);
}
