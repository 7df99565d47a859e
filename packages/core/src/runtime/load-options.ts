/** The keys and the up-front checks of {@link LoadModelOptions} (before anything is downloaded). */
import { BertwebError } from '../errors.js';
import * as check from '../head/validate.js';
import { DTYPES } from '../layout.js';
import type { LoadModelOptions } from './types.js';

/** Every key of {@link LoadModelOptions}: the options any head factory passes on to `loadModel`. */
export const LOAD_OPTION_KEYS = [
  'backend',
  'dtype',
  'numThreads',
  'maxBatchTokens',
  'maxBatchSize',
  'lowercase',
  'convert',
  'keepCheckpoint',
  'onProgress',
  'hubBaseUrl',
  'revision',
  'cache',
  'signal',
  'retries',
  'retryDelayMs',
  'fetch',
  'stallTimeoutMs',
] as const satisfies readonly (keyof LoadModelOptions)[];

// Fails to compile when LoadModelOptions gains a key that the list above lacks.
type MissingLoadKeys = Exclude<keyof LoadModelOptions, (typeof LOAD_OPTION_KEYS)[number]>;
const _everyLoadKey: [MissingLoadKeys] extends [never] ? true : MissingLoadKeys = true;
void _everyLoadKey;

const BACKENDS = ['auto', 'webgpu', 'wasm', 'native'] as const;

/**
 * Checks the types and ranges of the loading options (`INPUT_INVALID` naming the option); unknown keys
 * are the caller's concern (a head also accepts its own options).
 *
 * @example
 * ```ts
 * checkLoadOptions({ backend: 'wasm', retries: 2 }); // ok
 * checkLoadOptions({ backend: 'gpu' }); // INPUT_INVALID: backend must be one of "auto", "webgpu", "wasm", "native"
 * ```
 */
export function checkLoadOptions(options: LoadModelOptions): void {
  check.oneOf(options.backend, 'backend', BACKENDS);
  check.oneOf(options.dtype, 'dtype', DTYPES);
  check.int(options.numThreads, 'numThreads', 1, 1024);
  check.int(options.maxBatchTokens, 'maxBatchTokens', 1);
  check.int(options.maxBatchSize, 'maxBatchSize', 1);
  check.bool(options.lowercase, 'lowercase');
  check.bool(options.convert, 'convert');
  check.bool(options.keepCheckpoint, 'keepCheckpoint');
  check.callback(options.onProgress, 'onProgress');
  if (options.hubBaseUrl !== undefined) check.text(options.hubBaseUrl, 'hubBaseUrl');
  if (options.revision !== undefined && check.text(options.revision, 'revision') === '') {
    throw new BertwebError('INPUT_INVALID', 'revision must not be empty', { argument: 'revision' });
  }
  const cache = options.cache as { get?: unknown; put?: unknown } | boolean | null | undefined;
  const isStore = typeof cache === 'object' && cache !== null && typeof cache.get === 'function';
  if (cache !== undefined && typeof cache !== 'boolean' && !(isStore && typeof cache.put === 'function')) {
    throw new BertwebError('INPUT_INVALID', 'cache must be true, false or a ModelCache (get, put, ...)', {
      argument: 'cache',
    });
  }
  check.abortSignal(options.signal, 'signal');
  check.int(options.retries, 'retries', 0);
  check.int(options.retryDelayMs, 'retryDelayMs', 0);
  check.callback(options.fetch, 'fetch');
  check.int(options.stallTimeoutMs, 'stallTimeoutMs', 1);
}
