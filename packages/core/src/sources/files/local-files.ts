import type * as FsPromises from 'node:fs/promises';
import type * as Path from 'node:path';
import { BertwebError, throwIfAborted } from '../../errors.js';
import { selectCache } from '../cache/default-cache.js';
import { normalizeFileName } from '../names.js';
import { nodeBuiltin } from '../platform.js';
import { combineProgress, ProgressReporter } from '../progress.js';
import { anySignal } from '../signals.js';
import type { DerivedFiles, FileBlob, FileStat, ProgressCallback, SourceOptions } from '../types.js';
import { BaseModelFiles } from './base-files.js';
import { CacheDerivedFiles } from './derived-files.js';

/** Error codes of `fs` that mean "this file is not there (for us)". */
const MISSING_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM']);

/**
 * Files of a model folder on the local disk (Node). Nothing is cached: the folder is the cache.
 * Reads report `initiate` and `done` progress events so UIs complete as for downloads.
 */
export class LocalModelFiles extends BaseModelFiles {
  /** @param id The folder path (absolute where Node could resolve it). */
  constructor(
    readonly id: string,
    private readonly options: SourceOptions = {},
  ) {
    super();
    const cache = selectCache(options.cache);
    // Converted models of a local checkpoint go to the model cache, keyed by the folder's file URL.
    this.derived = cache
      ? new CacheDerivedFiles(cache, (name) => `file://${id.split('\\').join('/').replace(/\/?$/, '/')}${name}`)
      : undefined;
  }

  readonly derived: DerivedFiles | undefined;

  /** A file-backed Blob (`fs.openAsBlob`): a checkpoint is read in ranges, never whole. */
  override async blob(name: string, options?: { readonly signal?: AbortSignal }): Promise<FileBlob> {
    const file = normalizeFileName(name);
    throwIfAborted(this.options.signal);
    throwIfAborted(options?.signal);
    if (!(await this.exists(file))) throw this.notFound(file);
    const { openAsBlob } = await nodeBuiltin<typeof import('node:fs')>('node:fs');
    return { blob: await openAsBlob(await this.pathOf(file)), dispose: async () => {} };
  }

  /** Size and modification time (a changed checkpoint is converted again). */
  override async stat(name: string): Promise<FileStat | undefined> {
    const fs = await nodeBuiltin<typeof FsPromises>('node:fs/promises');
    try {
      const stats = await fs.stat(await this.pathOf(normalizeFileName(name)));
      return stats.isFile() ? { size: stats.size, etag: `mtime:${stats.mtimeMs}` } : undefined;
    } catch {
      return undefined;
    }
  }

  private async pathOf(file: string): Promise<string> {
    const path = await nodeBuiltin<typeof Path>('node:path');
    return path.join(this.id, ...file.split('/'));
  }

  async exists(name: string, options?: { readonly signal?: AbortSignal }): Promise<boolean> {
    const file = normalizeFileName(name);
    throwIfAborted(this.options.signal);
    throwIfAborted(options?.signal);
    const fs = await nodeBuiltin<typeof FsPromises>('node:fs/promises');
    try {
      return (await fs.stat(await this.pathOf(file))).isFile();
    } catch {
      return false;
    }
  }

  async bytes(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<Uint8Array> {
    const file = normalizeFileName(name);
    const linked = anySignal([this.options.signal, options?.signal]);
    try {
      throwIfAborted(linked.signal);
      const reporter = new ProgressReporter(file, combineProgress(this.options.onProgress, options?.onProgress));
      reporter.initiate();
      const fs = await nodeBuiltin<typeof FsPromises>('node:fs/promises');
      const path = await this.pathOf(file);
      let buffer: Uint8Array;
      try {
        buffer = await fs.readFile(path, linked.signal ? { signal: linked.signal } : undefined);
      } catch (error) {
        throwIfAborted(linked.signal);
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && MISSING_CODES.has(code)) throw this.notFound(file, { path, reason: code });
        // EIO, EMFILE, ...: the file is there but cannot be had, which for the caller is "not available".
        throw new BertwebError(
          'MODEL_NOT_FOUND',
          `model file "${file}" of ${this.id} could not be read: ${String(error)}`,
          { file, source: this.id, path, ...(typeof code === 'string' ? { reason: code } : {}) },
          { cause: error },
        );
      }
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      reporter.done(bytes.byteLength);
      return bytes;
    } finally {
      linked.dispose();
    }
  }
}
