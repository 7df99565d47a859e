/**
 * Version of the converter's output. It is written into every ONNX file (`producer_version`) and is part
 * of the cache key of models converted at load time: bump it whenever the bytes a conversion writes for
 * the same checkpoint change (graph, quantization, side files).
 *
 * @example
 * ```ts
 * const key = `${source}@${revision}/${dtype}/convert-${CONVERTER_VERSION}`;
 * ```
 */
export const CONVERTER_VERSION = '0.3.0';
