/**
 * @bertweb/qa: extractive question answering (SQuAD 1.1 / 2.0) over contexts of any length, with
 * answers as exact UTF-16 offsets into the original context. The export list is deliberate:
 * `src/public-api.test.ts` pins it.
 *
 * @example
 * ```ts
 * import { createReader } from '@bertweb/qa';
 * const reader = await createReader('distilbert/distilbert-base-cased-distilled-squad');
 * const { text, start, end, score } = await reader.answer('Where is the tower?', 'The tower is in Paris.');
 * ```
 *
 * @packageDocumentation
 */
export { createReader, READER_DEFAULTS, type Reader } from './reader.js';
export type { Answer, AnswerOptions, AnswerRule, ReaderOptions } from './types.js';
