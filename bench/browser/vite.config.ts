/**
 * Production build of the benchmark's system pages (bench/browser/pages/*.html) into
 * bench/.tmp/browser/pages/: ES workers, workspace packages from their TypeScript sources
 * (`source` condition, as the demo builds them), each library's ORT .wasm emitted as a hashed asset.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const pages = fileURLToPath(new URL('./pages', import.meta.url));
const outDir = fileURLToPath(new URL('../.tmp/browser/pages', import.meta.url));
const input = Object.fromEntries(
  readdirSync(pages)
    .filter((f) => f.endsWith('.html'))
    .map((f) => [f.replace(/\.html$/, ''), path.join(pages, f)]),
);

/**
 * `bertweb` declares `"sideEffects": false`, so a plain `import 'bertweb/worker'` inside a worker module is
 * dropped by the bundler (its `serve()` call never runs and the worker never answers). Used as a Worker
 * entry itself it is kept; the bench imports it after its own set-up, so it marks it as having effects.
 */
function keepWorkerEntry(): Plugin {
  return {
    name: 'bench-keep-bertweb-worker',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (source !== 'bertweb/worker') return undefined;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved ? { ...resolved, moduleSideEffects: true } : undefined;
    },
  };
}

export default defineConfig({
  root: pages,
  base: '/',
  logLevel: 'warn',
  resolve: { conditions: ['source', ...defaultClientConditions] },
  plugins: [keepWorkerEntry()],
  worker: { format: 'es', plugins: () => [keepWorkerEntry()], rolldownOptions: { checks: { bundlerTimings: false } } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // Not minified: CPU profiles of the diagnosis then name bertweb's functions (the ORT bundles come
    // minified from npm either way; V8 runs both forms at the same speed).
    minify: false,
    // Transformers.js and ORT bundles are large by nature; the size warning is noise here.
    chunkSizeWarningLimit: 100_000,
    rollupOptions: { input, checks: { bundlerTimings: false } },
  },
});
