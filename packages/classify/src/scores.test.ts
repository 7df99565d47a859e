import { describe, expect, it } from 'vitest';
import { activate, rankLabels } from './scores.js';

describe('activate', () => {
  it('computes softmax stably, sigmoid and identity', () => {
    const soft = activate([1000, 1000 + Math.log(3)], 'softmax');
    expect(soft[0]).toBeCloseTo(0.25, 12);
    expect(soft[1]).toBeCloseTo(0.75, 12);
    const sig = activate([0, Math.log(3)], 'sigmoid');
    expect(sig[0]).toBe(0.5);
    expect(sig[1]).toBeCloseTo(0.75, 12);
    expect(activate(new Float32Array([1.5, -2]), 'none')).toEqual([1.5, -2]);
  });

  it('rejects NaN with RUNTIME', () => {
    expect(() => activate([0, Number.NaN], 'softmax')).toThrow(expect.objectContaining({ code: 'RUNTIME' }));
  });
});

describe('rankLabels', () => {
  const labels = ['a', 'b', 'c', 'd'];
  it('sorts best first, ties by label id', () => {
    expect(rankLabels([0.1, 0.4, 0.4, 0.1], labels).map((l) => l.label)).toEqual(['b', 'c', 'a', 'd']);
  });

  it('keeps labels strictly above the threshold, then at most topK', () => {
    const scores = [0.9, 0.5, 0.7, 0.2];
    expect(rankLabels(scores, labels, { threshold: 0.5 }).map((l) => l.label)).toEqual(['a', 'c']);
    expect(rankLabels(scores, labels, { threshold: 0.5, topK: 1 })).toEqual([{ label: 'a', score: 0.9 }]);
    expect(rankLabels(scores, labels, { topK: 3 }).map((l) => l.label)).toEqual(['a', 'c', 'b']);
    expect(rankLabels(scores, labels, { threshold: 0.95 })).toEqual([]);
  });
});
