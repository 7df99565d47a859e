import { describe, expect, it } from 'vitest';
import { bytesSource } from '../io/byte-source.js';
import { float32ToHalfBits, readFloat32, toFloat32 } from './tensor.js';

describe('half precision', () => {
  it('round-trips every finite half value exactly', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const floats = toFloat32(new Uint8Array(bits.buffer), 'F16', 65536);
    const back = float32ToHalfBits(floats);
    for (let i = 0; i < 65536; i++) {
      const exponent = (i >> 10) & 0x1f;
      if (exponent === 31) continue; // inf/NaN saturate or stay NaN by design
      expect(back[i], `pattern ${i.toString(16)}`).toBe(i);
    }
  });

  it('rounds to nearest even and saturates instead of overflowing', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1)
    expect(
      Array.from(float32ToHalfBits(Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e6, -1e6, 2 ** -30]))),
    ).toEqual([0x3c00, 0x3c02, 0x7bff, 0xfbff, 0]);
  });
});

describe('readFloat32', () => {
  it('reads BF16 and gathers strided (transposed) views', async () => {
    // bf16 of [1, 2, 3, 4, 5, 6] as a 2x3 storage, read as its 3x2 transpose
    const bf16 = Uint16Array.from(
      [1, 2, 3, 4, 5, 6].map((v) => (new Uint32Array(Float32Array.of(v).buffer)[0] as number) >>> 16),
    );
    const source = bytesSource('t', new Uint8Array(bf16.buffer));
    const t = await readFloat32({ name: 't', dtype: 'BF16', shape: [3, 2], strides: [1, 3], source, byteOffset: 0 });
    expect(Array.from(t)).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
