import { describe, expect, it } from 'vitest';
import { CODE_MAX, quantizeQuery, quantizeRow, queryCodeMax } from './quantize.js';

/** Seeded uniform [0, 1) (mulberry32). */
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

function unit(values: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] as number) ** 2;
  return Float32Array.from(values, (v) => (sum === 0 ? 0 : v / Math.sqrt(sum)));
}

/** Exact value of a finite double as a BigInt multiple of 2^-SHIFT (every value here is such a multiple). */
const SHIFT = 210n;
function fixed(x: number): bigint {
  if (x === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  if (exponent > 0) mantissa |= 1n << 52n;
  const e = BigInt(Math.max(exponent, 1) - 1075) + SHIFT; // x = mantissa * 2^(exponent - 1075)
  expect(e >= 0n).toBe(true);
  const magnitude = mantissa << e;
  return x < 0 ? -magnitude : magnitude;
}

/** Whether bound >= sqrt(sum of squares of `terms`), decided exactly. */
function boundsNorm(bound: number, terms: readonly number[]): boolean {
  const sum = terms.reduce((acc, t) => acc + fixed(t) * fixed(t), 0n);
  const b = fixed(bound);
  return b >= 0n && b * b >= sum;
}

/** Adversarial rows: structure that stresses scale, rounding and range. */
function adversarialRows(dim: number, random: () => number): Float32Array[] {
  const rows: Float32Array[] = [];
  const oneHot = new Float32Array(dim);
  oneHot[dim - 1] = 1;
  rows.push(oneHot);
  rows.push(unit(Array.from({ length: dim }, (_, d) => (d === 0 ? 1 : 1e-4))));
  rows.push(unit(Array.from({ length: dim }, () => 1))); // every code 127
  rows.push(unit(Array.from({ length: dim }, (_, d) => (d % 2 ? -1 : 1) * (d + 1))));
  // Values exactly halfway between two codes (ties to even) and just beside them.
  rows.push(Float32Array.from({ length: dim }, (_, d) => ((d % 255) - 127 + (d % 3 === 0 ? 0.5 : 0)) / 127));
  rows.push(Float32Array.from({ length: dim }, (_, d) => (d === 0 ? 1 : (random() - 0.5) * 1e-30)));
  rows.push(Float32Array.from({ length: dim }, () => 1e-40 * random())); // subnormal float32: scale underflows
  rows.push(new Float32Array(dim)); // zero
  rows.push(Float32Array.from({ length: dim }, () => (random() - 0.5) * 3e38)); // huge, not normalized
  for (let i = 0; i < 8; i++) rows.push(unit(Array.from({ length: dim }, () => random() - 0.5)));
  return rows;
}

describe('quantizeRow', () => {
  it.each([1, 3, 32, 100, 768])('keeps codes in range and bounds the residual exactly (dim %i)', (dim) => {
    const random = rng(dim);
    for (const x of adversarialRows(dim, random)) {
      const codes = new Int8Array(dim);
      const { scale, residual, codeNorm } = quantizeRow(x, 0, dim, codes, 0);
      expect(Math.fround(scale)).toBe(scale);
      const residuals: number[] = [];
      const codeValues: number[] = [];
      for (let d = 0; d < dim; d++) {
        const c = codes[d] as number;
        expect(Math.abs(c)).toBeLessThanOrEqual(CODE_MAX);
        // The residual is exact in float64 (the module's argument): check that no bits were lost.
        const r = (x[d] as number) - scale * c;
        expect(fixed(r)).toBe(fixed(x[d] as number) - fixed(scale) * BigInt(c));
        residuals.push(r);
        codeValues.push(scale * c);
      }
      expect(boundsNorm(residual, residuals)).toBe(true);
      expect(boundsNorm(codeNorm, codeValues)).toBe(true);
      // ... and the bounds are tight, not merely safe (within 0.01 % here, the rounding-up margins).
      const actual = Math.sqrt(residuals.reduce((a, r) => a + r * r, 0));
      if (actual > 0) expect(residual / actual).toBeLessThan(1.0001);
    }
  });

  it('rounds to the nearest code, ties to even', () => {
    const codes = new Int8Array(4);
    // scale = 127 / 127 = 1: codes are x rounded.
    const { scale } = quantizeRow(Float32Array.of(127, 2.5, -3.5, 0.49999997), 0, 4, codes, 0);
    expect(scale).toBe(1);
    expect(Array.from(codes)).toEqual([127, 2, -4, 0]);
  });
});

describe('quantizeQuery', () => {
  it('keeps the int32 dot product exact for every stride', () => {
    for (const stride of [32, 64, 512, 544, 768, 1024, 4096, 65536, 1 << 24]) {
      const max = queryCodeMax(stride);
      expect(stride * CODE_MAX * max).toBeLessThan(2 ** 31);
      expect(stride * CODE_MAX * (max + 1)).toBeGreaterThanOrEqual(max === 32767 ? 0 : 2 ** 31);
    }
    expect(queryCodeMax(768)).toBe(22017);
    expect(queryCodeMax(2 ** 25)).toBe(0);
  });

  it('bounds |q| and |q - q^| exactly, and degrades to q^ = 0 without an integer range', () => {
    const random = rng(7);
    for (const dim of [5, 768]) {
      for (const q of adversarialRows(dim, random)) {
        const max = queryCodeMax(Math.ceil(dim / 32) * 32);
        const prepared = quantizeQuery(q, dim, Math.ceil(dim / 32) * 32, max);
        const residuals = Array.from(q, (v, d) => v - prepared.scale * (prepared.codes[d] as number));
        prepared.codes.forEach((c) => {
          expect(Math.abs(c)).toBeLessThanOrEqual(max);
        });
        expect(boundsNorm(prepared.residual, residuals)).toBe(true);
        expect(boundsNorm(prepared.norm, Array.from(q))).toBe(true);
      }
    }
    const q = unit([3, 4]);
    const none = quantizeQuery(q, 2, 32, 0);
    expect(none.scale).toBe(0);
    expect(Array.from(none.codes).every((c) => c === 0)).toBe(true);
    expect(none.residual).toBe(none.norm);
  });
});
