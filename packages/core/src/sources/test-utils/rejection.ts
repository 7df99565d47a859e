import { BertwebError } from '../../errors.js';

/**
 * The {@link BertwebError} a promise rejects with; throws if it resolves or rejects with anything
 * else, so a test cannot pass on the wrong kind of failure.
 *
 * @example
 * ```ts
 * const error = await rejection(files.bytes('missing.json'));
 * expect(error.code).toBe('MODEL_NOT_FOUND');
 * ```
 */
export async function rejection(promise: Promise<unknown>): Promise<BertwebError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BertwebError) return error;
    throw new Error(`expected a BertwebError, got: ${String(error)}`, { cause: error });
  }
  throw new Error('expected the promise to reject, but it resolved');
}
