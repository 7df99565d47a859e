import { BertwebError, isBertwebError, throwIfAborted } from '../../errors.js';
import { selectCache } from '../cache/default-cache.js';
import { type DownloadResult, downloadBlob, downloadFile, probeFile, statFile } from '../download.js';
import { canDigest, sha256Hex } from '../integrity.js';
import { normalizeFileName } from '../names.js';
import { combineProgress, ProgressReporter } from '../progress.js';
import { anySignal, raceAbort } from '../signals.js';
import type {
  CacheEntry,
  DerivedFiles,
  EvictedCopy,
  FileBlob,
  FileStat,
  ModelCache,
  ProgressCallback,
  SourceOptions,
} from '../types.js';
import { BaseModelFiles } from './base-files.js';
import { CacheDerivedFiles } from './derived-files.js';

/** How this source obtained the copy of a file it handed out last. */
interface Copy {
  readonly from: EvictedCopy;
  /** The sha256 a download was verified against (downloads only; a cached copy's is in its entry). */
  readonly sha256?: string;
}

/**
 * Files of a model served over HTTP(S) (a folder URL or a hub repo): cache first, then a verified
 * download that fills the cache. Cache failures never fail a load: a file that could not be stored
 * is still returned (and reported once on the console). A download whose bytes do not match the sha256
 * the server announced is fetched once more before it fails with `INTEGRITY`.
 * {@link RemoteModelFiles.evict} discards an unverified copy that failed to parse, so a poisoned cache
 * entry repairs itself.
 */
export class RemoteModelFiles extends BaseModelFiles {
  private readonly cache: ModelCache | undefined;
  private warnedCache = false;
  private readonly copies = new Map<string, Copy>();
  /** Files whose next read must skip the cache (evicted; in case the cache failed to delete them). */
  private readonly bypass = new Set<string>();

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
    this.derived = this.cache ? new CacheDerivedFiles(this.cache, (name) => this.fileUrl(name)) : undefined;
  }

  /** Converted models of this source live in its cache, under `.bertweb/` URLs of the source. */
  readonly derived: DerivedFiles | undefined;

  /**
   * The file as a Blob out of the JavaScript heap (a temp file in Node), verified like any download and
   * never cached: a checkpoint a converter streams through. A copy already in the cache is used as is.
   */
  override async blob(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<FileBlob> {
    const file = normalizeFileName(name);
    const url = this.fileUrl(file);
    const linked = anySignal([this.options.signal, options?.signal]);
    try {
      throwIfAborted(linked.signal);
      const cached = await this.cachedBytes(url, linked.signal);
      if (cached) return { blob: new Blob([cached as BlobPart]), dispose: async () => {} };
      const onProgress = combineProgress(this.options.onProgress, options?.onProgress);
      return await downloadBlob(url, { ...this.transfer(linked.signal), file, sourceId: this.id, onProgress });
    } finally {
      linked.dispose();
    }
  }

  /** Size, ETag and sha256 from a HEAD request (the version a conversion is cached under). */
  override async stat(name: string, options?: { readonly signal?: AbortSignal }): Promise<FileStat | undefined> {
    const file = normalizeFileName(name);
    const linked = anySignal([this.options.signal, options?.signal]);
    try {
      return await statFile(this.fileUrl(file), { ...this.transfer(linked.signal), file, sourceId: this.id });
    } finally {
      linked.dispose();
    }
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
      if (!this.bypass.has(file) && (await this.isCached(url, linked.signal))) return true;
      let found: boolean;
      try {
        found = await probeFile(url, { ...this.transfer(linked.signal), file, sourceId: this.id });
      } catch (error) {
        // Offline: a file this cache saw missing is still missing, so a cached model loads.
        if (isNetworkError(error) && (await this.markedMissing(url))) return false;
        throw error;
      }
      if (!found) await this.cache?.markMissing?.(url).catch(() => undefined);
      // A mark left by an earlier "not found" (a file added since, a server that lied) would make an
      // offline load skip a file that exists: drop it.
      else if (await this.markedMissing(url)) await this.cache?.delete(url).catch(() => 0);
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
      const cached = this.bypass.has(file) ? undefined : await this.cachedBytes(url, linked.signal);
      if (cached) {
        const reporter = new ProgressReporter(file, onProgress, true);
        reporter.initiate();
        reporter.done(cached.byteLength);
        this.copies.set(file, { from: 'cached' });
        return cached;
      }
      const { bytes, sha256 } = await this.download(url, file, linked.signal, onProgress);
      throwIfAborted(linked.signal);
      await this.store(url, bytes, sha256, linked.signal);
      this.bypass.delete(file);
      this.copies.set(file, sha256 === undefined ? { from: 'downloaded' } : { from: 'downloaded', sha256 });
      throwIfAborted(linked.signal);
      return bytes;
    } finally {
      linked.dispose();
    }
  }

  /**
   * Discards the copy of `name` unless a sha256 vouches for it (a verified download, or a cache entry
   * whose bytes still match the sha256 it was stored with: an entry damaged on disk since is
   * discarded): its cache entry is deleted and the next read downloads it. `only` limits it to a copy
   * of that origin. Returns where the discarded copy came from, `undefined` when nothing was discarded.
   */
  override async evict(name: string, options?: { readonly only?: EvictedCopy }): Promise<EvictedCopy | undefined> {
    const file = normalizeFileName(name);
    const url = this.fileUrl(file);
    const copy = this.copies.get(file);
    if (copy?.sha256 !== undefined) return undefined;
    if (options?.only !== undefined && (copy?.from ?? 'cached') !== options.only) return undefined;
    const entry = await this.cacheEntry(url);
    if (copy === undefined && entry === undefined) return undefined;
    if (copy?.from !== 'downloaded' && entry?.sha256 !== undefined && (await this.stillMatches(url, entry.sha256))) {
      return undefined;
    }
    this.copies.delete(file);
    this.bypass.add(file);
    if (this.cache) {
      try {
        await this.cache.delete(url);
      } catch (error) {
        this.warnCache(`discarding ${url} from the model cache failed`, error);
      }
    }
    return copy?.from ?? 'cached';
  }

  /** Whether the cached bytes of `url` still have `sha256` (assumed where WebCrypto is missing). */
  private async stillMatches(url: string, sha256: string): Promise<boolean> {
    if (!canDigest()) return true;
    const bytes = await this.cachedBytes(url, undefined);
    return bytes !== undefined && (await sha256Hex(bytes)) === sha256;
  }

  /**
   * A verified download. A body that does not match its announced sha256 is fetched once more from
   * scratch (a transfer corrupted on the way); a second mismatch is final (`INTEGRITY`, `attempts: 2`).
   */
  private async download(
    url: string,
    file: string,
    signal: AbortSignal | undefined,
    onProgress: ProgressCallback | undefined,
  ): Promise<DownloadResult> {
    const options = { ...this.transfer(signal), file, sourceId: this.id, onProgress };
    try {
      return await downloadFile(url, options);
    } catch (error) {
      if (!isBertwebError(error, 'INTEGRITY')) throw error;
    }
    try {
      return await downloadFile(url, options);
    } catch (error) {
      if (!isBertwebError(error, 'INTEGRITY')) throw error;
      throw new BertwebError(
        'INTEGRITY',
        `${error.message}; downloaded twice, and neither copy matched`,
        { ...error.details, attempts: 2 },
        { cause: error },
      );
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

  /** The cache's entry of `url` (`undefined` when not cached, unknown, or the cache failed). */
  private async cacheEntry(url: string): Promise<CacheEntry | undefined> {
    try {
      return (await this.cache?.entry?.(url)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether the cache holds `url`: its entry when the cache can tell, else a read of the bytes. */
  private async isCached(url: string, signal: AbortSignal | undefined): Promise<boolean> {
    if (!this.cache) return false;
    if (typeof this.cache.entry !== 'function') return (await this.cachedBytes(url, signal)) !== undefined;
    try {
      return (await raceAbort(this.cache.entry(url), signal)) !== undefined;
    } catch (error) {
      throwIfAborted(signal);
      this.warnCache(`reading ${url} from the model cache failed`, error);
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

  /** Stores a download; an abort during the write is `ABORTED`, any other failure only a warning. */
  private async store(
    url: string,
    bytes: Uint8Array,
    sha256: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (!this.cache) return;
    try {
      await this.cache.put(url, bytes, sha256 === undefined ? undefined : { sha256 }, signal ? { signal } : undefined);
    } catch (error) {
      throwIfAborted(signal);
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
