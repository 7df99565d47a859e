import { BertwebError } from '../core.js';
import { type Chunk, chunkPieces, type LazyBytes, ProtoMessage } from './proto.js';

/** ONNX `TensorProto.DataType` values used by the converter. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** Bytes per element of each {@link DataType}. */
export const DATA_TYPE_SIZE: Readonly<Record<DataType, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.FLOAT16]: 2,
};

/** An attribute value: ints and int lists are int64, floats need {@link float} to be told apart. */
export type AttributeValue =
  | number
  | bigint
  | string
  | readonly number[]
  | { readonly float: number }
  | { readonly floats: readonly number[] };

/**
 * Marks a number as a float attribute (plain numbers are ints).
 *
 * @example
 * ```ts
 * g.node('LayerNormalization', [x, w, b], { epsilon: float(1e-12), axis: -1 });
 * ```
 */
export function float(value: number): { readonly float: number } {
  return { float: value };
}

/** A symbolic or fixed dimension of a graph input or output. */
export type Dim = number | string;

interface ValueInfo {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly Dim[];
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

function encodeAttribute(name: string, value: AttributeValue): ProtoMessage {
  const attr = new ProtoMessage().string(1, name);
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) {
      throw new BertwebError('INTERNAL', `attribute ${name}: ${value} is not an int; wrap floats in float()`);
    }
    return attr.int(20, ATTR_INT).int(3, value);
  }
  if (typeof value === 'string') return attr.int(20, ATTR_STRING).string(4, value);
  if ('float' in value) return attr.int(20, ATTR_FLOAT).float(2, value.float);
  if ('floats' in value) {
    attr.int(20, ATTR_FLOATS);
    for (const v of value.floats) attr.float(7, v);
    return attr;
  }
  attr.int(20, ATTR_INTS);
  for (const v of value) attr.int(8, v);
  return attr;
}

function encodeValueInfo(info: ValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  for (const dim of info.dims) {
    const d = new ProtoMessage();
    if (typeof dim === 'number') d.int(1, dim);
    else d.string(2, dim);
    shape.message(1, d);
  }
  const tensorType = new ProtoMessage().int(1, info.type).message(2, shape);
  const type = new ProtoMessage().message(1, tensorType);
  return new ProtoMessage().string(1, info.name).message(2, type);
}

/**
 * Builds an ONNX graph: nodes in topological order (the order they are added), initializers with lazily
 * produced data, typed inputs and outputs. {@link GraphBuilder.toModel} wraps it in a ModelProto.
 *
 * @example
 * ```ts
 * const g = new GraphBuilder('demo');
 * const x = g.input('x', DataType.FLOAT, ['batch', 4]);
 * const w = g.initializer('w', DataType.FLOAT, [4, 2], new Uint8Array(32));
 * g.output(g.node('MatMul', [x, w]), DataType.FLOAT, ['batch', 2], 'y');
 * const chunks = g.toModel({ opsets: { '': 17 } }).toChunks();
 * ```
 */
export class GraphBuilder {
  private readonly nodes: ProtoMessage[] = [];
  private readonly initializers: ProtoMessage[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;
  /** Initializer payload bytes, for reporting. */
  weightBytes = 0;

  constructor(private readonly name: string) {}

  /** Declares a graph input. */
  input(name: string, type: DataType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, type, dims });
    return name;
  }

  /**
   * Declares a graph output. When `value` is not already named `name`, an Identity node renames it.
   */
  output(value: string, type: DataType, dims: readonly Dim[], name: string = value): string {
    if (value !== name) this.node('Identity', [value], {}, { outputs: [name] });
    this.outputs.push({ name, type, dims });
    return name;
  }

  /** Adds a weight. `data` is copied bytes or a {@link LazyBytes} produced while writing. */
  initializer(name: string, type: DataType, dims: readonly number[], data: Uint8Array | LazyBytes): string {
    this.claim(name);
    const expected = dims.reduce((a, b) => a * b, 1) * DATA_TYPE_SIZE[type];
    if (data.byteLength !== expected) {
      throw new BertwebError('INTERNAL', `initializer ${name}: ${data.byteLength} bytes, expected ${expected}`);
    }
    const tensor = new ProtoMessage();
    for (const d of dims) tensor.int(1, d);
    tensor.int(2, type).string(8, name);
    if (data instanceof Uint8Array) tensor.bytes(9, data);
    else tensor.lazyBytes(9, data);
    this.initializers.push(tensor);
    this.weightBytes += data.byteLength;
    return name;
  }

  /** A small int64 constant (shapes, axes, indices), deduplicated by value. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => {
      view.setBigInt64(i * 8, BigInt(v), true);
    });
    const name = this.initializer(this.fresh('const_i64'), DataType.INT64, dims, bytes);
    this.constants.set(key, name);
    return name;
  }

  /** A uint8 scalar constant (quantization zero points), deduplicated by value. */
  uint8Scalar(value: number): string {
    const key = `u8::${value}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.initializer(this.fresh('const_u8'), DataType.UINT8, [], Uint8Array.of(value));
    this.constants.set(key, name);
    return name;
  }

  /** A small float32 constant (scalars when `dims` is empty), deduplicated by value. */
  float32(values: readonly number[], dims: readonly number[] = []): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const data = new Float32Array(values);
    const name = this.initializer(this.fresh('const_f32'), DataType.FLOAT, dims, new Uint8Array(data.buffer));
    this.constants.set(key, name);
    return name;
  }

  /**
   * Adds a node and returns its first output's name (the rest via `options.outputs` or
   * {@link GraphBuilder.nodeMulti}). Empty strings in `inputs` mark omitted optional inputs.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    options: { readonly outputs?: readonly string[]; readonly domain?: string; readonly name?: string } = {},
  ): string {
    const outputs = this.nodeMulti(opType, inputs, options.outputs?.length ?? 1, attributes, options);
    return outputs[0] as string;
  }

  /** Adds a node with `outputCount` outputs and returns their names. */
  nodeMulti(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attributes: Readonly<Record<string, AttributeValue>> = {},
    options: { readonly outputs?: readonly string[]; readonly domain?: string; readonly name?: string } = {},
  ): string[] {
    const nodeName = options.name ?? this.fresh(opType);
    const outputs = options.outputs
      ? [...options.outputs]
      : Array.from({ length: outputCount }, (_, i) => `${nodeName}_out${i}`);
    for (const o of outputs) this.claim(o);
    const node = new ProtoMessage();
    for (const i of inputs) node.string(1, i);
    for (const o of outputs) node.string(2, o);
    node.string(3, nodeName).string(4, opType);
    if (options.domain) node.string(7, options.domain);
    for (const [key, value] of Object.entries(attributes)) node.message(5, encodeAttribute(key, value));
    this.nodes.push(node);
    return outputs;
  }

  /** A unique name with the given prefix. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  /**
   * Wraps the graph in a ModelProto (IR version 8 for opset 17).
   */
  toModel(options: {
    readonly opsets: Readonly<Record<string, number>>;
    readonly producer?: string;
    readonly producerVersion?: string;
    readonly docString?: string;
    readonly metadata?: Readonly<Record<string, string>>;
  }): ProtoMessage {
    const graph = new ProtoMessage();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, this.name);
    for (const t of this.initializers) graph.message(5, t);
    for (const i of this.inputs) graph.message(11, encodeValueInfo(i));
    for (const o of this.outputs) graph.message(12, encodeValueInfo(o));
    const model = new ProtoMessage().int(1, 8);
    for (const [domain, version] of Object.entries(options.opsets)) {
      model.message(8, new ProtoMessage().string(1, domain).int(2, version));
    }
    model.string(2, options.producer ?? 'bertweb');
    if (options.producerVersion) model.string(3, options.producerVersion);
    if (options.docString) model.string(6, options.docString);
    model.message(7, graph);
    for (const [key, value] of Object.entries(options.metadata ?? {})) {
      model.message(14, new ProtoMessage().string(1, key).string(2, value));
    }
    return model;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new BertwebError('INTERNAL', `duplicate ONNX value name ${name}`);
    this.names.add(name);
  }
}

/** Concatenates chunks into one buffer (small models and tests). */
export async function chunksToBytes(chunks: readonly Chunk[]): Promise<Uint8Array> {
  const total = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    for await (const bytes of chunkPieces(chunk)) {
      out.set(bytes, offset);
      offset += bytes.byteLength;
    }
  }
  return out;
}
