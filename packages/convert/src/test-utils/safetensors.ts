/** Builds safetensors files in tests (the converter only reads them). */
import { readSafetensors } from '../formats/safetensors.js';
import { bytesSource } from '../io/byte-source.js';
import { readFloat32 } from '../model/tensor.js';

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

/** Encodes F32 tensors as a safetensors file. */
export function encodeSafetensors(tensors: ReadonlyMap<string, FloatTensor>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let p = 8 + json.byteLength;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}

/** Decodes every tensor of a safetensors file to float32. */
export async function decodeSafetensors(bytes: Uint8Array): Promise<Map<string, FloatTensor>> {
  const out = new Map<string, FloatTensor>();
  for (const [name, ref] of await readSafetensors(bytesSource('t.safetensors', bytes))) {
    out.set(name, { shape: [...ref.shape], data: await readFloat32(ref) });
  }
  return out;
}
