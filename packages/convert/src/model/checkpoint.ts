import { BertwebError } from '../core.js';
import { PickledTensor, PyDict } from '../formats/pickle.js';
import { readSafetensors } from '../formats/safetensors.js';
import { readTorchCheckpoint, type TorchCheckpoint } from '../formats/torch.js';
import { readText } from '../io/byte-source.js';
import { type FileSet, subFileSet } from '../io/file-set.js';
import { MAX_JSON_BYTES, readJsonObject } from '../io/json.js';
import type { TensorRef } from './tensor.js';

/** Labels from a DeepPavlov vocabulary file. */
export interface LabelFile {
  /** id -> label, in file order. */
  readonly labels: readonly string[];
  /** `tag.dict` (token classification) or `classes.dict` (sequence classification). */
  readonly kind: 'tag' | 'classes';
}

/** Everything read from a checkpoint (a folder, a file, or an unpacked DeepPavlov tarball). */
export interface Checkpoint {
  /** The files, relative to the folder that holds the weights. */
  readonly files: FileSet;
  /** Weights file names, for messages. */
  readonly weightFiles: readonly string[];
  readonly tensors: ReadonlyMap<string, TensorRef>;
  /** The checkpoint's own config.json, if it has one. */
  readonly config?: Record<string, unknown>;
  readonly labelFile?: LabelFile;
  /** Tensors of a separate CRF file (DeepPavlov `model_crf.pth.tar`). */
  readonly crfTensors?: ReadonlyMap<string, TensorRef>;
}

const WEIGHT_PATTERNS: readonly RegExp[] = [
  /(^|\/)model\.safetensors\.index\.json$/,
  /(^|\/)model\.safetensors$/,
  /(^|\/)pytorch_model\.bin\.index\.json$/,
  /(^|\/)pytorch_model\.bin$/,
  /\.safetensors$/,
  /(^|\/)(?!.*crf)[^/]*\.pth\.tar$/,
  /(^|\/)(?!.*crf)[^/]*\.(pth|pt|bin|ckpt)$/,
];

/**
 * sentence-transformers module folders after the encoder (`1_Pooling`, `2_Dense`, ...): their weights
 * (a Dense layer's `model.safetensors`) are never the encoder's.
 */
const MODULE_FOLDER = /^[1-9]\d*_[^/]*\//;

/** Picks the weights file of a folder: HF names first, then DeepPavlov / generic torch files; shallowest wins. */
export function findWeightsFile(names: readonly string[]): string | undefined {
  for (const pattern of WEIGHT_PATTERNS) {
    const hits = names.filter(
      (n) => pattern.test(n) && !MODULE_FOLDER.test(n) && !n.split('/').some((part) => part.startsWith('.')),
    );
    if (hits.length === 0) continue;
    hits.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
    return hits[0];
  }
  return undefined;
}

/** Keys under which training checkpoints nest their state dict. */
const NESTED_STATE_KEYS = ['model_state_dict', 'state_dict', 'model', 'module', 'net', 'weights'];

function tensorEntries(dict: PyDict): [string, PickledTensor][] {
  return [...dict.map.entries()].flatMap(([k, v]) =>
    typeof k === 'string' && v instanceof PickledTensor ? [[k, v] as [string, PickledTensor]] : [],
  );
}

/**
 * The state dict inside an unpickled `torch.save` object: the object itself when it maps names to tensors,
 * else the first of `model_state_dict`, `state_dict`, `model`, ... that does (optimizer state and other
 * training bookkeeping are skipped).
 */
export function findStateDict(checkpoint: TorchCheckpoint, file: string): Map<string, TensorRef> {
  const visit = (value: unknown, depth: number): [string, PickledTensor][] | undefined => {
    if (!(value instanceof PyDict) || depth > 3) return undefined;
    const direct = tensorEntries(value);
    if (direct.length > 0 && direct.length >= value.map.size / 2) return direct;
    for (const key of NESTED_STATE_KEYS) {
      const found = visit(value.map.get(key), depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  const entries = visit(checkpoint.root, 0);
  if (!entries) {
    const keys =
      checkpoint.root instanceof PyDict
        ? [...checkpoint.root.map.keys()].slice(0, 10).map((k) => (typeof k === 'string' ? k.slice(0, 80) : typeof k))
        : [];
    throw new BertwebError(
      'MODEL_INVALID',
      `${file}: no state dict found${keys.length ? ` (top-level keys: ${keys.slice(0, 10).join(', ')})` : ''}`,
    );
  }
  const tensors = new Map<string, TensorRef>();
  for (const [name, pickled] of entries) {
    const ref = checkpoint.tensors.get(pickled);
    if (!ref) throw new BertwebError('MODEL_INVALID', `${file}: tensor ${name} has no storage`);
    tensors.set(name, { ...ref, name });
  }
  return tensors;
}

async function readWeightsFile(files: FileSet, name: string): Promise<Map<string, TensorRef>> {
  const source = await files.open(name);
  if (name.endsWith('.safetensors')) return readSafetensors(source);
  return findStateDict(await readTorchCheckpoint(source), name);
}

async function readSharded(
  files: FileSet,
  indexName: string,
): Promise<{ tensors: Map<string, TensorRef>; shards: string[] }> {
  const index = await readJsonObject(await files.open(indexName));
  const rawMap = index.weight_map;
  if (!rawMap || typeof rawMap !== 'object' || Array.isArray(rawMap)) {
    throw new BertwebError('MODEL_INVALID', `${indexName} has no weight_map`);
  }
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(rawMap)) {
    if (typeof shard !== 'string')
      throw new BertwebError('MODEL_INVALID', `${indexName}: shard of ${name} is not a file name`);
    weightMap.set(name, shard);
  }
  const dir = indexName.includes('/') ? indexName.slice(0, indexName.lastIndexOf('/') + 1) : '';
  const shards = [...new Set(weightMap.values())];
  const names = new Set(files.names());
  const tensors = new Map<string, TensorRef>();
  for (const shard of shards) {
    if (!names.has(dir + shard))
      throw new BertwebError('MODEL_NOT_FOUND', `shard ${shard} named by ${indexName} is missing`);
    for (const [name, ref] of await readWeightsFile(files, dir + shard)) {
      if (weightMap.get(name) !== shard) continue;
      tensors.set(name, ref);
    }
  }
  for (const [name, shard] of weightMap) {
    if (!tensors.has(name)) throw new BertwebError('MODEL_INVALID', `tensor ${name} is missing from shard ${shard}`);
  }
  return { tensors, shards };
}

/**
 * The label of a `LABEL<TAB>count` / `LABEL count` line: the text before the whitespace that precedes a
 * trailing run of digits, else the whole line. Scanned from the end (linear; a backtracking regex was
 * quadratic on long lines of spaces).
 */
function labelOfLine(line: string): string {
  let digits = line.length;
  while (digits > 0 && line.charCodeAt(digits - 1) >= 48 && line.charCodeAt(digits - 1) <= 57) digits--;
  if (digits === line.length) return line;
  let space = digits;
  while (space > 0 && /\s/.test(line[space - 1] as string)) space--;
  if (space === digits) return line;
  return line.slice(0, space);
}

/**
 * Parses a DeepPavlov vocabulary file (`tag.dict`, `classes.dict`): one `LABEL<TAB>count` or
 * `LABEL count` line per label; ids follow file order.
 *
 * @example
 * ```ts
 * parseLabelDict('O\t100\nB-PER\t20\n'); // ['O', 'B-PER']
 * ```
 */
export function parseLabelDict(text: string): string[] {
  const labels: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const label = labelOfLine(line);
    const shown = JSON.stringify(raw.slice(0, 80));
    if (label === '') throw new BertwebError('MODEL_INVALID', `empty label in a label dict line: ${shown}`);
    if (seen.has(label)) throw new BertwebError('MODEL_INVALID', `label ${shown} appears twice in a label dict`);
    seen.add(label);
    labels.push(label);
  }
  if (labels.length === 0) throw new BertwebError('MODEL_INVALID', 'empty label dict');
  return labels;
}

/**
 * Opens a checkpoint folder: finds the weights (safetensors, sharded, torch zip or legacy pickle), the
 * checkpoint's own config.json, DeepPavlov label files and CRF weights. Tensor bytes are not read.
 *
 * @example
 * ```ts
 * const checkpoint = await openCheckpoint(memoryFileSet('drop', files));
 * ```
 */
export async function openCheckpoint(all: FileSet): Promise<Checkpoint> {
  const weightsName = findWeightsFile(all.names());
  if (!weightsName) {
    throw new BertwebError(
      'MODEL_NOT_FOUND',
      `${all.id}: no weights found (model.safetensors, pytorch_model.bin, *.pth.tar, ...)`,
      { files: all.names().slice(0, 20) },
    );
  }
  const dir = weightsName.includes('/') ? weightsName.slice(0, weightsName.lastIndexOf('/')) : '';
  const files = subFileSet(all, dir);
  const base = weightsName.slice(dir ? dir.length + 1 : 0);
  const names = new Set(files.names());

  let tensors: Map<string, TensorRef>;
  let weightFiles: string[];
  if (base.endsWith('.index.json')) {
    const sharded = await readSharded(files, base);
    tensors = sharded.tensors;
    weightFiles = sharded.shards;
  } else {
    tensors = await readWeightsFile(files, base);
    weightFiles = [base];
  }

  let config: Record<string, unknown> | undefined;
  if (names.has('config.json')) config = await readJsonObject(await files.open('config.json'));

  let labelFile: LabelFile | undefined;
  for (const [file, kind] of [
    ['tag.dict', 'tag'],
    ['classes.dict', 'classes'],
  ] as const) {
    if (!names.has(file)) continue;
    if (labelFile) throw new BertwebError('MODEL_INVALID', `${files.id} has both tag.dict and classes.dict`);
    const source = await files.open(file);
    if (source.size > MAX_JSON_BYTES) throw new BertwebError('MODEL_INVALID', `${file} is too large for a label file`);
    labelFile = { labels: parseLabelDict(await readText(source)), kind };
  }

  let crfTensors: Map<string, TensorRef> | undefined;
  const crfFile = [...names].find((n) => /(^|_)crf\.(pth\.tar|pth|pt|bin)$/.test(n) && n !== base);
  if (crfFile) crfTensors = findStateDict(await readTorchCheckpoint(await files.open(crfFile)), crfFile);

  return {
    files,
    weightFiles,
    tensors,
    ...(config ? { config } : {}),
    ...(labelFile ? { labelFile } : {}),
    ...(crfTensors ? { crfTensors } : {}),
  };
}
