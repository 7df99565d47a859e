import { describe, expect, it } from 'vitest';
import { VectorIndex } from './vector-index.js';

function bruteForce(vectors: Map<string, Float32Array>, query: Float32Array, k: number) {
  const cos = (a: Float32Array, b: Float32Array) => {
    let d = 0;
    let na = 0;
    let nb = 0;
    a.forEach((x, i) => {
      d += x * (b[i] as number);
      na += x * x;
      nb += (b[i] as number) ** 2;
    });
    return d / Math.sqrt(na * nb);
  };
  return [...vectors]
    .map(([id, v]) => ({ id, score: cos(v, query) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

describe('VectorIndex', () => {
  let seed = 3;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648) * 2 - 1;
  };
  const vec = (dim: number) => Float32Array.from({ length: dim }, rand);

  it('finds the exact cosine top-k, and keeps it exact through replace and remove', () => {
    const dim = 16;
    const index = new VectorIndex(dim, { capacity: 2 }); // forces growth
    const truth = new Map<string, Float32Array>();
    for (let i = 0; i < 300; i++) {
      const v = vec(dim);
      index.add(`v${i}`, v);
      truth.set(`v${i}`, v);
    }
    for (let i = 0; i < 300; i += 7) {
      expect(index.remove(`v${i}`)).toBe(true);
      truth.delete(`v${i}`);
    }
    const replaced = vec(dim);
    index.add('v1', replaced);
    truth.set('v1', replaced);
    expect(index.remove('missing')).toBe(false);
    expect(index.size).toBe(truth.size);
    for (let q = 0; q < 20; q++) {
      const query = vec(dim);
      const hits = index.search(query, 5);
      const expected = bruteForce(truth, query, 5);
      expect(hits.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      hits.forEach((h, i) => {
        expect(h.score).toBeCloseTo((expected[i] as { score: number }).score, 5);
      });
    }
    expect(index.search(replaced, 1)[0]).toEqual({ id: 'v1', score: expect.closeTo(1, 5) });
  });

  it('round-trips through bytes and checks header, version and dimension', () => {
    const index = new VectorIndex(3);
    index.addMany(['a', 7, 'ünïcode'], { data: Float32Array.of(1, 0, 0, 0, 2, 0, 1, 1, 0), rows: 3, dim: 3 });
    const bytes = index.toBytes();
    const back = VectorIndex.fromBytes(bytes, { dim: 3 });
    expect(back.ids()).toEqual(['a', 7, 'ünïcode']);
    expect(back.search([1, 1, 0], 3)).toEqual(index.search([1, 1, 0], 3));
    expect(Array.from(back.get(7) ?? [])).toEqual([0, 1, 0]);
    const code = { code: 'INPUT_INVALID' };
    expect(() => VectorIndex.fromBytes(bytes, { dim: 4 })).toThrowError(expect.objectContaining(code));
    expect(() => VectorIndex.fromBytes(bytes.slice(0, bytes.length - 4))).toThrowError(expect.objectContaining(code));
    const wrongVersion = bytes.slice();
    wrongVersion[4] = 9;
    expect(() => VectorIndex.fromBytes(wrongVersion)).toThrowError(expect.objectContaining(code));
    expect(() => VectorIndex.fromBytes(new Uint8Array(40))).toThrowError(expect.objectContaining(code));
  });

  it('rejects a dimension mismatch and non-finite values without changing the index', () => {
    const index = new VectorIndex(4);
    index.add('a', [1, 2, 3, 4]);
    const code = { code: 'INPUT_INVALID' };
    expect(() => index.add('b', [1, 2, 3])).toThrowError(expect.objectContaining(code));
    expect(() => index.add('b', [1, Number.NaN, 3, 4])).toThrowError(expect.objectContaining(code));
    expect(() => index.addMany(['b'], { data: new Float32Array(3), rows: 1, dim: 3 })).toThrowError(
      expect.objectContaining(code),
    );
    expect(() =>
      index.addMany(['b', 'c'], { data: Float32Array.of(1, 1, 1, 1, 1, 1, 1, Number.NaN), rows: 2, dim: 4 }),
    ).toThrowError(expect.objectContaining(code));
    expect(() => index.search([1, 2], 1)).toThrowError(expect.objectContaining(code));
    expect(index.ids()).toEqual(['a']);
  });
});
