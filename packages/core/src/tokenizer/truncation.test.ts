import { describe, expect, it } from 'vitest';
import { truncateSequences, truncationWindows } from './truncation.js';

describe('truncateSequences (Hugging Face truncate_encodings)', () => {
  // The length table of Hugging Face tokenizers' own `truncate_encodings_longest_first` test
  // (max_length 7): [lengthA, lengthB, expected kept A, expected kept B].
  const cases: [number, number, number, number][] = [
    [0, 0, 0, 0],
    [0, 2, 0, 2],
    [0, 4, 0, 4],
    [0, 8, 0, 7],
    [2, 0, 2, 0],
    [2, 2, 2, 2],
    [2, 4, 2, 4],
    [2, 8, 2, 5],
    [4, 0, 4, 0],
    [4, 2, 4, 2],
    [4, 4, 3, 4],
    [4, 8, 3, 4],
    [8, 0, 7, 0],
    [8, 2, 5, 2],
    [8, 4, 4, 3],
    [8, 8, 3, 4],
  ];
  it.each(cases)('longest_first %i + %i tokens into 7 keeps %i + %i', (a, b, keptA, keptB) => {
    const cut = truncateSequences(a, b, { maxLength: 7, strategy: 'longest_first', stride: 0, direction: 'right' });
    expect(cut.a[0]?.end).toBe(keptA);
    expect(cut.b?.[0]?.end).toBe(keptB);
  });

  it('max_length 0 empties both sequences and keeps them whole as overflow', () => {
    const cut = truncateSequences(3, 4, { maxLength: 0, strategy: 'longest_first', stride: 0, direction: 'right' });
    expect(cut.a).toEqual([
      { start: 0, end: 0 },
      { start: 0, end: 3 },
    ]);
    expect(cut.b).toEqual([
      { start: 0, end: 0 },
      { start: 0, end: 4 },
    ]);
  });

  it('only_first / only_second cut the named sequence; errors when it is too short', () => {
    const params = { maxLength: 6, stride: 0, direction: 'right' } as const;
    expect(truncateSequences(5, 3, { ...params, strategy: 'only_first' }).a[0]).toEqual({ start: 0, end: 3 });
    expect(truncateSequences(3, 5, { ...params, strategy: 'only_second' }).b?.[0]).toEqual({ start: 0, end: 3 });
    expect(() => truncateSequences(6, 1, { ...params, strategy: 'only_second' })).toThrow(/second sequence/);
    expect(() => truncateSequences(7, undefined, { ...params, strategy: 'only_second' })).toThrow(/pair/);
    // Nothing to cut: no error, as in Hugging Face (the strategy is only looked at when cutting).
    expect(truncateSequences(6, undefined, { ...params, strategy: 'only_second' }).a).toEqual([{ start: 0, end: 6 }]);
  });
});

describe('truncationWindows (Hugging Face Encoding::truncate)', () => {
  it('right: the kept window, then overflow windows overlapping by the stride', () => {
    // Hugging Face's `truncate_overflow_with_stride`: 5 tokens, max 4, stride 2.
    expect(truncationWindows(5, 4, 2, 'right')).toEqual([
      { start: 0, end: 4 },
      { start: 2, end: 5 },
    ]);
    expect(truncationWindows(10, 4, 1, 'right')).toEqual([
      { start: 0, end: 4 },
      { start: 3, end: 7 },
      { start: 6, end: 10 },
    ]);
    expect(truncationWindows(3, 2, 0, 'right')).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 3 },
    ]);
  });

  it('left: keeps the end, overflow walks back to the start', () => {
    // Hugging Face's `truncate_left`: 3 tokens, max 2 -> [1, 3) then [0, 1).
    expect(truncationWindows(3, 2, 0, 'left')).toEqual([
      { start: 1, end: 3 },
      { start: 0, end: 1 },
    ]);
    expect(truncationWindows(6, 3, 1, 'left')).toEqual([
      { start: 3, end: 6 },
      { start: 1, end: 4 },
      { start: 0, end: 2 },
    ]);
  });

  it('no cut when it fits; the stride must be smaller than the window', () => {
    expect(truncationWindows(3, 3, 5, 'right')).toEqual([{ start: 0, end: 3 }]);
    expect(() => truncationWindows(5, 2, 2, 'right')).toThrow(/stride/);
  });
});
