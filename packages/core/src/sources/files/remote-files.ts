import { BertwebError, throwIfAborted } from '../../errors.js';
import { selectCache } from '../cache/default-cache.js';
import { downloadFile, probeFile } from '../download.js';
import { normalizeFileName } from '../names.js';
import { combineProgress, ProgressReporter } from '../progress.js';
import { anySignal, raceAbort } from '../signals.js';
import type { ModelCache, ProgressCallback, SourceOptions } from '../types.js';
import { BaseModelFiles } from './base-files.js';

/**
 * Files of a model served over HTTP(S) (a folder URL or a hub repo): cache first, then a verified
 * download that fills the cache. Cache failures never fail a load: a file that could not be stored
 * is still returned (and reported once on the console).
 */
export class RemoteModelFiles extends BaseModelFiles {
  private readonly cache: ModelCache | undefined;
  private warnedCache = false;

  /**
   * @param id The source's identity (messages).
   * @param fileUrl Maps a normalized file name to its absolute URL (also the cache key).
   */
  constructor(
    readonly id: string,
    private readonly fileUrl: (name: string) => string,
    private readonly options: SourceOptions = {},
  ) {
    super();
    this.cache = selectCache(options.cache);
  }

  /** The URL a file is fetched from (and cached under). */
  urlOf(name: string): string {
    return this.fileUrl(normalizeFileName(name));
  }

  async exists(name: string, options?: { readonly signal?: AbortSignal }): Promise<boolean> {
    const file = normalizeFileName(name);
    const url = this.fileUrl(file);
    const linked = anySignal([this.options.signal, options?.signal]);
    try {
      throwIfAborted(linked.signal);
      if (await this.cachedBytes(url, linked.signal)) return true;
      let found: boolean;
      try {
        found = await probeFile(url, { ...this.transfer(linked.signal), file, sourceId: this.id });
      } catch (error) {
        // Offline: a file this cache saw missing is still missing, so a cached model loads.
        if (isNetworkError(error) && (await this.markedMissing(url))) return false;
        throw error;
      }
      if (!found) await this.cache?.markMissing?.(url).catch(() => undefined);
      return found;
    } finally {
      linked.dispose();
    }
  }

  async bytes(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<Uint8Array> {
    const file = normalizeFileName(name);
    const url = this.fileUrl(file);
    const onProgress = combineProgress(this.options.onProgress, options?.onProgress);
    const linked = anySignal([this.options.signal, options?.signal]);
    try {
      throwIfAborted(linked.signal);
      const cached = await this.cachedBytes(url, linked.signal);
      if (cached) {
        const reporter = new ProgressReporter(file, onProgress, true);
        reporter.initiate();
        reporter.done(cached.byteLength);
        return cached;
      }
      const { bytes, sha256 } = await downloadFile(url, {
        ...this.transfer(linked.signal),
        file,
        sourceId: this.id,
        onProgress,
      });
      throwIfAborted(linked.signal);
      await this.store(url, bytes, sha256);
      return bytes;
    } finally {
      linked.dispose();
    }
  }

  private transfer(signal: AbortSignal | undefined) {
    const { fetch, retries, retryDelayMs, stallTimeoutMs } = this.options;
    return { fetch, retries, retryDelayMs, stallTimeoutMs, signal };
  }

  private async markedMissing(url: string): Promise<boolean> {
    try {
      return (await this.cache?.isMarkedMissing?.(url)) ?? false;
    } catch {
      return false;
    }
  }

  /** A cache hit, or `undefined` (a broken cache counts as a miss). */
  private async cachedBytes(url: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    if (!this.cache) return undefined;
    try {
      return await raceAbort(this.cache.get(url), signal);
    } catch (error) {
      throwIfAborted(signal);
      this.warnCache(`reading ${url} from the model cache failed`, error);
      return undefined;
    }
  }

  private async store(url: string, bytes: Uint8Array, sha256: string | undefined): Promise<void> {
    if (!this.cache) return;
    try {
      await this.cache.put(url, bytes, sha256 === undefined ? undefined : { sha256 });
    } catch (error) {
      this.warnCache(`caching ${url} failed; the model works but will be downloaded again next time`, error);
    }
  }

  private warnCache(message: string, error: unknown): void {
    if (this.warnedCache) return;
    this.warnedCache = true;
    console.warn(`bertweb: ${message}:`, error instanceof Error ? error.message : error);
  }
}

function isNetworkError(error: unknown): boolean {
  return error instanceof BertwebError && error.code === 'NETWORK';
}
