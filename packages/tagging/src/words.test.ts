import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitWords } from './words.js';

const texts = (s: string) => splitWords(s).map((w) => w.text);

describe('splitWords', () => {
  it('splits words and punctuation like DeepPavlov', () => {
    expect(texts("Don't stop, Анна! (1999)")).toEqual(["Don't", 'stop', ',', 'Анна', '!', '(', '1999', ')']);
    expect(texts('e-mail: a.b@c.d')).toEqual(['e', '-', 'mail', ':', 'a', '.', 'b', '@', 'c', '.', 'd']);
    expect(texts('snake_case x2 ½')).toEqual(['snake_case', 'x2', '½']);
    expect(texts('東京タワー')).toEqual(['東京タワー']);
  });

  it('reports UTF-16 offsets', () => {
    expect(splitWords('  Hi,\tthere')).toEqual([
      { text: 'Hi', start: 2, end: 4 },
      { text: ',', start: 4, end: 5 },
      { text: 'there', start: 6, end: 11 },
    ]);
    const emoji = splitWords('😀 ok');
    expect(emoji[1]).toEqual({ text: 'ok', start: 3, end: 5 });
  });

  it('keeps combining marks, joiners and emoji sequences inside their word', () => {
    expect(texts('cafe\u0301 x')).toEqual(['cafe\u0301', 'x']);
    const softHyphenated = 'при\u00adмер';
    expect(texts(softHyphenated)).toEqual([softHyphenated]);
    expect(texts('👨\u200d👩\u200d👧 👍🏽 🇷🇺!')).toEqual(['👨\u200d👩\u200d👧', '👍🏽', '🇷🇺', '!']);
  });

  it('treats all whitespace, control characters and lone surrogates as separators', () => {
    expect(texts('a\u00a0b\nc\u0001d\u200be\ud800f')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(splitWords('')).toEqual([]);
    expect(splitWords(' \t\n\u3000')).toEqual([]);
    expect(splitWords('\u0000\u0007\u200b\ufeff')).toEqual([]);
    expect(splitWords('\udc00\ud800')).toEqual([]);
  });

  it('returns ordered, non-empty, non-overlapping slices of the input for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        let previousEnd = 0;
        for (const word of splitWords(text)) {
          expect(word.text.length).toBeGreaterThan(0);
          expect(text.slice(word.start, word.end)).toBe(word.text);
          expect(word.start).toBeGreaterThanOrEqual(previousEnd);
          expect(/\s/u.test(word.text)).toBe(false);
          previousEnd = word.end;
        }
      }),
      { numRuns: 200 },
    );
  });
});
