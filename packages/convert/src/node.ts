/**
 * The Node.js entry: convert a checkpoint file, folder or DeepPavlov tarball on disk into a model folder.
 * Node modules are imported lazily so that importing `@bertweb/convert` in a browser bundle stays safe.
 */
import { BertwebError, isBertwebError, resolveSource } from './core.js';
import { extractTar, gunzip, looksLikeGzip } from './formats/tar.js';
import type { ByteSource } from './io/byte-source.js';
import { checkRange } from './io/byte-source.js';
import { type BaseModelFiles, type FileSet, fileSetAsBase } from './io/file-set.js';
import { findWeightsFile, openCheckpoint } from './model/checkpoint.js';
import { writeChunks } from './onnx/proto.js';
import {
  COPIED_FILES,
  type ConvertOptions,
  type ConvertSummary,
  convertCheckpoint,
  type OutputSink,
} from './pipeline.js';

/** Options of {@link convert}. */
export interface NodeConvertOptions extends ConvertOptions {
  /** A checkpoint folder, a weights file, or a DeepPavlov `.tar.gz`. */
  readonly from: string;
  /**
   * Base model supplying config.json and tokenizer files: a local folder, or (through `@bertweb/core`'s
   * `resolveSource`) a URL or hub id; or an already resolved `ModelFiles`.
   */
  readonly base?: string | BaseModelFiles;
  /** Output model folder; it must not exist unless `overwrite`. */
  readonly out: string;
  /** Replace an existing output folder (only after the new one is complete). */
  readonly overwrite?: boolean;
}

/** Result of {@link convert}. */
export interface NodeConvertResult extends ConvertSummary {
  /** Absolute output folder. */
  readonly out: string;
  /** Wall time in milliseconds. */
  readonly ms: number;
}

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

/**
 * A Node built-in, loaded at run time through a variable specifier so that browser bundles of this
 * package neither follow nor stub it (browser code never calls the Node entry).
 */
function nodeBuiltin<T>(id: string): Promise<T> {
  const specifier = `node:${id}`;
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<T>;
}

async function nodeModules(): Promise<{ fs: Fs; path: Path; crypto: typeof import('node:crypto') }> {
  const [fs, path, crypto] = await Promise.all([
    nodeBuiltin<Fs>('fs/promises'),
    nodeBuiltin<Path>('path'),
    nodeBuiltin<typeof import('node:crypto')>('crypto'),
  ]);
  return { fs, path, crypto };
}

/** Opens files of a folder with handles that stay open until `close()`. */
class NodeFolder implements FileSet {
  private readonly handles = new Map<string, import('node:fs/promises').FileHandle>();

  constructor(
    readonly id: string,
    private readonly root: string,
    private readonly list: readonly string[],
    private readonly mods: { fs: Fs; path: Path },
  ) {}

  names(): readonly string[] {
    return this.list;
  }

  async open(name: string): Promise<ByteSource> {
    if (!this.list.includes(name)) throw new BertwebError('MODEL_NOT_FOUND', `${this.id}: no file ${name}`);
    const full = this.mods.path.join(this.root, name);
    let handle = this.handles.get(name);
    if (!handle) {
      handle = await this.mods.fs.open(full, 'r');
      this.handles.set(name, handle);
    }
    const size = (await handle.stat()).size;
    const h = handle;
    const source: ByteSource = {
      name,
      size,
      async read(offset, length) {
        checkRange(source, offset, length);
        const out = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await h.read(out, got, length - got, offset + got);
          if (bytesRead === 0) throw new BertwebError('MODEL_INVALID', `${name}: file shrank while reading`);
          got += bytesRead;
        }
        return out;
      },
    };
    return source;
  }

  async close(): Promise<void> {
    await Promise.all([...this.handles.values()].map((h) => h.close().catch(() => undefined)));
    this.handles.clear();
  }
}

/**
 * A {@link ByteSource} over a file on disk, read by range through one file handle: the way to give
 * `convertFiles` checkpoint files in Node (a cache folder, a download) without reading them whole.
 * Close it when the conversion is done.
 *
 * @example
 * ```ts
 * const weights = await openFileSource('cache/pytorch_model.bin');
 * try {
 *   const out = await convertFiles(new Map([['pytorch_model.bin', weights]]), { base, dtypes: ['q8'] });
 * } finally {
 *   await weights.close();
 * }
 * ```
 */
export async function openFileSource(
  file: string,
  name = file.split(/[\\/]/).pop() ?? file,
): Promise<ByteSource & { close(): Promise<void> }> {
  const { fs } = await nodeModules();
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new BertwebError('MODEL_NOT_FOUND', `cannot open ${file}: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  const size = (await handle.stat()).size;
  const source = {
    name,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      checkRange(source, offset, length);
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(out, got, length - got, offset + got);
        if (bytesRead === 0) throw new BertwebError('MODEL_INVALID', `${name}: file shrank while reading`);
        got += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
  return source;
}

async function listFiles(fs: Fs, path: Path, root: string, depth = 4): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    for (const entry of await fs.readdir(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory() && level < depth) await walk(rel, level + 1);
      else if (entry.isFile()) out.push(rel);
    }
  };
  await walk('', 0);
  return out;
}

async function extractArchive(
  archive: string,
  into: string,
  mods: { fs: Fs; path: Path },
  signal?: AbortSignal,
): Promise<void> {
  const { fs, path } = mods;
  const { createReadStream } = await nodeBuiltin<typeof import('node:fs')>('fs');
  const { Readable } = await nodeBuiltin<typeof import('node:stream')>('stream');
  const head = new Uint8Array(2);
  const fh = await fs.open(archive, 'r');
  await fh.read(head, 0, 2, 0);
  await fh.close();
  const raw = Readable.toWeb(createReadStream(archive)) as unknown as ReadableStream<Uint8Array>;
  const stream = looksLikeGzip(head) ? gunzip(raw) : raw;
  const rootDir = path.resolve(into);
  await extractTar(
    stream,
    {
      async file(name) {
        const target = path.resolve(rootDir, name);
        if (!target.startsWith(rootDir + path.sep)) {
          throw new BertwebError('MODEL_INVALID', `archive member ${name} points outside the archive`);
        }
        await fs.mkdir(path.dirname(target), { recursive: true });
        const handle = await fs.open(target, 'w');
        return {
          write: async (chunk) => {
            await handle.write(chunk);
          },
          close: () => handle.close(),
        };
      },
    },
    signal,
  );
}

async function resolveBase(
  base: string | BaseModelFiles | undefined,
  mods: { fs: Fs; path: Path },
  opened: NodeFolder[],
): Promise<BaseModelFiles | undefined> {
  if (base === undefined || typeof base !== 'string') return base;
  const { fs, path } = mods;
  const stat = await fs.stat(base).catch(() => undefined);
  if (stat?.isDirectory()) {
    const root = path.resolve(base);
    const folder = new NodeFolder(root, root, await listFiles(fs, path, root, 1), mods);
    opened.push(folder);
    return fileSetAsBase(folder);
  }
  if (stat) throw new BertwebError('INPUT_INVALID', `--base ${base} is a file; give the base model's folder`);
  // A URL or hub id: @bertweb/core resolves (and caches) those.
  return resolveSource(base);
}

/**
 * Converts a PyTorch / safetensors / DeepPavlov checkpoint on disk into a model folder (DESIGN.md layout).
 * Writes into a temp folder next to `out` and renames it at the end: a failed conversion leaves no
 * partial output.
 *
 * @example
 * ```ts
 * const result = await convert({
 *   from: 'ner_rus_bert_torch.tar.gz',
 *   base: 'models/rubert-base-cased',
 *   out: 'models/ner-rus',
 *   dtypes: ['fp32', 'q8'],
 * });
 * console.log(result.task, result.files);
 * ```
 */
export async function convert(options: NodeConvertOptions): Promise<NodeConvertResult> {
  const started = Date.now();
  const mods = await nodeModules();
  const { fs, path, crypto } = mods;
  const out = path.resolve(options.out);
  const from = path.resolve(options.from);
  const fromStat = await fs.stat(from).catch(() => undefined);
  if (!fromStat) throw new BertwebError('MODEL_NOT_FOUND', `checkpoint ${options.from} does not exist`);
  const outExists = await fs.stat(out).then(
    () => true,
    () => false,
  );
  if (outExists && !options.overwrite) {
    throw new BertwebError(
      'INPUT_INVALID',
      `output ${options.out} already exists (pass overwrite / --overwrite to replace it)`,
    );
  }
  await fs.mkdir(path.dirname(out), { recursive: true });
  const tag = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const temp = `${out}.bertweb-tmp-${tag}`;
  const scratch = `${out}.bertweb-unpack-${tag}`;
  const opened: NodeFolder[] = [];
  try {
    let files: NodeFolder;
    if (fromStat.isDirectory()) {
      files = new NodeFolder(from, from, await listFiles(fs, path, from), mods);
    } else if (/\.(tar\.gz|tgz|tar)$/i.test(from)) {
      await fs.mkdir(scratch, { recursive: true });
      await extractArchive(from, scratch, mods, options.signal);
      files = new NodeFolder(from, scratch, await listFiles(fs, path, scratch), mods);
    } else {
      // A single weights file: it, plus the metadata files beside it.
      const dir = path.dirname(from);
      const siblings = await listFiles(fs, path, dir, 1);
      const keep = new Set([path.basename(from), 'config.json', 'tag.dict', 'classes.dict', ...COPIED_FILES]);
      const chosen = siblings.filter((n) => keep.has(n) || /(^|_)crf\.(pth\.tar|pth|pt|bin)$/.test(n));
      if (!findWeightsFile([path.basename(from)])) {
        throw new BertwebError('INPUT_INVALID', `${options.from} is not a known weights file or archive`);
      }
      files = new NodeFolder(from, dir, chosen, mods);
    }
    opened.push(files);
    const base = await resolveBase(options.base, mods, opened);
    const checkpoint = await openCheckpoint(files);
    await fs.mkdir(temp, { recursive: true });
    const sink: OutputSink = {
      async write(name, chunks) {
        const target = path.join(temp, name);
        await fs.mkdir(path.dirname(target), { recursive: true });
        const handle = await fs.open(target, 'w');
        try {
          await writeChunks(chunks, async (bytes) => {
            let done = 0;
            while (done < bytes.byteLength) {
              const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done);
              done += bytesWritten;
            }
          });
        } finally {
          await handle.close();
        }
      },
    };
    const summary = await convertCheckpoint(checkpoint, base, sink, options);
    if (outExists) {
      const old = `${out}.bertweb-old-${tag}`;
      await fs.rename(out, old);
      await fs.rename(temp, out);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(temp, out);
    }
    return { ...summary, out, ms: Date.now() - started };
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    if (isBertwebError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOSPC')
      throw new BertwebError('QUOTA', `disk full while writing ${options.out}`, undefined, { cause: error });
    if (typeof code === 'string' && ['ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENAMETOOLONG', 'ELOOP'].includes(code)) {
      throw new BertwebError('INPUT_INVALID', `bad path: ${(error as Error).message}`, { code }, { cause: error });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new BertwebError('INPUT_INVALID', `permission denied: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
    throw new BertwebError('INTERNAL', `conversion failed: ${(error as Error).message}`, undefined, { cause: error });
  } finally {
    await Promise.all(opened.map((f) => f.close()));
    await fs.rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}
