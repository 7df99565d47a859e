/**
 * An exact in-memory cosine index. Vectors are L2-normalized on insert and stored in one growable
 * Float32Array, so a query is one pass of dot products followed by a top-k partial selection.
 */
import { BertwebError } from '@bertweb/core';
import { topK } from './top-k.js';
import type { EmbeddingMatrix } from './types.js';

/** Identifier of a stored vector. */
export type VectorId = string | number;

/** One search hit. */
export interface SearchHit {
  readonly id: VectorId;
  /** Cosine similarity (0 against a zero vector). */
  readonly score: number;
}

const MAGIC = 0x49565742; // 'BWVI' read as little-endian u32
const FORMAT_VERSION = 1;
const HEADER_BYTES = 20;
/** Whether this platform stores floats little-endian (then bytes are copied, not converted one by one). */
const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

/**
 * Exact top-k cosine search over vectors of one dimension. `add` with a known id replaces its vector;
 * `remove` moves the last row into the hole (O(dim)). Serializable with {@link VectorIndex.toBytes}
 * (store the bytes in IndexedDB or OPFS) and {@link VectorIndex.fromBytes}.
 *
 * @example
 * ```ts
 * const index = new VectorIndex(768);
 * index.addMany(['a', 'b'], await embedder.embed(['first doc', 'second doc']));
 * const hits = index.search((await embedder.embed(['query'])).data, 5); // [{id, score}, ...]
 * ```
 */
export class VectorIndex {
  readonly dim: number;
  #data: Float32Array;
  #ids: VectorId[] = [];
  readonly #rowOf = new Map<VectorId, number>();

  constructor(dim: number, options: { readonly capacity?: number } = {}) {
    if (!Number.isInteger(dim) || dim < 1) throw new BertwebError('INPUT_INVALID', `dim must be a positive integer`);
    this.dim = dim;
    const capacity = Math.max(1, options.capacity ?? 1024);
    this.#data = new Float32Array(capacity * dim);
  }

  /** Number of stored vectors. */
  get size(): number {
    return this.#ids.length;
  }

  /**
   * Ids in storage order.
   *
   * @example
   * ```ts
   * index.ids(); // ['a', 'b']
   * ```
   */
  ids(): VectorId[] {
    return [...this.#ids];
  }

  /**
   * Whether `id` is stored.
   *
   * @example
   * ```ts
   * index.has('a');
   * ```
   */
  has(id: VectorId): boolean {
    return this.#rowOf.has(id);
  }

  /**
   * Adds (or replaces) one vector. INPUT_INVALID for a wrong dimension or a non-finite value.
   *
   * @example
   * ```ts
   * index.add('doc-1', vector);
   * ```
   */
  add(id: VectorId, vector: ArrayLike<number>): void {
    checkId(id);
    if (vector?.length !== this.dim) {
      throw new BertwebError('INPUT_INVALID', `vector of dimension ${vector?.length} added to a ${this.dim}-d index`, {
        id,
        expected: this.dim,
        got: vector?.length,
      });
    }
    this.#put(id, vector, 0);
  }

  /**
   * Adds the rows of a matrix (e.g. {@link Embedder.embed}'s result) under `ids`, in order.
   *
   * @example
   * ```ts
   * index.addMany(docIds, await embedder.embed(docs));
   * ```
   */
  addMany(ids: readonly VectorId[], matrix: EmbeddingMatrix): void {
    if (matrix?.dim !== this.dim) {
      throw new BertwebError('INPUT_INVALID', `vectors of dimension ${matrix?.dim} added to a ${this.dim}-d index`);
    }
    if (!Array.isArray(ids) || ids.length !== matrix.rows || matrix.data.length !== matrix.rows * matrix.dim) {
      throw new BertwebError('INPUT_INVALID', `addMany needs one id per row (${ids?.length} ids, ${matrix.rows} rows)`);
    }
    ids.forEach(checkId);
    // Validate everything first, so a bad row leaves the index unchanged.
    for (let i = 0; i < matrix.data.length; i++) {
      if (!Number.isFinite(matrix.data[i] as number)) {
        throw new BertwebError('INPUT_INVALID', `row ${Math.floor(i / this.dim)} has a non-finite value`);
      }
    }
    ids.forEach((id, row) => {
      this.#put(id, matrix.data, row * this.dim);
    });
  }

  /**
   * Removes a vector; returns whether it was there.
   *
   * @example
   * ```ts
   * index.remove('doc-1'); // true
   * ```
   */
  remove(id: VectorId): boolean {
    const row = this.#rowOf.get(id);
    if (row === undefined) return false;
    const last = this.#ids.length - 1;
    if (row !== last) {
      const lastId = this.#ids[last] as VectorId;
      this.#data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.#ids[row] = lastId;
      this.#rowOf.set(lastId, row);
    }
    this.#ids.pop();
    this.#rowOf.delete(id);
    return true;
  }

  /**
   * The `k` stored vectors most cosine-similar to `query`, best first (ties: earlier storage row first).
   *
   * @example
   * ```ts
   * index.search(queryVector, 10);
   * ```
   */
  search(query: ArrayLike<number>, k = 10): SearchHit[] {
    if (query?.length !== this.dim) {
      throw new BertwebError('INPUT_INVALID', `query of dimension ${query?.length} for a ${this.dim}-d index`);
    }
    if (!Number.isInteger(k) || k < 1) throw new BertwebError('INPUT_INVALID', 'k must be a positive integer');
    const q = normalized(query, 0, this.dim);
    const n = this.#ids.length;
    const scores = new Float32Array(n);
    const data = this.#data;
    const dim = this.dim;
    const unrolled = dim - (dim % 4);
    for (let row = 0; row < n; row++) {
      const base = row * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let d = 0;
      for (; d < unrolled; d += 4) {
        s0 += (data[base + d] as number) * (q[d] as number);
        s1 += (data[base + d + 1] as number) * (q[d + 1] as number);
        s2 += (data[base + d + 2] as number) * (q[d + 2] as number);
        s3 += (data[base + d + 3] as number) * (q[d + 3] as number);
      }
      for (; d < dim; d++) s0 += (data[base + d] as number) * (q[d] as number);
      scores[row] = s0 + s1 + s2 + s3;
    }
    return topK(scores, n, k).map(({ index, score }) => ({ id: this.#ids[index] as VectorId, score }));
  }

  /**
   * {@link VectorIndex.search} for every row of a query matrix.
   *
   * @example
   * ```ts
   * const hits = index.searchMany(await embedder.embed(queries), 5); // hits[i] for query i
   * ```
   */
  searchMany(queries: EmbeddingMatrix, k = 10): SearchHit[][] {
    if (queries?.dim !== this.dim) {
      throw new BertwebError('INPUT_INVALID', `queries of dimension ${queries?.dim} for a ${this.dim}-d index`);
    }
    const out: SearchHit[][] = [];
    for (let i = 0; i < queries.rows; i++) {
      out.push(this.search(queries.data.subarray(i * this.dim, (i + 1) * this.dim), k));
    }
    return out;
  }

  /**
   * The stored (normalized) vector of `id`, as a fresh array, or undefined.
   *
   * @example
   * ```ts
   * index.get('doc-1'); // Float32Array(dim)
   * ```
   */
  get(id: VectorId): Float32Array | undefined {
    const row = this.#rowOf.get(id);
    if (row === undefined) return undefined;
    return this.#data.slice(row * this.dim, (row + 1) * this.dim);
  }

  /**
   * Serializes the index: header (magic `BWVI`, format version, dim, count, id-bytes length; u32
   * little-endian), the ids as UTF-8 JSON padded to 4 bytes, then `count x dim` float32 values.
   *
   * @example
   * ```ts
   * await idbSet('index', index.toBytes());
   * ```
   */
  toBytes(): Uint8Array {
    const idBytes = new TextEncoder().encode(JSON.stringify(this.#ids));
    const padded = Math.ceil(idBytes.length / 4) * 4;
    const count = this.#ids.length;
    const out = new Uint8Array(HEADER_BYTES + padded + count * this.dim * 4);
    const view = new DataView(out.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, FORMAT_VERSION, true);
    view.setUint32(8, this.dim, true);
    view.setUint32(12, count, true);
    view.setUint32(16, idBytes.length, true);
    out.set(idBytes, HEADER_BYTES);
    const values = this.#data.subarray(0, count * this.dim);
    const offset = HEADER_BYTES + padded;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    else for (let i = 0; i < values.length; i++) view.setFloat32(offset + i * 4, values[i] as number, true);
    return out;
  }

  /**
   * Reads {@link VectorIndex.toBytes} output. INPUT_INVALID for foreign bytes, another format version,
   * a truncated buffer, or a dimension other than `options.dim` when given.
   *
   * @example
   * ```ts
   * const index = VectorIndex.fromBytes(await idbGet('index'), { dim: 768 });
   * ```
   */
  static fromBytes(bytes: Uint8Array | ArrayBuffer, options: { readonly dim?: number } = {}): VectorIndex {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    if (u8.byteLength < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) {
      throw new BertwebError('INPUT_INVALID', 'not a bertweb vector index (bad magic)');
    }
    const version = view.getUint32(4, true);
    if (version !== FORMAT_VERSION) {
      throw new BertwebError(
        'INPUT_INVALID',
        `vector index format ${version} is not supported (expected ${FORMAT_VERSION})`,
      );
    }
    const dim = view.getUint32(8, true);
    const count = view.getUint32(12, true);
    const idLength = view.getUint32(16, true);
    if (options.dim !== undefined && options.dim !== dim) {
      throw new BertwebError('INPUT_INVALID', `the stored index has dimension ${dim}, expected ${options.dim}`);
    }
    const padded = Math.ceil(idLength / 4) * 4;
    const expected = HEADER_BYTES + padded + count * dim * 4;
    if (dim < 1 || u8.byteLength !== expected) {
      throw new BertwebError('INPUT_INVALID', `vector index bytes are ${u8.byteLength} long, expected ${expected}`);
    }
    let ids: unknown;
    try {
      ids = JSON.parse(
        new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(HEADER_BYTES, HEADER_BYTES + idLength)),
      );
    } catch {
      throw new BertwebError('INPUT_INVALID', 'vector index ids are corrupt');
    }
    if (!Array.isArray(ids) || ids.length !== count || new Set(ids).size !== count) {
      throw new BertwebError('INPUT_INVALID', 'vector index ids are corrupt');
    }
    const index = new VectorIndex(dim, { capacity: count });
    const offset = HEADER_BYTES + padded;
    if (LITTLE_ENDIAN) {
      // Byte copy into the (aligned) Float32Array: the stored format is little-endian float32.
      new Uint8Array(index.#data.buffer, 0, count * dim * 4).set(u8.subarray(offset, offset + count * dim * 4));
    } else {
      for (let i = 0; i < count * dim; i++) index.#data[i] = view.getFloat32(offset + i * 4, true);
    }
    ids.forEach((id: VectorId, row) => {
      checkId(id);
      index.#ids.push(id);
      index.#rowOf.set(id, row);
    });
    return index;
  }

  #put(id: VectorId, source: ArrayLike<number>, from: number): void {
    const vector = normalized(source, from, this.dim);
    let row = this.#rowOf.get(id);
    if (row === undefined) {
      row = this.#ids.length;
      this.#grow(row + 1);
      this.#ids.push(id);
      this.#rowOf.set(id, row);
    }
    this.#data.set(vector, row * this.dim);
  }

  #grow(rows: number): void {
    if (rows * this.dim <= this.#data.length) return;
    const capacity = Math.max(rows, Math.ceil((this.#data.length / this.dim) * 1.5));
    const next = new Float32Array(capacity * this.dim);
    next.set(this.#data);
    this.#data = next;
  }
}

function checkId(id: unknown): asserts id is VectorId {
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
    throw new BertwebError('INPUT_INVALID', `ids must be strings or finite numbers, got ${String(id)}`);
  }
}

/** `source[from..from+dim)` scaled to unit length, in float64 math; zeros stay zeros. */
function normalized(source: ArrayLike<number>, from: number, dim: number): Float32Array {
  let sum = 0;
  for (let d = 0; d < dim; d++) {
    const v = source[from + d] as number;
    if (!Number.isFinite(v)) throw new BertwebError('INPUT_INVALID', `vector has a non-finite value at ${d}`);
    sum += v * v;
  }
  const out = new Float32Array(dim);
  if (sum === 0) return out;
  const inv = 1 / Math.sqrt(sum);
  for (let d = 0; d < dim; d++) out[d] = (source[from + d] as number) * inv;
  return out;
}
