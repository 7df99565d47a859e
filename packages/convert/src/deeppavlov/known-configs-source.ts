/** How {@link DEEPPAVLOV_1_7_CONFIGS} is made from the real config files (and checked against them). */
import { isBertwebError } from '../core.js';
import { type DeepPavlovConfig, parseDeepPavlovConfig } from './config.js';

/**
 * One known config: parsed (without its variables, which running it does not need), or the reason
 * bertweb cannot run it (the `UNSUPPORTED` message naming the component).
 *
 * @example
 * ```ts
 * const known: KnownConfig = DEEPPAVLOV_1_7_CONFIGS.ner_rus_bert; // { config: { task: 'ner', ... } }
 * ```
 */
export type KnownConfig = { readonly config: Omit<DeepPavlovConfig, 'variables'> } | { readonly unsupported: string };

/**
 * The known-config table of a set of config files (`name` is the file name without `.json`).
 *
 * @example
 * ```ts
 * knownConfigEntries([{ name: 'ner_rus_bert', json }]).ner_rus_bert;
 * ```
 */
export function knownConfigEntries(
  configs: readonly { readonly name: string; readonly json: unknown }[],
): Record<string, KnownConfig> {
  const entries: Record<string, KnownConfig> = {};
  for (const { name, json } of configs) {
    try {
      const { variables: _variables, ...config } = parseDeepPavlovConfig(json, { name });
      entries[name] = { config };
    } catch (error) {
      if (!isBertwebError(error, 'UNSUPPORTED')) throw error;
      entries[name] = { unsupported: error.message };
    }
  }
  return entries;
}
