import { describe, expect, it } from 'vitest';
import { BoundedTopK } from './bounded-top-k.js';
import { CodeStore } from './code-store.js';
import { quantizeQuery, queryCodeMax } from './quantize.js';

function gaussian(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return Float32Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

function normalizeRows(data: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length / dim; r++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += (data[r * dim + d] as number) ** 2;
    for (let d = 0; d < dim; d++) out[r * dim + d] = (data[r * dim + d] as number) / Math.sqrt(sum);
  }
  return out;
}

/** The exact score as the index defines it: float64 sum in dimension order. */
function exact(data: Float32Array, row: number, q: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < q.length; d++) sum += (data[row * q.length + d] as number) * (q[d] as number);
  return sum;
}

describe('BoundedTopK', () => {
  const dim = 768;
  const n = 3000;
  const data = normalizeRows(gaussian(n * dim, 1), dim);
  const queries = normalizeRows(gaussian(8 * dim, 2), dim);

  for (const kernel of ['js', 'wasm-simd'] as const) {
    it(`holds every exact score within its interval, and the intervals are tight (${kernel})`, () => {
      const store = new CodeStore(dim, n, kernel);
      store.setRows(0, n, data, 0);
      let widest = 0;
      let worstRatio = 0;
      for (let j = 0; j < 8; j++) {
        const q = queries.subarray(j * dim, (j + 1) * dim);
        const prepared = quantizeQuery(q, dim, store.stride, queryCodeMax(store.stride));
        const selection = new BoundedTopK(10, prepared, store);
        store.setQueries([prepared.codes]);
        for (let start = 0; start < n; start += store.blockRows) {
          const rows = Math.min(store.blockRows, n - start);
          const dots = store.dots(start, rows, 1);
          for (let r = 0; r < rows; r++) {
            const approx = selection.approx(dots[r] as number, start + r, store);
            const bound = selection.bound(start + r, store);
            const error = Math.abs(exact(data, start + r, q) - approx);
            expect(error).toBeLessThanOrEqual(bound);
            widest = Math.max(widest, bound);
            worstRatio = Math.max(worstRatio, error / bound);
          }
        }
      }
      // Stated tolerance of the int8 first pass on 768-d unit vectors: |approx - exact| <= bound < 0.02
      // (Cauchy-Schwarz on the per-row residual: 0.007 typical, 0.013 the widest here; the actual errors
      // stay below a seventh of their bound).
      expect(widest).toBeLessThan(0.02);
      expect(worstRatio).toBeLessThan(0.5);
    });
  }

  it('keeps few candidates on random data, the exact top-k and its ties among them', () => {
    const store = new CodeStore(dim, n, 'auto');
    store.setRows(0, n, data, 0);
    for (let j = 0; j < 8; j++) {
      const q = queries.subarray(j * dim, (j + 1) * dim);
      const prepared = quantizeQuery(q, dim, store.stride, queryCodeMax(store.stride));
      const selection = new BoundedTopK(10, prepared, store);
      store.setQueries([prepared.codes, prepared.codes, prepared.codes, prepared.codes]);
      for (let start = 0; start < n; start += store.blockRows) {
        const rows = Math.min(store.blockRows, n - start);
        // The four-query kernel with the same query four times: read lane 2.
        selection.scan(store.dots(start, rows, 4), 2, 4, start, rows, store);
      }
      const candidates = Array.from(selection.candidates());
      expect(candidates).toEqual([...candidates].sort((a, b) => a - b));
      expect(candidates.length).toBeGreaterThanOrEqual(10);
      expect(candidates.length).toBeLessThan(60);
      const scores = Array.from({ length: n }, (_, row) => exact(data, row, q));
      const kth = [...scores].sort((a, b) => b - a)[9] as number;
      scores.forEach((score, row) => {
        if (score >= kth) expect(candidates).toContain(row);
      });
    }
  });
});
