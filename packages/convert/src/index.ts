/**
 * @bertweb/convert: Hugging Face and DeepPavlov PyTorch checkpoints -> ONNX (fp32, fp16, q8, q4), in
 * TypeScript, without Python. `convert` works on files in Node; `convertFiles` runs the same pipeline on
 * in-memory files (browser drag and drop, workers).
 */
export { BOOLEAN_FLAGS as CONVERT_BOOLEAN_FLAGS, CONVERT_USAGE, parseConvertArgs } from './args.js';
export { type ConvertFilesOptions, convertFiles, unpackArchive } from './convert-files.js';
export type { BaseModelFiles, FileContent } from './io/file-set.js';
export { type ConvertTask, type EncoderConfig, type ModelFamily, parseTask } from './model/config.js';
export { convert, type NodeConvertOptions, type NodeConvertResult } from './node.js';
export type { OnnxDtype, Q8Mode } from './onnx/bert-graph.js';
export {
  ALL_DTYPES,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertSummary,
  ONNX_FILE_NAMES,
  TOKENIZER_FILES,
} from './pipeline.js';
