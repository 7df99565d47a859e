import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BertwebError } from '../errors.js';
import { DEFAULT_HUB_BASE_URL, HUB_BASE_URL_ENV, hubFileUrl, parseHubId } from './hub.js';
import { detectDroppedRoot, normalizeFileName } from './names.js';
import { parseSource, resolveSource } from './resolve.js';
import { rejection } from './test-utils/index.js';
import type { ProgressEvent } from './types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bertweb-resolve-'));
  await mkdir(join(dir, 'model', 'onnx'), { recursive: true });
  await writeFile(join(dir, 'model', 'config.json'), '{"model_type":"bert","hidden_size":8}');
  await writeFile(join(dir, 'model', 'onnx', 'model.onnx'), new Uint8Array([1, 2, 3, 4]));
  await writeFile(join(dir, 'model', 'bad.json'), '{nope');
  await mkdir(join(dir, 'owner', 'name'), { recursive: true });
  await writeFile(join(dir, 'owner', 'name', 'config.json'), '{"local":true}');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BertwebError ? error.code : 'not a BertwebError';
  }
  return undefined;
}

describe('hub ids', () => {
  it('parses owner/name with optional revision and rejects other shapes', () => {
    expect(parseHubId('DeepPavlov/rubert-base-cased')).toEqual({ repo: 'DeepPavlov/rubert-base-cased' });
    expect(parseHubId('a/b@v1.0')).toEqual({ repo: 'a/b', revision: 'v1.0' });
    expect(parseHubId('a/b@refs/pr/1')).toEqual({ repo: 'a/b', revision: 'refs/pr/1' });
    for (const bad of ['a', 'a/b/c', './a/b', '/a/b', 'a/.b', 'a/b@', '../x', 'a b/c']) {
      expect(parseHubId(bad)).toBeUndefined();
    }
  });

  it('builds resolve URLs with the revision and an encoded file path', () => {
    const ref = { repo: 'o/m', revision: 'refs/pr/1', baseUrl: 'http://mirror.test/hf' };
    expect(hubFileUrl(ref, 'onnx/model q.onnx')).toBe(
      'http://mirror.test/hf/o/m/resolve/refs%2Fpr%2F1/onnx/model%20q.onnx',
    );
  });

  it('takes base URL and revision from the source, then options, then the environment, then defaults', () => {
    expect(parseSource('o/m')).toEqual({
      kind: 'hub',
      ref: { repo: 'o/m', revision: 'main', baseUrl: DEFAULT_HUB_BASE_URL },
    });
    expect(parseSource('o/m', { revision: 'dev', hubBaseUrl: 'http://h.test/' })).toEqual({
      kind: 'hub',
      ref: { repo: 'o/m', revision: 'dev', baseUrl: 'http://h.test' },
    });
    expect(parseSource('o/m@v2', { revision: 'dev' })).toMatchObject({ ref: { revision: 'v2' } });
    expect(
      parseSource({ hub: 'o/m@v2', revision: 'v3', baseUrl: 'http://x.test' }, { hubBaseUrl: 'http://y.test' }),
    ).toEqual({ kind: 'hub', ref: { repo: 'o/m', revision: 'v3', baseUrl: 'http://x.test' } });
    vi.stubEnv(HUB_BASE_URL_ENV, 'http://env.test/');
    expect(parseSource('o/m')).toMatchObject({ ref: { baseUrl: 'http://env.test' } });
    expect(parseSource('o/m', { hubBaseUrl: 'http://opt.test' })).toMatchObject({
      ref: { baseUrl: 'http://opt.test' },
    });
    vi.unstubAllEnvs();
    expect(codeOf(() => parseSource('o/m', { hubBaseUrl: 'ftp://x' }))).toBe('INPUT_INVALID');
    expect(codeOf(() => parseSource({ hub: 'not a hub id' }))).toBe('INPUT_INVALID');
  });

  it('gives hub sources a readable id and the hub file URLs', () => {
    expect(resolveSource('o/m', { cache: false }).id).toBe('o/m@main');
    expect(resolveSource('o/m@v1', { cache: false, hubBaseUrl: 'http://h.test' }).id).toBe('http://h.test/o/m@v1');
  });
});

describe('parseSource', () => {
  it('reads http(s) URLs as folders (adding the trailing slash) and file: URLs as local folders', () => {
    expect(parseSource('https://cdn.test/models/tiny')).toEqual({ kind: 'url', url: 'https://cdn.test/models/tiny/' });
    expect(parseSource(new URL('http://cdn.test/m/#x'))).toEqual({ kind: 'url', url: 'http://cdn.test/m/' });
    expect(parseSource({ url: 'http://cdn.test/m/' })).toEqual({ kind: 'url', url: 'http://cdn.test/m/' });
    expect(parseSource(pathToFileURL(join(dir, 'model')).href)).toEqual({ kind: 'local', path: join(dir, 'model') });
    expect(codeOf(() => parseSource('ftp://x.test/m'))).toBe('INPUT_INVALID');
    expect(codeOf(() => parseSource(''))).toBe('INPUT_INVALID');
    expect(codeOf(() => parseSource({} as never))).toBe('INPUT_INVALID');
  });

  it('reads paths as local folders in Node, and owner/name as local only when that folder exists', () => {
    expect(parseSource('./model')).toEqual({ kind: 'local', path: resolve('model') });
    expect(parseSource('/abs/a/b')).toEqual({ kind: 'local', path: '/abs/a/b' });
    expect(parseSource({ path: 'x' })).toEqual({ kind: 'local', path: resolve('x') });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(parseSource('owner/name')).toEqual({ kind: 'local', path: join(dir, 'owner', 'name') });
      expect(parseSource('owner/other')).toMatchObject({ kind: 'hub' });
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('local folder sources', () => {
  it('reads bytes, text and JSON, reports existence and progress', async () => {
    const events: ProgressEvent[] = [];
    const files = resolveSource(join(dir, 'model'), { onProgress: (e) => events.push(e) });
    expect(files.id).toBe(join(dir, 'model'));
    expect(await files.json('config.json')).toEqual({ model_type: 'bert', hidden_size: 8 });
    expect(await files.bytes('onnx/model.onnx')).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(await files.exists('onnx/model.onnx')).toBe(true);
    expect(await files.exists('onnx')).toBe(false);
    expect(await files.exists('tokenizer.json')).toBe(false);
    expect(events.filter((e) => e.file === 'onnx/model.onnx').map((e) => [e.status, e.loaded, e.total])).toEqual([
      ['initiate', 0, 0],
      ['progress', 4, 4],
      ['done', 4, 4],
    ]);
  });

  it('maps missing files to MODEL_NOT_FOUND, bad JSON to MODEL_INVALID, escapes to INPUT_INVALID', async () => {
    const files = resolveSource(join(dir, 'model'));
    const missing = await rejection(files.bytes('vocab.txt'));
    expect(missing.code).toBe('MODEL_NOT_FOUND');
    expect(missing.message).toContain('"vocab.txt"');
    expect(missing.message).toContain(join(dir, 'model'));
    const bad = await rejection(files.json('bad.json'));
    expect(bad.code).toBe('MODEL_INVALID');
    expect(bad.message).toContain('"bad.json"');
    const outside = await rejection(files.bytes('../owner/name/config.json'));
    expect(outside.code).toBe('INPUT_INVALID');
    const gone = await rejection(resolveSource({ path: join(dir, 'nowhere') }).text('config.json'));
    expect(gone.code).toBe('MODEL_NOT_FOUND');
  });

  it('honours an aborted signal', async () => {
    const files = resolveSource(join(dir, 'model'));
    const error = await rejection(files.bytes('config.json', { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ABORTED');
  });
});

describe('file map sources', () => {
  it('reads Uint8Array, ArrayBuffer and Blob values and strips the dropped folder', async () => {
    const events: ProgressEvent[] = [];
    const files = resolveSource(
      {
        files: {
          'mymodel/config.json': new Blob(['{"model_type":"distilbert"}']),
          'mymodel\\onnx\\model.onnx': new Uint8Array([9, 8]).buffer,
          'mymodel/vocab.txt': new TextEncoder().encode('[PAD]\n[UNK]\n'),
        },
        name: 'dropped',
      },
      { onProgress: (e) => events.push(e) },
    );
    expect(files.id).toBe('files:dropped');
    expect(await files.json('config.json')).toEqual({ model_type: 'distilbert' });
    expect(await files.bytes('onnx/model.onnx')).toEqual(new Uint8Array([9, 8]));
    expect(await files.text('./vocab.txt')).toBe('[PAD]\n[UNK]\n');
    expect(await files.exists('onnx/model.onnx')).toBe(true);
    expect(await files.exists('mymodel/config.json')).toBe(false);
    expect(events.at(-1)).toEqual({ status: 'done', file: 'vocab.txt', loaded: 12, total: 12 });
    const missing = await rejection(files.bytes('tokenizer.json'));
    expect(missing.code).toBe('MODEL_NOT_FOUND');
    expect(missing.message).toContain('files:dropped');
  });

  it('rejects values that are not bytes', () => {
    expect(codeOf(() => resolveSource({ files: { 'config.json': 'text' as never } }))).toBe('INPUT_INVALID');
  });
});

describe('file names', () => {
  it('normalizes separators and dots and refuses to leave the folder', () => {
    expect(normalizeFileName('onnx\\model.onnx')).toBe('onnx/model.onnx');
    expect(normalizeFileName('./a//b/./c.json')).toBe('a/b/c.json');
    for (const bad of ['', '  ', '../x', 'a/../../x', '/etc/passwd', '.']) {
      expect(codeOf(() => normalizeFileName(bad))).toBe('INPUT_INVALID');
    }
  });

  it('finds the dropped root from the shallowest marker file, only when every file is under it', () => {
    expect(detectDroppedRoot(['m/config.json', 'm/onnx/model.onnx', 'm/1_Pooling/config.json'])).toBe('m/');
    expect(detectDroppedRoot(['a/b/vocab.txt', 'a/b/onnx/model.onnx'])).toBe('a/b/');
    expect(detectDroppedRoot(['config.json', 'onnx/model.onnx'])).toBe('');
    expect(detectDroppedRoot(['onnx/model.onnx'])).toBe('');
    expect(detectDroppedRoot(['1_Pooling/config.json', 'onnx/model.onnx'])).toBe('');
  });
});
