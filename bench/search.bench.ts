/**
 * Search benchmark: exact top-k cosine search with @bertweb/embeddings' VectorIndex over 100k x 768
 * seeded random vectors (no structure to exploit; `--data clustered` adds near neighbours), single
 * queries and batches, against the previous implementation (float32 JavaScript scan) and the variants
 * tried on the way:
 *
 *   - naive: one Float32Array per vector, norms per query, full sort (what a first version writes);
 *   - js-f32: the previous VectorIndex (one float32 array, 4 accumulators, heap top-k);
 *   - wasm-f32 / wasm-f32x4: WebAssembly SIMD float32 dot products, one query / 4 queries a pass over
 *     cache-sized blocks (first pass only: exact search would need a re-score as for int8);
 *   - js-int8: VectorIndex on its JavaScript kernel (what engines without WebAssembly SIMD get);
 *   - wasm-int8: VectorIndex as shipped (int8 codes + proven bounds + exact float re-score), search()
 *     one query at a time and searchMany() in one batch;
 *   - ort-*: onnxruntime Gemm (queries x block of the index, float32) with top-k in JavaScript, on
 *     onnxruntime-node (native, 1 and 2 threads) and onnxruntime-web (WASM, 1 thread): first pass only.
 *
 * Also: memory per vector, addMany, toBytes / fromBytes and bytes, the number of rows re-scored per
 * query, and exactness (bit-identical ids and scores against a brute-force float64 reference).
 * Every system runs once per round, rounds interleaved with a rotating start; medians and ranges.
 *
 *   node --conditions=source --import tsx bench/search.bench.ts [--vectors 100000] [--dim 768]
 *        [--batch 64] [--k 10] [--rounds 5] [--data random|clustered] [--ort yes|no]
 *
 * Prints its RESULTS.md section (`pnpm bench search` splices it in): Markdown tables, then the JSON
 * summary.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrt } from '@bertweb/core';
import { type SearchHit, topK, VectorIndex } from '@bertweb/embeddings';
import { BoundedTopK } from '../packages/embeddings/src/search/bounded-top-k.js';
import { CodeStore } from '../packages/embeddings/src/search/code-store.js';
import { instantiateKernels } from '../packages/embeddings/src/search/kernels.js';
import { quantizeQuery, queryCodeMax } from '../packages/embeddings/src/search/quantize.js';
import { interleaved, median } from './lib/measure.js';

const { values: flags } = parseArgs({
  options: {
    vectors: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '768' },
    batch: { type: 'string', default: '64' },
    k: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    data: { type: 'string', default: 'random' },
    ort: { type: 'string', default: 'yes' },
  },
  strict: false,
});
const N = Number(flags.vectors);
const DIM = Number(flags.dim);
const BATCH = Number(flags.batch);
const K = Number(flags.k);
const ROUNDS = Number(flags.rounds);
const CLUSTERED = flags.data === 'clustered';

/** Seeded standard normal values (mulberry32 + Box-Muller). */
function normals(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/**
 * `clustered`: 1000 centres, each vector a centre plus noise (cosine to its centre about 0.8, to its
 * cluster mates about 0.65), queries near centres: the top-k sits in a dense cluster, which is where
 * int8 bounds leave the most candidates to re-score.
 */
function dataset(): { data: Float32Array; queries: Float32Array } {
  const data = normals(N * DIM, 1);
  const queries = normals(BATCH * DIM, 2);
  if (CLUSTERED) {
    const centres = normals(1000 * DIM, 3);
    const mix = (target: Float32Array, row: number, centre: number, noise: number) => {
      for (let d = 0; d < DIM; d++) {
        target[row * DIM + d] = (centres[centre * DIM + d] as number) + noise * (target[row * DIM + d] as number);
      }
    };
    for (let i = 0; i < N; i++) mix(data, i, i % 1000, 0.75);
    for (let q = 0; q < BATCH; q++) mix(queries, q, (q * 7) % 1000, 0.75);
  }
  return { data, queries };
}

/** Row-wise L2 normalization the way VectorIndex stores rows (float64 sums, float32 results). */
function normalizeRows(m: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < m.length / dim; r++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += (m[r * dim + d] as number) ** 2;
    const inv = sum === 0 ? 0 : 1 / Math.sqrt(sum);
    for (let d = 0; d < dim; d++) out[r * dim + d] = (m[r * dim + d] as number) * inv;
  }
  return out;
}

/** The exact reference: float64 sums in dimension order over every row, ties by row. */
function bruteForce(unit: Float32Array, q: Float32Array, k: number): { row: number; score: number }[] {
  const scores = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let s = 0;
    for (let d = 0; d < DIM; d++) s += (unit[r * DIM + d] as number) * (q[d] as number);
    scores[r] = s;
  }
  return topK(scores, N, k).map(({ index, score }) => ({ row: index, score }));
}

/** The baseline a first implementation would write. */
function naiveSearch(vectors: readonly Float32Array[], query: Float32Array, k: number): number[] {
  const scores: { index: number; score: number }[] = [];
  let qn = 0;
  for (let d = 0; d < query.length; d++) qn += (query[d] as number) ** 2;
  vectors.forEach((v, index) => {
    let dot = 0;
    let vn = 0;
    for (let d = 0; d < v.length; d++) {
      dot += (v[d] as number) * (query[d] as number);
      vn += (v[d] as number) ** 2;
    }
    scores.push({ index, score: dot / Math.sqrt(qn * vn) });
  });
  scores.sort((a, b) => b.score - a.score);
  return scores.slice(0, k).map((s) => s.index);
}

/** The previous VectorIndex.search: float32 rows, 4 float64 accumulators, heap top-k. */
function jsF32Search(unit: Float32Array, q: Float32Array, k: number): number[] {
  const scores = new Float32Array(N);
  const unrolled = DIM - (DIM % 4);
  for (let row = 0; row < N; row++) {
    const base = row * DIM;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d < unrolled; d += 4) {
      s0 += (unit[base + d] as number) * (q[d] as number);
      s1 += (unit[base + d + 1] as number) * (q[d + 1] as number);
      s2 += (unit[base + d + 2] as number) * (q[d + 2] as number);
      s3 += (unit[base + d + 3] as number) * (q[d + 3] as number);
    }
    for (; d < DIM; d++) s0 += (unit[base + d] as number) * (q[d] as number);
    scores[row] = s0 + s1 + s2 + s3;
  }
  return topK(scores, N, k).map((h) => h.index);
}

/** float32 WebAssembly SIMD first pass (the kernels' dotF32 / dotF32x4) over a copy of the rows. */
function wasmF32(unit: Float32Array) {
  const stride = Math.ceil(DIM / 8) * 8;
  const blockRows = Math.max(16, Math.floor((1 << 19) / (stride * 4)));
  const queryAt = 0;
  const outAt = 4 * stride * 4;
  const dataAt = Math.ceil((outAt + 4096 * 16) / 64) * 64;
  const simd = instantiateKernels(Math.ceil((dataAt + N * stride * 4) / 65536));
  if (!simd) throw new Error('no WebAssembly SIMD');
  const rows = new Float32Array(simd.memory.buffer, dataAt, N * stride);
  for (let r = 0; r < N; r++) rows.set(unit.subarray(r * DIM, (r + 1) * DIM), r * stride);
  const setQueries = (qs: Float32Array[]) => {
    const area = new Float32Array(simd.memory.buffer, queryAt, 4 * stride);
    area.fill(0);
    qs.forEach((q, j) => {
      area.set(q, j * stride);
    });
  };
  return {
    bytes: N * stride * 4,
    one(q: Float32Array, k: number): number[] {
      setQueries([q]);
      const scores = new Float32Array(N);
      for (let start = 0; start < N; start += 4096) {
        const count = Math.min(4096, N - start);
        simd.dotF32(dataAt + start * stride * 4, count, stride, queryAt, outAt);
        scores.set(new Float32Array(simd.memory.buffer, outAt, count), start);
      }
      return topK(scores, N, k).map((h) => h.index);
    },
    batch(qs: Float32Array[], k: number): number[][] {
      const scores = qs.map(() => new Float32Array(N));
      for (let start = 0; start < N; start += blockRows) {
        const count = Math.min(blockRows, N - start);
        for (let g = 0; g < qs.length; g += 4) {
          setQueries(qs.slice(g, g + 4));
          simd.dotF32x4(dataAt + start * stride * 4, count, stride, queryAt, outAt);
          const out = new Float32Array(simd.memory.buffer, outAt, count * 4);
          for (let j = 0; j < 4 && g + j < qs.length; j++) {
            const target = scores[g + j] as Float32Array;
            for (let r = 0; r < count; r++) target[start + r] = out[r * 4 + j] as number;
          }
        }
      }
      return scores.map((s) => topK(s, N, k).map((h) => h.index));
    },
  };
}

/** ONNX bytes of Y = Gemm(A [b, dim], B [r, dim], transB = 1): a hand-written protobuf. */
function gemmModel(dim: number): Uint8Array {
  const bytes: number[] = [];
  const varint = (out: number[], v: number) => {
    while (v > 127) {
      out.push((v & 127) | 128);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const field = (n: number, payload: number[] | string | number): number[] => {
    const out: number[] = [];
    if (typeof payload === 'number') {
      varint(out, n << 3);
      varint(out, payload);
      return out;
    }
    const body = typeof payload === 'string' ? [...new TextEncoder().encode(payload)] : payload;
    varint(out, (n << 3) | 2);
    varint(out, body.length);
    return out.concat(body);
  };
  const dimOf = (d: string | number) => field(1, typeof d === 'number' ? field(1, d) : field(2, d));
  const valueInfo = (name: string, dims: (string | number)[]) =>
    field(1, name).concat(field(2, field(1, field(1, 1).concat(field(2, dims.flatMap(dimOf))))));
  const node = field(1, 'A').concat(
    field(1, 'B'),
    field(2, 'Y'),
    field(4, 'Gemm'),
    field(5, field(1, 'transB').concat(field(3, 1), field(20, 2))),
  );
  const graph = field(1, node).concat(
    field(2, 'g'),
    field(11, valueInfo('A', ['b', dim])),
    field(11, valueInfo('B', ['r', dim])),
    field(12, valueInfo('Y', ['b', 'r'])),
  );
  bytes.push(...field(1, 8), ...field(8, field(2, 13)), ...field(7, graph));
  return Uint8Array.from(bytes);
}

interface GemmSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
}
type TensorOf = new (type: 'float32', data: Float32Array, dims: number[]) => unknown;

/** onnxruntime Gemm over blocks of the index, then top-k per query in JavaScript. */
function ortGemm(session: GemmSession, Tensor: TensorOf, unit: Float32Array, blockRows: number) {
  return async (qs: Float32Array[], k: number): Promise<number[][]> => {
    const a = new Float32Array(qs.length * DIM);
    qs.forEach((q, i) => {
      a.set(q, i * DIM);
    });
    const A = new Tensor('float32', a, [qs.length, DIM]);
    const scores = qs.map(() => new Float32Array(N));
    for (let start = 0; start < N; start += blockRows) {
      const count = Math.min(blockRows, N - start);
      const B = new Tensor('float32', unit.subarray(start * DIM, (start + count) * DIM), [count, DIM]);
      const y = (await session.run({ A, B })).Y?.data as Float32Array;
      scores.forEach((s, i) => {
        s.set(y.subarray(i * count, (i + 1) * count), start);
      });
    }
    return scores.map((s) => topK(s, N, k).map((h) => h.index));
  };
}

function time<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

interface Variant {
  readonly name: string;
  readonly note: string;
  /** Queries one run answers. */
  readonly queries: number;
  readonly run: () => Promise<unknown>;
}

async function main(): Promise<void> {
  const { data, queries } = dataset();
  const unit = normalizeRows(data, DIM);
  const unitQueries = normalizeRows(queries, DIM);
  const ids = Array.from({ length: N }, (_, i) => i);
  const queryRows = Array.from({ length: BATCH }, (_, q) => queries.subarray(q * DIM, (q + 1) * DIM));
  const unitRows = Array.from({ length: BATCH }, (_, q) => unitQueries.subarray(q * DIM, (q + 1) * DIM));

  // Build (interleaving the two kernels' builds is not worth it: each is one long call).
  const builds: Record<string, number[]> = { 'wasm-simd': [], js: [] };
  let index = new VectorIndex(DIM, { capacity: N });
  let jsIndex = new VectorIndex(DIM, { capacity: N, kernel: 'js' });
  for (let r = 0; r < 3; r++) {
    for (const kernel of r % 2 ? (['js', 'wasm-simd'] as const) : (['wasm-simd', 'js'] as const)) {
      const fresh = new VectorIndex(DIM, { capacity: N, kernel });
      const { ms } = time(() => fresh.addMany(ids, { data, rows: N, dim: DIM }));
      builds[kernel]?.push(ms);
      if (kernel === 'js') jsIndex = fresh;
      else index = fresh;
    }
  }
  const bytes = time(() => index.toBytes());
  const fromBytes: number[] = [];
  for (let r = 0; r < 3; r++) fromBytes.push(time(() => VectorIndex.fromBytes(bytes.value, { dim: DIM })).ms);
  const toBytes = [bytes.ms];
  for (let r = 0; r < 2; r++) toBytes.push(time(() => index.toBytes()).ms);

  // Exactness: the index against the brute-force reference (ids and scores bit for bit), single vs
  // batch vs the JavaScript kernel, and after fromBytes.
  const checked = Math.min(BATCH, 4);
  const matrix = { data: queries, rows: BATCH, dim: DIM };
  const batchHits = index.searchMany(matrix, K);
  const restored = VectorIndex.fromBytes(bytes.value, { dim: DIM });
  const same = (a: SearchHit[], b: SearchHit[]) => JSON.stringify(a) === JSON.stringify(b);
  let exact = 0;
  for (let q = 0; q < checked; q++) {
    const reference = bruteForce(unit, unitRows[q] as Float32Array, K).map(({ row, score }) => ({ id: row, score }));
    const single = index.search(queryRows[q] as Float32Array, K);
    if (
      same(single, reference) &&
      same(batchHits[q] as SearchHit[], reference) &&
      same(jsIndex.search(queryRows[q] as Float32Array, K), reference) &&
      same(restored.search(queryRows[q] as Float32Array, K), reference)
    ) {
      exact++;
    }
  }
  const batchMatchesSingle = batchHits.every((hits, q) => same(hits, index.search(queryRows[q] as Float32Array, K)));

  // Rows re-scored per query (the first pass's candidates), from the same internals the index uses.
  const store = new CodeStore(DIM, N, 'auto');
  store.setRows(0, N, unit, 0);
  const candidates = unitRows.map((q) => {
    const prepared = quantizeQuery(q, DIM, store.stride, queryCodeMax(store.stride));
    const selection = new BoundedTopK(K, prepared, store);
    store.setQueries([prepared.codes]);
    for (let start = 0; start < N; start += store.blockRows) {
      const rows = Math.min(store.blockRows, N - start);
      selection.scan(store.dots(start, rows, 1), 0, 1, start, rows, store);
    }
    return selection.candidates().length;
  });

  const vectors = Array.from({ length: N }, (_, i) => data.slice(i * DIM, (i + 1) * DIM));
  const f32 = wasmF32(unit);
  const slowCount = Math.min(BATCH, 2);
  const agreement: Record<string, boolean> = {};
  const expectIds = (name: string, got: number[][]) => {
    agreement[name] = got.every((ids, q) => ids.join() === (batchHits[q] as SearchHit[]).map((h) => h.id).join());
  };
  const variants: Variant[] = [
    {
      name: 'naive',
      note: 'per-vector arrays, norms per query, full sort',
      queries: slowCount,
      run: async () =>
        expectIds(
          'naive',
          unitRows.slice(0, slowCount).map((q) => naiveSearch(vectors, q, K)),
        ),
    },
    {
      name: 'js-f32 (previous VectorIndex)',
      note: 'float32 rows, JS loop, heap top-k',
      queries: slowCount,
      run: async () =>
        expectIds(
          'js-f32',
          unitRows.slice(0, slowCount).map((q) => jsF32Search(unit, q, K)),
        ),
    },
    {
      name: 'wasm-f32, one query',
      note: 'f32x4 dot products + top-k (first pass only)',
      queries: Math.min(BATCH, 8),
      run: async () =>
        expectIds(
          'wasm-f32',
          unitRows.slice(0, 8).map((q) => f32.one(q, K)),
        ),
    },
    {
      name: 'wasm-f32x4, batch',
      note: '4 queries per pass over 512 KiB blocks (first pass only)',
      queries: BATCH,
      run: async () => expectIds('wasm-f32x4', f32.batch(unitRows, K)),
    },
    {
      name: 'js-int8 VectorIndex.search',
      note: "kernel 'js' (no WebAssembly SIMD): int8 pass + exact re-score",
      queries: Math.min(BATCH, 4),
      run: async () => {
        for (let q = 0; q < Math.min(BATCH, 4); q++) jsIndex.search(queryRows[q] as Float32Array, K);
      },
    },
    {
      name: 'wasm-int8 VectorIndex.search',
      note: 'shipped: int8 SIMD pass + exact re-score, one query a call',
      queries: BATCH,
      run: async () => {
        for (let q = 0; q < BATCH; q++) index.search(queryRows[q] as Float32Array, K);
      },
    },
    {
      name: 'wasm-int8 VectorIndex.searchMany',
      note: `shipped: ${BATCH} queries in one call (4 per pass over 512 KiB blocks)`,
      queries: BATCH,
      run: async () => index.searchMany(matrix, K),
    },
  ];

  const ortVersions: Record<string, string> = {};
  if (flags.ort !== 'no') {
    const model = gemmModel(DIM);
    const ortNode = await import('onnxruntime-node');
    ortVersions.node = ortNode.env.versions?.node ?? 'unknown';
    for (const threads of [1, 2]) {
      const session = await ortNode.InferenceSession.create(model, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
      });
      const gemm = ortGemm(session as unknown as GemmSession, ortNode.Tensor as unknown as TensorOf, unit, 8192);
      variants.push({
        name: `ort-node Gemm, batch, ${threads} thread${threads > 1 ? 's' : ''}`,
        note: 'native MLAS sgemm over 8192-row blocks + JS top-k (first pass only)',
        queries: BATCH,
        run: async () => expectIds(`ort-node-${threads}`, await gemm(unitRows, K)),
      });
    }
    const coreRequire = createRequire(path.join(process.cwd(), 'packages', 'core', 'package.json'));
    const ort = await loadOrt();
    ort.env.wasm.wasmPaths = `${path.dirname(coreRequire.resolve('onnxruntime-web'))}/`;
    ortVersions.web = ort.env.versions?.web ?? 'unknown';
    const web = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
    const webGemm = ortGemm(web as unknown as GemmSession, ort.Tensor as unknown as TensorOf, unit, 8192);
    variants.push({
      name: 'ort-web Gemm, batch, WASM 1 thread',
      note: 'onnxruntime-web sgemm over 8192-row blocks + JS top-k (first pass only)',
      queries: BATCH,
      run: async () => expectIds('ort-web', await webGemm(unitRows, K)),
    });
  }

  // CPU time per run as well as wall time: on a shared machine the wall clock also counts the time
  // other processes held the cores (the first, warm-up call of each is dropped).
  const cpuMs = variants.map(() => [] as number[]);
  const seconds = await interleaved(
    variants.map((v, i) => async () => {
      const started = process.cpuUsage();
      await v.run();
      const used = process.cpuUsage(started);
      (cpuMs[i] as number[]).push((used.user + used.system) / 1000 / v.queries);
    }),
    ROUNDS,
  );
  const shipped = variants.findIndex((v) => v.name === 'wasm-int8 VectorIndex.search');
  const qps = seconds.map((runs, i) => runs.map((s) => (variants[i] as Variant).queries / s));
  const rows = variants.map((v, i) => {
    const rates = qps[i] as number[];
    const ratios = rates.map((r, round) => r / ((qps[shipped] as number[])[round] as number));
    return {
      name: v.name,
      note: v.note,
      queriesPerRun: v.queries,
      qps: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
      msPerQuery: 1000 / median(rates),
      cpuMsPerQuery: median((cpuMs[i] as number[]).slice(1)),
      vsShipped: median(ratios),
    };
  });

  const memory = index.memoryUsage();
  const summary = {
    bench: 'search',
    index: `${N} x ${DIM} (${CLUSTERED ? 'clustered' : 'random normal'}), exact cosine, top-${K}, batch ${BATCH}`,
    rounds: ROUNDS,
    versions: {
      node: process.version,
      v8: process.versions.v8,
      onnxruntime: ortVersions,
      cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    },
    load: os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' '),
    kernel: index.kernel,
    variants: rows,
    exactness: {
      checkedQueries: checked,
      bitIdenticalToBruteForce: exact,
      batchEqualsSingle: batchMatchesSingle,
      firstPassTopKIdsAgree: agreement,
    },
    rescoredRowsPerQuery: {
      median: median(candidates),
      min: Math.min(...candidates),
      max: Math.max(...candidates),
    },
    memory: {
      bytesPerVector: memory.bytesPerVector,
      previousBytesPerVector: DIM * 4,
      indexBytes: memory.usedBytes,
      wasmF32CopyBytes: f32.bytes,
    },
    addManyMs: { wasmSimd: median(builds['wasm-simd'] ?? []), js: median(builds.js ?? []) },
    toBytesMs: median(toBytes),
    fromBytesMs: median(fromBytes),
    serializedBytes: bytes.value.byteLength,
  };
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const cores = os.cpus().length;
  const busy = os.loadavg()[0] as number;
  console.log(`## Vector search (${N / 1000}k x ${DIM}, exact cosine top-${K})\n`);
  console.log(
    `\`pnpm bench search\` (= \`node --conditions=source --import tsx bench/search.bench.ts\`): ${summary.index}; ${ROUNDS} interleaved rounds (rotating start), medians [min - max] of queries/s (wall clock), CPU ms/query = median of this process's CPU time per query (all its threads), ratio = median of per-round ratios to the shipped \`search\`. ${summary.versions.cpus}, Node ${process.version} (V8 ${process.versions.v8}), onnxruntime-node ${ortVersions.node ?? '-'}, onnxruntime-web ${ortVersions.web ?? '-'}. Load average ${summary.load}${busy > cores ? ` on ${cores} cores: the machine was shared, so these figures are pessimistic and noisy` : ''}.\n`,
  );
  console.log(
    '| variant | queries/s | ms/query | CPU ms/query | vs shipped search | what |\n| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.qps.median.toFixed(1)} [${r.qps.min.toFixed(1)} - ${r.qps.max.toFixed(1)}] | ${r.msPerQuery.toFixed(1)} | ${r.cpuMsPerQuery.toFixed(1)} | ${r.vsShipped.toFixed(2)}x | ${r.note} |`,
    );
  }
  console.log('\n| measure | result |\n| --- | ---: |');
  console.log(
    `| memory per vector | ${memory.bytesPerVector} B (float32 ${DIM * 4} + int8 ${memory.bytesPerVector - DIM * 4 - 12} + bounds 12); previous ${DIM * 4} B |`,
  );
  console.log(`| index memory (typed arrays) | ${mib(memory.usedBytes)} MiB (previous ${mib(N * DIM * 4)} MiB) |`);
  console.log(
    `| rows re-scored exactly per query | median ${summary.rescoredRowsPerQuery.median}, ${summary.rescoredRowsPerQuery.min} - ${summary.rescoredRowsPerQuery.max} |`,
  );
  console.log(
    `| addMany ${N} | ${(summary.addManyMs.wasmSimd / 1000).toFixed(2)} s (${(N / summary.addManyMs.wasmSimd).toFixed(0)}k vectors/s); js kernel ${(summary.addManyMs.js / 1000).toFixed(2)} s |`,
  );
  console.log(
    `| toBytes / fromBytes | ${summary.toBytesMs.toFixed(0)} ms / ${summary.fromBytesMs.toFixed(0)} ms (fromBytes rebuilds the int8 codes) |`,
  );
  console.log(`| serialized size | ${mib(summary.serializedBytes)} MiB (format 1, unchanged) |`);
  console.log(
    `\nExact: ${exact}/${checked} queries bit-identical (ids and scores) to a brute-force float64 reference via search, searchMany, the js kernel and after fromBytes; searchMany = search for all ${BATCH}: ${batchMatchesSingle}. First-pass-only variants' top-${K} ids equal the exact ones: ${Object.entries(
      agreement,
    )
      .map(([k, v]) => `${k} ${v ? 'yes' : 'NO'}`)
      .join(', ')}.`,
  );
  console.log(
    `\n<details><summary>JSON summary</summary>\n\n\`\`\`json\n${JSON.stringify(summary, null, 2)}\n\`\`\`\n\n</details>`,
  );
}

await main();
