/**
 * Model sources: local folders (Node), folder URLs, hub ids and file maps, with streamed, verified,
 * retried downloads and a persistent cache (Cache API in browsers, a folder in Node).
 */

export { CACHE_API_NAME, CacheApiModelCache } from './cache/cache-api-cache.js';
export { defaultCache, requestPersistentStorage, selectCache } from './cache/default-cache.js';
export { CACHE_DIR_ENV, defaultCacheDir, FolderModelCache } from './cache/folder-cache.js';
export { MemoryModelCache } from './cache/memory-cache.js';
export {
  type DownloadOptions,
  type DownloadResult,
  downloadFile,
  probeFile,
  type TransferOptions,
} from './download.js';
export { fileMapFromFiles } from './files/map-files.js';
export {
  DEFAULT_HUB_BASE_URL,
  HUB_BASE_URL_ENV,
  type HubRef,
  hubBaseUrl,
  hubFileUrl,
  parseHubId,
} from './hub.js';
export { type ParsedSource, parseSource, resolveSource } from './resolve.js';
export type {
  CacheEntry,
  FileMap,
  ModelCache,
  ModelFiles,
  ModelSource,
  ProgressCallback,
  ProgressEvent,
  SourceOptions,
} from './types.js';
