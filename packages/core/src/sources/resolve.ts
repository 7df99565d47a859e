/** Turns a {@link ModelSource} into {@link ModelFiles}. */

import type * as Fs from 'node:fs';
import type * as Path from 'node:path';
import type * as Url from 'node:url';
import { env } from '../env.js';
import { BertwebError } from '../errors.js';
import { LocalModelFiles } from './files/local-files.js';
import { FileMapModelFiles } from './files/map-files.js';
import { RemoteModelFiles } from './files/remote-files.js';
import { DEFAULT_HUB_BASE_URL, type HubRef, hubBaseUrl, hubFileUrl, parseHubId } from './hub.js';
import { fileNameToUrlPath } from './names.js';
import { isNode, nodeBuiltinSync } from './platform.js';
import type { FileMap, ModelFiles, ModelSource, SourceOptions } from './types.js';

/**
 * What a source string or object turned out to be.
 *
 * @example
 * ```ts
 * const parsed: ParsedSource = parseSource(input);
 * if (parsed.kind === 'hub') console.log(parsed.ref.repo, parsed.ref.revision);
 * ```
 */
export type ParsedSource =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'url' /** Folder URL, ending in `/`. */; readonly url: string }
  | { readonly kind: 'hub'; readonly ref: HubRef }
  | { readonly kind: 'files'; readonly files: FileMap; readonly name: string };

/**
 * Classifies a source without touching the network. Strings are read as:
 * `http(s)://...` -> folder URL; `file:...` -> local folder (Node); `owner/name[@rev]` -> hub id,
 * unless (in Node) a folder of that relative path exists; anything else -> a local path in Node, or a
 * URL relative to the page in browsers. Prefix `./` to force a relative path.
 *
 * @example
 * ```ts
 * parseSource('DeepPavlov/rubert-base-cased@main'); // { kind: 'hub', ref: { repo, revision: 'main', baseUrl } }
 * parseSource('./models/tiny-bert');                 // { kind: 'local', path: '/abs/models/tiny-bert' } (Node)
 * ```
 */
export function parseSource(source: ModelSource, options: SourceOptions = {}): ParsedSource {
  if (source instanceof URL) return parseUrl(source);
  if (typeof source === 'string') return parseString(source, options);
  if (typeof source !== 'object' || source === null) {
    throw new BertwebError('INPUT_INVALID', `not a model source: ${String(source)}`);
  }
  if ('files' in source) {
    return { kind: 'files', files: source.files, name: source.name ?? 'files' };
  }
  if ('hub' in source) {
    const parsed = typeof source.hub === 'string' ? parseHubId(source.hub, { ownerless: true }) : undefined;
    if (!parsed) throw new BertwebError('INPUT_INVALID', `not a hub id (owner/name): "${String(source.hub)}"`);
    return hubSource(parsed.repo, source.revision ?? parsed.revision, source.baseUrl, options);
  }
  if ('url' in source) {
    const url = tryUrl(source.url instanceof URL ? source.url.href : String(source.url), baseHref());
    if (!url) throw new BertwebError('INPUT_INVALID', `not a URL: "${String(source.url)}"`);
    return parseUrl(url);
  }
  if ('deeppavlov' in source) {
    throw new BertwebError(
      'UNSUPPORTED',
      'a DeepPavlov config is not a folder of files: load it with loadModel or a head (createTagger, ...)',
    );
  }
  if ('path' in source) {
    if (typeof source.path !== 'string' || source.path === '') {
      throw new BertwebError('INPUT_INVALID', 'a { path } source needs a non-empty string');
    }
    return localSource(source.path);
  }
  throw new BertwebError('INPUT_INVALID', 'a model source object needs one of: hub, url, path, files');
}

/**
 * Read access to the files of a model, wherever they are (DESIGN.md "Model folder"). Nothing is
 * fetched until a file is read; remote files go through the cache (`options.cache`, default on).
 *
 * @example
 * ```ts
 * const files = resolveSource('DeepPavlov/rubert-base-cased', { onProgress: console.log });
 * const config = await files.json('config.json');
 * const onnx = await files.bytes('onnx/model_quantized.onnx');
 * ```
 */
export function resolveSource(source: ModelSource, options: SourceOptions = {}): ModelFiles {
  const parsed = parseSource(source, options);
  switch (parsed.kind) {
    case 'local':
      return new LocalModelFiles(parsed.path, options);
    case 'files':
      return new FileMapModelFiles(parsed.files, `files:${parsed.name}`, options);
    case 'url':
      return new RemoteModelFiles(parsed.url, (file) => parsed.url + fileNameToUrlPath(file), options);
    case 'hub': {
      const { ref } = parsed;
      const where = ref.baseUrl === DEFAULT_HUB_BASE_URL ? '' : `${ref.baseUrl}/`;
      return new RemoteModelFiles(`${where}${ref.repo}@${ref.revision}`, (file) => hubFileUrl(ref, file), options);
    }
  }
}

function parseString(source: string, options: SourceOptions): ParsedSource {
  const text = source.trim();
  if (text === '') throw new BertwebError('INPUT_INVALID', 'a model source string must not be empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^file:/i.test(text)) {
    const url = tryUrl(text);
    if (!url) throw new BertwebError('INPUT_INVALID', `not a valid URL: "${text}"`);
    return parseUrl(url);
  }
  const hub = parseHubId(text);
  if (hub && !(isNode() && isDirectory(text))) {
    return hubSource(hub.repo, hub.revision, undefined, options);
  }
  if (isNode()) return localSource(text);
  const url = tryUrl(text, baseHref());
  if (!url) {
    throw new BertwebError(
      'INPUT_INVALID',
      `"${text}" is neither a hub id nor a URL (no page URL to resolve it against)`,
    );
  }
  return parseUrl(url);
}

function parseUrl(url: URL): ParsedSource {
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const folder = new URL(url.href);
    folder.hash = '';
    if (!folder.pathname.endsWith('/')) folder.pathname += '/';
    return { kind: 'url', url: folder.href };
  }
  if (url.protocol === 'file:') {
    if (!isNode()) throw new BertwebError('UNSUPPORTED', `file: URLs can only be read in Node: ${url.href}`);
    const toPath = nodeBuiltinSync<typeof Url>('node:url')?.fileURLToPath;
    return localSource(toPath ? toPath(url) : decodeURIComponent(url.pathname));
  }
  throw new BertwebError('INPUT_INVALID', `unsupported URL scheme for a model source: ${url.protocol}`, {
    url: url.href,
  });
}

function hubSource(
  repo: string,
  revision: string | undefined,
  baseUrl: string | undefined,
  options: SourceOptions,
): ParsedSource {
  return {
    kind: 'hub',
    ref: {
      repo,
      revision: revision ?? options.revision ?? env.revision,
      baseUrl: hubBaseUrl(baseUrl ?? options.hubBaseUrl),
    },
  };
}

function localSource(path: string): ParsedSource {
  if (!isNode()) {
    throw new BertwebError('UNSUPPORTED', `local folders can only be read in Node; use a URL or a file map: "${path}"`);
  }
  const resolve = nodeBuiltinSync<typeof Path>('node:path')?.resolve;
  return { kind: 'local', path: resolve ? resolve(path) : path };
}

function isDirectory(path: string): boolean {
  const fs = nodeBuiltinSync<typeof Fs>('node:fs');
  try {
    return fs?.statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

function tryUrl(text: string, base?: string): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/** The page's (or worker's) URL, for relative source URLs in browsers. */
function baseHref(): string | undefined {
  return (globalThis as { location?: { href?: string } }).location?.href;
}
