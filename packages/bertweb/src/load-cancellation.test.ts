// Issue 15 reproducer: when a head's factory (createTagger, any head) rejected, the other downloads it
// had started kept running and writing the cache. Each head is created from the fault-injecting model
// server (packages/core/src/sources/test-utils) with the bodies throttled, so that vocab.txt and the
// ONNX file are mid-body when the load fails; once the factory rejected, no response may stay in
// flight, the ONNX file must not have been sent whole, the cache must not hold it (what it holds is intact), and
// the cache folder no `.tmp` file. Failures: a model file that stalls (NETWORK) for every head, and for
// the tagger its own crf.json, stalled (NETWORK) or corrupt on both tries (MODEL_INVALID after the
// repair).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ModelServer,
  rejection,
  type ServerFault,
  startModelServer,
} from '../../core/src/sources/test-utils/index.js';
import {
  createClassifier,
  createEmbedder,
  createReader,
  createTagger,
  FolderModelCache,
  MemoryModelCache,
} from './index.js';

const FIXTURES = new URL('../../../models/fixtures/', import.meta.url).pathname;

/** 300 KB/s: vocab.txt (231 KB) and the ONNX file (540 KB) take 0.8 s and 1.8 s. */
const THROTTLE = 300_000;
const OPTIONS = { backend: 'wasm', retries: 0, retryDelayMs: 1, stallTimeoutMs: 300 } as const;

type Factory = (source: string, options: object) => Promise<{ dispose(): Promise<void> }>;

const HEADS: readonly [string, string, Factory][] = [
  ['createTagger', 'bert-token-cls', createTagger as Factory],
  ['createClassifier', 'bert-seq-cls', createClassifier as Factory],
  ['createReader', 'bert-qa', createReader as Factory],
  ['createEmbedder', 'bert-base', createEmbedder as Factory],
];

interface Case {
  readonly title: string;
  readonly fixture: string;
  readonly create: Factory;
  readonly file: string;
  readonly fault: Omit<ServerFault, 'path'>;
  readonly code: string;
  readonly cache: 'folder' | 'memory';
}

type Failure = readonly [name: string, file: string, fault: Omit<ServerFault, 'path'>, code: string];

const FAILURES: readonly Failure[] = [
  ...HEADS.map(([name]): Failure => [name, 'config.json', { kind: 'stall', afterBytes: 0 }, 'NETWORK']),
  ['createTagger', 'crf.json', { kind: 'hang' }, 'NETWORK'],
  ['createTagger', 'crf.json', { kind: 'flip', offset: 0 }, 'MODEL_INVALID'],
];

const CASES: readonly Case[] = FAILURES.flatMap(([name, file, fault, code]) => {
  const [, fixture, create] = HEADS.find(([n]) => n === name) as (typeof HEADS)[number];
  return (['folder', 'memory'] as const).map((cache) => ({
    title: `${name} (${fixture}): ${file} ${fault.kind === 'flip' ? 'corrupt on every try' : `${fault.kind}s`} -> ${code} (${cache} cache)`,
    fixture,
    create,
    file,
    fault,
    code,
    cache,
  }));
});

let server: ModelServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function filesOf(folder: string): Record<string, Uint8Array> {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [relative(folder, full).split('\\').join('/')];
    });
  const files: Record<string, Uint8Array> = {};
  for (const file of walk(folder)) if (file !== 'reference.json') files[`m/${file}`] = readFileSync(join(folder, file));
  return files;
}

describe('a head factory that rejects stops the downloads it started', () => {
  it.each(CASES)('$title', async ({ fixture, create, file, fault, code, cache: cacheKind }) => {
    const files = filesOf(`${FIXTURES}${fixture}`);
    server = await startModelServer({
      files,
      throttleBytesPerSec: THROTTLE,
      faults: [{ ...fault, path: `m/${file}` }],
    });
    const dir = await mkdtemp(join(tmpdir(), 'bertweb-head-cancel-'));
    dirs.push(dir);
    const cache = cacheKind === 'folder' ? new FolderModelCache(dir) : new MemoryModelCache();
    const base = `${server.url}m/`;

    const error = await rejection(create(base, { ...OPTIONS, cache }));
    expect(error.code, error.message).toBe(code);
    // A corrupt crf.json was discarded and fetched once more before the load gave up (and says so).
    if (fault.kind === 'flip') expect(error.details?.refetched).toEqual([file]);
    const atRejection = (await cache.list()).map((e) => e.url).sort();
    // Nothing of the load is still running: every response closed (the server would wait on a reader).
    await server.idle(3_000);
    const onnx = server.requests.filter((r) => r.method === 'GET' && r.path === 'm/onnx/model.onnx');
    expect(onnx.length, 'precondition: the ONNX download had started').toBeGreaterThan(0);
    for (const request of onnx) expect(request.completed, 'the ONNX file was sent whole').toBe(false);
    const cached = (await cache.list()).map((e) => e.url).sort();
    expect(cached, 'the cache changed after the rejection').toEqual(atRejection);
    expect(cached.filter((url) => /model\.onnx/.test(url))).toEqual([]);
    // What stayed (files validated before the failure) is byte for byte the original.
    for (const url of cached) {
      const original = files[`m/${url.slice(base.length)}`];
      expect(Buffer.from((await cache.get(url)) ?? []).equals(Buffer.from(original ?? [])), url).toBe(true);
    }
    if (cacheKind === 'folder') {
      const names = (await readdir(dir, { recursive: true })) as string[];
      expect(names.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  });
});
