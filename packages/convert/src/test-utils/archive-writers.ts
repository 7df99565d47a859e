/**
 * Minimal zip and tar writers for tests that need archives no well-behaved tool writes: duplicate names,
 * `../` paths, sizes that lie, members that claim to be huge.
 */
import { deflateSync } from 'fflate';

/** One zip member. */
export interface ZipMember {
  readonly name: string;
  readonly data: Uint8Array;
  /** Deflate the member (default: stored, as torch writes). */
  readonly deflate?: boolean;
  /** Uncompressed size written in the headers (default: the true size). */
  readonly declaredSize?: number;
}

/** A zip archive (no ZIP64, no data descriptors). CRCs are written as 0: the readers never check them. */
export function makeZip(members: readonly ZipMember[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = enc.encode(m.name);
    const body = m.deflate ? deflateSync(m.data) : m.data;
    const size = m.declaredSize ?? m.data.byteLength;
    const local = new Uint8Array(30 + name.byteLength);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, m.deflate ? 8 : 0, true);
    lv.setUint32(18, body.byteLength, true);
    lv.setUint32(22, size >>> 0, true);
    lv.setUint16(26, name.byteLength, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.byteLength);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, m.deflate ? 8 : 0, true);
    cv.setUint32(20, body.byteLength, true);
    cv.setUint32(24, size >>> 0, true);
    cv.setUint16(28, name.byteLength, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, body);
    centrals.push(central);
    offset += local.byteLength + body.byteLength;
  }
  const cdSize = centrals.reduce((a, c) => a + c.byteLength, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, ...centrals, eocd]);
}

/** One tar member. */
export interface TarMember {
  readonly name: string;
  readonly data: Uint8Array;
  /** Type flag (default `0`, a regular file). */
  readonly type?: string;
  /** Size written in the header (default: the true size). */
  readonly declaredSize?: number;
}

/** A ustar archive ending with two zero blocks. Names over 100 bytes get a GNU `L` record. */
export function makeTar(members: readonly TarMember[]): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  const header = (name: Uint8Array, size: number, type: string): Uint8Array => {
    const h = new Uint8Array(512);
    h.set(name.subarray(0, 100), 0);
    const octal = (value: number, width: number) => enc.encode(`${value.toString(8).padStart(width - 1, '0')}\0`);
    h.set(octal(0o644, 8), 100);
    h.set(octal(0, 8), 108);
    h.set(octal(0, 8), 116);
    h.set(octal(Math.min(size, 0o77777777777), 12), 124);
    h.set(octal(0, 12), 136);
    h[156] = type.charCodeAt(0);
    h.set(enc.encode('ustar\u000000'), 257);
    h.fill(32, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    return h;
  };
  const pad = (data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(Math.ceil(data.byteLength / 512) * 512);
    out.set(data);
    return out;
  };
  for (const m of members) {
    const name = enc.encode(m.name);
    if (name.byteLength > 100) {
      blocks.push(
        header(enc.encode('././@LongLink'), name.byteLength + 1, 'L'),
        pad(concat([name, new Uint8Array(1)])),
      );
    }
    blocks.push(header(name, m.declaredSize ?? m.data.byteLength, m.type ?? '0'), pad(m.data));
  }
  blocks.push(new Uint8Array(1024));
  return concat(blocks);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.byteLength;
  }
  return out;
}
