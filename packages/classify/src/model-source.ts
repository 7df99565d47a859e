/** Accepting either a model source or an already-loaded model (shared between heads and tests).
 * (Same helper as in @bertweb/tagging: heads do not import each other.) */
import { type LoadedModel, type LoadModelOptions, loadModel, type ModelSource } from '@bertweb/core';

/**
 * A loaded model and whether the head owns it (and so disposes it).
 *
 * @example
 * ```ts
 * const { model, owned }: ResolvedModel = await resolveModel(source, options);
 * ```
 */
export interface ResolvedModel {
  readonly model: LoadedModel;
  readonly owned: boolean;
}

/**
 * Whether a value is a {@link LoadedModel} rather than a source.
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
 * Loads the model unless it is loaded already.
 *
 * @example
 * ```ts
 * const { model, owned } = await resolveModel(source, options);
 * ```
 */
export async function resolveModel(
  source: ModelSource | LoadedModel,
  options: LoadModelOptions,
): Promise<ResolvedModel> {
  if (isLoadedModel(source)) return { model: source, owned: false };
  return { model: await loadModel(source, options), owned: true };
}
