/**
 * The public surface of @bertweb/convert, pinned: adding or removing an export must change this list (and the
 * README / TSDoc that document it) on purpose.
 */
import { describe, expect, it } from 'vitest';
import { publicSurface, valueNames } from '../../core/src/test-utils/public-api.js';

const SURFACE = [
  'type BaseModelFiles',
  'convert',
  'convertFiles',
  'type ConvertFilesOptions',
  'type ConvertOptions',
  'type ConvertProgress',
  'type ConvertSummary',
  'type EncoderConfig',
  'type FileContent',
  'type NodeConvertOptions',
  'type NodeConvertResult',
  'parseTask',
  'type Q8Mode',
  'unpackArchive',
];

describe('@bertweb/convert public API', () => {
  it('exports exactly these names', () => {
    expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(SURFACE);
  });

  it('exports exactly these values at run time', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toEqual(valueNames(SURFACE));
  });
});
