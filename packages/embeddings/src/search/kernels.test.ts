import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleKernels } from '../../scripts/assemble-kernels.mjs';
import { instantiateKernels, jsDotI8, type SimdExports, simdAvailable } from './kernels.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';
import { quantizeRow, queryCodeMax } from './quantize.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The kernels with their memory laid out as [queries (4 x stride int16) | out | codes]. */
function kernels(stride: number, rows: number): { simd: SimdExports; codesAt: number; outAt: number } {
  const outAt = 8 * stride;
  const codesAt = outAt + rows * 24;
  const simd = instantiateKernels(Math.ceil((codesAt + rows * stride + 4 * rows * stride) / 65536));
  if (!simd) throw new Error('no WebAssembly SIMD');
  return { simd, codesAt, outAt };
}

describe('search kernels', () => {
  it('ships the bytes that kernels.wat assembles to', async () => {
    const wat = readFileSync(new URL('./kernels.wat', import.meta.url), 'utf8');
    const bytes = await assembleKernels(wat);
    expect(Buffer.from(bytes).toString('base64')).toBe(KERNELS_WASM_BASE64);
    // Browsers compile at most 4 KB synchronously on the main thread.
    expect(bytes.length).toBeLessThan(4096);
  });

  it('runs WebAssembly SIMD in Node (every supported Node has it)', () => {
    expect(simdAvailable()).toBe(true);
  });

  it.each([32, 64, 800])('computes the exact int32 dot products of the JS path (stride %i)', (stride) => {
    const random = rng(stride);
    const rows = 37;
    const { simd, codesAt, outAt } = kernels(stride, rows);
    const codes = new Int8Array(simd.memory.buffer, codesAt, rows * stride);
    const max = queryCodeMax(stride);
    // Extremes first: all +127 against +max, all -127 against +max, then random codes.
    for (let r = 0; r < rows; r++) {
      for (let d = 0; d < stride; d++) {
        codes[r * stride + d] = r === 0 ? 127 : r === 1 ? -127 : Math.round((random() - 0.5) * 254);
      }
    }
    const queries = Array.from({ length: 4 }, (_, j) =>
      Int16Array.from({ length: stride }, () => (j === 0 ? max : Math.round((random() - 0.5) * 2 * max))),
    );
    new Int16Array(simd.memory.buffer, 0, 4 * stride).set(queries.flatMap((q) => Array.from(q)));
    const reference = (r: number, q: Int16Array) => {
      let sum = 0;
      for (let d = 0; d < stride; d++) sum += (codes[r * stride + d] as number) * (q[d] as number);
      return sum;
    };
    const js = new Int32Array(rows * 4);
    queries.forEach((q, j) => {
      jsDotI8(codes, 0, rows, stride, q, js, j, 4);
    });
    simd.dotI8(codesAt, rows, stride, 0, outAt);
    const one = Array.from(new Int32Array(simd.memory.buffer, outAt, rows));
    simd.dotI8x4(codesAt, rows, stride, 0, outAt);
    const four = Array.from(new Int32Array(simd.memory.buffer, outAt, rows * 4));
    for (let r = 0; r < rows; r++) {
      expect(one[r]).toBe(reference(r, queries[0] as Int16Array));
      for (let j = 0; j < 4; j++) {
        expect(four[r * 4 + j]).toBe(reference(r, queries[j] as Int16Array));
        expect(js[r * 4 + j]).toBe(four[r * 4 + j]);
      }
    }
    // The extreme rows reach the largest magnitude the query range allows (over 2^30 at stride 800).
    expect(one[0]).toBe(stride * 127 * max);
    expect(one[1]).toBe(-stride * 127 * max);
  });

  it('quantizes rows to the same codes and scales as quantize.ts', () => {
    const random = rng(11);
    const dim = 100;
    const stride = 128;
    const rows = 9;
    const { simd, codesAt, outAt } = kernels(stride, rows);
    const srcAt = codesAt + rows * stride;
    const src = new Float32Array(simd.memory.buffer, srcAt, rows * stride);
    const plain = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) {
      for (let d = 0; d < dim; d++) {
        // Row 0: exact halves (ties to even); row 1: one large value; row 2: zeros; others random.
        const v =
          r === 0
            ? (d - 50) / 127 + 0.5 / 127
            : r === 1
              ? d === 3
                ? -1
                : random() * 1e-3
              : r === 2
                ? 0
                : random() - 0.5;
        src[r * stride + d] = v;
        plain[r * dim + d] = v;
      }
    }
    simd.quantizeRows(srcAt, rows, stride, codesAt, outAt);
    const codes = new Int8Array(simd.memory.buffer, codesAt, rows * stride);
    const out = new Float64Array(simd.memory.buffer, outAt, rows * 3);
    for (let r = 0; r < rows; r++) {
      const jsCodes = new Int8Array(dim);
      const bounds = quantizeRow(plain, r * dim, dim, jsCodes, 0);
      expect(out[r * 3]).toBe(bounds.scale);
      if (r === 2) continue; // zero row: the caller codes it (scale 0)
      expect(Array.from(codes.subarray(r * stride, r * stride + dim))).toEqual(Array.from(jsCodes));
      expect(Array.from(codes.subarray(r * stride + dim, (r + 1) * stride)).every((c) => c === 0)).toBe(true);
      const codeSquares = jsCodes.reduce((a, c) => a + c * c, 0);
      expect(out[r * 3 + 2]).toBe(codeSquares);
      let residualSquares = 0;
      for (let d = 0; d < dim; d++)
        residualSquares += ((plain[r * dim + d] as number) - bounds.scale * (jsCodes[d] as number)) ** 2;
      expect(out[r * 3 + 1]).toBeCloseTo(residualSquares, 15);
    }
  });
});
