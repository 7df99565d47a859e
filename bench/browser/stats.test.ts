import { describe, expect, it } from 'vitest';
import { maxAbsDiff, median, perRunRatios, quantile, rates, roundOrder, spread } from './stats.js';

describe('median', () => {
  it('takes the middle of odd samples and the mean of the middle two of even ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('rejects an empty sample', () => {
    expect(() => median([])).toThrow(/empty/);
  });
});

describe('spread', () => {
  it('reports median, range and count', () => {
    expect(spread([9, 1, 4, 6])).toEqual({ median: 5, min: 1, max: 9, n: 4 });
  });
});

describe('quantile', () => {
  it('interpolates between order statistics', () => {
    expect(quantile([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4, 5], 1)).toBe(5);
    expect(quantile([5, 4, 3, 2, 1], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5], 0.9)).toBeCloseTo(4.6, 12);
  });

  it('rejects q outside 0..1', () => {
    expect(() => quantile([1], 1.5)).toThrow(/0\.\.1/);
  });
});

describe('perRunRatios', () => {
  it('divides run by run', () => {
    expect(perRunRatios([10, 12, 9], [5, 4, 3])).toEqual([2, 3, 3]);
  });

  it('needs the same number of runs', () => {
    expect(() => perRunRatios([1, 2], [1])).toThrow(/as many runs/);
  });
});

describe('roundOrder', () => {
  it('rotates the start so every system runs in every position once per n rounds', () => {
    const n = 4;
    const positions = Array.from({ length: n }, () => new Set<number>());
    for (let round = 0; round < n; round++) {
      const order = roundOrder(n, round);
      expect([...order].sort()).toEqual([0, 1, 2, 3]);
      order.forEach((system, position) => {
        positions[system]?.add(position);
      });
    }
    for (const seen of positions) expect(seen.size).toBe(n);
  });

  it('rejects zero systems', () => {
    expect(() => roundOrder(0, 0)).toThrow(/at least one/);
  });
});

describe('rates and maxAbsDiff', () => {
  it('turns seconds into items per second', () => {
    expect(rates(256, [2, 4])).toEqual([128, 64]);
  });

  it('finds the worst element difference', () => {
    expect(maxAbsDiff([1, -2, 3], [1, 2, 2.5])).toBe(4);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/length/);
  });
});
