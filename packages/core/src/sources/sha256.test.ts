import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './integrity.js';
import { Sha256 } from './sha256.js';

describe('Sha256 (incremental)', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    const hex = (text: string) => {
      const hash = new Sha256();
      hash.update(new TextEncoder().encode(text));
      return hash.hex();
    };
    expect(hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('equals WebCrypto on random data cut into random pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(200), { maxLength: 20 }),
        async (data, cuts) => {
          const hash = new Sha256();
          let offset = 0;
          for (const cut of cuts) {
            hash.update(data.subarray(offset, offset + cut));
            offset = Math.min(data.length, offset + cut);
          }
          hash.update(data.subarray(offset));
          expect(hash.hex()).toBe(await sha256Hex(data));
        },
      ),
      { numRuns: 200 },
    );
  });
});
