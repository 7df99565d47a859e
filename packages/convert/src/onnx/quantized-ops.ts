/**
 * Graph fragments for quantized weights. Each takes a producer of the float weights and declares the
 * quantized initializers (computed once, while the file is written) plus the nodes that use them.
 */

import { BertwebError } from '../core.js';
import { bytesOf, quantizeBlocks, quantizeInt8PerColumn, quantizeInt8PerRow } from '../model/quantize.js';
import { float32ToHalfBits } from '../model/tensor.js';
import { DataType, type GraphBuilder } from './graph.js';
import type { LazyBytes } from './proto.js';

/** Block size of MatMulNBits weights and of 4-bit embedding rows. */
export const BLOCK_SIZE = 32;

/** Lazily produced bytes of a known size (optionally also as consecutive pieces, see {@link LazyBytes}). */
export function lazy(
  byteLength: number,
  produce: () => Promise<Uint8Array>,
  pieces?: () => AsyncIterable<Uint8Array>,
): LazyBytes {
  return pieces ? { byteLength, produce, pieces } : { byteLength, produce };
}

/**
 * A table as consecutive blocks of whole rows (row-major Float32Arrays, together covering every row in
 * order): embeddings are quantized block by block, never held whole.
 */
export type RowBlocks = () => AsyncIterable<Float32Array>;

/** Row blocks of a table that is read at once (small tables, tests). */
export function wholeTable(read: () => Promise<Float32Array>): RowBlocks {
  return async function* () {
    yield await read();
  };
}

/** Concatenates pieces into one buffer (the `produce` fallback of a streamed payload). */
async function collect(byteLength: number, pieces: () => AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const out = new Uint8Array(byteLength);
  let offset = 0;
  for await (const piece of pieces()) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out;
}

/**
 * A row-wise quantization streamed over row blocks: `values()` yields each block's codes and fills the
 * per-row `scales` as it goes; the scales initializer, written after the values, then reads them (or, if
 * asked first, makes its own pass over the rows).
 */
function rowWise<T extends { readonly scales: Float32Array }>(
  table: RowBlocks,
  rows: number,
  width: number,
  scalesPerRow: number,
  quantize: (block: Float32Array, blockRows: number) => T,
  codes: (q: T) => Uint8Array,
): { values: () => AsyncIterable<Uint8Array>; scales: () => Promise<Float32Array> } {
  let scales: Float32Array | undefined;
  const pass = async function* (keep: (row: number, q: T) => void): AsyncGenerator<T> {
    let row = 0;
    for await (const block of table()) {
      const blockRows = block.length / width;
      const q = quantize(block, blockRows);
      keep(row, q);
      row += blockRows;
      yield q;
    }
    if (row !== rows) throw new BertwebError('INTERNAL', `row blocks covered ${row} of ${rows} rows`);
  };
  return {
    async *values() {
      const filling = new Float32Array(rows * scalesPerRow);
      for await (const q of pass((row, block) => filling.set(block.scales, row * scalesPerRow))) yield codes(q);
      scales = filling;
    },
    async scales() {
      if (scales) return scales;
      const own = new Float32Array(rows * scalesPerRow);
      for await (const _ of pass((row, block) => own.set(block.scales, row * scalesPerRow))) {
        // the pass fills `own`
      }
      return own;
    },
  };
}

/**
 * Computes a value on first use and keeps it for `uses` reads, then lets it go: the initializers derived
 * from one weight (values, scales) are written back to back, and the weight should not outlive them.
 */
export function shared<T>(compute: () => Promise<T>, uses: number): () => Promise<T> {
  let pending: Promise<T> | undefined;
  let left = uses;
  return () => {
    pending ??= compute();
    const result = pending;
    if (--left <= 0) {
      pending = undefined;
      left = uses;
    }
    return result;
  };
}

/**
 * `x @ W^T` with W ([n, k], PyTorch Linear layout) in com.microsoft MatMulNBits blocks of 32 along k,
 * symmetric around the default zero point (8 for 4 bits, 128 for 8 bits).
 */
export function matMulNBits(
  g: GraphBuilder,
  x: string,
  name: string,
  rows: () => Promise<Float32Array>,
  n: number,
  k: number,
  bits: 4 | 8,
  accuracyLevel: number,
  quantized: () => Promise<{ packed: Uint8Array; scales: Float32Array }> = shared(
    async () => quantizeBlocks(await rows(), n, k, BLOCK_SIZE, bits),
    2,
  ),
): string {
  const blocks = Math.ceil(k / BLOCK_SIZE);
  const blob = (BLOCK_SIZE * bits) / 8;
  const b = g.initializer(
    `${name}.weight_q${bits}`,
    DataType.UINT8,
    [n, blocks, blob],
    lazy(n * blocks * blob, async () => (await quantized()).packed),
  );
  const scales = g.initializer(
    `${name}.weight_scales`,
    DataType.FLOAT,
    [n * blocks],
    lazy(n * blocks * 4, async () => bytesOf((await quantized()).scales)),
  );
  return g.node(
    'MatMulNBits',
    [x, b, scales],
    { K: k, N: n, bits, block_size: BLOCK_SIZE, accuracy_level: accuracyLevel },
    { domain: 'com.microsoft' },
  );
}

/**
 * `x @ Wt` with Wt ([k, n], MatMul layout) as 8-bit codes with one scale per output column: either
 * dequantized before a float MatMul (`dequantize`), or multiplied in integers after quantizing x per tensor
 * (`dynamic`: DynamicQuantizeLinear + MatMulInteger, the pattern ORT fuses into DynamicQuantizeMatMul).
 * Codes are stored as uint8 with zero point 128 (symmetric int8 shifted): ORT's x86 u8 x s8 kernels add
 * pairs of products in saturating int16 and lose accuracy, u8 x u8 does not.
 */
export function matMulInt8(
  g: GraphBuilder,
  x: string,
  name: string,
  transposed: () => Promise<Float32Array>,
  k: number,
  n: number,
  mode: 'dynamic' | 'dequantize' | 'per-row',
  zeroPoint = 128,
): string {
  const quantized = shared(async () => quantizeInt8PerColumn(await transposed(), k, n), 2);
  const wq = g.initializer(
    `${name}.weight_q8`,
    DataType.UINT8,
    [k, n],
    lazy(k * n, async () => Uint8Array.from((await quantized()).values, (v) => v + 128)),
  );
  const ws = g.initializer(
    `${name}.weight_scale`,
    DataType.FLOAT,
    [n],
    lazy(n * 4, async () => bytesOf((await quantized()).scales)),
  );
  const wz = g.initializer(`${name}.weight_zero_point`, DataType.UINT8, [n], new Uint8Array(n).fill(128));
  if (mode === 'dequantize') return g.node('MatMul', [x, g.node('DequantizeLinear', [wq, ws, wz], { axis: 1 })]);
  if (mode === 'per-row') {
    // [..., k] -> [rows, k]: one scale per row (token), then [rows, n] -> [..., n].
    const outShape = g.node(
      'Concat',
      [g.node('Slice', [g.node('Shape', [x]), g.int64([0]), g.int64([-1])]), g.int64([n])],
      {
        axis: 0,
      },
    );
    const [xq, xs] = quantizeRows(g, g.node('Reshape', [x, g.int64([-1, k])]), zeroPoint);
    const acc = g.node('MatMulInteger', [xq, wq, g.uint8Scalar(zeroPoint), wz]);
    const scaled = g.node('Mul', [
      g.node('Mul', [g.node('Cast', [acc], { to: DataType.FLOAT }), ws]),
      g.node('Unsqueeze', [xs, g.int64([-1])]),
    ]);
    return g.node('Reshape', [scaled, outShape]);
  }
  const [xq, xs, xz] = g.nodeMulti('DynamicQuantizeLinear', [x], 3);
  const acc = g.node('MatMulInteger', [xq as string, wq, xz as string, wz]);
  const scale = g.node('Mul', [xs as string, ws]);
  return g.node('Mul', [g.node('Cast', [acc], { to: DataType.FLOAT }), scale]);
}

/**
 * Smallest activation scale: a row of zeros (or of denormals) quantizes to zeros instead of dividing by 0.
 * Far below any real activation's max / 127, so it never changes a real row's scale.
 */
const MIN_ROW_SCALE = 1e-30;

/**
 * 8-bit quantization of each row of a [rows, k] tensor (one token's activations) with its own scale, around
 * a fixed zero point `z` (so that MatMulInteger, which takes one zero point for A, can use it): the scale
 * is the smallest that fits the row, `max(max_row / (255 - z), -min_row / z)`, and the codes are
 * `round(x / scale) + z` (QuantizeLinear along axis 0), in 0..255 by construction. A row's codes depend on
 * that row alone, never on the other rows of the batch or on padding, unlike DynamicQuantizeLinear's one
 * scale per tensor. `z` = 128 for activations of either sign; a smaller `z` spends more of the 256 codes
 * on the positive side (GELU outputs are >= -0.17); `z` = 0 needs rows >= 0 (ReLU outputs).
 * Returns the uint8 codes and the [rows] scales.
 */
export function quantizeRows(g: GraphBuilder, x: string, zeroPoint: number): [codes: string, scales: string] {
  if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 128) {
    throw new BertwebError('INTERNAL', `row quantization zero point ${zeroPoint} is not in 0..128`);
  }
  const high = g.node('Mul', [
    g.node('ReduceMax', [x], { axes: [-1], keepdims: 0 }),
    g.float32([1 / (255 - zeroPoint)]),
  ]);
  const fits =
    zeroPoint === 0
      ? high
      : g.node('Max', [
          high,
          g.node('Mul', [g.node('ReduceMin', [x], { axes: [-1], keepdims: 0 }), g.float32([-1 / zeroPoint])]),
        ]);
  const scale = g.node('Max', [fits, g.float32([MIN_ROW_SCALE])]);
  // One zero point per row, as QuantizeLinear along an axis takes them: z + 0 * scale, shaped like scale.
  const zeroPoints = g.node('Cast', [g.node('Add', [g.node('Mul', [scale, g.float32([0])]), g.float32([zeroPoint])])], {
    to: DataType.UINT8,
  });
  return [g.node('QuantizeLinear', [x, scale, zeroPoints], { axis: 0 }), scale];
}

/** Embedding lookup from an int8 table with one scale per row: Gather, Cast, times the gathered scale. */
export function gatherInt8Rows(
  g: GraphBuilder,
  name: string,
  table: RowBlocks,
  rows: number,
  width: number,
  ids: string,
): string {
  const q = rowWise(
    table,
    rows,
    width,
    1,
    (block, n) => quantizeInt8PerRow(block, n, width),
    (block) => bytesOf(block.values),
  );
  const values = g.initializer(
    `${name}_q8`,
    DataType.INT8,
    [rows, width],
    lazy(rows * width, () => collect(rows * width, q.values), q.values),
  );
  const scales = g.initializer(
    `${name}_scale`,
    DataType.FLOAT,
    [rows],
    lazy(rows * 4, async () => bytesOf(await q.scales())),
  );
  const gathered = g.node('Cast', [g.node('Gather', [values, ids], { axis: 0 })], { to: DataType.FLOAT });
  const rowScales = g.node('Unsqueeze', [g.node('Gather', [scales, ids], { axis: 0 }), g.int64([-1])]);
  return g.node('Mul', [gathered, rowScales]);
}

/**
 * Embedding lookup from a 4-bit table (the MatMulNBits row layout: blocks of 32 along the row, two codes
 * per byte, low nibble first, zero point 8). The gathered bytes are unpacked with standard ops (Cast, Mul,
 * Floor, Sub, Concat, Reshape), so the lookup runs on every backend. `width` must be a multiple of 32.
 */
export function gatherQ4Rows(
  g: GraphBuilder,
  name: string,
  table: RowBlocks,
  rows: number,
  width: number,
  ids: string,
): string {
  const blocks = width / BLOCK_SIZE;
  const q = rowWise(
    table,
    rows,
    width,
    blocks,
    (block, n) => quantizeBlocks(block, n, width, BLOCK_SIZE, 4),
    (block) => block.packed,
  );
  const packed = g.initializer(
    `${name}_q4`,
    DataType.UINT8,
    [rows, width / 2],
    lazy((rows * width) / 2, () => collect((rows * width) / 2, q.values), q.values),
  );
  // Scales in fp16: one per 32 values, they would otherwise add a fourth to a 4-bit table (48 MB for LaBSE).
  const scales = g.initializer(
    `${name}_scales`,
    DataType.FLOAT16,
    [rows, blocks],
    lazy(rows * blocks * 2, async () => bytesOf(float32ToHalfBits(await q.scales()))),
  );
  const bytes = g.node('Cast', [g.node('Gather', [packed, ids], { axis: 0 })], { to: DataType.FLOAT });
  const high = g.node('Floor', [g.node('Mul', [bytes, g.float32([1 / 16])])]);
  const low = g.node('Sub', [bytes, g.node('Mul', [high, g.float32([16])])]);
  const last = g.int64([-1]);
  const pairs = g.node('Concat', [g.node('Unsqueeze', [low, last]), g.node('Unsqueeze', [high, last])], { axis: -1 });
  // [..., width/2, 2] -> [..., blocks, 32]: codes in row order, ready for one scale per block.
  const rank = g.node('Shape', [ids]);
  const blockShape = g.node('Concat', [rank, g.int64([blocks, BLOCK_SIZE])], { axis: 0 });
  const codes = g.node('Reshape', [pairs, blockShape]);
  const centered = g.node('Sub', [codes, g.float32([8])]);
  // Cast before the Gather: ORT folds the Cast of an initializer at load time, so no fp16 tensor reaches
  // the device (WebGPU adapters without shader-f16 cannot Gather fp16: "Program Gather requires f16").
  const gatheredScales = g.node('Gather', [g.node('Cast', [scales], { to: DataType.FLOAT }), ids], { axis: 0 });
  const rowScales = g.node('Unsqueeze', [gatheredScales, last]);
  const outShape = g.node('Concat', [rank, g.int64([width])], { axis: 0 });
  return g.node('Reshape', [g.node('Mul', [centered, rowScales]), outShape]);
}
