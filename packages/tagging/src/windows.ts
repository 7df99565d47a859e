/**
 * Windows over a long word sequence: each window holds whole words within a subtoken budget,
 * consecutive windows overlap, and every word is read from the window where it has the most
 * context on both sides.
 */

/**
 * Words `[start, end)` of one window.
 *
 * @example
 * ```ts
 * const [window]: WordWindow[] = planWindows([2, 3], 16, 4).windows; // { start: 0, end: 2 }
 * ```
 */
export interface WordWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * Windows and, per word, the index of the window it is read from.
 *
 * @example
 * ```ts
 * const { windows, owner }: WindowPlan = planWindows(pieceCounts, 510, 128);
 * ```
 */
export interface WindowPlan {
  readonly windows: WordWindow[];
  /** `owner[w]`: the window whose logits word w takes. */
  readonly owner: Int32Array;
}

/**
 * Plans windows over words with the given piece counts (each >= 1 and <= `budget`). A window takes
 * words greedily up to `budget` subtokens; the next one starts so that about `overlap` subtokens of
 * whole words are repeated (always moving forward by at least one word). A word in several windows is
 * read from the one where min(subtokens before it, subtokens after it) is largest, the text's own start
 * and end counting as unlimited context; ties go to the earlier window.
 *
 * @example
 * ```ts
 * planWindows([1, 1, 1, 1, 1], 3, 1);
 * // windows [{start:0,end:3},{start:2,end:5}], owner [0,0,0,1,1]
 * ```
 */
export function planWindows(pieceCounts: ArrayLike<number>, budget: number, overlap: number): WindowPlan {
  const n = pieceCounts.length;
  const windows: WordWindow[] = [];
  let start = 0;
  while (start < n) {
    let end = start;
    let tokens = 0;
    while (end < n && tokens + (pieceCounts[end] as number) <= budget) tokens += pieceCounts[end++] as number;
    if (end === start) end = start + 1; // a word over budget (callers prevent it) still moves forward
    windows.push({ start, end });
    if (end >= n) break;
    let next = end;
    let repeated = 0;
    while (next - 1 > start && repeated + (pieceCounts[next - 1] as number) <= overlap) {
      repeated += pieceCounts[next - 1] as number;
      next--;
    }
    start = next;
  }
  return { windows, owner: assignOwners(pieceCounts, windows) };
}

function assignOwners(pieceCounts: ArrayLike<number>, windows: readonly WordWindow[]): Int32Array {
  const n = pieceCounts.length;
  const before = new Float64Array(n + 1); // prefix sums of piece counts
  for (let i = 0; i < n; i++) before[i + 1] = (before[i] as number) + (pieceCounts[i] as number);
  const owner = new Int32Array(n).fill(-1);
  const best = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  windows.forEach(({ start, end }, index) => {
    for (let w = start; w < end; w++) {
      const left = start === 0 ? Number.POSITIVE_INFINITY : (before[w] as number) - (before[start] as number);
      const right = end === n ? Number.POSITIVE_INFINITY : (before[end] as number) - (before[w + 1] as number);
      const context = Math.min(left, right);
      if (context > (best[w] as number)) {
        best[w] = context;
        owner[w] = index;
      }
    }
  });
  return owner;
}
