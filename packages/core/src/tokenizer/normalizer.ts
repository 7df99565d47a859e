/**
 * BertNormalizer, character by character, with the original position of every output character.
 *
 * Hugging Face applies clean_text, CJK padding, lowercasing and accent stripping (NFD, then drop
 * `Mn` marks) to a whole string. Except for the Final_Sigma rule of lowercasing (handled here from
 * context) each step works on one code point at a time, so the mapping of a code point is computed
 * once and cached: BMP code units in typed tables, astral code points in a map. That per-character
 * view is also what keeps offsets exact: every output character knows the original character it
 * came from.
 */

import {
  bmpFlags,
  codePointAt,
  codePointFlags,
  FLAG_CHINESE,
  FLAG_MARK_NONSPACING,
  FLAG_PUNCTUATION,
  FLAG_WHITESPACE,
  isCased,
  isCaseIgnorable,
  isRemovedByCleanText,
} from './unicode.js';

/**
 * Options of Hugging Face's `BertNormalizer` (tokenizer.json names in comments).
 *
 * @example
 * ```ts
 * // bert-base-uncased
 * const uncased: BertNormalizerOptions = { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true };
 * ```
 */
export interface BertNormalizerOptions {
  /** `clean_text`: drop control characters, map whitespace to a space. */
  readonly cleanText: boolean;
  /** `handle_chinese_chars`: surround CJK ideographs with spaces (each becomes its own word). */
  readonly handleChineseChars: boolean;
  /** `strip_accents`: null follows `lowercase` (Hugging Face semantics). */
  readonly stripAccents: boolean | null;
  /** `lowercase`. */
  readonly lowercase: boolean;
}

/** How a character behaves after normalization (values of {@link CharMapper.kindOf}). */
export const KIND_UNKNOWN = 0;
/** Part of a word; maps to one BMP code unit (`mapped`). */
export const KIND_WORD = 1;
/** Whitespace: ends the current word. */
export const KIND_SPACE = 2;
/** Punctuation: a word of its own; maps to one code unit (`mapped`). */
export const KIND_PUNCT = 3;
/** Removed by clean_text, or mapped to nothing (a stripped accent). */
export const KIND_REMOVED = 4;
/** A CJK ideograph: a word of its own; its mapped string is in `complex`. */
export const KIND_ISOLATED = 5;
/** Maps to several code units (or an astral one); its mapped string is in `complex`. */
export const KIND_COMPLEX = 6;
/** Capital sigma under lowercasing: σ or ς depending on context (Final_Sigma). */
export const KIND_SIGMA = 7;

const SIGMA = 0x3a3;

/** Per-configuration cache of character mappings and kinds. */
export class CharMapper {
  readonly options: BertNormalizerOptions;
  readonly strip: boolean;
  /** Kind of each BMP code unit, filled lazily ({@link KIND_UNKNOWN} = not computed yet). */
  readonly kinds = new Uint8Array(0x10000);
  /** The single code unit a {@link KIND_WORD} / {@link KIND_PUNCT} character maps to. */
  readonly mapped = new Uint16Array(0x10000);
  /** Mapped strings of {@link KIND_ISOLATED} / {@link KIND_COMPLEX} code points (BMP and astral). */
  readonly complex = new Map<number, string>();
  private readonly astralKinds = new Map<number, number>();

  constructor(options: BertNormalizerOptions) {
    this.options = options;
    this.strip = options.stripAccents ?? options.lowercase;
    bmpFlags();
  }

  /** Lowercasing and accent stripping of one code point, per the options (no clean_text, no CJK). */
  mapString(cp: number): string {
    let s = String.fromCodePoint(cp);
    if (this.options.lowercase) s = s.toLowerCase();
    if (this.strip) s = stripMarks(s.normalize('NFD'));
    return s;
  }

  /** Kind of a BMP code unit that is not a surrogate. */
  kindOf(c: number): number {
    const k = this.kinds[c] ?? KIND_UNKNOWN;
    return k !== KIND_UNKNOWN ? k : this.fill(c);
  }

  /** Kind of an astral code point (mapped string, when needed, in `complex`). */
  astralKind(cp: number): number {
    const k = this.astralKinds.get(cp);
    if (k !== undefined) return k;
    const kind = this.classify(cp);
    if (this.astralKinds.size < 65536) this.astralKinds.set(cp, kind);
    return kind;
  }

  private fill(c: number): number {
    const kind = this.classify(c);
    this.kinds[c] = kind;
    return kind;
  }

  private classify(cp: number): number {
    const { cleanText, handleChineseChars, lowercase } = this.options;
    if (cleanText && isRemovedByCleanText(cp)) return KIND_REMOVED;
    const flags = codePointFlags(cp);
    if (flags & FLAG_WHITESPACE) return KIND_SPACE;
    if (handleChineseChars && flags & FLAG_CHINESE) {
      this.complex.set(cp, this.mapString(cp));
      return KIND_ISOLATED;
    }
    if (lowercase && cp === SIGMA) return KIND_SIGMA;
    const m = this.mapString(cp);
    if (m.length === 0) return KIND_REMOVED;
    const first = m.charCodeAt(0);
    if (m.length === 1 && (first < 0xd800 || first > 0xdfff)) {
      const f = codePointFlags(first);
      if (cp < 0x10000) this.mapped[cp] = first;
      if (f & FLAG_WHITESPACE) return KIND_SPACE;
      if (cp >= 0x10000) {
        this.complex.set(cp, m);
        return KIND_COMPLEX;
      }
      return f & FLAG_PUNCTUATION ? KIND_PUNCT : KIND_WORD;
    }
    this.complex.set(cp, m);
    return KIND_COMPLEX;
  }

  /**
   * σ or ς for the capital sigma at `index` of `text[from, to)`: ς when preceded by a cased letter
   * and not followed by one (Unicode Final_Sigma, skipping case-ignorable characters), as
   * `String.prototype.toLowerCase` and Python's `str.lower` do on the whole text.
   */
  sigmaAt(text: string, index: number, from: number, to: number): number {
    let before = false;
    for (let j = index - 1; j >= from; j--) {
      let cp = text.charCodeAt(j);
      if (cp >= 0xdc00 && cp <= 0xdfff && j > from) {
        const hi = text.charCodeAt(j - 1);
        if (hi >= 0xd800 && hi <= 0xdbff) {
          j--;
          cp = codePointAt(text, j);
        }
      }
      if (this.options.cleanText && isRemovedByCleanText(cp)) continue;
      if (isCaseIgnorable(cp)) continue;
      before = isCased(cp);
      break;
    }
    if (!before) return 0x3c3;
    for (let j = index + 1; j < to; j++) {
      const cp = codePointAt(text, j);
      if (cp > 0xffff) j++;
      if (this.options.cleanText && isRemovedByCleanText(cp)) continue;
      if (isCaseIgnorable(cp)) continue;
      return isCased(cp) ? 0x3c3 : 0x3c2;
    }
    return 0x3c2;
  }
}

/** Removes `Mn` (nonspacing mark) characters. */
function stripMarks(s: string): string {
  let out = '';
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const cp = codePointAt(s, i);
    const width = cp > 0xffff ? 2 : 1;
    if (codePointFlags(cp) & FLAG_MARK_NONSPACING) {
      changed = true;
    } else {
      out += s.slice(i, i + width);
    }
    i += width - 1;
  }
  return changed ? out : s;
}

/** Normalized text with, for each of its UTF-16 units, the `[start, end)` it came from in the input. */
export interface AlignedText {
  readonly text: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/**
 * BertNormalizer output of `text[from, to)` exactly as Hugging Face produces it (spaces around CJK
 * characters, whitespace as `' '` under clean_text), with alignments to the input. This is the
 * general, slower path: added tokens marked `normalized` are matched on it, and tests use it as
 * the definition of "normalized".
 */
export function normalizeAligned(mapper: CharMapper, text: string, from = 0, to = text.length): AlignedText {
  const parts: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const push = (s: string, start: number, end: number): void => {
    parts.push(s);
    for (let k = 0; k < s.length; k++) {
      starts.push(start);
      ends.push(end);
    }
  };
  for (let i = from; i < to; i++) {
    const cp = codePointAt(text, i);
    const width = cp > 0xffff ? 2 : 1;
    const isSurrogate = cp >= 0xd800 && cp <= 0xdfff;
    const kind = isSurrogate
      ? mapper.options.cleanText
        ? KIND_REMOVED
        : KIND_WORD
      : cp > 0xffff
        ? mapper.astralKind(cp)
        : mapper.kindOf(cp);
    const original = text.slice(i, i + width);
    switch (kind) {
      case KIND_REMOVED:
        break;
      case KIND_SPACE:
        push(
          mapper.options.cleanText && (codePointFlags(cp) & FLAG_WHITESPACE) !== 0 ? ' ' : mapper.mapString(cp),
          i,
          i + width,
        );
        break;
      case KIND_ISOLATED:
        push(' ', i, i + width);
        push(mapper.complex.get(cp) ?? original, i, i + width);
        push(' ', i, i + width);
        break;
      case KIND_SIGMA:
        push(String.fromCharCode(mapper.sigmaAt(text, i, from, to)), i, i + width);
        break;
      case KIND_COMPLEX:
        push(mapper.complex.get(cp) ?? original, i, i + width);
        break;
      default:
        push(isSurrogate ? original : String.fromCharCode(mapper.mapped[cp] ?? cp), i, i + width);
    }
    i += width - 1;
  }
  return { text: parts.join(''), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}
