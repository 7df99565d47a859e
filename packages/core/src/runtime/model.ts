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
import type { DeepPavlovSource, ModelFiles, ModelSource } from '../sources/types.js';
import { loadTokenizer } from '../tokenizer/index.js';
import type { Encoding, Tokenizer } from '../tokenizer/types.js';
import {
  assertBackendAvailable,
  assertDtypeRuns,
  chooseBackend,
  dtypeCandidates,
  makeReport,
  WEBGPU_UNSUPPORTED_OPS,
  type WebGpuProbe,
} from './backend.js';
import { MicroBatcher } from './batcher.js';
import { parseModelConfig, refineTask } from './config.js';
import {
  ConversionNeeded,
  type ConversionReport,
  convertedFiles,
  findCachedConversion,
  findConvertible,
} from './conversion.js';
import { checkLoadOptions, LOAD_OPTION_KEYS } from './load-options.js';
import { type OnnxGraphSummary, summarizeOnnx } from './onnx-graph.js';
import { prewarmWasm } from './prewarm.js';
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
 * `forHead` names the head that will run the model (`'tagger'`, ...): a DeepPavlov config made for another
 * head is refused with `INPUT_INVALID` before anything downloads.
 *
 * @example
 * ```ts
 * const { model, extra: crf } = await loadModelWith(source, options, readCrf, 'tagger');
 * ```
 */
export async function loadModelWith<T = undefined>(
  source: ModelSource,
  options: LoadModelOptions | null = {},
  extra?: ExtraRead<T>,
  forHead?: string,
): Promise<{ readonly model: LoadedModel; readonly extra: T }> {
  // Options are checked before anything is fetched: unknown keys (a typo would be silently ignored) and types.
  options = check.options(options, 'options', LOAD_OPTION_KEYS);
  checkLoadOptions(options);
  throwIfAborted(options.signal);
  // An explicit backend that cannot run here fails now, before any download.
  await assertBackendAvailable(options.backend);
  if (isDeepPavlovSource(source)) return loadDeepPavlov(source, options, extra, forHead);
  const files = resolveSource(source, options);
  try {
    return await readWithRepair(files, (tracked) => loadOnce(source, files, tracked, options, extra));
  } catch (error) {
    const needed = error instanceof ConversionNeeded ? error : await cachedConversionBehind(error, files, options);
    if (!needed) throw error;
    return loadConverted(source, files, needed, options, extra);
  }
}

/**
 * Offline, a read that runs beside the ONNX reader (a head's `head_settings.json`, a file never asked
 * about online) can fail with `NETWORK` before that reader finds the cached conversion: the conversion
 * is what loads then (its files replace the source's), not the error.
 */
async function cachedConversionBehind(
  error: unknown,
  files: ModelFiles,
  options: LoadModelOptions,
): Promise<ConversionNeeded | undefined> {
  if (!isBertwebError(error, 'NETWORK') || options.convert === false || options.signal?.aborted) return undefined;
  const choice = await chooseBackend(options.backend ?? 'auto');
  const dtype = dtypeCandidates(choice.backend, choice.gpu, options.dtype)[0];
  return dtype === undefined ? undefined : findCachedConversion(files, dtype).catch(() => undefined);
}

function isDeepPavlovSource(source: ModelSource): source is DeepPavlovSource {
  return typeof source === 'object' && source !== null && !(source instanceof URL) && 'deeppavlov' in source;
}

/**
 * A DeepPavlov config: its tarball (in its download folder, whose cache holds the conversion) converted
 * with its base transformer, in the dtype the backend prefers.
 */
async function loadDeepPavlov<T>(
  source: DeepPavlovSource,
  options: LoadModelOptions,
  extra: ExtraRead<T> | undefined,
  forHead: string | undefined,
): Promise<{ readonly model: LoadedModel; readonly extra: T }> {
  const converter = env.converter;
  if (!converter?.deeppavlov) {
    throw new BertwebError(
      'UNSUPPORTED',
      "loading a DeepPavlov config needs a converter: import 'bertweb' (it registers @bertweb/convert) or set env.converter",
    );
  }
  if (options.convert === false) {
    throw new BertwebError(
      'MODEL_NOT_FOUND',
      'a DeepPavlov config is always converted, and conversion is off (convert: false)',
      {
        reason: 'convert-disabled',
      },
    );
  }
  if (source.filesBaseUrl !== undefined) check.text(source.filesBaseUrl, 'filesBaseUrl');
  const plan = await converter.deeppavlov(source.deeppavlov, {
    ...(source.filesBaseUrl !== undefined ? { filesBaseUrl: source.filesBaseUrl } : {}),
  });
  if (forHead !== undefined && plan.head !== forHead) {
    throw new BertwebError(
      'INPUT_INVALID',
      `DeepPavlov config ${plan.name} is a ${plan.task} config for the ${plan.head} head, not the ${forHead}`,
      { config: plan.name, head: plan.head },
    );
  }
  throwIfAborted(options.signal);
  const cut = plan.archiveUrl.lastIndexOf('/') + 1;
  const files = resolveSource({ url: plan.archiveUrl.slice(0, cut) }, options);
  const base = plan.base ? resolveSource({ hub: plan.base }, options) : undefined;
  const choice = await chooseBackend(options.backend ?? 'auto');
  const dtype = options.dtype ?? (dtypeCandidates(choice.backend, choice.gpu)[0] as Dtype);
  const needed = new ConversionNeeded(decodeURIComponent(plan.archiveUrl.slice(cut)), dtype, files.id, { plan, base });
  return loadConverted(source, files, needed, options, extra);
}

/**
 * Loads what {@link convertedFiles} gives for a source without ONNX files: converted now (then cached once
 * the converted model loaded, i.e. verified) or read from the cache.
 */
async function loadConverted<T>(
  source: ModelSource,
  files: ModelFiles,
  needed: ConversionNeeded,
  options: LoadModelOptions,
  extra: ExtraRead<T> | undefined,
): Promise<{ readonly model: LoadedModel; readonly extra: T }> {
  const converted = await convertedFiles(files, needed, options);
  const loadOptions = { ...options, dtype: needed.dtype };
  const loaded = await readWithRepair(converted.files, (tracked) =>
    loadOnce(source, converted.files, tracked, loadOptions, extra, converted.report),
  );
  try {
    await converted.commit();
  } catch (error) {
    await loaded.model.dispose();
    throw error;
  }
  return loaded;
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
  conversion?: ConversionReport,
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
        const choice = await chooseBackend(options.backend ?? 'auto');
        // ORT-web's WebAssembly starts while the files download, not after (see prewarm.ts).
        if (choice.backend === 'wasm') void prewarmWasm(options.numThreads);
        const { gpu, native } = choice;
        const reasons = [...choice.reasons];
        const read = await readVariant(
          tracked.part('onnx'),
          choice.backend,
          gpu,
          { ...options, signal: group },
          reasons,
        );
        return { ...read, gpu, native, choice, reasons };
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
  const { dtype, bytes, gpu, native, choice, reasons } = variant;
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
  const sessionOptions = { numThreads: options.numThreads, reasons };
  try {
    session = await tracked.check(['onnx'], () => createSession(bytes, backend, sessionOptions));
  } catch (error) {
    if (!(backend !== 'wasm' && (options.backend ?? 'auto') === 'auto' && isBackendFailure(error))) throw error;
    reasons.push(
      `auto: ${backend === 'native' ? 'native' : 'WebGPU'} session failed (${(error as Error).message}); using WASM`,
    );
    backend = 'wasm';
    session = await tracked.check(['onnx'], () => createSession(bytes, backend, sessionOptions));
  }
  let model: Model;
  try {
    throwIfAborted(signal);
    info = refineTask(info, session.outputNames);
    const report = {
      ...makeReport(backend, dtype, gpu, reasons, { native, threads: session.threads }),
      ...(conversion ? { converted: conversion } : {}),
    };
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

/**
 * The ONNX file to run: the first candidate dtype whose file exists. A candidate that exists by `exists` but is not found when read (a server whose HEAD and GET
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
    // Asked even for the last candidate: offline, a file remembered as missing must not be fetched.
    if (!(await files.exists(file, { signal: options.signal }))) {
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
      if (!isBertwebError(error, 'MODEL_NOT_FOUND')) throw error;
      reasons.push(`${file} not found (its existence check said otherwise)`);
      continue;
    }
    reasons.push(`${backend}: using ${dtype} (${file})`);
    return { dtype, bytes };
  }
  // No ONNX file at all: PyTorch / safetensors weights are converted (loadModelWith catches this), in the
  // dtype this backend prefers, unless conversion is off or impossible (MODEL_NOT_FOUND saying why).
  throw await findConvertible(files, candidates[0] as Dtype, options);
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
