import { BertwebError } from '../core.js';
import { type ByteSource, blobSource, bytesSource } from './byte-source.js';

/**
 * The files of a checkpoint or model folder: relative names with `/` separators, opened on demand.
 * Node builds one over a folder; the browser over dropped files.
 */
export interface FileSet {
  /** For messages: a path, URL or a short description. */
  readonly id: string;
  names(): readonly string[];
  open(name: string): Promise<ByteSource>;
}

/**
 * File contents accepted from callers: bytes, a Blob/File (read by slices), or any {@link ByteSource}
 * (a Node file handle, a range-reading remote file, ...). Only the byte ranges the readers need are read.
 */
export type FileContent = Uint8Array | ArrayBuffer | Blob | ByteSource;

/** Whether a value is a {@link ByteSource} (duck-typed: `size` and `read`). */
export function isByteSource(value: unknown): value is ByteSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    !(value instanceof ArrayBuffer) &&
    typeof (value as Partial<ByteSource>).read === 'function' &&
    typeof (value as Partial<ByteSource>).size === 'number'
  );
}

/** Normalizes `a\\b`, `./a/b` to `a/b`. */
export function normalizeName(name: string): string {
  return name
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '');
}

/**
 * A file set over a map or record of names to contents (drag and drop, tests).
 *
 * @example
 * ```ts
 * const files = memoryFileSet('dropped', new Map([['pytorch_model.bin', file]]));
 * ```
 */
export function memoryFileSet(
  id: string,
  files: ReadonlyMap<string, FileContent> | Readonly<Record<string, FileContent>>,
): FileSet {
  const entries = new Map<string, FileContent>();
  const source = files instanceof Map ? files.entries() : Object.entries(files);
  for (const [name, content] of source) entries.set(normalizeName(name), content);
  return {
    id,
    names: () => [...entries.keys()],
    async open(name) {
      const content = entries.get(normalizeName(name));
      if (content === undefined) throw new BertwebError('MODEL_NOT_FOUND', `${id}: no file ${name}`);
      if (content instanceof Uint8Array) return bytesSource(name, content);
      if (content instanceof ArrayBuffer) return bytesSource(name, new Uint8Array(content));
      if (isByteSource(content)) return content;
      return blobSource(name, content);
    },
  };
}

/** A view of the files under `dir` of another set, with names relative to `dir`. */
export function subFileSet(files: FileSet, dir: string): FileSet {
  if (dir === '') return files;
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return {
    id: `${files.id}/${dir}`,
    names: () => files.names().flatMap((n) => (n.startsWith(prefix) ? [n.slice(prefix.length)] : [])),
    open: (name) => files.open(prefix + name),
  };
}

/**
 * What a base model (`--base`) must provide: `@bertweb/core`'s `ModelFiles` has this shape, so a folder,
 * URL or hub id resolved by core plugs in directly.
 */
export interface BaseModelFiles {
  readonly id: string;
  exists(name: string): Promise<boolean>;
  bytes(name: string): Promise<Uint8Array>;
}

/** Adapts a {@link FileSet} to {@link BaseModelFiles}. */
export function fileSetAsBase(files: FileSet): BaseModelFiles {
  return {
    id: files.id,
    exists: async (name) => files.names().includes(name),
    bytes: async (name) => {
      const source = await files.open(name);
      return source.read(0, source.size);
    },
  };
}
