/**
 * Which files of a remote checkpoint to download for a conversion, found by probing names (a hub repo or a
 * URL folder cannot be listed through `ModelFiles`): the weights (one file, or the shards its index names),
 * config.json, tokenizer files, sentence-transformers modules and their files.
 */
import { BertwebError, SENTENCE_TRANSFORMERS_FILES, TOKENIZER_FILES } from '../core.js';
import { parseModulesJson } from './sentence-modules.js';

/**
 * What {@link planCheckpointFiles} needs of a source: `@bertweb/core`'s `ModelFiles` fits.
 *
 * @example
 * ```ts
 * const probe: ProbeFiles = resolveSource('DeepPavlov/rubert-base-cased');
 * ```
 */
export interface ProbeFiles {
  readonly id: string;
  exists(name: string, options?: { readonly signal?: AbortSignal }): Promise<boolean>;
  text(name: string, options?: { readonly signal?: AbortSignal }): Promise<string>;
}

/**
 * The files to fetch, in two groups: large weights (download with progress) and small metadata.
 *
 * @example
 * ```ts
 * const { weights, metadata }: CheckpointPlan = await planCheckpointFiles(files);
 * ```
 */
export interface CheckpointPlan {
  /** Weights files, largest first in practice: `model.safetensors`, shards, `pytorch_model.bin`. */
  readonly weights: readonly string[];
  /** Small files: config.json, tokenizer files, modules.json, module configs, Dense weights. */
  readonly metadata: readonly string[];
}

/** Weights names in the order the converter prefers them (safetensors before pickles). */
const WEIGHTS = [
  'model.safetensors.index.json',
  'model.safetensors',
  'pytorch_model.bin.index.json',
  'pytorch_model.bin',
];

function shardNames(indexText: string, indexName: string): string[] {
  let index: unknown;
  try {
    index = JSON.parse(indexText);
  } catch {
    throw new BertwebError('MODEL_INVALID', `${indexName} is not JSON`);
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw new BertwebError('MODEL_INVALID', `${indexName} has no weight_map`);
  }
  const shards = new Set<string>();
  for (const shard of Object.values(map)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
      throw new BertwebError('MODEL_INVALID', `${indexName} names a shard that is not a file name`);
    }
    shards.add(shard);
  }
  return [...shards];
}

/**
 * Probes a source for a checkpoint's files: the first weights found in the converter's order
 * (`model.safetensors[.index.json]`, then `pytorch_model.bin[.index.json]`; an index adds its shards),
 * then config.json, the tokenizer files, sentence-transformers files and, for each module of
 * `modules.json`, its `config.json` and Dense weights. `MODEL_NOT_FOUND` when there are no weights.
 * The result feeds `convertFiles` once downloaded (names as keys).
 *
 * @example
 * ```ts
 * const files = resolveSource('DeepPavlov/rubert-base-cased');
 * const plan = await planCheckpointFiles(files); // { weights: ['pytorch_model.bin'], metadata: ['config.json', 'vocab.txt', ...] }
 * ```
 */
export async function planCheckpointFiles(
  files: ProbeFiles,
  options: { readonly signal?: AbortSignal } = {},
): Promise<CheckpointPlan> {
  const opts = options.signal ? { signal: options.signal } : {};
  let weights: string[] | undefined;
  const metadata: string[] = [];
  for (const name of WEIGHTS) {
    if (!(await files.exists(name, opts))) continue;
    if (name.endsWith('.index.json')) {
      metadata.push(name);
      weights = shardNames(await files.text(name, opts), name);
    } else weights = [name];
    break;
  }
  if (!weights) {
    throw new BertwebError(
      'MODEL_NOT_FOUND',
      `${files.id} has no model.safetensors or pytorch_model.bin (or their index)`,
      {
        model: files.id,
      },
    );
  }
  for (const name of ['config.json', ...TOKENIZER_FILES, ...SENTENCE_TRANSFORMERS_FILES]) {
    if (!metadata.includes(name) && (await files.exists(name, opts))) metadata.push(name);
  }
  if (metadata.includes('modules.json')) {
    for (const module of parseModulesJson(await files.text('modules.json', opts))) {
      if (module.path === '' || module.kind === 'Transformer') continue;
      const candidates = [`${module.path}/config.json`];
      if (module.kind === 'Dense')
        candidates.push(`${module.path}/model.safetensors`, `${module.path}/pytorch_model.bin`);
      for (const name of candidates) {
        if (metadata.includes(name) || !(await files.exists(name, opts))) continue;
        metadata.push(name);
        // One Dense weights file is enough: safetensors when both exist.
        if (name.endsWith('model.safetensors')) break;
      }
    }
  }
  return { weights, metadata };
}
