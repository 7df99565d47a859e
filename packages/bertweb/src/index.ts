/**
 * bertweb: BERT-family models on the client (WebGPU / WASM, Web Workers, Node). Re-exports what an
 * application uses from core and every head; `bertweb/worker` is the default worker entry. Writing a
 * head of your own (`defineHead`, `ModelHead`, `check`) or converting checkpoints needs
 * `@bertweb/core` / `@bertweb/convert` directly. `src/public-api.test.ts` pins this list.
 *
 * @example
 * ```ts
 * import { createTagger } from 'bertweb';
 * const tagger = await createTagger('/models/ner-ru-tiny/');
 * const [entities] = await tagger.tag(['Владимир Путин посетил Казань.']);
 * ```
 *
 * @packageDocumentation
 */
export {
  type Activation,
  type CandidateScores,
  type Classification,
  type Classifier,
  type ClassifierInput,
  type ClassifierOptions,
  type ClassifyOptions,
  createClassifier,
  createRanker,
  type LabelScore,
  type PairTokenTypes,
  RANKER_DEFAULTS,
  type RankedCandidate,
  type Ranker,
  type RankerOptions,
  type RankerScoring,
  type RankOptions,
  type RerankedHit,
  type RerankInput,
  type ScoreMatrix,
} from '@bertweb/classify';
export {
  type Backend,
  type BackendPreference,
  type BackendReport,
  type BertwebClient,
  type BertwebEnv,
  BertwebError,
  CacheApiModelCache,
  type CacheEntry,
  type CallOptions,
  type ConnectOptions,
  type ConversionReport,
  connect,
  type DeepPavlovSource,
  DTYPE_FILES,
  DTYPES,
  type Dtype,
  defaultCache,
  type EncodeOptions,
  type Encoding,
  ERROR_CODES,
  type ErrorCode,
  env,
  type FileMap,
  FolderModelCache,
  fileMapFromFiles,
  HEAD_DEFAULTS,
  type Head,
  type HeadOptions,
  type InferOptions,
  isBertwebError,
  isLoadedModel,
  type LoadedModel,
  type LoadModelOptions,
  type LogLevel,
  loadModel,
  loadTokenizer,
  MemoryModelCache,
  type ModelCache,
  type ModelConverter,
  type ModelFiles,
  type ModelInfo,
  type ModelSource,
  type ModelTask,
  type NativeProbe,
  type ProgressCallback,
  type ProgressEvent,
  probeNative,
  probeWebGpu,
  type RemoteHead,
  requestPersistentStorage,
  resolveSource,
  type SerializedBertwebError,
  type SourceOptions,
  type SpecialTokens,
  serve,
  type TaskFactory,
  type TaskMap,
  type TensorOutput,
  type Tokenizer,
  type TruncationOptions,
  type TruncationStrategy,
  tokenizerFromJson,
  tokenizerFromVocab,
  type WebGpuProbe,
  type WordPieces,
  type WorkerTarget,
} from '@bertweb/core';
export {
  createEmbedder,
  type DetailedEmbedding,
  EMBEDDER_DEFAULTS,
  type Embedder,
  type EmbedderOptions,
  type EmbeddingMatrix,
  type Embeddings,
  type EmbedOptions,
  type LongTextMode,
  type Pooling,
  type ScoredIndex,
  type SearchHit,
  type SearchKernel,
  type SimilarityMatrix,
  similarity,
  similarityMatrix,
  topK,
  type VectorId,
  VectorIndex,
  type VectorIndexMemory,
  type VectorIndexOptions,
} from '@bertweb/embeddings';
export {
  type Answer,
  type AnswerOptions,
  type AnswerRule,
  createReader,
  READER_DEFAULTS,
  type Reader,
  type ReaderOptions,
} from '@bertweb/qa';
export {
  type CrfParams,
  createTagger,
  type Entity,
  type SubwordMaskMode,
  splitWords,
  TAGGER_DEFAULTS,
  type Tagger,
  type TaggerEncoding,
  type TaggerOptions,
  type TagOptions,
  type TagScheme,
  type TagWordsOptions,
  type Word,
  type WordSplit,
  type WordTags,
} from '@bertweb/tagging';
export { lazyConverter } from './converter.js';
export { defaultTasks } from './tasks.js';

import { installConverter } from './converter.js';

// Checkpoints without ONNX files convert on load wherever bertweb is imported (the worker entry too).
installConverter();
