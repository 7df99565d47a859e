/** Runtime contracts: backends, model info, loaded models. */

import type { Dtype, ModelTask } from '../layout.js';
import type { ModelFiles, ModelSource, ProgressCallback, SourceOptions } from '../sources/types.js';
import type { Encoding, Tokenizer } from '../tokenizer/types.js';

/** An execution backend of onnxruntime-web. */
export type Backend = 'webgpu' | 'wasm';
/** What the caller asks for; `auto` picks WebGPU when usable, else WASM. */
export type BackendPreference = 'auto' | Backend;

/** What was chosen and why: every fallback leaves a reason. */
export interface BackendReport {
  readonly backend: Backend;
  readonly dtype: Dtype;
  /** ONNX file used, e.g. `onnx/model_quantized.onnx`. */
  readonly file: string;
  /** Human-readable reasons for each fallback or choice made along the way. */
  readonly reasons: readonly string[];
  readonly webgpu: {
    readonly available: boolean;
    readonly shaderF16: boolean;
    readonly adapter?: { readonly vendor: string; readonly architecture: string; readonly description?: string };
    readonly limits?: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  };
  readonly wasm: { readonly threads: number; readonly simd: boolean; readonly crossOriginIsolated: boolean };
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
  /** Default: q8 on WASM, fp32 on WebGPU (fp16 with shader-f16 when the variant exists). */
  readonly dtype?: Dtype;
  /** Max tokens (padded batch size x sequence length) per session run; default `env.maxBatchTokens`. */
  readonly maxBatchTokens?: number;
  /** Max sequences per session run; default `env.maxBatchSize` (8 on WASM, 32 on WebGPU). */
  readonly maxBatchSize?: number;
  /**
   * Lowercase input text (or not) whatever the tokenizer files say, as DeepPavlov's `do_lower_case` does
   * (several of its classifiers lowercase cased models). Default: the files' setting.
   */
  readonly lowercase?: boolean;
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
