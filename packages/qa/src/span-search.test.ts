import { describe, expect, it } from 'vitest';
import { maskedSoftmax, searchWindow } from './span-search.js';

// [CLS] q [SEP] c1 c2 c3 [SEP]; the question token and the [SEP]s carry huge logits that must be masked.
const sequenceIds = [null, 0, null, 1, 1, 1, null];
// Softmax domain {0, 3, 4, 5}: start weights 1:1:4:2 -> 1/8, 1/8, 1/2, 1/4; end weights 2:1:1:4 -> 1/4, 1/8, 1/8, 1/2.
const startLogits = [0, 100, 100, 0, Math.log(4), Math.log(2), 100];
const endLogits = [Math.log(2), 100, 100, 0, 0, Math.log(4), 100];
const window = { startLogits, endLogits, sequenceIds, clsIndex: 0 };

describe('searchWindow', () => {
  it('scores spans as pStart * pEnd over [CLS] + context and ranks them (hand-computed)', () => {
    const { spans, nullScore } = searchWindow(window, { maxAnswerLength: 30, topK: 4 });
    expect(nullScore).toBeCloseTo((1 / 8) * (1 / 4), 12);
    // (4,5) 1/2*1/2; (5,5) 1/4*1/2; then the tie (3,5) = (4,4) = 1/16 keeps (start, end) order.
    expect(spans.map((s) => [s.startToken, s.endToken])).toEqual([
      [4, 5],
      [5, 5],
      [3, 5],
      [4, 4],
    ]);
    expect(spans.map((s) => s.score)).toEqual([0.25, 0.125, 0.0625, 0.0625].map((x) => expect.closeTo(x, 12)));
  });

  it('limits the answer length in subtokens', () => {
    const { spans } = searchWindow(window, { maxAnswerLength: 1, topK: 1 });
    expect(spans).toEqual([{ startToken: 5, endToken: 5, score: expect.closeTo(0.125, 12) }]);
  });

  it('never proposes a span ending before it starts or leaving the context', () => {
    const reversed = { ...window, startLogits: [0, 0, 0, 0, 0, 9, 0], endLogits: [0, 0, 0, 9, 0, 0, 0] };
    const { spans } = searchWindow(reversed, { maxAnswerLength: 30, topK: 10 });
    expect(spans).toHaveLength(6); // 3 context tokens -> 6 spans with s <= e
    for (const s of spans) expect(s.startToken).toBeLessThanOrEqual(s.endToken);
  });

  it('reports a non-finite logit in the domain as RUNTIME', () => {
    expect(() =>
      searchWindow({ ...window, startLogits: [0, 0, 0, Number.NaN, 0, 0, 0] }, { maxAnswerLength: 3, topK: 1 }),
    ).toThrowError(expect.objectContaining({ code: 'RUNTIME' }));
  });

  it('has no null score without a [CLS]', () => {
    expect(searchWindow({ ...window, clsIndex: -1 }, { maxAnswerLength: 3, topK: 1 }).nullScore).toBeUndefined();
  });
});

describe('maskedSoftmax', () => {
  it('normalizes over the domain only and is stable for large logits', () => {
    const p = maskedSoftmax([1000, 5, 1000], [0, 2], 3);
    expect(Array.from(p)).toEqual([0.5, 0, 0.5]);
  });
});
