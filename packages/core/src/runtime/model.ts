/** loadModel: source -> config + tokenizer + session on the best backend + micro-batcher. */
import { env } from '../env.js';
import { BertwebError, isBertwebError, throwIfAborted, toBertwebError } from '../errors.js';
import * as check from '../head/validate.js';
import { DTYPE_FILES, type Dtype, TASK_OUTPUTS } from '../layout.js';
import type { TrackedFiles } from '../sources/files/tracked-files.js';
import { resolveSource } from '../sources/index.js';
import { notifyProgress } from '../sources/progress.js';
import { allOrAbort } from '../sources/read-group.js';
import { readWithRepair } from '../sources/repair.js';
import type { ModelFiles, ModelSource } from '../sources/types.js';
import { loadTokenizer } from '../tokenizer/index.js';
import type { Encoding, Tokenizer } from '../tokenizer/types.js';
import {
  assertDtypeRuns,
  chooseBackend,
  dtypeCandidates,
  makeReport,
  probeWebGpu,
  WEBGPU_UNSUPPORTED_OPS,
  type WebGpuProbe,
} from './backend.js';
import { MicroBatcher } from './batcher.js';
import { parseModelConfig, refineTask } from './config.js';
import { checkLoadOptions, LOAD_OPTION_KEYS } from './load-options.js';
import { type OnnxGraphSummary, summarizeOnnx } from './onnx-graph.js';
import { createSession, type Session } from './session.js';
import type {
  Backend,
  BackendReport,
  InferOptions,
  LoadedModel,
  LoadModelOptions,
  ModelInfo,
  TensorOutput,
} from './types.js';

/** Outputs that never carry a sequence axis. */
const POOLED_OUTPUTS = new Set(['pooler_output', 'sentence_embedding']);

/**
 * Loads a model folder (DESIGN.md layout) from any source, picks backend and dtype, validates the
 * config, tokenizer and graph against each other, and returns a ready {@link LoadedModel}.
 *
 * config.json, the tokenizer files and the ONNX graph are fetched concurrently as one operation: the
 * first failure cancels the other downloads and waits for them to stop before it rejects, so a failed
 * load writes nothing to the cache afterwards. A file that fails to parse or validate and that no
 * sha256 vouches for (a cached or downloaded copy without one) is discarded, from the cache too, and
 * fetched once more before the load fails; the error then says so (`details.refetched`).
 *
 * @example
 * ```ts
 * const model = await loadModel('models/fixtures/bert-token-cls', { backend: 'wasm' });
 * const [out] = await model.infer([model.tokenizer.encode('Hello world')]);
 * out.logits.dims; // [4, 7]
 * ```
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions | null = {}): Promise<LoadedModel> {
  return (await loadModelWith(source, options)).model;
}

/**
 * What a head reads besides the model, run by {@link loadModelWith} with the model's config and
 * tokenizer, under the load's cancellation and self-repair. Read through `files` (not `model.files`).
 *
 * @example
 * ```ts
 * const readCrf: ExtraRead<CrfParams | undefined> = async ({ files, info, signal }) =>
 *   (await files.exists('crf.json', { signal }))
 *     ? parseCrf(await files.json('crf.json', { signal }), info.labels!.length)
 *     : undefined;
 * ```
 */
export type ExtraRead<T> = (context: {
  readonly files: ModelFiles;
  readonly info: ModelInfo;
  readonly tokenizer: Tokenizer;
  readonly signal: AbortSignal;
}) => Promise<T>;

/**
 * {@link loadModel} plus a head's own reads (`crf.json`, `1_Pooling/config.json`, ...): `extra` runs
 * as soon as config.json and the tokenizer are in, concurrently with the ONNX download and as part of
 * the same operation. If it fails, the downloads stop and the load rejects; if it fails on a file that
 * does not parse or validate (`MODEL_INVALID`, `TOKENIZER_MISMATCH`, or any non-bertweb error, which
 * becomes `MODEL_INVALID`), that file is repaired like the model's own.
 *
 * @example
 * ```ts
 * const { model, extra: crf } = await loadModelWith(source, options, readCrf);
 * ```
 */
export async function loadModelWith<T = undefined>(
  source: ModelSource,
  options: LoadModelOptions | null = {},
  extra?: ExtraRead<T>,
): Promise<{ readonly model: LoadedModel; readonly extra: T }> {
  // Options are checked before anything is fetched: unknown keys (a typo would be silently ignored) and types.
  options = check.options(options, 'options', LOAD_OPTION_KEYS);
  checkLoadOptions(options);
  throwIfAborted(options.signal);
  const files = resolveSource(source, options);
  return readWithRepair(files, (tracked) => loadOnce(source, files, tracked, options, extra));
}

/**
 * Runs a head's own reads on a model that is loaded already (a shared {@link LoadedModel}) with the
 * guarantees of {@link loadModelWith}: one operation under `signal`, and a file that fails to parse or
 * validate without a sha256 to vouch for it is discarded and read once more.
 *
 * @example
 * ```ts
 * const crf = await readModelExtra(model, readCrf, options.signal);
 * ```
 */
export async function readModelExtra<T>(model: LoadedModel, extra: ExtraRead<T>, signal?: AbortSignal): Promise<T> {
  throwIfAborted(signal);
  return readWithRepair(model.files, async (tracked) => {
    const [result] = await allOrAbort(
      [
        (group) =>
          tracked.check(['extra'], () =>
            extra({ files: tracked.part('extra'), info: model.info, tokenizer: model.tokenizer, signal: group }),
          ),
      ],
      signal,
    );
    return result;
  });
}

/** One attempt of {@link loadModelWith}: `tracked` remembers the files of earlier attempts. */
async function loadOnce<T>(
  source: ModelSource,
  files: ModelFiles,
  tracked: TrackedFiles,
  options: LoadModelOptions,
  extra: ExtraRead<T> | undefined,
): Promise<{ readonly model: LoadedModel; readonly extra: T }> {
  const { signal } = options;
  let configRead: Promise<ModelInfo> | undefined;
  let tokenizerRead: Promise<Tokenizer> | undefined;
  const [parsed, tokenizer, variant, extraResult] = await allOrAbort(
    [
      (group) =>
        (configRead = tracked.check(['config'], async () =>
          parseModelConfig(await tracked.part('config').json('config.json', { signal: group })),
        )),
      (group) =>
        (tokenizerRead = tracked.check(['tokenizer'], () =>
          // bertweb pads and windows by its own rules: a tokenizer.json's saved truncation/padding would cut inputs.
          loadTokenizer(tracked.part('tokenizer'), {
            signal: group,
            useSavedTruncation: false,
            useSavedPadding: false,
            ...(options.lowercase !== undefined ? { lowercase: options.lowercase } : {}),
          }),
        )),
      async (group) => {
        const gpu = options.backend === 'wasm' ? NO_GPU_PROBE : await probeWebGpu();
        const choice = chooseBackend(options.backend ?? 'auto', gpu);
        const reasons = [...choice.reasons];
        const read = await readVariant(
          tracked.part('onnx'),
          choice.backend,
          gpu,
          { ...options, signal: group },
          reasons,
        );
        return { ...read, gpu, choice, reasons };
      },
      async (group) => {
        if (!extra) return undefined as T;
        const [info, tok] = await Promise.all([configRead, tokenizerRead]);
        const context = { files: tracked.part('extra'), info: info!, tokenizer: tok!, signal: group };
        return tracked.check(['extra'], () => extra(context));
      },
    ],
    signal,
  );
  let info = parsed;
  const { dtype, bytes, gpu, choice, reasons } = variant;
  await tracked.check(['config', 'tokenizer'], () => checkVocab(info, tokenizer));
  const graph = await tracked.check(['onnx'], () => summarizeOnnx(bytes));
  await tracked.check(['config', 'tokenizer', 'onnx'], () => checkGraph(info, tokenizer, graph, DTYPE_FILES[dtype]));

  let backend: Backend = choice.backend;
  if (backend === 'webgpu' && dtype === 'fp16' && !gpu.shaderF16) {
    backend = 'wasm';
    reasons.push(`auto: ${DTYPE_FILES[dtype]} needs shader-f16 on WebGPU, which this adapter lacks; using WASM`);
  }
  const unsupported = [...graph.opTypes].filter((op) => WEBGPU_UNSUPPORTED_OPS.has(op));
  if (backend === 'webgpu' && unsupported.length > 0) {
    if (options.backend === 'webgpu') {
      reasons.push(`${unsupported.join(', ')} have no WebGPU kernels and will run on the CPU`);
    } else {
      backend = 'wasm';
      reasons.push(`auto: ${DTYPE_FILES[dtype]} uses ${unsupported.join(', ')} (no WebGPU kernels); using WASM`);
    }
  }

  let session: Session;
  try {
    session = await tracked.check(['onnx'], () => createSession(bytes, backend));
  } catch (error) {
    if (!(backend === 'webgpu' && options.backend !== 'webgpu' && isBackendFailure(error))) throw error;
    reasons.push(`auto: WebGPU session failed (${(error as Error).message}); using WASM`);
    backend = 'wasm';
    session = await tracked.check(['onnx'], () => createSession(bytes, backend));
  }
  let model: Model;
  try {
    throwIfAborted(signal);
    info = refineTask(info, session.outputNames);
    const report = makeReport(backend, dtype, gpu, reasons);
    model = new Model(source, files, info, tokenizer, report, session, options);
  } catch (error) {
    await session.dispose();
    throw error;
  }
  notifyProgress(options.onProgress, {
    status: 'ready',
    file: model.backend.file,
    loaded: bytes.length,
    total: bytes.length,
  });
  return { model, extra: extraResult };
}

const NO_GPU_PROBE: WebGpuProbe = { available: false, shaderF16: false, reason: 'WASM requested' };

/**
 * The ONNX file to run: the first candidate dtype whose file exists (the last one is read without
 * asking). A candidate that exists by `exists` but is not found when read (a server whose HEAD and GET
 * disagree) counts as absent.
 */
async function readVariant(
  files: ModelFiles,
  backend: Backend,
  gpu: WebGpuProbe,
  options: LoadModelOptions,
  reasons: string[],
): Promise<{ dtype: Dtype; bytes: Uint8Array }> {
  const candidates = dtypeCandidates(backend, gpu, options.dtype);
  for (const dtype of candidates) {
    const file = DTYPE_FILES[dtype];
    const isLast = dtype === candidates[candidates.length - 1];
    if (!isLast && !(await files.exists(file, { signal: options.signal }))) {
      reasons.push(`${file} not found`);
      continue;
    }
    // Fail before downloading when WebGPU was asked for explicitly (under auto, fp16 goes to WASM below).
    if (options.backend === 'webgpu') assertDtypeRuns(backend, dtype, gpu);
    let bytes: Uint8Array;
    try {
      bytes = await files.bytes(file, {
        signal: options.signal,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } catch (error) {
      if (isLast || !isBertwebError(error, 'MODEL_NOT_FOUND')) throw error;
      reasons.push(`${file} not found (its existence check said otherwise)`);
      continue;
    }
    reasons.push(`${backend}: using ${dtype} (${file})`);
    return { dtype, bytes };
  }
  throw new BertwebError('MODEL_NOT_FOUND', `${files.id}: no ONNX file found`);
}

function isBackendFailure(error: unknown): boolean {
  return error instanceof BertwebError && error.code === 'BACKEND_UNAVAILABLE';
}

function checkVocab(info: ModelInfo, tokenizer: Tokenizer): void {
  if (tokenizer.vocabSize > info.vocabSize) {
    throw new BertwebError(
      'TOKENIZER_MISMATCH',
      `the tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${info.vocabSize}`,
      { tokenizer: tokenizer.vocabSize, config: info.vocabSize },
    );
  }
}

function checkGraph(info: ModelInfo, tokenizer: Tokenizer, graph: OnnxGraphSummary, file: string): void {
  for (const input of ['input_ids', 'attention_mask']) {
    if (!graph.inputs.includes(input)) {
      throw new BertwebError('MODEL_INVALID', `${file} has no ${input} input (inputs: ${graph.inputs.join(', ')})`);
    }
  }
  const unknownInputs = graph.inputs.filter((n) => !['input_ids', 'attention_mask', 'token_type_ids'].includes(n));
  if (unknownInputs.length > 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      `${file} needs inputs bertweb does not provide: ${unknownInputs.join(', ')}`,
    );
  }
  const required = TASK_OUTPUTS[info.task];
  const missing = required.filter((name) => !graph.outputs.includes(name));
  if (missing.length > 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      `${file} lacks the ${missing.join(', ')} output(s) that a ${info.task} model needs (outputs: ${graph.outputs.join(', ')})`,
      { missing, outputs: graph.outputs },
    );
  }
  if (graph.embeddingRows !== undefined) {
    if (graph.embeddingRows !== info.vocabSize) {
      throw new BertwebError(
        'MODEL_INVALID',
        `${file} has ${graph.embeddingRows} embedding rows but config.json vocab_size is ${info.vocabSize}`,
        { embeddingRows: graph.embeddingRows, vocabSize: info.vocabSize },
      );
    }
    if (tokenizer.vocabSize > graph.embeddingRows) {
      throw new BertwebError(
        'TOKENIZER_MISMATCH',
        `the tokenizer has ${tokenizer.vocabSize} tokens but the model embeds only ${graph.embeddingRows}`,
      );
    }
  }
}

class Model implements LoadedModel {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly #session: Session;
  readonly #batcher: MicroBatcher;
  readonly #maxLength: number;

  constructor(
    readonly source: ModelSource,
    readonly files: ModelFiles,
    readonly info: ModelInfo,
    readonly tokenizer: Tokenizer,
    readonly backend: BackendReport,
    session: Session,
    options: LoadModelOptions,
  ) {
    this.#session = session;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    this.#maxLength = info.maxPositions;
    const sequenceLogits = info.task === 'sequence-classification';
    this.#batcher = new MicroBatcher(session, {
      maxBatchTokens: options.maxBatchTokens ?? env.maxBatchTokens,
      maxBatchSize: options.maxBatchSize ?? env.maxBatchSize[backend.backend],
      padId: tokenizer.specialTokens.pad.id,
      useTokenTypes: session.inputNames.includes('token_type_ids'),
      isPerToken: (name, dims) =>
        dims.length >= 2 && !POOLED_OUTPUTS.has(name) && !(sequenceLogits && name === 'logits'),
    });
  }

  get disposed(): boolean {
    return this.#session.disposed;
  }

  async infer(encodings: readonly Encoding[], options: InferOptions = {}): Promise<Record<string, TensorOutput>[]> {
    if (this.disposed) throw new BertwebError('DISPOSED', 'the model was disposed');
    encodings.forEach((encoding, index) => {
      if (encoding.ids.length > this.#maxLength) {
        throw new BertwebError(
          'INPUT_INVALID',
          `encoding ${index} has ${encoding.ids.length} tokens; the model accepts at most ${this.#maxLength} (truncate or window it)`,
        );
      }
    });
    try {
      return await this.#batcher.submit(encodings, options);
    } catch (error) {
      throw toBertwebError(error, 'RUNTIME');
    }
  }

  async dispose(): Promise<void> {
    this.#batcher.dispose();
    await this.#session.dispose();
  }
}
