import { describe, expect, it } from 'vitest';
import { maskedSoftmax, searchWindow, searchWindowDeepPavlov } from './span-search.js';

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

// DeepPavlov 1.7's rule (deeppavlov/models/torch_bert/torch_transformers_squad.py, docs/deeppavlov-1.7.md
// "SQuAD"): [CLS] q [SEP] c1 c2 c3 [SEP] with segment ids 0 0 0 1 1 1 1.
const typeIds = [0, 0, 0, 1, 1, 1, 1];

describe('searchWindowDeepPavlov', () => {
  it('takes [CLS], the context and the final [SEP] as the softmax domain (hand-computed)', () => {
    // Domain {0, 3, 4, 5, 6}: start weights 1:1:4:2:0 ... the final [SEP] takes mass: e^0 = 1 too.
    const start = [0, 100, 100, 0, Math.log(4), Math.log(2), 0];
    const end = [Math.log(2), 100, 100, 0, 0, Math.log(4), 0];
    const best = searchWindowDeepPavlov({ startLogits: start, endLogits: end, typeIds, sequenceIds, clsIndex: 0 }, 384);
    // pStart = [1, 1, 4, 2, 1] / 9, pEnd = [2, 1, 1, 4, 1] / 9: best product (4, 5) = 16/81.
    expect([best.startToken, best.endToken]).toEqual([4, 5]);
    expect(best.hasAnswer).toBeCloseTo(1 - (1 / 9) * (2 / 9), 12);
    // The window logit: max start + end over allowed spans = log 4 + log 4.
    expect(best.logit).toBeCloseTo(Math.log(16), 12);
  });

  it('lets the span start at [CLS] (no answer) and limits j - i to paddedLength - min(20, segment tokens)', () => {
    // Weights: start e^5 at [CLS], 1 elsewhere; end e^2 at c2, e^5 at c3, 1 elsewhere.
    const start = [5, 0, 0, 0, 0, 0, 0];
    const end = [0, 0, 0, 0, 2, 5, 0];
    const at = (paddedLength: number) => {
      const best = searchWindowDeepPavlov(
        { startLogits: start, endLogits: end, typeIds, sequenceIds, clsIndex: 0 },
        paddedLength,
      );
      return [best.startToken, best.endToken];
    };
    expect(at(384)).toEqual([0, 5]); // e^5 * e^5
    // Padded length 9 and 4 segment tokens: j - i < 5, so (0, 5) is out; (0, 4) = e^5 * e^2 beats (3, 5) = e^5.
    expect(at(9)).toEqual([0, 4]);
    // Padded length 5: j - i < 1, single tokens only; (0, 0) and (5, 5) tie at e^5: the first row and column.
    expect(at(5)).toEqual([0, 0]);
  });

  it('breaks ties as numpy argmax: the first row and the first column holding the maximum', () => {
    const flat = [0, 0, 0, 0, 0, 0, 0];
    const best = searchWindowDeepPavlov({ startLogits: flat, endLogits: flat, typeIds, sequenceIds, clsIndex: 0 }, 384);
    expect([best.startToken, best.endToken]).toEqual([0, 0]);
  });

  it('falls back to the context and the [SEP] after it when the tokenizer gives no segment ids', () => {
    const start = [0, 100, 100, 0, Math.log(4), Math.log(2), 0];
    const end = [Math.log(2), 100, 100, 0, 0, Math.log(4), 0];
    const withTypes = searchWindowDeepPavlov(
      { startLogits: start, endLogits: end, typeIds, sequenceIds, clsIndex: 0 },
      384,
    );
    const without = searchWindowDeepPavlov(
      { startLogits: start, endLogits: end, typeIds: [0, 0, 0, 0, 0, 0, 0], sequenceIds, clsIndex: 0 },
      384,
    );
    expect(without).toEqual(withTypes);
  });
});
