import { BertwebError, toBertwebError } from '../../errors.js';
import { normalizeFileName } from '../names.js';
import type { DerivedFiles, EvictedCopy, FileBlob, FileStat, ModelFiles, ProgressCallback } from '../types.js';
import { BaseModelFiles } from './base-files.js';

/** Error codes that mean "these bytes are not a valid model file" (a re-read may help). */
const VALIDATION_CODES: ReadonlySet<string> = new Set(['MODEL_INVALID', 'TOKENIZER_MISMATCH']);

/** Files suspected of a validation failure, by the error object that reported it. */
const suspects = new WeakMap<object, readonly string[]>();

/**
 * The files an error was blamed on by {@link TrackedFiles.check}, or `undefined` when the error is not
 * a validation failure of files that were read.
 *
 * @example
 * ```ts
 * const files = suspectFilesOf(error); // ['config.json']
 * ```
 */
export function suspectFilesOf(error: unknown): readonly string[] | undefined {
  return typeof error === 'object' && error !== null ? suspects.get(error) : undefined;
}

/**
 * A file read during one load, as {@link TrackedFiles.evict} discarded it.
 *
 * @example
 * ```ts
 * const discarded: DiscardedFile[] = await tracked.evict(['config.json']); // [{ file: 'config.json', copy: 'cached' }]
 * ```
 */
export interface DiscardedFile {
  readonly file: string;
  readonly copy: EvictedCopy;
}

/**
 * The files of one load: reads go to `inner` once and are remembered (so a second attempt re-reads
 * only what was discarded), every read is recorded under the part of the load that made it, and
 * {@link TrackedFiles.check} blames a validation failure on the files of the parts it names.
 *
 * @example
 * ```ts
 * const tracked = new TrackedFiles(resolveSource(url));
 * const config = await tracked.check(['config'], async () =>
 *   parseModelConfig(await tracked.part('config').json('config.json')),
 * );
 * ```
 */
export class TrackedFiles {
  private readonly bytesMemo = new Map<string, Promise<Uint8Array>>();
  private readonly existsMemo = new Map<string, Promise<boolean>>();
  private readonly readBy = new Map<string, Set<string>>();
  /** Files a successful {@link TrackedFiles.check} covered: parsed and validated by this load. */
  private readonly validated = new Set<string>();

  constructor(readonly inner: ModelFiles) {}

  get id(): string {
    return this.inner.id;
  }

  /** A view of the files that records what it reads under `part`. */
  part(part: string): ModelFiles {
    let names = this.readBy.get(part);
    if (!names) {
      names = new Set();
      this.readBy.set(part, names);
    }
    return new PartFiles(this, names);
  }

  /** The files read by `parts`, in the order first read. */
  readIn(parts: readonly string[]): string[] {
    const names = new Set<string>();
    for (const part of parts) for (const name of this.readBy.get(part) ?? []) names.add(name);
    return [...names];
  }

  /** Forgets what the parts read (the start of a new attempt); remembered bytes stay. */
  resetParts(): void {
    for (const names of this.readBy.values()) names.clear();
  }

  /**
   * Runs `fn`; when it fails with `MODEL_INVALID` or `TOKENIZER_MISMATCH`, or with anything that is not
   * a {@link BertwebError} (a parser tripping over damaged bytes, reported as `MODEL_INVALID`), the
   * error is blamed on the files `parts` have read so far (see {@link suspectFilesOf}), or on the one
   * file it names in `details.file`.
   */
  async check<T>(parts: readonly string[], fn: () => T | Promise<T>): Promise<T> {
    try {
      const result = await fn();
      for (const file of this.readIn(parts)) this.validated.add(file);
      return result;
    } catch (error) {
      // A DOMException AbortError stays ABORTED; anything else foreign is a parser tripping over bytes.
      const coded = toBertwebError(error, 'MODEL_INVALID', `reading the files of ${this.id} failed`);
      if (VALIDATION_CODES.has(coded.code) && !suspects.has(coded)) {
        // An error that names its file (a JSON file that does not parse) blames that file alone.
        const named = coded.details?.file;
        const read = this.readIn(parts);
        const files = typeof named === 'string' && read.includes(named) ? [named] : read;
        if (files.length > 0) suspects.set(coded, files);
      }
      throw coded;
    }
  }

  /**
   * Discards the unverified copies of `names` (see {@link ModelFiles.evict}) and forgets their bytes,
   * so that the next read fetches them again; the others stay remembered. Returns what was discarded.
   */
  async evict(names: readonly string[], options?: { readonly only?: EvictedCopy }): Promise<DiscardedFile[]> {
    const discarded: DiscardedFile[] = [];
    for (const file of names) {
      const copy = await this.inner.evict?.(file, options);
      if (copy === undefined) continue;
      this.bytesMemo.delete(file);
      this.validated.delete(file);
      discarded.push({ file, copy });
    }
    return discarded;
  }

  /**
   * For a load that failed: discards what it downloaded without a sha256 and never validated (a
   * part that was cancelled or failed before its check passed), so that no unchecked download stays
   * in the cache. Copies read from the cache stay: an earlier load validated them.
   */
  async discardUnvalidated(): Promise<DiscardedFile[]> {
    const read = this.readIn([...this.readBy.keys()]).filter((file) => !this.validated.has(file));
    return this.evict(read, { only: 'downloaded' });
  }

  /** @internal */
  bytesOf(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<Uint8Array> {
    return remember(this.bytesMemo, name, () => this.inner.bytes(name, options));
  }

  /** @internal */
  existsOf(name: string, options?: { readonly signal?: AbortSignal }): Promise<boolean> {
    return remember(this.existsMemo, name, () => this.inner.exists(name, options));
  }
}

/** One part's view of {@link TrackedFiles}. */
class PartFiles extends BaseModelFiles {
  constructor(
    private readonly tracked: TrackedFiles,
    private readonly names: Set<string>,
  ) {
    super();
  }

  get id(): string {
    return this.tracked.id;
  }

  async exists(name: string, options?: { readonly signal?: AbortSignal }): Promise<boolean> {
    return this.tracked.existsOf(normalizeFileName(name), options);
  }

  async bytes(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<Uint8Array> {
    const file = normalizeFileName(name);
    this.names.add(file);
    return this.tracked.bytesOf(file, options);
  }

  override async evict(name: string, options?: { readonly only?: EvictedCopy }): Promise<EvictedCopy | undefined> {
    return (await this.tracked.evict([normalizeFileName(name)], options))[0]?.copy;
  }

  /** Blobs and stats are not validated by a load (a converter reads them): passed through untracked. */
  override async blob(
    name: string,
    options?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback },
  ): Promise<FileBlob> {
    const inner = this.tracked.inner;
    return inner.blob ? inner.blob(name, options) : super.blob(name, options);
  }

  override async stat(name: string, options?: { readonly signal?: AbortSignal }): Promise<FileStat | undefined> {
    const inner = this.tracked.inner;
    return inner.stat ? inner.stat(name, options) : super.stat(name, options);
  }

  get derived(): DerivedFiles | undefined {
    return this.tracked.inner.derived;
  }
}

/** The value of `key` in `memo`, computing it once; a failed computation is forgotten. */
function remember<T>(memo: Map<string, Promise<T>>, key: string, compute: () => Promise<T>): Promise<T> {
  const known = memo.get(key);
  if (known) return known;
  const promise = compute();
  memo.set(key, promise);
  promise.catch(() => {
    if (memo.get(key) === promise) memo.delete(key);
  });
  return promise;
}
