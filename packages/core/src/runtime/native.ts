/**
 * onnxruntime-node, the `native` backend: Node only, an optional peer dependency of @bertweb/core. It is
 * imported lazily through a variable specifier, so browser bundles never see it, and probed once per
 * process: its absence is a finding (`auto` then runs on WASM), never a crash.
 */
import { env } from '../env.js';
import { BertwebError } from '../errors.js';
import { nodeBuiltinSync } from '../sources/platform.js';
import { isNodeRuntime, logicalCores, type Ort } from './ort.js';

/**
 * The part of onnxruntime-node bertweb uses. Its API is onnxruntime-common's, as onnxruntime-web's is, so
 * the web build's types describe it and @bertweb/core's types need no onnxruntime-node installed.
 */
export type NativeOrt = Pick<Ort, 'InferenceSession' | 'Tensor' | 'env'>;

/**
 * Whether onnxruntime-node loads here (never throws: absence is a finding, not an error).
 *
 * @example
 * ```ts
 * const probe: NativeProbe = await probeNative();
 * console.log(probe.available ? `onnxruntime-node ${probe.version}` : probe.reason);
 * ```
 */
export interface NativeProbe {
  readonly available: boolean;
  /** onnxruntime-node's version, when it loaded. */
  readonly version?: string;
  /** Why it is unavailable, when it is. */
  readonly reason?: string;
}

const NATIVE_ENTRY = 'onnxruntime-node';

let loading: Promise<{ readonly ort?: NativeOrt; readonly probe: NativeProbe }> | undefined;

function load(): Promise<{ readonly ort?: NativeOrt; readonly probe: NativeProbe }> {
  loading ??= (async () => {
    if (!isNodeRuntime()) {
      return { probe: { available: false, reason: 'onnxruntime-node runs only in Node.js' } };
    }
    try {
      const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ NATIVE_ENTRY)) as {
        default?: NativeOrt;
      } & NativeOrt;
      const ort = mod.InferenceSession ? mod : (mod.default as NativeOrt);
      const version = (ort.env.versions as { node?: string } | undefined)?.node;
      return { ort, probe: { available: true, ...(version ? { version } : {}) } };
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      const missing = /cannot find (package|module)/i.test(message ?? '');
      return {
        probe: {
          available: false,
          reason: missing
            ? 'onnxruntime-node is not installed (npm install onnxruntime-node)'
            : `onnxruntime-node failed to load: ${message}`,
        },
      };
    }
  })();
  return loading;
}

/**
 * Probes onnxruntime-node once per process: in Node, whether `import('onnxruntime-node')` succeeds (it is
 * an optional peer dependency); elsewhere it is never imported.
 *
 * @example
 * ```ts
 * const native = await probeNative();
 * if (!native.available) console.log(native.reason);
 * ```
 */
export async function probeNative(): Promise<NativeProbe> {
  return (await load()).probe;
}

/**
 * The onnxruntime-node module.
 *
 * @throws BertwebError `BACKEND_UNAVAILABLE` where it does not load (browsers, or not installed).
 * @example
 * ```ts
 * const ort = await loadNativeOrt();
 * await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
 * ```
 */
export async function loadNativeOrt(): Promise<NativeOrt> {
  const { ort, probe } = await load();
  if (!ort) throw new BertwebError('BACKEND_UNAVAILABLE', `the native backend is unavailable: ${probe.reason}`);
  return ort;
}

/**
 * The intra-op thread count of a native session: the load's `numThreads`, else `env.numThreads`, else the
 * physical cores (what onnxruntime itself picks by default, and what Transformers.js runs with in Node).
 *
 * @example
 * ```ts
 * nativeThreadsFor(2); // 2
 * nativeThreadsFor(); // env.numThreads, or the physical cores
 * ```
 */
export function nativeThreadsFor(numThreads?: number): number {
  const asked = numThreads ?? env.numThreads;
  return asked === undefined ? physicalCores() : Math.max(1, Math.floor(asked));
}

let physical: number | undefined;

/**
 * Physical cores this process may use: on Linux, the distinct (package, core) pairs of the CPUs in its
 * affinity mask, from sysfs; elsewhere (or when sysfs is unreadable) the logical cores.
 *
 * @example
 * ```ts
 * physicalCores(); // 8 on a 16-thread, 8-core machine
 * ```
 */
export function physicalCores(): number {
  physical ??= countPhysicalCores() ?? logicalCores();
  return physical;
}

function countPhysicalCores(): number | undefined {
  const fs = nodeBuiltinSync<{ readFileSync(path: string, encoding: 'utf8'): string }>('node:fs');
  const os = nodeBuiltinSync<{ platform(): string }>('node:os');
  if (!fs || os?.platform() !== 'linux') return undefined;
  try {
    const cpus = parseCpuList(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8'));
    const cores = new Set<string>();
    for (const cpu of cpus) {
      const topology = `/sys/devices/system/cpu/cpu${cpu}/topology`;
      cores.add(
        `${fs.readFileSync(`${topology}/physical_package_id`, 'utf8').trim()}:${fs.readFileSync(`${topology}/core_id`, 'utf8').trim()}`,
      );
    }
    // A process pinned to fewer CPUs than the machine has (taskset, cgroups) gets no more than those.
    return cores.size > 0 ? Math.min(cores.size, logicalCores()) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses a Linux CPU list (sysfs `online`, `cpuset.cpus`).
 *
 * @example
 * ```ts
 * parseCpuList('0-3,8,10-11\n'); // [0, 1, 2, 3, 8, 10, 11]
 * ```
 */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    for (let cpu = from; cpu <= (to as number); cpu++) cpus.push(cpu);
  }
  return cpus;
}
