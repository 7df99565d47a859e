import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadBlob, downloadFile, probeFile } from './download.js';
import { type ModelServer, rejection, type ServerFault, startModelServer } from './test-utils/index.js';
import type { ProgressEvent } from './types.js';

/** Deterministic pseudo-random bytes, so a wrong splice or offset cannot go unnoticed. */
function testBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const FILE = 'onnx/model.onnx';
const BODY = testBytes(256 * 1024);
const FAST = { retryDelayMs: 5, stallTimeoutMs: 5_000 } as const;

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(faults: ServerFault[] = [], extra: Parameters<typeof startModelServer>[0] = {}) {
  server = await startModelServer({ files: { [`m/${FILE}`]: BODY }, faults, ...extra });
  return { server, url: `${server.url}m/${FILE}` };
}

describe('downloadFile', () => {
  it('streams the body with monotone progress events that end at the total', async () => {
    const { url } = await serve([], { throttleBytesPerSec: 1024 * 1024 });
    const events: ProgressEvent[] = [];
    const { bytes } = await downloadFile(url, { file: FILE, onProgress: (e) => events.push(e), ...FAST });
    expect(sha256(bytes)).toBe(sha256(BODY));
    expect(events[0]).toEqual({ status: 'initiate', file: FILE, loaded: 0, total: 0 });
    expect(events[1]).toEqual({ status: 'download', file: FILE, loaded: 0, total: BODY.length });
    const progress = events.filter((e) => e.status === 'progress');
    expect(progress.length).toBeGreaterThan(2); // ~250 ms of body, progress at most every 50 ms
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.loaded).toBeGreaterThanOrEqual(progress[i - 1]!.loaded);
    }
    expect(progress.every((e) => e.total === BODY.length && e.file === FILE)).toBe(true);
    expect(progress.at(-1)?.loaded).toBe(BODY.length);
    expect(events.at(-1)).toEqual({ status: 'done', file: FILE, loaded: BODY.length, total: BODY.length });
  });

  it('maps 404, 401 and 403 to MODEL_NOT_FOUND at once, without retrying', async () => {
    const { server, url } = await serve();
    const missing = await rejection(downloadFile(`${server.url}m/nope.json`, { file: 'nope.json', sourceId: 'x/y' }));
    expect(missing.code).toBe('MODEL_NOT_FOUND');
    expect(missing.message).toContain('nope.json');
    expect(missing.message).toContain('x/y');
    expect(missing.details).toMatchObject({ status: 404 });
    expect(server.count({ path: 'm/nope.json' })).toBe(1);
    for (const status of [401, 403]) {
      server.setFaults([{ kind: 'status', status }]);
      server.clearRequests();
      const denied = await rejection(downloadFile(url, { file: FILE, ...FAST }));
      expect(denied.code).toBe('MODEL_NOT_FOUND');
      expect(denied.details).toMatchObject({ status });
      expect(server.requests).toHaveLength(1);
    }
  });

  it('retries transient 500s with exponential backoff and then succeeds', async () => {
    const { server, url } = await serve([{ kind: 'status', status: 500, times: 2 }]);
    const started = Date.now();
    const { bytes } = await downloadFile(url, { file: FILE, retries: 3, retryDelayMs: 40 });
    expect(sha256(bytes)).toBe(sha256(BODY));
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    // backoff 40 ms then 80 ms
    const gaps = server.requests.slice(1).map((r, i) => r.time - server!.requests[i]!.time);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('gives up with NETWORK after retries + 1 attempts, with url, status and attempts', async () => {
    const { server, url } = await serve([{ kind: 'status', status: 503 }]);
    const error = await rejection(downloadFile(url, { file: FILE, retries: 2, retryDelayMs: 5 }));
    expect(error.code).toBe('NETWORK');
    expect(error.details).toMatchObject({ url, status: 503, attempts: 3, file: FILE });
    expect(server.count()).toBe(3);
  });

  it('retries 429 and connection resets', async () => {
    const { server, url } = await serve([
      { kind: 'status', status: 429, times: 1, headers: { 'retry-after': '0' } },
      { kind: 'reset', times: 1 },
    ]);
    const { bytes } = await downloadFile(url, { file: FILE, ...FAST });
    expect(sha256(bytes)).toBe(sha256(BODY));
    expect(server.count()).toBe(3);
  });

  it('fails at once with NETWORK when a 429 asks to wait longer than any backoff (Retry-After past the cap)', async () => {
    const { server, url } = await serve([{ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }]);
    const error = await rejection(downloadFile(url, { file: FILE, retries: 3, retryDelayMs: 5 }));
    expect(error.code).toBe('NETWORK');
    expect(error.details).toMatchObject({ status: 429, attempts: 1, retryAfterMs: 3_600_000 });
    expect(error.message).toContain('retry after 3600 s');
    expect(server.count()).toBe(1);
  });

  it('treats a Content-Length that announces more than the body as a truncation (retried, then NETWORK)', async () => {
    const { server, url } = await serve([{ kind: 'length', lengthDelta: 100 }]);
    const error = await rejection(downloadFile(url, { file: FILE, retries: 1, retryDelayMs: 1 }));
    expect(error.code).toBe('NETWORK');
    expect(server.count()).toBeGreaterThanOrEqual(2);
    // Once: the resume from the end is refused (416), the third attempt starts over and succeeds.
    server.setFaults([{ kind: 'length', lengthDelta: 7, times: 1 }]);
    expect(sha256((await downloadFile(url, { file: FILE, retries: 2, retryDelayMs: 1 })).bytes)).toBe(sha256(BODY));
  });

  it('catches a Content-Length that announces less than the file by its sha256 (INTEGRITY)', async () => {
    const { url } = await serve([{ kind: 'length', lengthDelta: -10 }], { sha256Etag: true });
    const error = await rejection(downloadFile(url, { file: FILE, ...FAST }));
    expect(error.code).toBe('INTEGRITY');
    expect(error.details).toMatchObject({ expected: sha256(BODY), actual: sha256(BODY.subarray(0, BODY.length - 10)) });
  });

  it('aborts a stalled body after stallTimeoutMs and retries', async () => {
    const { server, url } = await serve([{ kind: 'stall', afterBytes: 1000, times: 1 }], { acceptRanges: false });
    const started = Date.now();
    const { bytes } = await downloadFile(url, { file: FILE, retryDelayMs: 5, stallTimeoutMs: 150 });
    expect(sha256(bytes)).toBe(sha256(BODY));
    expect(server.count()).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('reports NETWORK when every attempt stalls', async () => {
    const { url } = await serve([{ kind: 'stall', afterBytes: 10 }]);
    const error = await rejection(downloadFile(url, { file: FILE, retries: 1, retryDelayMs: 5, stallTimeoutMs: 100 }));
    expect(error.code).toBe('NETWORK');
    expect(String(error.details?.reason)).toContain('stalled');
  });

  it('resumes a truncated body with Range and If-Range, giving identical bytes', async () => {
    const { server, url } = await serve([{ kind: 'truncate', afterBytes: 100_000, times: 1 }]);
    const events: ProgressEvent[] = [];
    const { bytes } = await downloadFile(url, { file: FILE, ...FAST, onProgress: (e) => events.push(e) });
    expect(sha256(bytes)).toBe(sha256(BODY));
    expect(server.requests.map((r) => [r.status, r.range])).toEqual([
      [200, undefined],
      [206, 'bytes=100000-'],
    ]);
    const loaded = events.filter((e) => e.status === 'progress').map((e) => e.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(events.filter((e) => e.status === 'download')).toHaveLength(1);
  });

  it('restarts a truncated body from zero when the server has no ranges, keeping progress monotone', async () => {
    const { server, url } = await serve([{ kind: 'truncate', afterBytes: 150_000, times: 2 }], {
      acceptRanges: false,
      throttleBytesPerSec: 8 * 1024 * 1024,
    });
    const events: ProgressEvent[] = [];
    const { bytes } = await downloadFile(url, { file: FILE, ...FAST, onProgress: (e) => events.push(e) });
    expect(sha256(bytes)).toBe(sha256(BODY));
    expect(server.requests.map((r) => r.range)).toEqual([undefined, undefined, undefined]);
    const loaded = events.filter((e) => e.status === 'progress').map((e) => e.loaded);
    for (let i = 1; i < loaded.length; i++) expect(loaded[i]).toBeGreaterThanOrEqual(loaded[i - 1]!);
    expect(loaded.at(-1)).toBe(BODY.length);
  });

  it('gives up with NETWORK when the body is always truncated', async () => {
    const { server, url } = await serve([{ kind: 'truncate', afterBytes: 10 }], { acceptRanges: false });
    const error = await rejection(downloadFile(url, { file: FILE, retries: 2, retryDelayMs: 5 }));
    expect(error.code).toBe('NETWORK');
    expect(error.details).toMatchObject({ attempts: 3 });
    expect(server.count()).toBe(3);
  });

  it('treats a cleanly ended body shorter than Content-Length as truncated', async () => {
    // A fetch (proxy, service worker) that ends the stream early instead of erroring.
    let calls = 0;
    const shortFetch: typeof fetch = async () => {
      calls++;
      return new Response(BODY.slice(0, 1000), { headers: { 'content-length': String(BODY.length) } });
    };
    const error = await rejection(
      downloadFile('http://example.invalid/m', { file: FILE, fetch: shortFetch, retries: 1, retryDelayMs: 1 }),
    );
    expect(error.code).toBe('NETWORK');
    expect(String(error.details?.reason)).toContain(`received 1000 of ${BODY.length}`);
    expect(calls).toBe(2);
  });

  it('handles bodies of unknown length and content-encoded bodies (whose Content-Length is not the size)', async () => {
    const chunks = [BODY.subarray(0, 1000), BODY.subarray(1000, 5000), BODY.subarray(5000)];
    const streaming: typeof fetch = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk.slice());
            controller.close();
          },
        }),
      );
    const events: ProgressEvent[] = [];
    const unknown = await downloadFile('http://example.invalid/a', {
      file: 'a',
      fetch: streaming,
      onProgress: (e) => events.push(e),
    });
    expect(sha256(unknown.bytes)).toBe(sha256(BODY));
    expect(unknown.bytes.length).toBe(BODY.length);
    expect(events.find((e) => e.status === 'download')?.total).toBe(0);
    expect(events.at(-1)).toEqual({ status: 'done', file: 'a', loaded: BODY.length, total: BODY.length });

    // fetch hands out the decoded body; Content-Length counted the gzip bytes.
    const encoded: typeof fetch = async () =>
      new Response(BODY.slice(), { headers: { 'content-encoding': 'gzip', 'content-length': '1000' } });
    const decoded = await downloadFile('http://example.invalid/b', { file: 'b', fetch: encoded, retries: 0 });
    expect(sha256(decoded.bytes)).toBe(sha256(BODY));
  });

  it('verifies the announced sha256: match passes, mismatch is INTEGRITY (not retried)', async () => {
    const { server, url } = await serve([], { sha256Etag: true });
    const ok = await downloadFile(url, { file: FILE, ...FAST });
    expect(ok.sha256).toBe(sha256(BODY));

    const wrong = 'a'.repeat(64);
    server.setFaults([{ kind: 'etag', etag: wrong }]);
    server.clearRequests();
    const error = await rejection(downloadFile(url, { file: FILE, ...FAST }));
    expect(error.code).toBe('INTEGRITY');
    expect(error.details).toMatchObject({ expected: wrong, actual: sha256(BODY) });
    expect(server.count()).toBe(1);

    // A weak, quoted, upper-case ETag still counts; a non-64-hex ETag is not a sha256.
    server.setFaults([{ kind: 'etag', etag: `W/"${sha256(BODY).toUpperCase()}"` }]);
    expect((await downloadFile(url, { file: FILE, ...FAST })).sha256).toBe(sha256(BODY));
    server.setFaults([{ kind: 'etag', etag: 'abc123' }]);
    expect((await downloadFile(url, { file: FILE, ...FAST })).sha256).toBeUndefined();
  });

  it('rejects promptly with ABORTED when aborted mid-body', async () => {
    const { url } = await serve([], { throttleBytesPerSec: 128 * 1024 });
    const controller = new AbortController();
    let abortedAt = 0;
    const promise = downloadFile(url, {
      file: FILE,
      ...FAST,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.status === 'progress' && e.loaded > 20_000 && !abortedAt) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    const error = await rejection(promise);
    expect(error.code).toBe('ABORTED');
    expect(Date.now() - abortedAt).toBeLessThan(100);
  });

  it('rejects with ABORTED during a backoff wait, and before starting when already aborted', async () => {
    const { server, url } = await serve([{ kind: 'status', status: 500 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await rejection(downloadFile(url, { file: FILE, retryDelayMs: 10_000, signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.count()).toBe(1);

    const before = await rejection(downloadFile(url, { file: FILE, signal: AbortSignal.abort() }));
    expect(before.code).toBe('ABORTED');
    expect(server.count()).toBe(1);
  });

  it('rejects with ABORTED even when a custom fetch ignores the signal', async () => {
    const never: typeof fetch = () => new Promise<Response>(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await rejection(
      downloadFile('http://example.invalid/x', { file: 'x', fetch: never, signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
  });

  it('maps other 4xx statuses to NETWORK without retrying', async () => {
    const { server, url } = await serve([{ kind: 'status', status: 400 }]);
    const error = await rejection(downloadFile(url, { file: FILE, ...FAST }));
    expect(error.code).toBe('NETWORK');
    expect(error.details).toMatchObject({ status: 400 });
    expect(server.count()).toBe(1);
  });
});

describe('probeFile', () => {
  it('uses HEAD: true for files, false for 404, retries 5xx', async () => {
    const { server, url } = await serve([{ kind: 'status', status: 502, times: 1 }]);
    expect(await probeFile(url, { file: FILE, ...FAST })).toBe(true);
    expect(await probeFile(`${server.url}m/missing`, { file: 'missing', ...FAST })).toBe(false);
    expect(server.requests.map((r) => [r.method, r.status])).toEqual([
      ['HEAD', 502],
      ['HEAD', 200],
      ['HEAD', 404],
    ]);
  });

  it('falls back to a one-byte GET when HEAD is refused', async () => {
    const { server, url } = await serve([{ kind: 'status', status: 405, method: 'HEAD' }]);
    expect(await probeFile(url, { file: FILE, ...FAST })).toBe(true);
    expect(server.requests.map((r) => [r.method, r.range])).toEqual([
      ['HEAD', undefined],
      ['GET', 'bytes=0-0'],
    ]);
  });
});

describe('downloadBlob (out of the heap: a temp file in Node)', () => {
  const blobBytes = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

  it('gives a file-backed Blob with the verified bytes, resumes a cut body, and dispose() frees the file', async () => {
    const { server, url } = await serve([{ kind: 'truncate', afterBytes: 100_000, times: 1 }], { sha256Etag: true });
    const events: ProgressEvent[] = [];
    const result = await downloadBlob(url, { file: FILE, onProgress: (e) => events.push(e), ...FAST });
    expect(result.sha256).toBe(sha256(BODY));
    expect(sha256(await blobBytes(result.blob))).toBe(sha256(BODY));
    // The second request resumed where the first was cut.
    expect(server.requests.filter((r) => r.method === 'GET').map((r) => r.range)).toEqual([undefined, 'bytes=100000-']);
    expect(events.at(-1)).toMatchObject({ status: 'done', loaded: BODY.length });
    const dirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('bertweb-download-'));
    const before = dirs().length;
    await result.dispose();
    expect(dirs().length).toBe(before - 1);
  });

  it('restarts from zero without ranges and rejects bytes that do not match the sha256, leaving no temp file', async () => {
    const dirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('bertweb-download-')).length;
    const before = dirs();
    const { url } = await serve([{ kind: 'truncate', afterBytes: 10, times: 1 }], { acceptRanges: false });
    const restarted = await downloadBlob(url, { file: FILE, ...FAST });
    expect(sha256(await blobBytes(restarted.blob))).toBe(sha256(BODY));
    await restarted.dispose();
    await server?.close();
    const bad = await serve([{ kind: 'flip' }], { sha256Etag: true });
    await expect(downloadBlob(bad.url, { file: FILE, ...FAST })).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect(dirs()).toBe(before);
  });
});
