/**
 * Where a download's body goes: memory (a Uint8Array, for files the runtime parses), or out of the
 * JavaScript heap for checkpoints that are only streamed through a converter: a Blob assembled from
 * 16 MiB parts in browsers (Chromium keeps large Blobs in the browser process or on disk), a temp file in
 * Node (read back through `fs.openAsBlob`, file-backed). Out-of-heap sinks hash as they go, since
 * WebCrypto only digests a whole buffer.
 */
import { isNode, nodeBuiltin } from './platform.js';
import { Sha256 } from './sha256.js';

/** One download's destination; kept across resumed attempts, emptied by `reset`. */
export interface BodySink<R> {
  /** Bytes written so far. */
  readonly length: number;
  write(chunk: Uint8Array): void | Promise<void>;
  /** Forgets everything written (a download that restarts from the beginning). */
  reset(): void | Promise<void>;
  /** The sha256 of what was written, when the sink hashes as it writes (else the caller digests the bytes). */
  digest?(): string;
  /** The complete body. */
  finish(): Promise<R>;
  /** Frees what `finish` did not hand over (a failed download's temp file). */
  discard(): Promise<void>;
}

/**
 * A file downloaded out of the heap: a Blob to read ranges from, and `dispose` to free its storage
 * (deletes a Node temp file; a no-op for a browser Blob, which is freed with its last reference).
 */
export interface DownloadedBlob {
  readonly blob: Blob;
  dispose(): Promise<void>;
}

/**
 * Collects a body in memory. With a known size the buffer is allocated once and filled in place (no
 * second copy of a 500 MB model); otherwise it grows by doubling.
 */
export class MemorySink implements BodySink<Uint8Array> {
  #buffer: Uint8Array;
  length = 0;

  constructor(expected: number) {
    let buffer: Uint8Array | undefined;
    if (expected > 0) {
      try {
        buffer = new Uint8Array(expected);
      } catch {
        // A Content-Length too large to allocate at once: grow as the bytes actually arrive.
      }
    }
    this.#buffer = buffer ?? new Uint8Array(64 * 1024);
  }

  write(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.length);
    this.length = needed;
  }

  reset(): void {
    this.length = 0;
  }

  async finish(): Promise<Uint8Array> {
    return this.length === this.#buffer.length ? this.#buffer : this.#buffer.slice(0, this.length);
  }

  async discard(): Promise<void> {
    this.length = 0;
  }
}

const BLOB_PART_BYTES = 16 * 1024 * 1024;

/** A Blob from 16 MiB parts: the page holds one part at a time, the browser keeps the rest. */
export class BlobSink implements BodySink<DownloadedBlob> {
  #blob = new Blob([]);
  #part: Uint8Array[] = [];
  #partBytes = 0;
  #hash = new Sha256();
  length = 0;

  write(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    // The chunk may be a view into a buffer the stream reuses: keep a copy until it joins the Blob.
    this.#part.push(chunk.slice());
    this.#partBytes += chunk.length;
    this.length += chunk.length;
    if (this.#partBytes >= BLOB_PART_BYTES) this.#flush();
  }

  reset(): void {
    this.#blob = new Blob([]);
    this.#part = [];
    this.#partBytes = 0;
    this.#hash = new Sha256();
    this.length = 0;
  }

  digest(): string {
    return this.#hash.hex();
  }

  async finish(): Promise<DownloadedBlob> {
    this.#flush();
    return { blob: this.#blob, dispose: async () => {} };
  }

  async discard(): Promise<void> {
    this.reset();
  }

  #flush(): void {
    if (this.#part.length === 0) return;
    this.#blob = new Blob([this.#blob, ...(this.#part as BlobPart[])]);
    this.#part = [];
    this.#partBytes = 0;
  }
}

type Fs = typeof import('node:fs/promises');
type FileHandle = import('node:fs/promises').FileHandle;

/** A temp file (Node): written as the bytes arrive, read back as a file-backed Blob. */
class FileSink implements BodySink<DownloadedBlob> {
  #hash = new Sha256();
  length = 0;

  private constructor(
    private readonly fs: Fs,
    private readonly path: string,
    private readonly handle: FileHandle,
    private readonly openAsBlob: (path: string) => Promise<Blob>,
  ) {}

  static async create(file: string): Promise<FileSink> {
    const fs = await nodeBuiltin<Fs>('fs/promises');
    const { tmpdir } = await nodeBuiltin<typeof import('node:os')>('os');
    const { join } = await nodeBuiltin<typeof import('node:path')>('path');
    const { openAsBlob } = await nodeBuiltin<typeof import('node:fs')>('fs');
    const dir = await fs.mkdtemp(join(tmpdir(), 'bertweb-download-'));
    const path = join(dir, file.replace(/[^\w.-]+/g, '_'));
    const handle = await fs.open(path, 'w+');
    return new FileSink(fs, path, handle, openAsBlob as (path: string) => Promise<Blob>);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#hash.update(chunk);
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, this.length + done);
      done += bytesWritten;
    }
    this.length += chunk.length;
  }

  async reset(): Promise<void> {
    await this.handle.truncate(0);
    this.#hash = new Sha256();
    this.length = 0;
  }

  digest(): string {
    return this.#hash.hex();
  }

  async finish(): Promise<DownloadedBlob> {
    await this.handle.close();
    const blob = await this.openAsBlob(this.path);
    return { blob, dispose: () => this.#remove() };
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await this.#remove();
  }

  async #remove(): Promise<void> {
    const { dirname } = await nodeBuiltin<typeof import('node:path')>('path');
    await this.fs.rm(dirname(this.path), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * The out-of-heap sink of this platform: a temp file in Node, a Blob elsewhere.
 *
 * @example
 * ```ts
 * const sink = await outOfHeapSink('pytorch_model.bin');
 * ```
 */
export async function outOfHeapSink(file: string): Promise<BodySink<DownloadedBlob>> {
  return isNode() ? FileSink.create(file) : new BlobSink();
}
