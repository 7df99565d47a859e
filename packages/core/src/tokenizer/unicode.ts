/**
 * Character classes used by BertNormalizer and BertPreTokenizer, on code points.
 *
 * Hot loops look characters of the Basic Multilingual Plane up in one precomputed byte table
 * (built once, on first use, by scanning all BMP characters with `\p{...}` regexes); astral
 * characters are rare in text and are classified by regex on demand. The definitions follow
 * Hugging Face tokenizers (and its JS port, the project's parity reference):
 * - punctuation: ASCII punctuation (`!`-`/`, `:`-`@`, `[`-`` ` ``, `{`-`~`) or Unicode `P*`;
 * - whitespace: JavaScript `\s` (the set tokenizers.js splits and trims on);
 * - control (removed by clean_text): `Cc`, `Cf`, `Co`, `Cs` except tab, newline and carriage return;
 * - Chinese: the CJK ideograph blocks of the original BERT code (astral blocks included).
 */

/** Bit flags of {@link bmpFlags}. */
export const FLAG_PUNCTUATION = 1;
export const FLAG_WHITESPACE = 2;
export const FLAG_CONTROL = 4;
export const FLAG_MARK_NONSPACING = 8;
export const FLAG_CHINESE = 16;

const PUNCTUATION_RE = /[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]/u;
const WHITESPACE_RE = /\s/u;
const CONTROL_RE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const MARK_NONSPACING_RE = /\p{Mn}/u;
const CASED_RE = /\p{Cased}/u;
const CASE_IGNORABLE_RE = /\p{Case_Ignorable}/u;

let bmpTable: Uint8Array | undefined;

/** Every BMP code unit except surrogates, as one string, for building tables with global regexes. */
function allBmpCharacters(): string {
  const parts: string[] = [];
  const chunk = new Uint16Array(4096);
  for (let base = 0; base < 0x10000; base += 4096) {
    let n = 0;
    for (let c = base; c < base + 4096; c++) {
      chunk[n++] = c >= 0xd800 && c <= 0xdfff ? 0x20 : c;
    }
    parts.push(String.fromCharCode.apply(null, chunk as unknown as number[]));
  }
  return parts.join('');
}

function markAll(table: Uint8Array, source: string, pattern: RegExp, flag: number): void {
  const global = new RegExp(pattern.source, 'gu');
  for (const match of source.matchAll(global)) {
    const index = match.index;
    // The source string has one code unit per code point (surrogates were replaced), so index === code.
    if (index >= 0xd800 && index <= 0xdfff) continue;
    table[index] = (table[index] ?? 0) | flag;
  }
}

/**
 * Flags of every BMP code unit (index = code). Surrogate code units get {@link FLAG_CONTROL}
 * (`Cs`): a lone surrogate is removed by clean_text, as tokenizers.js does (HF Rust would see
 * U+FFFD after UTF-8 conversion and remove that too).
 */
export function bmpFlags(): Uint8Array {
  if (bmpTable) return bmpTable;
  const table = new Uint8Array(0x10000);
  const source = allBmpCharacters();
  markAll(table, source, PUNCTUATION_RE, FLAG_PUNCTUATION);
  markAll(table, source, WHITESPACE_RE, FLAG_WHITESPACE);
  markAll(table, source, CONTROL_RE, FLAG_CONTROL);
  markAll(table, source, MARK_NONSPACING_RE, FLAG_MARK_NONSPACING);
  for (let c = 0xd800; c <= 0xdfff; c++) table[c] = FLAG_CONTROL;
  for (let c = 0x4e00; c <= 0x9fff; c++) table[c] = (table[c] ?? 0) | FLAG_CHINESE;
  for (let c = 0x3400; c <= 0x4dbf; c++) table[c] = (table[c] ?? 0) | FLAG_CHINESE;
  for (let c = 0xf900; c <= 0xfaff; c++) table[c] = (table[c] ?? 0) | FLAG_CHINESE;
  bmpTable = table;
  return table;
}

const astralCache = new Map<number, number>();

/** Flags of any code point (BMP from the table, astral by regex, cached). */
export function codePointFlags(cp: number): number {
  if (cp < 0x10000) return bmpFlags()[cp] ?? 0;
  const cached = astralCache.get(cp);
  if (cached !== undefined) return cached;
  const ch = String.fromCodePoint(cp);
  let flags = 0;
  if (PUNCTUATION_RE.test(ch)) flags |= FLAG_PUNCTUATION;
  if (WHITESPACE_RE.test(ch)) flags |= FLAG_WHITESPACE;
  if (CONTROL_RE.test(ch)) flags |= FLAG_CONTROL;
  if (MARK_NONSPACING_RE.test(ch)) flags |= FLAG_MARK_NONSPACING;
  if (isChineseChar(cp)) flags |= FLAG_CHINESE;
  if (astralCache.size < 4096) astralCache.set(cp, flags);
  return flags;
}

/**
 * CJK ideographs as defined by the original BERT code and Hugging Face tokenizers (Rust), astral
 * blocks included. (tokenizers.js checks UTF-16 code units only and so misses the astral blocks;
 * bertweb follows the Rust/Python definition.)
 */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BertPreTokenizer punctuation: ASCII punctuation or Unicode `P*`. */
export function isPunctuation(cp: number): boolean {
  return (codePointFlags(cp) & FLAG_PUNCTUATION) !== 0;
}

/** JavaScript `\s` whitespace. */
export function isWhitespace(cp: number): boolean {
  return (codePointFlags(cp) & FLAG_WHITESPACE) !== 0;
}

/** Characters clean_text removes: NUL, U+FFFD, and `Cc`/`Cf`/`Co`/`Cs` other than `\t`, `\n`, `\r`. */
export function isRemovedByCleanText(cp: number): boolean {
  if (cp === 9 || cp === 10 || cp === 13) return false;
  return cp === 0 || cp === 0xfffd || (codePointFlags(cp) & FLAG_CONTROL) !== 0;
}

/** Unicode `Cased` (for the Final_Sigma rule of lowercasing). */
export function isCased(cp: number): boolean {
  return CASED_RE.test(String.fromCodePoint(cp));
}

/** Unicode `Case_Ignorable` (for the Final_Sigma rule of lowercasing). */
export function isCaseIgnorable(cp: number): boolean {
  return CASE_IGNORABLE_RE.test(String.fromCodePoint(cp));
}

/** The code point at `index` of `text`; a lone surrogate is returned as itself. */
export function codePointAt(text: string, index: number): number {
  const c = text.charCodeAt(index);
  if (c >= 0xd800 && c <= 0xdbff && index + 1 < text.length) {
    const d = text.charCodeAt(index + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}
