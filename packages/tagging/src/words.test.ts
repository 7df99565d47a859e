// DeepPavlov's NER word split: deeppavlov/models/preprocessors/torch_transformers_preprocessor.py,
// TorchTransformersNerPreprocessor (`self._re_tokenizer` and `__call__`). Python's answers come from
// models/scripts/dp_split.py through two committed files:
// - models/fixtures/deeppavlov/word-split.json (make_deeppavlov_fixtures.py): named tricky texts, both versions;
// - src/__fixtures__/word-split-1.7.json (make_word_split_fixture.py): Python's \w and \d as code point
//   ranges, and random texts over an alphabet of the characters that matter.
import { readFileSync } from 'node:fs';
import { isBertwebError } from '@bertweb/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import python from './__fixtures__/word-split-1.7.json' with { type: 'json' };
import { DEFAULT_WORD_SPLIT, splitWords, WORD_SPLITS, type Word, type WordSplit } from './words.js';

const named = JSON.parse(
  readFileSync(new URL('../../../models/fixtures/deeppavlov/word-split.json', import.meta.url), 'utf8'),
) as {
  cases: { id: string; text: string; unicodeSafetyApplies: boolean; words: Word[]; legacyWords: Word[] }[];
};

const texts = (s: string, split?: WordSplit) => splitWords(s, split ? { split } : {}).map((w) => w.text);

type Ranges = readonly (readonly number[])[];
const classOf = (ranges: Ranges) =>
  ranges
    .map(([a, b]) => (a === b ? `\\u{${a?.toString(16)}}` : `\\u{${a?.toString(16)}}-\\u{${b?.toString(16)}}`))
    .join('');
const inRanges = (ranges: Ranges, cp: number) => {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid] as [number, number];
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
};

/**
 * DeepPavlov 1.7's split transcribed literally, with Python's own \w and \d (from the fixture) and none of
 * bertweb's Unicode rules: `re.finditer(r"[\d]+[\d\.,]+[\d]+|[\w'\.:@]+|[^\w ]", text)`, then the final
 * "." split off the last match when it is longer than the dot. JavaScript's and Python's regex engines
 * agree on ordered alternation and greedy backtracking.
 */
const W = classOf(python.classes.word);
const D = classOf(python.classes.digit);
const PYTHON_PATTERN = new RegExp(`[${D}]+[${D}.,]+[${D}]+|[${W}'.:@]+|[^${W} ]`, 'gu');
function pythonSplit(text: string): Word[] {
  const words = [...text.matchAll(PYTHON_PATTERN)].map((m) => ({
    text: m[0],
    start: m.index,
    end: m.index + m[0].length,
  }));
  const last = words.at(-1);
  if (last && last.text.length > 1 && last.text.endsWith('.')) {
    words.splice(
      -1,
      1,
      { ...last, text: last.text.slice(0, -1), end: last.end - 1 },
      {
        text: '.',
        start: last.end - 1,
        end: last.end,
      },
    );
  }
  return words;
}

describe("splitWords: DeepPavlov 1.7's split (the default)", () => {
  it('is the default', () => {
    expect(DEFAULT_WORD_SPLIT).toBe('deeppavlov-1.7');
    expect(splitWords('в 12:30.')).toEqual(splitWords('в 12:30.', { split: 'deeppavlov-1.7' }));
    expect(WORD_SPLITS).toEqual(['deeppavlov-1.7', 'legacy']);
  });

  it('keeps dates, times, decimals, e-mails and abbreviations whole', () => {
    expect(texts('Встреча 10.05.2023 в 12:30, т.е. скоро')).toEqual([
      'Встреча',
      '10.05.2023',
      'в',
      '12:30',
      ',',
      'т.е.',
      'скоро',
    ]);
    expect(texts('Рост 1,5 процента; пишите ivan@mail.ru')).toEqual([
      'Рост',
      '1,5',
      'процента',
      ';',
      'пишите',
      'ivan@mail.ru',
    ]);
    expect(texts('Цена 1,000,000.50 руб, числа 1, 2')).toEqual([
      'Цена',
      '1,000,000.50',
      'руб',
      ',',
      'числа',
      '1',
      ',',
      '2',
    ]);
  });

  it('tries the number alternative first: it stops at the last digit', () => {
    expect(texts('123abc 12ab 2023г.')).toEqual(['123', 'abc', '12ab', '2023', 'г', '.']);
    expect(texts('10.05.2023. конец')).toEqual(['10.05.2023', '.', 'конец']);
    expect(texts('3.x')).toEqual(['3.x']);
  });

  it('splits the final "." off the last word only', () => {
    expect(texts('Иван пришёл. Мария ушла.')).toEqual(['Иван', 'пришёл.', 'Мария', 'ушла', '.']);
    expect(texts('Москва, Питер и т.д.')).toEqual(['Москва', ',', 'Питер', 'и', 'т.д', '.']);
    expect(texts('Ну и ну...')).toEqual(['Ну', 'и', 'ну..', '.']);
    expect(texts('Да .')).toEqual(['Да', '.']);
    expect(texts('.')).toEqual(['.']);
    expect(texts('Кто там?')).toEqual(['Кто', 'там', '?']);
    expect(splitWords('Ф.И.О.')).toEqual([
      { text: 'Ф.И.О', start: 0, end: 5 },
      { text: '.', start: 5, end: 6 },
    ]);
  });

  it('sees the final dot through trailing whitespace (Python: the last match is the newline)', () => {
    expect(texts('Он ушёл.\n')).toEqual(['Он', 'ушёл', '.']);
    expect(texts('Он ушёл. \t')).toEqual(['Он', 'ушёл', '.']);
  });

  it('keeps the Unicode rules: marks, joiners, emoji, flags, whitespace, controls, surrogates', () => {
    expect(texts('cafe\u0301 x')).toEqual(['cafe\u0301', 'x']);
    expect(texts('при\u00adмер и при\u200bмер')).toEqual(['при\u00adмер', 'и', 'при', 'мер']);
    expect(texts('👨\u200d👩\u200d👧 👍🏽 🇷🇺!')).toEqual(['👨\u200d👩\u200d👧', '👍🏽', '🇷🇺', '!']);
    expect(texts('a\u00a0b\nc\u0001d\u200be\ud800f')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(splitWords('')).toEqual([]);
    expect(splitWords(' \t\n\u3000\u0000\u200b\ufeff\udc00')).toEqual([]);
  });

  it('applies the Unicode rules to ".", ":", "@" and "," as the module notes say', () => {
    // ".", ":", "@" are word characters: marks stay with them, a joiner between them and a letter joins.
    expect(texts('a\u00ad.b x.\u0301y')).toEqual(['a\u00ad.b', 'x.\u0301y']);
    // The number alternative takes marks but never looks through a joiner.
    expect(texts('1,5\u00ad00 2\u0301,5')).toEqual(['1,5', '00', '2\u0301,5']);
    // A word that loses its final dot never ends in a joiner.
    expect(splitWords('ok a\u00ad.')).toEqual([
      { text: 'ok', start: 0, end: 2 },
      { text: 'a', start: 3, end: 4 },
      { text: '.', start: 5, end: 6 },
    ]);
    // A ZWJ before "." is not an emoji sequence.
    expect(texts('😀\u200d. x')).toEqual(['😀', '.', 'x']);
  });

  it('reports UTF-16 offsets', () => {
    expect(splitWords('𝐀𝐁 12:30')).toEqual([
      { text: '𝐀𝐁', start: 0, end: 4 },
      { text: '12:30', start: 5, end: 10 },
    ]);
  });

  it("has Python's \\w and \\d on every character Python's Unicode assigns", () => {
    const word = /^[\p{L}\p{N}_]$/u;
    const digit = /^\p{Nd}$/u;
    const differ: string[] = [];
    let checked = 0;
    for (const [a, b] of python.classes.assigned as [number, number][]) {
      for (let cp = a; cp <= b; cp++) {
        const ch = String.fromCodePoint(cp);
        checked++;
        if (word.test(ch) !== inRanges(python.classes.word, cp)) differ.push(`\\w U+${cp.toString(16)}`);
        if (digit.test(ch) !== inRanges(python.classes.digit, cp)) differ.push(`\\d U+${cp.toString(16)}`);
      }
    }
    expect(checked).toBeGreaterThan(280_000);
    expect(differ).toEqual([]);
  });

  it('agrees with the literal transcription on the named texts, and both agree with Python', () => {
    const plain = named.cases.filter((c) => !c.unicodeSafetyApplies);
    expect(plain.length).toBeGreaterThan(40);
    for (const c of plain) {
      expect(pythonSplit(c.text), c.id).toEqual(c.words);
      expect(splitWords(c.text), c.id).toEqual(c.words);
    }
  });

  it("gives Python's words on random texts with every whitespace character made a space", () => {
    expect(python.random.length).toBeGreaterThan(500);
    for (const c of python.random) {
      const spaced = c.text.replace(/\s/gu, ' ');
      expect(pythonSplit(spaced), JSON.stringify(c.text)).toEqual(c.words);
      expect(splitWords(c.text), JSON.stringify(c.text)).toEqual(c.words);
    }
  });

  it('equals the transcription for any text over the alphabet (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...python.alphabet), { maxLength: 40 }), (chars) => {
        const text = chars.join('');
        expect(splitWords(text)).toEqual(pythonSplit(text.replace(/\s/gu, ' ')));
      }),
      { numRuns: 1000 },
    );
  });

  it('equals the transcription for any text of plain characters from all of Unicode (fast-check)', () => {
    // Plain: assigned in Python's Unicode, not a mark, format, control, private-use or surrogate code point,
    // not whitespace, not an emoji modifier or regional indicator (where bertweb departs on purpose).
    const special = /[\p{M}\p{Cf}\p{Cc}\p{Co}\p{Cs}\s\p{Z}\p{Emoji_Modifier}\p{Regional_Indicator}]/u;
    const plainChar = fc
      .integer({ min: 0x21, max: 0x3ffff })
      .filter((cp) => inRanges(python.classes.assigned, cp) && !special.test(String.fromCodePoint(cp)))
      .map((cp) => String.fromCodePoint(cp));
    const char = fc.oneof(
      { weight: 3, arbitrary: plainChar },
      { weight: 2, arbitrary: fc.constantFrom('0', '7', '.', ',', ':', '@', "'", '_', ' ', 'я') },
    );
    fc.assert(
      fc.property(fc.array(char, { maxLength: 30 }), (chars) => {
        const text = chars.join('');
        expect(splitWords(text)).toEqual(pythonSplit(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('throws INPUT_INVALID for an unknown split', () => {
    const bad = { split: 'deeppavlov-2' } as unknown as { split: WordSplit };
    expect(() => splitWords('x', bad)).toThrow(/unknown word split "deeppavlov-2"/);
    try {
      splitWords('x', bad);
    } catch (error) {
      expect(isBertwebError(error, 'INPUT_INVALID')).toBe(true);
    }
  });
});

describe("splitWords: the legacy split (DeepPavlov before 1.4, [\\w']+|[^\\w ])", () => {
  const legacy = (s: string) => texts(s, 'legacy');

  it('splits words and punctuation like DeepPavlov', () => {
    expect(legacy("Don't stop, Анна! (1999)")).toEqual(["Don't", 'stop', ',', 'Анна', '!', '(', '1999', ')']);
    expect(legacy('e-mail: a.b@c.d')).toEqual(['e', '-', 'mail', ':', 'a', '.', 'b', '@', 'c', '.', 'd']);
    expect(legacy('10.05.2023 в 12:30.')).toEqual(['10', '.', '05', '.', '2023', 'в', '12', ':', '30', '.']);
    expect(legacy('snake_case x2 ½')).toEqual(['snake_case', 'x2', '½']);
    expect(legacy('東京タワー')).toEqual(['東京タワー']);
  });

  it("gives Python's legacy words on the named texts", () => {
    for (const c of named.cases.filter((n) => !n.unicodeSafetyApplies)) {
      expect(splitWords(c.text, { split: 'legacy' }), c.id).toEqual(c.legacyWords);
    }
  });

  it('reports UTF-16 offsets', () => {
    expect(splitWords('  Hi,\tthere', { split: 'legacy' })).toEqual([
      { text: 'Hi', start: 2, end: 4 },
      { text: ',', start: 4, end: 5 },
      { text: 'there', start: 6, end: 11 },
    ]);
    expect(splitWords('😀 ok', { split: 'legacy' })[1]).toEqual({ text: 'ok', start: 3, end: 5 });
  });

  it('keeps combining marks, joiners and emoji sequences inside their word', () => {
    expect(legacy('cafe\u0301 x')).toEqual(['cafe\u0301', 'x']);
    const softHyphenated = 'при\u00adмер';
    expect(legacy(softHyphenated)).toEqual([softHyphenated]);
    expect(legacy('👨\u200d👩\u200d👧 👍🏽 🇷🇺!')).toEqual(['👨\u200d👩\u200d👧', '👍🏽', '🇷🇺', '!']);
  });

  it('treats all whitespace, control characters and lone surrogates as separators', () => {
    expect(legacy('a\u00a0b\nc\u0001d\u200be\ud800f')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(splitWords('', { split: 'legacy' })).toEqual([]);
    expect(splitWords(' \t\n\u3000', { split: 'legacy' })).toEqual([]);
    expect(splitWords('\u0000\u0007\u200b\ufeff', { split: 'legacy' })).toEqual([]);
    expect(splitWords('\udc00\ud800', { split: 'legacy' })).toEqual([]);
  });
});

describe('splitWords: both splits, any string', () => {
  it.each(WORD_SPLITS)('%s: ordered, non-empty, non-overlapping slices; only separators left out', (split) => {
    const separator = /^[\s\p{Cc}\p{Cf}\p{Cs}]$/u;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        let previousEnd = 0;
        for (const word of splitWords(text, { split })) {
          expect(word.text.length).toBeGreaterThan(0);
          expect(text.slice(word.start, word.end)).toBe(word.text);
          expect(word.start).toBeGreaterThanOrEqual(previousEnd);
          expect(/\s/u.test(word.text)).toBe(false);
          for (const ch of text.slice(previousEnd, word.start)) expect(ch).toMatch(separator);
          previousEnd = word.end;
        }
        for (const ch of text.slice(previousEnd)) expect(ch).toMatch(separator);
      }),
      { numRuns: 300 },
    );
  });

  it('1.7 words are legacy words glued together, or split at a number boundary', () => {
    // Every legacy word boundary inside a 1.7 word is between characters the 1.7 pattern joins, and
    // the 1.7 split only ever cuts a legacy word after a digit run (the number alternative).
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...python.alphabet), { maxLength: 40 }), (chars) => {
        const text = chars.join('');
        const legacyEnds = new Set(splitWords(text, { split: 'legacy' }).map((w) => w.end));
        for (const w of splitWords(text)) {
          if (legacyEnds.has(w.end)) continue;
          // The characters either side of the cut, whole code points (a digit may be astral: U+1D7D8 𝟘).
          const before = Array.from(text.slice(0, w.end)).at(-1) ?? '';
          const after = Array.from(text.slice(w.end))[0] ?? '';
          expect(before + after).toMatch(/^\p{Nd}[^\s\p{Nd}]|^.\.$/u);
        }
      }),
      { numRuns: 300 },
    );
  });
});
