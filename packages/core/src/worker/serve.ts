/** Worker side: exposes task factories over Comlink (see protocol.ts). */
import * as Comlink from 'comlink';
import { BertwebError } from '../errors.js';
import { HEAD_INTERNALS } from '../head/head.js';
import type { ProgressCallback } from '../sources/types.js';
import {
  type CallWiring,
  type HandleInfo,
  type Hello,
  PROTOCOL_VERSION,
  type TaskMap,
  type WireResult,
  type WorkerApi,
} from './protocol.js';
import { collectTransferables, toWire } from './wire.js';

/**
 * Serves heads from inside a worker. Call it synchronously at the top of the worker module, before
 * anything heavy is imported: messages that arrive before `expose` are lost. Factories should import
 * ORT lazily (bertweb's heads do).
 *
 * @example
 * ```ts
 * // worker.ts
 * import { serve } from '@bertweb/core';
 * import { createTagger } from '@bertweb/tagging';
 * serve({ tagger: createTagger });
 * ```
 */
export function serve(tasks: TaskMap, endpoint?: Comlink.Endpoint): WorkerApi {
  const api = new WorkerServer(tasks);
  Comlink.expose(api, endpoint ?? (globalThis as unknown as Comlink.Endpoint));
  return api;
}

class WorkerServer implements WorkerApi {
  readonly #heads = new Map<number, object>();
  readonly #calls = new Map<number, AbortController>();
  #nextHandle = 1;

  constructor(private readonly tasks: TaskMap) {}

  async hello(): Promise<Hello> {
    return { protocol: PROTOCOL_VERSION, tasks: Object.keys(this.tasks) };
  }

  create(
    task: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<WireResult<HandleInfo>> {
    return settle(async () => {
      const factory = Object.hasOwn(this.tasks, task) ? this.tasks[task] : undefined;
      if (!factory) {
        throw new BertwebError('INPUT_INVALID', `this worker serves no task ${JSON.stringify(task)}`, {
          tasks: Object.keys(this.tasks),
        });
      }
      const head = await this.#withCall(wiring, args, onProgress, (wired) => factory(...(wired as [unknown, unknown])));
      const handle = this.#nextHandle++;
      this.#heads.set(handle, head);
      return { handle, task, props: snapshot(head), methods: methodNames(head) };
    });
  }

  async call(
    handle: number,
    method: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<WireResult<unknown>> {
    const result = await settle(async () => {
      const head = this.#heads.get(handle);
      if (!head) throw new BertwebError('DISPOSED', 'this model was disposed (or the worker was restarted)');
      const fn = (head as Record<string, unknown>)[method];
      if (typeof fn !== 'function' || !methodNames(head).includes(method)) {
        throw new BertwebError('INPUT_INVALID', `no method ${JSON.stringify(method)} on this model`);
      }
      return this.#withCall(wiring, args, onProgress, (wired) => fn.apply(head, wired));
    });
    const transferables = result.ok ? collectTransferables(result.value) : [];
    // Comlink keys transfers by object identity: the envelope is what goes, with its buffers moved.
    return transferables.length > 0 ? Comlink.transfer(result, transferables) : result;
  }

  async abort(callId: number): Promise<void> {
    this.#calls.get(callId)?.abort(new BertwebError('ABORTED', 'the operation was aborted'));
  }

  release(handle: number): Promise<WireResult<void>> {
    return settle(async () => {
      const head = this.#heads.get(handle) as { dispose?: () => unknown } | undefined;
      this.#heads.delete(handle);
      if (typeof head?.dispose === 'function') await head.dispose();
    });
  }

  async #withCall<T>(
    wiring: CallWiring,
    args: readonly unknown[],
    onProgress: ProgressCallback | undefined,
    run: (wired: unknown[]) => Promise<T> | T,
  ): Promise<T> {
    const controller = new AbortController();
    this.#calls.set(wiring.callId, controller);
    try {
      const wired = [...args];
      if (wiring.signalArg !== undefined)
        wired[wiring.signalArg] = { ...asObject(wired[wiring.signalArg]), signal: controller.signal };
      if (wiring.progressArg !== undefined && onProgress) {
        // Progress is best-effort: a failed postMessage must not fail the call.
        const report: ProgressCallback = (event) => void Promise.resolve(onProgress(event)).catch(() => undefined);
        wired[wiring.progressArg] = { ...asObject(wired[wiring.progressArg]), onProgress: report };
      }
      return await run(wired);
    } finally {
      this.#calls.delete(wiring.callId);
    }
  }
}

/** Runs `work` and reports its outcome as data: nothing is thrown across the boundary. */
async function settle<T>(work: () => Promise<T>): Promise<WireResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: toWire(error) };
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * Structured-cloneable data properties of a head: its own enumerable fields (class fields such as
 * `labels`, `info`, `backend`). Methods, private fields and getters are not data, and a value that
 * cannot be cloned (a session, a tokenizer instance) stays on the worker side.
 */
function snapshot(head: object): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(head)) {
    const value = (head as Record<string, unknown>)[key];
    if (typeof value === 'function' || key.startsWith('_')) continue;
    try {
      props[key] = structuredClone(value);
    } catch {
      // Not cloneable: the main side does not see it.
    }
  }
  return props;
}

/**
 * Public methods of a head: functions on it or its prototypes, without the constructor, `_`-names and
 * the protected helpers of {@link ModelHead}.
 */
function methodNames(head: object): string[] {
  const names = new Set<string>();
  for (let obj: object | null = head; obj && obj !== Object.prototype; obj = Object.getPrototypeOf(obj)) {
    for (const key of Object.getOwnPropertyNames(obj)) {
      const descriptor = Object.getOwnPropertyDescriptor(obj, key);
      if (key === 'constructor' || key.startsWith('_') || HEAD_INTERNALS.has(key)) continue;
      if (typeof descriptor?.value === 'function') names.add(key);
    }
  }
  return [...names];
}
