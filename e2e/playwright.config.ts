/**
 * Playwright config of the e2e specs. Run through `pnpm test:e2e` (e2e/run.mjs), which starts the
 * servers and passes their URLs in E2E_DEV_URL / E2E_PREVIEW_URL. One project per target (vite dev,
 * vite build + preview) and backend (wasm, webgpu).
 */
import { defineConfig, type PlaywrightTestOptions, type PlaywrightWorkerOptions, type Project } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath, type E2eOptions } from './support/options.js';

const targets = {
  dev: process.env.E2E_DEV_URL,
  preview: process.env.E2E_PREVIEW_URL,
} as const;

/** Specs whose subject is a backend: parity and every tab end to end. */
const BACKEND_SPECS = /(parity|ner|qa|similarity|classification|convert-parity)\.spec\.ts$/;

const projects: Project<PlaywrightTestOptions & E2eOptions, PlaywrightWorkerOptions & E2eOptions>[] = [];
for (const [target, url] of Object.entries(targets)) {
  if (!url) continue;
  for (const backend of ['wasm', 'webgpu'] as const) {
    projects.push({
      name: `${target}-${backend}`,
      use: { baseURL: url, appURL: url, backend, target: target as 'dev' | 'preview' },
      // Backend-independent specs (downloads, cache manager, conversion, offline) run in the wasm
      // projects only: SwiftShader WebGPU is slow, and they would test the same code twice.
      ...(backend === 'webgpu' ? { testMatch: BACKEND_SPECS } : {}),
    });
  }
}
if (projects.length === 0) {
  throw new Error('no server URL: run the specs with `pnpm test:e2e` (or set E2E_DEV_URL / E2E_PREVIEW_URL)');
}

export default defineConfig<E2eOptions>({
  testDir: './specs',
  outputDir: './artifacts/test-results',
  // E2E_WORKERS browsers in parallel (default 2: much of a spec is waiting on downloads, the service
  // worker's precache or ORT start-up, so two overlap well even on two cores).
  workers: Number(process.env.E2E_WORKERS ?? 2),
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['json', { outputFile: './artifacts/results.json' }]],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'off',
    actionTimeout: 15_000,
  },
  projects,
});
