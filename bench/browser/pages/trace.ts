/**
 * Opt-in tracing for the diagnosis runs (`?trace=1` on a page; worker name containing `trace=1`):
 * wraps the browser APIs a model load and an inference call go through (fetch, the Cache API,
 * crypto.subtle.digest, WebAssembly compilation, Worker creation) and records each call as a span;
 * measures how late zero-delay `setTimeout` callbacks fire. Libraries stay untouched: this sees only
 * what they ask the platform for. Import it before anything else. Spans of a worker are posted to the
 * page over a BroadcastChannel.
 */
import type { Span } from '../protocol.js';

const CHANNEL = 'bench-trace';

/**
 * Epoch ms with sub-ms resolution (comparable across page, workers and the server log).
 *
 * @example
 * ```ts
 * const start = epochNow();
 * ```
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

const spans: Span[] = [];
const timerDelays: number[] = [];

function isWorkerScope(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
}

function record(span: Span): void {
  spans.push(span);
}

function urlPath(input: unknown): string {
  const text =
    typeof input === 'string' ? input : input instanceof URL ? input.href : ((input as Request)?.url ?? String(input));
  try {
    const url = new URL(text, (globalThis as { location?: { href: string } }).location?.href);
    return url.origin === (globalThis as { location?: { origin: string } }).location?.origin ? url.pathname : url.href;
  } catch {
    return text;
  }
}

function wrapAsync<T extends object>(
  owner: T,
  key: keyof T & string,
  name: (args: unknown[]) => string,
  detail?: (args: unknown[], result: unknown) => string | undefined,
): void {
  const original = owner[key] as unknown as (...args: unknown[]) => Promise<unknown>;
  if (typeof original !== 'function') return;
  (owner as Record<string, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
    const start = epochNow();
    const result = original.apply(this, args);
    const label = name(args);
    return Promise.resolve(result).then(
      (value) => {
        const extra = detail?.(args, value);
        record({ name: label, start, end: epochNow(), ...(extra ? { detail: extra } : {}) });
        return value;
      },
      (error: unknown) => {
        record({ name: label, start, end: epochNow(), detail: `failed: ${String(error)}` });
        throw error;
      },
    );
  };
}

function byteLength(value: unknown): number | undefined {
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  return undefined;
}

function install(): void {
  wrapAsync(
    globalThis,
    'fetch',
    (args) => `fetch ${((args[1] as RequestInit | undefined)?.method ?? 'GET').toUpperCase()} ${urlPath(args[0])}`,
    (_args, response) => `HTTP ${(response as Response).status} (headers)`,
  );
  if (typeof Cache !== 'undefined') {
    wrapAsync(
      Cache.prototype,
      'match',
      (args) => `cache.match ${urlPath(args[0])}`,
      (_a, r) => (r ? 'hit' : 'miss'),
    );
    wrapAsync(Cache.prototype, 'put', (args) => `cache.put ${urlPath(args[0])}`);
    wrapAsync(Cache.prototype, 'delete', (args) => `cache.delete ${urlPath(args[0])}`);
    wrapAsync(CacheStorage.prototype, 'open', (args) => `caches.open ${String(args[0])}`);
    wrapAsync(CacheStorage.prototype, 'has', (args) => `caches.has ${String(args[0])}`);
    wrapAsync(
      Response.prototype,
      'arrayBuffer',
      () => 'response.arrayBuffer',
      (_a, b) => `${byteLength(b)} bytes`,
    );
  }
  if (globalThis.crypto?.subtle) {
    wrapAsync(
      SubtleCrypto.prototype,
      'digest',
      (args) => `crypto.subtle.digest ${String(args[0])}`,
      (args) => `${byteLength(args[1])} bytes`,
    );
  }
  const wasm = WebAssembly as unknown as Record<string, unknown>;
  for (const key of ['instantiateStreaming', 'compileStreaming', 'instantiate', 'compile'] as const) {
    wrapAsync(
      wasm,
      key,
      () => `WebAssembly.${key}`,
      (args) => {
        const bytes = byteLength(args[0]);
        return bytes === undefined ? undefined : `${bytes} bytes`;
      },
    );
  }
  // Zero-delay timers: how late do they fire? (Browsers clamp nested ones to >= 4 ms.)
  const originalSetTimeout = globalThis.setTimeout;
  (globalThis as { setTimeout: unknown }).setTimeout = ((handler: unknown, delay?: number, ...rest: unknown[]) => {
    if (typeof handler !== 'function' || (delay ?? 0) > 0) {
      return originalSetTimeout(handler as TimerHandler, delay, ...rest);
    }
    const scheduled = performance.now();
    return originalSetTimeout(() => {
      timerDelays.push(performance.now() - scheduled);
      (handler as (...a: unknown[]) => void)(...rest);
    }, delay);
  }) as typeof setTimeout;
  if (typeof Worker !== 'undefined') {
    const OriginalWorker = Worker;
    (globalThis as { Worker: unknown }).Worker = class extends OriginalWorker {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        const at = epochNow();
        record({ name: `new Worker ${urlPath(url)}`, start: at, end: at, detail: options?.name ?? '' });
      }
    };
  }
  if (isWorkerScope()) {
    const channel = new BroadcastChannel(CHANNEL);
    // Posts what was recorded since the last flush, every 50 ms (spans are few; timer delays are summed).
    setInterval(() => {
      if (spans.length === 0 && timerDelays.length === 0) return;
      channel.postMessage({ spans: spans.splice(0), timerDelays: timerDelays.splice(0) });
    }, 50);
  } else {
    const channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (event: MessageEvent<{ spans: Span[]; timerDelays: number[] }>) => {
      for (const span of event.data.spans) spans.push({ ...span, name: `worker: ${span.name}` });
      workerTimerDelays.push(...event.data.timerDelays);
    };
  }
}

const workerTimerDelays: number[] = [];

function timerSummary(name: string, delays: readonly number[]): Span | undefined {
  if (delays.length === 0) return undefined;
  const sorted = [...delays].sort((a, b) => a - b);
  const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
  const clamped = delays.filter((d) => d >= 3.5).length;
  const at = epochNow();
  return {
    name,
    start: at,
    end: at,
    detail: JSON.stringify({
      count: delays.length,
      meanMs: Number(mean.toFixed(3)),
      medianMs: Number((sorted[sorted.length >> 1] as number).toFixed(3)),
      over3_5ms: clamped,
    }),
  };
}

/**
 * Recorded spans (with summaries of zero-delay timer lateness on the page and in workers), then clears them.
 *
 * @example
 * ```ts
 * const spans = takeSpans();
 * ```
 */
export function takeSpans(): Span[] {
  const out = spans.splice(0);
  const page = timerSummary('setTimeout(0) lateness (page)', timerDelays.splice(0));
  const worker = timerSummary('setTimeout(0) lateness (workers)', workerTimerDelays.splice(0));
  if (page) out.push(page);
  if (worker) out.push(worker);
  return out;
}

const scopeName = (globalThis as { name?: string }).name ?? '';
const search = (globalThis as { location?: { search?: string } }).location?.search ?? '';
if (/(^|[?&\s])trace=1\b/.test(isWorkerScope() ? scopeName : search)) install();
