import { inflateSync } from 'fflate';
import { BertwebError } from '../core.js';
import { type ByteSource, bytesSource, subSource } from '../io/byte-source.js';

/** One member of a zip archive. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function invalid(source: ByteSource, why: string): BertwebError {
  return new BertwebError('MODEL_INVALID', `${source.name}: not a readable zip archive (${why})`, {
    file: source.name,
  });
}

/**
 * Reads the central directory of a zip archive (with ZIP64 records, as PyTorch writes for large files).
 *
 * @example
 * ```ts
 * const entries = await readZipDirectory(source);
 * ```
 */
export async function readZipDirectory(source: ByteSource): Promise<ZipEntry[]> {
  const tailLength = Math.min(source.size, 65_557 + 20);
  const tail = await source.read(source.size - tailLength, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw invalid(source, 'end of central directory not found: truncated or not a zip');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || tv.getUint32(locator, true) !== ZIP64_LOCATOR_SIG)
      throw invalid(source, 'missing ZIP64 locator');
    const z64Offset = Number(tv.getBigUint64(locator + 8, true));
    const z64 = await source.read(z64Offset, 56);
    const zv = new DataView(z64.buffer, z64.byteOffset, 56);
    if (zv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw invalid(source, 'bad ZIP64 end record');
    count = Number(zv.getBigUint64(32, true));
    cdSize = Number(zv.getBigUint64(40, true));
    cdOffset = Number(zv.getBigUint64(48, true));
  }
  if (cdOffset + cdSize > source.size) throw invalid(source, 'central directory past the end: truncated');
  const cd = await source.read(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.byteLength || cv.getUint32(p, true) !== CENTRAL_SIG)
      throw invalid(source, 'corrupt central directory');
    const method = cv.getUint16(p + 10, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let size = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLength));
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = Number(cv.getBigUint64(q, true));
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(cv.getBigUint64(q, true));
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(cv.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return entries;
}

/**
 * A {@link ByteSource} over one member. Stored members are read in place (no copy); deflated members are
 * inflated into memory (PyTorch stores its members uncompressed, so only re-zipped files take this path).
 *
 * @example
 * ```ts
 * const pkl = await openZipEntry(source, entries.find((e) => e.name.endsWith('data.pkl'))!);
 * ```
 */
export async function openZipEntry(source: ByteSource, entry: ZipEntry): Promise<ByteSource> {
  const local = await source.read(entry.localHeaderOffset, 30);
  const lv = new DataView(local.buffer, local.byteOffset, 30);
  if (lv.getUint32(0, true) !== LOCAL_SIG) throw invalid(source, `bad local header for ${entry.name}`);
  const dataStart = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  const name = `${source.name}:${entry.name}`;
  if (dataStart + entry.compressedSize > source.size) {
    throw new BertwebError('MODEL_INVALID', `${source.name}: truncated file (member ${entry.name} ends past the end)`, {
      file: source.name,
    });
  }
  if (entry.method === 0) return subSource(source, name, dataStart, entry.size);
  if (entry.method === 8) {
    const compressed = await source.read(dataStart, entry.compressedSize);
    let inflated: Uint8Array;
    try {
      inflated = inflateSync(compressed, { out: new Uint8Array(entry.size) });
    } catch {
      throw invalid(source, `member ${entry.name} does not inflate`);
    }
    return bytesSource(name, inflated);
  }
  throw new BertwebError('UNSUPPORTED', `${source.name}: member ${entry.name} uses zip method ${entry.method}`);
}

/** True when bytes start with a zip local header. */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}
