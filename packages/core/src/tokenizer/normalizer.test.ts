import { describe, expect, it } from 'vitest';
import { CharMapper, normalizeAligned } from './normalizer.js';
import { bertTokenizerJson, padAstralCjk, referenceTokenizer, syntheticVocabLines } from './test-utils/reference.js';
import { bmpFlags, FLAG_CONTROL, FLAG_PUNCTUATION, FLAG_WHITESPACE, isChineseChar } from './unicode.js';

const configs = {
  'lowercase + strip (BERT uncased)': {
    cleanText: true,
    handleChineseChars: true,
    stripAccents: null,
    lowercase: true,
  },
  cased: { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: false },
  'lowercase, accents kept': { cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: true },
  'cased, accents stripped': { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: false },
  'no clean_text, no CJK': { cleanText: false, handleChineseChars: false, stripAccents: null, lowercase: true },
} as const;

const vocab = syntheticVocabLines();

describe.each(Object.entries(configs))('BertNormalizer, %s', (_, options) => {
  const mapper = new CharMapper(options);
  const ref = referenceTokenizer(
    bertTokenizerJson(vocab, {
      clean_text: options.cleanText,
      handle_chinese_chars: options.handleChineseChars,
      strip_accents: options.stripAccents,
      lowercase: options.lowercase,
    }),
  );
  const refNormalize = (s: string) => (ref.normalizer as (t: string) => string)(s);

  it('maps every BMP character (lone surrogates included) exactly as @huggingface/tokenizers', () => {
    const mismatches: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      const ours = normalizeAligned(mapper, ch).text;
      const expected = refNormalize(ch);
      if (ours !== expected && mismatches.length < 10)
        mismatches.push(`U+${c.toString(16)}: ${JSON.stringify(ours)} vs ${JSON.stringify(expected)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('maps astral characters as @huggingface/tokenizers, except that astral CJK is padded (Rust)', () => {
    const mismatches: string[] = [];
    for (let cp = 0x10000; cp < 0x110000; cp += cp < 0x30000 ? 7 : 997) {
      const ch = String.fromCodePoint(cp);
      const ours = normalizeAligned(mapper, ch).text;
      const expected = refNormalize(options.handleChineseChars ? padAstralCjk(ch) : ch);
      if (ours !== expected && mismatches.length < 10)
        mismatches.push(`U+${cp.toString(16)}: ${JSON.stringify(ours)} vs ${JSON.stringify(expected)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('aligns every output unit to the input character it came from', () => {
    const text = 'Ａé\u0000İ中𝔸x\u200b';
    const aligned = normalizeAligned(mapper, text);
    expect(aligned.starts.length).toBe(aligned.text.length);
    for (let k = 0; k < aligned.text.length; k++) {
      const s = aligned.starts[k] as number;
      const e = aligned.ends[k] as number;
      expect(e).toBeGreaterThan(s);
      // Normalizing the source character alone reproduces this output unit.
      expect(normalizeAligned(mapper, text.slice(s, e)).text).toContain(aligned.text[k]);
    }
  });
});

describe('final sigma in context', () => {
  const mapper = new CharMapper(configs['lowercase, accents kept']);
  const ref = referenceTokenizer(bertTokenizerJson(vocab, { strip_accents: false }));
  it.each(['ΟΔΟΣ', 'ΣΑ', 'Α Σ Β', 'ΑΣ.', "ΑΣ'Β", 'ΑΣ\u0301', 'ΑΣ\u200bΒ', 'Σ', 'aΣ1', 'ΑΣ中'])('%s', (text) => {
    expect(normalizeAligned(mapper, text).text).toBe((ref.normalizer as (t: string) => string)(text));
  });
});

describe('character tables', () => {
  it('match the Unicode regexes for every BMP code point', () => {
    const table = bmpFlags();
    const punct = /[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]/u;
    const control = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) {
        expect(table[c]).toBe(FLAG_CONTROL);
        continue;
      }
      const ch = String.fromCharCode(c);
      const flags = table[c] as number;
      if (((flags & FLAG_PUNCTUATION) !== 0) !== punct.test(ch)) throw new Error(`punctuation U+${c.toString(16)}`);
      if (((flags & FLAG_WHITESPACE) !== 0) !== /\s/.test(ch)) throw new Error(`whitespace U+${c.toString(16)}`);
      if (((flags & FLAG_CONTROL) !== 0) !== control.test(ch)) throw new Error(`control U+${c.toString(16)}`);
    }
  });

  it('CJK ranges include the astral blocks of the BERT definition', () => {
    expect(isChineseChar(0x4e2d)).toBe(true);
    expect(isChineseChar(0x20000)).toBe(true);
    expect(isChineseChar(0x2f800)).toBe(true);
    expect(isChineseChar(0x3042)).toBe(false); // Hiragana
    expect(isChineseChar(0xac00)).toBe(false); // Hangul
  });
});
