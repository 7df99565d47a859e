/**
 * @bertweb/core: the runtime every bertweb head builds on — errors, model sources and cache,
 * the WordPiece tokenizer, backends, sessions, micro-batching and the worker protocol.
 *
 * @packageDocumentation
 */

export { type BertwebEnv, env, type LogLevel } from './env.js';
export {
  CALL_OPTION_KEYS,
  type CallOptions,
  defineHead,
  HEAD_DEFAULTS,
  HEAD_OPTION_KEYS,
  type Head,
  type HeadContext,
  type HeadDefinition,
  type HeadOptions,
  type JobRun,
  ModelHead,
  type OutputShapes,
} from './head/head.js';

import * as check from './head/validate.js';

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
  ARCHITECTURES,
  architectureName,
  CONFIG_FILE,
  CRF_FILE,
  DTYPE_FILES,
  DTYPES,
  type Dtype,
  isDtype,
  MODEL_TASKS,
  type ModelFamily,
  type ModelTask,
  SENTENCE_TRANSFORMERS_FILES,
  TASK_OUTPUTS,
  TOKENIZER_FILES,
  taskOfArchitecture,
} from './layout.js';
export { probeWebGpu, type WebGpuProbe, wasmSimdSupported } from './runtime/backend.js';
export { type BatcherOptions, MicroBatcher, planBatches } from './runtime/batcher.js';
export { parseModelConfig } from './runtime/config.js';
export { loadModel } from './runtime/model.js';
export { type OnnxGraphSummary, summarizeOnnx } from './runtime/onnx-graph.js';
export { loadOrt } from './runtime/ort.js';
export { isLoadedModel, type ResolvedModel, resolveModel } from './runtime/resolve-model.js';
export { createSession, type RawTensor, type Session } from './runtime/session.js';
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
export * from './sources/index.js';
export type {
  CacheEntry,
  FileMap,
  ModelCache,
  ModelFiles,
  ModelSource,
  ProgressCallback,
  ProgressEvent,
  SourceOptions,
} from './sources/types.js';
export * from './tokenizer/index.js';
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
