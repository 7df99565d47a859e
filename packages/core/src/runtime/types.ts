/** Runtime contracts: backends, model info, loaded models. */

import type { Dtype, ModelTask } from '../layout.js';
import type { ModelFiles, ModelSource, ProgressCallback, SourceOptions } from '../sources/types.js';
import type { Encoding, Tokenizer } from '../tokenizer/types.js';
import type { ConversionReport } from './conversion.js';

/**
 * An execution backend: onnxruntime-web's `webgpu` and `wasm`, or `native` (onnxruntime-node's CPU
 * provider, Node only, when the optional dependency onnxruntime-node is installed).
 */
export type Backend = 'webgpu' | 'wasm' | 'native';
/**
 * What the caller asks for. `auto`: in Node, `native` when onnxruntime-node loads; else WebGPU when an
 * adapter exists and the model's ops run there; else WASM. Every fallback leaves a reason.
 */
export type BackendPreference = 'auto' | Backend;

/** What was chosen and why: every fallback leaves a reason. */
export interface BackendReport {
  readonly backend: Backend;
  readonly dtype: Dtype;
  /** ONNX file used, e.g. `onnx/model_quantized.onnx`. */
  readonly file: string;
  /** Human-readable reasons for each fallback or choice made along the way. */
  readonly reasons: readonly string[];
  /** Set when the model was converted from PyTorch / safetensors weights at load time (or read from that cache). */
  readonly converted?: ConversionReport;
  readonly webgpu: {
    readonly available: boolean;
    readonly shaderF16: boolean;
    readonly adapter?: { readonly vendor: string; readonly architecture: string; readonly description?: string };
    readonly limits?: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  };
  /**
   * onnxruntime-web's WASM: `threads` is the thread count it runs with in this realm (fixed when its
   * WebAssembly starts; before that, the count it will start with). The CPU side of `webgpu` sessions too.
   */
  readonly wasm: { readonly threads: number; readonly simd: boolean; readonly crossOriginIsolated: boolean };
  /**
   * onnxruntime-node: `available` when it was probed and loads here (it is probed in Node only, for `auto`
   * and `native`); `threads` is this model's intra-op thread count when `backend` is `'native'`.
   */
  readonly native: { readonly available: boolean; readonly version?: string; readonly threads?: number };
}

/** What config.json says about a model, normalized across BERT and DistilBERT naming. */
export interface ModelInfo {
  readonly modelType: string;
  readonly architecture: string | undefined;
  readonly task: ModelTask;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly maxPositions: number;
  /** 0 for models without token types (DistilBERT). */
  readonly typeVocabSize: number;
  /** Labels by id, from `id2label`, when the config has them. */
  readonly labels: readonly string[] | undefined;
  readonly problemType: 'single_label_classification' | 'multi_label_classification' | 'regression' | undefined;
  /** The parsed config.json, untouched. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** One output tensor of one input, with the batch padding removed. */
export interface TensorOutput {
  readonly data: Float32Array;
  /** Without the batch dimension, e.g. `[seqLen, numLabels]` or `[hidden]`. */
  readonly dims: readonly number[];
}

/** Options of {@link LoadedModel.infer}. */
export interface InferOptions {
  readonly signal?: AbortSignal;
  /** Output names to return (default: all graph outputs). */
  readonly outputs?: readonly string[];
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends SourceOptions {
  readonly backend?: BackendPreference;
  /**
   * Default: q8 on WASM and native, fp32 on WebGPU (fp16 with shader-f16 when the variant exists), each
   * falling back to the variants the folder has.
   */
  readonly dtype?: Dtype;
  /**
   * CPU threads for this model; default `env.numThreads`, else min(4, cores) on WASM where
   * SharedArrayBuffer exists (Node, cross-origin isolated pages) and 1 where it does not, and the
   * physical cores on native. Native sessions each take their own count. onnxruntime-web reads its count
   * once, when its WebAssembly starts (the first WASM or WebGPU session of the realm): the first such load
   * decides, and a later load asking for another count runs with the running one, with a reason in
   * `backend.reasons`.
   */
  readonly numThreads?: number;
  /** Max tokens (padded batch size x sequence length) per session run; default `env.maxBatchTokens`. */
  readonly maxBatchTokens?: number;
  /** Max sequences per session run; default `env.maxBatchSize` for the backend (8 on WASM, 32 on WebGPU, 16 on native). */
  readonly maxBatchSize?: number;
  /**
   * Lowercase input text (or not) whatever the tokenizer files say, as DeepPavlov's `do_lower_case` does
   * (several of its classifiers lowercase cased models). Default: the files' setting.
   */
  readonly lowercase?: boolean;
  /**
   * Convert a checkpoint that has PyTorch / safetensors weights but no ONNX file, at load time (default
   * true; needs `env.converter`, which `bertweb` installs). `false`: such a source is `MODEL_NOT_FOUND`.
   */
  readonly convert?: boolean;
  /** Also cache the raw checkpoint a conversion downloads (default false: it is 4x a q8 model). */
  readonly keepCheckpoint?: boolean;
  readonly onProgress?: ProgressCallback;
}

/**
 * A model ready to run: config, tokenizer, session and the micro-batcher.
 */
export interface LoadedModel {
  readonly source: ModelSource;
  readonly files: ModelFiles;
  readonly info: ModelInfo;
  readonly tokenizer: Tokenizer;
  readonly backend: BackendReport;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model on encodings (coalesced with concurrent calls into padded micro-batches). */
  infer(encodings: readonly Encoding[], options?: InferOptions): Promise<Record<string, TensorOutput>[]>;
  /** Frees the session; later calls reject with `DISPOSED`. */
  dispose(): Promise<void>;
  readonly disposed: boolean;
}
