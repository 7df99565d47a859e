/** Concurrent reads that succeed or fail as one: the first failure cancels the others. */

import { BertwebError, throwIfAborted } from '../errors.js';
import { abortError, anySignal } from './signals.js';

/**
 * Runs `tasks` concurrently as one operation. Each task gets a signal that fires when `signal` does or
 * as soon as any task fails; the returned promise settles only after every task has settled (so no
 * download of a failed operation is still running or writing the cache when the caller sees the
 * failure). It resolves with the results in order, or rejects with the first failure (the caller's
 * `ABORTED` when `signal` fired), never with the `ABORTED` of the tasks it cancelled.
 *
 * Tasks must honour their signal (every bertweb read does), or the group waits for them.
 *
 * @example
 * ```ts
 * const [config, crf] = await allOrAbort(
 *   [(signal) => files.json('config.json', { signal }), (signal) => files.json('crf.json', { signal })],
 *   options.signal,
 * );
 * ```
 */
export async function allOrAbort<const T extends readonly unknown[]>(
  tasks: { readonly [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> | T[K] },
  signal?: AbortSignal,
): Promise<T> {
  throwIfAborted(signal);
  const controller = new AbortController();
  const linked = anySignal([signal, controller.signal]);
  const groupSignal = linked.signal ?? controller.signal;
  let failure: { readonly error: unknown } | undefined;
  const running = (tasks as ReadonlyArray<(signal: AbortSignal) => unknown>).map(async (task) => {
    try {
      return await task(groupSignal);
    } catch (error) {
      if (!failure) {
        failure = { error };
        controller.abort(
          new BertwebError('ABORTED', 'cancelled: another part of the same operation failed', undefined, {
            cause: error,
          }),
        );
      }
      throw error;
    }
  });
  const results = await Promise.allSettled(running);
  linked.dispose();
  if (failure) throw signal?.aborted ? abortError(signal) : failure.error;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
