/**
 * Splitting raw text into words with character offsets, the way DeepPavlov's NER preprocessor does
 * (`re.findall(r"[\w']+|[^\w ]", text)`: runs of word characters and apostrophes, and every other
 * non-space character as a word of its own), made safe for arbitrary Unicode input.
 *
 * Deliberate differences from DeepPavlov, each keeping a word a word:
 * - every Unicode whitespace character separates words (DeepPavlov only skips ASCII space, so a tab,
 *   newline or no-break space becomes a word of its own that the model then tags);
 * - combining marks (`\p{M}`) belong to the word they follow (Python's `\w` excludes them, which cuts a
 *   decomposed "café" in two);
 * - format characters (`\p{Cf}`: soft hyphen, zero-width joiner...) inside a word keep it whole, and
 *   elsewhere (and the zero-width space anywhere) separate words like whitespace; control characters and lone surrogates separate words;
 * - an emoji keeps its modifiers, variation selectors and ZWJ-joined parts, and a pair of regional
 *   indicators (a flag) is one word.
 * For NFC text without those characters the words are exactly DeepPavlov's.
 */

/**
 * A word of a text: `text === input.slice(start, end)`, offsets in UTF-16 code units.
 *
 * @example
 * ```ts
 * const [first] = splitWords('Hello world'); // { text: 'Hello', start: 0, end: 5 }
 * ```
 */
export interface Word {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const WORD_CHAR = String.raw`\p{L}\p{N}\p{M}_'`;
/** Format characters that join (soft hyphen, ZWJ, ZWNJ, word joiner), i.e. all but the zero-width space. */
const JOINER = String.raw`(?:(?!\u{200B})\p{Cf})`;
/** A run of word characters, possibly joined by format characters. */
const WORD = String.raw`[${WORD_CHAR}]+(?:${JOINER}+[${WORD_CHAR}]+)*`;
/** Characters that never start a word: whitespace, controls, format characters, lone surrogates. */
const SEPARATOR_CLASS = String.raw`\s\p{Cc}\p{Cf}\p{Cs}`;
/** What may trail a symbol and stays part of it (emoji modifiers, variation selectors, marks). */
const SYMBOL_TAIL = String.raw`(?:[\p{M}\u{FE00}-\u{FE0F}\p{Emoji_Modifier}]|\u{200D}[^${WORD_CHAR}${SEPARATOR_CLASS}])*`;
const FLAG = String.raw`\p{Regional_Indicator}{2}`;
const SYMBOL = String.raw`(?:${FLAG}|[^${WORD_CHAR}${SEPARATOR_CLASS}]${SYMBOL_TAIL})`;
const WORD_PATTERN = new RegExp(`${WORD}|${SYMBOL}`, 'gu');

/**
 * Splits a text into words and punctuation marks with their offsets (DeepPavlov's NER word split,
 * Unicode-safe; see the module notes for the exact differences).
 *
 * @example
 * ```ts
 * splitWords("Don't stop, Анна!").map((w) => w.text); // ["Don't", 'stop', ',', 'Анна', '!']
 * splitWords('a  b')[1]; // { text: 'b', start: 3, end: 4 }
 * ```
 */
export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  WORD_PATTERN.lastIndex = 0;
  for (let match = WORD_PATTERN.exec(text); match !== null; match = WORD_PATTERN.exec(text)) {
    words.push({ text: match[0], start: match.index, end: match.index + match[0].length });
  }
  return words;
}
