/** Per-file progress reporting: monotone `loaded`, throttled `progress` events, isolated callbacks. */

import type { ProgressCallback, ProgressEvent } from './types.js';

/** Minimum time between two `progress` events of one file; a UI cannot show more, a worker pays per message. */
const PROGRESS_INTERVAL_MS = 50;

/**
 * Combines several optional callbacks into one (or `undefined` when there is none). The same callback
 * given twice (a source-level and a per-read `onProgress`, as `loadModel` passes for the ONNX file) is
 * called once per event.
 */
export function combineProgress(
  ...callbacks: ReadonlyArray<ProgressCallback | undefined>
): ProgressCallback | undefined {
  const present = [...new Set(callbacks.filter((c): c is ProgressCallback => typeof c === 'function'))];
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return (event) => {
    for (const callback of present) callback(event);
  };
}

/**
 * Emits the events of one file. `loaded` never goes backwards: after a restarted download the
 * reporter stays silent until the new attempt passes what was already reported. An exception thrown
 * by the callback is reported asynchronously and never breaks the download.
 */
export class ProgressReporter {
  private reported = 0;
  private lastEmit = 0;
  private lastStatus: ProgressEvent['status'] | undefined;

  constructor(
    private readonly file: string,
    private readonly callback: ProgressCallback | undefined,
    private readonly cached = false,
  ) {}

  initiate(): void {
    this.emit('initiate', 0, 0);
  }

  /** Response headers arrived; `total` is the size when known, else 0. */
  download(total: number): void {
    this.emit('download', this.reported, total);
  }

  /** Bytes received so far; throttled unless `force`. */
  progress(loaded: number, total: number, force = false): void {
    if (loaded <= this.reported && !force) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < PROGRESS_INTERVAL_MS && (total === 0 || loaded < total)) return;
    this.emit('progress', Math.max(loaded, this.reported), total);
  }

  /** The file is complete: a final `progress` at 100 % (unless already sent), then `done`. */
  done(size: number): void {
    if (this.reported < size || this.lastStatus !== 'progress') this.emit('progress', size, size);
    this.emit('done', size, size);
  }

  private emit(status: ProgressEvent['status'], loaded: number, total: number): void {
    this.lastStatus = status;
    this.reported = Math.max(this.reported, loaded);
    if (status === 'progress') this.lastEmit = Date.now();
    if (!this.callback) return;
    const event: ProgressEvent = this.cached
      ? { status, file: this.file, loaded, total, cached: true }
      : { status, file: this.file, loaded, total };
    try {
      this.callback(event);
    } catch (error) {
      reportCallbackError(error);
    }
  }
}

/**
 * Calls a progress callback with one event, isolated like {@link ProgressReporter}'s: what it throws is
 * reported asynchronously and never fails the caller.
 *
 * @example
 * ```ts
 * notifyProgress(options.onProgress, { status: 'ready', file: 'onnx/model.onnx', loaded: n, total: n });
 * ```
 */
export function notifyProgress(callback: ProgressCallback | undefined, event: ProgressEvent): void {
  if (typeof callback !== 'function') return;
  try {
    callback(event);
  } catch (error) {
    reportCallbackError(error);
  }
}

function reportCallbackError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else console.error('bertweb: an onProgress callback threw', error);
}
