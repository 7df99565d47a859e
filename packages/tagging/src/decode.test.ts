import { describe, expect, it } from 'vitest';
import { decodeWords, makeDecoder } from './decode.js';
import { allowedMoves } from './scheme.js';

const labels = ['O', 'B-PER', 'I-PER'];

describe('decodeWords', () => {
  it('takes the argmax and scores it with the softmax', () => {
    const logits = new Float32Array([2, 0, 0, 0, 1, 3]);
    const { tags, scores, probabilities } = decodeWords(logits, 2, makeDecoder(3));
    expect(Array.from(tags)).toEqual([0, 2]);
    const p0 = Math.exp(2) / (Math.exp(2) + 2);
    expect(scores[0]).toBeCloseTo(p0, 6);
    expect(probabilities[1]).toBeCloseTo(1 / (Math.exp(2) + 2), 6);
    expect(scores[1]).toBeCloseTo(Math.exp(3) / (1 + Math.exp(1) + Math.exp(3)), 6);
    // Rows of the probabilities sum to 1 even for large logits.
    const big = decodeWords(new Float32Array([1000, 999, -1000]), 1, makeDecoder(3));
    expect(big.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('with constraints, picks the most probable valid path instead of an O -> I- move', () => {
    // Word 1 prefers I-PER slightly over B-PER after a confident O: invalid under BIO.
    const logits = new Float32Array([5, 0, 0, 0, 1, 1.2]);
    const free = decodeWords(logits, 2, makeDecoder(3));
    expect(Array.from(free.tags)).toEqual([0, 2]);
    const constrained = decodeWords(logits, 2, makeDecoder(3, undefined, allowedMoves(labels, 'BIO')));
    expect(Array.from(constrained.tags)).toEqual([0, 1]);
    // The score is the softmax probability of the chosen (not the argmax) tag.
    expect(constrained.scores[1]).toBeCloseTo(Math.exp(1) / (1 + Math.exp(1) + Math.exp(1.2)), 6);
  });

  it('decodes with a CRF, and removes forbidden moves from it when constrained', () => {
    const crf = {
      transitions: [
        [0, 0, 3],
        [0, 0, 0],
        [0, 0, 0],
      ],
      start: [0, 0, 0],
      end: [0, 0, 0],
    };
    const logits = new Float32Array([1, 0, 0, 0, 1, 0]);
    expect(Array.from(decodeWords(logits, 2, makeDecoder(3, crf)).tags)).toEqual([0, 2]);
    const constrained = makeDecoder(3, crf, allowedMoves(labels, 'BIO'));
    expect(Array.from(decodeWords(logits, 2, constrained).tags)).toEqual([0, 1]);
  });

  it('falls back when constraints forbid every path', () => {
    const onlyInside = ['I-PER', 'I-LOC'];
    const decoder = makeDecoder(2, undefined, allowedMoves(onlyInside, 'BIO'));
    expect(Array.from(decodeWords(new Float32Array([0, 1]), 1, decoder).tags)).toEqual([1]);
  });

  it('rejects NaN logits with RUNTIME', () => {
    expect(() => decodeWords(new Float32Array([0, Number.NaN, 0]), 1, makeDecoder(3))).toThrow(
      expect.objectContaining({ code: 'RUNTIME' }),
    );
  });
});
