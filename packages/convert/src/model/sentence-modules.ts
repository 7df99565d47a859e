/**
 * sentence-transformers module folders (`modules.json`, `1_Pooling/`, `2_Dense/`, `3_Normalize/`) in a
 * converted model folder. The encoder becomes ONNX; the modules after it stay as sentence-transformers
 * saves them, so that the embedder applies them in order: `modules.json` and the Pooling / Normalize
 * configs are copied as they are, and a Dense module's weights (`model.safetensors` or a torch
 * `pytorch_model.bin`) are rewritten as a float32 `model.safetensors` beside its `config.json`.
 */
import { BertwebError } from '../core.js';
import { encodeSafetensorsF32, readSafetensors } from '../formats/safetensors.js';
import { readTorchCheckpoint } from '../formats/torch.js';
import { type ByteSource, bytesSource, readAll } from '../io/byte-source.js';
import type { BaseModelFiles, FileSet } from '../io/file-set.js';
import { MAX_JSON_BYTES, parseJsonFile, parseJsonObject } from '../io/json.js';
import { findStateDict } from './checkpoint.js';
import { numel, readFloat32, type TensorRef } from './tensor.js';

/** One entry of `modules.json`. */
export interface SentenceModuleEntry {
  readonly idx: number;
  readonly name: string;
  /** Folder of the module's files, relative to the model folder (`''` for the Transformer). */
  readonly path: string;
  /** Python class, e.g. `sentence_transformers.models.Dense`. */
  readonly type: string;
  /** The class name without its module (`Dense`): newer releases moved the classes to other modules. */
  readonly kind: string;
}

/** Activation functions a Dense module may name (their `torch.nn` class paths), as bertweb applies them. */
export const DENSE_ACTIVATIONS: readonly string[] = [
  'torch.nn.modules.activation.Tanh',
  'torch.nn.modules.linear.Identity',
  'torch.nn.modules.activation.ReLU',
  'torch.nn.modules.activation.Sigmoid',
  'torch.nn.modules.activation.GELU',
  'torch.nn.modules.activation.SiLU',
];

/** Where module files are read: the checkpoint's files first, then the base model's. */
interface ModuleFiles {
  has(name: string): Promise<boolean>;
  open(name: string): Promise<ByteSource>;
  /** Names under `dir/` (checkpoint files only: a base model's files cannot be listed). */
  under(dir: string): readonly string[];
}

function moduleFiles(files: FileSet, base: BaseModelFiles | undefined): ModuleFiles {
  const own = new Set(files.names());
  return {
    has: async (name) => own.has(name) || (base !== undefined && (await base.exists(name))),
    open: async (name) =>
      own.has(name) ? files.open(name) : bytesSource(name, await (base as BaseModelFiles).bytes(name)),
    under: (dir) => [...own].filter((n) => n.startsWith(`${dir}/`)),
  };
}

async function readSmall(files: ModuleFiles, name: string): Promise<Uint8Array> {
  const source = await files.open(name);
  if (source.size > MAX_JSON_BYTES) throw new BertwebError('MODEL_INVALID', `${name} is too large for a module file`);
  return readAll(source);
}

function modulePath(value: unknown, index: number): string {
  if (typeof value !== 'string') throw new BertwebError('MODEL_INVALID', `modules.json entry ${index} has no path`);
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (value.startsWith('/') || value.includes('\\') || parts.some((p) => p === '..')) {
    throw new BertwebError(
      'MODEL_INVALID',
      `modules.json entry ${index}: path ${JSON.stringify(value)} leaves the folder`,
    );
  }
  return parts.join('/');
}

/**
 * Parses `modules.json` (an array of `{idx, name, path, type}`), in file order.
 *
 * @example
 * ```ts
 * parseModulesJson('[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"}]');
 * // [{ idx: 0, name: '0', path: '', type: '...Transformer', kind: 'Transformer' }]
 * ```
 */
export function parseModulesJson(text: string): SentenceModuleEntry[] {
  const value = parseJsonFile(text, 'modules.json');
  if (!Array.isArray(value)) throw new BertwebError('MODEL_INVALID', 'modules.json must be a JSON array');
  return value.map((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new BertwebError('MODEL_INVALID', `modules.json entry ${i} is not an object`);
    }
    const entry = raw as Record<string, unknown>;
    if (typeof entry.type !== 'string' || entry.type === '') {
      throw new BertwebError('MODEL_INVALID', `modules.json entry ${i} has no type`);
    }
    return {
      idx: typeof entry.idx === 'number' ? entry.idx : i,
      name: typeof entry.name === 'string' ? entry.name : String(i),
      path: modulePath(entry.path ?? '', i),
      type: entry.type,
      kind: entry.type.slice(entry.type.lastIndexOf('.') + 1),
    };
  });
}

function positiveInt(config: Record<string, unknown>, key: string, file: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new BertwebError('MODEL_INVALID', `${file}: "${key}" must be a positive integer`);
  }
  return value;
}

/** The Dense settings of a `config.json`, checked (sentence-transformers' own key names). */
export interface DenseConfig {
  readonly in_features: number;
  readonly out_features: number;
  readonly bias: boolean;
  readonly activation_function: string;
  readonly module_input_name?: string;
  readonly module_output_name?: string;
}

/**
 * Checks a Dense module's `config.json`: sizes, bias flag and a supported activation
 * ({@link DENSE_ACTIVATIONS}; `UNSUPPORTED` names any other).
 *
 * @example
 * ```ts
 * parseDenseConfig({ in_features: 768, out_features: 768, bias: true,
 *   activation_function: 'torch.nn.modules.activation.Tanh' }, '2_Dense/config.json');
 * ```
 */
export function parseDenseConfig(config: Record<string, unknown>, file: string): DenseConfig {
  const activation = config.activation_function ?? 'torch.nn.modules.activation.Tanh';
  if (typeof activation !== 'string' || !DENSE_ACTIVATIONS.includes(activation)) {
    throw new BertwebError(
      'UNSUPPORTED',
      `${file}: activation_function ${JSON.stringify(typeof activation === 'string' ? activation.slice(0, 80) : activation)} is not supported; known: ${DENSE_ACTIVATIONS.join(', ')}`,
    );
  }
  const bias = config.bias ?? true;
  if (typeof bias !== 'boolean') throw new BertwebError('MODEL_INVALID', `${file}: "bias" must be true or false`);
  const names: Record<string, string> = {};
  for (const key of ['module_input_name', 'module_output_name'] as const) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new BertwebError('MODEL_INVALID', `${file}: "${key}" must be a string`);
    names[key] = v;
  }
  return {
    in_features: positiveInt(config, 'in_features', file),
    out_features: positiveInt(config, 'out_features', file),
    bias,
    activation_function: activation,
    ...names,
  };
}

async function denseTensors(files: ModuleFiles, dir: string): Promise<Map<string, TensorRef>> {
  for (const name of ['model.safetensors', 'pytorch_model.bin']) {
    const file = `${dir}/${name}`;
    if (!(await files.has(file))) continue;
    const source = await files.open(file);
    return name.endsWith('.safetensors')
      ? readSafetensors(source)
      : findStateDict(await readTorchCheckpoint(source), file);
  }
  throw new BertwebError(
    'MODEL_INVALID',
    `${dir}: Dense module without weights (model.safetensors or pytorch_model.bin)`,
  );
}

async function convertDense(files: ModuleFiles, dir: string, out: Map<string, Uint8Array>): Promise<void> {
  const configName = `${dir}/config.json`;
  if (!(await files.has(configName))) throw new BertwebError('MODEL_INVALID', `${configName} is missing`);
  const config = parseDenseConfig(
    parseJsonObject(new TextDecoder().decode(await readSmall(files, configName)), configName),
    configName,
  );
  const tensors = await denseTensors(files, dir);
  const wanted: [string, number[]][] = [['linear.weight', [config.out_features, config.in_features]]];
  if (config.bias) wanted.push(['linear.bias', [config.out_features]]);
  const extra = [...tensors.keys()].filter((n) => !wanted.some(([w]) => w === n));
  if (extra.length > 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      `${dir} weights hold tensors a Dense module does not use: ${extra.slice(0, 5).join(', ')}`,
    );
  }
  const converted = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of wanted) {
    const ref = tensors.get(name);
    if (!ref) throw new BertwebError('MODEL_INVALID', `${dir}: missing tensor ${name}`);
    if (ref.shape.length !== shape.length || ref.shape.some((d, i) => d !== shape[i])) {
      throw new BertwebError(
        'MODEL_INVALID',
        `${dir}: shape mismatch: ${name} is [${ref.shape.join(', ')}], its config.json implies [${shape.join(', ')}]`,
      );
    }
    // A copy: the file's bytes must not be kept alive (or mutated) through a view.
    const data = Float32Array.from(await readFloat32(ref));
    if (data.length !== numel(shape)) throw new BertwebError('MODEL_INVALID', `${dir}: ${name} has the wrong size`);
    converted.set(name, { shape, data });
  }
  out.set(configName, new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
  out.set(`${dir}/model.safetensors`, encodeSafetensorsF32(converted));
}

/**
 * The sentence-transformers files of a converted folder: `modules.json` as it is, each Pooling /
 * Normalize module's files as they are, each Dense module as `config.json` + float32 `model.safetensors`
 * (from its safetensors or torch weights). Empty when the checkpoint (and the base) has no `modules.json`.
 * Unknown module types are copied with a warning: bertweb's embedder refuses them by name.
 *
 * @example
 * ```ts
 * const files = await sentenceTransformersFiles(checkpoint.files, base, warnings);
 * // Map { 'modules.json' => ..., '1_Pooling/config.json' => ..., '2_Dense/config.json' => ..., '2_Dense/model.safetensors' => ... }
 * ```
 */
export async function sentenceTransformersFiles(
  checkpointFiles: FileSet,
  base: BaseModelFiles | undefined,
  warnings: string[],
): Promise<Map<string, Uint8Array>> {
  const files = moduleFiles(checkpointFiles, base);
  const out = new Map<string, Uint8Array>();
  if (!(await files.has('modules.json'))) return out;
  const modulesBytes = await readSmall(files, 'modules.json');
  const modules = parseModulesJson(new TextDecoder().decode(modulesBytes));
  out.set('modules.json', modulesBytes);
  for (const module of modules) {
    if (module.kind === 'Transformer') continue;
    if (module.path === '') {
      if (module.kind !== 'Normalize') warnings.push(`module ${module.name} (${module.type}) has no folder`);
      continue;
    }
    if (module.kind === 'Dense') {
      await convertDense(files, module.path, out);
      continue;
    }
    const config = `${module.path}/config.json`;
    if (module.kind === 'Pooling' && !(await files.has(config))) {
      throw new BertwebError('MODEL_INVALID', `${config} is missing (modules.json lists a Pooling module there)`);
    }
    const names = new Set(files.under(module.path));
    if (await files.has(config)) names.add(config);
    for (const name of names) out.set(name, await readSmall(files, name));
    if (module.kind !== 'Pooling' && module.kind !== 'Normalize') {
      warnings.push(`module ${module.name} (${module.type}) copied but not converted; bertweb's embedder refuses it`);
    }
  }
  return out;
}
