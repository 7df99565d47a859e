/** loadModel: source -> config + tokenizer + session on the best backend + micro-batcher. */
import { env } from '../env.js';
import { BertwebError, throwIfAborted, toBertwebError } from '../errors.js';
import { DTYPE_FILES, type Dtype, TASK_OUTPUTS } from '../layout.js';
import { resolveSource } from '../sources/index.js';
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
 * @example
 * ```ts
 * const model = await loadModel('models/fixtures/bert-token-cls', { backend: 'wasm' });
 * const [out] = await model.infer([model.tokenizer.encode('Hello world')]);
 * out.logits.dims; // [4, 7]
 * ```
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { signal } = options;
  throwIfAborted(signal);
  const files = resolveSource(source, options);
  const [config, tokenizer, gpu] = await Promise.all([
    files.json('config.json', { signal }),
    // bertweb pads and windows by its own rules: a tokenizer.json's saved truncation/padding would cut inputs.
    loadTokenizer(files, { signal, useSavedTruncation: false, useSavedPadding: false }),
    options.backend === 'wasm' ? Promise.resolve(NO_GPU_PROBE) : probeWebGpu(),
  ]);
  let info = parseModelConfig(config);
  checkVocab(info, tokenizer);

  const choice = chooseBackend(options.backend ?? 'auto', gpu);
  const reasons = [...choice.reasons];
  const { dtype, bytes } = await readVariant(files, choice.backend, gpu, options, reasons);
  const graph = summarizeOnnx(bytes);
  checkGraph(info, tokenizer, graph, DTYPE_FILES[dtype]);

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
    session = await createSession(bytes, backend);
  } catch (error) {
    if (!(backend === 'webgpu' && options.backend !== 'webgpu' && isBackendFailure(error))) throw error;
    reasons.push(`auto: WebGPU session failed (${(error as Error).message}); using WASM`);
    backend = 'wasm';
    session = await createSession(bytes, backend);
  }
  if (signal?.aborted) {
    await session.dispose();
    throwIfAborted(signal);
  }
  info = refineTask(info, session.outputNames);
  const report = makeReport(backend, dtype, gpu, reasons);
  options.onProgress?.({ status: 'ready', file: report.file, loaded: bytes.length, total: bytes.length });
  return new Model(source, files, info, tokenizer, report, session, options);
}

const NO_GPU_PROBE: WebGpuProbe = { available: false, shaderF16: false, reason: 'WASM requested' };

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
    const bytes = await files.bytes(file, {
      signal: options.signal,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
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
