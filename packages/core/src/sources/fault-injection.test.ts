// Fault injection (issue 15): the real bert-token-cls fixture loaded through loadModel from the
// fault-injecting model server, per fault kind and per cache (a FolderModelCache in a temp folder, a
// MemoryModelCache). For every load: it succeeds or fails with the kind's documented code (never
// INTERNAL, never a hang), no response is left in flight once it settled, every cache entry is byte
// for byte the original file (no corrupt entry, no .tmp file), and a clean load afterwards succeeds,
// reads what was cached from the cache and computes exactly what the model computes from its folder.
//
// `pnpm test` runs 2 loads per fault kind (one per cache); BERTWEB_FAULT_RUNS=100 is the long mode (100
// per kind, half per cache). Target file, fault count and cache are drawn per run from a seeded PRNG, so a
// run is reproducible from its kind and index. A table per kind is printed at the end.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BertwebError, type ErrorCode } from '../errors.js';
import { loadModel } from '../runtime/model.js';
import type { LoadedModel } from '../runtime/types.js';
import { FolderModelCache } from './cache/folder-cache.js';
import { MemoryModelCache } from './cache/memory-cache.js';
import { type ModelServer, type ServerFault, startModelServer } from './test-utils/index.js';
import type { ModelCache, ProgressEvent } from './types.js';

const FIXTURE = fileURLToPath(new URL('../../../../models/fixtures/bert-token-cls/', import.meta.url));
const RUNS = Math.max(1, Math.floor(Number(process.env.BERTWEB_FAULT_RUNS ?? 2)) || 2);
/** A load that takes longer than this is a hang (the slowest fault costs 3 stalls of 100 ms per file). */
const LOAD_BOUND_MS = 30_000;
const TEXT = 'Hello World from Moscow and Berlin';

/** The files of the fixture that loadModel reads (crf.json and reference.json are the heads' / tests'). */
const ORIGINAL = new Map<string, Uint8Array>();
for (const file of walk(FIXTURE)) {
  if (file !== 'reference.json' && file !== 'crf.json')
    ORIGINAL.set(file, new Uint8Array(readFileSync(join(FIXTURE, file))));
}
const GETS = ['config.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model.onnx'];
/** What the load asks with HEAD: two files the folder lacks, three it has. */
const HEADS = [
  'tokenizer.json',
  'onnx/model_quantized.onnx',
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
];
const STRUCTURED = GETS.filter((f) => f !== 'vocab.txt');

interface FaultKind {
  readonly name: string;
  /** Whether the server announces every file's sha256 (as the hub does for LFS files). */
  readonly sha256: boolean;
  /** Documented codes a load may fail with under this fault. */
  readonly codes: readonly ErrorCode[];
  /** Files the fault is aimed at (a quarter of the runs aim it at all of them at once). */
  readonly targets: readonly string[];
  /** Whether "all at once" means these targets only (else every request, HEADs included). */
  readonly onlyTargets?: boolean;
  /** Whether a successful load may still compute something else (a lie nobody can detect). */
  readonly mayDiffer?: boolean;
  /** The fault of one run; `target` is `undefined` when it is aimed at every request. */
  readonly fault: (run: number, target: string | undefined) => Omit<ServerFault, 'path' | 'times'>;
}

const TRANSIENT: readonly ErrorCode[] = ['NETWORK'];
const INVALID: readonly ErrorCode[] = ['MODEL_INVALID', 'TOKENIZER_MISMATCH'];

const KINDS: readonly FaultKind[] = [
  {
    name: 'drop (reset before any response)',
    sha256: false,
    codes: TRANSIENT,
    targets: GETS,
    fault: () => ({ kind: 'reset' }),
  },
  { name: 'stall before headers', sha256: false, codes: TRANSIENT, targets: GETS, fault: () => ({ kind: 'hang' }) },
  {
    name: 'stall mid-body',
    sha256: false,
    codes: TRANSIENT,
    targets: GETS,
    fault: (run) => ({ kind: 'stall', afterBytes: [0, 1, 100][run % 3] }),
  },
  {
    name: 'truncate (close mid-body)',
    sha256: false,
    codes: TRANSIENT,
    targets: GETS,
    fault: (run) => ({ kind: 'truncate', afterBytes: [0, 7, 150][run % 3] }),
  },
  {
    name: 'HTTP 404',
    sha256: false,
    codes: ['MODEL_NOT_FOUND'],
    targets: GETS,
    fault: () => ({ kind: 'status', status: 404 }),
  },
  { name: 'HTTP 500', sha256: false, codes: TRANSIENT, targets: GETS, fault: () => ({ kind: 'status', status: 500 }) },
  {
    name: 'HTTP 429 + Retry-After',
    sha256: false,
    codes: TRANSIENT,
    targets: GETS,
    fault: (run) => ({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': run % 2 ? '0' : new Date(Date.now() - 60_000).toUTCString() },
    }),
  },
  {
    name: 'Content-Length short, no sha256',
    sha256: false,
    codes: INVALID,
    // A cut vocab.txt only loses trailing tokens: without a sha256 nothing can tell (see the report).
    targets: STRUCTURED,
    onlyTargets: true,
    fault: (run) => ({ kind: 'length', lengthDelta: -2 - (run % 2) }),
  },
  {
    name: 'Content-Length short, sha256',
    sha256: true,
    codes: ['INTEGRITY'],
    targets: GETS,
    fault: (run) => ({ kind: 'length', lengthDelta: -1 - (run % 50) }),
  },
  {
    name: 'Content-Length long',
    sha256: false,
    codes: TRANSIENT,
    targets: GETS,
    fault: (run) => ({ kind: 'length', lengthDelta: 1 + (run % 50) }),
  },
  {
    name: 'flipped bytes, sha256',
    sha256: true,
    codes: ['INTEGRITY'],
    targets: GETS,
    fault: (run) => ({ kind: 'flip', offset: (run * 7919) % 4096, count: 1 + (run % 3) }),
  },
  {
    name: 'flipped bytes, no sha256',
    sha256: false,
    codes: INVALID,
    // The first byte is structure in every file ('{', '[PAD]', the ONNX ir_version tag): a flip there
    // is detectable; one inside a weight or a label name is not, without a hash.
    targets: GETS,
    fault: () => ({ kind: 'flip', offset: 0 }),
  },
  {
    name: 'HEAD 200, GET 404',
    sha256: false,
    codes: ['MODEL_NOT_FOUND'],
    targets: ['tokenizer.json', 'onnx/model_quantized.onnx', ...GETS],
    // A file the folder lacks: HEAD says it is there. One it has: HEAD says so, and GET says 404.
    fault: (_, target) =>
      target === undefined || !ORIGINAL.has(target)
        ? { kind: 'status', status: 200, method: 'HEAD' }
        : { kind: 'status', status: 404, method: 'GET' },
  },
  {
    name: 'HEAD 404, GET 200',
    sha256: false,
    codes: ['MODEL_NOT_FOUND'],
    targets: HEADS.slice(2),
    // "tokenizer_config.json is missing" is a lie nobody can detect: the tokenizer loads with defaults.
    mayDiffer: true,
    fault: () => ({ kind: 'status', status: 404, method: 'HEAD' }),
  },
];

interface Tally {
  loads: number;
  succeeded: number;
  failures: Partial<Record<string, number>>;
  /** Loads that read some file twice (a copy failed to validate, was discarded and fetched again). */
  refetched: number;
  /** Failures whose error says so (`details.refetched`). */
  failedAfterRefetch: number;
  entriesChecked: number;
  corrupt: number;
  differs: number;
  cleanLoads: number;
  cleanFromCache: number;
}

const tallies = new Map<string, Tally>();
let server: ModelServer;
let baseUrl: string;
let baseline: { ids: number[]; logits: Float32Array };
const folders: string[] = [];

beforeAll(async () => {
  const files: Record<string, Uint8Array> = {};
  for (const [name, bytes] of ORIGINAL) files[`m/${name}`] = bytes;
  server = await startModelServer({ files });
  baseUrl = `${server.url}m/`;
  const model = await loadModel(FIXTURE, { backend: 'wasm' });
  baseline = await fingerprint(model);
  await model.dispose();
});

afterAll(async () => {
  await server?.close();
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  printTables();
});

describe(`fault injection: ${RUNS} load(s) per fault kind`, () => {
  KINDS.forEach((kind, index) => {
    it(kind.name, async () => {
      const tally = tallyOf(kind.name);
      for (let run = 0; run < RUNS; run++) await faultyThenClean(kind, index, run, tally);
    });
  });
});

async function faultyThenClean(kind: FaultKind, kindIndex: number, run: number, tally: Tally) {
  const random = mulberry32(kindIndex * 100_003 + run);
  const cacheKind = run % 2 === 0 ? 'folder' : 'memory';
  const dir = cacheKind === 'folder' ? await mkdtemp(join(tmpdir(), 'bertweb-faults-')) : undefined;
  if (dir) folders.push(dir);
  const cache: ModelCache = dir ? new FolderModelCache(dir) : new MemoryModelCache();
  await restart(kind.sha256);
  const everything = random() < 0.25;
  const target = kind.targets[Math.floor(random() * kind.targets.length)] as string;
  // 1, 2: absorbed by the 2 retries (or by one repair); 3, 4: outlast them; undefined: the fault stays.
  const times = [1, 2, 3, 4, undefined][Math.floor(random() * 5)];
  const aim = everything ? (kind.onlyTargets ? 'all targets' : 'every request') : target;
  const where = `${kind.name}, run ${run} (${cacheKind} cache, ${aim}, times ${times ?? 'all'})`;
  const fault: ServerFault = {
    ...kind.fault(run, everything ? undefined : target),
    ...(everything
      ? kind.onlyTargets
        ? { path: new RegExp(`^m/(${kind.targets.map((t) => t.replace(/[.]/g, '\\.')).join('|')})$`) }
        : {}
      : { path: `m/${target}` }),
    ...(times === undefined ? {} : { times }),
  };
  server.setFaults([fault]);

  tally.loads++;
  const initiated = new Map<string, number>();
  const onProgress = (event: ProgressEvent): void => {
    if (event.status === 'initiate') initiated.set(event.file, (initiated.get(event.file) ?? 0) + 1);
  };
  const outcome = await bounded(
    loadModel(baseUrl, { cache, backend: 'wasm', retries: 2, retryDelayMs: 1, stallTimeoutMs: 100, onProgress }),
    where,
  );
  if ([...initiated.values()].some((n) => n > 1)) tally.refetched++;
  if (outcome instanceof BertwebError) {
    expect(kind.codes, `${where}: ${outcome.code}: ${outcome.message}`).toContain(outcome.code);
    tally.failures[outcome.code] = (tally.failures[outcome.code] ?? 0) + 1;
    if (Array.isArray(outcome.details?.refetched)) {
      tally.failedAfterRefetch++;
      expect(outcome.message).toMatch(/discarded and re-fetched/);
    }
  } else {
    tally.succeeded++;
    const same = sameAs(await fingerprint(outcome), baseline);
    await outcome.dispose();
    if (!same) tally.differs++;
    if (!kind.mayDiffer) expect(same, `${where}: the model computes something else`).toBe(true);
  }
  // The load has settled: nothing of it may still be downloading (or about to write the cache).
  await server.idle(5_000);

  const cached = await checkCache(cache, dir, where, tally);

  server.setFaults([]);
  server.clearRequests();
  const clean = await bounded(loadModel(baseUrl, { cache, backend: 'wasm', retryDelayMs: 1 }), `${where} (clean)`);
  if (clean instanceof BertwebError)
    throw new Error(`${where}: the clean load failed: ${clean.code}: ${clean.message}`);
  expect(sameAs(await fingerprint(clean), baseline), `${where}: clean load computes something else`).toBe(true);
  await clean.dispose();
  tally.cleanLoads++;
  const refetchedFromServer = server.requests.filter((r) => r.method === 'GET' && cached.has(r.path.slice(2)));
  expect(
    refetchedFromServer.map((r) => r.path),
    `${where}: cached files fetched again`,
  ).toEqual([]);
  tally.cleanFromCache++;
  for (const file of ORIGINAL.keys()) {
    expect(await cache.isMarkedMissing?.(baseUrl + file), `${where}: ${file} marked missing`).toBe(false);
  }
  await checkCache(cache, dir, `${where} (after the clean load)`, undefined);
}

/** Compares every cache entry with the original file; returns the cached file names. */
async function checkCache(cache: ModelCache, dir: string | undefined, where: string, tally: Tally | undefined) {
  const names = new Set<string>();
  for (const entry of await cache.list()) {
    const file = entry.url.slice(baseUrl.length);
    const bytes = await cache.get(entry.url);
    const original = ORIGINAL.get(file);
    const intact = bytes !== undefined && original !== undefined && Buffer.from(bytes).equals(Buffer.from(original));
    if (tally) {
      tally.entriesChecked++;
      if (!intact) tally.corrupt++;
    }
    expect(intact, `${where}: cache entry ${file} differs from the original`).toBe(true);
    expect(entry.size).toBe(original?.length);
    names.add(file);
  }
  if (dir)
    expect(
      (await readdir(dir)).filter((n) => n.endsWith('.tmp')),
      `${where}: temp files`,
    ).toEqual([]);
  return names;
}

/** The load's outcome: the model, or the BertwebError; anything else (or a hang) fails the test. */
async function bounded(promise: Promise<LoadedModel>, where: string): Promise<LoadedModel | BertwebError> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${where}: the load did not settle in ${LOAD_BOUND_MS} ms`)),
      LOAD_BOUND_MS,
    );
  });
  try {
    return await Promise.race([promise, hang]);
  } catch (error) {
    if (!(error instanceof BertwebError)) throw error;
    expect(error.code, `${where}: ${error.message}`).not.toBe('INTERNAL');
    return error;
  } finally {
    clearTimeout(timer);
  }
}

async function restart(sha256: boolean): Promise<void> {
  // The sha256 mode is a server option: restart only when it changes.
  if ((server as ModelServer & { sha256?: boolean }).sha256 === sha256) return;
  await server.close();
  const files: Record<string, Uint8Array> = {};
  for (const [name, bytes] of ORIGINAL) files[`m/${name}`] = bytes;
  server = Object.assign(await startModelServer({ files, sha256Etag: sha256 }), { sha256 });
  baseUrl = `${server.url}m/`;
}

async function fingerprint(model: LoadedModel): Promise<{ ids: number[]; logits: Float32Array }> {
  const encoding = model.tokenizer.encode(TEXT);
  const [out] = await model.infer([encoding]);
  return { ids: [...encoding.ids], logits: Float32Array.from(out?.logits?.data ?? []) };
}

function sameAs(a: { ids: number[]; logits: Float32Array }, b: { ids: number[]; logits: Float32Array }): boolean {
  return (
    a.ids.length === b.ids.length &&
    a.ids.every((id, i) => id === b.ids[i]) &&
    a.logits.length === b.logits.length &&
    a.logits.every((v, i) => Object.is(v, b.logits[i]))
  );
}

function tallyOf(name: string): Tally {
  let tally = tallies.get(name);
  if (!tally) {
    tally = {
      loads: 0,
      succeeded: 0,
      failures: {},
      refetched: 0,
      failedAfterRefetch: 0,
      entriesChecked: 0,
      corrupt: 0,
      differs: 0,
      cleanLoads: 0,
      cleanFromCache: 0,
    };
    tallies.set(name, tally);
  }
  return tally;
}

function printTables(): void {
  const rows = [
    `fault injection, bert-token-cls, ${RUNS} load(s) per kind (folder and memory cache alternating), retries 2, stall 100 ms`,
    '| fault kind | loads | succeeded | coded failures | re-fetched a file that failed validation or its sha256 | failed after a repair | cache entries checked | corrupt | succeeded but computes otherwise | clean loads after (all from cache where cached) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, t] of tallies) {
    const failures =
      Object.entries(t.failures)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ') || '-';
    rows.push(
      `| ${name} | ${t.loads} | ${t.succeeded} | ${failures} | ${t.refetched} | ${t.failedAfterRefetch} | ${t.entriesChecked} | ${t.corrupt} | ${t.differs} | ${t.cleanLoads} (${t.cleanFromCache}) |`,
    );
  }
  console.log(rows.join('\n'));
}

/** A small seeded PRNG (mulberry32): the same kind and run always draw the same fault. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function walk(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(root, full) : [relative(root, full).split('\\').join('/')];
  });
}
