/**
 * The public surface of @bertweb/tagging, pinned: adding or removing an export must change this list (and the
 * README / TSDoc that document it) on purpose.
 */
import { describe, expect, it } from 'vitest';
import { publicSurface, valueNames } from '../../core/src/test-utils/public-api.js';

const SURFACE = [
  'type Chunk',
  'chunkSpans',
  'createTagger',
  'type CrfParams',
  'type Entity',
  'splitWords',
  'type SplitWordsOptions',
  'type SubwordMaskMode',
  'type Tagger',
  'TAGGER_DEFAULTS',
  'type TaggerEncoding',
  'type TaggerOptions',
  'type TagOptions',
  'type TagScheme',
  'type TagWordsOptions',
  'type Word',
  'type WordSplit',
  'type WordTags',
];

describe('@bertweb/tagging public API', () => {
  it('exports exactly these names', () => {
    expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(SURFACE);
  });

  it('exports exactly these values at run time', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toEqual(valueNames(SURFACE));
  });
});
