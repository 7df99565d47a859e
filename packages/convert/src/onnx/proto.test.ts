import { describe, expect, it } from 'vitest';
import { chunksToBytes } from './graph.js';
import { ProtoMessage, writeChunks } from './proto.js';

const bytes = async (m: ProtoMessage) => Array.from(await chunksToBytes(m.toChunks()));

describe('ProtoMessage', () => {
  it('encodes varints as protobuf does (docs example: field 1 = 150 -> 08 96 01)', async () => {
    expect(await bytes(new ProtoMessage().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(await bytes(new ProtoMessage().int(2, 0))).toEqual([0x10, 0x00]);
    expect(await bytes(new ProtoMessage().int(1, 2 ** 40))).toEqual([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
  });

  it('encodes negative int64 as 10-byte two complement', async () => {
    expect(await bytes(new ProtoMessage().int(3, -1))).toEqual([0x18, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
  });

  it('length-prefixes strings, floats as fixed32, nested messages', async () => {
    const inner = new ProtoMessage().string(1, 'ab');
    const outer = new ProtoMessage().message(2, inner).float(3, 1);
    expect(outer.byteLength).toBe(11);
    expect(await bytes(outer)).toEqual([0x12, 4, 0x0a, 2, 0x61, 0x62, 0x1d, 0, 0, 0x80, 0x3f]);
  });

  it('streams lazy payloads in place and checks their size', async () => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    let produced = 0;
    const m = new ProtoMessage().int(1, 7).lazyBytes(9, {
      byteLength: 300,
      produce: () => {
        produced++;
        return payload;
      },
    });
    expect(produced).toBe(0);
    expect(m.byteLength).toBe(2 + 3 + 300);
    const out = await chunksToBytes(m.toChunks());
    expect(Array.from(out.subarray(0, 5))).toEqual([0x08, 7, 0x4a, 0xac, 0x02]);
    expect(out.subarray(5)).toEqual(payload);

    const liar = new ProtoMessage().lazyBytes(1, { byteLength: 4, produce: () => new Uint8Array(3) });
    await expect(writeChunks(liar.toChunks(), () => undefined)).rejects.toThrow(/announced 4/);
  });
});
