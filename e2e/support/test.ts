/**
 * The `test` every spec imports: project options (backend, target, app URL), a WebGPU check that FAILS
 * the webgpu projects when Chromium has no adapter (never a silent skip), and console capture that is
 * attached to failing tests.
 */
import { test as base, expect, type Page } from '@playwright/test';
import type { E2eOptions } from './options.js';

interface WorkerFixtures extends E2eOptions {
  /** Verified once per worker: the webgpu projects really have a WebGPU adapter. */
  webgpuAdapter: string | null;
  /**
   * One app page per Playwright worker (so per project), shared by the tab specs: its model worker
   * and ORT runtime start once instead of once per spec. Its console goes to `appPage.log`.
   */
  appPage: Page & { log: string[] };
}

interface TestFixtures {
  /** Console lines and page errors of the test's page(s). */
  consoleLog: string[];
  /** Attaches the shared app page's recent console lines to a failing test. */
  appConsole: undefined;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  appURL: ['', { option: true, scope: 'worker' }],
  backend: ['wasm', { option: true, scope: 'worker' }],
  target: ['dev', { option: true, scope: 'worker' }],
  webgpuAdapter: [
    async ({ browser, appURL, backend }, use) => {
      if (backend !== 'webgpu') return use(null);
      // WebGPU needs a secure context: ask from a page of the app's (localhost) origin.
      const page = await browser.newPage();
      await page.goto(new URL('e2e-fixture.html', appURL).href);
      const adapter = await page.evaluate(async () => {
        const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } })
          .gpu;
        if (!gpu) return 'no navigator.gpu';
        const found = await gpu.requestAdapter();
        return found
          ? `ok ${found.info?.vendor ?? ''} ${found.info?.architecture ?? ''}`.trim()
          : 'requestAdapter() returned null';
      });
      await page.close();
      if (!adapter.startsWith('ok')) {
        throw new Error(
          `webgpu project, but Chromium has no WebGPU adapter: ${adapter} (flags: --enable-unsafe-webgpu)`,
        );
      }
      await use(adapter.slice(3));
    },
    { scope: 'worker', auto: true },
  ],
  appPage: [
    async ({ browser, appURL }, use) => {
      const context = await browser.newContext({ baseURL: appURL, viewport: { width: 1280, height: 800 } });
      const page = Object.assign(await context.newPage(), { log: [] as string[] });
      const push = (line: string) => {
        page.log.push(line);
        if (page.log.length > 400) page.log.splice(0, 100);
      };
      page.on('console', (msg) => push(`[${msg.type()}] ${msg.text()}`));
      page.on('pageerror', (error) => push(`[pageerror] ${error.message}`));
      await use(page);
      await context.close();
    },
    { scope: 'worker' },
  ],
  appConsole: async ({ appPage }, use, testInfo) => {
    const from = appPage.log.length;
    await use(undefined);
    if (testInfo.status !== testInfo.expectedStatus) {
      const lines = appPage.log.slice(from);
      await testInfo.attach('app console', { body: lines.join('\n'), contentType: 'text/plain' });
      await testInfo.attach('app screenshot', { body: await appPage.screenshot(), contentType: 'image/png' });
      console.log(`--- app console of "${testInfo.title}" ---\n${lines.slice(-40).join('\n')}`);
    }
  },
  consoleLog: [
    async ({ page }, use, testInfo) => {
      const lines: string[] = [];
      page.on('console', (msg) => lines.push(`[${msg.type()}] ${msg.text()}`));
      page.on('pageerror', (error) => lines.push(`[pageerror] ${error.message}`));
      page.on('worker', (worker) => lines.push(`[worker] started ${worker.url()}`));
      await use(lines);
      if (testInfo.status !== testInfo.expectedStatus && lines.length > 0) {
        await testInfo.attach('console', { body: lines.join('\n'), contentType: 'text/plain' });
        console.log(`--- console of "${testInfo.title}" ---\n${lines.slice(-40).join('\n')}`);
      }
    },
    { auto: true },
  ],
});

export { expect };
