/**
 * Loads onnxruntime-web once, lazily (never at module top level: a worker must `expose` its API
 * before any heavy import, and pages that never run a model never pay for ORT).
 */
import type * as OrtModule from 'onnxruntime-web';

/** The onnxruntime-web module namespace. */
export type Ort = typeof OrtModule;

/** Process-wide ORT settings; they take effect before the first session is created. */
export interface RuntimeSettings {
  /** WASM threads; default min(4, cores) when cross-origin isolated, else 1. Node: 1. */
  readonly numThreads?: number;
  /** Where ORT's `.wasm`/`.mjs` files live, when a bundler cannot resolve them (a URL prefix or a file map). */
  readonly wasmPaths?: string | { readonly wasm?: string; readonly mjs?: string };
  /** ORT log level, default 'error'. */
  readonly logLevel?: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
}

const NODE_ENTRY = 'onnxruntime-web';

let settings: RuntimeSettings = {};
let ortPromise: Promise<Ort> | undefined;

/**
 * Sets ORT options; call before the first model loads (later calls only affect what ORT still reads).
 *
 * @example
 * ```ts
 * configureRuntime({ numThreads: 2 });
 * ```
 */
export function configureRuntime(next: RuntimeSettings): void {
  settings = { ...settings, ...next };
  if (ortPromise) void ortPromise.then(applySettings);
}

/** True in Node.js (and Node-compatible runtimes), where ORT-web's node build is used. */
export function isNodeRuntime(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

/** Whether SharedArrayBuffer (and so WASM threads) is usable here. */
export function isCrossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** The number of WASM threads bertweb asks ORT for, given the settings and the platform. */
export function wasmThreads(): number {
  if (settings.numThreads !== undefined) return Math.max(1, Math.floor(settings.numThreads));
  if (isNodeRuntime() || !isCrossOriginIsolated()) return 1;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(4, cores));
}

/**
 * The ORT module: its node build in Node, the WebGPU build (which includes the WASM backend) in
 * browsers and workers.
 *
 * @example
 * ```ts
 * const ort = await loadOrt();
 * new ort.Tensor('int64', ids, [1, ids.length]);
 * ```
 */
export function loadOrt(): Promise<Ort> {
  // The Node entry is named through a variable so bundlers leave it out of browser builds (it would
  // ship a second 28 MB wasm); in Node the bare specifier resolves to ORT-web's node build.
  ortPromise ??= (isNodeRuntime() ? import(/* @vite-ignore */ NODE_ENTRY) : import('onnxruntime-web/webgpu')).then(
    (mod) => {
      const ort = ((mod as { default?: Ort }).default ?? mod) as Ort;
      applySettings(ort);
      return ort;
    },
  );
  return ortPromise;
}

function applySettings(ort: Ort): void {
  ort.env.logLevel = settings.logLevel ?? 'error';
  ort.env.wasm.numThreads = wasmThreads();
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
}
