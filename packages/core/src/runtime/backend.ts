/** Backend detection and choice: what the platform offers, what the model needs, and why. */
import { BertwebError } from '../errors.js';
import { DTYPE_FILES, type Dtype, isDtype } from '../layout.js';
import { type NativeProbe, probeNative } from './native.js';
import { isCrossOriginIsolated, isNodeRuntime, wasmThreads } from './ort.js';
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
 * Fails fast, before any download, when an explicit backend is unavailable here: `native` without
 * onnxruntime-node (or outside Node), `webgpu` without an adapter. `auto` and `wasm` always pass.
 *
 * @throws BertwebError `BACKEND_UNAVAILABLE`, or `INPUT_INVALID` for an unknown backend.
 * @example
 * ```ts
 * await assertBackendAvailable('native'); // throws in a browser
 * ```
 */
export async function assertBackendAvailable(preference: BackendPreference | undefined): Promise<void> {
  if (preference !== undefined && preference !== 'auto' && preference !== 'wasm') await chooseBackend(preference);
}

const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm', 'native'];

/** What {@link chooseBackend} found out: the probes it used (the others are "not probed"). */
export interface BackendChoice {
  readonly backend: Backend;
  readonly reasons: string[];
  readonly gpu: WebGpuProbe;
  readonly native: NativeProbe;
}

const GPU_NOT_PROBED: WebGpuProbe = { available: false, shaderF16: false, reason: 'WebGPU was not probed' };
const NATIVE_NOT_PROBED: NativeProbe = { available: false, reason: 'onnxruntime-node was not probed' };

/**
 * Picks the backend for a preference, probing only what it needs. `auto`: in Node, `native` when
 * onnxruntime-node loads; else WebGPU when an adapter exists; else WASM, each fallback with its reason.
 * An explicit backend that is unavailable is `BACKEND_UNAVAILABLE`; an unknown one `INPUT_INVALID`.
 *
 * @example
 * ```ts
 * const { backend, reasons } = await chooseBackend('auto'); // 'native' in Node with onnxruntime-node
 * ```
 */
export async function chooseBackend(preference: BackendPreference = 'auto'): Promise<BackendChoice> {
  if (!BACKEND_PREFERENCES.includes(preference)) {
    throw new BertwebError(
      'INPUT_INVALID',
      `unknown backend ${JSON.stringify(preference)}: use auto, webgpu, wasm or native`,
    );
  }
  if (preference === 'wasm') {
    return { backend: 'wasm', reasons: ['WASM requested'], gpu: GPU_NOT_PROBED, native: NATIVE_NOT_PROBED };
  }
  const reasons: string[] = [];
  let native = NATIVE_NOT_PROBED;
  if (preference === 'native' || (preference === 'auto' && isNodeRuntime())) {
    native = await probeNative();
    if (native.available) {
      const version = native.version ? ` ${native.version}` : '';
      reasons.push(
        preference === 'auto' ? `auto: onnxruntime-node${version} loaded; using native` : 'native requested',
      );
      return { backend: 'native', reasons, gpu: GPU_NOT_PROBED, native };
    }
    if (preference === 'native') {
      throw new BertwebError('BACKEND_UNAVAILABLE', `the native backend was requested but ${native.reason}`, {
        backend: 'native',
      });
    }
    reasons.push(`auto: ${native.reason}`);
  }
  const gpu = await probeWebGpu();
  if (gpu.available) {
    reasons.push(preference === 'auto' ? 'auto: WebGPU adapter found' : 'WebGPU requested');
    return { backend: 'webgpu', reasons, gpu, native };
  }
  if (preference === 'webgpu') {
    throw new BertwebError('BACKEND_UNAVAILABLE', `WebGPU was requested but ${gpu.reason ?? 'is unavailable'}`, {
      backend: 'webgpu',
    });
  }
  reasons.push(`auto: ${gpu.reason ?? 'WebGPU unavailable'}; using WASM`);
  return { backend: 'wasm', reasons, gpu, native };
}

/**
 * The dtypes to try, best first, for a backend (an explicit dtype is the only candidate).
 * WASM: q8 then fp32. WebGPU: fp16 when `shader-f16` exists, then fp32, then q4.
 * Native: q8 then fp32, as on WASM: onnxruntime-node's MatMulInteger kernels (AVX2 `vpmaddubsw`,
 * AVX-512 VNNI) are never slower than its fp32 GEMMs on x86. Raw onnxruntime-node, DistilRuBERT-tiny
 * shape, STS-B sentences, 2 threads, two interleaved sessions on a shared 2-core Xeon (VNNI): q8 ran
 * 1.5-1.7x fp32 one sentence at a time and 1.04-1.2x in length-sorted batches of 16; bench/RESULTS.md
 * had 1.3-1.5x on AVX2 EPYC cores in batches of 32. fp16 comes last: the CPU provider has few fp16
 * kernels and casts around the others.
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
  if (backend === 'wasm' || backend === 'native') return ['q8', 'fp32', 'q4', 'fp16'];
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

/** What the session found out, for {@link makeReport}. */
export interface ReportDetails {
  readonly native?: NativeProbe;
  /** The session's CPU threads (`Session.threads`). */
  readonly threads?: number;
}

/**
 * Assembles the report shown to users: chosen backend, dtype, file, every reason, the threads used.
 *
 * @example
 * ```ts
 * makeReport('native', 'q8', gpu, ['native requested'], { native, threads: session.threads }).native.threads;
 * ```
 */
export function makeReport(
  backend: Backend,
  dtype: Dtype,
  gpu: WebGpuProbe,
  reasons: readonly string[],
  details: ReportDetails = {},
): BackendReport {
  const native = details.native ?? NATIVE_NOT_PROBED;
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
    wasm: {
      threads: backend !== 'native' && details.threads !== undefined ? details.threads : wasmThreads(),
      simd: wasmSimdSupported(),
      crossOriginIsolated: isCrossOriginIsolated(),
    },
    native: {
      available: native.available,
      ...(native.version ? { version: native.version } : {}),
      ...(backend === 'native' && details.threads !== undefined ? { threads: details.threads } : {}),
    },
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
