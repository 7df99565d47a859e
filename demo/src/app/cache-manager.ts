/**
 * The model cache manager: cached models with sizes, delete, storage estimate, persistence request.
 * Models converted at load time (cached under `.bertweb/converted/<converter version>/<dtype>/...` URLs
 * of their source) are listed as entries of their own, so they can be deleted apart from the downloads.
 */
import { CacheApiModelCache, type CacheEntry, requestPersistentStorage } from '@bertweb/core';
import { h, replace } from './dom.js';
import { errorView } from './errors.js';
import { formatBytes } from './format.js';

/** Cached files grouped by model folder. */
export interface CachedModel {
  /** URL prefix of the folder (ends with `/`): `cache.delete(prefix)` removes the model. */
  readonly prefix: string;
  readonly name: string;
  readonly files: CacheEntry[];
  readonly bytes: number;
  /** Set for a model converted at load time: what it was converted to and by which converter. */
  readonly converted?: ConvertedInfo;
}

/** A converted entry's facts, read from its URLs. */
export interface ConvertedInfo {
  readonly dtype: string;
  readonly converter: string;
  /** The checkpoint file converted (`pytorch_model.bin`, a DeepPavlov tarball), when the URLs name it. */
  readonly from: string | undefined;
  /** True for a DeepPavlov config's tarball (its folder is keyed by the config's plan too: `<tarball>@<hash>`). */
  readonly deeppavlov: boolean;
  /** False when the manifest (written last) is missing: a conversion that never completed. */
  readonly complete: boolean;
}

/** `<source>/.bertweb/converted/<version>/<dtype>/[<weights>/](files/...|manifest.json)` */
const CONVERTED = /^(.*?\/)\.bertweb\/converted\/([^/]+)\/([^/]+)\/(?:(.+?)\/)?(files\/.+|manifest\.json)$/;

/** Sub-folders of a model folder (DESIGN.md layout). */
const SUBFOLDERS = new Set(['onnx', '1_Pooling']);

/**
 * Groups cache entries by model folder; hub URLs (of any hub base, e.g. a mirror or `<app>/hub`) are
 * named `owner/name@revision`; each converted dtype of a source is a group of its own.
 */
export function groupByModel(entries: readonly CacheEntry[]): CachedModel[] {
  const groups = new Map<string, CacheEntry[]>();
  for (const entry of entries) {
    const prefix = groupOf(entry.url);
    const list = groups.get(prefix) ?? [];
    list.push(entry);
    groups.set(prefix, list);
  }
  return [...groups.entries()]
    .map(([prefix, files]): CachedModel => {
      const converted = convertedInfo(prefix, files);
      return {
        prefix,
        name: nameOf(converted ? (CONVERTED.exec(`${prefix}manifest.json`)?.[1] ?? prefix) : prefix),
        files: files.sort((a, b) => a.url.localeCompare(b.url)),
        bytes: files.reduce((sum, f) => sum + f.size, 0),
        ...(converted ? { converted } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.prefix.localeCompare(b.prefix));
}

/** The group of a URL: a converted entry's folder (`.../.bertweb/converted/0.2.0/q8/[weights/]`), else the model folder. */
function groupOf(url: string): string {
  const converted = CONVERTED.exec(url);
  if (converted) {
    const [, source, version, dtype, weights] = converted;
    return `${source}.bertweb/converted/${version}/${dtype}/${weights ? `${weights}/` : ''}`;
  }
  return folderOf(url);
}

function convertedInfo(prefix: string, files: readonly CacheEntry[]): ConvertedInfo | undefined {
  const match = /^.*?\/\.bertweb\/converted\/([^/]+)\/([^/]+)\/(?:(.+?)\/)?$/.exec(prefix);
  if (!match) return undefined;
  const [, converter = '', dtype = '', key] = match;
  const weights = key === undefined ? undefined : decodeURIComponent(key);
  // A DeepPavlov config's conversion: `<tarball>@<hash of its plan>` (core's ConversionNeeded.key).
  const planned = weights === undefined ? undefined : /^(.+)@[0-9a-f]+$/.exec(weights);
  return {
    converter: decodeURIComponent(converter),
    dtype: decodeURIComponent(dtype),
    from: planned ? planned[1] : weights,
    deeppavlov: planned !== undefined && planned !== null,
    complete: files.some((f) => f.url === `${prefix}manifest.json`),
  };
}

function folderOf(url: string): string {
  const hub = /^(https?:\/\/.+?\/[^/]+\/[^/]+\/resolve\/[^/]+\/)/.exec(url);
  if (hub?.[1]) return hub[1];
  const parts = url.split('/');
  parts.pop();
  if (SUBFOLDERS.has(parts[parts.length - 1] ?? '')) parts.pop();
  return `${parts.join('/')}/`;
}

function nameOf(prefix: string): string {
  const hub = /^https?:\/\/.+?\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/$/.exec(prefix);
  if (hub) return `${hub[1]}@${decodeURIComponent(hub[2] ?? '')}`;
  const url = new URL(prefix);
  return url.origin === location.origin ? url.pathname : prefix;
}

/** `converted to q8 from pytorch_model.bin (@bertweb/convert 0.2.0)`, `incomplete` when it has no manifest. */
function convertedLabel(info: ConvertedInfo): string {
  const from = info.from ? ` from ${info.from}${info.deeppavlov ? ' (a DeepPavlov config)' : ''}` : '';
  return `converted to ${info.dtype}${from} (@bertweb/convert ${info.converter})${info.complete ? '' : ', incomplete'}`;
}

/** The cache manager panel section. */
export class CacheManager {
  readonly element: HTMLElement;
  readonly #cache = new CacheApiModelCache();
  readonly #list: HTMLElement;
  readonly #estimate: HTMLElement;
  readonly #messages: HTMLElement;

  constructor() {
    this.#list = h('div', { class: 'cache-list', 'data-testid': 'cache-list', 'aria-live': 'polite' });
    this.#estimate = h('p', { class: 'estimate', 'data-testid': 'storage-estimate' });
    this.#messages = h('div', { class: 'messages' });
    const refresh = h('button', { type: 'button', onclick: () => void this.refresh() }, 'Refresh');
    const persist = h(
      'button',
      { type: 'button', onclick: () => void this.#persist() },
      'Keep models (persistent storage)',
    );
    const clear = h('button', { type: 'button', class: 'danger', onclick: () => void this.#deleteAll() }, 'Delete all');
    this.element = h(
      'section',
      { class: 'card cache', 'aria-labelledby': 'cache-heading' },
      h('h3', { id: 'cache-heading' }, 'Cached models'),
      h(
        'p',
        { class: 'hint' },
        'Downloaded model files are stored in this browser (Cache API) only after a complete, verified download, and are reused offline.',
      ),
      this.#estimate,
      h('div', { class: 'actions' }, refresh, persist, clear),
      this.#messages,
      this.#list,
    );
  }

  /** Re-reads the cache and the storage estimate. */
  async refresh(): Promise<void> {
    replace(this.#messages);
    try {
      const [entries, estimate] = await Promise.all([this.#cache.list(), this.#cache.estimate()]);
      this.#render(groupByModel(entries));
      const quota = estimate.quota ? ` of ${formatBytes(estimate.quota)} available to this site` : '';
      const persisted =
        estimate.persisted === undefined
          ? ''
          : estimate.persisted
            ? ' · persistent'
            : ' · may be evicted under storage pressure';
      this.#estimate.textContent = `Storage used: ${formatBytes(estimate.usage)}${quota}${persisted}`;
    } catch (error) {
      this.#messages.append(errorView(error, 'Reading the cache failed'));
    }
  }

  #render(models: CachedModel[]): void {
    if (models.length === 0) {
      replace(this.#list, h('p', { class: 'empty' }, 'No cached models yet.'));
      return;
    }
    const table = h(
      'table',
      { class: 'cache-table' },
      h('caption', {}, `${models.length} cached model${models.length === 1 ? '' : 's'}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Model'),
          h('th', { scope: 'col' }, 'Files'),
          h('th', { scope: 'col', class: 'num' }, 'Size'),
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
        ),
      ),
      h(
        'tbody',
        {},
        ...models.map((model) =>
          h(
            'tr',
            {
              'data-prefix': model.prefix,
              ...(model.converted ? { 'data-converted': model.converted.dtype, class: 'converted' } : {}),
            },
            h(
              'th',
              { scope: 'row' },
              h('code', {}, model.name),
              model.converted ? h('span', { class: 'converted-tag' }, ` ${convertedLabel(model.converted)}`) : null,
            ),
            h(
              'td',
              {},
              h(
                'details',
                {},
                h('summary', {}, `${model.files.length} file${model.files.length === 1 ? '' : 's'}`),
                h(
                  'ul',
                  { class: 'cached-files' },
                  ...model.files.map((f) =>
                    h(
                      'li',
                      { 'data-url': f.url, 'data-size': f.size },
                      h('code', {}, f.url.slice(model.prefix.length)),
                      ` ${formatBytes(f.size)}`,
                    ),
                  ),
                ),
              ),
            ),
            h('td', { class: 'num' }, formatBytes(model.bytes)),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Delete ${model.name}${model.converted ? ` (${convertedLabel(model.converted)})` : ''}`,
                  onclick: () => void this.#delete(model.prefix),
                },
                'Delete',
              ),
            ),
          ),
        ),
      ),
    );
    replace(
      this.#list,
      h('div', { class: 'scroll', role: 'region', 'aria-label': 'Cached models table', tabindex: '0' }, table),
    );
  }

  async #delete(prefix: string): Promise<void> {
    try {
      await this.#cache.delete(prefix); // files and core's missing-file marks of the model
    } catch (error) {
      this.#messages.append(errorView(error, 'Deleting failed'));
    }
    await this.refresh();
  }

  async #deleteAll(): Promise<void> {
    try {
      for (const model of groupByModel(await this.#cache.list())) await this.#cache.delete(model.prefix);
    } catch (error) {
      this.#messages.append(errorView(error, 'Deleting failed'));
    }
    await this.refresh();
  }

  async #persist(): Promise<void> {
    const granted = await requestPersistentStorage().catch(() => false);
    await this.refresh();
    this.#messages.append(
      h(
        'p',
        { class: 'note', role: 'status' },
        granted
          ? 'Storage is persistent: the browser will not evict cached models on its own.'
          : 'The browser declined persistent storage (it often grants it to installed or bookmarked sites). Cached models may be evicted under storage pressure.',
      ),
    );
  }
}
