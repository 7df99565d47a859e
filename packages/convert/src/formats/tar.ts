import { BertwebError } from '../core.js';

/** Receives the regular files of an archive as they stream by. */
export interface TarSink {
  /** Starts a file of `size` bytes; its data arrives through the returned writer. */
  file(name: string, size: number): Promise<TarFileWriter> | TarFileWriter;
}

/** Data of one archive member. */
export interface TarFileWriter {
  write(chunk: Uint8Array): Promise<void> | void;
  close(): Promise<void> | void;
}

class StreamReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private buffer: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  private async fill(): Promise<boolean> {
    if (this.offset < this.buffer.byteLength) return true;
    if (this.done) return false;
    const { value, done } = await this.reader.read();
    if (done) {
      this.done = true;
      return false;
    }
    this.buffer = value;
    this.offset = 0;
    return true;
  }

  /** Exactly n bytes, or undefined at a clean end of stream (before any byte). */
  async exact(n: number): Promise<Uint8Array | undefined> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) {
        if (got === 0) return undefined;
        throw new BertwebError('MODEL_INVALID', 'truncated tar archive');
      }
      const take = Math.min(n - got, this.buffer.byteLength - this.offset);
      out.set(this.buffer.subarray(this.offset, this.offset + take), got);
      this.offset += take;
      got += take;
    }
    return out;
  }

  /** Passes n bytes to `onChunk` without collecting them. */
  async pipe(n: number, onChunk: (chunk: Uint8Array) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new BertwebError('MODEL_INVALID', 'truncated tar archive');
      const take = Math.min(left, this.buffer.byteLength - this.offset);
      await onChunk(this.buffer.slice(this.offset, this.offset + take));
      this.offset += take;
      left -= take;
    }
  }

  cancel(): void {
    this.reader.cancel().catch(() => undefined);
  }
}

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function octal(field: Uint8Array): number {
  let value = 0;
  if ((field[0] as number) & 0x80) {
    // GNU base-256 for sizes of 8 GiB and more (0xff: negative, never a size)
    if (field[0] === 0xff) throw new BertwebError('MODEL_INVALID', 'corrupt tar header (negative number)');
    for (let i = 1; i < field.byteLength; i++) value = value * 256 + (field[i] as number);
  } else {
    const s = text(field).trim();
    if (s === '') return 0;
    if (!/^[0-7]+$/.test(s)) throw new BertwebError('MODEL_INVALID', 'corrupt tar header');
    value = Number.parseInt(s, 8);
  }
  if (!Number.isSafeInteger(value)) throw new BertwebError('MODEL_INVALID', 'corrupt tar header (size too large)');
  return value;
}

/** Long-name (GNU `L`) and PAX (`x`) records are read into memory; real ones are a few hundred bytes. */
const MAX_META_RECORD = 1 << 20;

/**
 * The member name as a safe relative path (`a/b`), or `MODEL_INVALID` for names that could escape the
 * folder they are unpacked into (`../x`, `/etc/x`, `C:\\x`) or are empty.
 */
export function safeMemberName(raw: string): string {
  const name = raw.replace(/\\/g, '/');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (
    parts.length === 0 ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    parts.some((part) => part === '..') ||
    name.includes('\0')
  ) {
    throw new BertwebError(
      'MODEL_INVALID',
      `archive member ${JSON.stringify(raw.slice(0, 200))} points outside the archive`,
    );
  }
  return parts.join('/');
}

function checksumOk(header: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
  return sum === octal(header.subarray(148, 156));
}

function paxPath(data: Uint8Array): string | undefined {
  // records: "<len> key=value\n"
  const s = new TextDecoder().decode(data);
  for (const record of s.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(record);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Streams a (ustar / GNU / PAX) tar archive into `sink`, file by file; directories and links are skipped.
 * Member names are checked by {@link safeMemberName} and must be unique (`MODEL_INVALID` otherwise).
 *
 * @example
 * ```ts
 * await extractTar(blob.stream().pipeThrough(new DecompressionStream('gzip')), sink);
 * ```
 */
export async function extractTar(
  stream: ReadableStream<Uint8Array>,
  sink: TarSink,
  signal?: AbortSignal,
): Promise<number> {
  const reader = new StreamReader(stream);
  let longName: string | undefined;
  let files = 0;
  const seen = new Set<string>();
  try {
    for (;;) {
      if (signal?.aborted) throw new BertwebError('ABORTED', 'the operation was aborted');
      const header = await reader.exact(512);
      if (!header) {
        if (files === 0) throw new BertwebError('MODEL_INVALID', 'empty or truncated tar archive');
        return files;
      }
      if (header.every((b) => b === 0)) return files;
      if (!checksumOk(header)) throw new BertwebError('MODEL_INVALID', 'corrupt tar header (checksum)');
      const size = octal(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] as number);
      const padded = Math.ceil(size / 512) * 512;
      let name = text(header.subarray(0, 100));
      const prefix = text(header.subarray(345, 500));
      if (text(header.subarray(257, 262)) === 'ustar' && prefix) name = `${prefix}/${name}`;
      if (longName !== undefined) {
        name = longName;
        longName = undefined;
      }
      if (type === 'L' || type === 'x') {
        if (size > MAX_META_RECORD) throw new BertwebError('MODEL_INVALID', `tar ${type} record of ${size} bytes`);
        const data = (await reader.exact(padded)) ?? new Uint8Array(0);
        const value = type === 'L' ? text(data.subarray(0, size)) : paxPath(data.subarray(0, size));
        if (value !== undefined) longName = value;
        continue;
      }
      if (type === '0' || type === '\0' || type === '7') {
        name = safeMemberName(name);
        if (seen.has(name)) throw new BertwebError('MODEL_INVALID', `the archive holds ${name} twice`);
        seen.add(name);
        const writer = await sink.file(name, size);
        await reader.pipe(size, (chunk) => writer.write(chunk));
        await writer.close();
        if (padded > size) await reader.exact(padded - size);
        files++;
        continue;
      }
      if (padded > 0) await reader.pipe(padded, () => undefined);
    }
  } catch (error) {
    reader.cancel();
    if (error instanceof BertwebError) throw error;
    throw new BertwebError('MODEL_INVALID', `corrupt or truncated archive: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
}

/** True for gzip magic bytes. */
export function looksLikeGzip(head: Uint8Array): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** True when a 512-byte block looks like a tar header. */
export function looksLikeTar(head: Uint8Array): boolean {
  return head.byteLength >= 512 && text(head.subarray(257, 262)) === 'ustar';
}

/** Decompresses a gzip stream (DecompressionStream: browsers and Node >= 18). */
export function gunzip(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
}
