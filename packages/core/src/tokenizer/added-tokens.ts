/**
 * Added tokens (`[CLS]`, `[SEP]`, `[MASK]`, user additions): found in the text before any other
 * processing and turned into single tokens, as Hugging Face's AddedVocabulary does (leftmost-longest
 * matching; `single_word`, `lstrip`, `rstrip` honoured).
 */

import { codePointAt, isWhitespace } from './unicode.js';

/**
 * One added token (tokenizer.json `added_tokens` entry).
 *
 * @example
 * ```ts
 * const mask: AddedTokenSpec = { id: 103, content: '[MASK]', special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false };
 * ```
 */
export interface AddedTokenSpec {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  /** Matched on the normalized text (true) or on the raw input (false). */
  readonly normalized: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly singleWord: boolean;
  /**
   * Only matches a whole whitespace-delimited chunk of the input. Used for the slow tokenizer's
   * `never_split` entries, which its basic tokenizer keeps intact only when they stand alone.
   */
  readonly wholeChunk?: boolean;
}

/** A match: `[start, end)` in the searched text (whitespace taken by lstrip/rstrip included). */
export interface AddedTokenMatch {
  readonly start: number;
  readonly end: number;
  readonly token: AddedTokenSpec;
}

interface TrieNode {
  readonly next: Map<number, TrieNode>;
  token: AddedTokenSpec | undefined;
}

const WORD_CHAR_RE = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;

function isWordChar(text: string, index: number): boolean {
  return WORD_CHAR_RE.test(String.fromCodePoint(codePointAt(text, index)));
}

/** Index of the code point that ends right before `index`. */
function previousCodePointIndex(text: string, index: number): number {
  const c = text.charCodeAt(index - 1);
  if (c >= 0xdc00 && c <= 0xdfff && index >= 2) {
    const h = text.charCodeAt(index - 2);
    if (h >= 0xd800 && h <= 0xdbff) return index - 2;
  }
  return index - 1;
}

/**
 * Leftmost-longest matcher over a fixed set of added tokens, keyed by the string each must match
 * (the content itself, or its normalized form for normalized tokens).
 */
export class AddedTokenMatcher {
  private readonly root: TrieNode = { next: new Map(), token: undefined };
  /** First code units of all patterns: the scan jumps between them with `indexOf`. */
  private readonly firstUnits: string[];
  readonly size: number;

  constructor(entries: readonly { readonly pattern: string; readonly token: AddedTokenSpec }[]) {
    const first = new Set<string>();
    let size = 0;
    for (const { pattern, token } of entries) {
      if (pattern.length === 0) continue;
      let node = this.root;
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern.charCodeAt(i);
        let child = node.next.get(c);
        if (!child) {
          child = { next: new Map(), token: undefined };
          node.next.set(c, child);
        }
        node = child;
      }
      // The first definition of a pattern wins, as in a map built in order.
      if (!node.token) {
        node.token = token;
        size++;
      }
      first.add(pattern[0] as string);
    }
    this.firstUnits = [...first];
    this.size = size;
  }

  /** Position of the next code unit at or after `from` (and before `to`) that can start a pattern. */
  private nextCandidate(text: string, from: number, to: number): number {
    let best = -1;
    for (const unit of this.firstUnits) {
      const at = text.indexOf(unit, from);
      if (at >= 0 && at < to && (best < 0 || at < best)) best = at;
    }
    return best;
  }

  /** Longest pattern starting at `at` (ending at or before `to`): its end, or -1. */
  private longestAt(text: string, at: number, to: number): { end: number; token: AddedTokenSpec } | undefined {
    let node: TrieNode | undefined = this.root;
    let found: { end: number; token: AddedTokenSpec } | undefined;
    for (let j = at; j < to; j++) {
      node = node.next.get(text.charCodeAt(j));
      if (!node) break;
      if (node.token) found = { end: j + 1, token: node.token };
    }
    return found;
  }

  /** All matches in `text[from, to)`, in order, non-overlapping. */
  findAll(text: string, from: number, to: number): AddedTokenMatch[] {
    const matches: AddedTokenMatch[] = [];
    if (this.size === 0) return matches;
    let pos = from;
    let lastStop = from;
    while (pos < to) {
      const at = this.nextCandidate(text, pos, to);
      if (at < 0) break;
      const hit = this.longestAt(text, at, to);
      if (!hit) {
        pos = at + 1;
        continue;
      }
      const { token } = hit;
      let start = at;
      let stop = hit.end;
      pos = stop;
      if (token.singleWord) {
        const wordBefore = start > from && isWordChar(text, previousCodePointIndex(text, start));
        const wordAfter = stop < to && isWordChar(text, stop);
        if (wordBefore || wordAfter) continue;
      }
      if (token.wholeChunk) {
        const spaceBefore = start === from || isWhitespace(codePointAt(text, previousCodePointIndex(text, start)));
        const spaceAfter = stop === to || isWhitespace(codePointAt(text, stop));
        if (!spaceBefore || !spaceAfter) continue;
      }
      if (token.lstrip) {
        let s = start;
        while (s > lastStop && isWhitespace(codePointAt(text, previousCodePointIndex(text, s)))) {
          s = previousCodePointIndex(text, s);
        }
        start = s;
      }
      if (token.rstrip) {
        while (stop < to) {
          const cp = codePointAt(text, stop);
          if (!isWhitespace(cp)) break;
          stop += cp > 0xffff ? 2 : 1;
        }
        pos = stop;
      }
      matches.push({ start, end: stop, token });
      lastStop = stop;
    }
    return matches;
  }
}
