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

/** Deflate cannot expand by more than about 1032:1; a larger declared size is a lie (a zip bomb). */
const MAX_DEFLATE_RATIO = 1032;
/** Deflated members are inflated into memory; torch stores its members uncompressed. */
const MAX_INFLATED_BYTES = 1 << 30;

/** A little-endian field reader that turns reads past the end into `MODEL_INVALID`, not a RangeError. */
function fields(source: ByteSource, bytes: Uint8Array, what: string) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const check = (at: number, n: number): void => {
    if (at < 0 || at + n > bytes.byteLength) throw invalid(source, `${what} ends early`);
  };
  return {
    u16: (at: number): number => {
      check(at, 2);
      return view.getUint16(at, true);
    },
    u32: (at: number): number => {
      check(at, 4);
      return view.getUint32(at, true);
    },
    u64: (at: number): number => {
      check(at, 8);
      const v = view.getBigUint64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(source, `${what} holds an impossible size`);
      return Number(v);
    },
  };
}

/**
 * Reads the central directory of a zip archive (with ZIP64 records, as PyTorch writes for large files).
 * Member names must be unique: two members of one name would let two readers see different files.
 *
 * @example
 * ```ts
 * const entries = await readZipDirectory(source);
 * ```
 */
export async function readZipDirectory(source: ByteSource): Promise<ZipEntry[]> {
  const tailLength = Math.min(source.size, 65_557 + 20);
  const tail = await source.read(source.size - tailLength, tailLength);
  const tv = fields(source, tail, 'end record');
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tv.u32(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw invalid(source, 'end of central directory not found: truncated or not a zip');
  let count = tv.u16(eocd + 10);
  let cdSize = tv.u32(eocd + 12);
  let cdOffset = tv.u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || tv.u32(locator) !== ZIP64_LOCATOR_SIG) throw invalid(source, 'missing ZIP64 locator');
    const z64Offset = tv.u64(locator + 8);
    if (z64Offset + 56 > source.size) throw invalid(source, 'ZIP64 end record past the end: truncated');
    const zv = fields(source, await source.read(z64Offset, 56), 'ZIP64 end record');
    if (zv.u32(0) !== ZIP64_EOCD_SIG) throw invalid(source, 'bad ZIP64 end record');
    count = zv.u64(32);
    cdSize = zv.u64(40);
    cdOffset = zv.u64(48);
  }
  if (cdOffset + cdSize > source.size) throw invalid(source, 'central directory past the end: truncated');
  if (count * 46 > cdSize) throw invalid(source, `${count} members cannot fit a ${cdSize}-byte directory`);
  const cd = await source.read(cdOffset, cdSize);
  const cv = fields(source, cd, 'central directory');
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (cv.u32(p) !== CENTRAL_SIG) throw invalid(source, 'corrupt central directory');
    const flags = cv.u16(p + 8);
    const method = cv.u16(p + 10);
    let compressedSize = cv.u32(p + 20);
    let size = cv.u32(p + 24);
    const nameLength = cv.u16(p + 28);
    const extraLength = cv.u16(p + 30);
    const commentLength = cv.u16(p + 32);
    let localHeaderOffset = cv.u32(p + 42);
    const nameEnd = p + 46 + nameLength;
    const extraEnd = nameEnd + extraLength;
    if (extraEnd + commentLength > cd.byteLength) throw invalid(source, 'corrupt central directory');
    const name = decoder.decode(cd.subarray(p + 46, nameEnd));
    let e = nameEnd;
    while (e + 4 <= extraEnd) {
      const id = cv.u16(e);
      const len = cv.u16(e + 2);
      const fieldEnd = e + 4 + len;
      if (fieldEnd > extraEnd) throw invalid(source, `extra field of ${name} runs past its record`);
      if (id === 0x0001) {
        // ZIP64 sizes, present only for the fields set to 0xffffffff, in this order.
        let q = e + 4;
        const next = (): number => {
          if (q + 8 > fieldEnd) throw invalid(source, `short ZIP64 field for ${name}`);
          const v = cv.u64(q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e = fieldEnd;
    }
    if (flags & 1) throw new BertwebError('UNSUPPORTED', `${source.name}: member ${name} is encrypted`);
    if (names.has(name)) throw invalid(source, `two members are named ${name}`);
    names.add(name);
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return entries;
}

/**
 * A {@link ByteSource} over one member. Stored members are read in place (no copy); deflated members are
 * inflated into memory (PyTorch stores its members uncompressed, so only re-zipped files take this path),
 * and only up to their declared size, which must be plausible for the compressed size.
 *
 * @example
 * ```ts
 * const pkl = await openZipEntry(source, entries.find((e) => e.name.endsWith('data.pkl'))!);
 * ```
 */
export async function openZipEntry(source: ByteSource, entry: ZipEntry): Promise<ByteSource> {
  if (entry.localHeaderOffset + 30 > source.size) {
    throw invalid(source, `local header of ${entry.name} past the end: truncated`);
  }
  const lv = fields(source, await source.read(entry.localHeaderOffset, 30), 'local header');
  if (lv.u32(0) !== LOCAL_SIG) throw invalid(source, `bad local header for ${entry.name}`);
  const dataStart = entry.localHeaderOffset + 30 + lv.u16(26) + lv.u16(28);
  const name = `${source.name}:${entry.name}`;
  if (dataStart + entry.compressedSize > source.size) {
    throw new BertwebError('MODEL_INVALID', `${source.name}: truncated file (member ${entry.name} ends past the end)`, {
      file: source.name,
    });
  }
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) throw invalid(source, `stored member ${entry.name} has two sizes`);
    return subSource(source, name, dataStart, entry.size);
  }
  if (entry.method === 8) {
    if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw invalid(
        source,
        `member ${entry.name} claims ${entry.size} bytes from ${entry.compressedSize} (a zip bomb)`,
      );
    }
    if (entry.size > MAX_INFLATED_BYTES) {
      throw new BertwebError(
        'UNSUPPORTED',
        `${source.name}: deflated member ${entry.name} of ${entry.size} bytes; store large members uncompressed`,
      );
    }
    const compressed = await source.read(dataStart, entry.compressedSize);
    let inflated: Uint8Array;
    try {
      // One spare byte: fflate stops silently at the end of `out`, so a longer stream shows as size + 1.
      inflated = inflateSync(compressed, { out: new Uint8Array(entry.size + 1) });
    } catch {
      throw invalid(source, `member ${entry.name} does not inflate`);
    }
    if (inflated.byteLength !== entry.size) {
      throw invalid(source, `member ${entry.name} inflates to a size other than the ${entry.size} bytes declared`);
    }
    return bytesSource(name, inflated);
  }
  throw new BertwebError('UNSUPPORTED', `${source.name}: member ${entry.name} uses zip method ${entry.method}`);
}

/** True when bytes start with a zip local header. */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}
