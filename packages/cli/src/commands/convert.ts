/**
 * `bertweb convert`: PyTorch / safetensors / DeepPavlov checkpoints -> ONNX model folder (see
 * @bertweb/convert). A checkpoint on disk is converted in place; a hub id or an http(s) URL is downloaded
 * first (`remote-checkpoint.ts`, through @bertweb/core's sources) into a scratch folder beside the output.
 */

import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { convert, type NodeConvertOptions, parseTask, Q8_MODES } from '@bertweb/convert';
import { BertwebError, DTYPES, type Dtype, parseHubId, resolveSource, type SourceOptions } from '@bertweb/core';
import { choiceFlag, type ParsedArgs, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import type { CommandIO } from '../io.js';
import { stderrProgress } from '../progress.js';
import { downloadCheckpoint, remoteCheckpoint } from '../remote-checkpoint.js';

const BOOLEAN_FLAGS = ['overwrite', 'allow-extra-tensors', 'float-embeddings', 'no-cache'] as const;
const VALUE_FLAGS = ['from', 'base', 'out', 'dtype', 'task', 'q8-mode', 'hub-base-url', 'revision'] as const;
/** `--dtype` names, with the aliases other tools use for int8. */
const DTYPE_NAMES: Readonly<Record<string, Dtype>> = {
  fp32: 'fp32',
  fp16: 'fp16',
  q8: 'q8',
  int8: 'q8',
  quantized: 'q8',
  q4: 'q4',
};

const USAGE = `bertweb convert --from CHECKPOINT [--base M0] --out M [--dtype fp32,fp16,q8,q4] [--task auto|...]

  --from CHECKPOINT   checkpoint folder (HF layout), weights file (pytorch_model.bin, *.safetensors,
                      *.pth.tar) or DeepPavlov tarball (.tar.gz) on disk; or a hub id (owner/name,
                      owner/name@revision) or an http(s) URL of such a folder, weights file or tarball,
                      downloaded first (progress on stderr; the weights are not kept)
  --base M0           base model (folder, URL or hub id, also without an owner: bert-base-uncased)
                      supplying config.json and tokenizer files
  --hub-base-url URL  hub mirror for hub ids in --from and --base (default https://huggingface.co)
  --revision R        hub revision of --from (default main)
  --no-cache          do not read or fill the download cache
  --out M             output model folder (must not exist unless --overwrite)
  --dtype LIST        variants to write (default fp32,fp16,q8,q4)
  --task TASK         auto (default), feature-extraction, token-classification, question-answering,
                      sequence-classification (aliases: base, ner, qa, classify)
  --q8-mode MODE      per-row (default: each token's activations quantized on their own, so a text's
                      result never depends on its batch), dynamic (one scale per batch tensor),
                      nbits (8-bit MatMulNBits) or dequantize (int8 weights + DequantizeLinear)
  --allow-extra-tensors  drop tensors the graph does not use instead of failing
  --float-embeddings  keep the word embeddings in float in q8/q4 (more accurate, larger: by default they
                      are int8 / 4-bit, most of a multilingual model's size)
  --overwrite         replace an existing output folder`;

/**
 * `bertweb convert` flags -> {@link convert} options. Unknown flags, missing values and bad values are
 * `INPUT_INVALID` with the usage text in `details.usage`.
 *
 * @example
 * ```ts
 * const options = convertOptions(parseArgs(['--from', 'ner.tar.gz', '--out', 'ner', '--dtype', 'q8']));
 * ```
 */
export function convertOptions(args: ParsedArgs): NodeConvertOptions {
  try {
    if (args.positionals.length > 0) {
      throw new BertwebError('INPUT_INVALID', `unexpected argument ${args.positionals[0]}`);
    }
    const from = stringFlag(args, 'from', true);
    const out = stringFlag(args, 'out', true);
    const base = stringFlag(args, 'base');
    const dtypes = (stringFlag(args, 'dtype') ?? DTYPES.join(','))
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const dtype = DTYPE_NAMES[d];
        if (!dtype) throw new BertwebError('INPUT_INVALID', `unknown dtype ${d}; use fp32, fp16, q8, q4`);
        return dtype;
      });
    const task = stringFlag(args, 'task') ?? 'auto';
    parseTask(task);
    const q8Mode = choiceFlag(args, 'q8-mode', Q8_MODES);
    const hubBaseUrl = stringFlag(args, 'hub-base-url');
    if (hubBaseUrl !== undefined && !/^https?:\/\/[^/]/i.test(hubBaseUrl)) {
      throw new BertwebError(
        'INPUT_INVALID',
        `--hub-base-url must be an http(s) URL, got ${JSON.stringify(hubBaseUrl)}`,
      );
    }
    if (stringFlag(args, 'revision') === '') throw new BertwebError('INPUT_INVALID', '--revision must not be empty');
    return {
      from,
      out,
      dtypes,
      task,
      ...(base !== undefined ? { base } : {}),
      ...(q8Mode !== undefined ? { q8Mode } : {}),
      ...(args.flags.has('overwrite') ? { overwrite: true } : {}),
      ...(args.flags.has('allow-extra-tensors') ? { allowExtraTensors: true } : {}),
      ...(args.flags.has('float-embeddings') ? { quantizeEmbeddings: false } : {}),
    };
  } catch (error) {
    throw withUsage(error);
  }
}

/** An `INPUT_INVALID` error with the usage text in `details.usage`; other errors as they are. */
function withUsage(error: unknown): unknown {
  if (error instanceof BertwebError && error.code === 'INPUT_INVALID' && !error.details?.usage) {
    return new BertwebError('INPUT_INVALID', error.message, { ...error.details, usage: USAGE });
  }
  return error;
}

/** How hub ids and URLs are read: `--hub-base-url`, `--revision`, `--no-cache`, progress on stderr. */
function sourceOptions(args: ParsedArgs, io: CommandIO): SourceOptions {
  const hubBaseUrl = stringFlag(args, 'hub-base-url');
  const revision = stringFlag(args, 'revision');
  return {
    ...(hubBaseUrl !== undefined ? { hubBaseUrl } : {}),
    ...(revision !== undefined ? { revision } : {}),
    ...(args.flags.has('no-cache') ? { cache: false } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: stderrProgress(io),
  };
}

/** A legacy hub id without an owner (`bert-base-uncased`), not a URL or a path. */
const ownerless = (id: string) => !/[/\\:]/.test(id) && parseHubId(id, { ownerless: true }) !== undefined;

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Converts `options.from`: on disk as it is; a hub id or URL downloaded first into a scratch folder
 * beside the output (removed afterwards), after the checks that need no download (flags, the output
 * folder).
 */
async function convertAnywhere(options: NodeConvertOptions, args: ParsedArgs, io: CommandIO) {
  const source = sourceOptions(args, io);
  let remote: Awaited<ReturnType<typeof remoteCheckpoint>>;
  try {
    remote = await remoteCheckpoint(options.from);
    if (args.flags.has('revision') && remote?.kind !== 'hub') {
      throw new BertwebError('INPUT_INVALID', '--revision goes with a hub id in --from (owner/name)');
    }
  } catch (error) {
    throw withUsage(error);
  }
  // A base that is not on disk (a hub id, a URL) is read through the same sources: --hub-base-url applies.
  // Legacy hub ids without an owner (bert-base-uncased: DeepPavlov configs name their TRANSFORMER so) too.
  const base =
    options.base === undefined || typeof options.base !== 'string' || (await exists(options.base))
      ? {}
      : { base: resolveSource(ownerless(options.base) ? { hub: options.base } : options.base, source) };
  const signal = io.signal ? { signal: io.signal } : {};
  if (!remote) return convert({ ...options, ...base, ...signal });
  const out = resolve(options.out);
  if (!options.overwrite && (await exists(out))) {
    throw new BertwebError(
      'INPUT_INVALID',
      `output ${options.out} already exists (pass overwrite / --overwrite to replace it)`,
    );
  }
  await mkdir(dirname(out), { recursive: true });
  const scratch = await mkdtemp(`${out}.bertweb-download-`);
  try {
    const from = await downloadCheckpoint(remote, scratch, source);
    return await convert({ ...options, from, ...base, ...signal });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export const convertCommand: Command = {
  name: 'convert',
  summary: 'PyTorch / safetensors / DeepPavlov checkpoint -> ONNX folder (fp32, fp16, q8, q4), no Python',
  usage: USAGE,
  flags: [...VALUE_FLAGS, ...BOOLEAN_FLAGS],
  booleanFlags: BOOLEAN_FLAGS,
  async run(args, io) {
    io.out(JSON.stringify(await convertAnywhere(convertOptions(args), args, io)));
  },
};
