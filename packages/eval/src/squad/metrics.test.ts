import { describe, expect, it } from 'vitest';
import { parseSquad } from './dataset.js';
import { evaluateSquadV1, evaluateSquadV2, exactMatchV1, f1V1, f1V2, type SquadQuestion } from './metrics.js';
import { normalizeAnswer, pySplit } from './normalize.js';

const q = (id: string, answers: string[]): SquadQuestion => ({ id, question: '?', context: 'ctx', answers });

describe('normalizeAnswer (official normalize_answer)', () => {
  it('lowercases, drops ASCII punctuation and articles, collapses whitespace', () => {
    expect(normalizeAnswer('The  Eiffel Tower!')).toBe('eiffel tower');
    expect(normalizeAnswer('An apple, a day')).toBe('apple day');
    expect(normalizeAnswer('theater and anthem')).toBe('theater and anthem');
    expect(normalizeAnswer('the 1st')).toBe('1st');
    expect(normalizeAnswer('a1 an_b')).toBe('a1 anb'); // '_' is punctuation; 'a1' is one word
    expect(normalizeAnswer('«Ça», the café')).toBe('«ça» café'); // « » are not ASCII punctuation
  });

  it("uses Python 3's Unicode-aware word boundary, not JavaScript's ASCII one", () => {
    // 'é' is a word character for Python's \b: 'éa' is one word, so its 'a' is not an article.
    expect(normalizeAnswer('éa b')).toBe('éa b');
    expect(normalizeAnswer('ёthe the')).toBe('ёthe');
  });

  it("splits on Python's whitespace set", () => {
    expect(pySplit(' a\u00a0b\u3000c\x1cd ')).toEqual(['a', 'b', 'c', 'd']);
    // U+FEFF and U+200B are not whitespace for str.split(), although JavaScript's \s has U+FEFF.
    expect(pySplit('x\ufeffy z\u200bw')).toEqual(['x\ufeffy', 'z\u200bw']);
  });
});

describe('token metrics', () => {
  it('v1.1 and v2.0 F1 by hand', () => {
    expect(exactMatchV1('the Cat.', 'cat')).toBe(1);
    expect(f1V1('a red cat', 'the cat')).toBeCloseTo(2 / 3, 12); // P 1/2, R 1
    expect(f1V1('cat cat', 'cat')).toBeCloseTo(2 / 3, 12); // P 1/2, R 1: counts with multiplicity
    expect(f1V1('', '')).toBe(0); // v1.1: no common tokens
    expect(f1V2('', '')).toBe(1); // v2.0: both empty agree
    expect(f1V2('the', '')).toBe(1); // 'the' normalizes to nothing
    expect(f1V2('', 'Paris')).toBe(0);
  });
});

describe('evaluateSquadV1', () => {
  it('matches hand-computed EM/F1 (max over gold answers, missing = 0)', () => {
    const questions = [
      q('q1', ['Denver Broncos', 'Broncos']),
      q('q2', ['Saint Bernadette Soubirous']),
      q('q3', ['a copper statue of Christ']),
      q('q4', ['anything']),
    ];
    const metrics = evaluateSquadV1(questions, {
      q1: 'the Denver Broncos.', // EM 1, F1 1
      q2: 'Bernadette', // P 1, R 1/3 -> F1 1/2
      q3: 'copper statue', // gold 'copper statue of christ': P 1, R 1/2 -> F1 2/3
    });
    expect(metrics.exact_match).toBeCloseTo(25, 10);
    expect(metrics.f1).toBeCloseTo((100 * (1 + 0.5 + 2 / 3)) / 4, 10);
  });

  it('gives EM = F1 = 100 when every prediction is a gold answer', () => {
    const questions = [q('a', ['x y', 'z']), q('b', ['The Answer'])];
    expect(evaluateSquadV1(questions, { a: 'z', b: 'The Answer' })).toEqual({ exact_match: 100, f1: 100 });
  });
});

describe('evaluateSquadV2', () => {
  it('matches hand-computed EM/F1 with HasAns/NoAns splits', () => {
    const questions = [
      q('q1', ['Paris']),
      q('q2', []),
      q('q3', []),
      q('q4', ['the big red dog', 'red dog']),
      q('q5', ['The', '1999']),
      q('q6', ['The']),
    ];
    const metrics = evaluateSquadV2(questions, {
      q1: 'Paris', // 1, 1
      q2: '', // unanswerable, empty: 1, 1
      q3: 'London', // unanswerable, answered: 0, 0
      q4: 'big dog', // vs 'big red dog': P 1, R 2/3 -> 0.8; vs 'red dog': 0.5
      q5: '', // gold 'The' normalizes to '' and is dropped: gold ['1999'] -> 0, 0
      q6: '', // every gold normalizes to '': gold [''] -> 1, 1
    });
    expect(metrics.total).toBe(6);
    expect(metrics.exact).toBeCloseTo(50, 10);
    expect(metrics.f1).toBeCloseTo((100 * 3.8) / 6, 10);
    expect(metrics.HasAns_total).toBe(4);
    expect(metrics.HasAns_exact).toBeCloseTo(50, 10);
    expect(metrics.HasAns_f1).toBeCloseTo(70, 10);
    expect(metrics.NoAns_total).toBe(2);
    expect(metrics.NoAns_exact).toBeCloseTo(50, 10);
    expect(metrics.NoAns_f1).toBeCloseTo(50, 10);
  });

  it('gives 100 everywhere when predictions are gold answers and "" for unanswerable', () => {
    const questions = [q('a', ['x']), q('b', [])];
    expect(evaluateSquadV2(questions, { a: 'x', b: '' })).toEqual({
      exact: 100,
      f1: 100,
      total: 2,
      HasAns_exact: 100,
      HasAns_f1: 100,
      HasAns_total: 1,
      NoAns_exact: 100,
      NoAns_f1: 100,
      NoAns_total: 1,
    });
  });
});

describe('parseSquad', () => {
  it('reads questions in order and detects the version', () => {
    const file = {
      version: '1.1',
      data: [{ paragraphs: [{ context: 'C', qas: [{ id: '1', question: 'Q', answers: [{ text: 'A' }] }] }] }],
    };
    expect(parseSquad(JSON.stringify(file))).toEqual({
      version: '1.1',
      questions: [{ id: '1', question: 'Q', context: 'C', answers: ['A'] }],
    });
    expect(parseSquad({ ...file, version: 'v2.0' }).version).toBe('2.0');
    expect(() => parseSquad('{"data": 1}')).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => parseSquad('nope')).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });
});
