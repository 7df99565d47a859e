/** An ORT inference session with serialized runs and an explicit lifetime. */
import type * as OrtModule from 'onnxruntime-web';
import { BertwebError, throwIfAborted, toBertwebError } from '../errors.js';
import { loadNativeOrt, type NativeOrt, nativeThreadsFor } from './native.js';
import { applyLogLevel, confirmWasmThreads, loadOrt, type Ort, prepareWasmThreads } from './ort.js';
import type { Backend } from './types.js';

/** A dense tensor handed to or returned by a session. */
export interface RawTensor {
  readonly type: 'int64' | 'int32' | 'float32' | 'float16';
  readonly data: BigInt64Array | Int32Array | Float32Array | Uint16Array;
  readonly dims: readonly number[];
}

/**
 * One model graph loaded on one backend. Runs are queued: ORT sessions must not run concurrently.
 *
 * @example
 * ```ts
 * const session = await createSession(bytes, 'wasm');
 * const out = await session.run({ input_ids: { type: 'int64', data: ids, dims: [1, ids.length] } });
 * await session.dispose();
 * ```
 */
export interface Session {
  readonly backend: Backend;
  /** CPU threads it runs with: intra-op threads on native, the realm's WASM threads otherwise. */
  readonly threads: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph; with `outputs`, only those are computed and returned (default: every output). */
  run(feeds: Readonly<Record<string, RawTensor>>, options?: SessionRunOptions): Promise<Record<string, RawTensor>>;
  dispose(): Promise<void>;
  readonly disposed: boolean;
}

/** Options of {@link Session.run}. */
export interface SessionRunOptions {
  readonly signal?: AbortSignal;
  /** Output names to fetch; unknown names are `INPUT_INVALID`. Default: every output. */
  readonly outputs?: readonly string[];
}

/** Options of {@link createSession}. */
export interface CreateSessionOptions {
  /** CPU threads (native: this session's; WASM: only honoured by the realm's first session). */
  readonly numThreads?: number;
  /** Receives a reason for each thread setting that could not be honoured. */
  readonly reasons?: string[];
}

/**
 * Creates a session from ONNX bytes on a backend: `wasm` and `webgpu` on onnxruntime-web, `native` on
 * onnxruntime-node (CPU provider). ORT failures become `MODEL_INVALID` (bad bytes) or
 * `BACKEND_UNAVAILABLE` (the backend could not initialize, or onnxruntime-node is missing).
 *
 * @example
 * ```ts
 * const session = await createSession(await files.bytes('onnx/model.onnx'), 'native', { numThreads: 2 });
 * session.threads; // 2
 * ```
 */
export async function createSession(
  bytes: Uint8Array,
  backend: Backend,
  options: CreateSessionOptions = {},
): Promise<Session> {
  const reasons = options.reasons ?? [];
  let ort: Ort | NativeOrt;
  let threads: number;
  let sessionOptions: OrtModule.InferenceSession.SessionOptions;
  if (backend === 'native') {
    ort = await runtimeOrUnavailable('onnxruntime-node', loadNativeOrt);
    threads = nativeThreadsFor(options.numThreads);
    sessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      // One graph at a time: BERT graphs are chains, parallel branches would only compete for the cores.
      interOpNumThreads: 1,
      executionMode: 'sequential',
    };
  } else {
    const build = backend === 'webgpu' ? 'webgpu' : 'wasm';
    const web = await runtimeOrUnavailable(`onnxruntime-web's ${build} build`, () => loadOrt(build));
    ort = web;
    threads = prepareWasmThreads(web, options.numThreads, reasons);
    sessionOptions = {
      executionProviders: [backend],
      graphOptimizationLevel: 'all',
      // Keeps shapes flexible: the batcher pads to the longest sequence of each batch.
      enableMemPattern: backend === 'wasm',
    };
  }
  applyLogLevel(ort);
  let inner: OrtModule.InferenceSession;
  try {
    inner = await ort.InferenceSession.create(bytes, sessionOptions);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = /protobuf|parse|invalid model|load model|unrecognized|opset|type/i.test(message)
      ? 'MODEL_INVALID'
      : 'BACKEND_UNAVAILABLE';
    throw new BertwebError(code, `could not create a ${backend} session: ${message}`, { backend }, { cause: error });
  }
  if (backend !== 'native') threads = confirmWasmThreads(ort as Ort);
  return new OrtSession(ort, inner, backend, threads);
}

/**
 * The runtime module, or `BACKEND_UNAVAILABLE`: a runtime that does not load (an import refused offline,
 * a missing native binary) is not a fault of the model's files, which the loader would otherwise evict
 * and download again; under `auto` the load then falls back to WASM.
 */
async function runtimeOrUnavailable<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof BertwebError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new BertwebError(
      'BACKEND_UNAVAILABLE',
      `could not load ${name}: ${message}`,
      { runtime: name },
      { cause: error },
    );
  }
}

class OrtSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

  constructor(
    private readonly ort: Ort | NativeOrt,
    private readonly inner: OrtModule.InferenceSession,
    readonly backend: Backend,
    readonly threads: number,
  ) {
    this.inputNames = [...inner.inputNames];
    this.outputNames = [...inner.outputNames];
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  run(feeds: Readonly<Record<string, RawTensor>>, options: SessionRunOptions = {}): Promise<Record<string, RawTensor>> {
    const result = this.#queue.then(() => this.#runNow(feeds, options));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #runNow(
    feeds: Readonly<Record<string, RawTensor>>,
    { signal, outputs: wanted }: SessionRunOptions,
  ): Promise<Record<string, RawTensor>> {
    if (this.#disposed) throw new BertwebError('DISPOSED', 'the model was disposed');
    throwIfAborted(signal);
    const unknown = wanted?.filter((name) => !this.outputNames.includes(name)) ?? [];
    if (unknown.length > 0) {
      throw new BertwebError('INPUT_INVALID', `the model has no output ${unknown.join(', ')}`, {
        outputs: this.outputNames,
      });
    }
    const ortFeeds: Record<string, OrtModule.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = new this.ort.Tensor(tensor.type, tensor.data as never, tensor.dims as number[]);
    }
    let outputs: OrtModule.InferenceSession.ReturnType;
    try {
      // Fetching only the wanted outputs spares ORT computing (and copying out) the others.
      outputs = wanted ? await this.inner.run(ortFeeds, [...wanted]) : await this.inner.run(ortFeeds);
    } catch (error) {
      throw toBertwebError(error, 'RUNTIME', `${this.backend} inference failed`);
    }
    const result: Record<string, RawTensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      const data = await readTensorData(tensor);
      result[name] = { type: tensor.type as RawTensor['type'], data, dims: [...tensor.dims] };
      tensor.dispose();
    }
    return result;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#queue;
    await this.inner.release();
  }
}

async function readTensorData(tensor: OrtModule.Tensor): Promise<RawTensor['data']> {
  // GPU-resident outputs are downloaded; CPU outputs are read directly.
  const data = tensor.location === 'cpu' || tensor.location === undefined ? tensor.data : await tensor.getData(true);
  if (
    data instanceof Float32Array ||
    data instanceof BigInt64Array ||
    data instanceof Int32Array ||
    data instanceof Uint16Array
  ) {
    return data;
  }
  throw new BertwebError('RUNTIME', `unsupported output tensor type ${tensor.type}`);
}
