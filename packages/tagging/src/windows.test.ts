import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planWindows } from './windows.js';

describe('planWindows', () => {
  it('returns one window for what fits, none for nothing', () => {
    expect(planWindows([3, 1, 2], 10, 2)).toEqual({ windows: [{ start: 0, end: 3 }], owner: new Int32Array(3) });
    expect(planWindows([], 10, 2).windows).toEqual([]);
  });

  it('overlaps consecutive windows and reads each word where it is most central', () => {
    const plan = planWindows([1, 1, 1, 1, 1, 1], 4, 2);
    expect(plan.windows).toEqual([
      { start: 0, end: 4 },
      { start: 2, end: 6 },
    ]);
    // Word 2: window 0 gives min(inf, 1) = 1, window 1 gives min(0, inf) = 0 -> window 0.
    // Word 3: window 0 gives min(inf, 0) = 0, window 1 gives min(1, inf) = 1 -> window 1.
    expect(Array.from(plan.owner)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('keeps every window in budget, covers every word and picks the owner with most context', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 60 }),
        fc.integer({ min: 6, max: 20 }),
        fc.integer({ min: 0, max: 10 }),
        (counts, budget, overlapRaw) => {
          const overlap = Math.min(overlapRaw, Math.floor(budget / 2));
          const { windows, owner } = planWindows(counts, budget, overlap);
          const n = counts.length;
          const sum = (a: number, b: number) => counts.slice(a, b).reduce((x, y) => x + y, 0);
          windows.forEach((w, i) => {
            expect(w.end).toBeGreaterThan(w.start);
            expect(sum(w.start, w.end)).toBeLessThanOrEqual(budget);
            if (i > 0) {
              const prev = windows[i - 1]!;
              expect(w.start).toBeGreaterThan(prev.start);
              expect(w.start).toBeLessThanOrEqual(prev.end); // no gaps
              expect(sum(w.start, prev.end)).toBeLessThanOrEqual(Math.max(overlap, counts[w.start] ?? 0));
            }
          });
          if (n > 0) expect([windows[0]?.start, windows[windows.length - 1]?.end]).toEqual([0, n]);
          for (let word = 0; word < n; word++) {
            const context = (i: number) => {
              const w = windows[i]!;
              if (word < w.start || word >= w.end) return Number.NEGATIVE_INFINITY;
              const left = w.start === 0 ? Number.POSITIVE_INFINITY : sum(w.start, word);
              const right = w.end === n ? Number.POSITIVE_INFINITY : sum(word + 1, w.end);
              return Math.min(left, right);
            };
            const best = Math.max(...windows.map((_, i) => context(i)));
            expect(context(owner[word]!)).toBe(best);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
