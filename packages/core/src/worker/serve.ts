/** Worker side: exposes task factories over Comlink (see protocol.ts). */
import * as Comlink from 'comlink';
import { BertwebError } from '../errors.js';
import type { ProgressCallback } from '../sources/types.js';
import { type CallWiring, type HandleInfo, PROTOCOL_VERSION, type TaskMap, type WorkerApi } from './protocol.js';
import { collectTransferables, installErrorTransfer } from './wire.js';

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
  installErrorTransfer();
  const api = new WorkerServer(tasks);
  Comlink.expose(api, endpoint ?? (globalThis as unknown as Comlink.Endpoint));
  return api;
}

class WorkerServer implements WorkerApi {
  readonly #heads = new Map<number, object>();
  readonly #calls = new Map<number, AbortController>();
  #nextHandle = 1;

  constructor(private readonly tasks: TaskMap) {}

  async hello(): Promise<{ protocol: number; tasks: string[] }> {
    return { protocol: PROTOCOL_VERSION, tasks: Object.keys(this.tasks) };
  }

  async create(
    task: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<HandleInfo> {
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
  }

  async call(
    handle: number,
    method: string,
    args: readonly unknown[],
    wiring: CallWiring,
    onProgress?: ProgressCallback,
  ): Promise<unknown> {
    const head = this.#heads.get(handle);
    if (!head) throw new BertwebError('DISPOSED', 'this model was disposed (or the worker was restarted)');
    const fn = (head as Record<string, unknown>)[method];
    if (typeof fn !== 'function' || method === 'constructor' || method.startsWith('_')) {
      throw new BertwebError('INPUT_INVALID', `no method ${JSON.stringify(method)} on this model`);
    }
    const result = await this.#withCall(wiring, args, onProgress, (wired) => fn.apply(head, wired));
    const transferables = collectTransferables(result);
    // Comlink keys transfers by object identity: primitives and plain results go as they are.
    return transferables.length > 0 ? Comlink.transfer(result, transferables) : result;
  }

  async abort(callId: number): Promise<void> {
    this.#calls.get(callId)?.abort(new BertwebError('ABORTED', 'the operation was aborted'));
  }

  async release(handle: number): Promise<void> {
    const head = this.#heads.get(handle) as { dispose?: () => unknown } | undefined;
    this.#heads.delete(handle);
    if (typeof head?.dispose === 'function') await head.dispose();
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

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Structured-cloneable data properties of a head (methods and private fields excluded). */
function snapshot(head: object): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(head)) {
    const value = (head as Record<string, unknown>)[key];
    if (typeof value === 'function' || key.startsWith('_')) continue;
    try {
      props[key] = structuredClone(value);
    } catch {
      // Not cloneable (a session, a tokenizer instance): main side does not see it.
    }
  }
  // Getters on the prototype (e.g. `get labels()`) are data too.
  for (const key of prototypeKeys(head)) {
    const descriptor = findDescriptor(head, key);
    if (!descriptor?.get || key in props) continue;
    try {
      props[key] = structuredClone((head as Record<string, unknown>)[key]);
    } catch {
      // skip
    }
  }
  return props;
}

function methodNames(head: object): string[] {
  const names = new Set<string>();
  for (const key of [...Object.keys(head), ...prototypeKeys(head)]) {
    const descriptor = findDescriptor(head, key);
    if (key !== 'constructor' && !key.startsWith('_') && descriptor && typeof descriptor.value === 'function')
      names.add(key);
  }
  return [...names];
}

function prototypeKeys(head: object): string[] {
  const keys: string[] = [];
  for (
    let proto = Object.getPrototypeOf(head);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    keys.push(...Object.getOwnPropertyNames(proto));
  }
  return keys;
}

function findDescriptor(head: object, key: string): PropertyDescriptor | undefined {
  for (let obj: object | null = head; obj; obj = Object.getPrototypeOf(obj)) {
    const descriptor = Object.getOwnPropertyDescriptor(obj, key);
    if (descriptor) return descriptor;
  }
  return undefined;
}
