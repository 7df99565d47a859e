/**
 * Graph fragments for quantized weights. Each takes a producer of the float weights and declares the
 * quantized initializers (computed once, while the file is written) plus the nodes that use them.
 */
import { bytesOf, quantizeBlocks, quantizeInt8PerColumn, quantizeInt8PerRow } from '../model/quantize.js';
import { float32ToHalfBits } from '../model/tensor.js';
import { DataType, type GraphBuilder } from './graph.js';
import type { LazyBytes } from './proto.js';

/** Block size of MatMulNBits weights and of 4-bit embedding rows. */
export const BLOCK_SIZE = 32;

/** Lazily produced bytes of a known size. */
export function lazy(byteLength: number, produce: () => Promise<Uint8Array>): LazyBytes {
  return { byteLength, produce };
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
  mode: 'dynamic' | 'dequantize',
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
  const [xq, xs, xz] = g.nodeMulti('DynamicQuantizeLinear', [x], 3);
  const acc = g.node('MatMulInteger', [xq as string, wq, xz as string, wz]);
  const scale = g.node('Mul', [xs as string, ws]);
  return g.node('Mul', [g.node('Cast', [acc], { to: DataType.FLOAT }), scale]);
}

/** Embedding lookup from an int8 table with one scale per row: Gather, Cast, times the gathered scale. */
export function gatherInt8Rows(
  g: GraphBuilder,
  name: string,
  table: () => Promise<Float32Array>,
  rows: number,
  width: number,
  ids: string,
): string {
  const quantized = shared(async () => quantizeInt8PerRow(await table(), rows, width), 2);
  const values = g.initializer(
    `${name}_q8`,
    DataType.INT8,
    [rows, width],
    lazy(rows * width, async () => bytesOf((await quantized()).values)),
  );
  const scales = g.initializer(
    `${name}_scale`,
    DataType.FLOAT,
    [rows],
    lazy(rows * 4, async () => bytesOf((await quantized()).scales)),
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
  table: () => Promise<Float32Array>,
  rows: number,
  width: number,
  ids: string,
): string {
  const blocks = width / BLOCK_SIZE;
  const quantized = shared(async () => quantizeBlocks(await table(), rows, width, BLOCK_SIZE, 4), 2);
  const packed = g.initializer(
    `${name}_q4`,
    DataType.UINT8,
    [rows, width / 2],
    lazy((rows * width) / 2, async () => (await quantized()).packed),
  );
  // Scales in fp16: one per 32 values, they would otherwise add a fourth to a 4-bit table (48 MB for LaBSE).
  const scales = g.initializer(
    `${name}_scales`,
    DataType.FLOAT16,
    [rows, blocks],
    lazy(rows * blocks * 2, async () => bytesOf(float32ToHalfBits((await quantized()).scales))),
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
