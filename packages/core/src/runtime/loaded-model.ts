/** Heads accept a source or an already-loaded model; this is the one place that tells them apart. */
import type { LoadedModel } from './types.js';

/**
 * Whether a value is a {@link LoadedModel} rather than a model source.
 *
 * @example
 * ```ts
 * isLoadedModel(await loadModel(dir)); // true
 * isLoadedModel('owner/name'); // false
 * ```
 */
export function isLoadedModel(value: unknown): value is LoadedModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LoadedModel).infer === 'function' &&
    typeof (value as LoadedModel).tokenizer === 'object'
  );
}
