/**
 * @bertweb/core: the runtime every bertweb head builds on — errors, settings, the model-folder layout,
 * model sources and cache, the WordPiece tokenizer, model loading on WebGPU / WASM, the head skeleton
 * and the worker protocol. The export list is deliberate: `src/public-api.test.ts` pins it.
 *
 * @example
 * ```ts
 * import { loadModel } from '@bertweb/core';
 * const model = await loadModel('models/fixtures/bert-base', { backend: 'wasm' });
 * const [out] = await model.infer([model.tokenizer.encode('Hello world')]);
 * ```
 *
 * @packageDocumentation
 */
import * as check from './head/validate.js';

export { type BertwebEnv, env, type LogLevel } from './env.js';
export {
  BertwebError,
  ERROR_CODES,
  type ErrorCode,
  isBertwebError,
  type SerializedBertwebError,
  throwIfAborted,
  toBertwebError,
} from './errors.js';
export {
  CALL_OPTION_KEYS,
  type CallOptions,
  defineHead,
  HEAD_DEFAULTS,
  HEAD_OPTION_KEYS,
  type Head,
  type HeadContext,
  type HeadDefinition,
  type HeadFactory,
  type HeadOptions,
  type JobRun,
  ModelHead,
  type OutputShapes,
} from './head/head.js';
export {
  ARCHITECTURES,
  architectureName,
  CONFIG_FILE,
  CRF_FILE,
  DTYPE_FILES,
  DTYPES,
  type Dtype,
  HEAD_SETTINGS_FILE,
  isDtype,
  MODEL_TASKS,
  type ModelFamily,
  type ModelTask,
  SENTENCE_TRANSFORMERS_FILES,
  TASK_OUTPUTS,
  TOKENIZER_FILES,
  taskOfArchitecture,
} from './layout.js';
export { probeWebGpu, type WebGpuProbe } from './runtime/backend.js';
export {
  CHECKPOINT_FILES,
  type ConversionReport,
  type ConverterOptions,
  type DeepPavlovPlan,
  type ModelConverter,
} from './runtime/conversion.js';
export { isLoadedModel } from './runtime/loaded-model.js';
export { type ExtraRead, loadModel } from './runtime/model.js';
export { type NativeProbe, probeNative } from './runtime/native.js';
export { loadOrt } from './runtime/ort.js';
export type {
  Backend,
  BackendPreference,
  BackendReport,
  InferOptions,
  LoadedModel,
  LoadModelOptions,
  ModelInfo,
  TensorOutput,
} from './runtime/types.js';
export { CacheApiModelCache } from './sources/cache/cache-api-cache.js';
export { defaultCache, requestPersistentStorage } from './sources/cache/default-cache.js';
export { FolderModelCache } from './sources/cache/folder-cache.js';
export { MemoryModelCache } from './sources/cache/memory-cache.js';
export { fileMapFromFiles } from './sources/files/map-files.js';
export { parseHubId } from './sources/hub.js';
export { resolveSource } from './sources/resolve.js';
export type {
  CacheEntry,
  DeepPavlovSource,
  DerivedFiles,
  EvictedCopy,
  FileBlob,
  FileMap,
  FileStat,
  ModelCache,
  ModelFiles,
  ModelSource,
  ProgressCallback,
  ProgressEvent,
  SourceOptions,
} from './sources/types.js';
export type { TokenizerLoadOptions } from './tokenizer/config.js';
export { loadTokenizer, tokenizerFromJson, tokenizerFromVocab } from './tokenizer/load.js';
export { TRUNCATION_STRATEGIES } from './tokenizer/options.js';
export type {
  EncodeOptions,
  Encoding,
  SpecialTokens,
  Tokenizer,
  TruncationOptions,
  TruncationStrategy,
  WordPieces,
} from './tokenizer/types.js';
export {
  type BertwebClient,
  type ConnectOptions,
  connect,
  type RemoteHead,
  type WorkerTarget,
} from './worker/connect.js';
export { PROTOCOL_VERSION, type TaskFactory, type TaskMap } from './worker/protocol.js';
export { serve } from './worker/serve.js';
export { type NodeMessagePortLike, nodeEndpoint } from './worker/wire.js';
export { check };
