/**
 * Integer dot-product kernels for the index's first pass: the WebAssembly SIMD module (kernels.wat) where
 * the engine has fixed-width SIMD (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+, Web Workers alike),
 * and the same arithmetic in plain JavaScript otherwise. Both compute exact integers, so they return the
 * same bits and the index's results never depend on which one ran.
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/**
 * Which first-pass kernel a {@link VectorIndex} uses: `auto` picks `wasm-simd` where the engine can run
 * it and `js` otherwise.
 *
 * @example
 * ```ts
 * new VectorIndex(768, { kernel: 'js' satisfies SearchKernel }); // force the portable path
 * ```
 */
export type SearchKernel = 'auto' | 'wasm-simd' | 'js';

/**
 * The exports of kernels.wat (pointers are byte offsets into `memory`).
 *
 * @example
 * ```ts
 * const simd: SimdExports | null = instantiateKernels(16);
 * simd?.dotI8(codesAt, rows, stride, queryAt, outAt);
 * ```
 */
export interface SimdExports {
  readonly memory: WebAssembly.Memory;
  /** `out[r] = codes[r] . q` (i32) for `rows` rows of int8 codes `stride` bytes apart; q is int16. */
  dotI8(codes: number, rows: number, stride: number, q: number, out: number): void;
  /** `out[4r + j] = codes[r] . q_j` for 4 int16 queries `2 * stride` bytes apart. */
  dotI8x4(codes: number, rows: number, stride: number, q: number, out: number): void;
  /**
   * Quantizes `rows` float32 rows (`stride` floats apart, zero-padded) into int8 codes; writes
   * [scale, sum of squared residuals, sum of squared codes] (3 f64) per row at `out`.
   */
  quantizeRows(src: number, rows: number, stride: number, codes: number, out: number): void;
  /** float32 variant (benchmark comparison): `out[r] = data[r] . q`, `stride` floats a row. */
  dotF32(data: number, rows: number, stride: number, q: number, out: number): void;
  /** float32 variant for 4 queries `4 * stride` bytes apart. */
  dotF32x4(data: number, rows: number, stride: number, q: number, out: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled kernel module, or null where WebAssembly or its SIMD is missing (or a content security
 * policy forbids compiling). Compiled once, synchronously: the module is 2 KB, under the size browsers
 * allow for synchronous compilation on the main thread.
 */
function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly === 'object' && typeof atob === 'function') {
      const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    }
  } catch {
    compiled = null;
  }
  return compiled;
}

/**
 * Whether this engine can run the WebAssembly SIMD kernels.
 *
 * @example
 * ```ts
 * if (!simdAvailable()) console.warn('vector search runs on the slower JavaScript path');
 * ```
 */
export function simdAvailable(): boolean {
  return kernelModule() !== null;
}

/**
 * A fresh instance of the kernels with its own memory of `initialPages` 64 KiB pages, or null where
 * unavailable (no SIMD, or the memory could not be had).
 *
 * @example
 * ```ts
 * const simd = instantiateKernels(Math.ceil(bytesNeeded / 65536));
 * ```
 */
export function instantiateKernels(initialPages: number): SimdExports | null {
  const module = kernelModule();
  if (!module) return null;
  try {
    const exports = new WebAssembly.Instance(module).exports as unknown as SimdExports;
    const have = exports.memory.buffer.byteLength / 65536;
    if (initialPages > have) exports.memory.grow(initialPages - have);
    return exports;
  } catch {
    return null;
  }
}

/**
 * `out[outAt + r * outStep] = codes[r] . query` for `rows` rows of int8 codes starting at `codesAt`,
 * `stride` apart: the portable twin of `dotI8` (exact: every partial sum is an integer below 2^53).
 *
 * @example
 * ```ts
 * jsDotI8(codes, 0, rows, stride, query16, dots, 0, 1);
 * ```
 */
export function jsDotI8(
  codes: Int8Array,
  codesAt: number,
  rows: number,
  stride: number,
  query: Int16Array,
  out: Int32Array,
  outAt: number,
  outStep: number,
): void {
  // Only the first `used` entries of a (zero-padded) query can be non-zero.
  let used = query.length;
  while (used > 0 && query[used - 1] === 0) used--;
  const even = used - (used % 4);
  for (let r = 0; r < rows; r++) {
    const base = codesAt + r * stride;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d < even; d += 4) {
      s0 += (codes[base + d] as number) * (query[d] as number);
      s1 += (codes[base + d + 1] as number) * (query[d + 1] as number);
      s2 += (codes[base + d + 2] as number) * (query[d + 2] as number);
      s3 += (codes[base + d + 3] as number) * (query[d + 3] as number);
    }
    for (; d < used; d++) s0 += (codes[base + d] as number) * (query[d] as number);
    out[outAt + r * outStep] = s0 + s1 + s2 + s3;
  }
}
