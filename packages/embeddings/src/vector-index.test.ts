import { describe, expect, it } from 'vitest';
import { type SearchHit, type VectorId, VectorIndex } from './vector-index.js';

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

/**
 * Brute-force reference of the documented semantics, independent of the index's code: vectors are
 * normalized in float64 and rounded to float32; a score is the float64 sum, in dimension order, of the
 * products with the normalized float32 query; the best k, equal scores in storage order; `remove`
 * moves the last row into the hole.
 */
class Reference {
  readonly ids: VectorId[] = [];
  readonly rows: Float32Array[] = [];
  readonly #rowOf = new Map<VectorId, number>();

  static normalize(v: ArrayLike<number>): Float32Array {
    let sum = 0;
    for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number);
    const inv = sum === 0 ? 0 : 1 / Math.sqrt(sum);
    return Float32Array.from(v, (x) => x * inv);
  }

  add(id: VectorId, v: ArrayLike<number>): void {
    const at = this.#rowOf.get(id);
    if (at !== undefined) this.rows[at] = Reference.normalize(v);
    else {
      this.#rowOf.set(id, this.ids.length);
      this.ids.push(id);
      this.rows.push(Reference.normalize(v));
    }
  }

  remove(id: VectorId): void {
    const at = this.#rowOf.get(id);
    if (at === undefined) return;
    const lastId = this.ids[this.ids.length - 1] as VectorId;
    this.ids[at] = lastId;
    this.rows[at] = this.rows[this.rows.length - 1] as Float32Array;
    this.#rowOf.set(lastId, at);
    this.#rowOf.delete(id);
    this.ids.pop();
    this.rows.pop();
  }

  search(query: ArrayLike<number>, k: number): SearchHit[] {
    const q = Reference.normalize(query);
    const scored = this.rows.map((x, row) => {
      let score = 0;
      for (let d = 0; d < q.length; d++) score += (x[d] as number) * (q[d] as number);
      return { row, score };
    });
    scored.sort((a, b) => b.score - a.score || a.row - b.row);
    return scored.slice(0, k).map(({ row, score }) => ({ id: this.ids[row] as VectorId, score }));
  }
}

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

const KERNELS = ['wasm-simd', 'js'] as const;

/** Builds the index and the reference from the same rows (ids = row numbers unless given). */
function build(dim: number, rows: readonly ArrayLike<number>[], kernel: (typeof KERNELS)[number], capacity = 4) {
  const index = new VectorIndex(dim, { kernel, capacity });
  const reference = new Reference();
  rows.forEach((v, i) => {
    index.add(i, v);
    reference.add(i, v);
  });
  return { index, reference };
}

/** search, searchMany (in one batch) and the reference agree exactly, ids and scores. */
function expectExact(index: VectorIndex, reference: Reference, queries: readonly ArrayLike<number>[], k: number) {
  expect(index.ids()).toEqual(reference.ids);
  const expected = queries.map((q) => reference.search(q, k));
  queries.forEach((q, i) => {
    expect(index.search(q, k)).toEqual(expected[i]);
  });
  if (queries.length > 0) {
    const data = new Float32Array(queries.length * index.dim);
    queries.forEach((q, i) => {
      data.set(Float32Array.from(q), i * index.dim);
    });
    expect(index.searchMany({ data, rows: queries.length, dim: index.dim }, k)).toEqual(expected);
  }
}

function rowsOf(data: Float32Array, dim: number): Float32Array[] {
  return Array.from({ length: data.length / dim }, (_, i) => data.slice(i * dim, (i + 1) * dim));
}

describe.each(KERNELS)('VectorIndex exactness (%s first pass)', (kernel) => {
  it('equals brute force bit for bit on random data, for k from 1 to beyond the size', () => {
    const dim = 48;
    const { index, reference } = build(dim, rowsOf(gaussian(1500 * dim, 1), dim), kernel);
    expect(index.kernel).toBe(kernel);
    const queries = rowsOf(gaussian(9 * dim, 2), dim);
    for (const k of [1, 10, 57]) expectExact(index, reference, queries, k);
    expectExact(index, reference, queries.slice(0, 2), 1500);
    expectExact(index, reference, queries.slice(0, 2), 5000);
  });

  it('equals brute force at 768 dimensions, 10k vectors', () => {
    const dim = 768;
    const { index, reference } = build(dim, rowsOf(gaussian(10000 * dim, 3), dim), kernel, 10000);
    expectExact(index, reference, rowsOf(gaussian(5 * dim, 4), dim), 10);
  });

  it('ranks near ties, exact duplicates and zero vectors exactly, ties in storage order', () => {
    const dim = 40;
    const base = gaussian(dim, 5);
    const noise = gaussian(400 * dim, 6);
    const rows: Float32Array[] = [];
    const duplicates: number[] = [];
    for (let i = 0; i < 400; i++) {
      // Perturbations from well inside to far below the int8 resolution (~1e-3 of a component).
      const eps = [1e-2, 1e-4, 1e-6, 1e-8][i % 4] as number;
      rows.push(Float32Array.from(base, (v, d) => v + eps * (noise[i * dim + d] as number)));
      if (i % 50 === 0) duplicates.push(rows.push(base.slice()) - 1); // exact copies of the query
      if (i % 97 === 0) rows.push(new Float32Array(dim)); // zero vectors
      if (i % 61 === 0) rows.push(Float32Array.from(base, (v) => v * 3)); // same direction, other length
    }
    const { index, reference } = build(dim, rows, kernel);
    const opposite = Float32Array.from(base, (v) => -v);
    const queries = [base, opposite, rows[5] as Float32Array, rows[6] as Float32Array, gaussian(dim, 7)];
    for (const k of [1, 8, 30, 200]) expectExact(index, reference, queries, k);
    // The exact copies tie (with every row whose perturbation vanished in float32): storage order.
    const copies = index.search(base, rows.length).filter((hit) => duplicates.includes(hit.id as number));
    expect(copies.map((hit) => hit.id)).toEqual(duplicates);
    expect(new Set(copies.map((hit) => hit.score)).size).toBe(1);
    // A zero query scores 0 everywhere: the first rows, in storage order.
    expectExact(index, reference, [new Float32Array(dim)], 5);
    expect(index.search(new Float32Array(dim), 2)).toEqual([
      { id: 0, score: 0 },
      { id: 1, score: 0 },
    ]);
  });

  it('stays exact where the int8 codes say little: one-hot, sparse, spiky and tiny vectors', () => {
    for (const dim of [1, 3, 33, 100]) {
      const random = gaussian(300 * dim, dim);
      const rows: Float32Array[] = [];
      for (let i = 0; i < 300; i++) {
        const v = new Float32Array(dim);
        if (i % 3 === 0)
          v[i % dim] = i % 2 ? 1 : -1; // one-hot
        else if (i % 3 === 1) {
          v[0] = 1000; // one spike: every other component rounds to code 0
          for (let d = 1; d < dim; d++) v[d] = random[i * dim + d] as number;
        } else for (let d = 0; d < dim; d++) v[d] = (random[i * dim + d] as number) * 1e-30;
        rows.push(v);
      }
      const { index, reference } = build(dim, rows, kernel);
      expectExact(index, reference, [rows[0], rows[1], rows[2], rowsOf(gaussian(dim, 9), dim)[0]] as Float32Array[], 7);
    }
  });

  it('stays exact through growth, replaced ids and removed rows', () => {
    const dim = 24;
    const vectors = rowsOf(gaussian(900 * dim, 10), dim);
    const { index, reference } = build(dim, vectors.slice(0, 300), kernel);
    const queries = rowsOf(gaussian(6 * dim, 11), dim);
    let next = 300;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 60; i++) {
        const id = (round * 37 + i * 11) % next;
        expect(index.remove(id)).toBe(reference.ids.includes(id));
        reference.remove(id);
      }
      for (let i = 0; i < 40; i++) {
        const v = vectors[next] as Float32Array;
        const id = i % 4 === 0 ? (i * 7) % next : next; // some replace a stored (or removed) id
        index.add(id, v);
        reference.add(id, v);
        next++;
      }
      expectExact(index, reference, queries, 12);
    }
    while (reference.ids.length > 0) {
      const id = reference.ids[0] as VectorId;
      index.remove(id);
      reference.remove(id);
    }
    expect(index.search(queries[0] as Float32Array, 3)).toEqual([]);
    expect(index.searchMany({ data: new Float32Array(dim), rows: 1, dim }, 3)).toEqual([[]]);
  });

  it('stays exact after fromBytes, from its own bytes and from format 1 bytes written by hand', () => {
    const dim = 20;
    const { index, reference } = build(dim, rowsOf(gaussian(500 * dim, 12), dim), kernel);
    for (let i = 0; i < 500; i += 9) {
      index.remove(i);
      reference.remove(i);
    }
    const queries = rowsOf(gaussian(7 * dim, 13), dim);
    const back = VectorIndex.fromBytes(index.toBytes(), { dim, kernel });
    expect(back.kernel).toBe(kernel);
    expectExact(back, reference, queries, 10);
    // Format 1 as documented: header (u32 LE: magic, version 1, dim, count, id bytes), JSON ids padded
    // to 4 bytes, count x dim float32 LE. Stored rows need not be unit length; scores use them as stored.
    const ids = ['x', 'y', 'z'];
    const vectors = [
      [0.6, 0.8, 0],
      [1, 1, 1],
      [0, 0, 0],
    ];
    const json = new TextEncoder().encode(JSON.stringify(ids));
    const padded = Math.ceil(json.length / 4) * 4;
    const bytes = new Uint8Array(20 + padded + 3 * 3 * 4);
    const view = new DataView(bytes.buffer);
    [0x49565742, 1, 3, 3, json.length].forEach((v, i) => {
      view.setUint32(i * 4, v, true);
    });
    bytes.set(json, 20);
    vectors.flat().forEach((v, i) => {
      view.setFloat32(20 + padded + i * 4, v, true);
    });
    const handmade = VectorIndex.fromBytes(bytes, { kernel });
    const q = Reference.normalize([1, 2, 0]);
    const score = (v: number[]) => v.reduce((acc, x, d) => acc + Math.fround(x) * (q[d] as number), 0);
    expect(handmade.search([1, 2, 0], 5)).toEqual([
      { id: 'y', score: score([1, 1, 1]) },
      { id: 'x', score: score([0.6, 0.8, 0]) },
      { id: 'z', score: 0 },
    ]);
    const corrupt = bytes.slice();
    new DataView(corrupt.buffer).setFloat32(20 + padded + 4, Number.NaN, true);
    expect(() => VectorIndex.fromBytes(corrupt, { kernel })).toThrowError(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });

  it('answers each query of a batch as if alone, whatever the batch holds', () => {
    const dim = 64;
    const { index } = build(dim, rowsOf(gaussian(700 * dim, 14), dim), kernel);
    const queries = rowsOf(gaussian(9 * dim, 15), dim);
    queries[3] = new Float32Array(dim); // a zero query inside a batch
    queries[5] = (queries[1] as Float32Array).slice(); // a duplicate
    const alone = queries.map((q) => index.search(q, 6));
    for (let size = 1; size <= 9; size++) {
      const data = new Float32Array(size * dim);
      for (let i = 0; i < size; i++) data.set(queries[i] as Float32Array, i * dim);
      expect(index.searchMany({ data, rows: size, dim }, 6)).toEqual(alone.slice(0, size));
    }
    expect(index.searchMany({ data: new Float32Array(0), rows: 0, dim }, 6)).toEqual([]);
  });
});

describe('VectorIndex kernels, inputs and memory', () => {
  it('gives identical results on both kernels, picks WebAssembly SIMD by default in Node', () => {
    const dim = 96;
    const rows = rowsOf(gaussian(800 * dim, 16), dim);
    const simd = build(dim, rows, 'wasm-simd').index;
    const js = build(dim, rows, 'js').index;
    expect(new VectorIndex(dim).kernel).toBe('wasm-simd');
    const data = gaussian(6 * dim, 17);
    expect(simd.searchMany({ data, rows: 6, dim }, 9)).toEqual(js.searchMany({ data, rows: 6, dim }, 9));
  });

  it('rejects bad options, queries and k with INPUT_INVALID', () => {
    const code = { code: 'INPUT_INVALID' };
    expect(() => new VectorIndex(4, { kernel: 'gpu' as 'js' })).toThrowError(expect.objectContaining(code));
    expect(() => new VectorIndex(4, { capacity: 2.5 })).toThrowError(expect.objectContaining(code));
    const index = new VectorIndex(4);
    index.add('a', [1, 2, 3, 4]);
    expect(() => index.search([1, 2, 3, 4], 0)).toThrowError(expect.objectContaining(code));
    expect(() => index.search([1, 2, 3, 4], 1.5)).toThrowError(expect.objectContaining(code));
    expect(() => index.searchMany({ data: new Float32Array(7), rows: 2, dim: 4 }, 1)).toThrowError(
      expect.objectContaining(code),
    );
    expect(() => index.searchMany({ data: new Float32Array(8), rows: 2, dim: 3 }, 1)).toThrowError(
      expect.objectContaining(code),
    );
    expect(() => index.search([1, Number.POSITIVE_INFINITY, 3, 4], 1)).toThrowError(expect.objectContaining(code));
  });

  it('normalizes vectors whose squares leave the float64 range', () => {
    const index = new VectorIndex(3);
    index.add('huge', [3e200, 4e200, 0]);
    index.add('tiny', [0, 3e-200, 4e-200]);
    expect(Array.from(index.get('huge') ?? [])).toEqual(Array.from(Float32Array.of(0.6, 0.8, 0)));
    expect(Array.from(index.get('tiny') ?? [])).toEqual(Array.from(Float32Array.of(0, 0.6, 0.8)));
    expect(index.search([0, 1e300, 0], 1)[0]?.id).toBe('huge');
  });

  it('reports memory per vector: float32 vector, int8 codes padded to 32, three float32 bounds', () => {
    const index = new VectorIndex(768, { capacity: 10 });
    index.addMany([1, 2], { data: gaussian(2 * 768, 18), rows: 2, dim: 768 });
    expect(index.memoryUsage()).toEqual({
      vectors: 2,
      bytesPerVector: 768 * 4 + 768 + 12,
      usedBytes: 2 * 3852,
      allocatedBytes: 10 * 3852,
    });
    expect(new VectorIndex(100).memoryUsage().bytesPerVector).toBe(400 + 128 + 12);
  });
});
