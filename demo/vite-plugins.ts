/**
 * Vite plugins of the demo app (used by the root vite.config.ts):
 * - `modelsPlugin`: serves the repo's `models/` folder (embedded model, test fixtures, catalog) under
 *   `/models/` in dev and preview, copies the embedded model into the build, and tells the app which
 *   embedded model it has (virtual module `virtual:bertweb-embedded`); it also serves a local hub under
 *   `/hub/` (the generated checkpoints of `models/fixtures/hub/repos/`, in the hub's URL layout, for
 *   `?hub=<app>/hub`), and DeepPavlov's under `/deeppavlov/hub/` and `/deeppavlov/files/` (the fixtures of
 *   `models/fixtures/deeppavlov/`: base repos and files.deeppavlov.ai's tarballs);
 * - `pwaPlugins`: the installable PWA (app shell precache; model files are NOT cached by the service
 *   worker: they go through bertweb's own verified cache);
 * - the extra HTML entry `e2e-fixture.html` (the browser parity page of the e2e specs; its code is in e2e/pages/).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, PluginOption } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const demoRoot = fileURLToPath(new URL('.', import.meta.url));
const modelsRoot = resolve(demoRoot, '..', 'models');
/** The local hub's repos: `repos/<owner>/<name>/<file>` is served at `/hub/<owner>/<name>/resolve/<rev>/<file>`. */
const hubRepos = resolve(modelsRoot, 'fixtures', 'hub', 'repos');

/** The embedded default NER model, when it has been trained and converted. */
const REAL_EMBEDDED = 'ner-ru-tiny';
/** Stand-in until the real one exists: a random-weight fixture with the same task and CRF. */
const FALLBACK_EMBEDDED = 'fixtures/bert-token-cls';

/** Files of a model folder that a browser needs (checkpoints, fp32/fp16 copies and scripts stay out). */
const EMBEDDED_FILES = [
  'config.json',
  'tokenizer.json',
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'crf.json',
  'model-card.json',
  'README.md',
  'onnx/model_quantized.onnx',
];
/** The fallback fixture has only fp32. */
const FALLBACK_ONNX = 'onnx/model.onnx';

const VIRTUAL_EMBEDDED = 'virtual:bertweb-embedded';

/** What the app learns about its embedded model. */
export interface EmbeddedModel {
  /** Folder under `models/`, e.g. `ner-ru-tiny`. */
  readonly folder: string;
  /** True while the random-weight fixture stands in for the real model. */
  readonly placeholder: boolean;
  /** Files copied into the build (relative to the folder). */
  readonly files: readonly string[];
  /** The model card JSON (`model-card.json`), when the folder has one. */
  readonly card: unknown;
}

/** Picks the real embedded model when its q8 ONNX exists, else the fixture stand-in. */
export function embeddedModel(): EmbeddedModel {
  const real = join(modelsRoot, REAL_EMBEDDED);
  if (existsSync(join(real, 'onnx', 'model_quantized.onnx'))) {
    const files = EMBEDDED_FILES.filter((file) => existsSync(join(real, file)));
    const cardPath = join(real, 'model-card.json');
    const card = existsSync(cardPath) ? JSON.parse(readFileSync(cardPath, 'utf8')) : null;
    return { folder: REAL_EMBEDDED, placeholder: false, files, card };
  }
  const fallback = join(modelsRoot, FALLBACK_EMBEDDED);
  const files = [...EMBEDDED_FILES, FALLBACK_ONNX].filter((file) => existsSync(join(fallback, file)));
  return { folder: FALLBACK_EMBEDDED, placeholder: true, files, card: null };
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.onnx': 'application/octet-stream',
};

/** Which request paths under `/models/` may be served from the repo: never scripts or checkpoints. */
function servable(relPath: string, embedded: EmbeddedModel): boolean {
  if (relPath === 'catalog.json') return true;
  if (relPath.startsWith('fixtures/')) return !relPath.endsWith('.ts') && !relPath.endsWith('.py');
  const prefix = `${embedded.folder}/`;
  return relPath.startsWith(prefix) && embedded.files.includes(relPath.slice(prefix.length));
}

type Next = (error?: unknown) => void;

function modelsMiddleware(headers: () => OutgoingHttpHeaders | undefined, builtDir: (() => string) | undefined) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const url = req.url ?? '';
    if (!url.startsWith('/models/')) {
      next();
      return;
    }
    let relPath: string;
    try {
      relPath = decodeURIComponent(url.split('?')[0] ?? '').slice('/models/'.length);
    } catch {
      next();
      return;
    }
    // In preview, files copied into the build are served by Vite's static middleware, as in production.
    if (builtDir && existsSync(join(builtDir(), 'models', relPath))) {
      next();
      return;
    }
    const full = resolve(modelsRoot, relPath);
    const inside = full.startsWith(modelsRoot + sep);
    const method = (req.method ?? 'GET').toUpperCase();
    for (const [name, value] of Object.entries(headers() ?? {})) if (value !== undefined) res.setHeader(name, value);
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // A missing model file must be a real 404: Vite's SPA fallback would answer index.html with 200.
    if (!inside || !servable(relPath, embeddedModel()) || !existsSync(full) || !statSync(full).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' }).end('not found');
      return;
    }
    const size = statSync(full).size;
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(full)] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': 'no-cache',
    });
    if (method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(full).pipe(res);
  };
}

/** Files the hub stores in Git LFS (so it announces their sha256 in `X-Linked-Etag`, as huggingface.co does). */
const LFS_FILE = /\.(bin|safetensors|onnx|onnx_data|pt|h5|msgpack|ckpt|tar\.gz)$/;

/**
 * The local servers under the app's origin, each a folder of `models/fixtures/`:
 * - `hub`: a hub in the Hugging Face URL layout, `<mount><owner>/<name>/resolve/<revision>/<file>` (an id
 *   without an owner too, as `bert-base-uncased`) serving `<root>/<id>/<file>` for any revision;
 * - `files`: a plain file server, `<mount><path>` serving `<root>/<path>` (DeepPavlov's files.deeppavlov.ai,
 *   whose URL paths the fixture tarballs keep).
 */
const LOCAL_SERVERS: readonly { readonly mount: string; readonly root: string; readonly layout: 'hub' | 'files' }[] = [
  { mount: '/hub/', root: hubRepos, layout: 'hub' },
  { mount: '/deeppavlov/hub/', root: resolve(modelsRoot, 'fixtures', 'deeppavlov', 'hub'), layout: 'hub' },
  { mount: '/deeppavlov/files/', root: resolve(modelsRoot, 'fixtures', 'deeppavlov', 'files'), layout: 'files' },
];

/** ETags of the local servers' files, computed once per file version (size + mtime). */
const fileIdentities = new Map<
  string,
  { readonly version: string; readonly headers: Readonly<Record<string, string>> }
>();

/**
 * What the real server answers about a file's identity. The hub: LFS files (weights) carry their sha256 as
 * `ETag` and `X-Linked-Etag` (so bertweb verifies the download and keys conversions by it); small git files
 * carry their git blob id (40 hex digits, not a sha256, so no integrity check applies to them). A plain
 * file server: an nginx-style `"<mtime hex>-<size hex>"`.
 */
function identity(
  full: string,
  size: number,
  mtimeMs: number,
  layout: 'hub' | 'files',
): Readonly<Record<string, string>> {
  const version = `${layout}:${size}:${mtimeMs}`;
  const known = fileIdentities.get(full);
  if (known?.version === version) return known.headers;
  let headers: Record<string, string>;
  if (layout === 'files') {
    headers = { etag: `"${Math.floor(mtimeMs / 1000).toString(16)}-${size.toString(16)}"` };
  } else if (LFS_FILE.test(full)) {
    const sha256 = createHash('sha256').update(readFileSync(full)).digest('hex');
    headers = { etag: `"${sha256}"`, 'x-linked-etag': `"${sha256}"`, 'x-linked-size': String(size) };
  } else {
    const blob = createHash('sha1').update(`blob ${size}\0`).update(readFileSync(full)).digest('hex');
    headers = { etag: `"${blob}"` };
  }
  fileIdentities.set(full, { version, headers });
  return headers;
}

/** The file a local server's URL names, if it stays inside the server's folder. */
function localFile(server: (typeof LOCAL_SERVERS)[number], url: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(url.split('?')[0] ?? '').slice(server.mount.length);
  } catch {
    return undefined;
  }
  let rel: string;
  if (server.layout === 'hub') {
    const match = /^((?:[^/]+\/)?[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(path);
    if (!match) return undefined;
    rel = `${match[1]}/${match[2]}`;
  } else {
    rel = path;
  }
  const full = resolve(server.root, rel);
  return full.startsWith(server.root + sep) ? full : undefined;
}

/**
 * The local hubs and file server ({@link LOCAL_SERVERS}): `GET|HEAD` serves the file with the real
 * server's identity headers, the app server's COOP/COEP/CORP headers and real 404s, so `?hub=<app>/hub`
 * loads hub ids from the repo, and `?hub=<app>/deeppavlov/hub&dpFiles=<app>/deeppavlov/files` DeepPavlov
 * configs.
 */
function localServersMiddleware(headers: () => OutgoingHttpHeaders | undefined) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const url = req.url ?? '';
    const server = LOCAL_SERVERS.find((s) => url.startsWith(s.mount));
    if (!server) {
      next();
      return;
    }
    for (const [name, value] of Object.entries(headers() ?? {})) if (value !== undefined) res.setHeader(name, value);
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const full = localFile(server, url);
    if (full === undefined || !existsSync(full) || !statSync(full).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' }).end('not found');
      return;
    }
    const stats = statSync(full);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(full)] ?? 'application/octet-stream',
      'content-length': String(stats.size),
      'cache-control': 'no-cache',
      ...identity(full, stats.size, stats.mtimeMs, server.layout),
    });
    if (method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(full).pipe(res);
  };
}

/**
 * Serves `models/` under `/models/`, the local hubs and DeepPavlov file server under `/hub/` and
 * `/deeppavlov/` (dev and preview), copies the embedded model into the build, and provides
 * `virtual:bertweb-embedded`.
 *
 * @example
 * ```ts
 * // vite.config.ts
 * plugins: [modelsPlugin()]
 * ```
 */
export function modelsPlugin(): Plugin {
  let outDir = '';
  return {
    name: 'bertweb-models',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    resolveId(id) {
      return id === VIRTUAL_EMBEDDED ? `\0${VIRTUAL_EMBEDDED}` : undefined;
    },
    load(id) {
      if (id !== `\0${VIRTUAL_EMBEDDED}`) return undefined;
      const embedded = embeddedModel();
      return `export default ${JSON.stringify({ ...embedded, path: `/models/${embedded.folder}/` })};`;
    },
    configureServer(server) {
      server.middlewares.use(localServersMiddleware(() => server.config.server.headers));
      server.middlewares.use(modelsMiddleware(() => server.config.server.headers, undefined));
      // A newly converted embedded model is picked up on the next reload.
      server.watcher.add(join(modelsRoot, REAL_EMBEDDED, 'onnx'));
    },
    configurePreviewServer(server) {
      server.middlewares.use(localServersMiddleware(() => server.config.preview.headers));
      server.middlewares.use(
        modelsMiddleware(
          () => server.config.preview.headers,
          () => outDir,
        ),
      );
    },
    generateBundle() {
      const embedded = embeddedModel();
      for (const file of embedded.files) {
        this.emitFile({
          type: 'asset',
          fileName: `models/${embedded.folder}/${file}`,
          source: readFileSync(join(modelsRoot, embedded.folder, file)),
        });
      }
    },
  };
}

/** Adds the e2e parity page as a second HTML entry of the build, and the worker bundles' plugins. */
function entriesPlugin(): Plugin {
  return {
    name: 'bertweb-demo-entries',
    config() {
      return {
        // Workers are bundled by their own pipeline: it needs the browser ORT mapping too.
        worker: { plugins: () => [browserOrtPlugin()], rolldownOptions: { checks: { bundlerTimings: false } } },
        build: {
          rollupOptions: {
            // The PWA plugin's SW generation is slow by nature; its timing report is noise in e2e logs.
            checks: { bundlerTimings: false },
            input: {
              main: join(demoRoot, 'index.html'),
              'e2e-fixture': join(demoRoot, 'e2e-fixture.html'),
            },
          },
        },
      };
    },
  };
}

/**
 * Core's `loadOrt()` imports `onnxruntime-web` in Node and, in browsers, `onnxruntime-web/wasm` (WASM
 * sessions) or `onnxruntime-web/webgpu` (WebGPU sessions); a bundler sees all three dynamic imports and
 * would ship the Node-only branch too (406 KB of JS and another 28 MB .wasm, precached by the service
 * worker). In the browser build the bare name means the WebGPU build.
 */
function browserOrtPlugin(): Plugin {
  return {
    name: 'bertweb-browser-ort',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (source !== 'onnxruntime-web' || options?.ssr || !importer?.includes('/packages/core/src/runtime/')) {
        return undefined;
      }
      return this.resolve('onnxruntime-web/webgpu', importer, { ...options, skipSelf: true });
    },
  };
}

/**
 * Largest file the service worker precaches: ORT's WebGPU+WASM runtime is ~27 MB uncompressed (its
 * WASM-only runtime, 14 MB, is precached too, so the app runs offline on either backend).
 */
const MAX_PRECACHE_BYTES = 40 * 1024 * 1024;

/**
 * The PWA: manifest with icons, app shell precache (HTML, JS, CSS, ORT's .wasm), no runtime caching of
 * model files (bertweb's own cache keeps those, verified, and its cache manager can list and delete them).
 */
export function pwaPlugins(): PluginOption {
  return VitePWA({
    strategies: 'generateSW',
    registerType: 'autoUpdate',
    // The app registers the worker itself (src/app/pwa.ts), in production builds only.
    injectRegister: false,
    devOptions: { enabled: false },
    includeAssets: ['icons/*.svg', 'icons/*.png'],
    manifest: {
      name: 'bertweb demo: BERT models in your browser',
      short_name: 'bertweb',
      description:
        'Named entities, question answering, similarity and classification with BERT-family models, on-device.',
      lang: 'en',
      start_url: '.',
      scope: '.',
      display: 'standalone',
      background_color: '#ffffff',
      theme_color: '#1f4e8c',
      icons: [
        { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
        { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
        { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        { src: 'icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
      ],
    },
    workbox: {
      globPatterns: ['**/*.{html,js,mjs,css,wasm,svg,png,webmanifest}'],
      // Models (embedded one included) are bertweb's business, not the service worker's.
      globIgnores: ['models/**'],
      maximumFileSizeToCacheInBytes: MAX_PRECACHE_BYTES,
      navigateFallback: 'index.html',
      navigateFallbackDenylist: [/^\/models\//, /^\/hub\//, /^\/deeppavlov\//, /e2e-fixture/],
      runtimeCaching: [],
      cleanupOutdatedCaches: true,
      clientsClaim: true,
      skipWaiting: true,
    },
  });
}

/**
 * Every plugin of the demo app. Empty under Vitest (the same config file drives unit tests).
 *
 * @example
 * ```ts
 * // vite.config.ts
 * import { demoPlugins } from './demo/vite-plugins';
 * export default defineConfig({ plugins: demoPlugins(), ... });
 * ```
 */
export function demoPlugins(): PluginOption[] {
  if (process.env.VITEST) return [];
  return [browserOrtPlugin(), modelsPlugin(), entriesPlugin(), pwaPlugins()];
}
