/**
 * Entry points that turn tokenizer files into a {@link Tokenizer}: bertweb's WordPiece for BERT
 * tokenizer.json / vocab.txt, @huggingface/tokenizers for everything else.
 */

import { BertwebError, isBertwebError, throwIfAborted } from '../errors.js';
import { resolveSource } from '../sources/resolve.js';
import type { ModelFiles, ModelSource, SourceOptions } from '../sources/types.js';
import {
  parseTruncation,
  type TokenizerLoadOptions,
  wordPieceConfigFromJson,
  wordPieceConfigFromVocab,
  wordPieceUnsupportedReason,
} from './config.js';
import { DelegatedTokenizer } from './delegated-tokenizer.js';
import { loadOptions } from './options.js';
import type { Tokenizer } from './types.js';
import { WordPieceTokenizer } from './wordpiece-tokenizer.js';

export type { TokenizerLoadOptions } from './config.js';

/**
 * A tokenizer from a parsed (or raw) `tokenizer.json`. WordPiece with BertNormalizer and
 * BertPreTokenizer gets bertweb's {@link WordPieceTokenizer}; other types (BPE, Unigram, other
 * normalizers) a {@link DelegatedTokenizer}. Pass tokenizer_config.json for `model_max_length`,
 * special-token names and `clean_up_tokenization_spaces`.
 *
 * @throws BertwebError `TOKENIZER_MISMATCH` for a file that is not a tokenizer.json, a broken
 *   vocabulary, special tokens missing from the vocabulary, or a type nothing can load.
 * @example
 * ```ts
 * const tok = tokenizerFromJson(JSON.parse(await readFile('tokenizer.json', 'utf8')));
 * tok.encode('Hello world').ids; // [101, 7592, 2088, 102]
 * ```
 */
export function tokenizerFromJson(
  json: unknown,
  tokenizerConfig?: unknown,
  loadSettings?: TokenizerLoadOptions | null,
): Tokenizer {
  const options = loadOptions(loadSettings);
  let parsed = json;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed);
    } catch (cause) {
      throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer.json is not valid JSON', undefined, { cause });
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer.json must be a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  if (typeof record.model !== 'object' || record.model === null) {
    throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer.json has no model section');
  }
  const reason = wordPieceUnsupportedReason(record);
  if (reason === undefined) return new WordPieceTokenizer(wordPieceConfigFromJson(record, tokenizerConfig, options));
  if (options.lowercase !== undefined) {
    throw new BertwebError('UNSUPPORTED', `lowercase can only be overridden for WordPiece tokenizers (${reason})`);
  }
  const truncation = options.useSavedTruncation === false ? undefined : parseTruncation(record.truncation);
  return new DelegatedTokenizer(record, tokenizerConfig, reason, truncation);
}

/**
 * A WordPiece tokenizer from `vocab.txt` and transformers' BertTokenizer settings
 * (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`, `never_split`, `model_max_length`,
 * special token names; `special_tokens_map.json` fills what tokenizer_config.json leaves out).
 *
 * @throws BertwebError `TOKENIZER_MISMATCH` for an empty vocabulary, duplicated tokens, or special
 *   tokens missing from it.
 * @example
 * ```ts
 * const tok = tokenizerFromVocab(vocabText, { do_lower_case: false });
 * tok.encode('Hello').tokens; // ['[CLS]', 'Hello', '[SEP]']
 * ```
 */
export function tokenizerFromVocab(
  vocabText: string,
  tokenizerConfig?: object,
  specialTokensMap?: object,
  loadSettings?: TokenizerLoadOptions | null,
): Tokenizer {
  const options = loadOptions(loadSettings);
  if (typeof vocabText !== 'string') throw new BertwebError('TOKENIZER_MISMATCH', 'vocab.txt must be text');
  return new WordPieceTokenizer(
    wordPieceConfigFromVocab(vocabText, tokenizerConfig ?? {}, specialTokensMap ?? {}, options),
  );
}

/**
 * The tokenizer of a model folder: `tokenizer.json` when present (with tokenizer_config.json), else
 * `vocab.txt` with tokenizer_config.json and special_tokens_map.json. `files` is resolved model files or
 * any model source (`'./models/ner'`, a hub id, a URL, `{ files }`), resolved with the source options
 * (cache, hub base URL, revision, fetch...) as `loadModel` does.
 *
 * @throws BertwebError `MODEL_NOT_FOUND` when the folder has neither tokenizer.json nor vocab.txt;
 *   `TOKENIZER_MISMATCH` as {@link tokenizerFromJson} / {@link tokenizerFromVocab}.
 * @example
 * ```ts
 * const tok = await loadTokenizer('DeepPavlov/rubert-base-cased');
 * const enc = tok.encode('Hello world');
 * ```
 */
export async function loadTokenizer(
  source: ModelFiles | ModelSource,
  settings?: (TokenizerLoadOptions & SourceOptions) | null,
): Promise<Tokenizer> {
  if (settings !== undefined && settings !== null && (typeof settings !== 'object' || Array.isArray(settings))) {
    throw new BertwebError('INPUT_INVALID', 'loadTokenizer options must be an object', { argument: 'options' });
  }
  const options = { ...(settings ?? {}), ...loadOptions(settings) };
  const { signal } = options;
  const files = isModelFiles(source) ? source : resolveSource(source, options);
  const opt = signal ? { signal } : {};
  const optional = async (name: string): Promise<unknown> =>
    (await files.exists(name, opt)) ? await files.json(name, opt) : undefined;
  throwIfAborted(signal);
  if (await files.exists('tokenizer.json', opt)) {
    // A server whose HEAD says yes and GET says 404 has no tokenizer.json after all: try vocab.txt.
    const json = await files.json('tokenizer.json', opt).catch((error: unknown) => {
      if (isBertwebError(error, 'MODEL_NOT_FOUND')) return MISSING;
      throw error;
    });
    if (json !== MISSING) {
      const config = await optional('tokenizer_config.json');
      throwIfAborted(signal);
      return tokenizerFromJson(json, config, options);
    }
  }
  if (await files.exists('vocab.txt', opt)) {
    const vocab = await files.text('vocab.txt', opt);
    const config = await optional('tokenizer_config.json');
    const map = await optional('special_tokens_map.json');
    throwIfAborted(signal);
    const asObject = (v: unknown) => (typeof v === 'object' && v !== null ? v : undefined);
    return tokenizerFromVocab(vocab, asObject(config), asObject(map), options);
  }
  throw new BertwebError('MODEL_NOT_FOUND', `${files.id} has no tokenizer.json or vocab.txt`, { model: files.id });
}

const MISSING: unique symbol = Symbol('missing');

function isModelFiles(value: ModelFiles | ModelSource): value is ModelFiles {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ModelFiles>).exists === 'function';
}
