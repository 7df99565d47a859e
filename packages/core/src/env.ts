/**
 * bertweb's process-wide settings, in one documented object (as onnxruntime's `env`). Every value has a
 * default; per-call options (`loadModel(source, { retries: 5 })`, ...) override it for that call.
 */
import type { ModelConverter } from './runtime/conversion.js';
import type { ModelCache } from './sources/types.js';

/** Log levels of onnxruntime. */
export type LogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

/**
 * The settings bertweb reads. Set them before the first model loads: on WASM, `numThreads` and `wasmPaths`
 * are read once, when onnxruntime-web's WebAssembly starts; the others (and `numThreads` on native) are
 * read at every use.
 *
 * @example
 * ```ts
 * import { env } from 'bertweb';
 * env.hubBaseUrl = 'https://hf-mirror.example';
 * env.numThreads = 2;
 * ```
 */
export interface BertwebEnv {
  /**
   * CPU threads of every runtime (a load's `numThreads` overrides it). Default (`undefined`): on WASM
   * min(4, cores) where SharedArrayBuffer is usable (Node, cross-origin isolated pages and workers), else 1;
   * on native (onnxruntime-node) the physical cores, as onnxruntime's own default. WASM reads it once per
   * realm, when its WebAssembly starts; native reads it for each model it loads.
   */
  numThreads: number | undefined;
  /** Where onnxruntime's `.wasm` / `.mjs` files live when a bundler cannot resolve them (URL prefix or file map). */
  wasmPaths: string | { readonly wasm?: string; readonly mjs?: string } | undefined;
  /** onnxruntime's log level. Default `'error'`. */
  logLevel: LogLevel;
  /**
   * Hub base URL. Default (`undefined`): `$BERTWEB_HUB_BASE_URL` in Node when set, else `https://huggingface.co`.
   */
  hubBaseUrl: string | undefined;
  /** Hub revision (branch, tag or commit) of hub ids without `@revision`. Default `'main'`. */
  revision: string;
  /**
   * The download cache: `true` (default) uses the platform's ({@link defaultCache}: Cache API in browsers,
   * `~/.cache/bertweb` or `$BERTWEB_CACHE_DIR` in Node), `false` none, or your own {@link ModelCache}.
   */
  cache: boolean | ModelCache;
  /** Extra attempts after the first for transient download failures (5xx, 429, network errors, stalls). Default 3. */
  retries: number;
  /** First backoff delay in ms, doubled per attempt. Default 250. */
  retryDelayMs: number;
  /** A download that receives no bytes for this long fails (and is retried). Default 30,000 ms. */
  stallTimeoutMs: number;
  /** Max padded tokens (batch x sequence) per inference run. Default 16,384. */
  maxBatchTokens: number;
  /**
   * Max sequences per inference run, per backend. Default 8 on WASM (rows run one after another, and
   * padding every row to the longest costs real time: bench/tagging measured 1.7x more words/s with 8 than
   * with 32), 32 on WebGPU (wide batches pay there) and 16 on native (raw onnxruntime-node, 2 threads,
   * length-sorted STS-B batches of 8/16/32/64, two interleaved runs on a shared 2-core machine: 16 was the
   * fastest or within 8% of it in q8 and fp32, while 8 lost 18-25% in fp32 and 64 lost to padding).
   */
  maxBatchSize: { wasm: number; webgpu: number; native: number };
  /**
   * Converts checkpoints that have PyTorch or safetensors weights but no ONNX file, at load time. Default
   * `undefined` in `@bertweb/core`; importing `bertweb` installs `@bertweb/convert`'s (loaded on first use).
   */
  converter: ModelConverter | undefined;
}

/**
 * The settings object. Mutate its fields; never replace it.
 *
 * @example
 * ```ts
 * env.retries = 5;
 * env.cache = false; // never cache downloads
 * ```
 */
export const env: BertwebEnv = {
  numThreads: undefined,
  wasmPaths: undefined,
  logLevel: 'error',
  hubBaseUrl: undefined,
  revision: 'main',
  cache: true,
  retries: 3,
  retryDelayMs: 250,
  stallTimeoutMs: 30_000,
  maxBatchTokens: 16_384,
  maxBatchSize: { wasm: 8, webgpu: 32, native: 16 },
  converter: undefined,
};
