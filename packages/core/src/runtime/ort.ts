/**
 * Loads onnxruntime-web once, lazily (never at module top level: a worker must `expose` its API
 * before any heavy import, and pages that never run a model never pay for ORT), and decides its WASM
 * thread count.
 */
import type * as OrtModule from 'onnxruntime-web';
import { env } from '../env.js';
import { nodeBuiltinSync } from '../sources/platform.js';

/** The onnxruntime-web module namespace. */
export type Ort = typeof OrtModule;

const NODE_ENTRY = 'onnxruntime-web';

/** True in Node.js (and Node-compatible runtimes), where ORT-web's node build is used. */
export function isNodeRuntime(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

/** Whether this page or worker is cross-origin isolated (browsers give SharedArrayBuffer only then). */
export function isCrossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** Whether WASM threads can run here: SharedArrayBuffer exists (Node, cross-origin isolated pages). */
export function wasmThreadsSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && (isNodeRuntime() || isCrossOriginIsolated());
}

/** Logical cores this process may use: `availableParallelism()` in Node, `hardwareConcurrency` elsewhere. */
export function logicalCores(): number {
  const os = nodeBuiltinSync<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
  const count = os
    ? (os.availableParallelism?.() ?? os.cpus().length)
    : (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.floor(count ?? 2));
}

/** A thread count from an option or setting: a positive integer, or `undefined` for the default. */
function threadSetting(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.max(1, Math.floor(value));
}

/**
 * The WASM thread count a load asks for: its `numThreads`, else `env.numThreads`, else min(4, cores);
 * always 1 where SharedArrayBuffer is missing (ORT-web would fall back to 1 itself, with a warning).
 *
 * @example
 * ```ts
 * wasmThreadsFor(2); // 2 in Node or a cross-origin isolated page, 1 elsewhere
 * ```
 */
export function wasmThreadsFor(numThreads?: number): number {
  if (!wasmThreadsSupported()) return 1;
  return threadSetting(numThreads) ?? threadSetting(env.numThreads) ?? Math.min(4, logicalCores());
}

/**
 * The count each ORT-web module's WebAssembly started with in this realm (the WASM-only and the WebGPU
 * build are separate modules, each with its own WebAssembly instance); absent until its first session.
 */
const startedThreads = new WeakMap<Ort, number>();
/** The count of the first module that started, for reports that do not name a module. */
let firstStartedThreads: number | undefined;

/**
 * The WASM thread count of this realm: the running count once ORT-web's WebAssembly has started, else the
 * count it would start with by the settings.
 *
 * @example
 * ```ts
 * makeReport(...).wasm.threads === wasmThreads();
 * ```
 */
export function wasmThreads(): number {
  return firstStartedThreads ?? wasmThreadsFor();
}

/**
 * Sets ORT-web's thread count before a WASM or WebGPU session is created, and returns the count the session
 * will run with. ORT-web reads `env.wasm.numThreads` once, when its WebAssembly starts (the first session of
 * the realm): the first call decides; a later one that asks for another count gets the running count and a
 * reason in `reasons`.
 *
 * @example
 * ```ts
 * const threads = prepareWasmThreads(ort, options.numThreads, reasons);
 * await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
 * ```
 */
export function prepareWasmThreads(ort: Ort, numThreads: number | undefined, reasons: string[]): number {
  const wanted = wasmThreadsFor(numThreads);
  const asked = threadSetting(numThreads) ?? threadSetting(env.numThreads);
  if (asked !== undefined && asked > 1 && wanted === 1) {
    reasons.push(
      `${threadCount(asked)} were asked for, but SharedArrayBuffer is unavailable here (not cross-origin isolated); using 1`,
    );
  }
  const started = startedThreads.get(ort);
  if (started === undefined) {
    ort.env.wasm.numThreads = wanted;
    startedThreads.set(ort, wanted);
    firstStartedThreads ??= wanted;
    return wanted;
  }
  if (wanted !== started) {
    reasons.push(
      `${threadCount(wanted)} ${wanted === 1 ? 'was' : 'were'} asked for, but onnxruntime-web started with ${started} in this realm and reads the count only then; using ${started}`,
    );
  }
  return started;
}

function threadCount(n: number): string {
  return `${n} WASM thread${n === 1 ? '' : 's'}`;
}

/**
 * Records the count ORT-web actually started with (it lowers `env.wasm.numThreads` to 1 where threads
 * cannot run); call after the first session was created.
 */
export function confirmWasmThreads(ort: Ort): number {
  const running = ort.env.wasm.numThreads;
  if (typeof running === 'number' && running >= 1) {
    if (firstStartedThreads === startedThreads.get(ort)) firstStartedThreads = running;
    startedThreads.set(ort, running);
  }
  return startedThreads.get(ort) ?? 1;
}

/**
 * Which onnxruntime-web build a browser session needs: `'wasm'` (the WASM-only build, a 14 MB
 * WebAssembly file) or `'webgpu'` (the JSEP build, 28 MB, which runs WebGPU and WASM). Node always uses
 * ORT-web's node build.
 *
 * @example
 * ```ts
 * const ort = await loadOrt(backend === 'webgpu' ? 'webgpu' : 'wasm');
 * ```
 */
export type OrtBuild = 'wasm' | 'webgpu';

const ortPromises = new Map<OrtBuild | 'node', Promise<Ort>>();

/**
 * The ORT module: its node build in Node; in browsers and workers the WASM-only build for WASM sessions
 * (half the download and compile of the JSEP build) and the WebGPU build for WebGPU sessions, each loaded
 * once. Its `env.wasm.numThreads` is set to bertweb's default, so that sessions created on it directly
 * start the WebAssembly with the same count as bertweb's own.
 *
 * @example
 * ```ts
 * const ort = await loadOrt();
 * new ort.Tensor('int64', ids, [1, ids.length]);
 * ```
 */
export function loadOrt(build: OrtBuild = 'webgpu'): Promise<Ort> {
  const key = isNodeRuntime() ? 'node' : build;
  let loading = ortPromises.get(key);
  if (!loading) {
    // The Node entry is named through a variable so bundlers leave it out of browser builds (it would
    // ship a second 28 MB wasm); in Node the bare specifier resolves to ORT-web's node build.
    const imported =
      key === 'node'
        ? import(/* @vite-ignore */ NODE_ENTRY)
        : key === 'wasm'
          ? import('onnxruntime-web/wasm')
          : import('onnxruntime-web/webgpu');
    loading = imported.then((mod) => {
      const ort = ((mod as { default?: Ort }).default ?? mod) as Ort;
      if (!startedThreads.has(ort)) ort.env.wasm.numThreads = wasmThreadsFor();
      if (env.wasmPaths !== undefined) ort.env.wasm.wasmPaths = env.wasmPaths;
      applyLogLevel(ort);
      return ort;
    });
    ortPromises.set(key, loading);
    // A failed import (offline, say) is not remembered: the next load tries again.
    loading.catch(() => ortPromises.delete(key));
  }
  return loading;
}

/** `env.logLevel` may change at any time: sessions apply it when they are created. */
export function applyLogLevel(ort: { env: { logLevel?: string } }): void {
  ort.env.logLevel = env.logLevel;
}
