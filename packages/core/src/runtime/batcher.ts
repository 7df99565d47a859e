/**
 * Micro-batching: concurrent `infer` calls are coalesced, sorted by length, cut into batches under a
 * token budget, padded to the longest sequence of each batch (never to the model maximum), run one
 * batch at a time, and the outputs are sliced back per input with the padding removed.
 */

import { BertwebError, throwIfAborted } from '../errors.js';
import type { Encoding } from '../tokenizer/types.js';
import type { RawTensor, Session } from './session.js';
import type { TensorOutput } from './types.js';

/** Batching limits and the model facts the batcher needs. */
export interface BatcherOptions {
  /** Max padded tokens (batch x sequence) per run. */
  readonly maxBatchTokens: number;
  /** Max sequences per run. */
  readonly maxBatchSize: number;
  readonly padId: number;
  /** Whether the graph takes `token_type_ids`. */
  readonly useTokenTypes: boolean;
  /** Whether an output has a sequence axis (dim 1) to be trimmed per input. */
  readonly isPerToken: (outputName: string, dims: readonly number[]) => boolean;
}

/**
 * Runs `task` in the next macrotask without a timer's clamp: `setTimeout(0)` waits at least 1 ms in Node
 * and up to 4 ms in browsers once nested, which a single short call pays on every batch.
 * `setImmediate` (Node) or a `MessageChannel` post (browsers, workers) runs as soon as the event loop turns.
 */
function nextMacrotask(task: () => void): void {
  if (typeof setImmediate === 'function') {
    setImmediate(task);
    return;
  }
  if (typeof MessageChannel === 'function') {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      task();
    };
    channel.port2.postMessage(null);
    return;
  }
  setTimeout(task, 0);
}

interface Request {
  readonly resolve: (value: Record<string, TensorOutput>[]) => void;
  readonly reject: (error: unknown) => void;
  readonly results: Record<string, TensorOutput>[];
  readonly outputs: readonly string[] | undefined;
  remaining: number;
  settled: boolean;
}

interface Item {
  readonly request: Request;
  readonly index: number;
  readonly encoding: Encoding;
}

/**
 * Coalesces inference requests on one session.
 *
 * @example
 * ```ts
 * const batcher = new MicroBatcher(session, { maxBatchTokens: 16384, maxBatchSize: 32, padId: 0,
 *   useTokenTypes: true, isPerToken: (name) => name !== 'pooler_output' });
 * const [out] = await batcher.submit([tokenizer.encode('hello')]);
 * ```
 */
export class MicroBatcher {
  #queue: Item[] = [];
  #scheduled = false;
  #running = false;
  #disposed = false;

  constructor(
    private readonly session: Session,
    private readonly options: BatcherOptions,
  ) {
    if (!(options.maxBatchTokens > 0) || !(options.maxBatchSize > 0)) {
      throw new BertwebError('INPUT_INVALID', 'maxBatchTokens and maxBatchSize must be positive');
    }
  }

  /** Queues encodings; resolves with one output record per encoding, in order. */
  submit(
    encodings: readonly Encoding[],
    options: { signal?: AbortSignal; outputs?: readonly string[] } = {},
  ): Promise<Record<string, TensorOutput>[]> {
    if (this.#disposed) return Promise.reject(new BertwebError('DISPOSED', 'the model was disposed'));
    try {
      throwIfAborted(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (encodings.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const { signal } = options;
      const onAbort = (): void => this.#fail(request, new BertwebError('ABORTED', 'the operation was aborted'));
      const request: Request = {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        results: new Array(encodings.length),
        outputs: options.outputs,
        remaining: encodings.length,
        settled: false,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      encodings.forEach((encoding, index) => {
        if (encoding.ids.length === 0) {
          this.#fail(request, new BertwebError('INPUT_INVALID', `encoding ${index} is empty`));
          return;
        }
        this.#queue.push({ request, index, encoding });
      });
      this.#schedule();
    });
  }

  /** Rejects everything queued with `DISPOSED`; later submits reject too. */
  dispose(): void {
    this.#disposed = true;
    const queued = this.#queue;
    this.#queue = [];
    for (const item of queued) this.#fail(item.request, new BertwebError('DISPOSED', 'the model was disposed'));
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    // A macrotask, not a microtask: callers that tokenize after an await still join this batch.
    nextMacrotask(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const items = this.#queue.filter((item) => !item.request.settled);
        this.#queue = [];
        for (const batch of planBatches(items, this.options.maxBatchTokens, this.options.maxBatchSize)) {
          const live = batch.filter((item) => !item.request.settled);
          if (live.length > 0) await this.#runBatch(live);
        }
      }
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  async #runBatch(batch: Item[]): Promise<void> {
    const length = Math.max(...batch.map((item) => item.encoding.ids.length));
    const feeds = this.#feeds(batch, length);
    let outputs: Record<string, RawTensor>;
    try {
      outputs = await this.session.run(feeds, { outputs: requestedOutputs(batch) });
    } catch (error) {
      for (const item of batch) this.#fail(item.request, error);
      return;
    }
    batch.forEach((item, row) => {
      if (item.request.settled) return;
      const record: Record<string, TensorOutput> = {};
      for (const [name, tensor] of Object.entries(outputs)) {
        if (item.request.outputs && !item.request.outputs.includes(name)) continue;
        record[name] = sliceRow(tensor, row, item.encoding.ids.length, this.options.isPerToken(name, tensor.dims));
      }
      item.request.results[item.index] = record;
      item.request.remaining -= 1;
      if (item.request.remaining === 0) {
        item.request.settled = true;
        item.request.resolve(item.request.results);
      }
    });
  }

  #feeds(batch: Item[], length: number): Record<string, RawTensor> {
    const size = batch.length;
    const ids = new BigInt64Array(size * length).fill(BigInt(this.options.padId));
    const mask = new BigInt64Array(size * length);
    const types = this.options.useTokenTypes ? new BigInt64Array(size * length) : undefined;
    batch.forEach((item, row) => {
      const { encoding } = item;
      const base = row * length;
      for (let i = 0; i < encoding.ids.length; i++) {
        ids[base + i] = BigInt(encoding.ids[i] as number);
        mask[base + i] = BigInt(encoding.attentionMask[i] ?? 1);
        if (types) types[base + i] = BigInt(encoding.typeIds[i] ?? 0);
      }
    });
    const dims = [size, length];
    const feeds: Record<string, RawTensor> = {
      input_ids: { type: 'int64', data: ids, dims },
      attention_mask: { type: 'int64', data: mask, dims },
    };
    if (types) feeds.token_type_ids = { type: 'int64', data: types, dims };
    return feeds;
  }

  #fail(request: Request, error: unknown): void {
    if (request.settled) return;
    request.settled = true;
    request.reject(error);
  }
}

/**
 * Groups items into batches: sorted by length so padding is small, each batch within both limits
 * (a single over-long item still runs, alone).
 */
export function planBatches<T extends { encoding: { ids: readonly unknown[] } }>(
  items: readonly T[],
  maxBatchTokens: number,
  maxBatchSize: number,
): T[][] {
  const sorted = [...items].sort((a, b) => a.encoding.ids.length - b.encoding.ids.length);
  const batches: T[][] = [];
  let current: T[] = [];
  for (const item of sorted) {
    const length = item.encoding.ids.length; // sorted ascending: this item is the longest so far
    if (current.length > 0 && (current.length + 1 > maxBatchSize || (current.length + 1) * length > maxBatchTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The outputs any request of the batch asked for; `undefined` (every output) when one asked for all. */
function requestedOutputs(batch: readonly Item[]): readonly string[] | undefined {
  const names = new Set<string>();
  for (const { request } of batch) {
    if (!request.outputs) return undefined;
    for (const name of request.outputs) names.add(name);
  }
  return [...names];
}

function sliceRow(tensor: RawTensor, row: number, length: number, perToken: boolean): TensorOutput {
  const data = toFloat32(tensor.data);
  const [batch = 1, ...rest] = tensor.dims;
  const rowSize = data.length / batch;
  if (perToken && rest.length >= 1) {
    const inner = rowSize / (rest[0] as number);
    const start = row * rowSize;
    return { data: data.slice(start, start + length * inner), dims: [length, ...rest.slice(1)] };
  }
  return { data: data.slice(row * rowSize, (row + 1) * rowSize), dims: rest };
}

function toFloat32(data: RawTensor['data'] | ArrayLike<number>): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return float16BitsToFloat32(data);
  if (data instanceof BigInt64Array) return Float32Array.from(data, Number);
  return Float32Array.from(data as ArrayLike<number>);
}

/** IEEE half-precision bit patterns -> float32 (for fp16 outputs of graphs exported without a final Cast). */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i] as number;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) out[i] = fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return out;
}
