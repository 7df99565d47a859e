import { describe, expect, it } from 'vitest';
import { entityMetrics, seqevalEntities, seqevalTag } from './metrics.js';

describe('seqeval-compatible entity metrics', () => {
  it('reads labels like seqeval', () => {
    expect(seqevalTag('B-PER')).toEqual({ prefix: 'B', type: 'PER' });
    expect(seqevalTag('I-GEO-POLIT')).toEqual({ prefix: 'I', type: 'GEO-POLIT' });
    expect(seqevalTag('O')).toEqual({ prefix: 'O', type: '_' });
  });

  it('joins sentences with an O so entities never cross them', () => {
    expect(
      seqevalEntities([
        ['B-PER', 'I-PER'],
        ['I-PER', 'O'],
      ]),
    ).toEqual([
      ['PER', 0, 1],
      ['PER', 3, 3],
    ]);
  });

  it("matches seqeval's documented example (MISC wrong boundary, PER right)", () => {
    const gold = [
      ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    const pred = [
      ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    const m = entityMetrics(gold, pred);
    expect(m.micro).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2, predicted: 2, correct: 1 });
    expect(m.perType.MISC).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(m.perType.PER).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(m.macro.f1).toBe(0.5);
  });

  it('scores a hand-made case with an I- without B-, a type error and a missed entity', () => {
    // Gold entities: PER[0..1], LOC[3], ORG[5..6], PER[8]            -> 4 (PER 2, LOC 1, ORG 1)
    const gold = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-ORG', 'I-ORG', 'O', 'B-PER']];
    // Predicted: PER[0..1] (I- without B- still starts it: correct), LOC[3] correct,
    // LOC[5..6] (wrong type), nothing at 8, and a spurious ORG[7]     -> 4 predicted, 2 correct
    const pred = [['I-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-LOC', 'I-LOC', 'B-ORG', 'O']];
    const m = entityMetrics(gold, pred);
    // micro: P = 2/4, R = 2/4, F1 = 0.5
    expect(m.micro).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 4, predicted: 4, correct: 2 });
    // LOC: predicted {3, 5..6}, gold {3}: P = 1/2, R = 1, F1 = 2*(1/2)/(3/2) = 2/3
    expect(m.perType.LOC?.precision).toBe(0.5);
    expect(m.perType.LOC?.recall).toBe(1);
    expect(m.perType.LOC?.f1).toBeCloseTo(2 / 3, 12);
    // PER: predicted {0..1}, gold {0..1, 8}: P = 1, R = 1/2, F1 = 2/3
    expect(m.perType.PER).toMatchObject({ precision: 1, recall: 0.5, support: 2 });
    // ORG: predicted {7}, gold {5..6}: all zero
    expect(m.perType.ORG).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1, predicted: 1 });
    // macro F1 = (2/3 + 2/3 + 0) / 3 = 4/9; weighted by support (LOC 1, ORG 1, PER 2) = (2/3 + 0 + 4/3) / 4 = 1/2
    expect(m.macro.f1).toBeCloseTo(4 / 9, 12);
    expect(m.weighted.f1).toBeCloseTo(0.5, 12);
    expect(Object.keys(m.perType)).toEqual(['LOC', 'ORG', 'PER']);
  });

  it('gives zeros, not NaN, without entities and rejects misaligned input', () => {
    expect(entityMetrics([['O']], [['O']]).micro).toEqual({
      precision: 0,
      recall: 0,
      f1: 0,
      support: 0,
      predicted: 0,
      correct: 0,
    });
    expect(() => entityMetrics([['O']], [])).toThrow(/gold sentences/);
    expect(() => entityMetrics([['O', 'O']], [['O']])).toThrow(/sentence 0/);
  });
});
