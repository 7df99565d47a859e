/**
 * The public surface of @bertweb/qa, pinned: adding or removing an export must change this list (and the
 * README / TSDoc that document it) on purpose.
 */
import { describe, expect, it } from 'vitest';
import { publicSurface, valueNames } from '../../core/src/test-utils/public-api.js';

const SURFACE = [
  'type Answer',
  'type AnswerOptions',
  'type AnswerRule',
  'createReader',
  'type Reader',
  'READER_DEFAULTS',
  'type ReaderOptions',
];

describe('@bertweb/qa public API', () => {
  it('exports exactly these names', () => {
    expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(SURFACE);
  });

  it('exports exactly these values at run time', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toEqual(valueNames(SURFACE));
  });
});
