/**
 * Every failure bertweb reports is a {@link BertwebError} with a machine-readable `code`, so callers
 * (and the worker boundary, which re-creates the error on the main thread) can branch on the kind
 * of failure without parsing messages.
 */

/** The closed set of error codes. Adding one is an API change: document it in the README. */
export const ERROR_CODES = [
  'BACKEND_UNAVAILABLE',
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'TOKENIZER_MISMATCH',
  'INPUT_INVALID',
  'ABORTED',
  'DISPOSED',
  'NETWORK',
  'QUOTA',
  'INTEGRITY',
  'WORKER_CRASHED',
  'UNSUPPORTED',
  'RUNTIME',
  'INTERNAL',
] as const;

/**
 * Why an operation failed.
 *
 * @example
 * ```ts
 * try { await createTagger('missing/model'); }
 * catch (e) { if (isBertwebError(e) && e.code === 'MODEL_NOT_FOUND') showPicker(); }
 * ```
 */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Plain-data form of a {@link BertwebError}, safe for `postMessage` and JSON. */
export interface SerializedBertwebError {
  readonly name: 'BertwebError';
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
  readonly stack?: string;
}

/**
 * The single error class of bertweb.
 *
 * @example
 * ```ts
 * throw new BertwebError('INPUT_INVALID', 'texts must be strings', { index: 3 });
 * ```
 */
export class BertwebError extends Error {
  override readonly name = 'BertwebError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = details;
  }

  /**
   * Plain data for `postMessage` / JSON.
   *
   * @example
   * ```ts
   * JSON.stringify({ error: err.toJSON() });
   * ```
   */
  toJSON(): SerializedBertwebError {
    return {
      name: 'BertwebError',
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
      ...(this.stack ? { stack: this.stack } : {}),
    };
  }

  /**
   * Re-creates an error from {@link BertwebError.toJSON} output (used on the main thread for worker errors).
   *
   * @example
   * ```ts
   * const err = BertwebError.fromJSON(message.error);
   * ```
   */
  static fromJSON(data: SerializedBertwebError): BertwebError {
    const code = (ERROR_CODES as readonly string[]).includes(data.code) ? data.code : 'INTERNAL';
    const err = new BertwebError(code, data.message, data.details);
    if (data.stack) err.stack = data.stack;
    return err;
  }
}

/**
 * Type guard for bertweb errors, also true for errors re-created across a worker boundary.
 *
 * @example
 * ```ts
 * if (isBertwebError(e, 'ABORTED')) return;
 * ```
 */
export function isBertwebError(value: unknown, code?: ErrorCode): value is BertwebError {
  return value instanceof BertwebError && (code === undefined || value.code === code);
}

/**
 * Wraps anything thrown into a {@link BertwebError}: bertweb errors pass through, an abort becomes
 * `ABORTED`, everything else gets `fallback` with the original as `cause`.
 *
 * @example
 * ```ts
 * catch (e) { throw toBertwebError(e, 'RUNTIME', 'inference failed'); }
 * ```
 */
export function toBertwebError(error: unknown, fallback: ErrorCode = 'INTERNAL', context?: string): BertwebError {
  if (error instanceof BertwebError) return error;
  if (isAbortError(error))
    return new BertwebError('ABORTED', context ? `${context}: aborted` : 'aborted', undefined, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new BertwebError(fallback, context ? `${context}: ${message}` : message, undefined, { cause: error });
}

function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    ((error as { name: unknown }).name === 'AbortError' || (error as { name: unknown }).name === 'TimeoutError')
  );
}

/**
 * Throws `ABORTED` if the signal has fired. Call at every await point of long operations.
 *
 * @example
 * ```ts
 * throwIfAborted(options.signal);
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason = signal.reason;
    throw reason instanceof BertwebError
      ? reason
      : new BertwebError('ABORTED', 'the operation was aborted', undefined, { cause: reason });
  }
}
