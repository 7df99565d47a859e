/**
 * In-memory conversion: files in (a dropped folder, a DeepPavlov tarball, bytes), files out. Runs in
 * browsers, workers and Node alike; the Node API (`convert`) is the same pipeline with file handles and a
 * temp folder.
 */
import { BertwebError } from './core.js';
import { extractTar, gunzip, looksLikeGzip } from './formats/tar.js';
import { type BaseModelFiles, type FileContent, fileSetAsBase, memoryFileSet } from './io/file-set.js';
import { findWeightsFile, openCheckpoint } from './model/checkpoint.js';
import { writeChunks } from './onnx/proto.js';
import { type ConvertOptions, type ConvertSummary, convertCheckpoint, type OutputSink } from './pipeline.js';

/** Options of {@link convertFiles}. */
export interface ConvertFilesOptions extends ConvertOptions {
  /** Base model files (config.json, tokenizer), as a map or as a resolved `@bertweb/core` source. */
  readonly base?: ReadonlyMap<string, FileContent> | BaseModelFiles;
  /** Receives the summary (task, labels, sizes, warnings). */
  readonly onSummary?: (summary: ConvertSummary) => void;
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
export async function unpackArchive(archive: Blob, signal?: AbortSignal): Promise<Map<string, Blob>> {
  const head = new Uint8Array(await archive.slice(0, 2).arrayBuffer());
  const raw = archive.stream() as ReadableStream<Uint8Array>;
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

function toBlob(content: FileContent): Blob {
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
  return unpackArchive(toBlob(files.get(archives[0] as string) as FileContent), signal);
}

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

/**
 * Converts a checkpoint given as files (names relative to the checkpoint folder: `pytorch_model.bin`,
 * `config.json`, `vocab.txt`, ...; or a single DeepPavlov `.tar.gz`) into a model folder in memory:
 * `config.json`, tokenizer files, optional `crf.json`, and `onnx/model*.onnx` per dtype.
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
  options: ConvertFilesOptions = {},
): Promise<Map<string, Uint8Array>> {
  const input = memoryFileSet('input files', await expandArchive(files, options.signal));
  const checkpoint = await openCheckpoint(input);
  let base: BaseModelFiles | undefined;
  if (options.base instanceof Map) base = fileSetAsBase(memoryFileSet('base files', options.base));
  else if (options.base) base = options.base as BaseModelFiles;
  const out = new Map<string, Uint8Array>();
  const summary = await convertCheckpoint(checkpoint, base, memorySink(out), options);
  options.onSummary?.(summary);
  return out;
}
