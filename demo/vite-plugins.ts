/**
 * Vite plugins of the demo app (used by the root vite.config.ts):
 * - `modelsPlugin`: serves the repo's `models/` folder (embedded model, test fixtures, catalog) under
 *   `/models/` in dev and preview, copies the embedded model into the build, and tells the app which
 *   embedded model it has (virtual module `virtual:bertweb-embedded`);
 * - `pwaPlugins`: the installable PWA (app shell precache; model files are NOT cached by the service
 *   worker: they go through bertweb's own verified cache);
 * - the extra HTML entry `e2e-fixture.html` (the browser parity page of the e2e specs; its code is in e2e/pages/).
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, PluginOption } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const demoRoot = fileURLToPath(new URL('.', import.meta.url));
const modelsRoot = resolve(demoRoot, '..', 'models');

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

/**
 * Serves `models/` under `/models/` (dev and preview), copies the embedded model into the build, and
 * provides `virtual:bertweb-embedded`.
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
      server.middlewares.use(modelsMiddleware(() => server.config.server.headers, undefined));
      // A newly converted embedded model is picked up on the next reload.
      server.watcher.add(join(modelsRoot, REAL_EMBEDDED, 'onnx'));
    },
    configurePreviewServer(server) {
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
 * Core's `loadOrt()` imports `onnxruntime-web` in Node and `onnxruntime-web/webgpu` in browsers; a
 * bundler sees both dynamic imports and would ship the Node-only branch too (406 KB of JS and a second
 * 28 MB .wasm, precached by the service worker). In the browser build both names mean the WebGPU build.
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

/** Largest file the service worker precaches: ORT's WebGPU+WASM runtime is ~27 MB uncompressed. */
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
      navigateFallbackDenylist: [/^\/models\//, /e2e-fixture/],
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
