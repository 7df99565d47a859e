/**
 * The one definition of what crosses the worker boundary. Both `serve` (worker side) and `connect`
 * (main side) are written against {@link WorkerApi}; nothing else is sent.
 *
 * Wire rules:
 * - The main side says `hello()` as soon as the connection opens and checks {@link PROTOCOL_VERSION}
 *   before any other call goes out.
 * - No method throws across the boundary: results and errors travel as a {@link WireResult}, so bertweb
 *   never touches Comlink's global transfer handlers (another Comlink user on the page keeps its own).
 * - `AbortSignal`s never cross: the main side sends a call id and later `abort(callId)`.
 * - Progress callbacks cross as `Comlink.proxy` functions.
 * - Typed arrays in results are transferred, not copied.
 */
import type { SerializedBertwebError } from '../errors.js';
import type { ProgressCallback } from '../sources/types.js';

/**
 * Bumped on any incompatible change of {@link WorkerApi}. 2: results and errors as {@link WireResult}.
 *
 * @example
 * ```ts
 * const { protocol } = await api.hello();
 * if (protocol !== PROTOCOL_VERSION) throw new Error('stale worker');
 * ```
 */
export const PROTOCOL_VERSION = 2;

/**
 * A model factory served by a worker: `createTagger`, `createReader`, ...
 *
 * @example
 * ```ts
 * const factory: TaskFactory = createTagger;
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: factories have arbitrary option types; callers see exact ones.
export type TaskFactory = (source: any, options?: any) => Promise<object>;

/**
 * The tasks a worker serves, by name.
 *
 * @example
 * ```ts
 * const tasks = { tagger: createTagger, reader: createReader } satisfies TaskMap;
 * ```
 */
export type TaskMap = Readonly<Record<string, TaskFactory>>;

/** Where the main side put the signal and progress callback inside an argument list. */
export interface CallWiring {
  /** Unique per call; `abort(callId)` cancels it. */
  readonly callId: number;
  /** Index of the options argument that held `signal` (removed before sending). */
  readonly signalArg?: number;
  /** Index of the options argument that held `onProgress` (sent separately as a proxy). */
  readonly progressArg?: number;
}

/** A created head on the worker side, as the main side sees it. */
export interface HandleInfo {
  readonly handle: number;
  readonly task: string;
  /** Snapshot of the head's data properties (info, labels, backend report...). */
  readonly props: Readonly<Record<string, unknown>>;
  /** Names of the head's methods. */
  readonly methods: readonly string[];
}

/** What `hello()` answers. */
export interface Hello {
  readonly protocol: number;
  readonly tasks: readonly string[];
}

/** An error as sent across the boundary. */
export type WireError =
  | ({ readonly kind: 'bertweb' } & SerializedBertwebError)
  | { readonly kind: 'error'; readonly name: string; readonly message: string; readonly stack?: string }
  | { readonly kind: 'value'; readonly description: string };

/** The outcome of a worker call: its value, or the error it failed with. */
export type WireResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WireError };

/** The API a worker exposes over Comlink. Only `hello` and `abort` answer plain values. */
export interface WorkerApi {
  hello(): Promise<Hello>;
  create(
    task: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<WireResult<HandleInfo>>;
  call(
    handle: number,
    method: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<WireResult<unknown>>;
  /** Aborts a running call (no-op when it already finished). */
  abort(callId: number): Promise<void>;
  /** Disposes a head (its `dispose()` method when it has one). */
  release(handle: number): Promise<WireResult<void>>;
}
