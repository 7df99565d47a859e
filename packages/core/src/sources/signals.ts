/** AbortSignal helpers that work on every runtime bertweb supports (no reliance on `AbortSignal.any`). */

import { BertwebError, throwIfAborted } from '../errors.js';

/** A combined signal and the function that detaches it from its sources. */
export interface LinkedSignal {
  readonly signal: AbortSignal | undefined;
  /** Removes the listeners on the source signals (call when the operation ends). */
  dispose(): void;
}

/**
 * A signal that fires when any of `signals` fires (`undefined` entries are ignored). Call `dispose`
 * when done so long-lived source signals do not collect listeners.
 */
export function anySignal(signals: ReadonlyArray<AbortSignal | undefined>): LinkedSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return { signal: present[0], dispose: () => {} };
  const controller = new AbortController();
  const already = present.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose: () => {} };
  }
  const dispose = (): void => {
    for (const signal of present) signal.removeEventListener('abort', onAbort);
  };
  const onAbort = (event: Event): void => {
    dispose();
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const signal of present) signal.addEventListener('abort', onAbort);
  return { signal: controller.signal, dispose };
}

/** The `ABORTED` error for a fired signal (its reason when that already is a BertwebError). */
export function abortError(signal: AbortSignal | undefined): BertwebError {
  try {
    throwIfAborted(signal);
  } catch (error) {
    return error as BertwebError;
  }
  return new BertwebError('ABORTED', 'the operation was aborted');
}

/**
 * Settles like `promise`, except that it rejects with `ABORTED` as soon as `signal` fires: a custom
 * `fetch` or a body stream that ignores signals cannot keep an aborted call waiting.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Waits `ms` milliseconds; rejects with `ABORTED` when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
