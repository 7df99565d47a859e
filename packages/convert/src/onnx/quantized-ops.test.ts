/**
 * The quantized weight layouts, checked against onnxruntime as the independent reader: each test quantizes
 * a random matrix, decodes it here by the documented format (value = (code - zero point) * scale), and
 * expects ORT's MatMulNBits / DequantizeLinear / unpacking graph to compute with exactly those values.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { quantizeBlocks, quantizeInt8PerColumn, stackTransposed } from '../model/quantize.js';
import { float32ToHalfBits, toFloat32 } from '../model/tensor.js';
import { chunksToBytes, DataType, GraphBuilder } from './graph.js';
import { gatherInt8Rows, gatherQ4Rows, matMulInt8, matMulNBits, type RowBlocks } from './quantized-ops.js';

/** The table in blocks of 3 rows (the last one shorter), as the converter streams large tables. */
function rowBlocksOf(table: Float32Array, width: number): RowBlocks {
  return async function* () {
    for (let r = 0; r * width < table.length; r += 3)
      yield table.subarray(r * width, Math.min(table.length, (r + 3) * width));
  };
}

function random(seed: number, count: number, scale = 1): Float32Array {
  let s = seed;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    s = (s * 1103515245 + 12345) % 2147483648;
    const v = s / 2147483648;
    out[i] = scale * Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Dequantizes MatMulNBits blocks by the contrib-op spec: codes low bits first, zero point 2^(bits-1). */
function decodeBlocks(packed: Uint8Array, scales: Float32Array, n: number, k: number, bits: 4 | 8): Float32Array {
  const blocks = Math.ceil(k / 32);
  const blob = (32 * bits) / 8;
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      const block = Math.floor(c / 32);
      const within = c % 32;
      const base = (r * blocks + block) * blob;
      const code =
        bits === 8
          ? (packed[base + within] as number)
          : ((packed[base + (within >> 1)] as number) >> ((within & 1) * 4)) & 15;
      out[r * k + c] = (code - (1 << (bits - 1))) * (scales[r * blocks + block] as number);
    }
  }
  return out;
}

/** x [m, k] @ w^T, w [n, k]. */
function matmulT(x: Float32Array, w: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += (x[i * k + t] as number) * (w[j * k + t] as number);
      out[i * n + j] = sum;
    }
  }
  return out;
}

async function run(
  g: GraphBuilder,
  feeds: Record<string, InstanceType<typeof ort.Tensor>>,
  graphOptimizationLevel: 'basic' | 'all' = 'all',
): Promise<Float32Array> {
  const bytes = await chunksToBytes(g.toModel({ opsets: { '': 17, 'com.microsoft': 1 } }).toChunks());
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel });
  const result = await session.run(feeds);
  await session.release();
  return result.y?.data as Float32Array;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

const M = 5;
const K = 80; // not a multiple of 32: the last block is padded
const N = 24;

describe('MatMulNBits layout', () => {
  it.each([4, 8] as const)('%i-bit blocks compute with the decoded weights', async (bits) => {
    const w = random(bits, N * K, 0.2);
    const x = random(99, M * K);
    const { packed, scales } = quantizeBlocks(w, N, K, 32, bits);
    const decoded = decodeBlocks(packed, scales, N, K, bits);
    const g = new GraphBuilder('t');
    const input = g.input('x', DataType.FLOAT, [M, K]);
    const y = matMulNBits(g, input, 'w', async () => w, N, K, bits, 0);
    g.output(y, DataType.FLOAT, [M, N], 'y');
    const got = await run(g, { x: new ort.Tensor('float32', x, [M, K]) });
    expect(maxDiff(got, matmulT(x, decoded, M, K, N))).toBeLessThan(1e-4);
    // and the decoded weights are close to the originals: 4 bits -> about 1/8 of the block range
    const stepBound = bits === 4 ? 0.2 : 0.012;
    expect(maxDiff(decoded, w)).toBeLessThan(stepBound);
  });

  it('searches scales: lower squared error than scaling by the block maximum', () => {
    const w = random(5, N * K, 0.2);
    const { packed, scales } = quantizeBlocks(w, N, K, 32, 4);
    const searched = decodeBlocks(packed, scales, N, K, 4);
    // plain round-to-nearest with scale = m / -8
    const plain = new Float32Array(N * K);
    for (let r = 0; r < N; r++) {
      for (let b = 0; b < K; b += 32) {
        let m = 0;
        for (let c = b; c < Math.min(b + 32, K); c++)
          if (Math.abs(w[r * K + c] as number) > Math.abs(m)) m = w[r * K + c] as number;
        const scale = m / -8;
        for (let c = b; c < Math.min(b + 32, K); c++) {
          const q = Math.min(15, Math.max(0, Math.round((w[r * K + c] as number) / scale) + 8));
          plain[r * K + c] = (q - 8) * scale;
        }
      }
    }
    const sse = (a: Float32Array) => a.reduce((s, v, i) => s + (v - (w[i] as number)) ** 2, 0);
    expect(sse(searched)).toBeLessThan(sse(plain) * 0.95);
  });
});

describe('int8 per-column MatMul', () => {
  const w = random(7, N * K, 0.2); // PyTorch layout [n, k]
  const x = random(8, M * K);
  const wt = stackTransposed([w], [N], K);

  // At level "all" ORT fuses DequantizeLinear + MatMul into a dynamically quantized integer MatMul, so the
  // exact decoded weights show at level "basic".
  it('dequantize mode computes with the decoded weights', async () => {
    const { values, scales } = quantizeInt8PerColumn(wt, K, N);
    const decoded = new Float32Array(N * K);
    for (let r = 0; r < N; r++)
      for (let c = 0; c < K; c++) decoded[r * K + c] = (values[c * N + r] as number) * (scales[r] as number);
    const g = new GraphBuilder('t');
    const y = matMulInt8(g, g.input('x', DataType.FLOAT, [M, K]), 'w', async () => wt, K, N, 'dequantize');
    g.output(y, DataType.FLOAT, [M, N], 'y');
    const got = await run(g, { x: new ort.Tensor('float32', x, [M, K]) }, 'basic');
    expect(maxDiff(got, matmulT(x, decoded, M, K, N))).toBeLessThan(1e-4);
  });

  it('dynamic mode approximates the float product', async () => {
    const g = new GraphBuilder('t');
    const y = matMulInt8(g, g.input('x', DataType.FLOAT, [M, K]), 'w', async () => wt, K, N, 'dynamic');
    g.output(y, DataType.FLOAT, [M, N], 'y');
    const got = await run(g, { x: new ort.Tensor('float32', x, [M, K]) });
    const exact = matmulT(x, w, M, K, N);
    const scale = Math.max(...exact.map(Math.abs));
    expect(maxDiff(got, exact) / scale).toBeLessThan(0.01);
  });
});

describe('int8 per-row activations (q8 per-row)', () => {
  const w = random(7, N * K, 0.2);
  const wt = stackTransposed([w], [N], K);
  const { values, scales } = quantizeInt8PerColumn(wt, K, N);

  /**
   * The documented math, here in float64: per row, scale = max(max / (255 - z), -min / z), codes
   * round-half-even(x / scale) + z; y = sum((code - z) * w_code) * scale * w_scale.
   */
  function expected(x: Float32Array, rows: number, z: number): Float32Array {
    const out = new Float32Array(rows * N);
    const roundEven = (v: number) => {
      const r = Math.round(v);
      return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    };
    for (let i = 0; i < rows; i++) {
      const row = x.subarray(i * K, (i + 1) * K);
      const hi = Math.max(...row);
      const lo = Math.min(...row);
      const scale = Math.fround(
        Math.max(hi * Math.fround(1 / (255 - z)), z === 0 ? 0 : lo * Math.fround(-1 / z), 1e-30),
      );
      const codes = Array.from(row, (v) => Math.min(255, Math.max(0, roundEven(Math.fround(v / scale)) + z)));
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let t = 0; t < K; t++) acc += ((codes[t] as number) - z) * (values[t * N + j] as number);
        out[i * N + j] = acc * (scales[j] as number) * scale;
      }
    }
    return out;
  }

  async function perRow(x: Float32Array, dims: number[], z: number): Promise<Float32Array> {
    const g = new GraphBuilder('t');
    const y = matMulInt8(g, g.input('x', DataType.FLOAT, dims), 'w', async () => wt, K, N, 'per-row', z);
    g.output(y, DataType.FLOAT, [...dims.slice(0, -1), N], 'y');
    return run(g, { x: new ort.Tensor('float32', x, dims) });
  }

  it.each([128, 32])(
    'computes the documented per-row quantization (zero point %i), on [batch, seq, k] inputs',
    async (z) => {
      const x = random(8, 2 * 3 * K);
      // a row of GELU-like values (>= -0.17) and a row of zeros
      for (let t = 0; t < K; t++) x[K + t] = Math.max(-0.17, x[K + t] as number);
      x.fill(0, 2 * K, 3 * K);
      const got = await perRow(x, [2, 3, K], z);
      const want = expected(x, 6, z);
      expect(maxDiff(got, want) / Math.max(...want.map(Math.abs))).toBeLessThan(1e-6);
      expect(Array.from(got.subarray(2 * N, 3 * N))).toEqual(new Array(N).fill(0));
      // Close to the float product on the rows the zero point suits (z = 32: the GELU-like row; a symmetric
      // row under z = 32 keeps only 32 codes for its negative half, which is why only GELU inputs get it).
      const exact = matmulT(x, w, 6, K, N);
      const rows = z === 128 ? [0, 1, 3, 4, 5] : [1];
      for (const r of rows) {
        const e = exact.subarray(r * N, (r + 1) * N);
        expect(maxDiff(got.subarray(r * N, (r + 1) * N), e) / Math.max(...e.map(Math.abs))).toBeLessThan(0.02);
      }
    },
  );

  it('zero point 0 (ReLU outputs): every code on the positive side', async () => {
    const x = random(9, 4 * K).map((v) => Math.max(0, v));
    const got = await perRow(x, [4, K], 0);
    const want = expected(x, 4, 0);
    expect(maxDiff(got, want) / Math.max(...want.map(Math.abs))).toBeLessThan(1e-6);
  });

  it("a row's result is the same alone and beside rows of any size (dynamic mode: not so)", async () => {
    const x = random(10, 4 * K);
    for (let t = 0; t < K; t++) x[3 * K + t] = 40 * (x[3 * K + t] as number); // a loud neighbour
    const together = await perRow(x, [4, K], 128);
    const alone = await perRow(x.slice(0, K), [1, K], 128);
    expect(Array.from(together.subarray(0, N))).toEqual(Array.from(alone));
    const g = new GraphBuilder('t');
    g.output(
      matMulInt8(g, g.input('x', DataType.FLOAT, [4, K]), 'w', async () => wt, K, N, 'dynamic'),
      DataType.FLOAT,
      [4, N],
      'y',
    );
    const dynamic = await run(g, { x: new ort.Tensor('float32', x, [4, K]) });
    const h = new GraphBuilder('t');
    h.output(
      matMulInt8(h, h.input('x', DataType.FLOAT, [1, K]), 'w', async () => wt, K, N, 'dynamic'),
      DataType.FLOAT,
      [1, N],
      'y',
    );
    const dynamicAlone = await run(h, { x: new ort.Tensor('float32', x.slice(0, K), [1, K]) });
    expect(maxDiff(dynamic.subarray(0, N), dynamicAlone)).toBeGreaterThan(1e-3);
  });
});

describe('quantized embedding lookups', () => {
  const V = 10;
  const H = 64;
  const table = random(11, V * H, 0.5);
  const ids = [3, 0, 9, 3, 7, 1];

  it('4-bit rows unpack to the decoded table rows, in order', async () => {
    const { packed, scales } = quantizeBlocks(table, V, H, 32, 4);
    // the lookup stores its block scales in fp16
    const halfScales = toFloat32(new Uint8Array(float32ToHalfBits(scales).buffer), 'F16', scales.length);
    const decoded = decodeBlocks(packed, halfScales, V, H, 4);
    const g = new GraphBuilder('t');
    const input = g.input('ids', DataType.INT64, [2, 3]);
    g.output(gatherQ4Rows(g, 'emb', rowBlocksOf(table, H), V, H, input), DataType.FLOAT, [2, 3, H], 'y');
    const got = await run(g, { ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [2, 3]) });
    const expected = Float32Array.from(ids.flatMap((id) => Array.from(decoded.subarray(id * H, (id + 1) * H))));
    expect(maxDiff(got, expected)).toBeLessThan(1e-6);
  });

  it('int8 rows dequantize to the table within half a step', async () => {
    const g = new GraphBuilder('t');
    const input = g.input('ids', DataType.INT64, [6]);
    g.output(gatherInt8Rows(g, 'emb', rowBlocksOf(table, H), V, H, input), DataType.FLOAT, [6, H], 'y');
    const got = await run(g, { ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [6]) });
    const expected = Float32Array.from(ids.flatMap((id) => Array.from(table.subarray(id * H, (id + 1) * H))));
    const rowMax = Math.max(...table.map(Math.abs));
    expect(maxDiff(got, expected)).toBeLessThanOrEqual(rowMax / 127 / 2 + 1e-6);
  });
});
