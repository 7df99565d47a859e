import { BertwebError } from '../core.js';
import type { ByteSource } from '../io/byte-source.js';

/** Element types found in checkpoints (safetensors names). */
export type TensorDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<TensorDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * Where one tensor of a checkpoint lives: a byte range of a file plus shape and (for views) strides.
 * Nothing is read until {@link readFloat32} is called.
 */
export interface TensorRef {
  /** Name in the checkpoint (state-dict key). */
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  /** Element strides; absent for contiguous row-major tensors. */
  readonly strides?: readonly number[];
  readonly source: ByteSource;
  /** Byte offset of element 0 in `source`. */
  readonly byteOffset: number;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = (strides[i + 1] as number) * (shape[i + 1] as number);
  return strides;
}

function isContiguous(shape: readonly number[], strides: readonly number[] | undefined): boolean {
  if (!strides) return true;
  const expected = contiguousStrides(shape);
  return shape.every((d, i) => d <= 1 || strides[i] === expected[i]);
}

/** Storage elements a tensor spans (its extent in its storage). */
export function storageExtent(ref: Pick<TensorRef, 'shape' | 'strides'>): number {
  if (isContiguous(ref.shape, ref.strides)) return numel(ref.shape);
  if (ref.shape.some((d) => d === 0)) return 0;
  const strides = ref.strides as readonly number[];
  return 1 + ref.shape.reduce((sum, d, i) => sum + (d - 1) * (strides[i] as number), 0);
}

let halfTable: Float32Array | undefined;

/** f16 bit pattern -> f32 value, for all 65536 patterns. */
function getHalfTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = table;
  return table;
}

/**
 * Converts raw little-endian elements of `dtype` to float32. Aligned F32 input comes back as a view of
 * `bytes` (callers treat weights as read-only).
 */
export function toFloat32(bytes: Uint8Array, dtype: TensorDType, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32' && bytes.byteOffset % 4 === 0) {
    // A view, not a copy: a 370 MB embedding table would otherwise be held twice.
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  }
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F16': {
      const table = getHalfTable();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)] as number;
      return out;
    }
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    default:
      throw new BertwebError('MODEL_INVALID', `tensor of type ${dtype} cannot be used as a float weight`);
  }
}

/**
 * Reads a tensor as a contiguous row-major Float32Array (strided views are gathered). Treat the result as
 * read-only: it may share memory with the source.
 *
 * @example
 * ```ts
 * const weight = await readFloat32(tensors.get('bert.pooler.dense.weight')!);
 * ```
 */
export async function readFloat32(ref: TensorRef): Promise<Float32Array> {
  const extent = storageExtent(ref);
  const bytes = await ref.source.read(ref.byteOffset, extent * DTYPE_SIZE[ref.dtype]);
  const flat = toFloat32(bytes, ref.dtype, extent);
  if (isContiguous(ref.shape, ref.strides)) return flat;
  return gatherStrided(flat, ref.shape, ref.strides as readonly number[]);
}

/** Row blocks of {@link readFloat32Rows} hold about this many float32 bytes. */
export const ROW_BLOCK_BYTES = 16 * 1024 * 1024;

/**
 * Reads a tensor as consecutive blocks of whole rows (its first dimension), each a row-major
 * Float32Array of about {@link ROW_BLOCK_BYTES}: a 501,153 x 768 embedding table (1.5 GB) is quantized or
 * copied block by block and never sits in memory whole. Strided tensors come in one block.
 *
 * @example
 * ```ts
 * for await (const block of readFloat32Rows(ref)) quantizeRows(block, block.length / width, width);
 * ```
 */
export async function* readFloat32Rows(ref: TensorRef, blockBytes = ROW_BLOCK_BYTES): AsyncGenerator<Float32Array> {
  const [rows = 1, ...rest] = ref.shape;
  if (ref.shape.length < 2 || !isContiguous(ref.shape, ref.strides)) {
    yield await readFloat32(ref);
    return;
  }
  const width = numel(rest);
  const size = DTYPE_SIZE[ref.dtype];
  const perBlock = Math.max(1, Math.floor(blockBytes / Math.max(1, width * 4)));
  for (let r = 0; r < rows; r += perBlock) {
    const n = Math.min(perBlock, rows - r);
    const bytes = await ref.source.read(ref.byteOffset + r * width * size, n * width * size);
    yield toFloat32(bytes, ref.dtype, n * width);
  }
}

function gatherStrided(flat: Float32Array, shape: readonly number[], strides: readonly number[]): Float32Array {
  const out = new Float32Array(numel(shape));
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let offset = 0;
    for (let d = 0; d < rank; d++) offset += (index[d] as number) * (strides[d] as number);
    out[o] = flat[offset] as number;
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * float32 -> IEEE half bits, round to nearest even; values beyond the half range saturate to +-65504
 * (an infinity in a weight would poison every output).
 */
export function float32ToHalfBits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = bits[i] as number;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | (mant ? 0x7e00 : 0x7bff);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7bff;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mant | 0x800000;
      const shift = 14 - e;
      let half = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rem > halfway || (rem === halfway && half & 1)) half++;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
    if (half >= 0x7c00) half = 0x7bff;
    out[i] = sign | half;
  }
  return out;
}
