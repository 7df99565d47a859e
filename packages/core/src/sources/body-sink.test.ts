import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobSink, MemorySink } from './body-sink.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('body sinks', () => {
  it('BlobSink (browsers): assembles 16 MiB parts into one Blob, hashing as it goes; reset starts over', async () => {
    const sink = new BlobSink();
    const chunk = new Uint8Array(5 * 1024 * 1024).map((_, i) => i % 251);
    const reused = new Uint8Array(chunk.length);
    sink.write(new Uint8Array([1, 2, 3]));
    sink.reset();
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      // The stream's buffer may be reused between reads: the sink must copy what it keeps.
      reused.set(chunk.map((v) => (v + i) % 256));
      expected.push(reused.slice());
      sink.write(reused);
    }
    const all = new Uint8Array(expected.reduce((n, e) => n + e.length, 0));
    let offset = 0;
    for (const e of expected) {
      all.set(e, offset);
      offset += e.length;
    }
    expect(sink.length).toBe(all.length);
    expect(sink.digest()).toBe(sha256(all));
    const { blob } = await sink.finish();
    expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256(all));
  });

  it('MemorySink grows past a wrong size hint and returns exactly what was written', async () => {
    const sink = new MemorySink(4);
    sink.write(new Uint8Array([1, 2, 3]));
    sink.write(new Uint8Array([4, 5, 6]));
    expect(Array.from(await sink.finish())).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
