/** The shape every `bertweb` sub-command has, and the shared model flags. */
import { readFile, stat } from 'node:fs/promises';
import { modelConverter } from '@bertweb/convert';
import {
  type BackendPreference,
  BertwebError,
  type Dtype,
  env,
  type LoadModelOptions,
  type ModelSource,
} from '@bertweb/core';
import { choiceFlag, intFlag, type ParsedArgs, stringFlag } from './args.js';
import type { CommandIO } from './io.js';

/** A sub-command: `bertweb <name> ...`. */
export interface Command {
  readonly name: string;
  /** One line for `bertweb --help`. */
  readonly summary: string;
  /** Full usage text for `bertweb <name> --help`. */
  readonly usage: string;
  /** Every flag the command knows (with or without a value); others are `INPUT_INVALID` before it runs. */
  readonly flags: readonly string[];
  /** The flags of {@link Command.flags} that take no value. */
  readonly booleanFlags?: readonly string[];
  run(args: ParsedArgs, io: CommandIO): Promise<void>;
}

/** Flags every model-loading command accepts (DESIGN.md). */
export const MODEL_FLAGS = [
  'model',
  'backend',
  'dtype',
  'batch',
  'threads',
  'hub-base-url',
  'revision',
  'no-cache',
] as const;

/** Usage lines of {@link MODEL_FLAGS}. */
export const MODEL_FLAGS_USAGE = `  --model M            model folder, folder URL or hub id (owner/name[@revision])
  --backend B          auto | native | wasm | webgpu (default auto: native when onnxruntime-node is
                       installed, else WASM)
  --dtype D            fp32 | fp16 | q8 | q4 (default: q8 when present, else fp32)
  --batch N            max sequences per inference batch
  --threads N          CPU threads (default: physical cores on native, min(4, cores) on WASM)
  --hub-base-url URL   hub mirror (default https://huggingface.co)
  --revision R         hub revision (default main)
  --no-cache           do not read or fill the download cache`;

/**
 * Flags of the commands that run a DeepPavlov config in place of `--model` (tag, qa, classify, embed,
 * rank): `--config FILE_OR_NAME` and its mirror, `--files-base-url URL`.
 */
export const CONFIG_FLAGS = ['config', 'files-base-url'] as const;

/** Usage lines of {@link CONFIG_FLAGS}. */
export const CONFIG_FLAGS_USAGE = `  --config C           instead of --model: a DeepPavlov 1.7 config, the path of its JSON file or the
                       name of a known one (ner_rus_bert, squad_ru_bert, rusentiment_bert, ...). Its
                       tarball and base model (TRANSFORMER) are downloaded, converted and cached; its
                       settings (do_lower_case, max_seq_length, CRF, labels, ...) are the defaults
  --files-base-url URL
                       with --config: a mirror of the config's download host (replaces the scheme
                       and host of its URLs); --hub-base-url is the hub mirror for its base model`;

/**
 * The model source a command runs: `--model M` as it is, or `--config` as a DeepPavlov config source
 * (`{ deeppavlov, filesBaseUrl }`): an existing file is read as the config's JSON, anything else is a
 * config name (the converter's planner knows DeepPavlov 1.7's). Exactly one of `--model` and `--config`
 * is required, and `--files-base-url` goes with `--config`; otherwise `INPUT_INVALID` with `usage` in
 * `details`. Checked before anything is downloaded. Whether the config is one for the command's head is
 * checked by the head's load (core's `loadModelWith(..., forHead)`), also before any download.
 *
 * @example
 * ```ts
 * const tagger = await createTagger(await modelSource(args, USAGE), taggerOptions(args, io));
 * ```
 */
export async function modelSource(args: ParsedArgs, usage: string): Promise<ModelSource> {
  const invalid = (message: string, details: Record<string, unknown> = {}) =>
    new BertwebError('INPUT_INVALID', message, { ...details, usage });
  const model = stringFlag(args, 'model');
  const config = stringFlag(args, 'config');
  const filesBaseUrl = stringFlag(args, 'files-base-url');
  if (model !== undefined && config !== undefined) throw invalid('give --model or --config, not both');
  if (model === undefined && config === undefined) throw invalid('--model or --config is required');
  if (filesBaseUrl !== undefined) {
    if (config === undefined) throw invalid('--files-base-url goes with --config (a DeepPavlov config)');
    if (!/^https?:\/\/[^/]/i.test(filesBaseUrl) || !URL.canParse(filesBaseUrl)) {
      throw invalid(`--files-base-url must be an http(s) URL, got ${JSON.stringify(filesBaseUrl)}`);
    }
  }
  if (config === undefined) return model as string;
  return {
    deeppavlov: await readConfigFlag(config, invalid),
    ...(filesBaseUrl !== undefined ? { filesBaseUrl } : {}),
  };
}

/** `--config`: the parsed JSON of an existing file, else a config name (a path-like one is an error). */
async function readConfigFlag(
  config: string,
  invalid: (message: string, details?: Record<string, unknown>) => BertwebError,
): Promise<unknown> {
  const found = await stat(config).catch(() => undefined);
  if (found?.isFile()) {
    let text: string;
    try {
      text = await readFile(config, 'utf8');
    } catch (cause) {
      throw invalid(`cannot read the config file ${config}: ${(cause as Error).message}`, { config });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw invalid(`the config file ${config} is not valid JSON: ${(cause as Error).message}`, { config });
    }
  }
  if (found) throw invalid(`--config ${config} is a folder; give a config JSON file or a config name`, { config });
  // Not a file: a name such as ner_rus_bert. A string that looks like a path is a file that is not there
  // (the planner would otherwise take its last part for a name).
  if (!/^[\w-]+$/.test(config)) {
    throw invalid(`no config file ${config} (and it is not a DeepPavlov config name)`, { config });
  }
  return config;
}

/**
 * Registers `@bertweb/convert` as the load-time converter (`env.converter`) unless one is set, so the
 * CLI's loads convert what needs converting: DeepPavlov configs, and sources with PyTorch or safetensors
 * weights only. (`bertweb`, the umbrella, does the same with a lazily loaded converter.)
 *
 * @example
 * ```ts
 * useConverter();
 * const tagger = await createTagger({ deeppavlov: 'ner_rus_bert' }); // converted on load
 * ```
 */
export function useConverter(): void {
  env.converter ??= modelConverter;
}

/**
 * Load options from the shared flags. The backend defaults to `auto`, which in Node is `native`
 * (onnxruntime-node) when it is installed and WASM otherwise, the reason in the model's backend report.
 * Registers the converter ({@link useConverter}): every model a command loads may need one.
 *
 * @example
 * ```ts
 * const model = await loadModel(stringFlag(args, 'model', true), modelOptions(args, io));
 * ```
 */
export function modelOptions(args: ParsedArgs, io: CommandIO): LoadModelOptions {
  const backend = choiceFlag<BackendPreference>(args, 'backend', ['auto', 'native', 'wasm', 'webgpu']);
  const dtype = choiceFlag<Dtype>(args, 'dtype', ['fp32', 'fp16', 'q8', 'q4']);
  const batch = intFlag(args, 'batch');
  const threads = intFlag(args, 'threads');
  const hubBaseUrl = stringFlag(args, 'hub-base-url');
  const revision = stringFlag(args, 'revision');
  useConverter();
  return {
    backend: backend ?? 'auto',
    ...(dtype ? { dtype } : {}),
    ...(batch ? { maxBatchSize: batch } : {}),
    ...(threads ? { numThreads: threads } : {}),
    ...(hubBaseUrl ? { hubBaseUrl } : {}),
    ...(revision ? { revision } : {}),
    ...(args.flags.has('no-cache') ? { cache: false } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
}
