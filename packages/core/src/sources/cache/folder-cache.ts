import type * as Crypto from 'node:crypto';
import type * as FsPromises from 'node:fs/promises';
import type * as Os from 'node:os';
import type * as Path from 'node:path';
import { BertwebError, throwIfAborted } from '../../errors.js';
import { nodeBuiltin, readEnv } from '../platform.js';
import { abortError } from '../signals.js';
import type { CacheEntry, ModelCache } from '../types.js';
import { isQuotaError, matchesKey } from './keys.js';

/**
 * Environment variable that overrides the default cache folder.
 *
 * @example
 * ```ts
 * // BERTWEB_CACHE_DIR=/data/bertweb node app.js
 * console.log(process.env[CACHE_DIR_ENV]);
 * ```
 */
export const CACHE_DIR_ENV = 'BERTWEB_CACHE_DIR';

interface NodeModules {
  fs: typeof FsPromises;
  path: typeof Path;
  crypto: typeof Crypto;
}

interface Sidecar {
  url: string;
  size: number;
  sha256?: string;
  storedAt: number;
}

/**
 * The default cache folder: `$BERTWEB_CACHE_DIR`, else `$XDG_CACHE_HOME/bertweb`, else
 * `~/.cache/bertweb` (Node only).
 *
 * @example
 * ```ts
 * console.log(await defaultCacheDir()); // /home/me/.cache/bertweb
 * ```
 */
export async function defaultCacheDir(): Promise<string> {
  const fromEnv = readEnv(CACHE_DIR_ENV);
  if (fromEnv) return fromEnv;
  const path = await nodeBuiltin<typeof Path>('node:path');
  const xdg = readEnv('XDG_CACHE_HOME');
  if (xdg) return path.join(xdg, 'bertweb');
  const os = await nodeBuiltin<typeof Os>('node:os');
  return path.join(os.homedir(), '.cache', 'bertweb');
}

/**
 * A {@link ModelCache} in a folder (Node). Each file is `<sha256(url)>.bin` with a `<sha256(url)>.json`
 * sidecar holding `{url, size, sha256, storedAt}`. Both are written to temporary names and renamed
 * into place, the sidecar last: a crash or a full disk never leaves an entry that `get` would return
 * half-written. A full disk surfaces as `QUOTA`, any other failed write (a read-only or broken folder)
 * as `UNSUPPORTED`.
 *
 * @example
 * ```ts
 * const cache = new FolderModelCache('/tmp/bertweb-cache');
 * const files = resolveSource('owner/model', { cache });
 * ```
 */
export class FolderModelCache implements ModelCache {
  private modules: Promise<NodeModules> | undefined;
  private dirPromise: Promise<string> | undefined;

  /** @param dir The folder (default {@link defaultCacheDir}); created on first write. */
  constructor(readonly dir?: string) {}

  /** The folder in use (resolves the default). */
  folder(): Promise<string> {
    this.dirPromise ??= this.dir !== undefined ? Promise.resolve(this.dir) : defaultCacheDir();
    return this.dirPromise;
  }

  private load(): Promise<NodeModules> {
    this.modules ??= Promise.all([
      nodeBuiltin<typeof FsPromises>('node:fs/promises'),
      nodeBuiltin<typeof Path>('node:path'),
      nodeBuiltin<typeof Crypto>('node:crypto'),
    ]).then(([fs, path, crypto]) => ({ fs, path, crypto }));
    return this.modules;
  }

  private async paths(url: string): Promise<{ bin: string; meta: string; missing: string; dir: string }> {
    const [{ path, crypto }, dir] = await Promise.all([this.load(), this.folder()]);
    const key = crypto.createHash('sha256').update(url).digest('hex');
    return {
      dir,
      bin: path.join(dir, `${key}.bin`),
      meta: path.join(dir, `${key}.json`),
      missing: path.join(dir, `${key}.missing`),
    };
  }

  /**
   * A `<sha256(url)>.missing` file holding the URL marks it as "not found" (see {@link ModelCache}); a
   * cached URL is never marked.
   */
  async markMissing(url: string): Promise<void> {
    const { fs } = await this.load();
    const { dir, missing, meta } = await this.paths(url);
    if ((await readSidecar(fs, meta))?.url === url) return;
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(missing, url);
    } catch {
      // A mark is an optimization for offline use; failing to write one must not fail a load.
    }
  }

  async isMarkedMissing(url: string): Promise<boolean> {
    const { fs } = await this.load();
    const { missing } = await this.paths(url);
    try {
      return (await fs.readFile(missing, 'utf8')) === url;
    } catch {
      return false;
    }
  }

  /** The sidecar of `url`, when its data file is there with the size the sidecar records. */
  async entry(url: string): Promise<CacheEntry | undefined> {
    const { fs } = await this.load();
    const { bin, meta } = await this.paths(url);
    const sidecar = await readSidecar(fs, meta);
    if (!sidecar || sidecar.url !== url) return undefined;
    const size = await fs.stat(bin).then(
      (stats) => stats.size,
      () => -1,
    );
    return size === sidecar.size ? sidecar : undefined;
  }

  async get(url: string): Promise<Uint8Array | undefined> {
    const { fs } = await this.load();
    const { bin, meta } = await this.paths(url);
    const sidecar = await readSidecar(fs, meta);
    if (!sidecar || sidecar.url !== url) return undefined;
    let bytes: Uint8Array;
    try {
      const buffer = await fs.readFile(bin);
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch {
      return undefined;
    }
    if (bytes.byteLength !== sidecar.size) {
      await this.delete(url);
      return undefined;
    }
    return bytes;
  }

  /**
   * Writes `<key>.bin` and `<key>.json` under temporary names, then commits: removes the old sidecar,
   * renames the data file, renames the new sidecar (a reader sees the old entry, none, or the new one).
   * `options.signal` is honoured until the commit starts; any failure or abort before it removes both
   * temporary files, and a failed commit removes the half-committed entry.
   */
  async put(
    url: string,
    bytes: Uint8Array,
    meta?: { readonly sha256?: string },
    options?: { readonly signal?: AbortSignal },
  ): Promise<void> {
    const signal = options?.signal;
    throwIfAborted(signal);
    const { fs, crypto } = await this.load();
    const { dir, bin, meta: metaPath, missing } = await this.paths(url);
    const suffix = `.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    const tmpBin = bin + suffix;
    const tmpMeta = metaPath + suffix;
    const sidecar: Sidecar = {
      url,
      size: bytes.byteLength,
      storedAt: Date.now(),
      ...(meta?.sha256 ? { sha256: meta.sha256 } : {}),
    };
    let committing = false;
    try {
      throwIfAborted(signal);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(tmpBin, bytes, signal ? { signal } : undefined);
      throwIfAborted(signal);
      await fs.writeFile(tmpMeta, JSON.stringify(sidecar));
      throwIfAborted(signal);
      committing = true;
      await fs.rm(metaPath, { force: true });
      await fs.rename(tmpBin, bin);
      await fs.rename(tmpMeta, metaPath);
      await fs.rm(missing, { force: true });
    } catch (error) {
      const cleanup = [fs.rm(tmpBin, { force: true }), fs.rm(tmpMeta, { force: true })];
      if (committing) cleanup.push(fs.rm(metaPath, { force: true }), fs.rm(bin, { force: true }));
      await Promise.all(cleanup).catch(() => {});
      if (!committing && signal?.aborted) throw abortError(signal);
      if (isQuotaError(error)) {
        throw new BertwebError(
          'QUOTA',
          `not enough disk space to cache ${url} (${bytes.byteLength} bytes) in ${dir}`,
          { url, size: bytes.byteLength, dir },
          { cause: error },
        );
      }
      const reason = (error as { code?: unknown }).code;
      throw new BertwebError(
        'UNSUPPORTED',
        `the cache folder ${dir} cannot be written (${String(error)})`,
        { url, dir, ...(typeof reason === 'string' ? { reason } : {}) },
        { cause: error },
      );
    }
  }

  async list(): Promise<CacheEntry[]> {
    const { fs, path } = await this.load();
    const dir = await this.folder();
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return [];
    }
    const entries: CacheEntry[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
      const sidecar = await readSidecar(fs, path.join(dir, name));
      if (!sidecar) continue;
      entries.push({
        url: sidecar.url,
        size: sidecar.size,
        storedAt: sidecar.storedAt,
        ...(sidecar.sha256 ? { sha256: sidecar.sha256 } : {}),
      });
    }
    return entries;
  }

  async delete(urlOrPrefix: string): Promise<number> {
    const { fs } = await this.load();
    await this.deleteMarks(urlOrPrefix);
    const urls = urlOrPrefix.endsWith('/')
      ? (await this.list()).map((e) => e.url).filter((url) => matchesKey(url, urlOrPrefix))
      : [urlOrPrefix];
    let removed = 0;
    for (const url of urls) {
      const { bin, meta } = await this.paths(url);
      const existed = (await readSidecar(fs, meta)) !== undefined;
      // Sidecar first: without it the entry is already invisible, whatever happens to the .bin.
      await fs.rm(meta, { force: true });
      await fs.rm(bin, { force: true });
      if (existed) removed++;
    }
    return removed;
  }

  private async deleteMarks(urlOrPrefix: string): Promise<void> {
    const { fs, path } = await this.load();
    if (!urlOrPrefix.endsWith('/')) {
      await fs.rm((await this.paths(urlOrPrefix)).missing, { force: true }).catch(() => {});
      return;
    }
    const dir = await this.folder();
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.missing')) continue;
      const file = path.join(dir, name);
      const url = await fs.readFile(file, 'utf8').catch(() => '');
      if (matchesKey(url, urlOrPrefix)) await fs.rm(file, { force: true });
    }
  }

  /** `usage`: bytes of the cached files; `quota`: usage plus the free space of the disk, when known. */
  async estimate(): Promise<{ readonly usage: number; readonly quota?: number; readonly persisted?: boolean }> {
    const { fs } = await this.load();
    let usage = 0;
    for (const entry of await this.list()) usage += entry.size;
    try {
      const stats = await fs.statfs(await this.folder());
      return { usage, quota: usage + stats.bavail * stats.bsize, persisted: true };
    } catch {
      return { usage, persisted: true };
    }
  }
}

async function readSidecar(fs: typeof FsPromises, file: string): Promise<Sidecar | undefined> {
  try {
    const data = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<Sidecar>;
    if (typeof data.url !== 'string' || typeof data.size !== 'number') return undefined;
    return {
      url: data.url,
      size: data.size,
      storedAt: typeof data.storedAt === 'number' ? data.storedAt : 0,
      ...(typeof data.sha256 === 'string' ? { sha256: data.sha256 } : {}),
    };
  } catch {
    return undefined;
  }
}
