/**
 * @bertweb/tagging: word-level tagging (NER) with DeepPavlov semantics — words split with character
 * offsets, each word tagged from its first subtoken, optional CRF (Viterbi) decoding, BIO / BIOES / IO
 * entities with exact offsets, texts of any length in overlapping windows — plus seqeval-style
 * entity metrics and readers for CoNLL and factRuEval-2016 data.
 *
 * @packageDocumentation
 */
export { type Chunk, chunkSpans } from './chunks.js';
export { type CrfParams, type DecodeScores, decodeScores, parseCrf, viterbi } from './crf.js';
export { type DecodedWords, type Decoder, decodeWords, makeDecoder } from './decode.js';
export { type Entity, entitiesFromTags } from './entities.js';
export { type PreparedSequence, prepareSequence, windowEncoding, wordsFromStrings } from './inputs.js';
export { WordPieceCache } from './pieces.js';
export {
  type AllowedMoves,
  allowedMoves,
  detectScheme,
  type ParsedTag,
  parseTag,
  parseTags,
  type TagScheme,
} from './scheme.js';
export {
  createTagger,
  TAGGER_DEFAULTS,
  type Tagger,
  type TaggerEncoding,
  type TaggerOptions,
  type TagOptions,
  type TagWordsOptions,
  type WordTags,
} from './tagger.js';
export { planWindows, type WindowPlan, type WordWindow } from './windows.js';
export { splitWords, type Word } from './words.js';
