import { describe, expect, it } from 'vitest';
import { bytesSource } from '../io/byte-source.js';
import { gaussian } from '../test-utils/random.js';
import { activationOutputMean, geluMean, linearOutputMean, normalCdf, reluMean } from './input-means.js';
import { blockErrorTimesMean, quantizeBlocks } from './quantize.js';
import type { TensorRef } from './tensor.js';

function ref(name: string, data: Float32Array, shape: number[]): TensorRef {
  const bytes = new Uint8Array(data.buffer.slice(0));
  return { name, dtype: 'F32', shape, source: bytesSource(name, bytes), byteOffset: 0 };
}

const gelu = (z: number) => z * normalCdf(z);

describe('closed-form means of activations of a Gaussian', () => {
  it.each([
    [0, 1],
    [0.7, 0.3],
    [-1.2, 2.5],
    [0.1, 0.01],
  ])('GELU and ReLU of N(%d, %d) match a Monte Carlo estimate', (m, v) => {
    const rand = gaussian(11);
    let g = 0;
    let r = 0;
    const n = 400_000;
    for (let i = 0; i < n; i++) {
      const z = m + Math.sqrt(v) * rand();
      g += gelu(z);
      r += Math.max(z, 0);
    }
    expect(geluMean(m, v)).toBeCloseTo(g / n, 2);
    expect(reluMean(m, v)).toBeCloseTo(r / n, 2);
  });

  it('normalCdf is the standard normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});

describe('mean inputs of Linear layers', () => {
  const rand = gaussian(5);
  const k = 16;
  const n = 8;
  const w = Float32Array.from({ length: n * k }, () => 0.3 * rand());
  const b = Float32Array.from({ length: n }, () => 0.1 * rand());
  const gamma = Float32Array.from({ length: k }, () => 1 + 0.2 * rand());
  const beta = Float32Array.from({ length: k }, () => 0.3 * rand());
  const linear = { weight: ref('w', w, [n, k]), bias: ref('b', b, [n]) };
  const norm = { weight: ref('g', gamma, [k]), bias: ref('beta', beta, [k]) };

  it('linearOutputMean is W mean + b', async () => {
    const got = await linearOutputMean(linear, beta);
    for (let j = 0; j < n; j++) {
      let expected = b[j] as number;
      for (let i = 0; i < k; i++) expected += (w[j * k + i] as number) * (beta[i] as number);
      expect(got[j]).toBeCloseTo(expected, 5);
    }
  });

  it('activationOutputMean matches sampling gamma * N(0, 1) + beta through the layer', async () => {
    const got = await activationOutputMean(linear, norm, 'gelu');
    const sums = new Float64Array(n);
    const squares = new Float64Array(n);
    const samples = 100_000;
    const x = new Float64Array(k);
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < k; i++) x[i] = (gamma[i] as number) * rand() + (beta[i] as number);
      for (let j = 0; j < n; j++) {
        let z = b[j] as number;
        for (let i = 0; i < k; i++) z += (w[j * k + i] as number) * (x[i] as number);
        sums[j] = (sums[j] as number) + gelu(z);
        squares[j] = (squares[j] as number) + gelu(z) ** 2;
      }
    }
    for (let j = 0; j < n; j++) {
      const mean = (sums[j] as number) / samples;
      const standardError = Math.sqrt(((squares[j] as number) / samples - mean * mean) / samples);
      expect(Math.abs((got[j] as number) - mean)).toBeLessThan(4 * standardError);
    }
  });
});

describe('blockErrorTimesMean', () => {
  it.each([4, 8] as const)('is (W - dequantized W) @ mean for %d-bit blocks, ragged last block', (bits) => {
    const rand = gaussian(9);
    const rows = 5;
    const k = 40; // one full block of 32 and a ragged block of 8
    const w = Float32Array.from({ length: rows * k }, () => rand());
    const mean = Float32Array.from({ length: k }, () => rand());
    const q = quantizeBlocks(w, rows, k, 32, bits);
    const got = blockErrorTimesMean(w, q, rows, k, 32, bits, mean);
    const blob = (32 * bits) / 8;
    for (let r = 0; r < rows; r++) {
      let expected = 0;
      for (let c = 0; c < k; c++) {
        const block = Math.floor(c / 32);
        const i = c % 32;
        const byte = q.packed[(r * 2 + block) * blob + (bits === 8 ? i : i >> 1)] as number;
        const code = bits === 8 ? byte : (byte >> (4 * (i & 1))) & 15;
        const dequantized = (code - (1 << (bits - 1))) * (q.scales[r * 2 + block] as number);
        expected += ((w[r * k + c] as number) - dequantized) * (mean[c] as number);
      }
      expect(got[r]).toBeCloseTo(expected, 5);
      expect(Math.abs(expected)).toBeGreaterThan(0);
    }
  });
});
