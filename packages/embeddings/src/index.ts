/**
 * @bertweb/embeddings: token, subtoken and sentence embeddings (DeepPavlov's embedder outputs and
 * sentence-transformers pooling), cosine similarity and an exact in-memory vector index. The export
 * list is deliberate: `src/public-api.test.ts` pins it.
 *
 * @example
 * ```ts
 * import { createEmbedder, VectorIndex } from '@bertweb/embeddings';
 * const embedder = await createEmbedder('sentence-transformers/all-MiniLM-L6-v2', { normalize: true });
 * const docs = await embedder.embed(['Paris is in France.', 'Cats sleep a lot.']);
 * const index = new VectorIndex(docs.dim);
 * index.addMany(['paris', 'cats'], docs);
 * index.search((await embedder.embed(['capital of France'])).data, 1); // [{ id: 'paris', score }]
 * ```
 *
 * @packageDocumentation
 */
export { createEmbedder, EMBEDDER_DEFAULTS, type Embedder } from './embedder.js';
export type { SearchKernel } from './search/kernels.js';
export { type SimilarityMatrix, similarity, similarityMatrix } from './similarity.js';
export { type ScoredIndex, topK } from './top-k.js';
export type {
  DetailedEmbedding,
  EmbedderOptions,
  EmbeddingMatrix,
  Embeddings,
  EmbedOptions,
  LongTextMode,
  Pooling,
} from './types.js';
export {
  type SearchHit,
  type VectorId,
  VectorIndex,
  type VectorIndexMemory,
  type VectorIndexOptions,
} from './vector-index.js';
