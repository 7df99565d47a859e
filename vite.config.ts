/// <reference types="vitest/config" />
// The demo app's Vite config (root: demo/) and the unit-test (Vitest) setup for the whole repo.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { demoPlugins } from './demo/vite-plugins.js';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

/** Cross-origin isolation turns on SharedArrayBuffer and with it WASM threads. */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  root: fileURLToPath(new URL('./demo', import.meta.url)),
  // Serves models/ under /models/, copies the embedded model into the build, PWA, e2e parity page.
  plugins: demoPlugins(),
  // `source` resolves workspace packages to their TypeScript sources: no prebuild needed.
  resolve: {
    conditions: ['source', ...defaultClientConditions],
    // The e2e parity page's code lives with the specs (e2e/pages/); demo/e2e-fixture.html loads it from here.
    alias: [{ find: /^\/e2e-pages\//, replacement: fileURLToPath(new URL('./e2e/pages/', import.meta.url)) }],
  },
  server: { headers: isolationHeaders, fs: { allow: [repoRoot] } },
  preview: { headers: isolationHeaders },
  // ORT-web loads its .mjs/.wasm relative to its own module URL; pre-bundling would move it.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: { outDir: fileURLToPath(new URL('./demo/dist', import.meta.url)), emptyOutDir: true, target: 'es2022' },
  test: {
    root: repoRoot,
    include: ['packages/*/src/**/*.test.ts', 'models/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    server: { deps: { inline: [] } },
  },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
});
