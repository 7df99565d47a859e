import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv, parseStsCsv } from './csv.js';
import { averageRanks, pearson, spearman } from './spearman.js';

describe('spearman (tie-aware, as scipy.stats.spearmanr)', () => {
  it('averages tied ranks', () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(Array.from(averageRanks([3, 3, 3]))).toEqual([2, 2, 2]);
  });

  it('matches hand-computed values', () => {
    // y ranks [1, 2, 3.5, 5, 3.5]: sum dx*dy = 8, sum dx^2 = 10, sum dy^2 = 9.5 -> 8 / sqrt(95).
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 14);
    expect(spearman([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 14);
    // Monotone but non-linear: rank correlation 1, Pearson below 1.
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 1000])).toBeCloseTo(1, 14);
    expect(pearson([1, 2, 3, 4], [1, 8, 27, 1000])).toBeLessThan(0.9);
    // x ranks [1,2,3,4], y = [2,1,4,3]: dx = [-1.5,-.5,.5,1.5], dy = [-.5,-1.5,1.5,.5]; sum dx*dy = 3, 5 each -> 0.6.
    expect(spearman([0.1, 0.2, 0.3, 0.4], [7, 3, 9, 8])).toBeCloseTo(0.6, 14);
  });

  it('rejects mismatched or too short input, NaN for a constant side', () => {
    expect(() => spearman([1, 2], [1])).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => spearman([1], [1])).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

describe('CSV', () => {
  it('handles quotes, doubled quotes, commas and newlines inside quotes, CRLF', () => {
    expect(parseCsv('a,"b ""c"", d",1\r\n"multi\nline",x,2\n')).toEqual([
      ['a', 'b "c", d', '1'],
      ['multi\nline', 'x', '2'],
    ]);
    expect(parseCsv('x,,y')).toEqual([['x', '', 'y']]);
  });

  it('reads STS pairs, skipping a header and rejecting bad rows', () => {
    expect(parseStsCsv('sentence1,sentence2,score\n"A man, a hat.",A man.,4.5\n\n')).toEqual([
      { sentence1: 'A man, a hat.', sentence2: 'A man.', score: 4.5 },
    ]);
    expect(() => parseStsCsv('a,b,1\nc,d\n')).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => parseStsCsv('a,b,1\nc,d,x\n')).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });

  const stsb = new URL('../../../../../shared/data/stsb/stsb-en-dev.csv', import.meta.url);
  it.runIf(existsSafe(stsb))('reads all 1,500 STS-B en dev pairs (quoted fields with inner quotes)', () => {
    const pairs = parseStsCsv(readFileSync(stsb, 'utf8'));
    expect(pairs).toHaveLength(1500);
    expect(pairs[0]).toEqual({
      sentence1: 'A man with a hard hat is dancing.',
      sentence2: 'A man wearing a hard hat is dancing.',
      score: 5,
    });
    expect(pairs.some((p) => p.sentence2.includes('"u2"'))).toBe(true);
    for (const p of pairs) expect(p.score).toBeGreaterThanOrEqual(0);
  });
});

function existsSafe(url: URL): boolean {
  try {
    readFileSync(url);
    return true;
  } catch {
    console.warn(`skipping: ${url.pathname} not found (shared data absent)`);
    return false;
  }
}
