/**
 * @bertweb/tagging: word-level tagging (NER) with DeepPavlov semantics — words split with character
 * offsets, each word tagged from its first subtoken, optional CRF (Viterbi) decoding, BIO / BIOES / IO
 * entities with exact offsets, texts of any length in overlapping windows. The export list is
 * deliberate: `src/public-api.test.ts` pins it.
 *
 * @example
 * ```ts
 * import { createTagger } from '@bertweb/tagging';
 * const tagger = await createTagger('/models/ner-ru-tiny/');
 * const [entities] = await tagger.tag(['Анна живёт в Москве.']);
 * ```
 *
 * @packageDocumentation
 */
export { type Chunk, chunkSpans } from './chunks.js';
export type { CrfParams } from './crf.js';
export type { Entity } from './entities.js';
export type { TagScheme } from './scheme.js';
export {
  createTagger,
  type SubwordMaskMode,
  TAGGER_DEFAULTS,
  type Tagger,
  type TaggerEncoding,
  type TaggerOptions,
  type TagOptions,
  type TagWordsOptions,
  type WordTags,
} from './tagger.js';
export { type SplitWordsOptions, splitWords, type Word, type WordSplit } from './words.js';
