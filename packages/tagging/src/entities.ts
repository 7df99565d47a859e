/** Word tags -> entities with character offsets into the original text. */
import { chunkSpans } from './chunks.js';
import type { ParsedTag } from './scheme.js';
import type { Word } from './words.js';

/**
 * A named entity found in a text. `text === input.slice(start, end)` (UTF-16 code units).
 *
 * @example
 * ```ts
 * const [[entity]] = await tagger.tag(['Anna lives in Paris.']);
 * entity; // { text: 'Anna', label: 'PER', start: 0, end: 4, score: 0.93 }
 * ```
 */
export interface Entity {
  readonly text: string;
  /** Entity type without the scheme prefix (`PER`, not `B-PER`). */
  readonly label: string;
  readonly start: number;
  readonly end: number;
  /** Mean over the entity's words of the probability of each word's chosen tag. */
  readonly score: number;
}

/**
 * Merges word tags into entities (seqeval rules: an `I-` without `B-` starts an entity, a type change
 * or `E-`/`S-` ends one). The entity spans from its first word's start to its last word's end, so
 * whatever lies between the words (spaces, joiners) is part of its text.
 *
 * @example
 * ```ts
 * const text = 'Anna Karenina met Vronsky';
 * const words = splitWords(text);
 * const tags = parseTags(['B-PER', 'I-PER', 'O', 'B-PER'], 'BIO');
 * entitiesFromTags(text, words, tags, new Float32Array([0.9, 0.7, 0.99, 0.8]));
 * // [{ text: 'Anna Karenina', label: 'PER', start: 0, end: 13, score: 0.8 }, { text: 'Vronsky', ... }]
 * ```
 */
export function entitiesFromTags(
  text: string,
  words: readonly Word[],
  tags: readonly ParsedTag[],
  scores: ArrayLike<number>,
): Entity[] {
  const chunks = chunkSpans(
    tags.map((t) => t.prefix),
    tags.map((t) => t.type),
  );
  return chunks.map(({ type, first, last }) => {
    const start = (words[first] as Word).start;
    const end = (words[last] as Word).end;
    let sum = 0;
    for (let i = first; i <= last; i++) sum += scores[i] as number;
    return { text: text.slice(start, end), label: type, start, end, score: sum / (last - first + 1) };
  });
}
