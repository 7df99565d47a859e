import { BertwebError } from './core.js';
import { parseTask } from './model/config.js';
import type { NodeConvertOptions } from './node.js';
import type { OnnxDtype, Q8Mode } from './onnx/bert-graph.js';
import { ALL_DTYPES } from './pipeline.js';

/**
 * Flags of `bertweb convert` that take no value (exported as `CONVERT_BOOLEAN_FLAGS`).
 *
 * @example
 * ```ts
 * parseArgs({ args, strict: false, boolean: [...CONVERT_BOOLEAN_FLAGS] });
 * ```
 */
export const BOOLEAN_FLAGS: readonly string[] = ['overwrite', 'allow-extra-tensors', 'float-embeddings'];

/** Usage text of `bertweb convert`. */
export const CONVERT_USAGE = `bertweb convert --from CHECKPOINT [--base M0] --out M [--dtype fp32,fp16,q8,q4] [--task auto|...]

  --from CHECKPOINT   checkpoint folder (HF layout), weights file (pytorch_model.bin, *.safetensors,
                      *.pth.tar) or DeepPavlov tarball (.tar.gz)
  --base M0           base model (folder, URL or hub id) supplying config.json and tokenizer files
  --out M             output model folder (must not exist unless --overwrite)
  --dtype LIST        variants to write (default fp32,fp16,q8,q4)
  --task TASK         auto (default), feature-extraction, token-classification, question-answering,
                      sequence-classification (aliases: base, ner, qa, classify)
  --q8-mode MODE      dynamic (default: DynamicQuantizeLinear + MatMulInteger), nbits (8-bit MatMulNBits)
                      or dequantize (int8 weights + DequantizeLinear)
  --allow-extra-tensors  drop tensors the graph does not use instead of failing
  --float-embeddings  keep the word embeddings in float in q8/q4 (more accurate, larger: by default they
                      are int8 / 4-bit, most of a multilingual model's size)
  --overwrite         replace an existing output folder`;

/**
 * Parses `bertweb convert` arguments into {@link convert} options. Unknown flags and missing values are
 * `INPUT_INVALID` with the usage text in `details.usage`.
 *
 * @example
 * ```ts
 * const options = parseConvertArgs(['--from', 'ner.tar.gz', '--base', 'DeepPavlov/rubert-base-cased', '--out', 'ner', '--dtype', 'q8']);
 * await convert(options);
 * ```
 */
export function parseConvertArgs(argv: readonly string[]): NodeConvertOptions {
  const fail = (message: string): never => {
    throw new BertwebError('INPUT_INVALID', message, { usage: CONVERT_USAGE });
  };
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) fail(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (BOOLEAN_FLAGS.includes(key)) {
      flags.add(key);
      continue;
    }
    if (!['from', 'base', 'out', 'dtype', 'task', 'q8-mode'].includes(key)) fail(`unknown option --${key}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) fail(`--${key} needs a value`);
    values.set(key, value as string);
  }
  const from = values.get('from') ?? fail('--from is required');
  const out = values.get('out') ?? fail('--out is required');
  const dtypes = (values.get('dtype') ?? ALL_DTYPES.join(','))
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => {
      const known: Record<string, OnnxDtype> = {
        fp32: 'fp32',
        fp16: 'fp16',
        q8: 'q8',
        int8: 'q8',
        quantized: 'q8',
        q4: 'q4',
      };
      return known[d] ?? fail(`unknown dtype ${d}; use fp32, fp16, q8, q4`);
    });
  const q8Mode = values.get('q8-mode');
  if (q8Mode !== undefined && !['dynamic', 'nbits', 'dequantize'].includes(q8Mode)) fail(`unknown --q8-mode ${q8Mode}`);
  const task = values.get('task') ?? 'auto';
  parseTask(task);
  const base = values.get('base');
  return {
    from,
    out,
    dtypes,
    task,
    ...(base !== undefined ? { base } : {}),
    ...(q8Mode !== undefined ? { q8Mode: q8Mode as Q8Mode } : {}),
    ...(flags.has('overwrite') ? { overwrite: true } : {}),
    ...(flags.has('allow-extra-tensors') ? { allowExtraTensors: true } : {}),
    ...(flags.has('float-embeddings') ? { quantizeEmbeddings: false } : {}),
  };
}
