/**
 * Starts onnxruntime-web's WebAssembly while a model's files are still downloading. ORT-web compiles and
 * instantiates its 14 MB WebAssembly (and starts its thread pool) only inside the first
 * `InferenceSession.create` of a realm, which bertweb can call only once the model bytes are read; a
 * session of a one-node graph created as soon as the backend is known moves that work off the critical
 * path, so that it overlaps the downloads and cache reads.
 */
import { loadOrt, prepareWasmThreads } from './ort.js';

/** Protobuf: a length-delimited field. */
function field(tag: number, bytes: readonly number[]): number[] {
  if (bytes.length > 127) throw new Error('prewarm graph field too long');
  return [tag, bytes.length, ...bytes];
}

function text(tag: number, value: string): number[] {
  return field(
    tag,
    [...value].map((c) => c.charCodeAt(0)),
  );
}

/** ValueInfoProto `name`: float tensor of shape [1]. */
function valueInfo(name: string): number[] {
  const dim = field(0x0a, [0x08, 0x01]); // Dimension { dim_value: 1 }
  const shape = field(0x12, dim); // TensorShapeProto { dim }
  const tensor = field(0x0a, [0x08, 0x01, ...shape]); // TypeProto.Tensor { elem_type: FLOAT, shape }
  return [...text(0x0a, name), ...field(0x12, tensor)];
}

/**
 * A ModelProto with one Identity node (`y = x`, float [1]), opset 13, IR version 8: the smallest graph
 * that makes ORT-web start its runtime.
 *
 * @example
 * ```ts
 * await ort.InferenceSession.create(identityModel(), { executionProviders: ['wasm'] });
 * ```
 */
export function identityModel(): Uint8Array {
  const node = [...text(0x0a, 'x'), ...text(0x12, 'y'), ...text(0x22, 'Identity')];
  const graph = [
    ...field(0x0a, node),
    ...text(0x12, 'prewarm'),
    ...field(0x5a, valueInfo('x')),
    ...field(0x62, valueInfo('y')),
  ];
  return new Uint8Array([0x08, 0x08, ...field(0x3a, graph), ...field(0x42, [0x10, 0x0d])]);
}

let warming: Promise<void> | undefined;

/**
 * Starts ORT-web's WASM runtime with the thread count a load will use (once per realm; later calls
 * return the same promise). Never rejects: a failure here shows again, with its reason, when the real
 * session is created.
 *
 * @example
 * ```ts
 * void prewarmWasm(options.numThreads); // then download the model, then createSession(bytes, 'wasm')
 * ```
 */
export function prewarmWasm(numThreads?: number): Promise<void> {
  warming ??= (async () => {
    try {
      const ort = await loadOrt('wasm');
      prepareWasmThreads(ort, numThreads, []);
      const session = await ort.InferenceSession.create(identityModel(), { executionProviders: ['wasm'] });
      await session.release();
    } catch {
      // The model's own session creation reports what went wrong.
    }
  })();
  return warming;
}
