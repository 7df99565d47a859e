/**
 * `bertweb convert --from` a hub id (`--revision`, `--hub-base-url`) or an http(s) URL (issue 12): the
 * checkpoint is downloaded through @bertweb/core's sources from a local server playing the hub
 * (models/fixtures/hub/repos/<owner>/<name>/<file> as `<owner>/<name>/resolve/<rev>/<file>`) and
 * files.deeppavlov.ai (models/fixtures/deeppavlov/files/), then converted as local files are: the folder
 * it writes is the one converting the fixture's files on disk writes, byte for byte, and it loads and
 * gives the PyTorch reference's vectors.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { env, FolderModelCache, type ModelCache } from '@bertweb/core';
import { createEmbedder } from '@bertweb/embeddings';
import { createTagger } from '@bertweb/tagging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DP_FIXTURES } from '../../../classify/src/test-utils/deeppavlov-fixtures.js';
import { HUB_FIXTURES, hubReference, hubServerFiles } from '../../../convert/src/test-utils/hub-fixtures.js';
import { type ModelServer, startModelServer } from '../../../core/src/sources/test-utils/index.js';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Every file of a folder by relative path. */
function folderBytes(dir: string): Map<string, Buffer> {
  return new Map(
    walk(dir)
      .map((p) => [relative(dir, p), readFileSync(p)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

let hub: ModelServer;
let dp: ModelServer;
let scratch: string;
let savedCache: boolean | ModelCache;
beforeAll(async () => {
  // The hub fixtures at main, and one repo also (only) at revision v1 under another name.
  const files = hubServerFiles();
  for (const [path, bytes] of Object.entries(hubServerFiles(['DeepPavlov/rubert-base-cased-sentence'], 'v1'))) {
    files[path.replace('DeepPavlov/rubert-base-cased-sentence/', 'bertweb-fixtures/only-at-v1/')] = bytes;
  }
  hub = await startModelServer({ files, sha256Etag: true });
  // files.deeppavlov.ai (files/ at its paths) and the hub of the DeepPavlov fixtures' base models.
  const dpFiles: Record<string, Uint8Array> = {};
  for (const path of walk(join(DP_FIXTURES, 'files'))) {
    dpFiles[relative(join(DP_FIXTURES, 'files'), path)] = new Uint8Array(readFileSync(path));
  }
  for (const path of walk(join(DP_FIXTURES, 'hub'))) {
    const rel = relative(join(DP_FIXTURES, 'hub'), path);
    dpFiles[`${dirname(rel)}/resolve/main/${basename(rel)}`] = new Uint8Array(readFileSync(path));
  }
  dp = await startModelServer({ files: dpFiles, sha256Etag: true });
  scratch = mkdtempSync(join(tmpdir(), 'bertweb-cli-convert-remote-'));
  savedCache = env.cache;
  env.cache = new FolderModelCache(join(scratch, 'cache'));
});
afterAll(async () => {
  env.cache = savedCache;
  await hub?.close();
  await dp?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let outs = 0;
/** A fresh output folder path in the scratch folder. */
const nextOut = () => join(scratch, `out-${++outs}`, 'model');

async function convertCli(argv: string[]) {
  const io = memoryIO();
  const code = await runCli(['convert', ...argv], io);
  const lines = io.stderr.map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    code,
    result: io.stdout[0] === undefined ? undefined : (JSON.parse(io.stdout[0]) as Record<string, unknown>),
    progress: lines.filter((l) => 'progress' in l).map((l) => l.progress as { status: string; file: string }),
    error: lines.find((l) => 'error' in l)?.error as
      | { code: string; message: string; details?: { usage?: string } }
      | undefined,
  };
}

/** Converts `from` and the local `local` the same way; both folders must be the same, byte for byte. */
async function sameAsLocal(from: string[], local: string[], dtypes = 'fp32') {
  const remoteOut = nextOut();
  const localOut = nextOut();
  const remote = await convertCli([...from, '--out', remoteOut, '--dtype', dtypes]);
  expect(remote.error).toBeUndefined();
  expect(remote.code).toBe(0);
  const onDisk = await convertCli([...local, '--out', localOut, '--dtype', dtypes]);
  expect(onDisk.code).toBe(0);
  const strip = (r: Record<string, unknown> | undefined) => {
    const { out: _out, ms: _ms, ...rest } = r ?? {};
    return rest;
  };
  expect(strip(remote.result)).toEqual(strip(onDisk.result));
  expect(remote.result?.out).toBe(remoteOut);
  const [got, want] = [folderBytes(remoteOut), folderBytes(localOut)];
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [name, bytes] of want) expect(got.get(name)?.equals(bytes), name).toBe(true);
  // Nothing is left beside the output: the download folder is gone.
  expect(readdirSync(dirname(remoteOut))).toEqual(['model']);
  return { remote, remoteOut, localOut };
}

const repo = (name: string) => join(HUB_FIXTURES, 'repos', name);

/** Mean-pooled fp32 vectors of the reference texts from a converted folder, against PyTorch's. */
async function worstAgainstReference(folder: string, repoName: string): Promise<number> {
  const ref = hubReference(repoName);
  const embedder = await createEmbedder(folder, { backend: 'wasm', dtype: 'fp32', pooling: 'mean' });
  try {
    const got = await embedder.embed(ref.texts);
    const want = ref.outputs.mean_pooled?.data ?? [];
    expect(got.data.length).toBe(want.length);
    return Math.max(...want.map((v, i) => Math.abs(v - (got.data[i] as number))));
  } finally {
    await embedder.dispose();
  }
}

describe('convert --from a hub id or URL: downloaded, then converted as local files', () => {
  it('owner/name with --hub-base-url: the local conversion, byte for byte; it loads and matches PyTorch', async () => {
    const name = 'DeepPavlov/rubert-base-cased';
    const { remote, remoteOut } = await sameAsLocal(
      ['--from', name, '--hub-base-url', hub.url],
      ['--from', repo(name)],
      'fp32,q8',
    );
    expect(existsSync(join(remoteOut, 'onnx', 'model_quantized.onnx'))).toBe(true);
    expect(await worstAgainstReference(remoteOut, name)).toBeLessThanOrEqual(1e-4);
    // Downloads report on stderr; the weights streamed through core's out-of-heap download (a ranged,
    // verified GET of the hub URL).
    expect(remote.progress).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'done', file: 'pytorch_model.bin' }),
        expect.objectContaining({ status: 'done', file: 'config.json' }),
        expect.objectContaining({ status: 'done', file: 'vocab.txt' }),
      ]),
    );
    expect(hub.count({ method: 'GET', path: `${name}/resolve/main/pytorch_model.bin` })).toBeGreaterThan(0);
  });

  it('a second conversion reads the small files from the model cache and downloads only the weights again', async () => {
    const name = 'DeepPavlov/distilrubert-tiny-cased-conversational';
    await convertCli(['--from', name, '--hub-base-url', hub.url, '--out', nextOut(), '--dtype', 'fp32']);
    hub.clearRequests();
    const again = await convertCli(['--from', name, '--hub-base-url', hub.url, '--out', nextOut(), '--dtype', 'fp32']);
    expect(again.code).toBe(0);
    expect(hub.count({ method: 'GET', path: `${name}/resolve/main/config.json` })).toBe(0);
    expect(hub.count({ method: 'GET', path: `${name}/resolve/main/pytorch_model.bin` })).toBe(1);
    // --no-cache reads everything from the server.
    hub.clearRequests();
    const uncached = ['--from', name, '--hub-base-url', hub.url, '--no-cache', '--out', nextOut(), '--dtype', 'fp32'];
    expect((await convertCli(uncached)).code).toBe(0);
    expect(hub.count({ method: 'GET', path: `${name}/resolve/main/config.json` })).toBe(1);
  });

  it('sentence-transformers/LaBSE: modules.json, 1_Pooling and 2_Dense (its weights) come along', async () => {
    const name = 'sentence-transformers/LaBSE';
    const { remoteOut } = await sameAsLocal(['--from', name, '--hub-base-url', hub.url], ['--from', repo(name)]);
    expect(existsSync(join(remoteOut, '2_Dense', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(remoteOut, '1_Pooling', 'config.json'))).toBe(true);
  });

  it('a folder URL (safetensors weights, tokenizer.json) and a weights-file URL', async () => {
    const name = 'bertweb-fixtures/bert-safetensors-only';
    await sameAsLocal(['--from', `${hub.url}${name}/resolve/main`], ['--from', repo(name)]);
    await sameAsLocal(
      ['--from', `${hub.url}${name}/resolve/main/model.safetensors`],
      ['--from', join(repo(name), 'model.safetensors')],
    );
  });

  it('--revision and owner/name@revision read that revision', async () => {
    const local = ['--from', repo('DeepPavlov/rubert-base-cased-sentence')];
    hub.clearRequests();
    await sameAsLocal(['--from', 'bertweb-fixtures/only-at-v1', '--revision', 'v1', '--hub-base-url', hub.url], local);
    await sameAsLocal(['--from', 'bertweb-fixtures/only-at-v1@v1', '--hub-base-url', hub.url], local);
    expect(hub.requests.every((r) => r.path.startsWith('bertweb-fixtures/only-at-v1/resolve/v1/'))).toBe(true);
    // At main the repo is not there.
    const missing = await convertCli([
      '--from',
      'bertweb-fixtures/only-at-v1',
      '--hub-base-url',
      hub.url,
      '--out',
      nextOut(),
    ]);
    expect(missing.error?.code).toBe('MODEL_NOT_FOUND');
  });

  it('a DeepPavlov tarball URL with a hub --base on the mirror (owner/name or ownerless): as the local tarball and base', async () => {
    const tarball = 'v1/ner/ner_rus_bert_torch_new.tar.gz';
    const base = 'DeepPavlov/rubert-base-cased';
    const { remoteOut } = await sameAsLocal(
      ['--from', `${dp.url}${tarball}`, '--base', base, '--hub-base-url', dp.url],
      ['--from', join(DP_FIXTURES, 'files', tarball), '--base', join(DP_FIXTURES, 'hub', base)],
    );
    const tagger = await createTagger(remoteOut, { backend: 'wasm', dtype: 'fp32' });
    expect(tagger.labels).toHaveLength(7);
    await tagger.dispose();
    // A base named as DeepPavlov configs name their TRANSFORMER, without an owner.
    const ranker = 'deeppavlov_data/ubuntu_v2_uncased_torch_bert_model_v2.tar.gz';
    await sameAsLocal(
      ['--from', `${dp.url}${ranker}`, '--base', 'bert-base-uncased', '--hub-base-url', dp.url, '--task', 'classify'],
      [
        '--from',
        join(DP_FIXTURES, 'files', ranker),
        '--base',
        join(DP_FIXTURES, 'hub', 'bert-base-uncased'),
        '--task',
        'classify',
      ],
    );
  });
});

describe('convert --from a hub id or URL: failures', () => {
  it('a repo without weights, and a broken checkpoint: the error, no output and no download folder left', async () => {
    for (const [from, code] of [
      ['bertweb-fixtures/no-such-repo', 'MODEL_NOT_FOUND'],
      ['bertweb-broken/truncated', 'MODEL_INVALID'],
      [`${hub.url}bertweb-broken/missing-tensor/resolve/main/`, 'MODEL_INVALID'],
    ] as const) {
      const out = nextOut();
      const run = await convertCli(['--from', from, '--hub-base-url', hub.url, '--out', out]);
      expect(run.code).toBe(1);
      expect(run.error?.code).toBe(code);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dirname(out))).toEqual([]);
    }
  });

  it('bad flags and an existing output are INPUT_INVALID with the usage, before any request', async () => {
    const existing = nextOut();
    mkdirSync(existing, { recursive: true });
    const local = repo('DeepPavlov/rubert-base-cased');
    hub.clearRequests();
    for (const [argv, message] of [
      [['--from', 'DeepPavlov/rubert-base-cased', '--hub-base-url', hub.url, '--out', existing], /already exists/],
      [['--from', 'DeepPavlov/rubert-base-cased', '--hub-base-url', 'ftp://mirror', '--out', nextOut()], /http\(s\)/],
      [['--from', local, '--revision', 'v1', '--out', nextOut()], /--revision goes with a hub id/],
      [['--from', 'ftp://host/model/', '--out', nextOut()], /only http\(s\) URLs/],
    ] as const) {
      const run = await convertCli([...argv]);
      expect(run.code).toBe(1);
      expect(run.error).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(message) });
      if (!/already exists/.test(String(message))) expect(run.error?.details?.usage).toMatch(/^bertweb convert --from/);
    }
    expect(hub.requests).toEqual([]);
    // A missing local weights file stays a local path (not a hub id): MODEL_NOT_FOUND, no request.
    const io = memoryIO();
    expect(await runCli(['convert', '--from', 'models/nope.bin', '--out', nextOut()], io)).toBe(1);
    expect(JSON.parse(io.stderr.at(-1) as string).error.code).toBe('MODEL_NOT_FOUND');
  });
});
