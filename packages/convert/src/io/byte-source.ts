import { BertwebError } from '../core.js';

/**
 * Random read access to the bytes of one file without loading it whole: a Node file handle, a browser
 * Blob (sliced on demand) or bytes already in memory. Readers ask for the byte ranges they need.
 *
 * @example
 * ```ts
 * const source: ByteSource = { name: 'model.bin', size: blob.size, read: async (o, n) => new Uint8Array(await blob.slice(o, o + n).arrayBuffer()) };
 * ```
 */
export interface ByteSource {
  /** File name, for messages. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes starting at `offset`; `MODEL_INVALID` when the range passes the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Checks a requested range against the file size (a truncated file shows up here). */
export function checkRange(source: ByteSource, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new BertwebError('MODEL_INVALID', `${source.name}: invalid byte range ${offset}+${length}`);
  }
  if (offset + length > source.size) {
    throw new BertwebError(
      'MODEL_INVALID',
      `${source.name}: truncated file (needs bytes up to ${offset + length}, file has ${source.size})`,
      { file: source.name, needed: offset + length, size: source.size },
    );
  }
}

/**
 * A source over bytes in memory (the view is not copied).
 *
 * @example
 * ```ts
 * const source = bytesSource('model.safetensors', bytes);
 * ```
 */
export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      checkRange(this, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/**
 * A source over a Blob or File: each read slices the blob, so a large file is never held whole.
 *
 * @example
 * ```ts
 * const source = blobSource(file.name, file);
 * ```
 */
export function blobSource(name: string, blob: Blob): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange(this, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** A view of `length` bytes of `source` starting at `start` (a member of an archive). */
export function subSource(source: ByteSource, name: string, start: number, length: number): ByteSource {
  checkRange(source, start, length);
  return {
    name,
    size: length,
    read(offset, len) {
      checkRange(this, offset, len);
      return source.read(start + offset, len);
    },
  };
}

/** Reads a whole (small) source. */
export function readAll(source: ByteSource): Promise<Uint8Array> {
  return source.read(0, source.size);
}

/** UTF-8 text of a whole source. */
export async function readText(source: ByteSource): Promise<string> {
  return new TextDecoder().decode(await readAll(source));
}
