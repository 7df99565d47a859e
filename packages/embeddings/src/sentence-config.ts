/**
 * sentence-transformers metadata in a model folder: `1_Pooling/config.json` (pooling mode),
 * `modules.json` (is there a Normalize module?) and `sentence_bert_config.json` (max_seq_length).
 * Every file is optional; absent files leave the defaults (mean pooling, no normalization).
 */
import { BertwebError, type ModelFiles } from '@bertweb/core';
import type { Pooling } from './types.js';

/**
 * What the folder says about sentence embedding.
 *
 * @example
 * ```ts
 * const { pooling, normalize, maxSeqLength } = await readSentenceConfig(model.files, { explicitPooling: false });
 * ```
 */
export interface SentenceConfig {
  /** From `1_Pooling/config.json`; undefined when the file is absent. */
  readonly pooling: Pooling | undefined;
  /** Whether `modules.json` lists `sentence_transformers.models.Normalize`. */
  readonly normalize: boolean;
  /** `max_seq_length` of `sentence_bert_config.json`. */
  readonly maxSeqLength: number | undefined;
}

const MODE_KEYS: readonly [string, Pooling | undefined][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_sqrt_len_tokens', undefined],
  ['pooling_mode_weightedmean_tokens', undefined],
  ['pooling_mode_lasttoken', undefined],
];

/**
 * The pooling a `1_Pooling/config.json` asks for. UNSUPPORTED for modes bertweb does not implement
 * (sqrt-length mean, weighted mean, last token) or for several modes at once (sentence-transformers
 * concatenates them).
 *
 * @example
 * ```ts
 * poolingFromConfig({ pooling_mode_mean_tokens: true }); // 'mean'
 * ```
 */
export function poolingFromConfig(config: Readonly<Record<string, unknown>>): Pooling {
  const on = MODE_KEYS.filter(([key]) => config[key] === true);
  if (on.length !== 1) {
    const names = on.map(([key]) => key).join(', ') || 'none';
    throw new BertwebError(
      'UNSUPPORTED',
      `1_Pooling/config.json must enable exactly one pooling mode (enabled: ${names}); pass options.pooling to override`,
    );
  }
  const [key, pooling] = on[0] as [string, Pooling | undefined];
  if (!pooling) {
    throw new BertwebError('UNSUPPORTED', `${key} is not supported; pass options.pooling to override`);
  }
  return pooling;
}

/**
 * Reads the optional sentence-transformers files of a model folder.
 *
 * @example
 * ```ts
 * const config = await readSentenceConfig(model.files, { explicitPooling: false });
 * ```
 */
export async function readSentenceConfig(
  files: ModelFiles,
  options: { readonly explicitPooling: boolean; readonly signal?: AbortSignal },
): Promise<SentenceConfig> {
  const opts = options.signal ? { signal: options.signal } : {};
  const [poolingJson, modules, sbert] = await Promise.all([
    optionalJson(files, '1_Pooling/config.json', opts),
    optionalJson(files, 'modules.json', opts),
    optionalJson(files, 'sentence_bert_config.json', opts),
  ]);
  let pooling: Pooling | undefined;
  if (poolingJson !== undefined && !options.explicitPooling) {
    pooling = poolingFromConfig(asRecord(poolingJson, '1_Pooling/config.json'));
  }
  const normalize =
    Array.isArray(modules) && modules.some((m) => typeof m?.type === 'string' && m.type.endsWith('models.Normalize'));
  const maxSeq = sbert === undefined ? undefined : asRecord(sbert, 'sentence_bert_config.json').max_seq_length;
  const maxSeqLength = typeof maxSeq === 'number' && Number.isInteger(maxSeq) && maxSeq > 0 ? maxSeq : undefined;
  return { pooling, normalize, maxSeqLength };
}

async function optionalJson(
  files: ModelFiles,
  name: string,
  options: { readonly signal?: AbortSignal },
  // biome-ignore lint/suspicious/noExplicitAny: untyped JSON, checked by the callers.
): Promise<any> {
  if (!(await files.exists(name, options))) return undefined;
  return files.json(name, options);
}

function asRecord(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BertwebError('MODEL_INVALID', `${name} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
