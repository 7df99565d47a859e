/**
 * An exact in-memory cosine index. Vectors are L2-normalized on insert and stored twice: as float32
 * (the exact scores come from these) and as int8 codes with one scale per vector (search/code-store.ts).
 * A query first scores every row from the int8 codes (WebAssembly SIMD where available, reading a
 * quarter of the float bytes), with a proven error bound per row; only the rows whose bound reaches the
 * k-th best are re-scored exactly (search/bounded-top-k.ts), so the results are exactly the brute-force
 * float ranking.
 */
import { BertwebError } from '@bertweb/core';
import { BoundedTopK } from './search/bounded-top-k.js';
import { CodeStore } from './search/code-store.js';
import type { SearchKernel } from './search/kernels.js';
import { type QuantizedQuery, quantizeQuery, queryCodeMax } from './search/quantize.js';
import type { EmbeddingMatrix } from './types.js';

/** Identifier of a stored vector. */
export type VectorId = string | number;

/** One search hit. */
export interface SearchHit {
  readonly id: VectorId;
  /**
   * Cosine similarity (0 against a zero vector): the float64 sum, in dimension order, of the products of
   * the stored (normalized, float32) vector and the normalized float32 query.
   */
  readonly score: number;
}

/**
 * Options of a {@link VectorIndex}.
 *
 * @example
 * ```ts
 * const options: VectorIndexOptions = { capacity: 100_000, kernel: 'auto' };
 * ```
 */
export interface VectorIndexOptions {
  /** Rows to allocate up front (default 1024); the index grows by half when full. */
  readonly capacity?: number;
  /**
   * First-pass kernel (default `auto`: WebAssembly SIMD where the engine has it, else JavaScript).
   * `wasm-simd` throws BACKEND_UNAVAILABLE where it cannot run. Results are identical either way.
   */
  readonly kernel?: SearchKernel;
}

/**
 * What an index holds in typed arrays (the ids' JavaScript strings, numbers and map entries come on
 * top and are not counted).
 *
 * @example
 * ```ts
 * const { bytesPerVector, usedBytes } = index.memoryUsage();
 * ```
 */
export interface VectorIndexMemory {
  readonly vectors: number;
  /** Float32 vector, int8 codes (padded to 32) and three float32 bounds: 4 dim + stride + 12. */
  readonly bytesPerVector: number;
  /** bytesPerVector x vectors. */
  readonly usedBytes: number;
  /** The same for the allocated capacity (rows reserved for growth included). */
  readonly allocatedBytes: number;
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
 * Results equal a brute-force float search: every stored vector is scored as {@link SearchHit.score}
 * says, the best k are returned, equal scores in storage order ({@link VectorIndex.ids}). Only the
 * time depends on the data: a query costs one int8 pass over the index plus an exact re-score of the
 * rows within the quantization error of the k-th best (tens of rows for 768-d vectors without near
 * duplicates, see bench/RESULTS.md; every tied row when many vectors are identical).
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
  readonly #codes: CodeStore;
  readonly #queryCodeMax: number;

  constructor(dim: number, options: VectorIndexOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1) throw new BertwebError('INPUT_INVALID', `dim must be a positive integer`);
    const kernel = options.kernel ?? 'auto';
    if (kernel !== 'auto' && kernel !== 'wasm-simd' && kernel !== 'js') {
      throw new BertwebError('INPUT_INVALID', `kernel must be 'auto', 'wasm-simd' or 'js', got ${String(kernel)}`);
    }
    const capacity = Math.max(1, options.capacity ?? 1024);
    if (!Number.isInteger(capacity)) throw new BertwebError('INPUT_INVALID', 'capacity must be an integer');
    this.dim = dim;
    this.#data = new Float32Array(capacity * dim);
    this.#codes = new CodeStore(dim, capacity, kernel);
    this.#queryCodeMax = queryCodeMax(this.#codes.stride);
  }

  /**
   * The first-pass kernel in use: `wasm-simd`, or `js` where WebAssembly SIMD is missing (or its memory
   * could not grow).
   *
   * @example
   * ```ts
   * index.kernel; // 'wasm-simd'
   * ```
   */
  get kernel(): 'wasm-simd' | 'js' {
    return this.#codes.kernel;
  }

  /**
   * Bytes per stored vector and in all (typed arrays only).
   *
   * @example
   * ```ts
   * index.memoryUsage().bytesPerVector; // 3852 for 768 dimensions
   * ```
   */
  memoryUsage(): VectorIndexMemory {
    const bytesPerVector = this.dim * 4 + this.#codes.bytesPerRow;
    const capacity = this.#data.length / this.dim;
    return {
      vectors: this.size,
      bytesPerVector,
      usedBytes: bytesPerVector * this.size,
      allocatedBytes: capacity * bytesPerVector,
    };
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
      this.#codes.moveRow(last, row);
      this.#ids[row] = lastId;
      this.#rowOf.set(lastId, row);
    }
    this.#ids.pop();
    this.#rowOf.delete(id);
    return true;
  }

  /**
   * The `k` stored vectors most cosine-similar to `query`, best first (ties: earlier storage row first);
   * all of them, ranked, when `k` exceeds {@link VectorIndex.size}. Exact: see the class comment.
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
    checkK(k);
    return this.#searchNormalized([normalized(query, 0, this.dim)], k)[0] as SearchHit[];
  }

  /**
   * {@link VectorIndex.search} for every row of a query matrix, as one blocked pass over the index: each
   * block of stored vectors is scored against four queries at a time while it sits in cache, so a batch
   * costs far less than its queries one by one. `hits[i]` is exactly `search(row i, k)`: no result
   * depends on the other queries of the batch.
   *
   * @example
   * ```ts
   * const queries = await embedder.embed(['capital of France', 'sleepy animals']);
   * const hits = index.searchMany(queries, 5); // hits[0]: the 5 best for the first query
   * ```
   */
  searchMany(queries: EmbeddingMatrix, k = 10): SearchHit[][] {
    if (queries?.dim !== this.dim) {
      throw new BertwebError('INPUT_INVALID', `queries of dimension ${queries?.dim} for a ${this.dim}-d index`);
    }
    if (
      !Number.isInteger(queries.rows) ||
      queries.rows < 0 ||
      !(queries.data instanceof Float32Array) ||
      queries.data.length !== queries.rows * queries.dim
    ) {
      throw new BertwebError(
        'INPUT_INVALID',
        `query matrix of ${queries.rows} rows has ${queries.data?.length} values`,
      );
    }
    checkK(k);
    const normalizedQueries: Float32Array[] = [];
    for (let i = 0; i < queries.rows; i++) normalizedQueries.push(normalized(queries.data, i * this.dim, this.dim));
    return this.#searchNormalized(normalizedQueries, k);
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
   * a truncated buffer, a non-finite value, or a dimension other than `options.dim` when given.
   * `options.kernel` as in {@link VectorIndexOptions}. The int8 codes are not stored: they are rebuilt
   * from the floats (one SIMD pass), so the bytes stay format 1.
   *
   * @example
   * ```ts
   * const index = VectorIndex.fromBytes(await idbGet('index'), { dim: 768 });
   * ```
   */
  static fromBytes(
    bytes: Uint8Array | ArrayBuffer,
    options: { readonly dim?: number; readonly kernel?: SearchKernel } = {},
  ): VectorIndex {
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
    const index = new VectorIndex(dim, { capacity: count, kernel: options.kernel ?? 'auto' });
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
    // The int8 codes are not stored (they follow from the floats, deterministically): rebuild them.
    index.#codes.setRows(0, count, index.#data, 0);
    for (let row = 0; row < count; row++) {
      // A non-finite value makes its row's bound NaN: corrupt bytes, not an index.
      if (!Number.isFinite(index.#codes.residual[row] as number)) {
        throw new BertwebError('INPUT_INVALID', `vector index row ${row} has a non-finite value`);
      }
    }
    return index;
  }

  /** Exact top-k of each (normalized) query: int8 first pass in cache-sized blocks, exact re-score. */
  #searchNormalized(queries: readonly Float32Array[], k: number): SearchHit[][] {
    const n = this.#ids.length;
    const keep = Math.min(k, n);
    const store = this.#codes;
    const prepared = queries.map((q) => quantizeQuery(q, this.dim, store.stride, this.#queryCodeMax));
    // A zero query scores exactly 0 against every row: its answer is the first rows, in storage order.
    const open = prepared.flatMap((p, i) => (p.norm === 0 || n === 0 ? [] : [i]));
    const isOpen = new Uint8Array(queries.length);
    for (const i of open) isOpen[i] = 1;
    const selections = prepared.map((p) => new BoundedTopK(keep, p, store));
    // Groups of four queries share each pass over a block; a group of one uses the one-query kernel.
    const groups: number[][] = [];
    for (let g = 0; g < open.length; g += 4) groups.push(open.slice(g, g + 4));
    const codesOf = (group: number[]) => group.map((i) => (prepared[i] as QuantizedQuery).codes);
    if (groups.length === 1) store.setQueries(codesOf(groups[0] as number[]));
    for (let rowStart = 0; rowStart < n && groups.length > 0; rowStart += store.blockRows) {
      const rows = Math.min(store.blockRows, n - rowStart);
      for (const group of groups) {
        if (groups.length > 1) store.setQueries(codesOf(group));
        const count = group.length === 1 ? 1 : 4;
        const dots = store.dots(rowStart, rows, count);
        group.forEach((i, j) => {
          (selections[i] as BoundedTopK).scan(dots, j, count, rowStart, rows, store);
        });
      }
    }
    const firstRows = Int32Array.from({ length: keep }, (_, i) => i);
    return queries.map((q, i) => {
      if (!isOpen[i]) return this.#hits(firstRows, new Float64Array(keep));
      const candidates = (selections[i] as BoundedTopK).candidates();
      const scores = Float64Array.from(candidates, (row) => exactDot(this.#data, row * this.dim, q, this.dim));
      return this.#best(candidates, scores, k);
    });
  }

  /** The best `k` of the re-scored candidates, ties by row. */
  #best(rows: Int32Array, scores: Float64Array, k: number): SearchHit[] {
    const order = Array.from(rows.keys()).sort(
      (a, b) => (scores[b] as number) - (scores[a] as number) || (rows[a] as number) - (rows[b] as number),
    );
    const top = order.slice(0, k);
    return this.#hits(
      Int32Array.from(top, (c) => rows[c] as number),
      Float64Array.from(top, (c) => scores[c] as number),
    );
  }

  #hits(rows: Int32Array, scores: Float64Array): SearchHit[] {
    return Array.from(rows, (row, i) => ({ id: this.#ids[row] as VectorId, score: scores[i] as number }));
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
    this.#codes.setRows(row, 1, this.#data, row * this.dim);
  }

  #grow(rows: number): void {
    if (rows * this.dim <= this.#data.length) return;
    const capacity = Math.max(rows, Math.ceil((this.#data.length / this.dim) * 1.5));
    const next = new Float32Array(capacity * this.dim);
    next.set(this.#data);
    this.#data = next;
    this.#codes.ensureCapacity(capacity);
  }
}

function checkId(id: unknown): asserts id is VectorId {
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
    throw new BertwebError('INPUT_INVALID', `ids must be strings or finite numbers, got ${String(id)}`);
  }
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new BertwebError('INPUT_INVALID', 'k must be a positive integer');
}

/**
 * The exact score: float64 sum of `data[base + d] * q[d]` in dimension order (each product of two
 * float32 values is exact in float64). The definition {@link SearchHit.score} states; a brute-force
 * reference computes the same bits.
 */
function exactDot(data: Float32Array, base: number, q: Float32Array, dim: number): number {
  let sum = 0;
  for (let d = 0; d < dim; d++) sum += (data[base + d] as number) * (q[d] as number);
  return sum;
}

/** `source[from..from+dim)` scaled to unit length, in float64 math; zeros stay zeros. */
function normalized(source: ArrayLike<number>, from: number, dim: number): Float32Array {
  let sum = 0;
  let max = 0;
  for (let d = 0; d < dim; d++) {
    const v = source[from + d] as number;
    if (!Number.isFinite(v)) throw new BertwebError('INPUT_INVALID', `vector has a non-finite value at ${d}`);
    sum += v * v;
    if (Math.abs(v) > max) max = Math.abs(v);
  }
  const out = new Float32Array(dim);
  if (max === 0) return out;
  if (Number.isFinite(sum) && sum >= 2 ** -1000) {
    const inv = 1 / Math.sqrt(sum);
    for (let d = 0; d < dim; d++) out[d] = (source[from + d] as number) * inv;
    return out;
  }
  // The squares overflowed or underflowed float64 (components beyond about 1e154 or below 1e-154):
  // divide by the largest magnitude first.
  let scaled = 0;
  for (let d = 0; d < dim; d++) scaled += ((source[from + d] as number) / max) ** 2;
  const inv = 1 / Math.sqrt(scaled);
  for (let d = 0; d < dim; d++) out[d] = ((source[from + d] as number) / max) * inv;
  return out;
}
