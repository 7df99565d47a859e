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
});
