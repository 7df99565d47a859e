/**
 * The one definition of what crosses the worker boundary. Both `serve` (worker side) and `connect`
 * (main side) are written against {@link WorkerApi}; nothing else is sent.
 *
 * Wire rules:
 * - `AbortSignal`s never cross: the main side sends a call id and later `abort(callId)`.
 * - Progress callbacks cross as `Comlink.proxy` functions.
 * - Errors cross as {@link WireError} and are re-created with class and `code` intact.
 * - Typed arrays in results are transferred, not copied.
 */
import type { SerializedBertwebError } from '../errors.js';
import type { ProgressCallback } from '../sources/types.js';

/** Bumped on any incompatible change of {@link WorkerApi}. */
export const PROTOCOL_VERSION = 1;

/** A model factory served by a worker: `createTagger`, `createReader`, ... */
// biome-ignore lint/suspicious/noExplicitAny: factories have arbitrary option types; callers see exact ones.
export type TaskFactory = (source: any, options?: any) => Promise<object>;

/** The tasks a worker serves, by name. */
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

/** The API a worker exposes over Comlink. */
export interface WorkerApi {
  hello(): Promise<{ readonly protocol: number; readonly tasks: readonly string[] }>;
  create(
    task: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<HandleInfo>;
  call(
    handle: number,
    method: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<unknown>;
  /** Aborts a running call (no-op when it already finished). */
  abort(callId: number): Promise<void>;
  /** Disposes a head (its `dispose()` method when it has one). */
  release(handle: number): Promise<void>;
}

/** An error as sent across the boundary. */
export type WireError =
  | ({ readonly kind: 'bertweb' } & SerializedBertwebError)
  | { readonly kind: 'error'; readonly name: string; readonly message: string; readonly stack?: string }
  | { readonly kind: 'value'; readonly value: unknown };
