/**
 * A minimal, read-only ONNX protobuf walker: just enough of the graph to validate a model before
 * running it (input/output names, operator types, the word-embedding table's row count). It skips
 * tensor payloads without copying them, so it is cheap even for large files.
 */
import { BertwebError } from '../errors.js';

/** What bertweb needs to know about an ONNX graph before creating a session. */
export interface OnnxGraphSummary {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Distinct operator types, with their domain prefix when not the default one (`com.microsoft.MatMulNBits`). */
  readonly opTypes: ReadonlySet<string>;
  /** Rows of the table gathered by `input_ids` (the word embeddings), when found. */
  readonly embeddingRows: number | undefined;
  readonly opsetVersion: number | undefined;
}

// Protobuf field numbers from onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OP_TYPE = 4;
const NODE_DOMAIN = 7;
const TENSOR_DIMS = 1;
const TENSOR_NAME = 8;
const VALUE_INFO_NAME = 1;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;

const decoder = new TextDecoder();

/**
 * Summarizes an ONNX model without running it; `MODEL_INVALID` when the bytes are not a model.
 *
 * @example
 * ```ts
 * const graph = summarizeOnnx(bytes);
 * if (!graph.outputs.includes('logits')) throw new Error('not a classifier');
 * ```
 */
export function summarizeOnnx(bytes: Uint8Array): OnnxGraphSummary {
  try {
    return summarize(bytes);
  } catch (error) {
    if (error instanceof BertwebError) throw error;
    throw new BertwebError('MODEL_INVALID', `not a valid ONNX model: ${(error as Error).message}`);
  }
}

function summarize(bytes: Uint8Array): OnnxGraphSummary {
  let graph: Uint8Array | undefined;
  let opsetVersion: number | undefined;
  for (const field of fields(bytes)) {
    if (field.number === MODEL_GRAPH && field.bytes) graph = field.bytes;
    else if (field.number === MODEL_OPSET_IMPORT && field.bytes) {
      let domain = '';
      let version: number | undefined;
      for (const f of fields(field.bytes)) {
        if (f.number === OPSET_DOMAIN && f.bytes) domain = decoder.decode(f.bytes);
        if (f.number === OPSET_VERSION && f.varint !== undefined) version = f.varint;
      }
      if (domain === '' || domain === 'ai.onnx') opsetVersion = version;
    }
  }
  if (!graph) throw new BertwebError('MODEL_INVALID', 'not a valid ONNX model: no graph');

  const inputs: string[] = [];
  const outputs: string[] = [];
  const initializerRows = new Map<string, number>();
  const opTypes = new Set<string>();
  let embeddingTable: string | undefined;
  for (const field of fields(graph)) {
    if (!field.bytes) continue;
    if (field.number === GRAPH_INPUT || field.number === GRAPH_OUTPUT) {
      const name = firstString(field.bytes, VALUE_INFO_NAME);
      if (name !== undefined) (field.number === GRAPH_INPUT ? inputs : outputs).push(name);
    } else if (field.number === GRAPH_NODE) {
      const nodeInputs: string[] = [];
      let opType = '';
      let domain = '';
      for (const f of fields(field.bytes)) {
        if (!f.bytes) continue;
        if (f.number === NODE_INPUT) nodeInputs.push(decoder.decode(f.bytes));
        else if (f.number === NODE_OP_TYPE) opType = decoder.decode(f.bytes);
        else if (f.number === NODE_DOMAIN) domain = decoder.decode(f.bytes);
      }
      opTypes.add(domain && domain !== 'ai.onnx' ? `${domain}.${opType}` : opType);
      const gathersIds = opType === 'Gather' || opType === 'GatherBlockQuantized';
      if (gathersIds && nodeInputs[1] === 'input_ids' && embeddingTable === undefined) embeddingTable = nodeInputs[0];
    } else if (field.number === GRAPH_INITIALIZER) {
      let name: string | undefined;
      let firstDim: number | undefined;
      for (const f of fields(field.bytes)) {
        if (f.number === TENSOR_NAME && f.bytes) name = decoder.decode(f.bytes);
        else if (f.number === TENSOR_DIMS && firstDim === undefined) {
          firstDim = f.varint ?? (f.bytes ? readVarint(f.bytes, 0).value : undefined);
        }
      }
      if (name !== undefined && firstDim !== undefined) initializerRows.set(name, firstDim);
    }
  }
  if (inputs.length === 0 || outputs.length === 0) {
    throw new BertwebError('MODEL_INVALID', 'not a valid ONNX model: the graph has no inputs or outputs');
  }
  const embeddingRows = embeddingTable === undefined ? undefined : initializerRows.get(embeddingTable);
  return { inputs, outputs, opTypes, embeddingRows, opsetVersion };
}

interface Field {
  readonly number: number;
  readonly varint?: number;
  readonly bytes?: Uint8Array;
}

/** Iterates the top-level fields of one protobuf message. */
function* fields(buffer: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < buffer.length) {
    const key = readVarint(buffer, pos);
    pos = key.next;
    const number = Math.floor(key.value / 8);
    const wireType = key.value % 8;
    if (number === 0) throw new Error('field number 0');
    switch (wireType) {
      case 0: {
        const v = readVarint(buffer, pos);
        pos = v.next;
        yield { number, varint: v.value };
        break;
      }
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = readVarint(buffer, pos);
        const end = len.next + len.value;
        if (end > buffer.length) throw new Error('truncated message');
        yield { number, bytes: buffer.subarray(len.next, end) };
        pos = end;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  if (pos > buffer.length) throw new Error('truncated message');
}

function firstString(buffer: Uint8Array, fieldNumber: number): string | undefined {
  for (const f of fields(buffer)) if (f.number === fieldNumber && f.bytes) return decoder.decode(f.bytes);
  return undefined;
}

/** Varints up to 2^53 (enough for dims and lengths); larger values lose precision, never wrap. */
function readVarint(buffer: Uint8Array, start: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  let pos = start;
  for (;;) {
    if (pos >= buffer.length) throw new Error('truncated varint');
    const byte = buffer[pos++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: pos };
    scale *= 128;
    if (pos - start > 10) throw new Error('varint too long');
  }
}
