/**
 * What the benchmark driver (Node, playwright-core) and the system pages (bench/browser/pages/*.html)
 * say to each other. Every page installs a {@link PageApi} as `window.bench` and sets
 * `data-bench-ready` on <html>; the driver calls it with `page.evaluate`. Types only.
 */

/**
 * What a system does with the texts.
 *
 * @example
 * ```ts
 * const task: Task = model.task; // 'embed' or 'tag'
 * ```
 */
export type Task = 'embed' | 'tag';
/**
 * ONNX variant (Transformers.js names: onnx/model.onnx, onnx/model_quantized.onnx).
 *
 * @example
 * ```ts
 * const file = dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx';
 * ```
 */
export type BenchDtype = 'fp32' | 'q8';
/**
 * Execution provider.
 *
 * @example
 * ```ts
 * const device: Device = 'wasm';
 * ```
 */
export type Device = 'wasm' | 'webgpu';

/**
 * One model load.
 *
 * @example
 * ```ts
 * const request: LoadRequest = { url: '/m/ner-ru-tiny/', modelId: 'ner-ru-tiny', task: 'tag', dtype: 'q8', device: 'wasm' };
 * ```
 */
export interface LoadRequest {
  /** Model folder URL, absolute path on the bench server, ending in `/` (e.g. `/m/ner-ru-tiny/`). */
  readonly url: string;
  /** The folder's name under `/m/` (Transformers.js model id with `localModelPath = '/m/'`). */
  readonly modelId: string;
  readonly task: Task;
  readonly dtype: BenchDtype;
  readonly device: Device;
}

/**
 * A timed interval inside a page or worker (epoch ms, comparable with the server's request log).
 *
 * @example
 * ```ts
 * const ms = span.end - span.start;
 * ```
 */
export interface Span {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly detail?: string;
}

/**
 * What a load took and what it ended up with.
 *
 * @example
 * ```ts
 * const { ms, threads } = await page.load(request);
 * ```
 */
export interface LoadResult {
  /** Milliseconds from "create" (the call of the system's load function) to "ready" (it resolved). */
  readonly ms: number;
  /** Epoch ms of "create". */
  readonly start: number;
  /** WASM threads the runtime was configured with after the load (`ort.env.wasm.numThreads`, or bertweb's report). */
  readonly threads: number;
  /** System-specific facts (backend report, ORT version...). */
  readonly detail: Record<string, unknown>;
}

/**
 * One timed pass over the texts.
 *
 * @example
 * ```ts
 * await page.run({ texts, batch: 1, keep: 16 });
 * ```
 */
export interface RunRequest {
  readonly texts: readonly string[];
  /** Texts per call (1: one call per text, the way a page embeds a query). */
  readonly batch: number;
  /** Outputs of the first `keep` texts to return for the cross-system checks. */
  readonly keep: number;
}

/**
 * The timing and a sample of the outputs of one pass.
 *
 * @example
 * ```ts
 * const perCall = result.ms / result.calls;
 * ```
 */
export interface RunResult {
  /** Wall milliseconds of the whole pass (every call, awaited one after another). */
  readonly ms: number;
  readonly calls: number;
  /** embed: mean-pooled vectors of the first `keep` texts. */
  readonly vectors?: number[][];
  /**
   * tag: entities found (bertweb: word-level entities; Transformers.js: tokens it reports, label != O;
   * raw onnxruntime-web: tokens whose argmax label is not O).
   */
  readonly found?: number;
}

/**
 * Facts about the page's context.
 *
 * @example
 * ```ts
 * if (!(await page.info()).crossOriginIsolated) throw new Error('no WASM threads');
 * ```
 */
export interface PageInfo {
  readonly system: string;
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  readonly userAgent: string;
  readonly visibility: DocumentVisibilityState;
  /** Library versions the page can see (`ort.env.versions.web`, Transformers.js `env.version`). */
  readonly versions: Record<string, string>;
}

/**
 * `window.bench` of every system page.
 *
 * @example
 * ```ts
 * await page.evaluate(() => (window as unknown as { bench: PageApi }).bench.info());
 * ```
 */
export interface PageApi {
  info(): Promise<PageInfo>;
  load(request: LoadRequest): Promise<LoadResult>;
  run(request: RunRequest): Promise<RunResult>;
  /** Spans recorded by the page's tracing (pages opened with `?trace=1`), then cleared. */
  takeSpans(): Promise<Span[]>;
  dispose(): Promise<void>;
}
