/** What every system page shares: URL parameters, the `window.bench` installation, pooling helpers. */
import type { LoadRequest, LoadResult, PageApi, PageInfo, RunRequest, RunResult } from '../protocol.js';
import { epochNow, takeSpans } from './trace.js';

const params = new URLSearchParams(location.search);

/**
 * WASM threads every system is given (`?threads=N`; default bertweb's own default: min(4, cores)
 * when cross-origin isolated, else 1).
 *
 * @example
 * ```ts
 * ort.env.wasm.numThreads = THREADS;
 * ```
 */
export const THREADS =
  Number(params.get('threads')) || (crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1);
/**
 * Whether this page runs with tracing (`?trace=1`).
 *
 * @example
 * ```ts
 * if (TRACE) console.log('tracing on');
 * ```
 */
export const TRACE = params.get('trace') === '1';

/**
 * The part each system page implements.
 *
 * @example
 * ```ts
 * install({ name: 'raw', versions: () => ({}), load, call, dispose } satisfies System);
 * ```
 */
export interface System {
  readonly name: string;
  versions(): Record<string, string>;
  /** Loads the model; resolves with the threads in use and system-specific facts. */
  load(request: LoadRequest): Promise<{ threads: number; detail: Record<string, unknown> }>;
  /** One call on `texts`; embed systems return one vector per text (first `keep` of them only). */
  call(texts: readonly string[], keep: number): Promise<{ vectors?: number[][]; found?: number }>;
  dispose(): Promise<void>;
}

/**
 * Installs `window.bench` for a system and marks the page ready.
 *
 * @example
 * ```ts
 * install({ name: 'raw', versions: () => ({}), load: ..., call: ..., dispose: ... });
 * ```
 */
export function install(system: System): void {
  const api: PageApi = {
    async info(): Promise<PageInfo> {
      return {
        system: system.name,
        crossOriginIsolated,
        hardwareConcurrency: navigator.hardwareConcurrency,
        userAgent: navigator.userAgent,
        visibility: document.visibilityState,
        versions: system.versions(),
      };
    },
    async load(request: LoadRequest): Promise<LoadResult> {
      const start = epochNow();
      const { threads, detail } = await system.load(request);
      return { ms: epochNow() - start, start, threads, detail };
    },
    async run(request: RunRequest): Promise<RunResult> {
      const vectors: number[][] = [];
      let found = 0;
      let calls = 0;
      const started = performance.now();
      for (let i = 0; i < request.texts.length; i += request.batch) {
        const chunk = request.texts.slice(i, i + request.batch);
        const keep = Math.max(0, Math.min(chunk.length, request.keep - i));
        const out = await system.call(chunk, keep);
        calls++;
        if (out.vectors) vectors.push(...out.vectors.slice(0, keep));
        found += out.found ?? 0;
      }
      const ms = performance.now() - started;
      return { ms, calls, ...(vectors.length > 0 ? { vectors } : {}), found };
    },
    async takeSpans() {
      return takeSpans();
    },
    async dispose() {
      await system.dispose();
    },
  };
  (window as unknown as { bench: PageApi }).bench = api;
  document.documentElement.dataset.benchReady = 'true';
}

/**
 * Mean of the first `length` rows of a padded `[rows x dim]` block starting at `offset`, as numbers.
 *
 * @example
 * ```ts
 * meanRows(hidden, r * len * dim, e.ids.length, dim);
 * ```
 */
export function meanRows(data: Float32Array, offset: number, length: number, dim: number): number[] {
  const out = new Float64Array(dim);
  for (let t = 0; t < length; t++) {
    const base = offset + t * dim;
    for (let d = 0; d < dim; d++) out[d] = (out[d] as number) + (data[base + d] as number);
  }
  return Array.from(out, (v) => v / length);
}
