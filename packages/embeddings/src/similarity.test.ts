import { describe, expect, it } from 'vitest';
import { l2NormalizeInPlace, maxPool, meanPool, rowOf } from './pooling.js';
import { similarity, similarityMatrix } from './similarity.js';
import { topK } from './top-k.js';

describe('similarity', () => {
  it('computes cosine by hand', () => {
    expect(similarity([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(similarity([1, 2, 3], [-1, -2, -3])).toBeCloseTo(-1, 12);
    expect(similarity([0, 0], [1, 1])).toBe(0);
    expect(() => similarity([1, 2], [1])).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });

  it('builds a rows x cols matrix', () => {
    const a = { data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 };
    const b = { data: Float32Array.of(1, 1, 3, 0, 0, 0), rows: 3, dim: 2 };
    const m = similarityMatrix(a, b);
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([Math.SQRT1_2, 1, 0, Math.SQRT1_2, 0, 0].map((x) => expect.closeTo(x, 6)));
    expect(() => similarityMatrix(a, { data: new Float32Array(3), rows: 1, dim: 3 })).toThrowError(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });
});

describe('pooling', () => {
  const hidden = [1, -2, 3, 4, -5, 0]; // 3 tokens x 2
  it('mean, max and row pooling over masked tokens', () => {
    expect(Array.from(meanPool(hidden, [1, 1, 1], 2))).toEqual([-1 / 3, 2 / 3].map((x) => expect.closeTo(x, 12)));
    expect(Array.from(meanPool(hidden, [1, 1, 0], 2))).toEqual([2, 1]);
    expect(Array.from(maxPool(hidden, [1, 1, 1], 2))).toEqual([3, 4]);
    expect(Array.from(maxPool(hidden, [0, 0, 1], 2))).toEqual([-5, 0]);
    expect(Array.from(rowOf(hidden, 1, 2))).toEqual([3, 4]);
    const v = Float64Array.of(3, 4);
    l2NormalizeInPlace(v);
    expect(Array.from(v)).toEqual([0.6, 0.8].map((x) => expect.closeTo(x, 14)));
  });
});

describe('topK', () => {
  it('selects the k best, ties by lower index', () => {
    const scores = Float32Array.of(0.5, 0.9, 0.5, 0.1, 0.9);
    expect(topK(scores, 5, 3)).toEqual([
      { index: 1, score: expect.closeTo(0.9, 6) },
      { index: 4, score: expect.closeTo(0.9, 6) },
      { index: 0, score: 0.5 },
    ]);
    expect(topK(scores, 5, 10)).toHaveLength(5);
    expect(topK(scores, 0, 3)).toEqual([]);
  });

  it('agrees with a full sort on random data', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const scores = Float32Array.from({ length: 5000 }, () => Math.round(rand() * 1000) / 1000);
    const sorted = Array.from(scores, (score, index) => ({ index, score })).sort(
      (a, b) => b.score - a.score || a.index - b.index,
    );
    expect(topK(scores, scores.length, 25)).toEqual(sorted.slice(0, 25));
  });
});
