/**
 * Search benchmark: exact top-k cosine search with @bertweb/embeddings' VectorIndex over 100k x 768
 * vectors (seeded random, i.e. no structure to exploit), against a straightforward baseline (one
 * Float32Array per vector, cosine with norms computed per query, full sort of all scores). Also times
 * bulk insertion and byte serialization, and checks that both return the same top-k ids.
 *
 *   node --conditions=source --import tsx bench/search.bench.ts [--vectors 100000] [--dim 768] [--queries 200]
 *        [--k 10] [--runs 3]
 *
 * Prints a JSON summary and a Markdown table.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { VectorIndex } from '@bertweb/embeddings';
import { median } from './lib/measure.js';

const { values: flags } = parseArgs({
  options: {
    vectors: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '768' },
    queries: { type: 'string', default: '200' },
    k: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
  },
});
const N = Number(flags.vectors);
const DIM = Number(flags.dim);
const QUERIES = Number(flags.queries);
const K = Number(flags.k);
const RUNS = Number(flags.runs);

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

function time<T>(fn: () => T): { value: T; seconds: number } {
  const started = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - started) / 1000 };
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

function main(): void {
  const data = normals(N * DIM, 1);
  const queries = normals(QUERIES * DIM, 2);
  const ids = Array.from({ length: N }, (_, i) => i);

  const index = new VectorIndex(DIM, { capacity: N });
  const added = time(() => index.addMany(ids, { data, rows: N, dim: DIM }));

  const searchSeconds: number[] = [];
  let hits: ReturnType<VectorIndex['search']>[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const { value, seconds } = time(() =>
      Array.from({ length: QUERIES }, (_, q) => index.search(queries.subarray(q * DIM, (q + 1) * DIM), K)),
    );
    if (r > 0) searchSeconds.push(seconds); // run 0 warms up the JIT
    hits = value;
  }

  const bytes = time(() => index.toBytes());
  const restored = time(() => VectorIndex.fromBytes(bytes.value, { dim: DIM }));
  const sameAfterRestore = restored.value
    .search(queries.subarray(0, DIM), K)
    .every((h, i) => h.id === hits[0]?.[i]?.id);

  // Baseline on a subset of queries (it is slow), checked against the index for identical top-k ids.
  const vectors = Array.from({ length: N }, (_, i) => data.slice(i * DIM, (i + 1) * DIM));
  const baselineQueries = Math.min(QUERIES, 20);
  let agree = 0;
  const baseline = time(() => {
    for (let q = 0; q < baselineQueries; q++) {
      const top = naiveSearch(vectors, queries.subarray(q * DIM, (q + 1) * DIM), K);
      if (top.every((id, i) => hits[q]?.[i]?.id === id)) agree++;
    }
  });

  const qps = searchSeconds.map((s) => QUERIES / s);
  const summary = {
    bench: 'search',
    index: `${N} x ${DIM} float32 (${((N * DIM * 4) / 2 ** 20).toFixed(0)} MiB), exact cosine, top-${K}`,
    runs: RUNS,
    versions: { node: process.version, cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}` },
    load: os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' '),
    addManyVectorsPerSecond: N / added.seconds,
    queriesPerSecond: { median: median(qps), min: Math.min(...qps), max: Math.max(...qps) },
    msPerQuery: 1000 / median(qps),
    baselineQueriesPerSecond: baselineQueries / baseline.seconds,
    baselineAgreement: `${agree}/${baselineQueries} queries with identical top-${K} ids`,
    toBytes: { seconds: bytes.seconds, bytes: bytes.value.byteLength },
    fromBytes: { seconds: restored.seconds, sameResults: sameAfterRestore },
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log('\n| operation | result |\n| --- | ---: |');
  console.log(
    `| search (VectorIndex, ${N} x ${DIM}, k=${K}) | ${summary.queriesPerSecond.median.toFixed(1)} queries/s (${summary.msPerQuery.toFixed(1)} ms/query) |`,
  );
  console.log(
    `| naive baseline (per-vector arrays, full sort) | ${summary.baselineQueriesPerSecond.toFixed(1)} queries/s |`,
  );
  console.log(`| addMany | ${(summary.addManyVectorsPerSecond / 1000).toFixed(0)}k vectors/s |`);
  console.log(
    `| toBytes / fromBytes | ${(bytes.seconds * 1000).toFixed(0)} ms / ${(restored.seconds * 1000).toFixed(0)} ms (${(bytes.value.byteLength / 2 ** 20).toFixed(0)} MiB) |`,
  );
  console.log(
    `\n${summary.baselineAgreement}; ${summary.versions.cpus}, load ${summary.load}, Node ${process.version}`,
  );
}

main();
