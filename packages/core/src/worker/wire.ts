/** Shared plumbing of both sides: errors as data, transferable collection, endpoints for Node workers. */
import type * as Comlink from 'comlink';
import { BertwebError } from '../errors.js';
import type { WireError, WireResult } from './protocol.js';

/** Plain-data form of anything thrown; always structured-cloneable (uncloneable details are dropped). */
export function toWire(value: unknown): WireError {
  if (value instanceof BertwebError) {
    const { details, ...rest } = value.toJSON();
    return { kind: 'bertweb', ...rest, ...(details && isCloneable(details) ? { details } : {}) };
  }
  if (value instanceof Error) {
    return { kind: 'error', name: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) };
  }
  return { kind: 'value', description: describeThrown(value) };
}

function isCloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describeThrown(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/**
 * The value of a {@link WireResult}, or the error it carries re-created with class and `code` intact.
 */
export function unwrap<T>(result: WireResult<T>): T {
  if (result.ok) return result.value;
  throw fromWire(result.error);
}

/** Re-creates what {@link toWire} sent. Foreign errors become `BertwebError`s with code INTERNAL. */
export function fromWire(wire: WireError): Error {
  if (wire.kind === 'bertweb') return BertwebError.fromJSON(wire);
  if (wire.kind === 'error') {
    const code = wire.name === 'AbortError' ? 'ABORTED' : 'INTERNAL';
    const error = new BertwebError(code, `${wire.name}: ${wire.message}`);
    if (wire.stack) error.stack = wire.stack;
    return error;
  }
  return new BertwebError('INTERNAL', `worker threw a non-error value: ${wire.description}`);
}

/**
 * Buffers of the typed arrays inside a result, for zero-copy transfer. Only arrays that own their
 * whole buffer are transferred (a view into a shared buffer would detach the worker's copy).
 */
export function collectTransferables(value: unknown, out: Set<ArrayBuffer> = new Set(), depth = 0): ArrayBuffer[] {
  if (depth > 6 || value === null || typeof value !== 'object') return [...out];
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    if (buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buffer.byteLength)
      out.add(buffer);
    return [...out];
  }
  if (Array.isArray(value)) {
    // Long arrays of numbers hold nothing to transfer; skip them cheaply.
    if (value.length > 0 && typeof value[0] !== 'object') return [...out];
    for (const item of value) collectTransferables(item, out, depth + 1);
    return [...out];
  }
  for (const item of Object.values(value)) collectTransferables(item, out, depth + 1);
  return [...out];
}

/** The subset of Node's `worker_threads` Worker / MessagePort that bertweb uses. */
export interface NodeMessagePortLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  start?(): void;
}

/**
 * Adapts a Node `worker_threads` Worker or `parentPort` to the DOM-style endpoint Comlink expects.
 *
 * @example
 * ```ts
 * import { parentPort } from 'node:worker_threads';
 * serve(tasks, nodeEndpoint(parentPort!));
 * ```
 */
export function nodeEndpoint(port: NodeMessagePortLike): Comlink.Endpoint {
  const listeners = new Map<EventListenerOrEventListenerObject, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer),
    addEventListener: (type: string, handler: EventListenerOrEventListenerObject) => {
      if (type !== 'message') return;
      const listener = (data: unknown): void => {
        const event = { data } as MessageEvent;
        if (typeof handler === 'function') handler(event);
        else handler.handleEvent(event);
      };
      port.on('message', listener as (...args: unknown[]) => void);
      listeners.set(handler, listener);
    },
    removeEventListener: (type: string, handler: EventListenerOrEventListenerObject) => {
      const listener = listeners.get(handler);
      if (type !== 'message' || !listener) return;
      port.off('message', listener as (...args: unknown[]) => void);
      listeners.delete(handler);
    },
    ...(port.start ? { start: () => port.start?.() } : {}),
  } as Comlink.Endpoint;
}
