/**
 * bertweb through its Web Worker, as the demo runs it: `connect()` at page start (the worker boots while
 * the page loads), then `client.create('embedder' | 'tagger', url, options)`; every call is a round trip.
 * The worker entry is `bertweb/worker` (see bertweb-worker-entry.ts).
 */
import './trace.js';
import { connect, type defaultTasks, type Embedder, type RemoteHead, type Tagger } from 'bertweb';
import type { LoadRequest } from '../protocol.js';
import { install, THREADS, TRACE } from './common.js';

// The worker reads its thread count (and whether to trace) from its name: it cannot see the page URL.
const client = connect<typeof defaultTasks>(
  () =>
    new Worker(new URL('./bertweb-worker-entry.ts', import.meta.url), {
      type: 'module',
      name: `bertweb threads=${THREADS}${TRACE ? ' trace=1' : ''}`,
    }),
);

let embedder: RemoteHead<Embedder> | undefined;
let tagger: RemoteHead<Tagger> | undefined;

install({
  name: 'bertweb-worker',
  versions: () => ({}),
  async load(request: LoadRequest) {
    const options = { backend: request.device, dtype: request.dtype } as const;
    if (request.task === 'embed') {
      embedder = await client.create('embedder', request.url, { ...options, pooling: 'mean' });
      return { threads: embedder.backend.wasm.threads, detail: { backend: embedder.backend } };
    }
    tagger = await client.create('tagger', request.url, options);
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
