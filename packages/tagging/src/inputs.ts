/** Words -> subtokens -> window encodings ([CLS] pieces... [SEP]) for the model. */
import type { Encoding, SpecialTokens, WordPieces } from '@bertweb/core';
import type { WordPieceCache } from './pieces.js';
import { planWindows, type WindowPlan } from './windows.js';
import type { Word } from './words.js';

/**
 * One text (or word list) ready to run: its words, their pieces and the window plan.
 *
 * @example
 * ```ts
 * const seq: PreparedSequence = prepareSequence(splitWords(text), pieces, 510, 128);
 * seq.pieces[0]?.tokens; // pieces of the first word
 * ```
 */
export interface PreparedSequence {
  readonly words: readonly Word[];
  /** Pieces of each word (1 to maxPieces; [UNK] for words with too many or none). */
  readonly pieces: readonly WordPieces[];
  readonly plan: WindowPlan;
}

/**
 * Tokenizes the words of one sequence and plans its windows.
 *
 * @example
 * ```ts
 * const seq = prepareSequence(splitWords(text), pieces, 510, 128);
 * seq.plan.windows.length; // 1 for a short text
 * ```
 */
export function prepareSequence(
  words: readonly Word[],
  pieces: WordPieceCache,
  budget: number,
  overlap: number,
): PreparedSequence {
  const wordPieces = words.map((w) => pieces.get(w.text));
  const counts = wordPieces.map((p) => p.ids.length);
  return { words, pieces: wordPieces, plan: planWindows(counts, budget, overlap) };
}

/**
 * Words given as strings (`tagWords`) placed as if joined by single spaces, so offsets stay meaningful.
 *
 * @example
 * ```ts
 * wordsFromStrings(['New', 'York']); // [{text:'New',start:0,end:3},{text:'York',start:4,end:8}]
 * ```
 */
export function wordsFromStrings(words: readonly string[]): Word[] {
  let offset = 0;
  return words.map((text) => {
    const word = { text, start: offset, end: offset + text.length };
    offset = word.end + 1;
    return word;
  });
}

/**
 * The encoding of one window: `[CLS]`, every piece of its words, `[SEP]`; `wordIds` index the
 * sequence's words (not the window's), offsets are in the sequence's text (the word's start plus the
 * piece's offset in the word).
 *
 * @example
 * ```ts
 * const enc = windowEncoding(seq, 0, tokenizer.specialTokens);
 * enc.ids; // [101, ..., 102]
 * ```
 */
export function windowEncoding(seq: PreparedSequence, windowIndex: number, specialTokens: SpecialTokens): Encoding {
  const window = seq.plan.windows[windowIndex];
  if (!window) throw new RangeError(`no window ${windowIndex}`);
  const { cls, sep } = specialTokens;
  const ids: number[] = [cls.id];
  const tokens: string[] = [cls.token];
  const wordIds: (number | null)[] = [null];
  const offsets: [number, number][] = [[0, 0]];
  for (let w = window.start; w < window.end; w++) {
    const word = seq.words[w] as Word;
    const pieces = seq.pieces[w] as WordPieces;
    for (let p = 0; p < pieces.ids.length; p++) {
      const [from, to] = pieces.offsets[p] ?? [0, word.text.length];
      ids.push(pieces.ids[p] as number);
      tokens.push(pieces.tokens[p] as string);
      wordIds.push(w);
      offsets.push([word.start + from, word.start + to]);
    }
  }
  ids.push(sep.id);
  tokens.push(sep.token);
  wordIds.push(null);
  offsets.push([0, 0]);
  const n = ids.length;
  const specialTokensMask = new Array<number>(n).fill(0);
  specialTokensMask[0] = 1;
  specialTokensMask[n - 1] = 1;
  return {
    ids,
    tokens,
    typeIds: new Array<number>(n).fill(0),
    attentionMask: new Array<number>(n).fill(1),
    specialTokensMask,
    wordIds,
    sequenceIds: wordIds.map((w) => (w === null ? null : 0)),
    offsets,
    overflowing: [],
  };
}
