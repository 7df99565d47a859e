/**
 * bertweb: BERT-family models on the client (WebGPU / WASM, Web Workers, Node).
 * Re-exports core and every head; `bertweb/worker` is the default worker entry.
 *
 * @example
 * ```ts
 * import { createTagger } from 'bertweb';
 * const tagger = await createTagger('/models/ner-ru-tiny/');
 * const [entities] = await tagger.tag(['Владимир Путин посетил Казань.']);
 * ```
 *
 * @packageDocumentation
 */

export * from '@bertweb/classify';
export * from '@bertweb/core';
// Heads re-export core helpers too; name the shared ones once to keep `export *` unambiguous.
export { isLoadedModel } from '@bertweb/core';
export * from '@bertweb/embeddings';
export * from '@bertweb/qa';
export * from '@bertweb/tagging';
export { defaultTasks } from './tasks.js';
