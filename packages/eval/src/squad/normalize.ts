/**
 * `normalize_answer` of the official SQuAD evaluation scripts (v1.1 and v2.0 share it), ported with
 * Python 3's string semantics:
 * - `s.lower()` (full Unicode lowercasing; JavaScript's `toLowerCase` implements the same mapping);
 * - remove every character of `string.punctuation` (ASCII punctuation only);
 * - `re.sub(r'\b(a|an|the)\b', ' ', text)` where `\b` is Unicode-aware in Python 3 (word characters are
 *   letters, numbers and `_`), unlike JavaScript's ASCII-only `\b`;
 * - `' '.join(text.split())` where `split()` splits on Python's Unicode whitespace (`str.isspace`).
 */

/** Python's `string.punctuation`. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** Python 3 `\w` for `str` patterns: alphanumeric (`str.isalnum`) or underscore. */
const WORD = '[\\p{L}\\p{N}_]';
const ARTICLES = new RegExp(`(?<!${WORD})(?:a|an|the)(?!${WORD})`, 'gu');

/** Characters for which Python's `str.isspace()` is true (what `str.split()` splits on). */
const PY_WHITESPACE = new Set([
  ...'\t\n\v\f\r \u0085\u00a0\u1680\u2028\u2029\u202f\u205f\u3000',
  '\u001c',
  '\u001d',
  '\u001e',
  '\u001f',
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
]);

/**
 * Python's `str.split()` with no argument: split on runs of whitespace, drop empty pieces.
 *
 * @example
 * ```ts
 * pySplit('  a\u00a0b  '); // ['a', 'b']
 * ```
 */
export function pySplit(text: string): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const ch of text) {
    if (PY_WHITESPACE.has(ch)) {
      if (current !== '') pieces.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

/**
 * SQuAD answer normalization: lowercase, drop punctuation, drop articles, collapse whitespace.
 *
 * @example
 * ```ts
 * normalizeAnswer('The  Eiffel Tower!'); // 'eiffel tower'
 * ```
 */
export function normalizeAnswer(text: string): string {
  const lower = text.toLowerCase();
  let noPunct = '';
  for (const ch of lower) if (!PUNCTUATION.has(ch)) noPunct += ch;
  const noArticles = noPunct.replace(ARTICLES, ' ');
  return pySplit(noArticles).join(' ');
}
