/**
 * Property-based tests over random Unicode (emoji, combining marks, lone surrogates, zero-width and
 * control characters, RTL, CJK including astral ideographs, Greek final sigma, Hangul): encoding
 * never throws, offsets are in bounds, monotone and spell the normalized input, every input
 * character that survives normalization is covered, and ids equal @huggingface/tokenizers'.
 * Uses a synthetic vocabulary, so it runs without ../shared/data.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenizerFromJson } from './load.js';
import {
  bertTokenizerJson,
  offsetProblems,
  padAstralCjk,
  referenceTokenizer,
  syntheticVocabLines,
} from './test-utils/reference.js';
import type { WordPieceTokenizer } from './wordpiece-tokenizer.js';

const codePoint = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCodePoint(c));

/** Random pieces of text from the scripts and oddities that break tokenizers. */
const piece = fc.oneof(
  fc.constantFrom(
    'hello',
    'The',
    'unaffable',
    'İstanbul',
    'ΟΔΟΣ',
    'Σ',
    'ΑΣ.',
    'Привет',
    'ЁЛКА',
    'Й',
    '[SEP]',
    '[MASK]',
    '##',
    ' ',
    '  ',
    '\t',
    '\n',
    '\r\n',
    '\u00a0',
    '\u3000',
    '\u200b',
    '\u200d',
    '\ufeff',
    '\u0000',
    '\ufffd',
    'ﬁ',
    'ß',
    'Å',
    '한국어',
    'e\u0301',
    'a\u0308\u0323',
    '👩‍👩‍👧‍👦',
    '🏴󠁧󠁢󠁥󠁮󠁧󠁿',
    'שָׁלוֹם',
    'مرحبا',
    '≠',
    '\u1fef',
  ),
  codePoint(0x20, 0x7e),
  codePoint(0x00, 0x1f),
  codePoint(0x7f, 0x9f),
  codePoint(0x300, 0x36f),
  codePoint(0x370, 0x3ff),
  codePoint(0x400, 0x4ff),
  codePoint(0x590, 0x6ff),
  codePoint(0x2000, 0x206f),
  codePoint(0x4e00, 0x9fff),
  codePoint(0xac00, 0xd7a3),
  codePoint(0xf900, 0xfaff),
  codePoint(0x20000, 0x2a6df),
  codePoint(0x2f800, 0x2fa1f),
  codePoint(0x1f300, 0x1faff),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x10ffff }).map((c) => (c >= 0xd800 && c <= 0xdfff ? 'x' : String.fromCodePoint(c))),
);
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

const configurations: Record<string, Record<string, unknown>> = {
  uncased: {},
  cased: { lowercase: false },
  'lowercase, accents kept': { strip_accents: false },
  'cased, accents stripped': { lowercase: false, strip_accents: true },
  'no clean_text': { clean_text: false },
  'no CJK padding': { handle_chinese_chars: false },
};

const vocab = syntheticVocabLines();

describe.each(Object.entries(configurations))('random Unicode, %s', (_, normalizer) => {
  const json = bertTokenizerJson(vocab, normalizer);
  const ours = tokenizerFromJson(json) as WordPieceTokenizer;
  const ref = referenceTokenizer(json);
  const padsCjk = normalizer.handle_chinese_chars !== false;

  it('never throws; offsets in bounds, monotone, spelling the normalized input, covering it', () => {
    fc.assert(
      fc.property(text, (t) => {
        const enc = ours.encode(t);
        expect(offsetProblems(ours, t, enc)).toEqual([]);
        expect(enc.ids.length).toBe(enc.offsets.length);
        expect(enc.tokens.length).toBe(enc.ids.length);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the ids of @huggingface/tokenizers (astral CJK padded as Hugging Face Rust does)', () => {
    fc.assert(
      fc.property(text, (t) => {
        const expected = ref.encode(padsCjk ? padAstralCjk(t) : t).ids;
        expect(ours.encode(t).ids).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('normalizes like @huggingface/tokenizers (astral CJK aside)', () => {
    fc.assert(
      fc.property(text, (t) => {
        const input = padsCjk ? padAstralCjk(t) : t;
        expect(ours.normalize(t)).toBe(ref.normalizer ? ref.normalizer(input) : input);
      }),
      { numRuns: 300 },
    );
  });

  it('pairs with random truncation: windows fit, overlap by the stride and cover the cut sequence', () => {
    fc.assert(
      fc.property(
        text,
        text,
        // At least 2 tokens of room next to the 3 special tokens: with 1, longest_first gives one
        // sequence 0 tokens and Hugging Face then puts ALL of it in one overflow window (unit-tested).
        fc.integer({ min: 5, max: 40 }),
        fc.integer({ min: 0, max: 10 }),
        fc.constantFrom('longest_first', 'only_first', 'only_second') as fc.Arbitrary<
          'longest_first' | 'only_first' | 'only_second'
        >,
        (a, b, maxLength, stride, strategy) => {
          const whole = ours.encode(a, { pair: b });
          let enc: ReturnType<typeof ours.encode>;
          try {
            enc = ours.encode(a, { pair: b, truncation: { maxLength, strategy, stride }, returnOverflowing: true });
          } catch (error) {
            // Allowed failures: the sequence to cut is too short, or the stride does not fit.
            expect((error as { code?: string }).code).toBe('INPUT_INVALID');
            return;
          }
          const windows = [enc, ...enc.overflowing];
          for (const w of windows) {
            if (whole.ids.length > maxLength) expect(w.ids.length).toBeLessThanOrEqual(maxLength);
            expect(offsetProblems(ours, a, w, 0, false)).toEqual([]);
            expect(offsetProblems(ours, b, w, 1, false)).toEqual([]);
          }
          if (strategy === 'only_second' && whole.ids.length > maxLength) {
            const full = whole.ids.filter((_, i) => whole.sequenceIds[i] === 1);
            const cut = windows.map((w) => w.ids.filter((_, i) => w.sequenceIds[i] === 1));
            // Reassemble: each window after the first repeats `stride` tokens of the previous one.
            const rebuilt = cut.flatMap((ids, k) => (k === 0 ? ids : ids.slice(stride)));
            expect(rebuilt).toEqual(full);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('tokenizeWord gives the pieces of the word alone, offsets inside it', () => {
    fc.assert(
      fc.property(text, (t) => {
        const pieces = ours.tokenizeWord(t);
        const enc = ours.encode(t, { addSpecialTokens: false });
        expect(pieces.ids).toEqual(enc.ids);
        expect(pieces.offsets).toEqual(enc.offsets);
      }),
      { numRuns: 100 },
    );
  });
});
