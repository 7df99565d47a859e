/**
 * The sentence-transformers module pipeline of a model folder (`modules.json`): after the encoder
 * (`Transformer`), the modules run in file order: `Pooling` (`1_Pooling/config.json`), `Dense`
 * (`2_Dense/config.json` + weights, e.g. LaBSE's 768 -> 768 Tanh) and `Normalize`, so a folder gives the
 * vectors sentence-transformers gives. Semantics follow sentence-transformers' own modules
 * (`sentence_transformers/models/Pooling.py`, `Dense.py`, `Normalize.py`):
 *
 * - Pooling modes, concatenated in this fixed order when several are on: `cls` (first token), `max`
 *   (padding set to -1e9 first), `mean` (sum / max(count, 1e-9)), `mean_sqrt_len_tokens`
 *   (sum / sqrt(count)), `weightedmean` (token i weighted by i + 1), `lasttoken` (last attended token).
 * - Dense: `activation(W x + b)`, W `[out_features, in_features]` from `linear.weight`, b from
 *   `linear.bias`; activations Tanh, Identity, ReLU, Sigmoid, GELU (erf), SiLU.
 * - Normalize: `x / max(||x||_2, 1e-12)`.
 *
 * Dense weights are read from `<path>/model.safetensors` (F32, F16, BF16, F64), which `bertweb convert`
 * writes for checkpoints that have a `pytorch_model.bin` there. Any other module type is `UNSUPPORTED`,
 * naming the module.
 */
import { BertwebError, type ModelFiles } from '@bertweb/core';

/**
 * A sentence-transformers pooling mode.
 *
 * @example
 * ```ts
 * const mode: SentencePoolingMode = 'mean_sqrt_len_tokens';
 * ```
 */
export type SentencePoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len_tokens' | 'weightedmean' | 'lasttoken';

/** Pooling modes in the order sentence-transformers concatenates them, with their config keys. */
const POOLING_MODES: readonly (readonly [SentencePoolingMode, string])[] = [
  ['cls', 'pooling_mode_cls_token'],
  ['max', 'pooling_mode_max_tokens'],
  ['mean', 'pooling_mode_mean_tokens'],
  ['mean_sqrt_len_tokens', 'pooling_mode_mean_sqrt_len_tokens'],
  ['weightedmean', 'pooling_mode_weightedmean_tokens'],
  ['lasttoken', 'pooling_mode_lasttoken'],
];

/**
 * Activation of a Dense module (from its `torch.nn` class path, e.g. `torch.nn.modules.activation.Tanh`).
 *
 * @example
 * ```ts
 * const activation: DenseActivation = 'tanh';
 * ```
 */
export type DenseActivation = 'tanh' | 'identity' | 'relu' | 'sigmoid' | 'gelu' | 'silu';

const ACTIVATIONS: Readonly<Record<string, DenseActivation>> = {
  'torch.nn.modules.activation.Tanh': 'tanh',
  'torch.nn.modules.linear.Identity': 'identity',
  'torch.nn.modules.activation.ReLU': 'relu',
  'torch.nn.modules.activation.Sigmoid': 'sigmoid',
  'torch.nn.modules.activation.GELU': 'gelu',
  'torch.nn.modules.activation.SiLU': 'silu',
};

/**
 * `1_Pooling`: the enabled modes, in concatenation order.
 *
 * @example
 * ```ts
 * const pooling: PoolingModule = { kind: 'pooling', name: '1', modes: ['cls'], dimension: 768 };
 * ```
 */
export interface PoolingModule {
  readonly kind: 'pooling';
  readonly name: string;
  readonly modes: readonly SentencePoolingMode[];
  /** `word_embedding_dimension` of the config, when given (checked against the encoder). */
  readonly dimension?: number;
}

/**
 * `2_Dense`: one linear layer and its activation.
 *
 * @example
 * ```ts
 * if (module.kind === 'dense') console.log(module.inFeatures, '->', module.outFeatures, module.activation);
 * ```
 */
export interface DenseModule {
  readonly kind: 'dense';
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Row-major `[outFeatures, inFeatures]`. */
  readonly weight: Float32Array;
  readonly bias?: Float32Array;
  readonly activation: DenseActivation;
  /** `sentence_embedding` (default, after pooling) or `token_embeddings` (every token, before pooling). */
  readonly input: 'sentence_embedding' | 'token_embeddings';
}

/**
 * `3_Normalize`: L2 normalization.
 *
 * @example
 * ```ts
 * const normalize: NormalizeModule = { kind: 'normalize', name: '3' };
 * ```
 */
export interface NormalizeModule {
  readonly kind: 'normalize';
  readonly name: string;
}

/**
 * One module after the encoder.
 *
 * @example
 * ```ts
 * const kinds = pipeline.modules.map((m: SentenceModule) => m.kind);
 * ```
 */
export type SentenceModule = PoolingModule | DenseModule | NormalizeModule;

/**
 * The modules after the encoder, in order, as read by {@link loadSentenceModules}.
 *
 * @example
 * ```ts
 * const pipeline = await loadSentenceModules(model.files);
 * pipeline?.modules.map((m) => m.kind); // ['pooling', 'dense', 'normalize'] for LaBSE
 * ```
 */
export interface SentencePipeline {
  readonly modules: readonly SentenceModule[];
  /** Whether the last module is Normalize (vectors have unit length). */
  readonly normalized: boolean;
}

type Options = { readonly signal?: AbortSignal };

function invalid(message: string): BertwebError {
  return new BertwebError('MODEL_INVALID', message);
}

function asObject(value: unknown, file: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(`${file} must be a JSON object`);
  return value as Record<string, unknown>;
}

function positiveInt(config: Record<string, unknown>, key: string, file: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(`${file}: "${key}" must be a positive integer`);
  }
  return value;
}

/**
 * The pooling modes a `1_Pooling/config.json` enables, in sentence-transformers' concatenation order
 * (`pooling_mode` as a string wins over the flags, as in sentence-transformers).
 *
 * @example
 * ```ts
 * poolingModes({ pooling_mode_cls_token: true }, '1_Pooling/config.json'); // ['cls']
 * ```
 */
export function poolingModes(config: Record<string, unknown>, file: string): SentencePoolingMode[] {
  const byName = config.pooling_mode;
  if (byName !== undefined && byName !== null) {
    const mode = typeof byName === 'string' ? POOLING_MODES.find(([m]) => m === byName.toLowerCase()) : undefined;
    if (!mode)
      throw new BertwebError('UNSUPPORTED', `${file}: pooling_mode ${JSON.stringify(byName)} is not a pooling mode`);
    return [mode[0]];
  }
  const modes = POOLING_MODES.filter(([, key]) => config[key] === true).map(([mode]) => mode);
  if (modes.length === 0) throw invalid(`${file} enables no pooling mode`);
  return modes;
}

async function readJson(files: ModelFiles, name: string, options: Options): Promise<unknown> {
  return files.json(name, options);
}

/** Parses a small safetensors file into float32 tensors (F32, F16, BF16, F64). */
function parseSafetensors(bytes: Uint8Array, file: string): Map<string, { shape: number[]; data: Float32Array }> {
  if (bytes.byteLength < 8) throw invalid(`${file} is not a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength + 8 > bytes.byteLength) throw invalid(`${file}: truncated safetensors header`);
  let header: Record<string, unknown>;
  try {
    header = asObject(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))), file);
  } catch (error) {
    if (error instanceof BertwebError) throw error;
    throw invalid(`${file}: safetensors header is not JSON`);
  }
  const sizes: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = asObject(raw, `${file} entry ${name}`);
    const dtype = entry.dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(sizes, dtype)) {
      throw new BertwebError('UNSUPPORTED', `${file}: tensor ${name} has dtype ${String(dtype)}`);
    }
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2
    ) {
      throw invalid(`${file}: bad shape or offsets for ${name}`);
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = offsets as [number, number];
    const size = sizes[dtype] as number;
    if (!Number.isSafeInteger(begin) || end - begin !== count * size || 8 + headerLength + end > bytes.byteLength) {
      throw invalid(`${file}: tensor ${name} does not fit the file`);
    }
    const at = 8 + headerLength + begin;
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const p = at + i * size;
      if (dtype === 'F32') data[i] = view.getFloat32(p, true);
      else if (dtype === 'F64') data[i] = view.getFloat64(p, true);
      else if (dtype === 'BF16')
        data[i] = new Float32Array(new Uint32Array([view.getUint16(p, true) << 16]).buffer)[0] as number;
      else data[i] = halfToFloat(view.getUint16(p, true));
    }
    out.set(name, { shape: shape as number[], data });
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

async function loadDense(files: ModelFiles, path: string, name: string, options: Options): Promise<DenseModule> {
  const configFile = `${path}/config.json`;
  if (!(await files.exists(configFile, options))) throw invalid(`${configFile} is missing (Dense module ${name})`);
  const config = asObject(await readJson(files, configFile, options), configFile);
  const activationName = config.activation_function ?? 'torch.nn.modules.activation.Tanh';
  const activation =
    typeof activationName === 'string' && Object.hasOwn(ACTIVATIONS, activationName)
      ? ACTIVATIONS[activationName]
      : undefined;
  if (!activation) {
    throw new BertwebError(
      'UNSUPPORTED',
      `Dense module ${name}: activation_function ${JSON.stringify(activationName)} is not supported; known: ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  }
  const inFeatures = positiveInt(config, 'in_features', configFile);
  const outFeatures = positiveInt(config, 'out_features', configFile);
  const hasBias = config.bias ?? true;
  if (typeof hasBias !== 'boolean') throw invalid(`${configFile}: "bias" must be true or false`);
  const inputName = config.module_input_name ?? 'sentence_embedding';
  const outputName = config.module_output_name ?? inputName;
  if ((inputName !== 'sentence_embedding' && inputName !== 'token_embeddings') || outputName !== inputName) {
    throw new BertwebError(
      'UNSUPPORTED',
      `Dense module ${name} reads ${String(inputName)} and writes ${String(outputName)}; bertweb applies Dense to sentence_embedding or token_embeddings in place`,
    );
  }
  const weightsFile = `${path}/model.safetensors`;
  if (!(await files.exists(weightsFile, options))) {
    const torchFile = `${path}/pytorch_model.bin`;
    if (await files.exists(torchFile, options)) {
      throw new BertwebError(
        'UNSUPPORTED',
        `Dense module ${name} has PyTorch weights (${torchFile}); convert the folder with bertweb convert, which writes ${weightsFile}`,
      );
    }
    throw invalid(`Dense module ${name} has no weights (${weightsFile})`);
  }
  const tensors = parseSafetensors(await files.bytes(weightsFile, options), weightsFile);
  const weight = tensors.get('linear.weight');
  if (weight?.shape.length !== 2 || weight.shape[0] !== outFeatures || weight.shape[1] !== inFeatures) {
    throw invalid(`${weightsFile}: linear.weight must be [${outFeatures}, ${inFeatures}]`);
  }
  const bias = tensors.get('linear.bias');
  if (hasBias && (bias?.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw invalid(`${weightsFile}: linear.bias must be [${outFeatures}]`);
  }
  return {
    kind: 'dense',
    name,
    inFeatures,
    outFeatures,
    weight: weight.data,
    ...(hasBias && bias ? { bias: bias.data } : {}),
    activation,
    input: inputName,
  };
}

/**
 * Reads `modules.json` and the configs and weights of the modules after the encoder; `undefined` when
 * the folder has no `modules.json` (a plain encoder). `UNSUPPORTED` names any module other than
 * Transformer, Pooling, Dense and Normalize; `MODEL_INVALID` for missing or inconsistent files (a Dense
 * whose `in_features` is not what the module before it gives).
 *
 * @example
 * ```ts
 * const pipeline = await loadSentenceModules(model.files);
 * if (pipeline) vector = applySentenceModules(pipeline, lastHiddenState, attentionMask, hiddenSize);
 * ```
 */
export async function loadSentenceModules(
  files: ModelFiles,
  options: Options = {},
): Promise<SentencePipeline | undefined> {
  if (!(await files.exists('modules.json', options))) return undefined;
  const list = await readJson(files, 'modules.json', options);
  if (!Array.isArray(list)) throw invalid('modules.json must be a JSON array');
  const modules: SentenceModule[] = [];
  let sawTransformer = false;
  for (const [i, raw] of list.entries()) {
    const entry = asObject(raw, `modules.json entry ${i}`);
    const type = entry.type;
    if (typeof type !== 'string') throw invalid(`modules.json entry ${i} has no type`);
    const name = typeof entry.name === 'string' ? entry.name : String(i);
    const path = typeof entry.path === 'string' ? entry.path.replace(/^\.?\/+|\/+$/g, '') : '';
    const kind = type.slice(type.lastIndexOf('.') + 1);
    if (path.split('/').includes('..')) throw invalid(`modules.json entry ${i}: path ${entry.path} leaves the folder`);
    if (kind === 'Transformer') {
      if (modules.length > 0 || sawTransformer) {
        throw new BertwebError('UNSUPPORTED', `module ${name} (${type}): a Transformer after other modules`);
      }
      sawTransformer = true;
    } else if (kind === 'Pooling') {
      const file = `${path}/config.json`;
      if (!(await files.exists(file, options))) throw invalid(`${file} is missing (Pooling module ${name})`);
      const config = asObject(await readJson(files, file, options), file);
      const dimension = config.word_embedding_dimension;
      modules.push({
        kind: 'pooling',
        name,
        modes: poolingModes(config, file),
        ...(typeof dimension === 'number' && Number.isSafeInteger(dimension) && dimension > 0 ? { dimension } : {}),
      });
    } else if (kind === 'Dense') {
      modules.push(await loadDense(files, path, name, options));
    } else if (kind === 'Normalize') {
      modules.push({ kind: 'normalize', name });
    } else {
      throw new BertwebError('UNSUPPORTED', `sentence-transformers module ${name} (${type}) is not supported`, {
        module: name,
        type,
      });
    }
  }
  const poolings = modules.filter((m) => m.kind === 'pooling');
  if (poolings.length !== 1) {
    throw new BertwebError(
      'UNSUPPORTED',
      `modules.json must list exactly one Pooling module (found ${poolings.length})`,
    );
  }
  const poolingAt = modules.findIndex((m) => m.kind === 'pooling');
  for (const [i, m] of modules.entries()) {
    if (m.kind === 'dense' && m.input === 'token_embeddings' && i > poolingAt) {
      throw new BertwebError('UNSUPPORTED', `Dense module ${m.name} reads token_embeddings after pooling`);
    }
    if (m.kind === 'normalize' && i < poolingAt) {
      throw new BertwebError('UNSUPPORTED', `Normalize module ${m.name} before pooling`);
    }
  }
  return { modules, normalized: modules.at(-1)?.kind === 'normalize' };
}

/**
 * The width of the vectors a pipeline produces from encoder outputs of width `hiddenSize`, checking
 * every Dense module's `in_features` along the way (`MODEL_INVALID` on a mismatch).
 *
 * @example
 * ```ts
 * sentenceDimension(pipeline, 768); // 768 for LaBSE
 * ```
 */
export function sentenceDimension(pipeline: SentencePipeline, hiddenSize: number): number {
  let dim = hiddenSize;
  for (const m of pipeline.modules) {
    if (m.kind === 'pooling') {
      if (m.dimension !== undefined && m.dimension !== dim) {
        throw invalid(`Pooling module ${m.name} expects width ${m.dimension}, the encoder gives ${dim}`);
      }
      dim *= m.modes.length;
    } else if (m.kind === 'dense') {
      if (m.inFeatures !== dim) throw invalid(`Dense module ${m.name} takes ${m.inFeatures} values, it gets ${dim}`);
      dim = m.outFeatures;
    }
  }
  return dim;
}

/**
 * Pools one sequence's token vectors (`tokens` row-major `[length, dim]`, `mask[i]` 1 for real tokens) by
 * the given modes, concatenated, in float64, exactly as sentence-transformers' Pooling.forward.
 *
 * @example
 * ```ts
 * poolTokens(['mean'], hidden, [1, 1, 1, 0], 768); // Float64Array(768)
 * ```
 */
export function poolTokens(
  modes: readonly SentencePoolingMode[],
  tokens: ArrayLike<number>,
  mask: ArrayLike<number>,
  dim: number,
): Float64Array {
  const length = mask.length;
  const out = new Float64Array(dim * modes.length);
  let count = 0;
  let last = -1;
  for (let t = 0; t < length; t++) {
    if (mask[t] === 1) {
      count++;
      last = t;
    }
  }
  modes.forEach((mode, k) => {
    const base = k * dim;
    switch (mode) {
      case 'cls':
        for (let d = 0; d < dim; d++) out[base + d] = tokens[d] as number;
        return;
      case 'max':
        for (let d = 0; d < dim; d++) {
          let best = Number.NEGATIVE_INFINITY;
          for (let t = 0; t < length; t++) {
            const v = mask[t] === 1 ? (tokens[t * dim + d] as number) : -1e9;
            if (v > best) best = v;
          }
          out[base + d] = length > 0 ? best : 0;
        }
        return;
      case 'mean':
      case 'mean_sqrt_len_tokens': {
        const divisor = mode === 'mean' ? Math.max(count, 1e-9) : Math.sqrt(Math.max(count, 1e-9));
        for (let d = 0; d < dim; d++) {
          let sum = 0;
          for (let t = 0; t < length; t++) if (mask[t] === 1) sum += tokens[t * dim + d] as number;
          out[base + d] = sum / divisor;
        }
        return;
      }
      case 'weightedmean': {
        let weights = 0;
        for (let t = 0; t < length; t++) if (mask[t] === 1) weights += t + 1;
        for (let d = 0; d < dim; d++) {
          let sum = 0;
          for (let t = 0; t < length; t++) if (mask[t] === 1) sum += (t + 1) * (tokens[t * dim + d] as number);
          out[base + d] = sum / Math.max(weights, 1e-9);
        }
        return;
      }
      case 'lasttoken':
        // No attended token: sentence-transformers gathers the last row times its zero mask.
        if (last >= 0) for (let d = 0; d < dim; d++) out[base + d] = tokens[last * dim + d] as number;
        return;
    }
  });
  return out;
}

/** erf, Numerical Recipes' erfc Chebyshev fit (fractional error < 1.2e-7). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

function activate(kind: DenseActivation, x: number): number {
  switch (kind) {
    case 'tanh':
      return Math.tanh(x);
    case 'identity':
      return x;
    case 'relu':
      return Math.max(x, 0);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'silu':
      return x / (1 + Math.exp(-x));
  }
}

/** `activation(W x + b)` for one vector. */
function dense(m: DenseModule, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.outFeatures);
  for (let o = 0; o < m.outFeatures; o++) {
    let sum = m.bias ? (m.bias[o] as number) : 0;
    const row = o * m.inFeatures;
    for (let i = 0; i < m.inFeatures; i++) sum += (m.weight[row + i] as number) * (x[i] as number);
    out[o] = activate(m.activation, sum);
  }
  return out;
}

/**
 * Runs the pipeline on one sequence's encoder output (`tokens`: `last_hidden_state` rows, row-major
 * `[length, hiddenSize]`; `mask[i]` 1 for real tokens): token-level Dense modules, Pooling, then Dense and
 * Normalize on the sentence vector. Float64 inside, float32 out.
 *
 * @example
 * ```ts
 * const vector = applySentenceModules(pipeline, hidden.subarray(0, n * 768), new Array(n).fill(1), 768);
 * ```
 */
export function applySentenceModules(
  pipeline: SentencePipeline,
  tokens: ArrayLike<number>,
  mask: ArrayLike<number>,
  hiddenSize: number,
): Float32Array {
  let tokenRows: ArrayLike<number> = tokens;
  let tokenDim = hiddenSize;
  let vector: Float64Array | undefined;
  for (const m of pipeline.modules) {
    if (m.kind === 'pooling') {
      if (m.dimension !== undefined && m.dimension !== tokenDim) {
        throw invalid(`Pooling module ${m.name} expects width ${m.dimension}, the encoder gives ${tokenDim}`);
      }
      vector = poolTokens(m.modes, tokenRows, mask, tokenDim);
    } else if (m.kind === 'dense') {
      const width = vector ? vector.length : tokenDim;
      if (m.inFeatures !== width)
        throw invalid(`Dense module ${m.name} takes ${m.inFeatures} values, it gets ${width}`);
      if (vector) {
        vector = dense(m, vector);
      } else {
        const length = mask.length;
        const next = new Float64Array(length * m.outFeatures);
        for (let t = 0; t < length; t++) {
          const row = Array.from({ length: tokenDim }, (_, d) => tokenRows[t * tokenDim + d] as number);
          next.set(dense(m, row), t * m.outFeatures);
        }
        tokenRows = next;
        tokenDim = m.outFeatures;
      }
    } else if (vector) {
      let sum = 0;
      for (const v of vector) sum += v * v;
      const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
      for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * scale;
    }
  }
  if (!vector) throw new BertwebError('UNSUPPORTED', 'the sentence-transformers pipeline has no Pooling module');
  return Float32Array.from(vector);
}
