/** Model sources: where the files of a model folder (DESIGN.md layout) come from. */

/** Download and cache progress, per file (Transformers.js-compatible shape). */
export interface ProgressEvent {
  /** `convert`: a checkpoint is being converted at load time (`fraction` tells how far). */
  readonly status: 'initiate' | 'download' | 'progress' | 'done' | 'convert' | 'ready';
  /** File name inside the model folder, e.g. `onnx/model_quantized.onnx`. */
  readonly file: string;
  readonly loaded: number;
  /** Total bytes when known, else 0. */
  readonly total: number;
  /** True when the bytes came from the cache. */
  readonly cached?: boolean;
  /** `convert` events: the share of the conversion done, 0 to 1. */
  readonly fraction?: number;
}

/** Callback receiving {@link ProgressEvent}s. */
export type ProgressCallback = (event: ProgressEvent) => void;

/** A map of file names (model-folder relative, e.g. `onnx/model.onnx`) to contents. */
export type FileMap = Readonly<Record<string, Uint8Array | ArrayBuffer | Blob>>;

/**
 * Where a model comes from:
 * - a string: a local folder path (Node), an `http(s):`/`file:` URL of a folder, or a hub id
 *   `owner/name` (optionally `owner/name@revision`);
 * - `{ hub, revision?, baseUrl? }`; `{ url }`; `{ path }`; `{ files }` (drag and drop).
 */
export type ModelSource =
  | string
  | URL
  | { readonly hub: string; readonly revision?: string; readonly baseUrl?: string }
  | { readonly url: string | URL }
  | { readonly path: string }
  | { readonly files: FileMap; readonly name?: string }
  | DeepPavlovSource;

/**
 * A DeepPavlov config as a source: its JSON (an object or JSON text) or the name of one of DeepPavlov 1.7's
 * BERT-family configs. Its tarball is downloaded (from `filesBaseUrl` in place of the config's host when
 * given), unpacked, converted with the config's base transformer and cached; its settings become the head's
 * defaults. Loaded by `loadModel` and the heads (it is not a folder of files).
 *
 * @example
 * ```ts
 * const tagger = await createTagger({ deeppavlov: 'ner_rus_bert', filesBaseUrl: 'http://mirror.local' });
 * ```
 */
export interface DeepPavlovSource {
  readonly deeppavlov: unknown;
  /** Replaces the scheme and host (and adds any path) of the config's download URLs: a mirror. */
  readonly filesBaseUrl?: string;
}

/** Options for resolving and reading a source; each defaults to the `env` setting of the same name. */
export interface SourceOptions {
  /** Hub base URL (default `env.hubBaseUrl`). */
  readonly hubBaseUrl?: string;
  /** Hub revision of ids without `@revision` (default `env.revision`, `main`). */
  readonly revision?: string;
  /** Use and fill the cache, or use this one (default `env.cache`, true). */
  readonly cache?: boolean | ModelCache;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressCallback;
  /** Extra attempts after the first for transient failures (5xx, 429, network errors, stalls); default `env.retries`. */
  readonly retries?: number;
  /** First backoff delay in ms, doubled per attempt; default `env.retryDelayMs`. */
  readonly retryDelayMs?: number;
  /** Custom fetch (tests, auth headers). */
  readonly fetch?: typeof fetch;
  /** A stalled download (no bytes) fails after this many ms; default `env.stallTimeoutMs`. */
  readonly stallTimeoutMs?: number;
}

/**
 * What identifies the current version of a file without reading it (a hub file's sha256 or ETag, a
 * local file's size and modification time): conversions of a checkpoint are cached under it.
 *
 * @example
 * ```ts
 * const stat: FileStat = { size: 711_456_796, sha256: 'b6f2...' };
 * ```
 */
export interface FileStat {
  readonly size?: number;
  /** Strong ETag (or `mtime:<ms>` for a local file). */
  readonly etag?: string;
  /** sha256 the server announced (the hub does for LFS files). */
  readonly sha256?: string;
}

/**
 * A file handed out as a Blob that need not be in the JavaScript heap (a temp file in Node, browser blob
 * storage): what a converter reads in ranges. `dispose()` frees its storage.
 *
 * @example
 * ```ts
 * const { blob, dispose } = await files.blob('pytorch_model.bin');
 * ```
 */
export interface FileBlob {
  readonly blob: Blob;
  dispose(): Promise<void>;
}

/**
 * Files derived from a source (a checkpoint converted to ONNX), kept in the model cache beside its
 * downloads, under names of the deriver's choosing (`.bertweb/converted/...`).
 *
 * @example
 * ```ts
 * await files.derived?.put('.bertweb/converted/0.2.0/q8/manifest.json', bytes);
 * ```
 */
export interface DerivedFiles {
  get(name: string): Promise<Uint8Array | undefined>;
  /** Stores a complete file; honours `signal` until the write commits. */
  put(name: string, bytes: Uint8Array, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** Deletes one name, or every name under a prefix ending in `/`; returns the count removed. */
  delete(nameOrPrefix: string): Promise<number>;
}

/** Read access to the files of one model folder. */
export interface ModelFiles {
  /** Human-readable identity (path, URL or hub id@revision), used in messages and cache keys. */
  readonly id: string;
  /** Whether a file exists (HEAD for remote sources). */
  exists(name: string, options?: { readonly signal?: AbortSignal }): Promise<boolean>;
  /** File bytes; `MODEL_NOT_FOUND` if missing. Large files report progress. */
  bytes(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<Uint8Array>;
  /** UTF-8 text of a file. */
  text(name: string, options?: { readonly signal?: AbortSignal }): Promise<string>;
  /** Parsed JSON of a file; `MODEL_INVALID` when it does not parse. */
  json<T = unknown>(name: string, options?: { readonly signal?: AbortSignal }): Promise<T>;
  /**
   * A (large) file as a Blob kept out of the JavaScript heap where the platform allows, never cached: a
   * checkpoint a converter streams through. `MODEL_NOT_FOUND` if missing.
   */
  blob?(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<FileBlob>;
  /** What identifies the file's current version, without reading it; `undefined` when it does not exist. */
  stat?(name: string, options?: { readonly signal?: AbortSignal }): Promise<FileStat | undefined>;
  /** Storage for files derived from this source (converted models); absent when nothing is cached. */
  readonly derived?: DerivedFiles;
  /**
   * Discards this source's copy of `name` when nothing vouches for it (a cached or downloaded file
   * without a verified sha256), so that the next read fetches it again; a loader calls it for files that
   * failed to parse or validate. Returns where the discarded copy came from, or `undefined` when
   * nothing was discarded because reading again would give the same bytes (local folders, file maps,
   * files verified by sha256 whose copy still matches it, files this source never held). With
   * `only: 'downloaded'`, a copy read from the cache stays (a loader that failed for another reason
   * drops what it downloaded and never validated, but not what an earlier load validated). Optional:
   * sources without it are never re-read.
   */
  evict?(name: string, options?: { readonly only?: EvictedCopy }): Promise<EvictedCopy | undefined>;
}

/**
 * Where a copy discarded by {@link ModelFiles.evict} came from: `cached` (read from the cache), or
 * `downloaded` (fetched by this source, and stored in the cache if it has one).
 *
 * @example
 * ```ts
 * const copy: EvictedCopy | undefined = await files.evict?.('config.json');
 * if (copy) console.log(`discarded the ${copy} copy; the next read downloads it again`);
 * ```
 */
export type EvictedCopy = 'cached' | 'downloaded';

/** One cached model file. */
export interface CacheEntry {
  /** Cache key: the file URL (with revision). */
  readonly url: string;
  readonly size: number;
  readonly sha256?: string;
  readonly storedAt: number;
}

/** A persistent store of verified downloads (Cache API in browsers, a folder in Node). */
export interface ModelCache {
  get(url: string): Promise<Uint8Array | undefined>;
  /**
   * Stores a complete file (with the sha256 it was verified against, if any). Until the entry is being
   * committed, `options.signal` cancels the write (`ABORTED`), leaving nothing behind: no entry, no
   * temporary file. A commit that has begun completes, so an entry is always whole or absent.
   */
  put(
    url: string,
    bytes: Uint8Array,
    meta?: { readonly sha256?: string },
    options?: { readonly signal?: AbortSignal },
  ): Promise<void>;
  /**
   * The entry of one URL (size and verified sha256) without reading its bytes, or `undefined` when the
   * URL is not cached. Optional: without it, cached files count as unverified and `exists` reads bytes.
   */
  entry?(url: string): Promise<CacheEntry | undefined>;
  list(): Promise<CacheEntry[]>;
  /**
   * Deletes one URL, or every URL starting with `prefix` when it ends in `/` (missing-file marks too).
   * Returns the count of files removed.
   */
  delete(urlOrPrefix: string): Promise<number>;
  /**
   * Remembers that `url` answered "not found". Models ask for optional files (`tokenizer.json` before
   * `vocab.txt`, `crf.json`, ...); offline, the marks let a cached model load without the network.
   * Optional: caches without it only work offline for files they hold. A no-op while `url` is cached.
   */
  markMissing?(url: string): Promise<void>;
  /** Whether `url` is marked missing (storing the file clears the mark; a cached file is never marked). */
  isMarkedMissing?(url: string): Promise<boolean>;
  /** Bytes used and available, when the platform knows. */
  estimate(): Promise<{ readonly usage: number; readonly quota?: number; readonly persisted?: boolean }>;
}
