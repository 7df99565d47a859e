/**
 * The hot loop: BertNormalizer + BertPreTokenizer + WordPiece fused into one pass over the char
 * codes of the input, producing ids and offsets in the ORIGINAL string.
 *
 * Most words are runs of characters that normalization leaves alone (or only lowercases in ASCII):
 * those stay "simple" — the word is `text.slice(start, end)` (lowercased when needed) and offsets
 * are `start + i`. A word that contains anything else (an accent to strip, a removed control
 * character, a Cyrillic capital, a multi-character mapping) switches to a buffer of normalized code
 * units with the original `[start, end)` of each, which is exactly the alignment Hugging Face's
 * NormalizedString keeps. WordPiece then runs greedy longest-match-first on the word string with
 * `Map` lookups bounded by the longest vocabulary entry.
 */

import {
  type CharMapper,
  KIND_ISOLATED,
  KIND_PUNCT,
  KIND_REMOVED,
  KIND_SIGMA,
  KIND_SPACE,
  KIND_WORD,
} from './normalizer.js';
import { FNV_OFFSET, FNV_PRIME, type TokenTable } from './token-table.js';
import { codePointFlags, FLAG_PUNCTUATION, FLAG_WHITESPACE } from './unicode.js';
import type { Vocab } from './vocab.js';

/** Tokens of one sequence before post-processing (parallel arrays). */
export interface RawSequence {
  readonly ids: number[];
  readonly starts: number[];
  readonly ends: number[];
  /** Word index of each token within the sequence. */
  readonly words: number[];
}

/** An empty {@link RawSequence}. */
export function emptyRawSequence(): RawSequence {
  return { ids: [], starts: [], ends: [], words: [] };
}

/** WordPiece model settings (tokenizer.json `model`). */
export interface WordPieceModelOptions {
  readonly vocab: Vocab;
  readonly unkId: number;
  /** Words longer than this (in code points, after normalization) become one unknown token. */
  readonly maxInputCharsPerWord: number;
}

const UNSET = -2;

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Encodes sections of text (between added tokens) into a {@link RawSequence}. Not reentrant. */
export class WordPieceEncoder {
  private readonly mapper: CharMapper;
  private readonly initial: TokenTable;
  private readonly continuation: TokenTable;
  private readonly maxInitial: number;
  private readonly maxContinuation: number;
  private readonly unkId: number;
  private readonly maxChars: number;
  private readonly cleanText: boolean;
  /** Ids of single-character words (punctuation), by BMP code unit; {@link UNSET} = not looked up. */
  private readonly charIds = new Int32Array(0x10000).fill(UNSET);

  // Normalized buffer of the current "complex" word: code units and their original [start, end).
  private buf = new Uint16Array(256);
  private bufStart = new Int32Array(256);
  private bufEnd = new Int32Array(256);
  private bufLen = 0;
  // Pieces of the current word (relative to the word string).
  private pieceIds = new Int32Array(64);
  private pieceStart = new Int32Array(64);
  private pieceEnd = new Int32Array(64);
  // FNV-1a hashes of the prefixes of the remaining word (longest-match candidates).
  private hashes = new Int32Array(256);

  constructor(mapper: CharMapper, model: WordPieceModelOptions) {
    this.mapper = mapper;
    this.initial = model.vocab.initial;
    this.continuation = model.vocab.continuation;
    this.maxInitial = model.vocab.initial.maxLength;
    this.maxContinuation = model.vocab.continuation.maxLength;
    this.unkId = model.unkId;
    this.maxChars = model.maxInputCharsPerWord;
    this.cleanText = mapper.options.cleanText;
  }

  // State of the word being built, shared with the rare-character path (see encodeSection).
  private ws = -1; // original start of the current word, -1 when none
  private we = -1; // original end of the current word's last character (simple words)
  private complex = false; // the word lives in the normalized buffer
  private upper = false; // simple word containing ASCII capitals (lowercased at flush)
  private cps = 0; // code points in the (normalized) word
  private word = 0; // index of the next word

  /**
   * Appends the tokens of `text[from, to)` to `out`, numbering words from `word`.
   * Returns the next free word index.
   *
   * The loop handles the four common kinds (word character, space, punctuation, removed) inline
   * with the word state in locals; anything else goes through {@link rareCharacter}. Keeping the
   * rare branches out of this function keeps its type feedback stable, so V8 optimizes it once
   * instead of deoptimizing whenever a new kind of character first shows up.
   */
  encodeSection(text: string, from: number, to: number, out: RawSequence, word: number): number {
    const kinds = this.mapper.kinds;
    const mapped = this.mapper.mapped;
    let ws = -1;
    let we = -1;
    let complex = false;
    let upper = false;
    let cps = 0;
    let i = from;
    while (i < to) {
      const c = text.charCodeAt(i);
      const k = kinds[c] as number;
      if (k === KIND_WORD) {
        const m = mapped[c] as number;
        if (ws < 0) {
          ws = i;
          we = i;
          complex = false;
          upper = false;
          cps = 0;
        }
        if (complex) {
          this.push(m, i, i + 1);
        } else if (we !== i || (m !== c && c >= 128)) {
          this.toComplex(text, ws, we, upper);
          complex = true;
          this.push(m, i, i + 1);
        } else if (m !== c) {
          upper = true;
        }
        cps++;
        i++;
        we = i;
      } else if (k === KIND_SPACE) {
        if (ws >= 0) {
          word = complex ? this.flushComplex(cps, out, word) : this.flushSimple(text, ws, we, upper, cps, out, word);
          ws = -1;
        }
        i++;
      } else if (k === KIND_PUNCT) {
        if (ws >= 0) {
          word = complex ? this.flushComplex(cps, out, word) : this.flushSimple(text, ws, we, upper, cps, out, word);
          ws = -1;
        }
        out.ids.push(this.charId(c, mapped[c] as number));
        out.starts.push(i);
        out.ends.push(i + 1);
        out.words.push(word++);
        i++;
      } else if (k === KIND_REMOVED) {
        i++;
      } else {
        this.ws = ws;
        this.we = we;
        this.complex = complex;
        this.upper = upper;
        this.cps = cps;
        this.word = word;
        i = this.rareCharacter(text, i, from, to, out);
        ws = this.ws;
        we = this.we;
        complex = this.complex;
        upper = this.upper;
        cps = this.cps;
        word = this.word;
      }
    }
    if (ws >= 0) {
      word = complex ? this.flushComplex(cps, out, word) : this.flushSimple(text, ws, we, upper, cps, out, word);
    }
    return word;
  }

  /** Id of a one-character word (punctuation), cached per input code unit. */
  private charId(c: number, unit: number): number {
    let id = this.charIds[c] as number;
    if (id === UNSET) {
      id = this.maxChars >= 1 ? this.idOr(this.initial.get(String.fromCharCode(unit))) : this.unkId;
      this.charIds[c] = id;
    }
    return id;
  }

  /** Ends the current word (state in fields) if there is one. */
  private endWord(text: string, out: RawSequence): void {
    if (this.ws < 0) return;
    this.word = this.complex
      ? this.flushComplex(this.cps, out, this.word)
      : this.flushSimple(text, this.ws, this.we, this.upper, this.cps, out, this.word);
    this.ws = -1;
  }

  /** Starts a word at `i` if none is open, and moves it to the buffer (state in fields). */
  private openComplexWord(text: string, i: number): void {
    if (this.ws < 0) {
      this.ws = i;
      this.we = i;
      this.complex = false;
      this.upper = false;
      this.cps = 0;
    }
    if (!this.complex) {
      this.toComplex(text, this.ws, this.we, this.upper);
      this.complex = true;
    }
  }

  /**
   * Everything but the four common kinds: characters not classified yet, surrogates (astral or
   * lone), CJK ideographs, multi-unit mappings, capital sigma. Word state is in the fields.
   * Returns the index after the character.
   */
  private rareCharacter(text: string, i: number, from: number, to: number, out: RawSequence): number {
    const mapper = this.mapper;
    const c = text.charCodeAt(i);
    let cp = c;
    let width = 1;
    let k: number;
    if (c >= 0xd800 && c <= 0xdfff) {
      if (isHigh(c) && i + 1 < to && isLow(text.charCodeAt(i + 1))) {
        cp = ((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00) + 0x10000;
        width = 2;
        k = mapper.astralKind(cp);
      } else {
        // A lone surrogate: removed by clean_text (it is `Cs`), else an ordinary character.
        if (this.cleanText) return i + 1;
        this.openComplexWord(text, i);
        this.push(c, i, i + 1);
        this.cps++;
        return i + 1;
      }
    } else {
      k = mapper.kindOf(c);
      // First sight of a BMP character of a common kind: now classified, let the loop handle it.
      if (k === KIND_WORD || k === KIND_SPACE || k === KIND_PUNCT || k === KIND_REMOVED) return i;
    }
    if (k === KIND_REMOVED) return i + width;
    if (k === KIND_SPACE) {
      this.endWord(text, out);
      return i + width;
    }
    if (k === KIND_ISOLATED) {
      this.endWord(text, out);
      const m = mapper.complex.get(cp) ?? String.fromCodePoint(cp);
      this.bufLen = 0;
      let n = 0;
      for (let j = 0; j < m.length; j++) {
        this.push(m.charCodeAt(j), i, i + width);
        if (!isLow(m.charCodeAt(j))) n++;
      }
      this.word = this.flushComplex(n, out, this.word);
      return i + width;
    }
    if (k === KIND_SIGMA) {
      this.openComplexWord(text, i);
      this.push(mapper.sigmaAt(text, i, from, to), i, i + 1);
      this.cps++;
      return i + 1;
    }
    // KIND_COMPLEX: the mapped string may mix word characters, punctuation and spaces.
    const m = mapper.complex.get(cp) ?? String.fromCodePoint(cp);
    if (
      width === 2 &&
      m.length === 2 &&
      m.charCodeAt(0) === c &&
      m.charCodeAt(1) === text.charCodeAt(i + 1) &&
      (codePointFlags(cp) & (FLAG_PUNCTUATION | FLAG_WHITESPACE)) === 0
    ) {
      // An astral character that maps to itself (emoji, historic scripts): a simple word may stay simple.
      if (this.ws < 0) {
        this.ws = i;
        this.we = i;
        this.complex = false;
        this.upper = false;
        this.cps = 0;
      }
      if (this.complex || this.we !== i) {
        this.openComplexWord(text, i);
        this.push(c, i, i + 2);
        this.push(text.charCodeAt(i + 1), i, i + 2);
      }
      this.cps++;
      this.we = i + 2;
      return i + 2;
    }
    for (let j = 0; j < m.length; j++) {
      let u = m.charCodeAt(j);
      let uw = 1;
      if (isHigh(u) && j + 1 < m.length && isLow(m.charCodeAt(j + 1))) {
        u = ((u - 0xd800) << 10) + (m.charCodeAt(j + 1) - 0xdc00) + 0x10000;
        uw = 2;
      }
      const f = codePointFlags(u);
      if (f & (FLAG_WHITESPACE | FLAG_PUNCTUATION)) {
        this.endWord(text, out);
        if (f & FLAG_PUNCTUATION) {
          out.ids.push(this.maxChars >= 1 ? this.idOr(this.initial.get(m.slice(j, j + uw))) : this.unkId);
          out.starts.push(i);
          out.ends.push(i + width);
          out.words.push(this.word++);
        }
      } else {
        this.openComplexWord(text, i);
        this.push(m.charCodeAt(j), i, i + width);
        if (uw === 2) this.push(m.charCodeAt(j + 1), i, i + width);
        this.cps++;
      }
      j += uw - 1;
    }
    return i + width;
  }

  /** Id found in a table, or the unknown token's id. */
  private idOr(id: number): number {
    return id < 0 ? this.unkId : id;
  }

  /** Makes the word buffer hold at least `n` units (keeping its content). */
  private ensureCapacity(n: number): void {
    if (n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < n) size *= 2;
    const b = new Uint16Array(size);
    b.set(this.buf);
    this.buf = b;
    const s = new Int32Array(size);
    s.set(this.bufStart);
    this.bufStart = s;
    const e = new Int32Array(size);
    e.set(this.bufEnd);
    this.bufEnd = e;
  }

  /** Appends one normalized code unit with its original range to the word buffer. */
  private push(unit: number, start: number, end: number): void {
    const n = this.bufLen;
    if (n === this.buf.length) this.ensureCapacity(n + 1);
    this.buf[n] = unit;
    this.bufStart[n] = start;
    this.bufEnd[n] = end;
    this.bufLen = n + 1;
  }

  /** Moves a simple word `text[ws, we)` into the buffer (it is about to need alignments). */
  private toComplex(text: string, ws: number, we: number, upper: boolean): void {
    this.bufLen = 0;
    for (let j = ws; j < we; j++) {
      let u = text.charCodeAt(j);
      if (upper && u >= 65 && u <= 90) u += 32;
      // Both units of a surrogate pair point at the whole character.
      if (isHigh(u) && j + 1 < we && isLow(text.charCodeAt(j + 1))) {
        this.push(u, j, j + 2);
        this.push(text.charCodeAt(j + 1), j, j + 2);
        j++;
      } else {
        this.push(u, j, j + 1);
      }
    }
  }

  /** WordPiece on a finished simple word `text[ws, we)`; appends its tokens; returns the next word index. */
  private flushSimple(
    text: string,
    ws: number,
    we: number,
    upper: boolean,
    cps: number,
    out: RawSequence,
    word: number,
  ): number {
    // The word is copied to the buffer as code units (ASCII capitals lowercased).
    const n = we - ws;
    if (n > this.buf.length) this.ensureCapacity(n);
    const buf = this.buf;
    if (upper) {
      for (let j = 0; j < n; j++) {
        const u = text.charCodeAt(ws + j);
        buf[j] = u >= 65 && u <= 90 ? u + 32 : u;
      }
    } else {
      for (let j = 0; j < n; j++) buf[j] = text.charCodeAt(ws + j);
    }
    const count = cps > this.maxChars ? -1 : this.wordPiece(n);
    const ids = out.ids;
    const starts = out.starts;
    const ends = out.ends;
    const words = out.words;
    if (count < 0) {
      ids.push(this.unkId);
      starts.push(ws);
      ends.push(we);
      words.push(word);
      return word + 1;
    }
    for (let p = 0; p < count; p++) {
      ids.push(this.pieceIds[p] as number);
      starts.push(ws + (this.pieceStart[p] as number));
      ends.push(ws + (this.pieceEnd[p] as number));
      words.push(word);
    }
    return word + 1;
  }

  /** WordPiece on the finished word in the buffer (with alignments); returns the next word index. */
  private flushComplex(cps: number, out: RawSequence, word: number): number {
    const n = this.bufLen;
    if (n === 0) return word;
    const count = cps > this.maxChars ? -1 : this.wordPiece(n);
    const bufStart = this.bufStart;
    const bufEnd = this.bufEnd;
    if (count < 0) {
      out.ids.push(this.unkId);
      out.starts.push(bufStart[0] as number);
      out.ends.push(bufEnd[n - 1] as number);
      out.words.push(word);
      return word + 1;
    }
    for (let p = 0; p < count; p++) {
      out.ids.push(this.pieceIds[p] as number);
      out.starts.push(bufStart[this.pieceStart[p] as number] as number);
      out.ends.push(bufEnd[(this.pieceEnd[p] as number) - 1] as number);
      out.words.push(word);
    }
    return word + 1;
  }

  /**
   * Greedy longest-match-first WordPiece of the normalized word in `buf[0, n)`. Fills the piece
   * arrays and returns the number of pieces, or -1 when some part of the word matches nothing (the
   * word becomes one unknown token, as in Hugging Face). Candidate ends are code-point boundaries
   * no further than the longest vocabulary entry; their hashes come from one forward pass.
   */
  private wordPiece(n: number): number {
    const buf = this.buf;
    let start = 0;
    let count = 0;
    while (start < n) {
      const table = start === 0 ? this.initial : this.continuation;
      const maxLen = start === 0 ? this.maxInitial : this.maxContinuation;
      const limit = n - start > maxLen ? start + maxLen : n;
      if (limit - start > this.hashes.length) this.hashes = new Int32Array(limit - start);
      const hashes = this.hashes;
      let h = FNV_OFFSET;
      for (let j = start; j < limit; j++) {
        h = Math.imul(h ^ (buf[j] as number), FNV_PRIME);
        hashes[j - start] = h;
      }
      let end = limit;
      let id = -1;
      while (end > start) {
        // Only code-point boundaries: never between the two halves of a surrogate pair.
        if (!(end < n && isLow(buf[end] as number) && isHigh(buf[end - 1] as number))) {
          id = table.find(hashes[end - start - 1] as number, buf, start, end - start);
          if (id >= 0) break;
        }
        end--;
      }
      if (id < 0) return -1;
      if (count === this.pieceIds.length) this.growPieces();
      this.pieceIds[count] = id;
      this.pieceStart[count] = start;
      this.pieceEnd[count] = end;
      count++;
      start = end;
    }
    return count;
  }

  private growPieces(): void {
    const n = this.pieceIds.length * 2;
    const a = new Int32Array(n);
    a.set(this.pieceIds);
    this.pieceIds = a;
    const b = new Int32Array(n);
    b.set(this.pieceStart);
    this.pieceStart = b;
    const c = new Int32Array(n);
    c.set(this.pieceEnd);
    this.pieceEnd = c;
  }
}
