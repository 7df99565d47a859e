import { BertwebError } from '../core.js';

/**
 * A minimal protobuf (proto2 wire format) encoder for writing ONNX models without a protobuf dependency.
 *
 * Large payloads (tensor bytes) are not copied into the message: they are {@link LazyBytes} whose size is
 * known up front, so every length prefix can be computed before any tensor is read. Serializing a model
 * then streams header chunks and tensor payloads one by one (see {@link writeChunks}), which keeps the peak
 * memory of a 700 MB model to about one tensor.
 */

/**
 * Bytes produced on demand, with a size known before they are produced.
 *
 * @example
 * ```ts
 * const payload: LazyBytes = { byteLength: 8, produce: () => new Uint8Array(8) };
 * ```
 */
export interface LazyBytes {
  readonly byteLength: number;
  /** All the bytes at once. */
  produce(): Promise<Uint8Array> | Uint8Array;
  /**
   * The same bytes as consecutive pieces, made one at a time (a large tensor, row block by row block):
   * writers that take it never hold the whole payload. Optional; `produce` is the fallback.
   */
  pieces?(): AsyncIterable<Uint8Array>;
}

/**
 * A piece of a serialized message: plain bytes, or bytes produced later.
 *
 * @example
 * ```ts
 * const chunks: Chunk[] = [header, { byteLength: 4, produce: () => new Uint8Array(4) }];
 * ```
 */
export type Chunk = Uint8Array | LazyBytes;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const TEXT = new TextEncoder();

/** Number of bytes of the varint encoding of a non-negative integer below 2^53. */
function varintSize(value: number): number {
  let size = 1;
  let v = value;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

/**
 * One protobuf message under construction. Fields are appended in call order (protobuf allows any order).
 *
 * @example
 * ```ts
 * const opset = new ProtoMessage().string(1, '').int(2, 17);
 * const model = new ProtoMessage().int(1, 8).message(8, opset);
 * ```
 */
export class ProtoMessage {
  private readonly chunks: Chunk[] = [];
  private scratch = new Uint8Array(256);
  private scratchLength = 0;
  private total = 0;

  /** Serialized size in bytes. */
  get byteLength(): number {
    return this.total;
  }

  /** `int32`/`int64`/`enum`/`bool` field (negative values take 10 bytes, as protobuf specifies). */
  int(field: number, value: number | bigint | boolean): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  /** `float` field (fixed32). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    this.push(new Uint8Array(view.buffer));
    return this;
  }

  /** `double` field (fixed64). */
  double(field: number, value: number): this {
    this.tag(field, WIRE_FIXED64);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, true);
    this.push(new Uint8Array(view.buffer));
    return this;
  }

  /** `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, TEXT.encode(value));
  }

  /** `bytes` field, copied now (use {@link ProtoMessage.lazyBytes} for large payloads). */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.byteLength);
    this.push(value);
    return this;
  }

  /** `bytes` field whose content is produced while the message is written. */
  lazyBytes(field: number, value: LazyBytes): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.byteLength);
    this.flush();
    this.chunks.push(value);
    this.total += value.byteLength;
    return this;
  }

  /** Packed `repeated int64` field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoMessage();
    for (const v of values) inner.rawVarint(v);
    return this.message(field, inner);
  }

  /** Embedded message field. The nested message is referenced, not copied; do not change it afterwards. */
  message(field: number, value: ProtoMessage): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.byteLength);
    this.flush();
    for (const chunk of value.toChunks()) this.chunks.push(chunk);
    this.total += value.byteLength;
    return this;
  }

  /** The serialized message as a list of chunks (header bytes and lazy payloads). */
  toChunks(): Chunk[] {
    this.flush();
    return this.chunks.slice();
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  private rawVarint(value: number | bigint | boolean): void {
    let v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (typeof v === 'number' && (v < 0 || !Number.isSafeInteger(v))) v = BigInt(Math.trunc(v));
    if (typeof v === 'bigint') {
      let u = BigInt.asUintN(64, v);
      const bytes: number[] = [];
      while (u >= 128n) {
        bytes.push(Number(u & 127n) | 128);
        u >>= 7n;
      }
      bytes.push(Number(u));
      this.push(Uint8Array.from(bytes));
      return;
    }
    this.reserve(varintSize(v));
    while (v >= 128) {
      this.scratch[this.scratchLength++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.scratch[this.scratchLength++] = v;
  }

  private push(bytes: Uint8Array): void {
    if (bytes.byteLength > 4096) {
      this.flush();
      this.chunks.push(bytes);
      this.total += bytes.byteLength;
      return;
    }
    this.reserve(bytes.byteLength);
    this.scratch.set(bytes, this.scratchLength);
    this.scratchLength += bytes.byteLength;
  }

  /** Makes room for `n` more scratch bytes and counts them in the total. */
  private reserve(n: number): void {
    if (this.scratchLength + n > this.scratch.byteLength) {
      const grown = new Uint8Array(Math.max(this.scratch.byteLength * 2, this.scratchLength + n));
      grown.set(this.scratch.subarray(0, this.scratchLength));
      this.scratch = grown;
    }
    this.total += n;
  }

  private flush(): void {
    if (this.scratchLength === 0) return;
    this.chunks.push(this.scratch.slice(0, this.scratchLength));
    this.scratchLength = 0;
  }
}

/**
 * Writes chunks in order, producing lazy payloads one at a time, and checks each has its announced size.
 *
 * @example
 * ```ts
 * await writeChunks(model.toChunks(), (bytes) => handle.write(bytes));
 * ```
 */
export async function writeChunks(
  chunks: readonly Chunk[],
  write: (bytes: Uint8Array) => Promise<void> | void,
): Promise<number> {
  let written = 0;
  for (const chunk of chunks) {
    for await (const bytes of chunkPieces(chunk)) {
      await write(bytes);
      written += bytes.byteLength;
    }
  }
  return written;
}

/**
 * The bytes of one chunk as pieces: plain bytes as they are, a lazy payload by its `pieces` when it has
 * them (else `produce`), checked against its announced size.
 *
 * @example
 * ```ts
 * for await (const piece of chunkPieces(chunk)) await out.write(piece);
 * ```
 */
export async function* chunkPieces(chunk: Chunk): AsyncGenerator<Uint8Array> {
  if (chunk instanceof Uint8Array) {
    yield chunk;
    return;
  }
  let produced = 0;
  const check = (): void => {
    if (produced !== chunk.byteLength) {
      throw new BertwebError('INTERNAL', `lazy payload produced ${produced} bytes, announced ${chunk.byteLength}`);
    }
  };
  if (chunk.pieces) {
    for await (const piece of chunk.pieces()) {
      produced += piece.byteLength;
      if (produced > chunk.byteLength) check();
      yield piece;
    }
    check();
    return;
  }
  const bytes = await chunk.produce();
  produced = bytes.byteLength;
  check();
  yield bytes;
}
