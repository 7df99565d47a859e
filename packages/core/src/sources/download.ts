/**
 * HTTP transfers of model files: streamed downloads with progress, abort, stall detection, retries
 * with exponential backoff, resume by `Range` where the server allows it, and size + sha256 checks.
 * Nothing here touches a cache: callers store the bytes only after {@link downloadFile} resolved,
 * which it does only for a complete, verified body.
 */

import { env } from '../env.js';
import { BertwebError, throwIfAborted } from '../errors.js';
import { type BodySink, type DownloadedBlob, MemorySink, outOfHeapSink } from './body-sink.js';
import { announcedSha256, canDigest, sha256Hex } from './integrity.js';
import { ProgressReporter } from './progress.js';
import { abortError, anySignal, raceAbort, sleep } from './signals.js';
import type { FileStat, ProgressCallback } from './types.js';

/** Upper bound of one backoff wait (also caps a server's `Retry-After`). */
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Network behaviour of one transfer (a subset of `SourceOptions`).
 *
 * @example
 * ```ts
 * const options: TransferOptions = { retries: 5, retryDelayMs: 500, signal: controller.signal };
 * ```
 */
export interface TransferOptions {
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  /** Extra attempts after the first for transient failures (default 3, so 4 attempts in all). */
  readonly retries?: number;
  /** Wait before the first retry in ms, doubled for each further one (default 250). */
  readonly retryDelayMs?: number;
  /** An attempt that receives nothing for this long is aborted and retried (default 30000). */
  readonly stallTimeoutMs?: number;
}

/**
 * {@link TransferOptions} plus what messages and progress events need.
 *
 * @example
 * ```ts
 * const options: DownloadOptions = { file: 'config.json', sourceId: 'owner/model@main', onProgress: console.log };
 * ```
 */
export interface DownloadOptions extends TransferOptions {
  /** File name inside the model folder (progress events and messages). */
  readonly file: string;
  /** The source's id (messages). */
  readonly sourceId?: string;
  readonly onProgress?: ProgressCallback;
}

/**
 * A complete, verified download.
 *
 * @example
 * ```ts
 * const { bytes, sha256 } = await downloadFile(url, { file: 'onnx/model.onnx' });
 * if (sha256) console.log('verified', sha256);
 * ```
 */
export interface DownloadResult {
  readonly bytes: Uint8Array;
  /** The sha256 the server announced and the bytes matched; `undefined` when none was announced. */
  readonly sha256?: string;
}

/** A failure worth another attempt (network error, 5xx, 429, stall, short body). */
class TransientFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const NOT_FOUND_STATUSES = new Set([401, 403, 404, 410]);

function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Downloads `url` completely and verifies it: the body length must equal `Content-Length` (when the
 * body is not content-encoded) and its sha256 must equal the one announced in `X-Linked-Etag`/`ETag`
 * (when one is). Transient failures are retried with exponential backoff, resuming with `Range` when
 * the server supports it and the file has a validator (ETag / Last-Modified).
 *
 * Errors: `MODEL_NOT_FOUND` (401/403/404/410, never retried), `ABORTED`, `INTEGRITY` (sha256 mismatch),
 * `NETWORK` (anything else, after the retries; details `{url, file, status, attempts, reason}`). A
 * `Retry-After` is honoured up to 30 s; a server asking for longer fails at once with `NETWORK`
 * (`details.retryAfterMs`) instead of being asked again after the cap.
 *
 * @example
 * ```ts
 * const { bytes } = await downloadFile('https://example.com/m/onnx/model.onnx', {
 *   file: 'onnx/model.onnx',
 *   onProgress: (e) => console.log(e.status, e.loaded, e.total),
 * });
 * ```
 */
export async function downloadFile(url: string, options: DownloadOptions): Promise<DownloadResult> {
  const { body, sha256 } = await download(url, options, async (expected) => new MemorySink(expected));
  return sha256 === undefined ? { bytes: body } : { bytes: body, sha256 };
}

/**
 * A complete, verified download kept out of the JavaScript heap: a checkpoint that a converter reads in
 * ranges. `dispose()` frees its storage (a Node temp file). Same retries, resume, stall detection and
 * sha256 check as {@link downloadFile}; nothing is cached.
 *
 * @example
 * ```ts
 * const { blob, sha256, dispose } = await downloadBlob(url, { file: 'pytorch_model.bin', onProgress });
 * try { await convert(blob); } finally { await dispose(); }
 * ```
 */
export async function downloadBlob(
  url: string,
  options: DownloadOptions,
): Promise<DownloadedBlob & { readonly sha256?: string }> {
  const { body, sha256 } = await download(url, options, () => outOfHeapSink(options.file));
  return sha256 === undefined ? body : { ...body, sha256 };
}

/** One download into the sink `create` makes (once: resumed attempts append to it). */
async function download<R>(
  url: string,
  options: DownloadOptions,
  create: (expected: number) => Promise<BodySink<R>>,
): Promise<{ readonly body: R; readonly sha256?: string }> {
  const reporter = new ProgressReporter(options.file, options.onProgress);
  const state = new DownloadState<R>(create);
  reporter.initiate();
  try {
    return await withRetries(url, options, (signal, watchdog) =>
      downloadAttempt(url, options, state, reporter, signal, watchdog),
    );
  } catch (error) {
    await state.sink?.discard();
    throw error;
  }
}

/**
 * Whether `url` exists: a `HEAD` request (falling back to a one-byte `GET` for servers that refuse
 * `HEAD`), with the same retries as downloads. 401/403/404/410 mean "no"; other errors are `NETWORK`.
 *
 * @example
 * ```ts
 * if (await probeFile('https://example.com/m/crf.json', { file: 'crf.json' })) loadCrf();
 * ```
 */
export async function probeFile(url: string, options: DownloadOptions): Promise<boolean> {
  return (await statFile(url, options)) !== undefined;
}

/**
 * What identifies the current version of a remote file, from a `HEAD` request: its size, strong ETag
 * and the sha256 the hub announces. `undefined` when the file does not exist (as {@link probeFile}).
 *
 * @example
 * ```ts
 * const stat = await statFile(url, { file: 'pytorch_model.bin' }); // { size, etag, sha256 }
 * ```
 */
export async function statFile(url: string, options: DownloadOptions): Promise<FileStat | undefined> {
  return withRetries(url, options, async (signal, watchdog) => {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    watchdog.arm();
    let response = await raceAbort(fetchImpl(url, { method: 'HEAD', signal }), signal);
    if (response.status === 405 || response.status === 501) {
      response = await raceAbort(fetchImpl(url, { headers: { range: 'bytes=0-0' }, signal }), signal);
      discardBody(response);
    }
    watchdog.disarm();
    if (NOT_FOUND_STATUSES.has(response.status)) return undefined;
    if (isTransientStatus(response.status)) {
      throw new TransientFailure(`HTTP ${response.status}`, response.status, retryAfterMs(response));
    }
    if (response.ok) return statOf(response);
    throw new BertwebError('NETWORK', `checking ${options.file} at ${url} failed: HTTP ${response.status}`, {
      url,
      file: options.file,
      status: response.status,
      attempts: 1,
    });
  });
}

/** Size, strong ETag and announced sha256 of a response (a ranged one gives its full size). */
function statOf(response: Response): FileStat {
  const range = parseContentRange(response.headers.get('content-range'));
  const size = range?.size ?? parseLength(response.headers.get('content-length'));
  const etag = response.headers.get('x-linked-etag') ?? response.headers.get('etag');
  const sha256 = announcedSha256(response.headers);
  return {
    ...(size !== undefined ? { size } : {}),
    ...(etag !== null && !/^W\//i.test(etag.trim()) ? { etag: etag.trim() } : {}),
    ...(sha256 !== undefined ? { sha256 } : {}),
  };
}

/** Aborts an attempt when no data arrives for the stall timeout. */
interface Watchdog {
  /** (Re)starts the countdown. */
  arm(): void;
  disarm(): void;
}

type Attempt<T> = (signal: AbortSignal, watchdog: Watchdog) => Promise<T>;

async function withRetries<T>(url: string, options: DownloadOptions, attempt: Attempt<T>): Promise<T> {
  const retries = Math.max(0, Math.floor(options.retries ?? env.retries));
  const baseDelay = Math.max(0, options.retryDelayMs ?? env.retryDelayMs);
  let last: TransientFailure | undefined;
  let attempts = 0;
  while (attempts <= retries) {
    throwIfAborted(options.signal);
    attempts++;
    try {
      return await runAttempt(options, attempt);
    } catch (error) {
      if (!(error instanceof TransientFailure)) throw error;
      last = error;
      if (attempts > retries) break;
      // A server that asks for a longer pause than we would ever wait is not coming back soon: fail now
      // rather than wait the cap and ask again.
      if ((error.retryAfterMs ?? 0) > MAX_RETRY_DELAY_MS) break;
      const backoff = baseDelay * 2 ** (attempts - 1);
      await sleep(Math.min(Math.max(backoff, error.retryAfterMs ?? 0), MAX_RETRY_DELAY_MS), options.signal);
    }
  }
  const where = options.sourceId ? ` of ${options.sourceId}` : '';
  const retryAfter =
    last?.retryAfterMs !== undefined && last.retryAfterMs > MAX_RETRY_DELAY_MS
      ? ` (the server asks to retry after ${Math.ceil(last.retryAfterMs / 1000)} s)`
      : '';
  throw new BertwebError(
    'NETWORK',
    `downloading "${options.file}"${where} from ${url} failed after ${attempts} attempt(s): ${last?.message}${retryAfter}`,
    {
      url,
      file: options.file,
      status: last?.status,
      attempts,
      reason: last?.message,
      ...(last?.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
    },
  );
}

/**
 * Runs one attempt under its own abort controller (linked to the caller's signal) and a stall
 * watchdog, and sorts what it throws: the caller's abort -> `ABORTED`; a stall or any unexpected
 * error (a fetch `TypeError`, a broken body stream) -> {@link TransientFailure}.
 */
async function runAttempt<T>(options: DownloadOptions, attempt: Attempt<T>): Promise<T> {
  const controller = new AbortController();
  const linked = anySignal([options.signal, controller.signal]);
  const stallMs = Math.max(1, options.stallTimeoutMs ?? env.stallTimeoutMs);
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchdog: Watchdog = {
    arm() {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort(new TransientFailure(`stalled: no data for ${stallMs} ms`));
      }, stallMs);
    },
    disarm() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
  try {
    return await attempt(linked.signal as AbortSignal, watchdog);
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal);
    if (stalled) throw new TransientFailure(`stalled: no data for ${stallMs} ms`);
    if (error instanceof TransientFailure || error instanceof BertwebError) throw error;
    throw new TransientFailure(`network error: ${describe(error)}`);
  } finally {
    watchdog.disarm();
    controller.abort();
    linked.dispose();
  }
}

/** What survives between the attempts of one download (for resuming). */
class DownloadState<R> {
  sink: BodySink<R> | undefined;
  /** False once `reset` decided that what the sink holds cannot be resumed from. */
  #resumable = false;
  /** Full size in bytes when known (identity-encoded Content-Length), else 0. */
  total = 0;
  sha256: string | undefined;
  /** ETag or Last-Modified, sent as `If-Range` so a changed file is sent whole instead of spliced. */
  validator: string | undefined;
  acceptRanges = false;
  announced = false;

  constructor(private readonly create: (expected: number) => Promise<BodySink<R>>) {}

  resumeOffset(): number {
    const loaded = this.#resumable ? (this.sink?.length ?? 0) : 0;
    return loaded > 0 && loaded < this.total && this.acceptRanges && this.validator !== undefined ? loaded : 0;
  }

  /** The sink, emptied unless the attempt resumes; made on first use. */
  async sinkFor(expected: number, resuming: boolean): Promise<BodySink<R>> {
    if (!this.sink) this.sink = await this.create(expected);
    else if (!resuming && this.sink.length > 0) await this.sink.reset();
    this.#resumable = true;
    return this.sink;
  }

  reset(): void {
    this.#resumable = false;
    this.total = 0;
    this.sha256 = undefined;
    this.validator = undefined;
    this.acceptRanges = false;
  }
}

async function downloadAttempt<R>(
  url: string,
  options: DownloadOptions,
  state: DownloadState<R>,
  reporter: ProgressReporter,
  signal: AbortSignal,
  watchdog: Watchdog,
): Promise<{ readonly body: R; readonly sha256?: string }> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const resumeFrom = state.resumeOffset();
  const headers: Record<string, string> = {};
  if (resumeFrom > 0 && state.validator !== undefined) {
    headers.range = `bytes=${resumeFrom}-`;
    headers['if-range'] = state.validator;
  } else {
    state.reset();
  }

  watchdog.arm();
  const response = await raceAbort(fetchImpl(url, { signal, headers }), signal);
  watchdog.disarm();
  const { status } = response;

  if (NOT_FOUND_STATUSES.has(status)) {
    discardBody(response);
    const hint = status === 401 || status === 403 ? ' (private or gated repository?)' : '';
    const where = options.sourceId ? ` in ${options.sourceId}` : '';
    throw new BertwebError('MODEL_NOT_FOUND', `model file "${options.file}" not found${where}: HTTP ${status}${hint}`, {
      url,
      file: options.file,
      source: options.sourceId,
      status,
    });
  }
  if (isTransientStatus(status) || status === 416) {
    discardBody(response);
    if (status === 416) state.reset();
    throw new TransientFailure(`HTTP ${status}`, status, retryAfterMs(response));
  }
  if (status === 206 && resumeFrom > 0) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (!range || range.start !== resumeFrom || range.size !== state.total) {
      discardBody(response);
      state.reset();
      throw new TransientFailure(`unexpected Content-Range on resume: ${response.headers.get('content-range')}`);
    }
  } else if (response.ok && status !== 206) {
    state.reset();
    describeFullResponse(response, state);
  } else {
    discardBody(response);
    throw new BertwebError('NETWORK', `downloading "${options.file}" from ${url} failed: HTTP ${status}`, {
      url,
      file: options.file,
      status,
      attempts: 1,
    });
  }

  if (!state.announced) {
    state.announced = true;
    reporter.download(state.total);
  }
  const sink = await state.sinkFor(state.total, status === 206 && resumeFrom > 0);
  await readBody(response, sink, state.total, reporter, signal, watchdog);

  if (state.total > 0) {
    if (sink.length < state.total) {
      throw new TransientFailure(`truncated body: received ${sink.length} of ${state.total} bytes`);
    }
    if (sink.length > state.total) {
      state.reset();
      throw new TransientFailure('body longer than its Content-Length');
    }
  }
  const length = sink.length;
  let sha256: string | undefined;
  if (state.sha256 !== undefined && (sink.digest || canDigest())) {
    // Out-of-heap sinks hash as they write; a memory sink's bytes are digested by WebCrypto.
    const actual = sink.digest ? sink.digest() : await sha256Hex(await (sink as unknown as MemorySink).finish());
    throwIfAborted(options.signal);
    if (actual !== state.sha256) {
      throw new BertwebError(
        'INTEGRITY',
        `"${options.file}" from ${url} does not match its announced sha256 (expected ${state.sha256}, got ${actual})`,
        { url, file: options.file, expected: state.sha256, actual },
      );
    }
    sha256 = actual;
  }
  const body = await sink.finish();
  reporter.done(length);
  return sha256 === undefined ? { body } : { body, sha256 };
}

/** Fills `state` from a full (non-range) response. */
function describeFullResponse(response: Response, state: DownloadState<unknown>): void {
  const encoding = response.headers.get('content-encoding');
  // A compressed body is decoded by fetch: its Content-Length counts encoded bytes and cannot be checked.
  const encoded = encoding !== null && encoding.trim().toLowerCase() !== 'identity';
  const length = parseLength(response.headers.get('content-length'));
  state.total = !encoded && length !== undefined ? length : 0;
  state.sha256 = announcedSha256(response.headers);
  const etag = response.headers.get('etag');
  const strongEtag = etag !== null && !/^W\//i.test(etag.trim()) ? etag.trim() : undefined;
  state.validator = strongEtag ?? response.headers.get('last-modified') ?? undefined;
  state.acceptRanges = !encoded && (response.headers.get('accept-ranges') ?? '').toLowerCase().includes('bytes');
}

async function readBody(
  response: Response,
  sink: BodySink<unknown>,
  total: number,
  reporter: ProgressReporter,
  signal: AbortSignal,
  watchdog: Watchdog,
): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let finished = false;
  try {
    for (;;) {
      watchdog.arm();
      const { done, value } = await raceAbort(reader.read(), signal);
      watchdog.disarm();
      if (done) break;
      if (value.length === 0) continue;
      await sink.write(value);
      reporter.progress(sink.length, total);
    }
    finished = true;
  } finally {
    // Cancelling releases the connection; a pending read (left behind by an abort race) settles as done.
    if (!finished) reader.cancel().catch(() => {});
  }
}

function discardBody(response: Response): void {
  response.body?.cancel().catch(() => {});
}

function parseLength(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `bytes 100-199/1000` -> `{start: 100, size: 1000}`. */
function parseContentRange(value: string | null): { start: number; size: number } | undefined {
  const match = value === null ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(value);
  if (!match) return undefined;
  return { start: Number(match[1]), size: Number(match[3]) };
}

/** `Retry-After` in ms (seconds or an HTTP date), if present. */
function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
