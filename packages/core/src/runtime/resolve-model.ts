/** Heads accept a source or an already-loaded model; this is the one place that tells them apart. */
import type { ModelSource } from '../sources/types.js';
import { loadModel } from './model.js';
import type { LoadedModel, LoadModelOptions } from './types.js';

/** A loaded model and whether the head owns it (and so disposes it). */
export interface ResolvedModel {
  readonly model: LoadedModel;
  /** True when {@link resolveModel} loaded it: the head must dispose it. */
  readonly owned: boolean;
}

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

/**
 * Loads the model unless it is loaded already (a shared model stays owned by its caller).
 *
 * @example
 * ```ts
 * const { model, owned } = await resolveModel(source, options);
 * // ... on dispose: if (owned) await model.dispose();
 * ```
 */
export async function resolveModel(
  source: ModelSource | LoadedModel,
  options: LoadModelOptions = {},
): Promise<ResolvedModel> {
  if (isLoadedModel(source)) return { model: source, owned: false };
  return { model: await loadModel(source, options), owned: true };
}
