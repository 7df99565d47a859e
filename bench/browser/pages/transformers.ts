/**
 * Transformers.js in the page: `pipeline('feature-extraction')` with `{ pooling: 'mean' }` /
 * `pipeline('token-classification')`, on the same files (`env.localModelPath = '/m/'`, no remote models),
 * with its own onnxruntime-web build. Its WASM files come from the bench server (`/ort-tjs/`, the ORT
 * version Transformers.js depends on) instead of the CDN it would use by default; otherwise defaults,
 * its browser cache included. Threads: `env.backends.onnx.wasm.numThreads`, the same count as bertweb.
 */
import './trace.js';
import { env, pipeline } from '@huggingface/transformers';
import type { LoadRequest } from '../protocol.js';
import { install, THREADS } from './common.js';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '/m/';
const onnxEnv = env.backends.onnx as unknown as {
  wasm: { numThreads: number; wasmPaths: unknown };
  versions?: Record<string, string>;
};
onnxEnv.wasm.wasmPaths = {
  mjs: '/ort-tjs/ort-wasm-simd-threaded.asyncify.mjs',
  wasm: '/ort-tjs/ort-wasm-simd-threaded.asyncify.wasm',
};
onnxEnv.wasm.numThreads = THREADS;

type Extractor = (texts: string[], options: object) => Promise<{ data: Float32Array; dims: number[] }>;
type Classifier = ((texts: string[]) => Promise<unknown[]>) & { dispose(): Promise<void> };

let extractor: (Extractor & { dispose(): Promise<void> }) | undefined;
let classifier: Classifier | undefined;

install({
  name: 'transformers.js',
  versions: () => ({ transformers: env.version, ort: onnxEnv.versions?.web ?? 'unknown' }),
  async load(request: LoadRequest) {
    const options = { dtype: request.dtype, device: request.device } as const;
    if (request.task === 'embed') {
      extractor = (await pipeline('feature-extraction', request.modelId, options)) as unknown as typeof extractor;
    } else {
      classifier = (await pipeline('token-classification', request.modelId, options)) as unknown as Classifier;
    }
    return { threads: onnxEnv.wasm.numThreads, detail: { ort: onnxEnv.versions?.web } };
  },
  async call(texts, keep) {
    if (extractor) {
      const out = await extractor([...texts], { pooling: 'mean', normalize: false });
      const dim = out.dims[1] as number;
      const vectors: number[][] = [];
      for (let r = 0; r < keep; r++) vectors.push(Array.from(out.data.subarray(r * dim, (r + 1) * dim)));
      return { vectors };
    }
    if (!classifier) throw new Error('load a model first');
    // An array in gives one list of tokens per text out (a bare string would give one flat list).
    const lists = (await classifier([...texts])) as unknown[][];
    return { found: lists.reduce((n, list) => n + list.length, 0) };
  },
  async dispose() {
    await extractor?.dispose();
    await classifier?.dispose();
    extractor = undefined;
    classifier = undefined;
  },
});
