/** The heads the default worker serves, by task name. */
import { createClassifier, createRanker } from '@bertweb/classify';
import { createEmbedder } from '@bertweb/embeddings';
import { createReader } from '@bertweb/qa';
import { createTagger } from '@bertweb/tagging';

/**
 * Task name -> factory. Type the client with it: `connect<typeof defaultTasks>(worker)`.
 *
 * @example
 * ```ts
 * import type { defaultTasks } from 'bertweb';
 * const client = connect<typeof defaultTasks>(new Worker(new URL('bertweb/worker', import.meta.url), { type: 'module' }));
 * const tagger = await client.create('tagger', 'DeepPavlov/rubert-base-cased-ner');
 * ```
 */
export const defaultTasks = {
  tagger: createTagger,
  classifier: createClassifier,
  ranker: createRanker,
  reader: createReader,
  embedder: createEmbedder,
} as const;
