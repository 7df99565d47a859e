/**
 * In-memory conversion: files in (a dropped folder, a DeepPavlov tarball, bytes), files out. Runs in
 * browsers, workers and Node alike; the Node API (`convert`) is the same pipeline with file handles and a
 * temp folder.
 */
import { BertwebError, throwIfAborted } from './core.js';
import { extractTar, gunzip, looksLikeGzip } from './formats/tar.js';
import type { ByteSource } from './io/byte-source.js';
import { type BaseModelFiles, type FileContent, fileSetAsBase, isByteSource, memoryFileSet } from './io/file-set.js';
import { findWeightsFile, openCheckpoint } from './model/checkpoint.js';
import { writeChunks } from './onnx/proto.js';
import { type ConvertOptions, type ConvertSummary, convertCheckpoint, type OutputSink } from './pipeline.js';

/** Options of {@link convertFiles}. */
export interface ConvertFilesOptions extends ConvertOptions {
  /** Base model files (config.json, tokenizer), as a map or as a resolved `@bertweb/core` source. */
  readonly base?: ReadonlyMap<string, FileContent> | BaseModelFiles;
  /** Receives the summary (task, labels, sizes, warnings). */
  readonly onSummary?: (summary: ConvertSummary) => void;
  /**
   * How outputs come back: `bytes` (default, one Uint8Array per file) or `blob` (Blobs assembled from
   * 16 MiB parts as they are written: in Chromium a large Blob lives in the browser process or on disk,
   * so the converted model leaves the page's heap as it is written).
   */
  readonly output?: 'bytes' | 'blob';
  /**
   * Your own destination instead of the returned map (a cache entry being filled, a file): every output
   * file goes to it, chunk by chunk, and the returned map is empty.
   */
  readonly sink?: OutputSink;
}

const ARCHIVE = /\.(tar\.gz|tgz|tar)$/i;

/**
 * Unpacks a (gzipped) tar archive into memory as Blobs, one per member.
 *
 * @example
 * ```ts
 * const files = await unpackArchive(droppedFile);
 * ```
 */
export async function unpackArchive(archive: Blob | ByteSource, signal?: AbortSignal): Promise<Map<string, Blob>> {
  const source = isByteSource(archive) ? archive : undefined;
  const head = source
    ? await source.read(0, Math.min(2, source.size))
    : new Uint8Array(await (archive as Blob).slice(0, 2).arrayBuffer());
  const raw = source ? sourceStream(source) : ((archive as Blob).stream() as ReadableStream<Uint8Array>);
  const stream = looksLikeGzip(head) ? gunzip(raw) : raw;
  const files = new Map<string, Blob>();
  await extractTar(
    stream,
    {
      file(name) {
        const parts: Uint8Array[] = [];
        return {
          write: (chunk) => {
            parts.push(chunk);
          },
          close: () => {
            files.set(name, new Blob(parts as BlobPart[]));
          },
        };
      },
    },
    signal,
  );
  return files;
}

/** A stream over a source, read in 1 MiB ranges (an archive behind a {@link ByteSource}). */
function sourceStream(source: ByteSource): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= source.size) {
        controller.close();
        return;
      }
      const length = Math.min(1 << 20, source.size - offset);
      controller.enqueue(await source.read(offset, length));
      offset += length;
    },
  });
}

function toBlob(content: Exclude<FileContent, ByteSource>): Blob {
  return content instanceof Blob ? content : new Blob([content as BlobPart]);
}

/** If `files` holds no weights but one archive, the archive's contents (Blobs stay Blobs: no copy). */
async function expandArchive(
  files: ReadonlyMap<string, FileContent>,
  signal?: AbortSignal,
): Promise<ReadonlyMap<string, FileContent>> {
  const names = [...files.keys()];
  if (findWeightsFile(names)) return files;
  const archives = names.filter((n) => ARCHIVE.test(n));
  if (archives.length !== 1) return files;
  const archive = files.get(archives[0] as string) as FileContent;
  return unpackArchive(isByteSource(archive) ? archive : toBlob(archive), signal);
}

/** Outputs as one Uint8Array per file (allocated once at its final size: no growing copies). */
function memorySink(out: Map<string, Uint8Array>): OutputSink {
  return {
    async write(name, chunks, size) {
      const bytes = new Uint8Array(size);
      let offset = 0;
      await writeChunks(chunks, (b) => {
        bytes.set(b, offset);
        offset += b.byteLength;
      });
      if (offset !== size) throw new BertwebError('INTERNAL', `${name}: wrote ${offset} of ${size} bytes`);
      out.set(name, bytes);
    },
  };
}

/** Blob parts are flushed into the growing Blob at this size (Blobs compose by reference, not by copy). */
const BLOB_PART_BYTES = 16 * 1024 * 1024;

/** Outputs as Blobs, built part by part so that the bytes leave the JS heap as they are written. */
function blobSink(out: Map<string, Blob>): OutputSink {
  return {
    async write(name, chunks, size) {
      let blob = new Blob([]);
      let parts: Uint8Array[] = [];
      let pending = 0;
      const flush = (): void => {
        blob = new Blob([blob, ...(parts as BlobPart[])]);
        parts = [];
        pending = 0;
      };
      await writeChunks(chunks, (b) => {
        // Chunks may be views of reused buffers (header scratch): keep a private copy of small ones.
        parts.push(b.byteLength < 65_536 ? b.slice() : b);
        pending += b.byteLength;
        if (pending >= BLOB_PART_BYTES) flush();
      });
      flush();
      if (blob.size !== size) throw new BertwebError('INTERNAL', `${name}: wrote ${blob.size} of ${size} bytes`);
      out.set(name, blob);
    },
  };
}

/**
 * Converts a checkpoint given as files into a model folder: `config.json`, tokenizer files, optional
 * `crf.json`, sentence-transformers modules (`modules.json`, `1_Pooling/`, `2_Dense/` as float32
 * safetensors, ...) and `onnx/model*.onnx` per dtype. This is the in-memory entry for browsers, workers
 * and load-time conversion in Node:
 *
 * - `files`: names relative to the checkpoint folder (`pytorch_model.bin`, `config.json`, `vocab.txt`,
 *   `2_Dense/pytorch_model.bin`, ...) or a single DeepPavlov `.tar.gz`; contents as bytes, Blobs or
 *   {@link ByteSource}s. Tensors are read lazily by byte range (`blob.slice()`, file handle reads), one
 *   at a time, so a disk-backed Blob (a fetch response, a Cache API entry) keeps the checkpoint out of
 *   the JS heap.
 * - `options.base`: config.json / tokenizer of the base model when the checkpoint lacks them (a map or a
 *   `@bertweb/core` `ModelFiles`).
 * - `options.dtypes`: the variants to write (e.g. `['q8']`); `onProgress` reports `fraction` of all
 *   output bytes; `signal` aborts between tensors with `ABORTED`.
 * - Output: a map of file names to Uint8Arrays (default), Blobs (`output: 'blob'`), or nothing when
 *   `options.sink` receives the files as they are written.
 *
 * Peak memory is about the outputs plus one tensor in flight (the largest: the word embeddings, which
 * q8 / q4 quantize row by row).
 *
 * @example
 * ```ts
 * const out = await convertFiles(new Map([['model.tar.gz', droppedFile]]), {
 *   base: new Map([['config.json', configBlob], ['vocab.txt', vocabBlob]]),
 *   dtypes: ['q8'],
 * });
 * const session = await ort.InferenceSession.create(out.get('onnx/model_quantized.onnx')!);
 * ```
 */
export async function convertFiles(
  files: ReadonlyMap<string, FileContent>,
  options?: ConvertFilesOptions & { readonly output?: 'bytes' },
): Promise<Map<string, Uint8Array>>;
export async function convertFiles(
  files: ReadonlyMap<string, FileContent>,
  options: ConvertFilesOptions & { readonly output: 'blob' },
): Promise<Map<string, Blob>>;
export async function convertFiles(
  files: ReadonlyMap<string, FileContent>,
  options?: ConvertFilesOptions,
): Promise<Map<string, Uint8Array | Blob>>;
export async function convertFiles(
  files: ReadonlyMap<string, FileContent>,
  options: ConvertFilesOptions = {},
): Promise<Map<string, Uint8Array | Blob>> {
  if (options.output !== undefined && options.output !== 'bytes' && options.output !== 'blob') {
    throw new BertwebError('INPUT_INVALID', `output must be 'bytes' or 'blob', not ${JSON.stringify(options.output)}`);
  }
  throwIfAborted(options.signal);
  const input = memoryFileSet('input files', await expandArchive(files, options.signal));
  const checkpoint = await openCheckpoint(input);
  let base: BaseModelFiles | undefined;
  if (options.base instanceof Map) base = fileSetAsBase(memoryFileSet('base files', options.base));
  else if (options.base) base = options.base as BaseModelFiles;
  const bytes = new Map<string, Uint8Array>();
  const blobs = new Map<string, Blob>();
  const sink = options.sink ?? (options.output === 'blob' ? blobSink(blobs) : memorySink(bytes));
  const summary = await convertCheckpoint(checkpoint, base, sink, options);
  options.onSummary?.(summary);
  return options.output === 'blob' ? blobs : bytes;
}
