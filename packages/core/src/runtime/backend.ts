/** Backend detection and choice: what the platform offers, what the model needs, and why. */
import { BertwebError } from '../errors.js';
import { DTYPE_FILES, type Dtype, isDtype } from '../layout.js';
import { isCrossOriginIsolated, wasmThreads } from './ort.js';
import type { Backend, BackendPreference, BackendReport } from './types.js';

/** What WebGPU offers here (never throws: absence is a finding, not an error). */
export interface WebGpuProbe {
  readonly available: boolean;
  readonly shaderF16: boolean;
  readonly adapter?: { readonly vendor: string; readonly architecture: string; readonly description?: string };
  readonly limits?: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  /** Why WebGPU is unavailable, when it is. */
  readonly reason?: string;
}

interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly limits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string };
}

let probePromise: Promise<WebGpuProbe> | undefined;

/**
 * Probes WebGPU once per realm: adapter, `shader-f16`, buffer limits.
 *
 * @example
 * ```ts
 * const gpu = await probeWebGpu();
 * if (!gpu.available) console.log(gpu.reason);
 * ```
 */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probePromise ??= probe();
  return probePromise;
}

async function probe(): Promise<WebGpuProbe> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } }).navigator
    ?.gpu;
  if (!gpu) return { available: false, shaderF16: false, reason: 'WebGPU is not available here (no navigator.gpu)' };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { available: false, shaderF16: false, reason: `WebGPU adapter request failed: ${String(error)}` };
  }
  if (!adapter) return { available: false, shaderF16: false, reason: 'no WebGPU adapter was found' };
  return {
    available: true,
    shaderF16: adapter.features.has('shader-f16'),
    adapter: {
      vendor: adapter.info?.vendor ?? '',
      architecture: adapter.info?.architecture ?? '',
      ...(adapter.info?.description ? { description: adapter.info.description } : {}),
    },
    limits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    },
  };
}

/** Operators that have no WebGPU kernel in ORT-web (they fall back to the CPU, slowly). */
export const WEBGPU_UNSUPPORTED_OPS: ReadonlySet<string> = new Set([
  'MatMulInteger',
  'DynamicQuantizeLinear',
  'com.microsoft.EmbedLayerNormalization',
  'com.microsoft.DynamicQuantizeMatMul',
  'com.microsoft.MatMulIntegerToFloat',
]);

/**
 * Picks the backend for a preference: an explicit `webgpu` without WebGPU is an error, `auto` falls back
 * to WASM with the reason recorded.
 *
 * @example
 * ```ts
 * const { backend, reasons } = chooseBackend('auto', await probeWebGpu());
 * ```
 */
export function chooseBackend(
  preference: BackendPreference,
  gpu: WebGpuProbe,
): { backend: Backend; reasons: string[] } {
  if (preference !== 'auto' && preference !== 'webgpu' && preference !== 'wasm') {
    throw new BertwebError('INPUT_INVALID', `unknown backend ${JSON.stringify(preference)}: use auto, webgpu or wasm`);
  }
  if (preference === 'wasm') return { backend: 'wasm', reasons: ['WASM requested'] };
  if (gpu.available)
    return { backend: 'webgpu', reasons: [preference === 'auto' ? 'auto: WebGPU adapter found' : 'WebGPU requested'] };
  if (preference === 'webgpu') {
    throw new BertwebError('BACKEND_UNAVAILABLE', `WebGPU was requested but ${gpu.reason ?? 'is unavailable'}`);
  }
  return { backend: 'wasm', reasons: [`auto: ${gpu.reason ?? 'WebGPU unavailable'}; using WASM`] };
}

/**
 * The dtypes to try, best first, for a backend (an explicit dtype is the only candidate).
 * WASM: q8 then fp32. WebGPU: fp16 when `shader-f16` exists, then fp32, then q4.
 *
 * @example
 * ```ts
 * dtypeCandidates('wasm', gpu); // ['q8', 'fp32', 'q4', 'fp16']
 * ```
 */
export function dtypeCandidates(backend: Backend, gpu: WebGpuProbe, requested?: Dtype): Dtype[] {
  if (requested !== undefined) {
    if (!isDtype(requested)) {
      throw new BertwebError('INPUT_INVALID', `unknown dtype ${JSON.stringify(requested)}: use fp32, fp16, q8 or q4`);
    }
    return [requested];
  }
  if (backend === 'wasm') return ['q8', 'fp32', 'q4', 'fp16'];
  return gpu.shaderF16 ? ['fp16', 'fp32', 'q4', 'q8'] : ['fp32', 'q4', 'q8', 'fp16'];
}

/**
 * Throws when `backend` cannot run `dtype` on this device: fp16 graphs on WebGPU need the adapter feature
 * `shader-f16` (without it ORT fails at the first run, "Program Gather requires f16").
 *
 * @throws BertwebError `BACKEND_UNAVAILABLE` (under `backend: 'auto'` the loader then falls back to WASM).
 * @example
 * ```ts
 * assertDtypeRuns('webgpu', 'fp16', await probeWebGpu());
 * ```
 */
export function assertDtypeRuns(backend: Backend, dtype: Dtype, gpu: WebGpuProbe): void {
  if (backend === 'webgpu' && dtype === 'fp16' && !gpu.shaderF16) {
    throw new BertwebError(
      'BACKEND_UNAVAILABLE',
      'fp16 models on WebGPU need the adapter feature shader-f16, which this adapter lacks: use fp32 or q4 on WebGPU, or WASM',
      { backend, dtype, shaderF16: false },
    );
  }
}

/**
 * Assembles the report shown to users: chosen backend, dtype, file, and every reason.
 *
 * @example
 * ```ts
 * makeReport('wasm', 'q8', gpu, ['WASM requested']).wasm.threads;
 * ```
 */
export function makeReport(
  backend: Backend,
  dtype: Dtype,
  gpu: WebGpuProbe,
  reasons: readonly string[],
): BackendReport {
  return {
    backend,
    dtype,
    file: DTYPE_FILES[dtype],
    reasons,
    webgpu: {
      available: gpu.available,
      shaderF16: gpu.shaderF16,
      ...(gpu.adapter ? { adapter: gpu.adapter } : {}),
      ...(gpu.limits ? { limits: gpu.limits } : {}),
    },
    wasm: { threads: wasmThreads(), simd: wasmSimdSupported(), crossOriginIsolated: isCrossOriginIsolated() },
  };
}

// The smallest module using a v128 instruction; it validates only where WASM SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Whether this engine validates WASM SIMD (ORT-web's builds require it). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}
