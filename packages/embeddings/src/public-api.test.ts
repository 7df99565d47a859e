/**
 * The public surface of @bertweb/embeddings, pinned: adding or removing an export must change this list (and the
 * README / TSDoc that document it) on purpose.
 */
import { describe, expect, it } from 'vitest';
import { publicSurface, valueNames } from '../../core/src/test-utils/public-api.js';

const SURFACE = [
  'createEmbedder',
  'type DetailedEmbedding',
  'type Embedder',
  'EMBEDDER_DEFAULTS',
  'type EmbedderOptions',
  'type EmbeddingMatrix',
  'type Embeddings',
  'type EmbedOptions',
  'type LongTextMode',
  'type Pooling',
  'type ScoredIndex',
  'type SearchHit',
  'type SearchKernel',
  'similarity',
  'similarityMatrix',
  'type SimilarityMatrix',
  'topK',
  'type VectorId',
  'VectorIndex',
  'type VectorIndexMemory',
  'type VectorIndexOptions',
];

describe('@bertweb/embeddings public API', () => {
  it('exports exactly these names', () => {
    expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(SURFACE);
  });

  it('exports exactly these values at run time', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toEqual(valueNames(SURFACE));
  });
});
