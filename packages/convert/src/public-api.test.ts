/**
 * The public surface of @bertweb/convert, pinned: adding or removing an export must change this list (and the
 * README / TSDoc that document it) on purpose.
 */
import { describe, expect, it } from 'vitest';
import { publicSurface, valueNames } from '../../core/src/test-utils/public-api.js';

const SURFACE = [
  'type BaseModelFiles',
  'type ByteSource',
  'type Chunk',
  'convert',
  'CONVERTER_VERSION',
  'convertFiles',
  'type ConvertFilesOptions',
  'type ConvertOptions',
  'type ConvertProgress',
  'type ConvertSummary',
  'type EncoderConfig',
  'type FileContent',
  'type LazyBytes',
  'modelConverter',
  'type NodeConvertOptions',
  'type NodeConvertResult',
  'openFileSource',
  'type OutputSink',
  'parseTask',
  'Q8_MODES',
  'type Q8Mode',
  'unpackArchive',
  'writeChunks',
];

describe('@bertweb/convert public API', () => {
  it('exports exactly these names', () => {
    expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(SURFACE);
  });

  it('exports exactly these values at run time', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toEqual(valueNames(SURFACE));
  });
});
