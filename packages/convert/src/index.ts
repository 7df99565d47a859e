/**
 * @bertweb/convert: Hugging Face and DeepPavlov PyTorch checkpoints -> ONNX (fp32, fp16, q8, q4), in
 * TypeScript, without Python. `convert` works on files in Node; `convertFiles` runs the same pipeline on
 * in-memory files (browser drag and drop, workers). The folder layout it writes is core's
 * (`DTYPE_FILES`, `TOKENIZER_FILES` in `@bertweb/core`).
 *
 * @packageDocumentation
 */
export { type ConvertFilesOptions, convertFiles, unpackArchive } from './convert-files.js';
export type { ByteSource } from './io/byte-source.js';
export type { BaseModelFiles, FileContent } from './io/file-set.js';
export { type EncoderConfig, parseTask } from './model/config.js';
export { modelConverter } from './model-converter.js';
export { convert, type NodeConvertOptions, type NodeConvertResult, openFileSource } from './node.js';
export { Q8_MODES, type Q8Mode } from './onnx/bert-graph.js';
export { type Chunk, type LazyBytes, writeChunks } from './onnx/proto.js';
export type { ConvertOptions, ConvertProgress, ConvertSummary, OutputSink } from './pipeline.js';
export { CONVERTER_VERSION } from './version.js';
