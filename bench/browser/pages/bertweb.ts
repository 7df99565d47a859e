/**
 * bertweb in the page: `createEmbedder` (mean pooling) / `createTagger` from the `bertweb` package,
 * on the page's main thread, as a page that imports bertweb directly runs it.
 */
import './trace.js';
import { createEmbedder, createTagger, type Embedder, env, type Tagger } from 'bertweb';
import type { LoadRequest } from '../protocol.js';
import { install, THREADS } from './common.js';

let embedder: Embedder | undefined;
let tagger: Tagger | undefined;

install({
  name: 'bertweb',
  versions: () => ({}),
  async load(request: LoadRequest) {
    env.numThreads = THREADS;
    const options = { backend: request.device, dtype: request.dtype } as const;
    if (request.task === 'embed') {
      embedder = await createEmbedder(request.url, { ...options, pooling: 'mean' });
      return { threads: embedder.backend.wasm.threads, detail: { backend: embedder.backend } };
    }
    tagger = await createTagger(request.url, options);
    return { threads: tagger.backend.wasm.threads, detail: { backend: tagger.backend } };
  },
  async call(texts, keep) {
    if (embedder) {
      const { data, dim } = await embedder.embed(texts, { pooling: 'mean' });
      const vectors: number[][] = [];
      for (let r = 0; r < keep; r++) vectors.push(Array.from(data.subarray(r * dim, (r + 1) * dim)));
      return { vectors };
    }
    if (!tagger) throw new Error('load a model first');
    const entities = await tagger.tag(texts);
    return { found: entities.reduce((n, list) => n + list.length, 0) };
  },
  async dispose() {
    await embedder?.dispose();
    await tagger?.dispose();
    embedder = undefined;
    tagger = undefined;
  },
});
