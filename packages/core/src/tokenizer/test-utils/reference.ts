/**
 * Test helpers: reference tokenizers (@huggingface/tokenizers, built from the same files), small
 * synthetic tokenizer.json files, and an offsets checker that states what "correct offsets" means.
 */

import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { Encoding } from '../types.js';
import type { WordPieceTokenizer } from '../wordpiece-tokenizer.js';

type Json = Record<string, unknown>;

/** The reference: @huggingface/tokenizers' Tokenizer over the same tokenizer.json. */
export function referenceTokenizer(json: Json, config: Json = {}): HfTokenizer {
  return new HfTokenizer(structuredClone(json), config);
}

/** A copy of a tokenizer.json with BertNormalizer flags changed. */
export function withNormalizer(json: Json, patch: Json): Json {
  return { ...json, normalizer: { ...(json.normalizer as Json), ...patch } };
}

/** A copy of a tokenizer.json with its WordPiece vocabulary replaced (`vocab.txt` lines, id = line). */
export function withVocabLines(json: Json, lines: readonly string[]): Json {
  const vocab: Record<string, number> = {};
  lines.forEach((token, id) => {
    vocab[token] = id;
  });
  return { ...json, model: { ...(json.model as Json), vocab } };
}

/** A BERT tokenizer.json (all-MiniLM-L6-v2 layout) over a given vocabulary. */
export function bertTokenizerJson(vocabLines: readonly string[], normalizer: Json = {}): Json {
  const id = (t: string) => vocabLines.indexOf(t);
  const special = (content: string) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return withVocabLines(
    {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((t) => id(t) >= 0).map(special),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: null,
        lowercase: true,
        ...normalizer,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: '[SEP]', type_id: 1 } },
        ],
        special_tokens: {
          '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
          '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
        },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: {},
      },
    },
    vocabLines,
  );
}

/** Code points HF Rust pads as CJK but tokenizers.js (code-unit check) does not: the astral blocks. */
export function isAstralCjk(cp: number): boolean {
  return (
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * The text as Hugging Face (Rust) sees it for CJK: astral ideographs surrounded by spaces, which
 * tokenizers.js forgets to do. Feeding this to tokenizers.js gives the Rust ids.
 */
export function padAstralCjk(text: string): string {
  let out = '';
  for (const ch of text) out += isAstralCjk(ch.codePointAt(0) as number) ? ` ${ch} ` : ch;
  return out;
}

const normalizeMemo = new WeakMap<WordPieceTokenizer, Map<string, string>>();

/** `tok.normalize(text)`, memoized (corpora repeat the same words over and over). */
function normalized(tok: WordPieceTokenizer, text: string): string {
  let memo = normalizeMemo.get(tok);
  if (!memo) {
    memo = new Map();
    normalizeMemo.set(tok, memo);
  }
  let out = memo.get(text);
  if (out === undefined) {
    out = tok.normalize(text);
    if (memo.size > 500_000) memo.clear();
    memo.set(text, out);
  }
  return out;
}

/** Tokens of one sequence of an encoding (special tokens left out). */
function sequenceTokens(enc: Encoding, sequence: number): number[] {
  const indices: number[] = [];
  for (let t = 0; t < enc.ids.length; t++) if (enc.sequenceIds[t] === sequence) indices.push(t);
  return indices;
}

/**
 * Everything wrong with the offsets of one sequence of `enc` (empty when correct):
 * - in bounds, start <= end, starts and ends non-decreasing;
 * - special tokens (post-processor) at [0, 0];
 * - each group of tokens of one word whose ranges overlap (several pieces of one input character,
 *   e.g. Hangul jamo) spells the normalized input slice: `normalize(text.slice(start, end))`
 *   without spaces equals the pieces joined without `##` (unknown tokens excepted; an added token
 *   must equal its raw slice);
 * - with `complete`, every input character that normalizes to something is inside some token;
 *   without it (a truncation window) the groups at the window's edges may be cut.
 */
export function offsetProblems(
  tok: WordPieceTokenizer,
  text: string,
  enc: Encoding,
  sequence = 0,
  complete = true,
): string[] {
  const problems: string[] = [];
  const unk = tok.specialTokens.unk.id;
  for (let t = 0; t < enc.ids.length; t++) {
    if (enc.specialTokensMask[t] === 1 && (enc.offsets[t]?.[0] !== 0 || enc.offsets[t]?.[1] !== 0)) {
      problems.push(`special token ${t} has offsets ${enc.offsets[t]}`);
    }
  }
  const indices = sequenceTokens(enc, sequence);
  let prevStart = 0;
  let prevEnd = 0;
  for (const t of indices) {
    const [s, e] = enc.offsets[t] as [number, number];
    if (s < 0 || e > text.length || s > e) problems.push(`token ${t} offsets [${s}, ${e}) out of bounds`);
    if (s < prevStart || e < prevEnd) problems.push(`token ${t} offsets [${s}, ${e}) go backwards`);
    prevStart = s;
    prevEnd = e;
  }
  // Groups: consecutive tokens of one word with overlapping ranges.
  let k = 0;
  while (k < indices.length) {
    const first = indices[k] as number;
    const word = enc.wordIds[first];
    let [gs, ge] = enc.offsets[first] as [number, number];
    const members = [first];
    let j = k + 1;
    while (j < indices.length) {
      const t = indices[j] as number;
      const [s, e] = enc.offsets[t] as [number, number];
      if (enc.wordIds[t] !== word || s >= ge) break;
      members.push(t);
      ge = Math.max(ge, e);
      j++;
    }
    const unknown = members.some((t) => enc.ids[t] === unk);
    // An added token ([SEP] typed in the text) is matched on the raw input: it equals its slice.
    const addedToken = members.length === 1 && text.slice(gs, ge) === enc.tokens[first];
    if (!unknown && !addedToken) {
      const pieces = members
        // '#' is punctuation, so no word-initial piece can start with '##': strip it from any piece
        // (a window may begin in the middle of a word).
        .map((t) => {
          const token = enc.tokens[t] as string;
          return token.startsWith('##') ? token.slice(2) : token;
        })
        .join('');
      // Final sigma depends on the surrounding text, which a slice lacks: compare σ and ς as equal.
      const spelled = normalized(tok, text.slice(gs, ge)).replace(/\s/gu, '');
      const want = spelled.replaceAll('ς', 'σ');
      const got = pieces.replaceAll('ς', 'σ');
      // A truncation window may cut a character's pieces (İ -> i + U+0307) at its edges.
      const cutAtStart = !complete && k === 0 && want.endsWith(got);
      const cutAtEnd = !complete && j === indices.length && want.startsWith(got);
      if (want !== got && !cutAtStart && !cutAtEnd) {
        problems.push(
          `tokens ${members.join(',')} ${JSON.stringify(pieces)} but input [${gs}, ${ge}) ${JSON.stringify(text.slice(gs, ge))} normalizes to ${JSON.stringify(spelled)}`,
        );
      }
    }
    k = j;
  }
  if (complete) {
    const covered = new Uint8Array(text.length + 1);
    for (const t of indices) {
      const [s, e] = enc.offsets[t] as [number, number];
      for (let i = s; i < e; i++) covered[i] = 1;
    }
    for (let i = 0; i < text.length; ) {
      const width = (text.codePointAt(i) as number) > 0xffff ? 2 : 1;
      if (!covered[i] && normalized(tok, text.slice(i, i + width)).trim() !== '') {
        problems.push(`character ${i} ${JSON.stringify(text.slice(i, i + width))} is in no token`);
      }
      i += width;
    }
  }
  return problems;
}

/**
 * A small vocabulary for tests that must run without ../shared/data: BERT specials, ASCII,
 * Cyrillic and Greek letters with their `##` forms, a few words, punctuation, CJK and accents.
 */
export function syntheticVocabLines(): string[] {
  const lines = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const seen = new Set(lines);
  const add = (t: string) => {
    if (!seen.has(t)) {
      seen.add(t);
      lines.push(t);
    }
  };
  const letters = [
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
    'абвгдежзийклмнопрстуфхцчшщъыьэюяёАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЁ',
    'αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩάέήίόύώ',
    'éèêëàâäôöûüçñåøæßıİ',
  ].join('');
  for (const c of letters) add(c);
  for (const c of letters) add(`##${c}`);
  for (const w of ['the', 'hello', 'world', 'un', '##aff', '##able', '##ing', 'привет', 'мир', 'οδος', 'ñandú']) add(w);
  for (const c of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—–…‘’“”') add(c);
  for (const c of '中国人的生活大学𠀀𠀁') add(c);
  for (const c of '\u0301\u0307\u0308') add(`##${c}`);
  add('😀');
  add('##😀');
  return lines;
}
