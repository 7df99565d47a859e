/** Main side: talks to a worker started with `serve` (see protocol.ts). */
import * as Comlink from 'comlink';
import { BertwebError, throwIfAborted } from '../errors.js';
import * as check from '../head/validate.js';
import type { ProgressCallback } from '../sources/types.js';
import type { CallWiring, HandleInfo, Hello, TaskMap, WireResult, WorkerApi } from './protocol.js';
import { PROTOCOL_VERSION } from './protocol.js';
import { type NodeMessagePortLike, nodeEndpoint, unwrap } from './wire.js';

/**
 * A DOM Worker, a Node `worker_threads` Worker, or any Comlink endpoint (e.g. a MessagePort).
 *
 * @example
 * ```ts
 * const target: WorkerTarget = new Worker(new URL('bertweb/worker', import.meta.url), { type: 'module' });
 * ```
 */
export type WorkerTarget = Worker | (NodeMessagePortLike & { terminate(): unknown }) | Comlink.Endpoint;

/**
 * A head as the main thread sees it through a worker. Every bertweb head interface (`Tagger`, `Reader`,
 * ...) has only data properties and async methods, so `RemoteHead<Tagger>` is `Tagger` itself: the remote
 * proxy implements the same interface as the in-thread head (the type tests check it). A sync method
 * would become async here.
 *
 * @example
 * ```ts
 * const tagger: RemoteHead<Tagger> = await client.create('tagger', '/models/ner-ru-tiny/');
 * ```
 */
export type RemoteHead<H> = {
  readonly [K in keyof H]: H[K] extends (...args: never[]) => Promise<unknown>
    ? H[K]
    : H[K] extends (...args: infer A) => infer R
      ? (...args: A) => Promise<Awaited<R>>
      : H[K];
} & { dispose(): Promise<void> };

/**
 * The main-side client of a bertweb worker.
 *
 * @example
 * ```ts
 * const client: BertwebClient<typeof defaultTasks> = connect(() => new Worker(url, { type: 'module' }));
 * ```
 */
export interface BertwebClient<T extends TaskMap> {
  /**
   * Creates a head in the worker with the same arguments as its in-thread factory.
   *
   * @example
   * ```ts
   * const tagger = await client.create('tagger', 'DeepPavlov/rubert-base-cased-ner', { backend: 'auto' });
   * ```
   */
  create<K extends keyof T & string>(
    task: K,
    ...args: Parameters<T[K]>
  ): Promise<RemoteHead<Awaited<ReturnType<T[K]>>>>;
  /**
   * Tasks the worker serves.
   *
   * @example
   * ```ts
   * await client.tasks(); // ['tagger', 'reader', 'embedder', 'classifier']
   * ```
   */
  tasks(): Promise<readonly string[]>;
  /** True after the worker crashed; calls reject with `WORKER_CRASHED` until {@link BertwebClient.reconnect}. */
  readonly crashed: boolean;
  /**
   * Starts a fresh worker (needs a factory). Calls still in flight reject with `ABORTED`; heads re-create
   * themselves on their next call, with fresh data properties.
   */
  reconnect(): void;
  /** Stops the worker; pending calls reject with `DISPOSED`. */
  terminate(): void;
}

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * connect(factory, { onCrash: (e) => showBanner(e.message), handshakeTimeoutMs: 20_000 });
 * ```
 */
export interface ConnectOptions {
  /** Called once per crash, with the `WORKER_CRASHED` error pending calls received. */
  readonly onCrash?: (error: BertwebError) => void;
  /**
   * How long the worker may take to answer the protocol handshake before the connection counts as
   * crashed (a worker that never calls `serve`). Default 60,000 ms.
   */
  readonly handshakeTimeoutMs?: number;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;

interface Connection {
  readonly api: Comlink.Remote<WorkerApi>;
  readonly generation: number;
  /** Settles when the worker answered `hello` with this page's protocol. */
  readonly ready: Promise<Hello>;
  readonly stop: () => void;
}

/**
 * Connects to a worker that runs `serve(tasks)` and starts the protocol handshake at once. Pass a
 * factory to allow {@link BertwebClient.reconnect}.
 *
 * @example
 * ```ts
 * import type { tasks } from './worker';
 * const client = connect<typeof tasks>(() => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
 * const tagger = await client.create('tagger', '/models/ner-ru-tiny/');
 * const [entities] = await tagger.tag(['Путин посетил Москву'], { signal });
 * ```
 */
export function connect<T extends TaskMap>(
  target: WorkerTarget | (() => WorkerTarget),
  options: ConnectOptions = {},
): BertwebClient<T> {
  return new Client<T>(target, options);
}

class Client<T extends TaskMap> implements BertwebClient<T> {
  #connection: Connection;
  #generation = 0;
  #nextCallId = 1;
  #crashed = false;
  #terminated = false;
  readonly #pending = new Set<(error: BertwebError) => void>();

  constructor(
    private readonly target: WorkerTarget | (() => WorkerTarget),
    private readonly options: ConnectOptions,
  ) {
    this.#connection = this.#open();
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  async tasks(): Promise<readonly string[]> {
    this.#check();
    return (await this.#connection.ready).tasks;
  }

  async create<K extends keyof T & string>(
    task: K,
    ...args: Parameters<T[K]>
  ): Promise<RemoteHead<Awaited<ReturnType<T[K]>>>> {
    const info = await this.#createHandle(task, args);
    return this.#remoteHead(task, args, info) as RemoteHead<Awaited<ReturnType<T[K]>>>;
  }

  reconnect(): void {
    if (typeof this.target !== 'function') {
      throw new BertwebError('UNSUPPORTED', 'reconnect needs connect(() => new Worker(...)) with a factory');
    }
    this.#connection.stop();
    this.#rejectAll(
      new BertwebError('ABORTED', 'the call was cancelled: reconnect() restarted the worker', { reason: 'reconnect' }),
    );
    this.#crashed = false;
    this.#terminated = false;
    this.#connection = this.#open();
  }

  terminate(): void {
    this.#terminated = true;
    this.#connection.stop();
    this.#rejectAll(new BertwebError('DISPOSED', 'the worker was terminated'));
  }

  #open(): Connection {
    const generation = ++this.#generation;
    const worker = typeof this.target === 'function' ? this.target() : this.target;
    const onCrash = (reason: string): void => {
      if (this.#terminated || generation !== this.#generation || this.#crashed) return;
      this.#crashed = true;
      const error = new BertwebError('WORKER_CRASHED', `the worker crashed: ${reason}`);
      this.#rejectAll(error);
      this.options.onCrash?.(error);
    };
    let endpoint: Comlink.Endpoint;
    let stop: () => void;
    if (isNodeWorker(worker)) {
      endpoint = nodeEndpoint(worker);
      worker.on('error', (error: unknown) => onCrash(String((error as Error)?.message ?? error)));
      worker.on('exit', (code: unknown) => onCrash(`exited with code ${String(code)}`));
      stop = () => void worker.terminate();
    } else {
      endpoint = worker as Comlink.Endpoint;
      if (isDomWorker(worker)) {
        worker.addEventListener('error', (event: ErrorEvent) => {
          event.preventDefault?.();
          onCrash(event.message || 'uncaught error in the worker');
        });
        worker.addEventListener('messageerror', () => onCrash('a message could not be deserialized'));
        stop = () => worker.terminate();
      } else {
        stop = () => (endpoint as { close?: () => void }).close?.();
      }
    }
    const api = Comlink.wrap<WorkerApi>(endpoint);
    const ready = this.#handshake(api, onCrash);
    // Nobody may be waiting yet: a failed handshake is reported to the calls that wait for it.
    ready.catch(() => undefined);
    return { api, generation, ready, stop };
  }

  /** `hello()` right away: the worker must speak this page's protocol before any other call goes out. */
  async #handshake(api: Comlink.Remote<WorkerApi>, onCrash: (reason: string) => void): Promise<Hello> {
    const timeoutMs = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = `the worker did not answer the bertweb handshake within ${timeoutMs} ms (does it call serve()?)`;
        onCrash(reason);
        reject(new BertwebError('WORKER_CRASHED', reason));
      }, timeoutMs);
    });
    try {
      const hello = await Promise.race([this.#track(api.hello()), timeout]);
      if (hello?.protocol !== PROTOCOL_VERSION) {
        throw new BertwebError(
          'UNSUPPORTED',
          `the worker speaks bertweb protocol ${String(hello?.protocol)}, this page ${PROTOCOL_VERSION}: serve and connect must come from the same bertweb version`,
          { worker: hello?.protocol, page: PROTOCOL_VERSION },
        );
      }
      return hello;
    } finally {
      clearTimeout(timer);
    }
  }

  #check(): void {
    if (this.#terminated) throw new BertwebError('DISPOSED', 'the worker was terminated');
    if (this.#crashed) throw new BertwebError('WORKER_CRASHED', 'the worker crashed; call reconnect()');
  }

  /** Races a worker call against crashes, reconnects and termination. */
  #track<R>(promise: Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const fail = (error: BertwebError): void => reject(error);
      this.#pending.add(fail);
      promise.then(
        (value) => {
          this.#pending.delete(fail);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(fail);
          reject(error);
        },
      );
    });
  }

  #rejectAll(error: BertwebError): void {
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const fail of pending) fail(error);
  }

  async #createHandle(task: string, args: readonly unknown[]): Promise<HandleInfo & { generation: number }> {
    this.#check();
    const { generation, api, ready } = this.#connection;
    await this.#track(ready);
    const info = await this.#invoke(args, (wireArgs, wiring, onProgress) =>
      api.create(task, wireArgs, wiring, onProgress),
    );
    return { ...info, generation };
  }

  /** Sends one call with its signal and progress callback wired through the protocol. */
  async #invoke<R>(
    args: readonly unknown[],
    send: (args: unknown[], wiring: CallWiring, onProgress?: ProgressCallback) => Promise<WireResult<R>>,
  ): Promise<R> {
    this.#check();
    const { wireArgs, signal, signalArg, onProgress, progressArg } = splitArgs(args);
    const callId = this.#nextCallId++;
    throwIfAborted(signal);
    const wiring: CallWiring = {
      callId,
      ...(signalArg !== undefined ? { signalArg } : {}),
      ...(progressArg !== undefined ? { progressArg } : {}),
    };
    const api = this.#connection.api;
    const call = this.#track(send(wireArgs, wiring, onProgress ? Comlink.proxy(onProgress) : undefined)).then(unwrap);
    if (!signal) return call;
    return new Promise<R>((resolve, reject) => {
      const onAbort = (): void => {
        void api.abort(callId).catch(() => undefined);
        reject(new BertwebError('ABORTED', 'the operation was aborted', undefined, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  #remoteHead(task: string, createArgs: readonly unknown[], first: HandleInfo & { generation: number }): object {
    let info = first;
    let disposed = false;
    // Re-created after a reconnect, without the original signal/progress (they belonged to the first load).
    const recreateArgs = createArgs.map((arg) => stripLiveOptions(arg));
    const current = async (): Promise<HandleInfo & { generation: number }> => {
      if (disposed) throw new BertwebError('DISPOSED', 'the model was disposed');
      if (info.generation !== this.#connection.generation) info = await this.#createHandle(task, recreateArgs);
      return info;
    };
    const head: Record<string, unknown> = {};
    // Data properties read the latest snapshot: a head re-created in a new worker shows its new values.
    for (const key of Object.keys(first.props)) {
      Object.defineProperty(head, key, { enumerable: true, get: () => info.props[key] });
    }
    for (const method of first.methods) {
      if (method === 'dispose') continue;
      head[method] = async (...args: unknown[]) => {
        const { handle } = await current();
        const api = this.#connection.api;
        return this.#invoke(args, (wireArgs, wiring, onProgress) =>
          api.call(handle, method, wireArgs, wiring, onProgress),
        );
      };
    }
    head.dispose = async () => {
      if (disposed) return;
      disposed = true;
      if (info.generation === this.#connection.generation && !this.#crashed && !this.#terminated) {
        unwrap(await this.#track(this.#connection.api.release(info.handle) as Promise<WireResult<void>>));
      }
    };
    return head;
  }
}

function splitArgs(args: readonly unknown[]): {
  wireArgs: unknown[];
  signal?: AbortSignal;
  signalArg?: number;
  onProgress?: ProgressCallback;
  progressArg?: number;
} {
  const wireArgs = [...args];
  let signal: AbortSignal | undefined;
  let signalArg: number | undefined;
  let onProgress: ProgressCallback | undefined;
  let progressArg: number | undefined;
  args.forEach((arg, index) => {
    if (!isPlainObject(arg)) return;
    const { signal: s, onProgress: p, ...rest } = arg as { signal?: unknown; onProgress?: unknown };
    if (s === undefined && p === undefined) return;
    // Checked here: neither crosses the boundary as it is, so the worker could not tell they are wrong.
    const checkedSignal = check.abortSignal(s, 'signal');
    const checkedProgress = check.callback<ProgressCallback>(p, 'onProgress');
    if (checkedSignal) {
      signal = checkedSignal;
      signalArg = index;
    }
    if (checkedProgress) {
      onProgress = checkedProgress;
      progressArg = index;
    }
    wireArgs[index] = rest;
  });
  return {
    wireArgs,
    ...(signal ? { signal, signalArg } : {}),
    ...(onProgress ? { onProgress, progressArg } : {}),
  };
}

function stripLiveOptions(arg: unknown): unknown {
  if (!isPlainObject(arg)) return arg;
  const { signal: _s, onProgress: _p, ...rest } = arg as Record<string, unknown>;
  return rest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isNodeWorker(value: unknown): value is NodeMessagePortLike & { terminate(): unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { on?: unknown }).on === 'function' &&
    typeof (value as { terminate?: unknown }).terminate === 'function' &&
    typeof (value as { addEventListener?: unknown }).addEventListener !== 'function'
  );
}

function isDomWorker(value: unknown): value is Worker {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { terminate?: unknown }).terminate === 'function' &&
    typeof (value as { addEventListener?: unknown }).addEventListener === 'function'
  );
}
