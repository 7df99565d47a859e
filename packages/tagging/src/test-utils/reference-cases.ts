/**
 * The inputs of the PyTorch reference (models/scripts/ref_tagging.py): texts and word lists that
 * exercise accents, emoji, Cyrillic, control characters, over-long words and windowing.
 */

/** One reference case: a text (split by bertweb) or a word list, optionally with small windows. */
export interface ReferenceCase {
  readonly name: string;
  readonly text?: string;
  readonly words?: readonly string[];
  /** Window length in subtokens (forces several windows on a short text). */
  readonly maxLength?: number;
}

export const REFERENCE_CASES: readonly ReferenceCase[] = [
  { name: 'english', text: 'Anna Karenina met Count Vronsky at the Moscow railway station in 1874.' },
  { name: 'accents-emoji', text: 'Café Müller in Zürich serves crème brûlée 😀 to José and Zoë! 👍🏽🇷🇺' },
  { name: 'russian', text: 'Президент России Владимир Путин посетил Санкт-Петербург в понедельник.' },
  {
    name: 'odd-characters',
    text: 'Tabs\tand\nnewlines, control\u0001chars, zero\u200bwidth, soft\u00adhyphen, cafe\u0301 — «quotes» (1/2).',
  },
  // The Cyrillic word has more than 15 pieces in the uncased English vocabulary: it becomes [UNK].
  { name: 'long-word', text: 'The word Превысокомногорассмотрительствующий is long; so is Pneumonoultramicroscopic.' },
  {
    name: 'windows',
    text:
      'Leo Tolstoy wrote War and Peace in Yasnaya Polyana. Sofia Tolstaya copied the manuscript many times, ' +
      'while Moscow publishers waited. Later the novel was translated in London, Paris and Berlin, ' +
      'and readers in New York discussed Natasha Rostova and Pierre Bezukhov for decades.',
    maxLength: 24,
  },
  { name: 'word-list', words: ['John', 'Smith', 'lives', 'in', 'New', 'York', '.'] },
  { name: 'word-list-odd', words: ['', '\u0001', 'Zoë', '😀', 'a b', 'Москва'] },
];
