/**
 * Splitting raw text into words with character offsets, the way DeepPavlov's NER preprocessor
 * (`torch_transformers_ner_preprocessor`, deeppavlov/models/preprocessors/torch_transformers_preprocessor.py,
 * `TorchTransformersNerPreprocessor.__call__`) does, made safe for arbitrary Unicode input. Two versions:
 *
 * - `'deeppavlov-1.7'` (the default; DeepPavlov 1.4 and later): `re.finditer` with
 *   `[\d]+[\d\.,]+[\d]+|[\w'\.:@]+|[^\w ]`, then a final "." is split off the last match when that
 *   match is longer than the dot. So `10.05.2023`, `1,5`, `12:30`, `ivan@mail.ru` and `т.е.` stay one
 *   word, `Москве.` in the middle of a text stays one word, and only the text's last word loses its dot.
 * - `'legacy'` (DeepPavlov before 1.4): `[\w']+|[^\w ]`: runs of word characters and apostrophes, and every
 *   other non-space character as a word of its own.
 *
 * Python's `re` on `str` is Unicode-aware: `\w` is `str.isalnum()` or "_" (letters `\p{L}` and numbers
 * `\p{N}`), `\d` is a decimal digit (`\p{Nd}`: Arabic-Indic and fullwidth digits too, not "²" or "½").
 *
 * Deliberate differences from DeepPavlov, each keeping a word a word:
 * - every Unicode whitespace character separates words (DeepPavlov only skips the ASCII space, so a tab,
 *   newline or no-break space becomes a word of its own that the model then tags);
 * - combining marks (`\p{M}`) belong to the character they follow (Python's `\w` excludes them, which
 *   cuts a decomposed "café" in two);
 * - format characters (`\p{Cf}`: soft hyphen, zero-width joiner...) between two word characters keep the
 *   word whole, and elsewhere (and the zero-width space anywhere) separate words like whitespace; control
 *   characters and lone surrogates separate words;
 * - an emoji keeps its modifiers, variation selectors and ZWJ-joined parts, and a pair of regional
 *   indicators (a flag) is one word.
 *
 * How the 1.7 pattern's `.`, `:`, `@` and `,` meet those rules:
 * - `.`, `:`, `@` are word characters (like letters), so a mark after them stays with them and a format
 *   character between `a` and `.` joins them: `"a\u00AD.b"` is one word;
 * - the number alternative (`\d+[\d.,]+\d+`, where `,` joins too) takes marks after each of its characters
 *   but never looks through a format character: `"1,5\u00AD00"` is `"1,5"` and `"00"` (Python: the same
 *   plus a word for the soft hyphen);
 * - the final-dot rule works on bertweb's words, so whitespace after the dot does not hide it: for
 *   `"конец.\n"` Python's last match is the newline and nothing is split, bertweb gives `конец`, `.` (what
 *   DeepPavlov gives for `"конец. "`); a prefix that would end in a format character drops it.
 *
 * Hence: on NFC text without those characters, and with every whitespace character replaced by a space,
 * the words are exactly DeepPavlov's (checked against Python in words.test.ts).
 */
import { BertwebError } from '@bertweb/core';

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

/**
 * Which DeepPavlov word split to reproduce: `'deeppavlov-1.7'` (DeepPavlov 1.4 and later, the default)
 * or `'legacy'` (before 1.4). Use the one the model was trained with.
 *
 * @example
 * ```ts
 * const split: WordSplit = 'legacy';
 * splitWords('в 12:30.', { split }).map((w) => w.text); // ['в', '12', ':', '30', '.']
 * ```
 */
export type WordSplit = 'deeppavlov-1.7' | 'legacy';

/** Every word split, in documentation order. */
export const WORD_SPLITS: readonly WordSplit[] = ['deeppavlov-1.7', 'legacy'];

/**
 * The split used when none is given: DeepPavlov 1.7's.
 *
 * @example
 * ```ts
 * splitWords(text, { split: DEFAULT_WORD_SPLIT }); // same as splitWords(text)
 * ```
 */
export const DEFAULT_WORD_SPLIT: WordSplit = 'deeppavlov-1.7';

/**
 * Options of {@link splitWords}.
 *
 * @example
 * ```ts
 * const options: SplitWordsOptions = { split: 'legacy' };
 * ```
 */
export interface SplitWordsOptions {
  /** Default `'deeppavlov-1.7'`. */
  readonly split?: WordSplit;
}

/** Python's `\w` without "_": letters and numbers (`str.isalnum()`). */
const ALNUM = String.raw`\p{L}\p{N}`;
/** Format characters that join (soft hyphen, ZWJ, ZWNJ, word joiner), i.e. all but the zero-width space. */
const JOINER = String.raw`(?:(?!\u{200B})\p{Cf})`;
/** Characters that never start a word: whitespace, controls, format characters, lone surrogates. */
const SEPARATOR_CLASS = String.raw`\s\p{Cc}\p{Cf}\p{Cs}`;
const FLAG = String.raw`\p{Regional_Indicator}{2}`;

/** Words: runs of `wordChars` (marks included), possibly joined by format characters. */
const word = (wordChars: string) => `[${wordChars}]+(?:${JOINER}+[${wordChars}]+)*`;

/** Any other character is a word of its own, with what trails it (emoji modifiers, variation selectors, marks). */
const symbol = (wordChars: string) => {
  const tail = String.raw`(?:[\p{M}\u{FE00}-\u{FE0F}\p{Emoji_Modifier}]|\u{200D}[^${wordChars}${SEPARATOR_CLASS}])*`;
  return `(?:${FLAG}|[^${wordChars}${SEPARATOR_CLASS}]${tail})`;
};

const LEGACY_WORD_CHARS = String.raw`${ALNUM}\p{M}_'`;
const LEGACY_PATTERN = new RegExp(`${word(LEGACY_WORD_CHARS)}|${symbol(LEGACY_WORD_CHARS)}`, 'gu');

const DP17_WORD_CHARS = String.raw`${ALNUM}\p{M}_'.:@`;
/** `[\d]+[\d\.,]+[\d]+`, each character with the marks that follow it. */
const DP17_NUMBER = String.raw`(?:\p{Nd}\p{M}*)+(?:[\p{Nd}.,]\p{M}*)+(?:\p{Nd}\p{M}*)+`;
const DP17_PATTERN = new RegExp(`${DP17_NUMBER}|${word(DP17_WORD_CHARS)}|${symbol(DP17_WORD_CHARS)}`, 'gu');
const TRAILING_FORMAT = /\p{Cf}+$/u;

function matchAll(pattern: RegExp, text: string): Word[] {
  const words: Word[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    words.push({ text: match[0], start: match.index, end: match.index + match[0].length });
  }
  return words;
}

/** DeepPavlov 1.7's last step: `"конец."` at the end becomes `"конец"`, `"."`; a lone `"."` stays. */
function splitFinalDot(words: Word[]): Word[] {
  const last = words[words.length - 1];
  if (!last || last.text.length < 2 || !last.text.endsWith('.')) return words;
  const head = last.text.slice(0, -1).replace(TRAILING_FORMAT, '');
  const dot: Word = { text: '.', start: last.end - 1, end: last.end };
  words.pop();
  if (head.length > 0) words.push({ text: head, start: last.start, end: last.start + head.length });
  words.push(dot);
  return words;
}

/**
 * Splits a text into words and punctuation marks with their offsets, the way DeepPavlov's NER
 * preprocessor does (version `options.split`, default `'deeppavlov-1.7'`), Unicode-safe: see the module
 * notes for the exact rules and differences. Throws INPUT_INVALID for an unknown split.
 *
 * @example
 * ```ts
 * splitWords('Встреча 10.05.2023 в 12:30, т.е. скоро.').map((w) => w.text);
 * // ['Встреча', '10.05.2023', 'в', '12:30', ',', 'т.е.', 'скоро', '.']
 * splitWords('Он пришёл. Она ушла.').map((w) => w.text); // ['Он', 'пришёл.', 'Она', 'ушла', '.']
 * splitWords("Don't stop, Анна!", { split: 'legacy' }).map((w) => w.text); // ["Don't", 'stop', ',', 'Анна', '!']
 * splitWords('a  b')[1]; // { text: 'b', start: 3, end: 4 }
 * ```
 */
export function splitWords(text: string, options: SplitWordsOptions = {}): Word[] {
  const split = options.split ?? DEFAULT_WORD_SPLIT;
  if (split === 'legacy') return matchAll(LEGACY_PATTERN, text);
  if (split === 'deeppavlov-1.7') return splitFinalDot(matchAll(DP17_PATTERN, text));
  throw new BertwebError(
    'INPUT_INVALID',
    `unknown word split ${JSON.stringify(split)}: expected one of ${WORD_SPLITS.map((s) => `'${s}'`).join(', ')}`,
    { split },
  );
}
