import { BertwebError } from '../core.js';
import type { ByteSource } from '../io/byte-source.js';
import { DTYPE_SIZE, numel, type TensorDType, type TensorRef } from '../model/tensor.js';

const MAX_HEADER = 100 * 1024 * 1024;

interface HeaderEntry {
  dtype?: unknown;
  shape?: unknown;
  data_offsets?: unknown;
}

/**
 * Reads the header of a `.safetensors` file (8-byte little-endian header length, JSON header, raw data)
 * and returns a reference per tensor; tensor bytes stay in the file until read.
 *
 * @example
 * ```ts
 * const tensors = await readSafetensors(bytesSource('model.safetensors', bytes));
 * ```
 */
export async function readSafetensors(source: ByteSource): Promise<Map<string, TensorRef>> {
  const invalid = (why: string): BertwebError =>
    new BertwebError('MODEL_INVALID', `${source.name}: not a valid safetensors file (${why})`, { file: source.name });
  if (source.size < 8) throw invalid('shorter than its 8-byte header length');
  const lengthBytes = await source.read(0, 8);
  const headerLength = Number(new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER || headerLength + 8 > source.size) {
    throw invalid(`header length ${headerLength} does not fit a ${source.size}-byte file`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(await source.read(8, headerLength)));
  } catch {
    throw invalid('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid('header is not an object');
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, TensorRef>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`entry ${name} is not an object`);
    const entry = raw as HeaderEntry;
    const dtype = entry.dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZE, dtype)) {
      const shown = typeof dtype === 'string' ? dtype.slice(0, 40) : typeof dtype;
      throw new BertwebError('UNSUPPORTED', `${source.name}: tensor ${name} has unsupported dtype ${shown}`);
    }
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(shape) ||
      shape.length > 64 ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      throw invalid(`bad shape or offsets for ${name}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = numel(shape) * DTYPE_SIZE[dtype as TensorDType];
    if (end < begin || end - begin !== expected) {
      throw invalid(`${name}: ${end - begin} bytes for shape [${shape}] ${dtype}`);
    }
    if (dataStart + end > source.size) {
      throw new BertwebError('MODEL_INVALID', `${source.name}: truncated file (tensor ${name} ends past the end)`, {
        file: source.name,
      });
    }
    tensors.set(name, { name, dtype: dtype as TensorDType, shape, source, byteOffset: dataStart + begin });
  }
  return tensors;
}

/** True when the first bytes look like a safetensors header (length, then `{`). */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  return head.byteLength >= 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0;
}

/**
 * Encodes float32 tensors as a `.safetensors` file (header padded to 8 bytes, as the Rust writer does), for
 * the small side files the converter writes (sentence-transformers Dense weights).
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensorsF32(new Map([['linear.weight', { shape: [2, 3], data }]]));
 * ```
 */
export function encodeSafetensorsF32(
  tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>,
  metadata: Readonly<Record<string, string>> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (numel(t.shape) !== t.data.length) throw new BertwebError('INTERNAL', `${name}: shape does not match data`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = JSON.stringify(header);
  const unpadded = new TextEncoder().encode(json).byteLength;
  const text = new TextEncoder().encode(json + ' '.repeat((8 - (unpadded % 8)) % 8));
  const out = new Uint8Array(8 + text.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  out.set(text, 8);
  let p = 8 + text.byteLength;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
