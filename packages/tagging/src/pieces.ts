/** Per-word subtokens for tagging, DeepPavlov's rule: too many pieces (or none) -> one [UNK]. */
import type { Tokenizer, WordPieces } from '@bertweb/core';

/** Bounded so a long-running tagger does not grow without limit on an open vocabulary. */
const CACHE_LIMIT = 50_000;

/**
 * Tokenizes words one at a time and caches the result. A word with more than `maxPieces` pieces, or
 * with none at all (only characters the normalizer deletes), becomes a single `[UNK]` covering the
 * whole word, as in DeepPavlov's `torch_transformers_ner_preprocessor` (`max_subword_length`).
 *
 * @example
 * ```ts
 * const pieces = new WordPieceCache(tokenizer, 15);
 * pieces.get('playing').tokens; // ['playing']
 * ```
 */
export class WordPieceCache {
  readonly #tokenizer: Tokenizer;
  readonly #maxPieces: number;
  #cache = new Map<string, WordPieces>();

  constructor(tokenizer: Tokenizer, maxPieces: number) {
    this.#tokenizer = tokenizer;
    this.#maxPieces = maxPieces;
  }

  /** Pieces of one word (1 to `maxPieces` of them). */
  get(word: string): WordPieces {
    const cached = this.#cache.get(word);
    if (cached) return cached;
    let pieces = this.#tokenizer.tokenizeWord(word);
    if (pieces.ids.length === 0 || pieces.ids.length > this.#maxPieces) {
      const { token, id } = this.#tokenizer.specialTokens.unk;
      pieces = { tokens: [token], ids: [id], offsets: [[0, word.length]] };
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache = new Map();
    this.#cache.set(word, pieces);
    return pieces;
  }
}
