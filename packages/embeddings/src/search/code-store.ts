/**
 * The int8 copy of an index's rows, with their quantization bounds, and the first-pass dot products
 * over it. Rows live in WebAssembly memory when the SIMD kernels run (so the kernels read them in
 * place), in a plain buffer otherwise.
 */
import { BertwebError } from '@bertweb/core';
import { instantiateKernels, jsDotI8, type SearchKernel, type SimdExports } from './kernels.js';
import { hasNormalScale, quantizeRow, type RowBounds, rowBounds, zeroCodedRow } from './quantize.js';

const PAGE = 65536;
/** Bytes of codes one block of the first pass reads; small enough to stay in a core's L2 cache. */
const BLOCK_BYTES = 1 << 19;
/** Bytes of float rows copied in for one call of the WebAssembly quantizer. */
const SCRATCH_BYTES = 1 << 16;

/**
 * Row stride in bytes: the dimension rounded up to the kernels' 32-byte step.
 *
 * @example
 * ```ts
 * strideOf(100); // 128
 * ```
 */
export function strideOf(dim: number): number {
  return Math.ceil(dim / 32) * 32;
}

/**
 * Rows of int8 codes (zero-padded to {@link strideOf}) with, per row, the float32 scale and the upper
 * bounds of {@link quantizeRow}; grows like the index it belongs to.
 *
 * @example
 * ```ts
 * const store = new CodeStore(768, 1000, 'auto');
 * store.setRows(0, 1000, unitVectors, 0);
 * store.setQueries([quantizeQuery(q, 768, store.stride, queryCodeMax(store.stride)).codes]);
 * const dots = store.dots(0, Math.min(store.blockRows, 1000), 1);
 * ```
 */
export class CodeStore {
  readonly dim: number;
  readonly stride: number;
  /** Rows one first-pass block covers. */
  readonly blockRows: number;
  #kernel: 'wasm-simd' | 'js';
  readonly #forced: boolean;
  #simd: SimdExports | null;
  /** Byte offsets in the WebAssembly memory: queries, block outputs, float rows to quantize, codes. */
  readonly #queryAt = 0;
  readonly #outAt: number;
  readonly #scratchRows: number;
  readonly #scratchAt: number;
  readonly #scratchOutAt: number;
  readonly #codesAt: number;
  #codes: Int8Array;
  #jsQueries: Int16Array[] = [];
  #jsOut: Int32Array;
  #capacity: number;
  scale: Float32Array;
  residual: Float32Array;
  codeNorm: Float32Array;
  /** Largest residual / code norm ever stored (never lowered on removal: still an upper bound). */
  maxResidual = 0;
  maxCodeNorm = 0;

  constructor(dim: number, capacity: number, kernel: SearchKernel) {
    this.dim = dim;
    this.stride = strideOf(dim);
    this.blockRows = Math.max(16, Math.floor(BLOCK_BYTES / this.stride));
    this.#outAt = 4 * this.stride * 2;
    this.#scratchRows = Math.max(1, Math.floor(SCRATCH_BYTES / (this.stride * 4)));
    this.#scratchAt = this.#outAt + this.blockRows * 16;
    this.#scratchOutAt = this.#scratchAt + this.#scratchRows * this.stride * 4;
    this.#codesAt = Math.ceil((this.#scratchOutAt + this.#scratchRows * 24) / 64) * 64;
    this.#forced = kernel === 'wasm-simd';
    this.#capacity = capacity;
    this.#simd = kernel === 'js' ? null : this.#instantiate(capacity);
    if (this.#forced && !this.#simd) {
      throw new BertwebError('BACKEND_UNAVAILABLE', 'this engine cannot run the WebAssembly SIMD search kernels');
    }
    this.#kernel = this.#simd ? 'wasm-simd' : 'js';
    this.#codes = this.#simd
      ? new Int8Array(this.#simd.memory.buffer, this.#codesAt, capacity * this.stride)
      : new Int8Array(capacity * this.stride);
    this.#jsOut = this.#simd ? new Int32Array(0) : new Int32Array(this.blockRows * 4);
    this.scale = new Float32Array(capacity);
    this.residual = new Float32Array(capacity);
    this.codeNorm = new Float32Array(capacity);
  }

  /** The kernel in use. */
  get kernel(): 'wasm-simd' | 'js' {
    return this.#kernel;
  }

  /** Bytes held per row: codes and three float32 bounds. */
  get bytesPerRow(): number {
    return this.stride + 12;
  }

  /** Makes room for `rows` rows (existing rows keep their codes). */
  ensureCapacity(rows: number): void {
    if (rows <= this.#capacity) return;
    const capacity = Math.max(rows, Math.ceil(this.#capacity * 1.5));
    const used = this.#capacity * this.stride;
    if (this.#simd) {
      const need = this.#codesAt + capacity * this.stride;
      const have = this.#simd.memory.buffer.byteLength;
      try {
        if (need > have) this.#simd.memory.grow(Math.ceil((need - have) / PAGE));
        this.#codes = new Int8Array(this.#simd.memory.buffer, this.#codesAt, capacity * this.stride);
      } catch (error) {
        // Past what the engine grants one WebAssembly memory (4 GiB at most): continue in plain memory.
        if (this.#forced) {
          throw new BertwebError('QUOTA', 'the WebAssembly memory of the search kernels cannot grow further', {
            bytes: need,
          });
        }
        void error;
        const codes = new Int8Array(capacity * this.stride);
        codes.set(this.#codes.subarray(0, used));
        this.#codes = codes;
        this.#simd = null;
        this.#kernel = 'js';
        this.#jsOut = new Int32Array(this.blockRows * 4);
      }
    } else {
      const codes = new Int8Array(capacity * this.stride);
      codes.set(this.#codes.subarray(0, used));
      this.#codes = codes;
    }
    this.scale = grown(this.scale, capacity);
    this.residual = grown(this.residual, capacity);
    this.codeNorm = grown(this.codeNorm, capacity);
    this.#capacity = capacity;
  }

  /** Quantizes `count` rows from `src` (row i at `from + i * dim`) into rows `row ..` (within capacity). */
  setRows(row: number, count: number, src: Float32Array, from: number): void {
    const { dim, stride } = this;
    if (!this.#simd) {
      for (let i = 0; i < count; i++) {
        const at = (row + i) * stride;
        this.#record(row + i, quantizeRow(src, from + i * dim, dim, this.#codes, at));
        this.#codes.fill(0, at + dim, at + stride);
      }
      return;
    }
    const buffer = this.#simd.memory.buffer;
    const scratch = new Float32Array(buffer, this.#scratchAt, this.#scratchRows * stride);
    const out = new Float64Array(buffer, this.#scratchOutAt, this.#scratchRows * 3);
    for (let done = 0; done < count; done += this.#scratchRows) {
      const rows = Math.min(this.#scratchRows, count - done);
      // Each scratch row's padding [dim, stride) is never written, so it stays zero.
      for (let i = 0; i < rows; i++) {
        const at = from + (done + i) * dim;
        scratch.set(src.subarray(at, at + dim), i * stride);
      }
      this.#simd.quantizeRows(this.#scratchAt, rows, stride, this.#codesAt + (row + done) * stride, this.#scratchOutAt);
      for (let i = 0; i < rows; i++) {
        const scale = out[i * 3] as number;
        const target = row + done + i;
        this.#record(
          target,
          hasNormalScale(scale)
            ? // Two float64 lanes of stride / 2 terms each, then one addition: at most stride terms deep.
              rowBounds(scale, out[i * 3 + 1] as number, out[i * 3 + 2] as number, stride, dim)
            : zeroCodedRow(src, from + (done + i) * dim, dim, this.#codes, target * stride),
        );
      }
    }
  }

  #record(row: number, bounds: RowBounds): void {
    this.scale[row] = bounds.scale;
    this.residual[row] = bounds.residual;
    this.codeNorm[row] = bounds.codeNorm;
    if (bounds.residual > this.maxResidual) this.maxResidual = bounds.residual;
    if (bounds.codeNorm > this.maxCodeNorm) this.maxCodeNorm = bounds.codeNorm;
  }

  /** Copies row `from` over row `to` (removal moves the last row into the hole). */
  moveRow(from: number, to: number): void {
    this.#codes.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride);
    this.scale[to] = this.scale[from] as number;
    this.residual[to] = this.residual[from] as number;
    this.codeNorm[to] = this.codeNorm[from] as number;
  }

  /** Sets the (up to 4) query codes the next `dots` calls use, each `stride` int16 values. */
  setQueries(queries: readonly Int16Array[]): void {
    if (this.#simd) {
      const area = new Int16Array(this.#simd.memory.buffer, this.#queryAt, 4 * this.stride);
      area.fill(0);
      queries.forEach((q, j) => {
        area.set(q, j * this.stride);
      });
    } else {
      this.#jsQueries = [...queries];
    }
  }

  /**
   * First-pass dot products of rows [rowStart, rowStart + rows) (rows <= blockRows) with the first query
   * (`count` 1) or the four queries (`count` 4) of {@link setQueries}: entry r * count + j of the
   * returned view is row rowStart + r against query j. Valid until the next call.
   */
  dots(rowStart: number, rows: number, count: 1 | 4): Int32Array {
    if (this.#simd) {
      const codes = this.#codesAt + rowStart * this.stride;
      if (count === 1) this.#simd.dotI8(codes, rows, this.stride, this.#queryAt, this.#outAt);
      else this.#simd.dotI8x4(codes, rows, this.stride, this.#queryAt, this.#outAt);
      return new Int32Array(this.#simd.memory.buffer, this.#outAt, rows * count);
    }
    for (let j = 0; j < count; j++) {
      const query = this.#jsQueries[j];
      if (query) jsDotI8(this.#codes, rowStart * this.stride, rows, this.stride, query, this.#jsOut, j, count);
      else for (let r = 0; r < rows; r++) this.#jsOut[r * count + j] = 0;
    }
    return this.#jsOut.subarray(0, rows * count);
  }

  #instantiate(capacity: number): SimdExports | null {
    return instantiateKernels(Math.ceil((this.#codesAt + capacity * this.stride) / PAGE));
  }
}

function grown(array: Float32Array, capacity: number): Float32Array {
  const next = new Float32Array(capacity);
  next.set(array);
  return next;
}
