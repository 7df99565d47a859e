import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from '../test-utils/index.js';
import { LocalModelFiles } from './local-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bertweb-local-'));
  await writeFile(join(dir, 'config.json'), '{"model_type":"bert"}');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalModelFiles', () => {
  it('reads files, and has nothing to evict (a folder gives the same bytes every time)', async () => {
    const files = new LocalModelFiles(dir);
    expect(await files.json('config.json')).toEqual({ model_type: 'bert' });
    expect(await files.evict('config.json')).toBeUndefined();
  });

  it('reports a file that exists but cannot be read (EIO) as MODEL_NOT_FOUND with the reason, never INTERNAL', async () => {
    // The source reaches fs through process.getBuiltinModule: the CommonJS module object, patchable here.
    const fsp = process.getBuiltinModule('node:fs/promises');
    const original = fsp.readFile;
    fsp.readFile = (async () => {
      throw Object.assign(new Error('i/o error'), { code: 'EIO' });
    }) as typeof fsp.readFile;
    try {
      const error = await rejection(new LocalModelFiles(dir).bytes('config.json'));
      expect(error.code).toBe('MODEL_NOT_FOUND');
      expect(error.details).toMatchObject({ file: 'config.json', reason: 'EIO' });
      expect(error.message).toContain('could not be read');
    } finally {
      fsp.readFile = original;
    }
  });
});
