/**
 * `bertweb convert --from` a hub id or an http(s) URL: the checkpoint's files downloaded through
 * `@bertweb/core`'s sources (the same streamed, verified, retried downloads as load-time conversion:
 * the weights out of the JavaScript heap through `ModelFiles.blob`, never cached; the small files
 * through the model cache) into a local folder, which is then converted as local files are.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  BertwebError,
  CHECKPOINT_FILES,
  CONFIG_FILE,
  type ModelFiles,
  parseHubId,
  resolveSource,
  SENTENCE_TRANSFORMERS_FILES,
  type SourceOptions,
  TOKENIZER_FILES,
  throwIfAborted,
} from '@bertweb/core';

/**
 * A checkpoint that is not on disk: a hub repo or a folder URL (its weights the first of
 * `CHECKPOINT_FILES` it has, or the file a URL names), or one archive (a DeepPavlov `.tar.gz`) by URL.
 */
export type RemoteCheckpoint =
  | { readonly kind: 'hub'; readonly id: string }
  | { readonly kind: 'folder'; readonly url: string; readonly weights?: string }
  | { readonly kind: 'archive'; readonly url: string };

/** Names that are files a checkpoint is made of, never hub ids: `models/nope.bin` stays a local path. */
const ARCHIVE_NAME = /\.(tar\.gz|tgz|tar)$/i;
const WEIGHTS_NAME = /\.(bin|safetensors|pth\.tar|pth|pt|ckpt)$/i;
/** Weights a sentence-transformers module folder (`2_Dense/`) may hold, as the converter reads them. */
const MODULE_WEIGHTS = ['model.safetensors', 'pytorch_model.bin'];

/**
 * What `--from` names when it is not a local file or folder: an `http(s):` URL (of a folder, a weights
 * file or an archive) or a hub id (`owner/name`, optionally `@revision`); `undefined` for a local path,
 * existing or not (a missing one is then `MODEL_NOT_FOUND` from the converter).
 *
 * @example
 * ```ts
 * await remoteCheckpoint('DeepPavlov/rubert-base-cased'); // { kind: 'hub', id: 'DeepPavlov/rubert-base-cased' }
 * await remoteCheckpoint('http://files.deeppavlov.ai/v1/ner/ner_rus_bert_torch_new.tar.gz'); // { kind: 'archive', ... }
 * ```
 */
export async function remoteCheckpoint(from: string): Promise<RemoteCheckpoint | undefined> {
  if (
    await stat(from).then(
      () => true,
      () => false,
    )
  ) {
    return undefined;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(from)) {
    const url = URL.canParse(from) ? new URL(from) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new BertwebError('INPUT_INVALID', `--from ${from}: only http(s) URLs can be downloaded`);
    }
    url.hash = '';
    const last = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
    if (ARCHIVE_NAME.test(last)) return { kind: 'archive', url: url.href };
    if (WEIGHTS_NAME.test(last)) {
      return { kind: 'folder', url: new URL('./', url).href, weights: last };
    }
    return { kind: 'folder', url: url.href };
  }
  if (ARCHIVE_NAME.test(from) || WEIGHTS_NAME.test(from)) return undefined;
  return parseHubId(from) ? { kind: 'hub', id: from } : undefined;
}

/**
 * Downloads a {@link RemoteCheckpoint} into the folder `into` and returns the local path to convert:
 * the folder (weights, config.json, tokenizer and sentence-transformers files, and the module folders
 * modules.json names), or the archive file. `MODEL_NOT_FOUND` when a folder has no weights to convert.
 *
 * @example
 * ```ts
 * const local = await downloadCheckpoint({ kind: 'hub', id: 'DeepPavlov/rubert-base-cased' }, scratch, {
 *   hubBaseUrl: 'http://127.0.0.1:8080',
 * });
 * await convert({ from: local, out: 'models/rubert', dtypes: ['q8'] });
 * ```
 */
export async function downloadCheckpoint(
  from: RemoteCheckpoint,
  into: string,
  options: SourceOptions,
): Promise<string> {
  const { signal } = options;
  if (from.kind === 'archive') {
    const cut = from.url.lastIndexOf('/') + 1;
    const name = decodeURIComponent(from.url.slice(cut));
    const files = resolveSource({ url: from.url.slice(0, cut) }, options);
    await saveBlob(files, name, into, signal);
    return join(into, name);
  }
  const files = resolveSource(from.kind === 'hub' ? from.id : { url: from.url }, options);
  const weights =
    from.kind === 'folder' && from.weights !== undefined ? from.weights : await findWeights(files, signal);
  await saveBlob(files, weights, into, signal);
  const saved = new Set<string>([weights]);
  const saveIfThere = async (name: string): Promise<boolean> => {
    if (saved.has(name)) return true;
    if (!(await files.exists(name, signal ? { signal } : {}))) return false;
    const bytes = await files.bytes(name, signal ? { signal } : {});
    await writeFile(await targetPath(into, name), bytes);
    saved.add(name);
    return true;
  };
  for (const name of [CONFIG_FILE, ...TOKENIZER_FILES, ...SENTENCE_TRANSFORMERS_FILES]) await saveIfThere(name);
  for (const path of await modulePaths(files, saved, signal)) {
    if (!(await saveIfThere(`${path}/config.json`))) continue;
    for (const name of MODULE_WEIGHTS) {
      if (await files.exists(`${path}/${name}`, signal ? { signal } : {})) {
        await saveBlob(files, `${path}/${name}`, into, signal);
        break;
      }
    }
  }
  return from.kind === 'folder' && from.weights !== undefined ? join(into, weights) : into;
}

/** The first of `CHECKPOINT_FILES` the source has, as load-time conversion picks it. */
async function findWeights(files: ModelFiles, signal: AbortSignal | undefined): Promise<string> {
  for (const name of CHECKPOINT_FILES) if (await files.exists(name, signal ? { signal } : {})) return name;
  throw new BertwebError('MODEL_NOT_FOUND', `${files.id} has no ${CHECKPOINT_FILES.join(' or ')} to convert`, {
    source: files.id,
  });
}

/** A file streamed from the source's out-of-heap download (core's `downloadBlob`) to `into/name`. */
async function saveBlob(files: ModelFiles, name: string, into: string, signal: AbortSignal | undefined) {
  throwIfAborted(signal);
  const target = await targetPath(into, name);
  const read = files.blob
    ? await files.blob(name, signal ? { signal } : {})
    : { blob: new Blob([(await files.bytes(name, signal ? { signal } : {})) as BlobPart]), dispose: async () => {} };
  try {
    const body = Readable.fromWeb(read.blob.stream() as unknown as NodeReadableStream<Uint8Array>);
    await pipeline(body, createWriteStream(target), signal ? { signal } : {});
  } catch (error) {
    throwIfAborted(signal);
    throw error;
  } finally {
    await read.dispose();
  }
}

/** `into/name` with its parent folders made, refusing names that leave `into`. */
async function targetPath(into: string, name: string): Promise<string> {
  const root = resolve(into);
  const target = resolve(root, name);
  if (!target.startsWith(root + sep)) throw new BertwebError('MODEL_INVALID', `refusing the file name ${name}`);
  await mkdir(dirname(target), { recursive: true });
  return target;
}

/** The module folders (`1_Pooling`, `2_Dense`, ...) that a saved modules.json names. */
async function modulePaths(
  files: ModelFiles,
  saved: ReadonlySet<string>,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  if (!saved.has('modules.json')) return [];
  const modules = await files.json<unknown>('modules.json', signal ? { signal } : {});
  if (!Array.isArray(modules)) throw new BertwebError('MODEL_INVALID', `${files.id}: modules.json is not a list`);
  return modules
    .map((m) => (typeof m === 'object' && m !== null ? (m as { path?: unknown }).path : undefined))
    .filter((path): path is string => typeof path === 'string' && path !== '' && !path.split(/[\\/]/).includes('..'));
}
