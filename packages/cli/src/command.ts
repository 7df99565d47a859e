/** The shape every `bertweb` sub-command has, and the shared model flags. */
import type { BackendPreference, Dtype, LoadModelOptions } from '@bertweb/core';
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
 * Load options from the shared flags. The backend defaults to `auto`, which in Node is `native`
 * (onnxruntime-node) when it is installed and WASM otherwise, the reason in the model's backend report.
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
