import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CrfParams, decodeScores, parseCrf, viterbi } from './crf.js';

type Scores = ReturnType<typeof decodeScores>;

function pathScore(path: ArrayLike<number>, emissions: number[], n: number, s: Scores): number {
  const T = path.length;
  let score = (s.start[path[0] as number] as number) + (s.end[path[T - 1] as number] as number);
  for (let i = 0; i < T; i++) score += emissions[i * n + (path[i] as number)] as number;
  for (let i = 1; i < T; i++) score += s.transitions[(path[i - 1] as number) * n + (path[i] as number)] as number;
  return score;
}

/** The best score over every path (n^T of them). */
function bruteForceBest(emissions: number[], numWords: number, n: number, s: Scores): number {
  let best = Number.NEGATIVE_INFINITY;
  const path = new Array<number>(numWords).fill(0);
  const visit = (t: number): void => {
    if (t === numWords) {
      best = Math.max(best, pathScore(path, emissions, n, s));
      return;
    }
    for (let j = 0; j < n; j++) {
      path[t] = j;
      visit(t + 1);
    }
  };
  visit(0);
  return best;
}

const finite = fc.double({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true });

describe('viterbi', () => {
  it('finds the best path of a CRF (matches exhaustive search)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            words: fc.integer({ min: 1, max: 5 }),
            crf: fc.record({
              transitions: fc.array(fc.array(finite, { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
              start: fc.array(finite, { minLength: n, maxLength: n }),
              end: fc.array(finite, { minLength: n, maxLength: n }),
            }),
            emissions: fc.array(finite, { minLength: 5 * n, maxLength: 5 * n }),
          }),
        ),
        ({ n, words, crf, emissions }) => {
          const scores = decodeScores(n, crf);
          const path = viterbi(emissions, words, scores);
          expect(path).toBeDefined();
          // Ties may pick another path of the same score; the score is what must be optimal.
          expect(pathScore(path!, emissions, n, scores)).toBeCloseTo(bruteForceBest(emissions, words, n, scores), 9);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('respects forbidden moves and reports when no path is allowed', () => {
    // Emissions favour tag 1 everywhere, but 1 -> 1 is forbidden and the path must start with 0.
    const allowed = { start: [true, false], transitions: [true, true, true, false], end: [true, true] };
    const scores = decodeScores(2, undefined, allowed);
    expect(Array.from(viterbi([0, 1, 0, 1, 0, 1], 3, scores) ?? [])).toEqual([0, 1, 0]);
    const none = decodeScores(2, undefined, {
      start: [false, false],
      transitions: [true, true, true, true],
      end: [true, true],
    });
    expect(viterbi([0, 1], 1, none)).toBeUndefined();
    expect(Array.from(viterbi([], 0, scores) ?? [1])).toEqual([]);
  });
});

describe('parseCrf', () => {
  const good: CrfParams = {
    transitions: [
      [0, 1],
      [2, 3],
    ],
    start: [0.5, -0.5],
    end: [1, 1],
  };

  it('accepts parameters that fit the labels', () => {
    expect(parseCrf(good, 2)).toEqual(good);
  });

  it('rejects wrong sizes and values with MODEL_INVALID', () => {
    const bad = [
      null,
      { ...good, transitions: [[0, 1]] },
      {
        ...good,
        transitions: [
          [0, 1, 2],
          [2, 3, 4],
        ],
      },
      { ...good, start: [0] },
      { ...good, end: [0, 'x'] },
      { ...good, end: [0, Number.NaN] },
      { transitions: good.transitions, start: good.start },
    ];
    for (const value of bad)
      expect(() => parseCrf(value, 2)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
  });
});
