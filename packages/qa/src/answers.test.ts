import { describe, expect, it } from 'vitest';
import { collectAnswers, PairAnswers } from './answers.js';

function state(nullScore: number | undefined, spans: [number, number, number][]): PairAnswers {
  const s = new PairAnswers('0123456789');
  s.addNullScore(nullScore);
  for (const [start, end, score] of spans) s.add({ start, end, score });
  return s;
}

describe('collectAnswers', () => {
  it('keeps a span seen in two windows once, with its best score, and slices the context', () => {
    const s = state(0.1, [
      [2, 4, 0.3],
      [5, 6, 0.2],
      [2, 4, 0.5],
    ]);
    expect(collectAnswers(s, 5, undefined)).toEqual([
      { text: '23', start: 2, end: 4, score: 0.5, noAnswer: false },
      { text: '5', start: 5, end: 6, score: 0.2, noAnswer: false },
    ]);
  });

  it('takes the smallest null score over windows', () => {
    const s = state(0.9, [[0, 1, 0.5]]);
    s.addNullScore(0.4);
    s.addNullScore(0.6);
    expect(s.nullScore).toBe(0.4);
  });

  it('answers "no answer" only when the null score beats the best span by more than the threshold', () => {
    const s = state(0.5, [
      [0, 1, 0.45],
      [1, 2, 0.3],
    ]);
    expect(collectAnswers(s, 1, undefined)[0]?.noAnswer).toBe(false); // SQuAD 1.1: never
    expect(collectAnswers(s, 1, 0)[0]).toEqual({ text: '', start: -1, end: -1, score: 0.5, noAnswer: true });
    expect(collectAnswers(s, 1, 0.05)[0]?.noAnswer).toBe(false); // 0.5 > 0.45 + 0.05 is false
    // Ranked: the no-answer entry sits above every span it beats by more than t.
    expect(collectAnswers(s, 3, 0.1).map((a) => a.score)).toEqual([0.45, 0.5, 0.3]);
  });

  it('answers "no answer" when the context gave no span at all', () => {
    expect(collectAnswers(state(0.7, []), 3, undefined)).toEqual([
      { text: '', start: -1, end: -1, score: 0.7, noAnswer: true },
    ]);
  });
});
