/** `bertweb convert`: PyTorch / safetensors / DeepPavlov checkpoints -> ONNX model folder (see @bertweb/convert). */

import { convert, type NodeConvertOptions, parseTask, Q8_MODES } from '@bertweb/convert';
import { BertwebError, DTYPES, type Dtype } from '@bertweb/core';
import { choiceFlag, type ParsedArgs, stringFlag } from '../args.js';
import type { Command } from '../command.js';

const BOOLEAN_FLAGS = ['overwrite', 'allow-extra-tensors', 'float-embeddings'] as const;
const VALUE_FLAGS = ['from', 'base', 'out', 'dtype', 'task', 'q8-mode'] as const;
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
                      *.pth.tar) or DeepPavlov tarball (.tar.gz)
  --base M0           base model (folder, URL or hub id) supplying config.json and tokenizer files
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
    if (error instanceof BertwebError && error.code === 'INPUT_INVALID' && !error.details?.usage) {
      throw new BertwebError('INPUT_INVALID', error.message, { ...error.details, usage: USAGE });
    }
    throw error;
  }
}

export const convertCommand: Command = {
  name: 'convert',
  summary: 'PyTorch / safetensors / DeepPavlov checkpoint -> ONNX folder (fp32, fp16, q8, q4), no Python',
  usage: USAGE,
  flags: [...VALUE_FLAGS, ...BOOLEAN_FLAGS],
  booleanFlags: BOOLEAN_FLAGS,
  async run(args, io) {
    const result = await convert({ ...convertOptions(args), ...(io.signal ? { signal: io.signal } : {}) });
    io.out(JSON.stringify(result));
  },
};
