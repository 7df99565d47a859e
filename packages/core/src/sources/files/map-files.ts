import { BertwebError, throwIfAborted } from '../../errors.js';
import { detectDroppedRoot, normalizeFileName } from '../names.js';
import { combineProgress, ProgressReporter } from '../progress.js';
import { anySignal, raceAbort } from '../signals.js';
import type { FileBlob, FileMap, FileStat, ProgressCallback, SourceOptions } from '../types.js';
import { BaseModelFiles } from './base-files.js';

type FileValue = Uint8Array | ArrayBuffer | Blob;

/**
 * Files given as a map of names to bytes, `Blob`s or `File`s (drag and drop). Names are normalized
 * (`\\` -> `/`, no leading `./`) and the folder that drag-and-drop puts in front of every name
 * (`mymodel/config.json`) is stripped; see `detectDroppedRoot`.
 */
export class FileMapModelFiles extends BaseModelFiles {
  private readonly files = new Map<string, FileValue>();

  constructor(
    files: FileMap,
    readonly id: string,
    private readonly options: SourceOptions = {},
  ) {
    super();
    if (typeof files !== 'object' || files === null) {
      throw new BertwebError('INPUT_INVALID', 'a file-map source needs an object of file names to contents');
    }
    const normalized: Array<[string, FileValue]> = [];
    for (const [name, value] of Object.entries(files)) {
      if (!isFileValue(value)) {
        throw new BertwebError('INPUT_INVALID', `file "${name}" must be a Uint8Array, an ArrayBuffer or a Blob`, {
          file: name,
        });
      }
      normalized.push([normalizeFileName(name), value]);
    }
    const root = detectDroppedRoot(normalized.map(([name]) => name));
    for (const [name, value] of normalized) this.files.set(name.slice(root.length), value);
  }

  /** The normalized file names (sorted). */
  names(): string[] {
    return [...this.files.keys()].sort();
  }

  async exists(name: string): Promise<boolean> {
    return this.files.has(normalizeFileName(name));
  }

  /** A Blob or File given as such stays what it is (a dropped 700 MB checkpoint is never read whole). */
  override async blob(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<FileBlob> {
    const value = this.files.get(normalizeFileName(name));
    if (value instanceof Blob) {
      throwIfAborted(this.options.signal);
      throwIfAborted(options?.signal);
      return { blob: value, dispose: async () => {} };
    }
    return super.blob(name, options);
  }

  override async stat(name: string): Promise<FileStat | undefined> {
    const value = this.files.get(normalizeFileName(name));
    if (value === undefined) return undefined;
    return { size: value instanceof Blob ? value.size : value.byteLength };
  }

  async bytes(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<Uint8Array> {
    const file = normalizeFileName(name);
    const value = this.files.get(file);
    if (value === undefined) throw this.notFound(file, { available: this.names() });
    const linked = anySignal([this.options.signal, options?.signal]);
    try {
      throwIfAborted(linked.signal);
      const reporter = new ProgressReporter(file, combineProgress(this.options.onProgress, options?.onProgress));
      reporter.initiate();
      const bytes =
        value instanceof Uint8Array
          ? value
          : value instanceof ArrayBuffer
            ? new Uint8Array(value)
            : new Uint8Array(await raceAbort(value.arrayBuffer(), linked.signal));
      reporter.done(bytes.byteLength);
      return bytes;
    } finally {
      linked.dispose();
    }
  }
}

function isFileValue(value: unknown): value is FileValue {
  return (
    value instanceof Uint8Array ||
    value instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && value instanceof Blob)
  );
}

/**
 * A {@link FileMap} from `File` objects, named by `webkitRelativePath` (folder pickers and dropped
 * folders) or else by `name`.
 *
 * @example
 * ```ts
 * input.onchange = () => createTagger({ files: fileMapFromFiles(input.files!) });
 * ```
 */
export function fileMapFromFiles(files: Iterable<File> | ArrayLike<File>): Record<string, File> {
  const map: Record<string, File> = {};
  for (const file of Array.from(files)) {
    const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
    map[relative ? relative : file.name] = file;
  }
  return map;
}
