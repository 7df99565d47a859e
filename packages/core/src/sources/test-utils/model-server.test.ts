import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer } from './model-server.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bertweb-server-'));
  await mkdir(join(root, 'm'));
  await writeFile(join(root, 'm', 'vocab.txt'), 'abcdefghij');
  await writeFile(join(root, 'secret.txt'), 'outside');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('startModelServer', () => {
  it('serves a root folder and in-memory files, with HEAD, ranges, CORS and a request log', async () => {
    const server = await startModelServer({ root: join(root, 'm'), files: { 'x/a.json': '{"a":1}' } });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const full = await fetch(`${server.url}vocab.txt`);
      expect(await full.text()).toBe('abcdefghij');
      expect(full.headers.get('access-control-allow-origin')).toBe('*');
      expect(full.headers.get('accept-ranges')).toBe('bytes');
      const etag = full.headers.get('etag')!;
      const part = await fetch(`${server.url}vocab.txt`, { headers: { range: 'bytes=3-5' } });
      expect([part.status, await part.text(), part.headers.get('content-range')]).toEqual([206, 'def', 'bytes 3-5/10']);
      const stale = await fetch(`${server.url}vocab.txt`, { headers: { range: 'bytes=3-', 'if-range': '"other"' } });
      expect([stale.status, await stale.text()]).toEqual([200, 'abcdefghij']);
      const fresh = await fetch(`${server.url}vocab.txt`, { headers: { range: 'bytes=8-', 'if-range': etag } });
      expect([fresh.status, await fresh.text()]).toEqual([206, 'ij']);
      const beyond = await fetch(`${server.url}vocab.txt`, { headers: { range: 'bytes=10-' } });
      expect(beyond.status).toBe(416);
      const head = await fetch(`${server.url}x/a.json`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-length'), head.headers.get('content-type')]).toEqual([
        200,
        '7',
        'application/json',
      ]);
      expect((await fetch(`${server.url}../secret.txt`)).status).toBe(404);
      expect((await fetch(`${server.url}..%2fsecret.txt`)).status).toBe(404);
      expect(server.count({ path: 'vocab.txt' })).toBe(5);
      expect(server.count({ method: 'HEAD' })).toBe(1);
      expect(server.requests.find((r) => r.range === 'bytes=3-5')?.status).toBe(206);
    } finally {
      await server.close();
    }
  });

  it('applies faults to the first `times` matching requests, and close() ends stalled connections', async () => {
    const server = await startModelServer({
      files: { 'f.bin': new Uint8Array(100) },
      faults: [
        { path: /\.bin$/, kind: 'status', status: 503, times: 1 },
        { path: 'f.bin', kind: 'stall', afterBytes: 10 },
      ],
    });
    expect((await fetch(`${server.url}f.bin`)).status).toBe(503);
    const stalled = await fetch(`${server.url}f.bin`);
    expect(stalled.status).toBe(200);
    const reader = stalled.body!.getReader();
    const first = await reader.read();
    expect(first.value?.length).toBe(10);
    const next = reader.read().then(
      () => 'ended',
      () => 'errored',
    );
    await server.close();
    expect(await next).toBe('errored');
  });

  it('injects hangs, lying Content-Lengths and flipped bytes, and records what it sent', async () => {
    const file = new Uint8Array(64).map((_, i) => i);
    const server = await startModelServer({
      files: { 'f.bin': file },
      faults: [
        { kind: 'hang', times: 1 },
        { kind: 'length', lengthDelta: -10, times: 1 },
        { kind: 'length', lengthDelta: 5, times: 1 },
        { kind: 'flip', offset: 3, count: 2, times: 1 },
      ],
    });
    try {
      const controller = new AbortController();
      const hung = fetch(`${server.url}f.bin`, { signal: controller.signal }).catch((e: Error) => e.name);
      while (server.count() < 1) await new Promise((r) => setTimeout(r, 5));
      expect(server.inFlight()).toBe(1);
      controller.abort();
      expect(await hung).toBe('AbortError');
      await server.idle(2_000);
      expect(server.requests[0]).toMatchObject({ status: 0, bytesSent: 0, completed: false, closed: true });

      // Fewer announced than sent: the client reads a shorter body that looks complete.
      const short = await fetch(`${server.url}f.bin`);
      expect(short.headers.get('content-length')).toBe('54');
      expect(new Uint8Array(await short.arrayBuffer())).toEqual(file.subarray(0, 54));
      // More announced than sent: the body ends early.
      const long = await fetch(`${server.url}f.bin`);
      expect(long.headers.get('content-length')).toBe('69');
      expect(
        await long.arrayBuffer().then(
          () => 'complete',
          () => 'cut',
        ),
      ).toBe('cut');
      const flipped = new Uint8Array(await (await fetch(`${server.url}f.bin`)).arrayBuffer());
      expect([...flipped.subarray(2, 6)]).toEqual([2, 3 ^ 0xff, 4 ^ 0xff, 5]);
      const clean = new Uint8Array(await (await fetch(`${server.url}f.bin`)).arrayBuffer());
      expect(clean).toEqual(file);
      await server.idle(2_000);
      expect(server.requests.map((r) => [r.bytesSent, r.completed])).toEqual([
        [0, false],
        [64, false],
        [64, false],
        [64, true],
        [64, true],
      ]);
    } finally {
      await server.close();
    }
  });

  it('announces the true sha256 of a flipped file when it announces sha256s, and lets HEAD and GET disagree', async () => {
    const file = new TextEncoder().encode('{"a": 1}');
    const server = await startModelServer({
      files: { 'c.json': file },
      sha256Etag: true,
      faults: [
        { kind: 'flip', path: 'c.json', offset: 0, times: 1 },
        { kind: 'status', method: 'HEAD', path: 'missing.json', status: 200 },
        { kind: 'status', method: 'HEAD', path: 'c.json', status: 404 },
      ],
    });
    try {
      const sha = createHash('sha256').update(file).digest('hex');
      const flipped = await fetch(`${server.url}c.json`);
      expect(flipped.headers.get('x-linked-etag')).toBe(`"${sha}"`);
      expect((await flipped.arrayBuffer()).byteLength).toBe(file.length);
      expect((await fetch(`${server.url}missing.json`, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(`${server.url}missing.json`)).status).toBe(404);
      expect((await fetch(`${server.url}c.json`, { method: 'HEAD' })).status).toBe(404);
      expect(await (await fetch(`${server.url}c.json`)).text()).toBe('{"a": 1}');
    } finally {
      await server.close();
    }
  });

  it('flips a copy: a Buffer given as a file stays as it was, and every request of a flip fault gets the flip', async () => {
    const file = Buffer.from('{"a": 1}');
    const server = await startModelServer({
      files: { 'c.json': file },
      faults: [{ kind: 'flip', path: 'c.json', offset: 0 }],
    });
    try {
      // The HEAD used to flip the stored Buffer in place (Buffer#slice is a view), so the GET served the original.
      expect((await fetch(`${server.url}c.json`, { method: 'HEAD' })).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const body = new Uint8Array(await (await fetch(`${server.url}c.json`)).arrayBuffer());
        expect(body[0], `request ${i}`).toBe('{'.charCodeAt(0) ^ 0xff);
      }
      expect(file.toString()).toBe('{"a": 1}');
    } finally {
      await server.close();
    }
  });
  it('idle() rejects, naming the open requests, when a response stays in flight', async () => {
    const server = await startModelServer({ files: { 'f.bin': new Uint8Array(10) }, faults: [{ kind: 'hang' }] });
    const pending = fetch(`${server.url}f.bin`).catch(() => undefined);
    while (server.count() < 1) await new Promise((r) => setTimeout(r, 5));
    await expect(server.idle(50)).rejects.toThrow('GET f.bin');
    await server.close();
    await pending;
  });
});
