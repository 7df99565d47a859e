/** {@link DerivedFiles} on a model cache: derived files are cache entries under `.bertweb/` of the source. */
import { canDigest, sha256Hex } from '../integrity.js';
import { normalizeFileName } from '../names.js';
import type { DerivedFiles, ModelCache } from '../types.js';

/**
 * Derived files of one source in `cache`, each under the key `keyOf('.bertweb/<name>')` (a URL of the
 * source for remote ones), stored with their sha256 so a damaged entry is detected and discarded.
 *
 * @example
 * ```ts
 * const derived = new CacheDerivedFiles(cache, (name) => `https://hub/o/m/resolve/main/${name}`);
 * ```
 */
export class CacheDerivedFiles implements DerivedFiles {
  constructor(
    private readonly cache: ModelCache,
    private readonly keyOf: (name: string) => string,
  ) {}

  async get(name: string): Promise<Uint8Array | undefined> {
    return this.cache.get(this.#key(name));
  }

  async put(name: string, bytes: Uint8Array, options?: { readonly signal?: AbortSignal }): Promise<void> {
    const sha256 = canDigest() ? await sha256Hex(bytes) : undefined;
    await this.cache.put(this.#key(name), bytes, sha256 === undefined ? undefined : { sha256 }, options);
  }

  async delete(nameOrPrefix: string): Promise<number> {
    const key = this.#key(nameOrPrefix);
    return this.cache.delete(nameOrPrefix.endsWith('/') ? `${key}/` : key);
  }

  #key(name: string): string {
    return this.keyOf(normalizeFileName(`.bertweb/${name}`));
  }
}
