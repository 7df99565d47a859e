import { BertwebError } from '../../errors.js';
import type { EvictedCopy, FileBlob, FileStat, ModelFiles, ProgressCallback } from '../types.js';

const utf8 = new TextDecoder('utf-8');

/** `text` and `json` on top of `bytes`, shared by every {@link ModelFiles} implementation. */
export abstract class BaseModelFiles implements ModelFiles {
  abstract readonly id: string;

  abstract exists(name: string, options?: { readonly signal?: AbortSignal }): Promise<boolean>;

  abstract bytes(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<Uint8Array>;

  async text(name: string, options?: { readonly signal?: AbortSignal }): Promise<string> {
    return utf8.decode(await this.bytes(name, options));
  }

  async json<T = unknown>(name: string, options?: { readonly signal?: AbortSignal }): Promise<T> {
    const text = await this.text(name, options);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new BertwebError(
        'MODEL_INVALID',
        `"${name}" of ${this.id} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        { file: name, source: this.id },
        { cause: error },
      );
    }
  }

  /** By default the bytes, as a Blob (sources with out-of-heap storage override this). */
  async blob(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<FileBlob> {
    const bytes = await this.bytes(name, options);
    return { blob: new Blob([bytes as BlobPart]), dispose: async () => {} };
  }

  /** By default only whether the file exists (sources that know more override this). */
  async stat(name: string, options?: { readonly signal?: AbortSignal }): Promise<FileStat | undefined> {
    return (await this.exists(name, options)) ? {} : undefined;
  }

  /**
   * Nothing to discard by default: local folders and file maps give the same bytes every time (remote
   * sources override this).
   */
  async evict(_name: string, _options?: { readonly only?: EvictedCopy }): Promise<EvictedCopy | undefined> {
    return undefined;
  }

  /** The `MODEL_NOT_FOUND` error for a missing file. */
  protected notFound(name: string, details?: Record<string, unknown>): BertwebError {
    return new BertwebError('MODEL_NOT_FOUND', `model file "${name}" not found in ${this.id}`, {
      file: name,
      source: this.id,
      ...details,
    });
  }
}
