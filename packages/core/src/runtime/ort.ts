/**
 * Loads onnxruntime-web once, lazily (never at module top level: a worker must `expose` its API
 * before any heavy import, and pages that never run a model never pay for ORT).
 */
import type * as OrtModule from 'onnxruntime-web';
import { env } from '../env.js';

/** The onnxruntime-web module namespace. */
export type Ort = typeof OrtModule;

const NODE_ENTRY = 'onnxruntime-web';

let ortPromise: Promise<Ort> | undefined;

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
  if (env.numThreads !== undefined) return Math.max(1, Math.floor(env.numThreads));
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
      ort.env.wasm.numThreads = wasmThreads();
      if (env.wasmPaths !== undefined) ort.env.wasm.wasmPaths = env.wasmPaths;
      applyLogLevel(ort);
      return ort;
    },
  );
  return ortPromise;
}

/** `env.logLevel` may change at any time: sessions apply it when they are created. */
export function applyLogLevel(ort: Ort): void {
  ort.env.logLevel = env.logLevel;
}
