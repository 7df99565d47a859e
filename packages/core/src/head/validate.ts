/**
 * The input-validation layer every public entry point goes through: arguments are checked up front,
 * before any download or inference, and each failure is an `INPUT_INVALID` that names the argument.
 *
 * Rules (the same in every head):
 * - an options argument may be omitted, `undefined` or `null` (the defaults, as WebIDL dictionaries
 *   treat them); anything else that is not a plain object is an error, and so is an unknown key (a typo
 *   such as `topk` would otherwise be silently ignored);
 * - arrays must be real, dense arrays (a hole is an error, never a skipped item) of at most
 *   {@link MAX_ITEMS} items;
 * - an option that is present with the value `undefined` counts as absent;
 * - what the caller passed is read once: {@link options} and {@link denseArray} return snapshots (a
 *   plain object of the known options, a dense copy of the array), which the head then uses, so a
 *   getter or Proxy cannot answer one value to the check and another to the use. An exception the
 *   caller's own getter or Proxy trap throws propagates unchanged, as WebIDL dictionaries do.
 */
import { BertwebError } from '../errors.js';

/** Most items one call accepts in an array argument (texts, questions, candidates, word lists...). */
export const MAX_ITEMS = 1 << 20;

function fail(message: string, details?: Record<string, unknown>): never {
  throw new BertwebError('INPUT_INVALID', message, details);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object' || typeof value === 'function') return `a ${typeof value}`;
  return String(value);
}

/**
 * An options argument: `undefined` / `null` become `{}`; a non-object or a key outside `known` is
 * `INPUT_INVALID`. Returns a fresh plain object holding each known option that is not `undefined`,
 * each read once (through the prototype chain, as WebIDL reads dictionary members).
 *
 * @example
 * ```ts
 * const opts = options(input, 'options', ['signal', 'onProgress', 'topK']);
 * ```
 */
export function options<T extends object>(value: T | null | undefined, name: string, known: readonly string[]): T {
  if (value === undefined || value === null) return {} as T;
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail(`${name} must be an object, got ${describe(value)}`, { argument: name });
  }
  const allowed = new Set(known);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      fail(`${name} has no option ${JSON.stringify(key)}; known options: ${[...allowed].sort().join(', ')}`, {
        argument: name,
        option: key,
      });
    }
  }
  const snapshot: Record<string, unknown> = {};
  for (const key of allowed) {
    const option = (value as Record<string, unknown>)[key];
    if (option !== undefined) snapshot[key] = option;
  }
  return snapshot as T;
}

/**
 * A dense array of at most {@link MAX_ITEMS} items (holes and array-likes are `INPUT_INVALID`), returned
 * as a fresh copy whose items were each read once.
 *
 * @example
 * ```ts
 * const items = denseArray(inputs, 'inputs');
 * ```
 */
export function denseArray(value: unknown, name: string, maxItems: number = MAX_ITEMS): readonly unknown[] {
  if (!Array.isArray(value)) fail(`${name} must be an array, got ${describe(value)}`, { argument: name });
  const length = value.length;
  if (length > maxItems) {
    fail(`${name} has ${length} items; at most ${maxItems} are accepted per call`, {
      argument: name,
      items: length,
    });
  }
  const items = new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    if (!(i in value)) fail(`${name}[${i}] is a hole in a sparse array`, { argument: name, index: i });
    items[i] = value[i];
  }
  return items;
}

/**
 * A string.
 *
 * @example
 * ```ts
 * const question = text(input, 'question');
 * ```
 */
export function text(value: unknown, name: string): string {
  if (typeof value !== 'string') fail(`${name} must be a string, got ${describe(value)}`, { argument: name });
  return value;
}

/**
 * A dense array of strings (a fresh copy, see {@link denseArray}).
 *
 * @example
 * ```ts
 * const texts = strings(input, 'texts'); // INPUT_INVALID names texts[3] when it is not a string
 * ```
 */
export function strings(value: unknown, name: string): readonly string[] {
  const items = denseArray(value, name);
  for (let i = 0; i < items.length; i++) text(items[i], `${name}[${i}]`);
  return items as readonly string[];
}

/**
 * An optional integer in `[min, max]`.
 *
 * @example
 * ```ts
 * const topK = int(opts.topK, 'topK', 1);
 * ```
 */
export function int(
  value: unknown,
  name: string,
  min: number = Number.MIN_SAFE_INTEGER,
  max: number = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    fail(`${name} must be an integer ${range}, got ${describe(value)}`, { argument: name, min, max });
  }
  return value;
}

/**
 * An optional finite number (within `[min, max]` when given).
 *
 * @example
 * ```ts
 * const threshold = finite(opts.threshold, 'threshold');
 * ```
 */
export function finite(
  value: unknown,
  name: string,
  min: number = Number.NEGATIVE_INFINITY,
  max: number = Number.POSITIVE_INFINITY,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const bounds = Number.isFinite(min) || Number.isFinite(max) ? ` in [${min}, ${max}]` : '';
    fail(`${name} must be a finite number${bounds}, got ${describe(value)}`, { argument: name });
  }
  return value;
}

/**
 * An optional boolean.
 *
 * @example
 * ```ts
 * const normalize = bool(opts.normalize, 'normalize') ?? false;
 * ```
 */
export function bool(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(`${name} must be true or false, got ${describe(value)}`, { argument: name });
  return value;
}

/**
 * An optional value out of a fixed set.
 *
 * @example
 * ```ts
 * const pooling = oneOf(opts.pooling, 'pooling', ['mean', 'max', 'cls', 'pooler']);
 * ```
 */
export function oneOf<T extends string | boolean>(value: unknown, name: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly unknown[]).includes(value)) {
    fail(`${name} must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(value)}`, {
      argument: name,
      choices: [...choices],
    });
  }
  return value as T;
}

/**
 * An optional callback.
 *
 * @example
 * ```ts
 * const onProgress = callback(opts.onProgress, 'onProgress');
 * ```
 */
export function callback<F extends (...args: never[]) => unknown>(value: unknown, name: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail(`${name} must be a function, got ${describe(value)}`, { argument: name });
  return value as F;
}

/**
 * An optional `AbortSignal` (from this realm or another: anything with `aborted` and `addEventListener`).
 *
 * @example
 * ```ts
 * const signal = abortSignal(opts.signal, 'signal');
 * ```
 */
export function abortSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const like = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  if (
    typeof like !== 'object' ||
    like === null ||
    typeof like.aborted !== 'boolean' ||
    typeof like.addEventListener !== 'function' ||
    typeof like.removeEventListener !== 'function'
  ) {
    fail(`${name} must be an AbortSignal, got ${describe(value)}`, { argument: name });
  }
  return value as AbortSignal;
}
